//! The command line: clap's flags, turned into a [`Config`] that
//! [`sgpair::run::run`] takes. Values are checked here, so a bad one is a
//! usage error (exit code 2) before anything is read.

pub mod check;
mod quota;
mod read;
mod state;
mod terraform;

use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{Context, Result};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use sgpair::emit::tfvars::ModuleVersion;
use sgpair::parse::{Format, FormatOrigin};
use sgpair::run::{AwsSettings, Config, Outputs, RoleTemplate, Tfvars};
#[cfg(feature = "aws")]
use sgpair::sources::s3;
use sgpair::synthesize::Severity;
use sgpair::window::Window;

/// What each exit code means, under every command's help.
const EXIT_CODES: &str = "Exit codes: 0 done; 1 an error (an input that cannot be read, no evidence, an output that cannot be written: nothing was written); 2 a usage error (a bad or conflicting option, two outputs naming one file, an output naming an input or a folder); 3 --fail-on found a finding at or above its severity; 4 check: an accepted connection would be blocked; 5 infer: the proposal passes the rules-per-group quota (nothing was written); 6 check: nothing would be blocked, but not everything given could be read (inconclusive). With --json, a failed run prints {\"error\": {\"kind\", \"exit_code\", \"message\", \"causes\"}} on stdout.";

/// Least-privilege, mutual security-group rules inferred from VPC Flow Logs.
#[derive(Parser)]
#[command(name = "sgpair", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Infer rules from flow logs: writes rules.auto.tfvars and a report.
    #[command(after_help = EXIT_CODES)]
    Infer(Box<InferArgs>),
    /// Audit today's rules against the flow logs: writes the report (and
    /// --html, --sarif, --json) without the tfvars.
    #[command(after_help = EXIT_CODES)]
    Audit(Box<AuditArgs>),
    /// Snapshot the EC2 inventory (interfaces, groups, rules, prefix lists,
    /// flow logs) to a file that `infer --inventory` reads offline.
    #[cfg(feature = "aws")]
    Inventory(InventoryArgs),
    /// Replay new flow logs against a proposal: list every accepted
    /// connection that would be blocked once open egress and the removed
    /// rules are gone, per group; exit code 4 when there is one.
    #[command(after_help = EXIT_CODES)]
    Check(Box<check::CheckArgs>),
    /// Write synthetic flow logs of a chosen size, and their inventory.
    Generate(sgpair::generate::GenerateArgs),
    /// Print (or create, with --apply) the Athena table over a flow log's
    /// records in S3, with partition projection on the day, for --athena.
    #[cfg(feature = "aws")]
    AthenaTable(Box<AthenaTableArgs>),
}

/// `athena-table`: the flow log's table.
#[cfg(feature = "aws")]
#[derive(Args)]
#[command(group(ArgGroup::new("fields").required(true).args(["flow_log_id", "log_format"])))]
pub struct AthenaTableArgs {
    /// The table's name.
    #[arg(long, default_value = "vpc_flow_logs")]
    pub table: String,

    /// The S3 location the flow log delivers to (the folder holding AWSLogs/).
    #[arg(long, value_name = "URL")]
    pub s3: s3::S3Url,

    /// An account whose records the table reads (a value of its `accid`
    /// partition). Repeatable.
    #[arg(long, value_name = "ID", value_parser = s3::account_id, required = true)]
    pub account: Vec<String>,

    /// A region whose records the table reads (a value of its `log_region`
    /// partition). Repeatable.
    #[arg(long = "log-region", value_name = "REGION", value_parser = s3::region_name, required = true)]
    pub log_region: Vec<String>,

    /// The flow log whose LogFormat gives the columns (EC2 DescribeFlowLogs).
    #[arg(long, value_name = "ID")]
    pub flow_log_id: Option<String>,

    /// The columns, as the flow log's LogFormat (`${version} ${account-id} ...`).
    #[arg(long, value_name = "FIELDS", value_parser = log_format_arg)]
    pub log_format: Option<Format>,

    /// The flow log writes Parquet files (FileFormat=parquet).
    #[arg(long)]
    pub parquet: bool,

    /// The first day the projection covers (yyyy/MM/dd).
    #[arg(long, default_value = "2020/01/01", value_name = "DAY")]
    pub first_day: String,

    /// Run the DDL in Athena instead of printing it.
    #[arg(long)]
    pub apply: bool,

    /// The database to create it in (with --apply).
    #[arg(long, default_value = "default", value_name = "NAME")]
    pub database: String,

    /// The workgroup the DDL runs in (with --apply).
    #[arg(long, value_name = "NAME")]
    pub workgroup: Option<String>,

    /// Where Athena writes the DDL's result (with --apply), where the workgroup does not set it.
    #[arg(long, value_name = "URL")]
    pub output: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,
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

    /// Where to write the Terraform variables [default: rules.auto.tfvars,
    /// or DIR/rules.auto.tfvars with --terraform DIR].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Input shape of skwashd/mutual-security-groups/aws: 2 (map) or 1 (legacy list).
    #[arg(long, value_enum, default_value = "2")]
    module_version: ModuleArg,

