//! The command line: clap's flags, turned into a [`Config`] that
//! [`sgpair::run::run`] takes. Values are checked here, so a bad one is a
//! usage error (exit code 2) before anything is read.

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, Result};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use sgpair::emit::tfvars::ModuleVersion;
use sgpair::parse::{Format, FormatOrigin};
use sgpair::run::{AwsSettings, Config, HistorySource, Outputs, RoleTemplate, Sources, Tfvars};
use sgpair::sources::s3;
use sgpair::synthesize::Severity;
use sgpair::window::Window;

/// Least-privilege, mutual security-group rules inferred from VPC Flow Logs.
#[derive(Parser)]
#[command(name = "sgpair", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Infer rules from flow logs: writes rules.auto.tfvars and a report.
    Infer(Box<InferArgs>),
    /// Audit today's rules against the flow logs: writes the report (and
    /// --html, --sarif, --json) without the tfvars.
    Audit(Box<AuditArgs>),
    /// Snapshot the EC2 inventory (interfaces, groups, rules, prefix lists,
    /// flow logs) to a file that `infer --inventory` reads offline.
    #[cfg(feature = "aws")]
    Inventory(InventoryArgs),
    /// Write synthetic flow logs of a chosen size, and their inventory.
    Generate(sgpair::generate::GenerateArgs),
}

#[derive(Args)]
pub struct AwsArgs {
    /// AWS profile (default: the standard chain: environment, shared config, SSO, instance role).
    #[arg(long, global = true)]
    profile: Option<String>,

    /// AWS region (default: from the profile or AWS_REGION).
    #[arg(long, global = true)]
    region: Option<String>,

    /// Seconds an AWS request may go unanswered, or an S3 download without a
    /// byte, before it is abandoned and retried (a stalled connection). A
    /// slow download that keeps sending is never cut short.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    aws_timeout: u64,

    /// Read each account through this role, assumed from your credentials
    /// (STS AssumeRole): an IAM role ARN with {account} where the account
    /// id goes, e.g. 'arn:aws:iam::{account}:role/sgpair-read'. The accounts
    /// are those given with --account.
    #[arg(long, global = true, value_name = "ARN")]
    role_arn: Option<String>,

    /// The external id the role's trust policy asks for (with --role-arn).
    #[arg(long, global = true, value_name = "ID", requires = "role_arn")]
    external_id: Option<String>,
}

impl AwsArgs {
    pub fn settings(&self) -> AwsSettings {
        let role = self.role_arn.as_deref().map(|arn| {
            RoleTemplate::new(arn, self.external_id.clone())
                .unwrap_or_else(|e| usage_error(format!("--role-arn: {e}")))
        });
        AwsSettings {
            profile: self.profile.clone(),
            region: self.region.clone(),
            role,
            timeout: std::time::Duration::from_secs(self.aws_timeout),
        }
    }
}

/// `infer`: what every run reads and reports, and the Terraform variables.
#[derive(Args)]
pub struct InferArgs {
    #[command(flatten)]
    common: CommonArgs,

    /// Where to write the Terraform variables.
    #[arg(long, default_value = "rules.auto.tfvars")]
    out: PathBuf,

    /// Input shape of skwashd/mutual-security-groups/aws: 2 (map) or 1 (legacy list).
    #[arg(long, value_enum, default_value = "2")]
    module_version: ModuleArg,

    /// Write one Terraform variables file per account that owns the rules'
    /// groups, DIR/<account>/rules.auto.tfvars (the module applies with one
    /// provider, so each account applies its own); --out is then not written.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// `audit`: the options `infer` and `audit` share, nothing more.
#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    common: CommonArgs,
}

/// The options of `infer` and `audit` both: sources, window, reports, AWS.
#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).multiple(true).args(["logs", "log_group", "s3"])))]
pub struct CommonArgs {
    /// Flow-log files or folders (read recursively; plain, gzip or Parquet). Repeatable.
    #[arg(long = "logs", value_name = "PATH")]
    logs: Vec<PathBuf>,

    /// CloudWatch Logs group that a flow log delivers to. Repeatable.
    #[arg(long = "log-group", value_name = "NAME")]
    log_group: Vec<String>,

