//! What one `infer` or `audit` run does, as plain data: the flags (and the
//! team's `sgpair.toml`) after parsing, with nothing left to check.

use std::path::PathBuf;
use std::time::Duration;

use crate::emit::tfvars::ModuleVersion;
use crate::history;
use crate::parse::Format;
use crate::sources::s3::{S3Url, Scope};
use crate::synthesize::Severity;
use crate::window::Window;

/// One run of `infer` or `audit`.
#[derive(Debug, Clone)]
pub struct Config {
    /// `infer` writes the Terraform variables; `audit` does not.
    pub tfvars: Option<Tfvars>,
    pub sources: Sources,
    /// The inventory snapshots (one per account and region); none: read
    /// it from EC2.
    pub inventory: Vec<PathBuf>,
    pub window: Window,
    /// `--log-format`: the layout of streams without a header line.
    pub log_format: Option<Format>,
    pub outputs: Outputs,
    /// `--allow-partial`.
    pub allow_partial: bool,
    /// `--allow-empty`: go on with a run that has nothing to go on (each
    /// refusal of `empty.rs`: no evidence, an inventory that knows none of
    /// its interfaces, an `--out-dir` account or a `check --group` group
    /// without evidence of its own).
    pub allow_empty: bool,
    /// `--fail-on`: the severity from which a finding trips the run.
    pub fail_on: Option<Severity>,
    /// `--avoid-group` values (ids or names), checked against the inventory.
    pub avoid_groups: Vec<String>,
    pub history: Vec<HistorySource>,
    /// AWS requests in flight at once.
    pub concurrency: usize,
    /// Threads that read local files and resolve the connections
    /// (`--threads`); `None`: one per core.
    pub threads: Option<usize>,
    /// No progress bars.
    pub quiet: bool,
    pub aws: AwsSettings,
    /// `--state`: the evidence kept from run to run.
    pub state: Option<StateSettings>,
    /// `--rule-quota`: rules per group and direction (`infer`); none: read
    /// from Service Quotas when the run is connected to AWS, else 60.
    pub rule_quota: Option<usize>,
    /// `--groups-per-interface` (`infer`); none: read from Service Quotas
    /// when the run is connected to AWS, else 5.
    pub groups_per_interface: Option<usize>,
}

/// `--state FILE` with `--keep` and `--soak`.
#[derive(Debug, Clone)]
pub struct StateSettings {
    pub path: PathBuf,
    /// Evidence last seen longer ago than this (seconds before the window's
    /// end) is forgotten, and its rules proposed for removal.
    pub keep: i64,
    /// A group is ready to close its open egress when nothing only open
    /// egress carries was seen for this long (seconds).
    pub soak: i64,
}

/// Where `infer` writes the Terraform variables, and in which shape.
#[derive(Debug, Clone)]
pub struct Tfvars {
    pub path: PathBuf,
    pub version: ModuleVersion,
    /// `--out-dir`: one file per owning account, `DIR/<account>/` with the
    /// file name of `path`, instead of `path`.
    pub per_account: Option<PathBuf>,
    /// `--terraform DIR`: a root module there too (one per account with
    /// `per_account`).
    pub terraform: Option<Terraform>,
}

/// `--terraform DIR` and `--module-name`.
#[derive(Debug, Clone)]
pub struct Terraform {
    pub dir: PathBuf,
    /// The module block's name, in main.tf and every import address.
    pub module_name: String,
}

/// Where the flow logs come from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub logs: Vec<PathBuf>,
    pub log_groups: Vec<String>,
    pub s3: Vec<S3Url>,
    /// Results of the pushed-down queries, saved as CSV (`--athena-results`).
    pub athena_results: Vec<PathBuf>,
    /// Log groups read through Logs Insights queries (`--insights`).
    pub insights: Vec<String>,
    /// An Athena table the aggregation is pushed down to (`--athena`).
    pub athena: Option<Athena>,
    /// The accounts and regions read from the `--s3` locations (`--account`,
    /// `--log-region`); empty: every one below each prefix.
    pub scope: Scope,
}

