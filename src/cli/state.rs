//! `infer`'s flags for evidence kept from run to run: `--state`, `--keep`,
//! `--soak` (README, "Evidence that accumulates").

use std::path::PathBuf;

use clap::Args;

use sgpair::run::StateSettings;

#[derive(Args)]
pub struct StateArgs {
    /// Keep the evidence (the aggregated connections with their first and
    /// last record, never the records) in this file from run to run: each
    /// run folds its window in (the part no run read yet), so daily runs
    /// over a day of logs propose the rules of the last --keep. Written
    /// atomically; refused when it was written for other accounts, regions
    /// or VPCs.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,

    /// With --state: forget evidence last seen longer ago than this before
    /// the window's end (12h, 30d, 13w); its rules are proposed for removal.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = duration_arg)]
    keep: i64,

    /// With --state: a group is ready to close its open egress once nothing
    /// that only open egress carries was seen for this long, counting only
    /// the time runs read (days no run read do not count).
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = duration_arg)]
    soak: i64,
}

impl StateArgs {
    pub fn settings(self) -> Option<StateSettings> {
        Some(StateSettings {
            path: self.state?,
            keep: self.keep,
            soak: self.soak,
        })
    }
}

fn duration_arg(s: &str) -> Result<i64, String> {
    sgpair::window::duration_secs(s).map_err(|e| e.to_string())
}
