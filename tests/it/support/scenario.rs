//! A scenario on disk: an estate ([`Estate`]) and flow-log files in a
//! temporary folder, and `sgpair infer` over them.

use std::path::PathBuf;

use super::flows::gzip;
use super::model::Estate;
use super::run::{Run, Sgpair, infer_with};

pub struct Scenario {
    pub dir: tempfile::TempDir,
    /// Written to `inventory.json` at each run.
    pub inv: Estate,
}

impl Default for Scenario {
    fn default() -> Self {
        Self::new()
    }
}

impl Scenario {
    pub fn new() -> Self {
        Scenario {
            dir: tempfile::tempdir().expect("temporary folder"),
            inv: Estate::new(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes the estate to `inventory.json`.
    pub fn inventory(&self) -> PathBuf {
        let p = self.path("inventory.json");
        self.inv.write(&p);
        p
    }

    /// Writes a text file under the scenario's `logs/` folder.
    pub fn log(&self, rel: &str, text: &str) -> PathBuf {
        self.log_bytes(rel, text.as_bytes())
    }

    /// Writes a gzip file under `logs/`.
    pub fn log_gz(&self, rel: &str, text: &str) -> PathBuf {
        self.log_bytes(rel, &gzip(text.as_bytes()))
    }

    /// Writes `text` as UTF-16 with its byte-order mark under `logs/`, as
    /// Windows PowerShell 5.1's `>` does (`big_endian`: the other order),
    /// gzipped or not.
    pub fn log_utf16(&self, rel: &str, text: &str, big_endian: bool, gzipped: bool) -> PathBuf {
        let mut bytes = if big_endian {
            vec![0xfe, 0xff]
        } else {
            vec![0xff, 0xfe]
        };
        for u in text.encode_utf16() {
            bytes.extend(if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        if gzipped {
            bytes = gzip(&bytes);
        }
        self.log_bytes(rel, &bytes)
    }

    /// Writes `bytes` as they are under `logs/`.
    pub fn log_bytes(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path("logs").join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// `sgpair infer --logs <scenario>/logs` with the estate (see [`infer`]),
    /// from the scenario's folder.
    pub fn run(&self, extra: &[&str]) -> Run {
        self.run_with(extra, |cmd| cmd)
    }

    /// [`Scenario::run`], the run set up further by `setup` (its environment).
    pub fn run_with(&self, extra: &[&str], setup: impl FnOnce(Sgpair) -> Sgpair) -> Run {
        let inv = self.inventory();
        infer_with(self.dir.path(), &[&self.path("logs")], &inv, extra, setup)
    }
}
