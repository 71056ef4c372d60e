use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use sgpair::emit::{self, tfvars::ModuleVersion};
use sgpair::inventory::Inventory;
use sgpair::parse::{Format, FormatOrigin};
use sgpair::pipeline::{self, ReadOptions};
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
    Infer(InferArgs),
}

#[derive(Args)]
struct InferArgs {
    /// Flow-log files or folders (read recursively; plain or gzip). Repeatable.
    #[arg(long = "logs", value_name = "PATH", required = true)]
    logs: Vec<PathBuf>,

    /// Inventory snapshot (JSON): interfaces, addresses, security groups.
    #[arg(long, value_name = "FILE")]
    inventory: PathBuf,

    /// Start of the window: a duration back from --until (30m, 12h, 7d, 2w) or an RFC 3339 time.
    #[arg(long, default_value = "7d")]
    since: String,

    /// End of the window: RFC 3339 time or a duration back from now. Default: now.
    #[arg(long)]
    until: Option<String>,

    /// Field order of logs without a header line, e.g. the flow log's LogFormat
    /// ("${version} ${interface-id} ..." or plain names).
    #[arg(long, value_name = "FIELDS")]
    log_format: Option<String>,

    /// Where to write the Terraform variables.
    #[arg(long, default_value = "rules.auto.tfvars")]
    out: PathBuf,

    /// Where to write the report (Markdown).
    #[arg(long, default_value = "sgpair-report.md")]
    report: PathBuf,

    /// Input shape of skwashd/mutual-security-groups/aws: 2 (map) or 1 (legacy list).
    #[arg(long, value_enum, default_value = "2")]
    module_version: ModuleArg,

    /// Print the report as JSON on stdout (the files are written as usual).
    #[arg(long)]
    json: bool,

    /// No progress bar and no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
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
        Command::Infer(args) => infer(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn infer(args: InferArgs) -> Result<()> {
    let window = Window::parse(&args.since, args.until.as_deref(), SystemTime::now())?;
    let log_format = match &args.log_format {
        Some(f) => {
            let mut fmt = Format::from_names(f)
                .with_context(|| format!("--log-format {f:?}: no flow-log field names in it"))?;
            fmt.validate()
                .with_context(|| format!("--log-format {f:?}"))?;
            fmt.origin = FormatOrigin::Given;
            Some(fmt)
        }
        None => None,
    };
    let inventory = Inventory::load(&args.inventory)?;
    let opts = ReadOptions { window, log_format };
    let (agg, stats) = pipeline::read_files(&args.logs, &opts, args.quiet)?;
    let analysis = pipeline::analyze(window, stats, agg.finish(), inventory);

    let version = match args.module_version {
        ModuleArg::V2 => ModuleVersion::V2,
        ModuleArg::V1 => ModuleVersion::V1,
    };
    let (tfvars, warnings) = emit::tfvars::render(&analysis, version);
    emit::write_atomic(&args.out, tfvars.as_bytes())?;
    emit::write_atomic(&args.report, emit::report::markdown(&analysis).as_bytes())?;
    if args.json {
        println!("{}", emit::report::json(&analysis));
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
        let p = &analysis.proposal;
        eprintln!("{}", analysis.stats.summary());
        eprintln!(
            "{} connections, {} undecided, {} rules proposed, {} flows outside security groups, {} suspicious",
            analysis.evidence.connections.len(),
            analysis.evidence.undecided.len(),
            p.rules.len(),
            p.external.len(),
            p.suspicious.len()
        );
        eprintln!("wrote {} and {}", args.out.display(), args.report.display());
    }
    Ok(())
}