    /// S3 location a flow log delivers to (s3://bucket/prefix). Repeatable.
    #[arg(long = "s3", value_name = "URL")]
    s3: Vec<s3::S3Url>,

    /// Read only this account's flow logs from the --s3 locations (its
    /// `AWSLogs/{account}/` or `aws-account-id=` folders; the others are not
    /// listed). Repeatable. Default: every account below the prefix.
    #[arg(long = "account", value_name = "ID", value_parser = s3::account_id)]
    account: Vec<String>,

    /// Read only this region's flow logs from the --s3 locations (the
    /// region folders below each account). Repeatable. Default: every
    /// region. (--region is the region sgpair calls AWS in.)
    #[arg(long = "log-region", value_name = "REGION", requires = "s3", value_parser = s3::region_name)]
    log_region: Vec<String>,

    /// Inventory snapshot (JSON) from `sgpair inventory`; without it, the
    /// inventory is read from the EC2 API. Repeatable: one snapshot per
    /// account and region of an estate (each record is resolved only
    /// against its own account's).
    #[arg(long, value_name = "FILE")]
    inventory: Vec<PathBuf>,

    /// Start of the window: a duration back from --until (30m, 12h, 7d, 2w) or an RFC 3339 time.
    #[arg(long, default_value = "7d", value_parser = time_arg)]
    since: String,

    /// End of the window: RFC 3339 time or a duration back from now. Default: now.
    #[arg(long, value_parser = time_arg)]
    until: Option<String>,

    /// Field order of logs without a header line, e.g. the flow log's LogFormat
    /// ("${version} ${interface-id} ..." or plain names).
    #[arg(long, value_name = "FIELDS", value_parser = log_format_arg)]
    log_format: Option<Format>,

    /// Where to write the report (Markdown).
    #[arg(long, default_value = "sgpair-report.md")]
    report: PathBuf,

    /// Print the report as JSON on stdout (the files are written as usual).
    #[arg(long)]
    json: bool,

    /// Also write the report as a self-contained HTML page with a diagram of
    /// the groups and the proposed rules.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,

    /// Also write the findings as SARIF 2.1.0 for code scanning.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,

    /// Go on when a source fails part-way (a truncated file, a denied or
    /// missing log group, an unreadable S3 object): what was read is used,
    /// the report and the summary say what is missing. Without it such a
    /// run fails and writes nothing.
    #[arg(long)]
    allow_partial: bool,

    /// Exit with code 3 when a finding of this severity or higher exists (for CI).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,

    /// Keep this security group (id or name) out of every proposed rule,
    /// unless nothing else allows a connection (the report then says so);
    /// e.g. a baseline or monitoring-agents group shared across roles. Repeatable.
    #[arg(long = "avoid-group", value_name = "ID|NAME")]
    avoid_group: Vec<String>,

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
    history: Vec<PathBuf>,

    /// The team's choices kept from run to run (avoided groups, history,
    /// inventory): this TOML file, else `sgpair.toml` in the current folder
    /// when there is one. Flags add to its lists and override its values.
    #[arg(long = "config", value_name = "FILE")]
    team_config: Option<PathBuf>,

    /// AWS requests in flight at once (log streams, S3 objects).
    #[arg(long, default_value_t = 8, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    concurrency: usize,

    /// Workers that read local flow-log files (default: one per core).
    #[arg(long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    threads: Option<usize>,

    /// No progress bar and no summary on stderr.
    #[arg(long, short)]
    quiet: bool,

    #[command(flatten)]
    aws: AwsArgs,
}

#[cfg(feature = "aws")]
#[derive(Args)]
pub struct InventoryArgs {
    /// Where to write the snapshot.
    #[arg(long, default_value = "inventory.json")]
    pub out: PathBuf,

    /// Snapshot this account, through --role-arn (repeatable): one file per
    /// account and region in --out-dir, <account>-<region>.json.
    #[arg(long = "account", value_name = "ID", requires_all = ["role_arn", "out_dir"],
          value_parser = account_arg)]
    pub accounts: Vec<String>,

    /// The folder for the snapshots of --account.
    #[arg(long, value_name = "DIR", requires = "accounts")]
    pub out_dir: Option<PathBuf>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    High,
    Medium,
    Low,
}

