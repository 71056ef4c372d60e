//! `sgpair check`'s flags: the proposal, and the sources as `infer` reads
//! them (without the reports `infer` writes).

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Result;
use clap::{ArgGroup, Args};

use super::{AwsArgs, time_arg, usage_error};
use sgpair::run::CheckConfig;
use sgpair::window::Window;

#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).multiple(true).args(["logs", "log_group", "s3"])))]
pub struct CheckArgs {
    /// The proposal: the Terraform variables `sgpair infer` wrote (module 2
    /// map or module 1 list), as applied or about to be. The rule resources
    /// of the *.tf files beside it (a --terraform folder's egress.tf) count
    /// too: the same apply creates them.
    #[arg(long, value_name = "FILE")]
    tfvars: PathBuf,

    /// The rules the proposal removes besides open egress: the JSON report
    /// `sgpair infer --json` printed with it (its audit.rules marked
    /// removed). Without it only open egress goes.
    #[arg(long, value_name = "FILE")]
    removed: Option<PathBuf>,

    /// Check one group: only its open egress and removed rules go, and only
    /// its connections are listed (close egress group by group).
    #[arg(long, value_name = "ID")]
    group: Option<String>,

    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    read: super::read::ReadArgs,

    /// Start of the window: a duration back from --until (12h, 1d) or an RFC 3339 time.
    #[arg(long, default_value = "1d", value_parser = time_arg)]
    since: String,

    /// End of the window: RFC 3339 time or a duration back from now. Default: now.
    #[arg(long, value_parser = time_arg)]
    until: Option<String>,

    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,

    #[command(flatten)]
    aws: AwsArgs,
}

impl CheckArgs {
    pub fn json(&self) -> bool {
        self.json
    }

    pub fn config(self) -> Result<CheckConfig> {
        let window = Window::parse(&self.since, self.until.as_deref(), SystemTime::now())
            .unwrap_or_else(|e| usage_error(format!("{e:#}")));
        if !self.read.account.is_empty() && self.read.s3.is_empty() {
            usage_error("--account limits the --s3 listing: give --s3");
        }
        // The replay reads records (the pushed-down sources are infer's for
        // now) and writes nothing: check prints.
        Ok(CheckConfig {
            run: self.read.config(window, self.quiet, self.aws.settings()),
            tfvars: self.tfvars,
            removed: self.removed,
            group: self.group,
        })
    }
}