/// `--athena TABLE` and its settings.
#[derive(Debug, Clone)]
pub struct Athena {
    pub table: crate::pushdown::sql::Table,
    /// Learn the partition columns from Athena (GetTableMetadata) before
    /// the queries (`--athena-partitions auto`).
    pub layout_from_catalog: bool,
    /// No day filter (`--athena-full-scan`).
    pub full_scan: bool,
    pub database: String,
    pub workgroup: Option<String>,
    pub output: Option<String>,
    pub max_scan_bytes: Option<u64>,
}

/// The reports besides the Terraform variables.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// The Markdown report.
    pub report: PathBuf,
    pub html: Option<PathBuf>,
    pub sarif: Option<PathBuf>,
    /// The JSON report, for stdout.
    pub json: bool,
}

/// Where the interfaces' history comes from (`--history`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistorySource {
    /// A file of CloudTrail events.
    File(PathBuf),
    /// CloudTrail's event history itself (`--history cloudtrail`).
    CloudTrail,
    /// AWS Config's configuration items of interfaces (`--history config`).
    Config,
}

impl HistorySource {
    /// The value `--history` took for it.
    pub const CLOUDTRAIL: &'static str = history::SERVICES[0];
    /// The value `--history` took for it.
    pub const CONFIG: &'static str = history::SERVICES[1];

    /// A `--history` value (or one of `sgpair.toml`'s `history`): a
    /// service's name, else a file (`./config` for a file of that name).
    pub fn from_value(value: PathBuf) -> HistorySource {
        if value.as_os_str() == Self::CLOUDTRAIL {
            HistorySource::CloudTrail
        } else if value.as_os_str() == Self::CONFIG {
            HistorySource::Config
        } else {
            HistorySource::File(value)
        }
    }

    /// As the user wrote it.
    pub fn label(&self) -> String {
        match self {
            HistorySource::File(p) => p.display().to_string(),
            HistorySource::CloudTrail => Self::CLOUDTRAIL.to_string(),
            HistorySource::Config => Self::CONFIG.to_string(),
        }
    }
}

/// How to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// `--role-arn` (with `--external-id`): the inventory of each account
    /// of the run is read through this role in that account.
    pub role: Option<RoleTemplate>,
    /// `--aws-timeout`: a request unanswered, or a download silent, this long is retried.
    pub timeout: Duration,
}

impl Config {
    /// Whether the run reads anything from AWS.
    pub fn needs_aws(&self) -> bool {
        !self.sources.log_groups.is_empty()
            || !self.sources.s3.is_empty()
            || self.sources.athena.is_some()
            || !self.sources.insights.is_empty()
            || self.inventory.is_empty()
            || self
                .history
                .iter()
                .any(|h| !matches!(h, HistorySource::File(_)))
    }
}

/// The role to assume in each account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleTemplate {
    /// An IAM role ARN with `{account}` where the account id goes.
    pub arn: String,
    pub external_id: Option<String>,
}

/// The placeholder `--role-arn` must hold.
pub const ACCOUNT_PLACEHOLDER: &str = "{account}";

impl RoleTemplate {
    /// Checks the template: an IAM role ARN with `{account}` in its account field.
    pub fn new(arn: &str, external_id: Option<String>) -> Result<RoleTemplate, String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        match parts.as_slice() {
            ["arn", _, "iam", "", ACCOUNT_PLACEHOLDER, role] if role.starts_with("role/") => {
                Ok(RoleTemplate {
                    arn: arn.to_string(),
                    external_id,
                })
            }
            _ => Err(format!(
                "{arn:?} is not a role ARN with {ACCOUNT_PLACEHOLDER} for the account, e.g. arn:aws:iam::{ACCOUNT_PLACEHOLDER}:role/sgpair-read"
            )),
        }
    }

    /// The role's ARN in one account.
    pub fn for_account(&self, account: &str) -> String {
        self.arn.replace(ACCOUNT_PLACEHOLDER, account)
    }
}

/// A 12-digit account id.
pub fn check_account(account: &str) -> Result<(), String> {
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("{account:?} is not an AWS account id (12 digits)"))
    }
}
