//! Replays every input under `fuzz/regressions/<target>/` through the checks
//! the fuzz targets run (`sgpair::fuzzing`), so an input that once broke an
//! invariant is tested on every `cargo test`, without cargo-fuzz.

use std::path::PathBuf;

use crate::support::repo;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = repo().join("fuzz/regressions").join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs under {}", dir.display());
    let failed: Vec<String> = inputs
        .iter()
        .filter(|p| {
            let data = std::fs::read(p).unwrap();
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(failed.is_empty(), "inputs that break a check: {failed:#?}");
    inputs.len()
}

#[test]
fn record_path_inputs_keep_every_invariant() {
    assert!(replay("record", sgpair::fuzzing::record) >= 9);
}

#[test]
fn header_inputs_keep_every_invariant() {
    assert!(replay("header", sgpair::fuzzing::header) >= 6);
}

/// The tfvars check the library cannot make: an HCL parser reads them back.
fn hcl_parses(text: &str) -> Result<(), String> {
    hcl::from_str::<hcl::Value>(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn whole_run_inputs_keep_every_invariant() {
    let check = |data: &[u8]| {
        sgpair::fuzzing::whole(data, &hcl_parses);
    };
    assert!(replay("whole", check) >= 9);
}

#[test]
fn the_whole_run_target_resolves_and_proposes_on_the_sample_records() {
    let data = std::fs::read(repo().join("fuzz/regressions/whole/sample-records")).unwrap();
    let out = sgpair::fuzzing::whole(&data, &hcl_parses);
    let v: serde_json::Value = serde_json::from_str(&out.json).unwrap();
    let rules = v["rules"].as_array().expect("a rules list");
    assert!(!rules.is_empty(), "{}", out.json);
    assert!(out.tfvars_v2.contains("db-sg"), "{}", out.tfvars_v2);
    assert!(
        out.terminal[0].starts_with("read 19 records"),
        "{:?}",
        out.terminal
    );
}

#[test]
fn event_document_inputs_keep_every_invariant() {
    assert!(replay("events", sgpair::fuzzing::events) >= 9);
}
