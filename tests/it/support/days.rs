//! A folder with an inventory and one flow-log file per day, and `infer`
//! or `check` over some of the days with a window of their own (the
//! commands `--state` and `check` are made for).

use std::path::{Path, PathBuf};

use super::flows::{Rec, v2_lines};
use super::model::Estate;
use super::run::{Run, sgpair};

/// A folder with the inventory and one log file per day.
pub struct Days {
    dir: tempfile::TempDir,
}

impl Days {
    pub fn new(e: &Estate) -> Days {
        let dir = tempfile::tempdir().unwrap();
        e.write(&dir.path().join("inventory.json"));
        Days { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn day(&self, name: &str, recs: &[Rec]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, v2_lines(recs)).unwrap();
        p
    }

    /// `infer --json` over `logs` and the window `since..until`, with `extra`.
    pub fn infer(&self, logs: &[&Path], since: i64, until: i64, extra: &[&str]) -> Run {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = sgpair(["infer", "--json"]).cwd(self.dir.path());
        for l in logs {
            cmd = cmd.arg("--logs").arg(l);
        }
        cmd.arg("--inventory")
            .arg(self.path("inventory.json"))
            .args(["--since", &rfc(since), "--until", &rfc(until)])
            .arg("--out")
            .arg(out.path().join("rules.auto.tfvars"))
            .arg("--report")
            .arg(out.path().join("report.md"))
            .args(extra)
            .run_with(out)
    }

    /// `check` over `logs` and the window `since..until` against the
    /// proposal `tfvars`, with `extra`.
    pub fn check(
        &self,
        tfvars: &Path,
        logs: &[&Path],
        since: i64,
        until: i64,
        extra: &[&str],
    ) -> Run {
        self.check_saying(tfvars, logs, since, until, &[&["-q"], extra].concat())
    }

    /// [`Days::check`] without `-q`: what it reads is said on stderr.
    pub fn check_saying(
        &self,
        tfvars: &Path,
        logs: &[&Path],
        since: i64,
        until: i64,
        extra: &[&str],
    ) -> Run {
        let out = tempfile::tempdir().unwrap();
        let mut cmd = sgpair(["check"])
            .cwd(self.dir.path())
            .arg("--tfvars")
            .arg(tfvars);
        for l in logs {
            cmd = cmd.arg("--logs").arg(l);
        }
        cmd.arg("--inventory")
            .arg(self.path("inventory.json"))
            .args(["--since", &rfc(since), "--until", &rfc(until)])
            .args(extra)
            .run_with(out)
    }
}

/// A time as `--since`/`--until` take it.
pub fn rfc(t: i64) -> String {
    let d = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t as u64);
    humantime::format_rfc3339_seconds(d).to_string()
}
