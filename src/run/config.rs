//! What one `infer` or `audit` run does, as plain data: the flags (and the
//! team's `sgpair.toml`) after parsing, with nothing left to check.

use std::path::PathBuf;
use std::time::Duration;

use crate::emit::tfvars::ModuleVersion;
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
    /// The inventory snapshot; `None`: read it from EC2.
    pub inventory: Option<PathBuf>,
    pub window: Window,
    /// `--log-format`: the layout of streams without a header line.
    pub log_format: Option<Format>,
    pub outputs: Outputs,
    /// `--allow-partial`.
    pub allow_partial: bool,
    /// `--fail-on`: the severity from which a finding trips the run.
    pub fail_on: Option<Severity>,
    /// `--avoid-group` values (ids or names), checked against the inventory.
    pub avoid_groups: Vec<String>,
    pub history: Vec<HistorySource>,
    /// AWS requests in flight at once.
    pub concurrency: usize,
    /// Workers that read local files (`--threads`); `None`: one per core.
    pub threads: Option<usize>,
    /// No progress bars.
    pub quiet: bool,
    pub aws: AwsSettings,
}

/// Where `infer` writes the Terraform variables, and in which shape.
#[derive(Debug, Clone)]
pub struct Tfvars {
    pub path: PathBuf,
    pub version: ModuleVersion,
}

/// Where the flow logs come from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub logs: Vec<PathBuf>,
    pub log_groups: Vec<String>,
    pub s3: Vec<S3Url>,
    /// The accounts and regions read from the `--s3` locations (`--account`,
    /// `--log-region`); empty: every one below each prefix.
    pub scope: Scope,
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
}

impl HistorySource {
    /// The value `--history` took for it.
    pub const CLOUDTRAIL: &'static str = "cloudtrail";

    /// As the user wrote it.
    pub fn label(&self) -> String {
        match self {
            HistorySource::File(p) => p.display().to_string(),
            HistorySource::CloudTrail => Self::CLOUDTRAIL.to_string(),
        }
    }
}

/// How to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// `--aws-timeout`: a request unanswered, or a download silent, this long is retried.
    pub timeout: Duration,
}

impl Config {
    /// Whether the run reads anything from AWS.
    pub fn needs_aws(&self) -> bool {
        !self.sources.log_groups.is_empty()
            || !self.sources.s3.is_empty()
            || self.inventory.is_none()
            || self.history.contains(&HistorySource::CloudTrail)
    }
}