    /// Write one Terraform variables file per account that owns the rules'
    /// groups, DIR/<account>/rules.auto.tfvars (the module applies with one
    /// provider, so each account applies its own); --out is then not written.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,

    #[command(flatten)]
    state: state::StateArgs,

    #[command(flatten)]
    quota: quota::QuotaArgs,

    #[command(flatten)]
    terraform: terraform::TerraformArgs,
}

/// `audit`: the options `infer` and `audit` share, nothing more.
#[derive(Args)]
pub struct AuditArgs {
    #[command(flatten)]
    common: CommonArgs,
}

/// The options of `infer` and `audit` both: sources, window, reports, AWS.
#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).multiple(true).args(["logs", "log_group", "s3", "athena_results", "athena", "insights"])))]
pub struct CommonArgs {
    #[command(flatten)]
    read: read::ReadArgs,

    /// The CSV result of one of the queries `--athena` runs, saved (Athena
    /// writes it to the output location): read as the rows, not the records.
    /// Repeatable: the connections' and the timeline's.
    #[arg(long = "athena-results", value_name = "CSV")]
    athena_results: Vec<PathBuf>,

    /// A CloudWatch Logs group of flow logs read through Logs Insights: one
    /// `stats` query per time slice runs there and only its rows come back
    /// (format: the flow log's LogFormat, or --log-format). Repeatable.
    #[arg(long = "insights", value_name = "LOG_GROUP")]
    insights: Vec<String>,

    /// An Athena table over the flow logs in S3: the aggregation runs there
    /// (two queries) and only its rows come back. Its columns are the
    /// flow log's fields (--log-format, default AWS's documented table).
    #[arg(long = "athena", value_name = "TABLE")]
    athena: Option<String>,

