use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
#[cfg(feature = "aws")]
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context;
use anyhow::Result;
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use sgpair::aggregate::Aggregator;
#[cfg(feature = "aws")]
use sgpair::aws::{self, AwsOptions};
use sgpair::emit::{self, tfvars::ModuleVersion};
use sgpair::history::History;
#[cfg(feature = "aws")]
use sgpair::inventory;
use sgpair::inventory::Inventory;
use sgpair::parse::{Format, FormatOrigin};
use sgpair::pipeline::{self, ReadOptions};
#[cfg(feature = "aws")]
use sgpair::sources::cloudwatch;
use sgpair::sources::s3;
use sgpair::stats::Stats;
use sgpair::synthesize::{Choices, Severity};
use sgpair::window::Window;

/// Least-privilege, mutual security-group rules inferred from VPC Flow Logs.
#[derive(Parser)]
#[command(name = "sgpair", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
struct AwsArgs {
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
}

#[cfg(feature = "aws")]
impl AwsArgs {
    fn options(&self) -> AwsOptions {
        AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            attempt_timeout: std::time::Duration::from_secs(self.aws_timeout),
        }
    }
}

/// `infer`: what every run reads and reports, and the Terraform variables.
#[derive(Args)]
struct InferArgs {
    #[command(flatten)]
    common: CommonArgs,

    /// Where to write the Terraform variables.
    #[arg(long, default_value = "rules.auto.tfvars")]
    out: PathBuf,

    /// Input shape of skwashd/mutual-security-groups/aws: 2 (map) or 1 (legacy list).
    #[arg(long, value_enum, default_value = "2")]
    module_version: ModuleArg,
}

/// `audit`: the options `infer` and `audit` share, nothing more.
#[derive(Args)]
struct AuditArgs {
    #[command(flatten)]
    common: CommonArgs,
}

/// The options of `infer` and `audit` both: sources, window, reports, AWS.
#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).multiple(true).args(["logs", "log_group", "s3"])))]
struct CommonArgs {
    /// Flow-log files or folders (read recursively; plain, gzip or Parquet). Repeatable.
    #[arg(long = "logs", value_name = "PATH")]
    logs: Vec<PathBuf>,

    /// CloudWatch Logs group that a flow log delivers to. Repeatable.
    #[arg(long = "log-group", value_name = "NAME")]
    log_group: Vec<String>,

    /// S3 location a flow log delivers to (s3://bucket/prefix). Repeatable.
    #[arg(long = "s3", value_name = "URL")]
    s3: Vec<s3::S3Url>,

    /// Inventory snapshot (JSON) from `sgpair inventory`; without it, the
    /// inventory is read from the EC2 API.
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,

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
    #[arg(long, value_name = "FILE")]
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

    /// No progress bar and no summary on stderr.
    #[arg(long, short)]
    quiet: bool,

    #[command(flatten)]
    aws: AwsArgs,
}

#[cfg(feature = "aws")]
#[derive(Args)]
struct InventoryArgs {
    /// Where to write the snapshot.
    #[arg(long, default_value = "inventory.json")]
    out: PathBuf,

    #[command(flatten)]
    aws: AwsArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    High,
    Medium,
    Low,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
        }
    }
}

/// `--history cloudtrail`: read the history from CloudTrail itself.
const LIVE_HISTORY: &str = "cloudtrail";

/// Exit code when `--fail-on` trips: distinct from 1 (an error) and 2 (usage).
const EXIT_FINDINGS: u8 = 3;

/// Exit code of a usage error, as clap exits on one.
const EXIT_USAGE: u8 = 2;

/// Errors found after parsing that are still the user's flag values: a
/// `--profile` that names no profile.
fn is_usage_error(e: &anyhow::Error) -> bool {
    #[cfg(feature = "aws")]
    if e.chain()
        .filter_map(|c| c.downcast_ref::<aws::UnknownProfile>())
        .any(|p| p.from_flag)
    {
        return true;
    }
    let _ = e;
    false
}

