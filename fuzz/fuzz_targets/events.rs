//! Any bytes as a document of CloudWatch Logs events (`--logs events.json`,
//! what `aws logs filter-log-events` prints): never a panic, a break
//! recorded exactly when the strict read fails, every event accounted for.
//! The checks are `sgpair::fuzzing::events`, which
//! `tests/it/fuzz_regressions.rs` also runs on every input saved under
//! `fuzz/regressions/events/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sgpair::fuzzing::events(data));