    /// The Athena database (Glue catalog) of --athena's table.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "default",
        requires = "athena"
    )]
    athena_database: String,

    /// The Athena workgroup the queries run in.
    #[arg(long, value_name = "NAME", requires = "athena")]
    athena_workgroup: Option<String>,

    /// Where Athena writes the results (s3://...), where the workgroup does not set it.
    #[arg(long, value_name = "URL", requires = "athena")]
    athena_output: Option<String>,

    /// Which partition columns the queries filter on: `auto` (the table's
    /// partition keys, from Athena's GetTableMetadata: the day's, and the
    /// account's and region's for --account / --log-region), `day` (one yyyy/MM/dd
    /// `day` column), `hive` (AWS's Hive layout: `aws-account-id`,
    /// `aws-region`, `year`, `month`, `day`) or `sgpair` (`sgpair
    /// athena-table`'s: `accid`, `log_region`, `day`).
    #[arg(long, value_name = "LAYOUT", default_value = "auto", requires = "athena",
          value_parser = ["auto", "day", "hive", "sgpair"])]
    athena_partitions: String,

    /// Run --athena's queries on a table without a partition filter (every
    /// file of the table is read and billed).
    #[arg(long, requires = "athena")]
    athena_full_scan: bool,

    /// Stop an Athena query that has scanned more than this many GB.
    #[arg(long, value_name = "GB", requires = "athena")]
    max_scan_gb: Option<f64>,

    /// Start of the window: a duration back from --until (30m, 12h, 7d, 2w) or an RFC 3339 time.
    #[arg(long, default_value = "7d", value_parser = time_arg)]
    since: String,

    /// End of the window: RFC 3339 time or a duration back from now. Default: now.
    #[arg(long, value_parser = time_arg)]
    until: Option<String>,

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

    /// Exit with code 3 when a finding of this severity or higher exists (for CI).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,

    /// Keep this security group (id or name) out of every proposed rule,
    /// unless nothing else allows a connection (the report then says so);
    /// e.g. a baseline or monitoring-agents group shared across roles. Repeatable.
    #[arg(long = "avoid-group", value_name = "ID|NAME")]
    avoid_group: Vec<String>,

    /// The team's choices kept from run to run (avoided groups, history,
    /// inventory): this TOML file, else `sgpair.toml` in the current folder
    /// when there is one. Flags add to its lists and override its values.
    #[arg(long = "config", value_name = "FILE")]
    team_config: Option<PathBuf>,

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
    let message = message.to_string();
    crate::json_error("usage", 2, &message, &[]);
    // The usage line of the command that was run, not of sgpair as a whole.
    let mut cli = Cli::command();
    cli.build();
    let mut command = std::env::args()
        .nth(1)
        .and_then(|name| cli.find_subcommand(&name).cloned())
        .unwrap_or(cli);
    command
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
        let terraform = self.terraform.config();
        if terraform.is_some() && version == ModuleVersion::V1 {
            usage_error(
                "--terraform writes a folder for the module's 2.x input: leave out --module-version 1",
            );
        }
        // With --terraform and no --out, the folder's file is the one file.
        let path = match (self.out, &terraform) {
            (Some(out), _) => out,
            (None, Some(t)) if self.out_dir.is_none() => t.dir.join("rules.auto.tfvars"),
            (None, _) => PathBuf::from("rules.auto.tfvars"),
        };
        let mut cfg = self.common.config(Some(Tfvars {
            path,
            version,
            per_account: self.out_dir,
            terraform,
        }))?;
        // Folders of outputs inside the logs folder: the next run over it
        // would read every file they hold as flow logs.
        let folders = cfg.tfvars.iter().flat_map(|t| {
            let tf = t
                .terraform
                .as_ref()
                .map(|tf| ("--terraform", &tf.dir, ".tf files"));
            let out = t
                .per_account
                .as_ref()
                .map(|d| ("--out-dir", d, "accounts' files"));
            tf.into_iter().chain(out)
        });
        for (flag, dir, files) in folders {
            if let Some(logs) = sgpair::run::folder_inside_logs(dir, &cfg.sources.logs) {
                usage_error(format!(
                    "{flag} names {}, which is inside the folder --logs reads ({}): the next run over that folder would read the {files} as flow logs; give {flag} a folder outside it",
                    dir.display(),
                    logs.display()
                ));
            }
        }
        cfg.state = self.state.settings();
        cfg.rule_quota = self.quota.rule_quota;
        cfg.groups_per_interface = self.quota.groups_per_interface;
        Ok(cfg)
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
        self.read.history.extend(team.history);
        if self.read.inventory.is_empty() {
            self.read.inventory.extend(team.inventory);
        }
        if !self.read.account.is_empty()
            && self.read.s3.is_empty()
            && self.aws.role_arn.is_none()
            && self.athena.is_none()
        {
            usage_error(
                "--account limits the --s3 listing or the --athena table, or names the accounts --role-arn reads: give --s3, --athena or --role-arn",
            );
        }
        if !self.read.log_region.is_empty() && self.read.s3.is_empty() && self.athena.is_none() {
            usage_error(
                "--log-region limits the --s3 listing or the --athena table: give --s3 or --athena",
            );
        }
        if self.aws.role_arn.is_some()
            && self.read.account.is_empty()
            && self.read.inventory.is_empty()
        {
            usage_error("--role-arn reads the accounts given with --account: give at least one");
        }
        // Each value was checked by clap; an empty window is a usage error too.
        let window = Window::parse(&self.since, self.until.as_deref(), SystemTime::now())
            .unwrap_or_else(|e| usage_error(format!("{e:#}")));
        let athena = self.athena.map(|name| {
            let name = sgpair::pushdown::sql::quote_name(&name)
                .unwrap_or_else(|e| usage_error(format!("--athena: {e}")));
            let format = self
                .read
                .log_format
                .clone()
                .unwrap_or_else(athena_default_format);
            use sgpair::pushdown::sql::Partition;
            let q = |c: &str| format!("\"{c}\"");
            let (partition, account_column, region_column) = match self.athena_partitions.as_str() {
                "hive" => (
                    Partition::Hive {
                        year: q("year"),
                        month: q("month"),
                        day: q("day"),
                    },
                    Some(q("aws-account-id")),
                    Some(q("aws-region")),
                ),
                "sgpair" => (
                    Partition::Day(q("day")),
                    Some(q("accid")),
                    Some(q("log_region")),
                ),
                _ => (Partition::Day(q("day")), None, None),
            };
            sgpair::run::Athena {
                table: sgpair::pushdown::sql::Table {
                    name,
                    fields: format.columns.iter().flatten().copied().collect(),
                    partition,
                    account_column,
                    region_column,
                    accounts: self.read.account.clone(),
                    regions: self.read.log_region.clone(),
                },
                layout_from_catalog: self.athena_partitions == "auto",
                full_scan: self.athena_full_scan,
                database: self.athena_database.clone(),
                workgroup: self.athena_workgroup.clone(),
                output: self.athena_output.clone(),
                max_scan_bytes: self.max_scan_gb.map(|g| (g * 1e9) as u64),
            }
        });
        let mut cfg = self.read.config(window, self.quiet, self.aws.settings());
        cfg.tfvars = tfvars;
        cfg.sources.athena_results = self.athena_results;
        cfg.sources.insights = self.insights;
        cfg.sources.athena = athena;
        cfg.outputs = Outputs {
            report: self.report,
            html: self.html,
            sarif: self.sarif,
            json: self.json,
        };
        cfg.fail_on = self.fail_on.map(FailOn::severity);
        cfg.avoid_groups = self.avoid_group;
        Ok(cfg)
    }
}

/// The columns of AWS's documented flow-log table (v2 to v5 fields).
fn athena_default_format() -> Format {
    Format::from_names(
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes \
         start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr \
         pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service \
         pkt-dst-aws-service flow-direction traffic-path",
    )
    .expect("the documented columns are flow-log fields")
}