impl FailOn {
    pub fn severity(self) -> Severity {
        match self {
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
        }
    }
}

/// `--since`/`--until`: checked while the arguments are parsed, so a bad
/// value is a usage error (exit code 2) like any other.
fn time_arg(s: &str) -> Result<String, String> {
    sgpair::window::check_point(s)
        .map(|()| s.to_string())
        .map_err(|e| e.to_string())
}

/// An account id: 12 digits.
#[cfg(feature = "aws")]
fn account_arg(s: &str) -> Result<String, String> {
    sgpair::run::check_account(s).map(|()| s.to_string())
}

/// `--log-format`: field names AWS defines, in an order sgpair can read.
fn log_format_arg(s: &str) -> Result<Format, String> {
    let mut fmt = Format::from_names(s).ok_or("no flow-log field names in it")?;
    fmt.validate().map_err(|e| e.to_string())?;
    fmt.origin = FormatOrigin::Given;
    Ok(fmt)
}

/// A usage error found after parsing (values that are each valid but not
/// together): clap's `error:` text and exit code 2.
fn usage_error(message: impl std::fmt::Display) -> ! {
    use clap::CommandFactory;
    Cli::command()
        .error(clap::error::ErrorKind::ValueValidation, message)
        .exit()
}

#[derive(Clone, Copy, ValueEnum)]
enum ModuleArg {
    #[value(name = "2")]
    V2,
    #[value(name = "1")]
    V1,
}

impl InferArgs {
    pub fn config(self) -> Result<Config> {
        let version = match self.module_version {
            ModuleArg::V2 => ModuleVersion::V2,
            ModuleArg::V1 => ModuleVersion::V1,
        };
        self.common.config(Some(Tfvars {
            path: self.out,
            version,
            per_account: self.out_dir,
        }))
    }
}

impl AuditArgs {
    pub fn config(self) -> Result<Config> {
        self.common.config(None)
    }
}

impl CommonArgs {
    /// The run these flags ask for, with the team's `sgpair.toml` under
    /// them: its lists add up with the flags', a flag wins over its value.
    fn config(mut self, tfvars: Option<Tfvars>) -> Result<Config> {
        let team = sgpair::config::Config::find(
            self.team_config.as_deref(),
            &std::env::current_dir().context("cannot read the current folder")?,
        )?;
        self.avoid_group.extend(team.avoid_groups);
        self.history.extend(team.history);
        if self.inventory.is_empty() {
            self.inventory.extend(team.inventory);
        }
        if !self.account.is_empty() && self.s3.is_empty() && self.aws.role_arn.is_none() {
            usage_error(
                "--account limits the --s3 listing, or names the accounts --role-arn reads: give --s3 or --role-arn",
            );
        }
        if self.aws.role_arn.is_some() && self.account.is_empty() && self.inventory.is_empty() {
            usage_error("--role-arn reads the accounts given with --account: give at least one");
        }
        // Each value was checked by clap; an empty window is a usage error too.
        let window = Window::parse(&self.since, self.until.as_deref(), SystemTime::now())
            .unwrap_or_else(|e| usage_error(format!("{e:#}")));
        let history = self
            .history
            .into_iter()
            .map(HistorySource::from_value)
            .collect();
        Ok(Config {
            tfvars,
            sources: Sources {
                logs: self.logs,
                log_groups: self.log_group,
                s3: self.s3,
                scope: s3::Scope {
                    accounts: self.account.into_iter().collect(),
                    regions: self.log_region.into_iter().collect(),
                },
            },
            inventory: self.inventory,
            window,
            log_format: self.log_format,
            outputs: Outputs {
                report: self.report,
                html: self.html,
                sarif: self.sarif,
                json: self.json,
            },
            allow_partial: self.allow_partial,
            fail_on: self.fail_on.map(FailOn::severity),
            avoid_groups: self.avoid_group,
            history,
            concurrency: self.concurrency,
            threads: self.threads,
            quiet: self.quiet,
            aws: self.aws.settings(),
        })
    }
}
