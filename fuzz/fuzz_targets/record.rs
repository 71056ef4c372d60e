//! Any bytes as a flow-log stream: through parse, reduce and aggregate, with
//! and without a header, never a panic, and every line accounted for. The
//! checks are `sgpair::fuzzing::record`, which `tests/it/fuzz_regressions.rs`
//! also runs on every input saved under `fuzz/regressions/record/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sgpair::fuzzing::record(data));
