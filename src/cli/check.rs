//! `sgpair check`'s flags: the proposal, and the sources as `infer` reads
//! them (without the reports `infer` writes).

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::Result;
use clap::{ArgGroup, Args};

use super::{AwsArgs, log_format_arg, time_arg, usage_error};
use sgpair::parse::Format;
use sgpair::run::{CheckConfig, Config, HistorySource, Outputs, Sources};
use sgpair::sources::s3;
use sgpair::window::Window;

#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).multiple(true).args(["logs", "log_group", "s3"])))]
pub struct CheckArgs {
    /// The proposal: the Terraform variables `sgpair infer` wrote (module 2
    /// map or module 1 list), as applied or about to be.
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

    /// Flow-log files or folders (read recursively; plain, gzip or Parquet). Repeatable.
    #[arg(long = "logs", value_name = "PATH")]
    logs: Vec<PathBuf>,

    /// CloudWatch Logs group that a flow log delivers to. Repeatable.
    #[arg(long = "log-group", value_name = "NAME")]
    log_group: Vec<String>,

    /// S3 location a flow log delivers to (s3://bucket/prefix). Repeatable.
    #[arg(long = "s3", value_name = "URL")]
    s3: Vec<s3::S3Url>,

    /// Read only this account's flow logs from the --s3 locations. Repeatable.
    #[arg(long = "account", value_name = "ID", value_parser = s3::account_id)]
    account: Vec<String>,

    /// Read only this region's flow logs from the --s3 locations. Repeatable.
    #[arg(long = "log-region", value_name = "REGION", requires = "s3", value_parser = s3::region_name)]
    log_region: Vec<String>,

    /// Inventory snapshot (JSON) from `sgpair inventory`; without it, read
    /// from the EC2 API. Repeatable.
    #[arg(long, value_name = "FILE")]
    inventory: Vec<PathBuf>,

    /// Start of the window: a duration back from --until (12h, 1d) or an RFC 3339 time.
    #[arg(long, default_value = "1d", value_parser = time_arg)]
    since: String,

    /// End of the window: RFC 3339 time or a duration back from now. Default: now.
    #[arg(long, value_parser = time_arg)]
    until: Option<String>,

    /// Field order of logs without a header line.
    #[arg(long, value_name = "FIELDS", value_parser = log_format_arg)]
    log_format: Option<Format>,

    /// The interfaces' history (a file of CloudTrail events, `cloudtrail` or `config`). Repeatable.
    #[arg(long, value_name = "FILE|cloudtrail|config")]
    history: Vec<PathBuf>,

    /// Go on when a source fails part-way; what is missing is said.
    #[arg(long)]
    allow_partial: bool,

    /// AWS requests in flight at once.
    #[arg(long, default_value_t = 8, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    concurrency: usize,

    /// Workers that read local flow-log files (default: one per core).
    #[arg(long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    threads: Option<usize>,

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
        if !self.account.is_empty() && self.s3.is_empty() {
            usage_error("--account limits the --s3 listing: give --s3");
        }
        Ok(CheckConfig {
            run: Config {
                tfvars: None,
                sources: Sources {
                    logs: self.logs,
                    log_groups: self.log_group,
                    s3: self.s3,
                    scope: s3::Scope {
                        accounts: self.account.into_iter().collect(),
                        regions: self.log_region.into_iter().collect(),
                    },
                    // The replay reads records; the pushed-down sources
                    // are infer's for now.
                    athena_results: Vec::new(),
                    athena: None,
                    insights: Vec::new(),
                },
                inventory: self.inventory,
                window,
                log_format: self.log_format,
                // Nothing is written: check prints.
                outputs: Outputs {
                    report: PathBuf::new(),
                    html: None,
                    sarif: None,
                    json: false,
                },
                allow_partial: self.allow_partial,
                fail_on: None,
                avoid_groups: Vec::new(),
                history: self
                    .history
                    .into_iter()
                    .map(HistorySource::from_value)
                    .collect(),
                concurrency: self.concurrency,
                threads: self.threads,
                quiet: self.quiet,
                aws: self.aws.settings(),
                state: None,
                rule_quota: None,
            },
            tfvars: self.tfvars,
            removed: self.removed,
            group: self.group,
        })
    }
}
