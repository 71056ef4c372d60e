//! Any bytes as flow-log lines through the whole run: parse, aggregate,
//! resolve against the sample inventory, synthesize, audit and every
//! emitter, never a panic, the JSON outputs JSON and both tfvars read back
//! by an HCL parser. The checks are `sgpair::fuzzing::whole`, which
//! `tests/it/fuzz_regressions.rs` also runs on every input saved under
//! `fuzz/regressions/whole/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn hcl_parses(text: &str) -> Result<(), String> {
    hcl::from_str::<hcl::Value>(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fuzz_target!(|data: &[u8]| {
    sgpair::fuzzing::whole(data, &hcl_parses);
});