/// `--since`/`--until`: checked while the arguments are parsed, so a bad
/// value is a usage error (exit code 2) like any other.
fn time_arg(s: &str) -> Result<String, String> {
    sgpair::window::check_point(s)
        .map(|()| s.to_string())
        .map_err(|e| e.to_string())
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

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("RUST_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Infer(args) => {
            let InferArgs {
                common,
                out,
                module_version,
            } = *args;
            infer(common, Some((out, module_version)))
        }
        Command::Audit(args) => infer(args.common, None),
        #[cfg(feature = "aws")]
        Command::Inventory(args) => snapshot(args).map(|()| ExitCode::SUCCESS),
        Command::Generate(args) => sgpair::generate::run(&args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if is_usage_error(&e) {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

#[cfg(feature = "aws")]
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[cfg(feature = "aws")]
fn snapshot(args: InventoryArgs) -> Result<()> {
    let rt = runtime()?;
    let inv = rt.block_on(async {
        let config = aws::connect(&args.aws.options()).await?;
        inventory::ec2::fetch(&config).await
    })?;
    let text = serde_json::to_string_pretty(&inv).context("cannot serialise the inventory")? + "\n";
    emit::write_atomic(&args.out, text.as_bytes())?;
    eprintln!(
        "wrote {}: {} interfaces, {} security groups, {} prefix lists, {} flow logs",
        args.out.display(),
        inv.network_interfaces.len(),
        inv.security_groups.len(),
        inv.prefix_lists.len(),
        inv.flow_logs.len()
    );
    Ok(())
}

/// `--avoid-group` values as group ids: an id, or a name that names exactly one group.
fn avoided_groups(values: &[String], inv: &Inventory) -> Result<BTreeSet<String>> {
    values
        .iter()
        .map(|v| {
            if inv.group(v).is_some() {
                return Ok(v.clone());
            }
            let named: Vec<&str> = inv
                .security_groups
                .iter()
                .filter(|g| g.name == *v)
                .map(|g| g.id.as_str())
                .collect();
            match named.as_slice() {
                [one] => Ok(one.to_string()),
                [] => anyhow::bail!(
                    "--avoid-group {v:?}: no security group of the inventory has this id or name"
                ),
                many => anyhow::bail!(
                    "--avoid-group {v:?}: {} groups have this name ({}); give the id",
                    many.len(),
                    many.join(", ")
                ),
            }
        })
        .collect()
}

/// `infer` (with where to write the tfvars and in which shape) and `audit`
/// (without).
fn infer(mut args: CommonArgs, tfvars: Option<(PathBuf, ModuleArg)>) -> Result<ExitCode> {
    // The team's sgpair.toml under the flags: lists add up, a flag wins.
    let team = sgpair::config::Config::find(
        args.team_config.as_deref(),
        &std::env::current_dir().context("cannot read the current folder")?,
    )?;
    args.avoid_group.extend(team.avoid_groups);
    args.history.extend(team.history);
    args.inventory = args.inventory.or(team.inventory);
    // Each value was checked by clap; an empty window is a usage error too.
    let window = Window::parse(&args.since, args.until.as_deref(), SystemTime::now())
        .unwrap_or_else(|e| usage_error(format!("{e:#}")));
    let log_format = args.log_format.clone();
    let opts = ReadOptions {
        window,
        log_format,
        allow_partial: args.allow_partial,
    };
    let live_history = args.history.iter().any(|p| p.as_os_str() == LIVE_HISTORY);
    let needs_aws = !args.log_group.is_empty()
        || !args.s3.is_empty()
        || args.inventory.is_none()
        || live_history;
    #[cfg(not(feature = "aws"))]
    if needs_aws {
        anyhow::bail!(
            "this sgpair was built without the `aws` feature: give local files with --logs and the inventory with --inventory FILE (or build with default features)"
        );
    }
    #[cfg(feature = "aws")]
    let rt = if needs_aws { Some(runtime()?) } else { None };
    #[cfg(feature = "aws")]
    let config = match &rt {
        Some(rt) => Some(rt.block_on(aws::connect(&args.aws.options()))?),
        None => None,
    };

    #[cfg(feature = "aws")]
    let inventory = match (&args.inventory, &rt, &config) {
        (Some(path), _, _) => Inventory::load(path)?,
        (None, Some(rt), Some(config)) => rt
            .block_on(inventory::ec2::fetch(config))
            .context("reading the inventory from EC2 (or give a snapshot with --inventory FILE)")?,
        _ => unreachable!("a runtime exists when no inventory file is given"),
    };
    #[cfg(not(feature = "aws"))]
    let inventory = Inventory::load(args.inventory.as_deref().expect("refused above"))?;

    #[cfg_attr(not(feature = "aws"), allow(unused_mut))]
    let (mut agg, mut stats) = if args.logs.is_empty() {
        (Aggregator::new(), Stats::default())
    } else {
        pipeline::read_files(&args.logs, &opts, args.quiet)?
    };
    #[cfg(feature = "aws")]
    if let (Some(rt), Some(config)) = (&rt, &config) {
        let shared = Arc::new(opts.clone());
        let pb = pipeline::progress_counter("AWS streams and objects", args.quiet);
        if !args.log_group.is_empty() {
            let logs = aws_sdk_cloudwatchlogs::Client::new(config);
            for group in &args.log_group {
                let format = cloudwatch::group_format(
                    group,
                    inventory.log_format_for_group(group),
                    &opts,
                    &mut stats,
                );
                let read = rt.block_on(cloudwatch::read_group(
                    &logs,
                    group,
                    format,
                    shared.clone(),
                    args.concurrency,
                    &pb,
                ));
                match read {
                    Ok((a, mut s)) => {
                        s.roll_up(&format!("log group {group}"));
                        agg.merge(a);
                        stats.merge(s);
                    }
                    Err(e) if args.allow_partial => {
                        stats.missing.push(format!("log group {group}: {e:#}"))
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        if !args.s3.is_empty() {
            let client = aws::s3_client(config);
            for url in &args.s3 {
                let read = rt.block_on(async {
                    let keys = s3::list(&client, url, &window).await?;
                    tracing::info!(bucket = %url.bucket, objects = keys.len(), "reading S3 objects");
                    s3::read(&client, url, keys, shared.clone(), args.concurrency, &pb).await
                });
                match read {
                    Ok((a, mut s)) => {
                        s.roll_up(&format!("s3://{}/{}", url.bucket, url.prefix));
                        agg.merge(a);
                        stats.merge(s);
                    }
                    Err(e) if args.allow_partial => stats
                        .missing
                        .push(format!("s3://{}/{}: {e:#}", url.bucket, url.prefix)),
                    Err(e) => return Err(e),
                }
            }
        }
        pb.finish_and_clear();
    }
    let choices = Choices {
        avoid: avoided_groups(&args.avoid_group, &inventory)?,
    };
    let mut history = History::default();
    for path in &args.history {
        let h = if path.as_os_str() == LIVE_HISTORY {
            #[cfg(feature = "aws")]
            {
                let (Some(rt), Some(config)) = (&rt, &config) else {
                    unreachable!("a runtime exists for --history cloudtrail")
                };
                let oldest = SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64)
                    - sgpair::history::LOOKUP_DAYS * 86_400;
                let since = window.since.max(oldest);
                if since > window.since {
                    stats.notes.push(format!(
                        "--history cloudtrail: CloudTrail keeps {} days of events; the window's start before that has no history",
                        sgpair::history::LOOKUP_DAYS
                    ));
                }
                rt.block_on(sgpair::history::lookup(config, since, window.until.max(since)))
                    .context("reading the interfaces' history from CloudTrail (or give lookup-events files with --history FILE)")?
            }
            #[cfg(not(feature = "aws"))]
            anyhow::bail!(
                "--history cloudtrail: this sgpair was built without the `aws` feature; give lookup-events files with --history FILE"
            )
        } else {
            History::load(path)?
        };
        if h.skipped > 0 {
            stats.notes.push(format!(
                "{}: {} events were not interface changes that succeeded, and were not used",
                path.display(),
                h.skipped
            ));
        }
        history.merge(h);
    }
    let analysis =
        sgpair::analysis::analyze_with(window, stats, agg.finish(), inventory, &choices, &history);

    // Once per run: every report below and the summary on stderr share it.
    let audit = sgpair::audit::audit(&analysis);
    let mut warnings = Vec::new();
    let mut written = Vec::new();
    if let Some((out, module_version)) = &tfvars {
        let version = match module_version {
            ModuleArg::V2 => ModuleVersion::V2,
            ModuleArg::V1 => ModuleVersion::V1,
        };
        let (tfvars, w) = emit::tfvars::render(&analysis, version);
        warnings = w;
        emit::write_atomic(out, tfvars.as_bytes())?;
        written.push(out.display().to_string());
    }
    emit::write_atomic(
        &args.report,
        emit::report::markdown(&analysis, &audit).as_bytes(),
    )?;
    written.push(args.report.display().to_string());
    if let Some(path) = &args.html {
        let command = if tfvars.is_some() {
            emit::Command::Infer
        } else {
            emit::Command::Audit
        };
        emit::write_atomic(
            path,
            emit::html::render(&analysis, &audit, command).as_bytes(),
        )?;
        written.push(path.display().to_string());
    }
    if let Some(path) = &args.sarif {
        // Results point at the inventory: the file the groups come from.
        let text = args
            .inventory
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok());
        let artifact = emit::sarif::Artifact {
            path: args
                .inventory
                .as_ref()
                .map_or_else(|| "inventory.json".to_string(), |p| p.display().to_string()),
            text: text.as_deref(),
        };
        emit::write_atomic(
            path,
            emit::sarif::render(&analysis, &audit, &artifact).as_bytes(),
        )?;
        written.push(path.display().to_string());
    }
    if args.json {
        println!("{}", emit::report::json(&analysis, &audit));
    }
    if !args.quiet {
        for note in &analysis.stats.notes {
            eprintln!("note: {note}");
        }
        for (reason, places) in &analysis.stats.examples {
            for p in places {
                eprintln!("skipped ({reason}): {p}");
            }
        }
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        for m in &analysis.stats.missing {
            eprintln!("warning: incomplete evidence (--allow-partial): {m}");
        }
        eprintln!("{}", analysis.stats.summary());
        // The reports' summary, in their words (README, "Words").
        for line in emit::terminal_summary(&analysis, &audit) {
            eprintln!("{line}");
        }
        eprintln!("wrote {}", written.join(", "));
    }
    if let Some(level) = args.fail_on {
        let tripped = audit
            .findings
            .iter()
            .filter(|f| f.severity >= level.severity())
            .count();
        if tripped > 0 {
            eprintln!(
                "--fail-on: {tripped} {} at {} severity or higher",
                if tripped == 1 { "finding" } else { "findings" },
                format!("{:?}", level.severity()).to_lowercase()
            );
            return Ok(ExitCode::from(EXIT_FINDINGS));
        }
    }
    Ok(ExitCode::SUCCESS)
}
