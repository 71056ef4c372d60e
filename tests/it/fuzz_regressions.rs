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
