//! The flags that say what a run reads, one definition for `infer`, `audit`
//! and `check`: the flow-log sources, the S3 scope, the inventory, the
//! layout of headerless logs, the interfaces' history, and how reading
//! goes (partial failures, requests in flight, workers). The window stays
//! with each command (its default differs).
//!
//! [`ReadArgs::config`] is the one place these flags become a run's
//! [`Config`]; each command then adds what is its own.

use std::path::PathBuf;

use clap::Args;

use super::log_format_arg;
use sgpair::parse::Format;
use sgpair::run::{AwsSettings, Config, HistorySource, Outputs, Sources};
use sgpair::sources::s3;
use sgpair::window::Window;

#[derive(Args)]
pub struct ReadArgs {
    /// Flow-log files or folders (read recursively; plain, gzip or Parquet). Repeatable.
    #[arg(long = "logs", value_name = "PATH")]
    pub logs: Vec<PathBuf>,

    /// CloudWatch Logs group that a flow log delivers to. Repeatable.
    #[arg(long = "log-group", value_name = "NAME")]
    pub log_group: Vec<String>,

    /// S3 location a flow log delivers to (s3://bucket/prefix), or where
    /// a CloudWatch Logs export task wrote a log group. Repeatable.
    #[arg(long = "s3", value_name = "URL")]
    pub s3: Vec<s3::S3Url>,

    /// Read only this account's flow logs from the --s3 locations (its
    /// `AWSLogs/{account}/` or `aws-account-id=` folders; the others are not
    /// listed), or from the --athena table (its account partition, else its
    /// account_id column). Repeatable. Default: every account below the prefix.
    #[arg(long = "account", value_name = "ID", value_parser = s3::account_id)]
    pub account: Vec<String>,

    /// Read only this region's flow logs from the --s3 locations (the
    /// region folders below each account), or from the --athena table (its
    /// region partition, else its region column). Repeatable. Default: every
    /// region. (--region is the region sgpair calls AWS in.)
    #[arg(long = "log-region", value_name = "REGION", value_parser = s3::region_name)]
    pub log_region: Vec<String>,

    /// Inventory snapshot (JSON) from `sgpair inventory`; without it, the
    /// inventory is read from the EC2 API. Repeatable: one snapshot per
    /// account and region of an estate (each record is resolved only
    /// against its own account's).
    #[arg(long, value_name = "FILE")]
    pub inventory: Vec<PathBuf>,

    /// Field order of logs without a header line, e.g. the flow log's LogFormat
    /// ("${version} ${interface-id} ..." or plain names).
    #[arg(long, value_name = "FIELDS", value_parser = log_format_arg)]
    pub log_format: Option<Format>,

    /// The interfaces' history: a file of CloudTrail events (what `aws
    /// cloudtrail lookup-events` prints for CreateNetworkInterface,
    /// DeleteNetworkInterface, ModifyNetworkInterfaceAttribute,
    /// Assign/UnassignPrivateIpAddresses, or a trail's file). Deleted
    /// interfaces are then known with the groups they had, and each
    /// connection gets the groups of its time. Repeatable (one file per
    /// event name, as lookup-events takes one at a time). `cloudtrail`:
    /// ask CloudTrail's event history itself (LookupEvents, 90 days).
    /// `config`: AWS Config's recorded history of the interfaces (where
    /// its configuration recorder records AWS::EC2::NetworkInterface).
    #[arg(long, value_name = "FILE|cloudtrail|config")]
    pub history: Vec<PathBuf>,

    /// Go on when a source fails part-way (a truncated file, a denied or
    /// missing log group, an unreadable S3 object): what was read is used,
    /// the report and the summary say what is missing. Without it such a
    /// run fails and writes nothing.
    #[arg(long)]
    pub allow_partial: bool,

    /// Go on even when the run has nothing to go on: no accepted record in
    /// the window (with `--state`: in this run's window, which would age the
    /// stored evidence over a gap in the logs; with `--out-dir`: of a
    /// covered account), an inventory that knows none of the interfaces that
    /// captured the logs, or (`check --group`) a group the logs never saw. A
    /// proposal then allows nothing, and a check passes whatever the rules. Without it
    /// such a run fails and writes nothing: either is far more often a
    /// wrong `--since`, source, inventory or build than a network with no
    /// traffic.
    #[arg(long)]
    pub allow_empty: bool,

    /// AWS requests in flight at once (log streams, S3 objects).
    #[arg(long, default_value_t = 8, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub concurrency: usize,

    /// Threads that read local flow-log files and resolve the connections
    /// (default: one per core); the results are the same for any number.
    #[arg(long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub threads: Option<usize>,
}

impl ReadArgs {
    /// The run that reads what these flags say, over `window`, with the
    /// command's `quiet` and AWS settings. Nothing else is set: no
    /// Terraform variables, no report paths (nothing is written), no
    /// pushed-down source, no finding that fails the run, no avoided
    /// group, no state and the quotas left to Service Quotas or their
    /// defaults. Each command adds its own.
    pub fn config(self, window: Window, quiet: bool, aws: AwsSettings) -> Config {
        Config {
            tfvars: None,
            sources: Sources {
                logs: self.logs,
                log_groups: self.log_group,
                s3: self.s3,
                scope: s3::Scope {
                    accounts: self.account.into_iter().collect(),
                    regions: self.log_region.into_iter().collect(),
                    from_flags: true,
                },
                athena_results: Vec::new(),
                athena: None,
                insights: Vec::new(),
            },
            inventory: self.inventory,
            window,
            log_format: self.log_format,
            outputs: Outputs {
                report: PathBuf::new(),
                html: None,
                sarif: None,
                json: false,
            },
            allow_partial: self.allow_partial,
            allow_empty: self.allow_empty,
            fail_on: None,
            avoid_groups: Vec::new(),
            history: self
                .history
                .into_iter()
                .map(HistorySource::from_value)
                .collect(),
            concurrency: self.concurrency,
            threads: self.threads,
            quiet,
            aws,
            state: None,
            rule_quota: None,
            groups_per_interface: None,
        }
    }
}
