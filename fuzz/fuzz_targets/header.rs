//! Any text as a header line or a `--log-format`: detection, layout and
//! parser construction never panic, and a validated layout always builds a
//! parser. The checks are `sgpair::fuzzing::header`, which
//! `tests/it/fuzz_regressions.rs` also runs on every input saved under
//! `fuzz/regressions/header/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sgpair::fuzzing::header(data));
