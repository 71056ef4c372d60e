//! `sgpair`: parses the command line, runs the command, prints, exits. The
//! work is the library's ([`sgpair::run`]).

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use cli::{Cli, Command};
use sgpair::run::{self, Config, Outcome};

/// Exit code of an error that is not the user's flags: an input that cannot
/// be read, no evidence, an output that cannot be written.
const EXIT_ERROR: u8 = 1;

/// Exit code when `--fail-on` trips: distinct from 1 (an error) and 2 (usage).
const EXIT_FINDINGS: u8 = 3;

/// Exit code when `check` finds connections the proposal would block.
const EXIT_BLOCKED: u8 = 4;

/// Exit code when `check` would block nothing in what it read, but could
/// not read everything (a source missing under --allow-partial, records
/// it could not read): a gate does not pass on evidence it did not see.
const EXIT_INCONCLUSIVE: u8 = 6;

/// Exit code when the proposal would pass the rules-per-group quota
/// (`infer` then writes nothing).
const EXIT_QUOTA: u8 = 5;

/// Exit code of a usage error, as clap exits on one.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("RUST_LOG"))
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: a file of logs stays text.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() {
                let said = e.render().to_string();
                let first = said.lines().next().unwrap_or_default();
                json_error(
                    "usage",
                    EXIT_USAGE,
                    first.trim_start_matches("error: "),
                    &[],
                );
            }
            e.exit()
        }
    };
    let result = match cli.command {
        Command::Infer(args) => args.config().and_then(|cfg| infer(&cfg)),
        Command::Audit(args) => args.config().and_then(|cfg| infer(&cfg)),
        #[cfg(feature = "aws")]
        Command::Inventory(args) => inventory(&args),
        Command::Check(args) => {
            let json = args.json();
            args.config().and_then(|cfg| check(&cfg, json))
        }
        Command::Generate(args) => sgpair::generate::run(&args).map(|()| ExitCode::SUCCESS),
        #[cfg(feature = "aws")]
        Command::AthenaTable(args) => athena_table(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            let (kind, code) = if run::is_usage_error(&e) {
                ("usage", EXIT_USAGE)
            } else if e.downcast_ref::<run::OverQuota>().is_some() {
                ("over quota", EXIT_QUOTA)
            } else {
                ("error", EXIT_ERROR)
            };
            let causes: Vec<String> = e.chain().skip(1).map(ToString::to_string).collect();
            json_error(kind, code, &e.to_string(), &causes);
            ExitCode::from(code)
        }
    }
}

/// Whether the command line asks for JSON (`--json` before any `--`): a
/// run that fails then prints its error as a JSON document on stdout too,
/// so a script reading stdout always gets one document.
pub(crate) fn wants_json() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// A failed run's error as the JSON document on stdout, when the command
/// line asks for JSON: `kind` (`usage`, `over quota`, `error`), the exit
/// code, the message and the causes under it (what stderr says, in parts).
pub(crate) fn json_error(kind: &str, code: u8, message: &str, causes: &[String]) {
    if !wants_json() {
        return;
    }
    let doc = serde_json::json!({
        "format_version": 1,
        "error": {
            "kind": kind,
            "exit_code": code,
            "message": message,
            "causes": causes,
        }
    });
    // Nothing more can be said if stdout is gone: stderr has the error.
    let _ = stdout(&format!("{doc:#}\n"));
}

/// The account of a run on stderr. `-q` leaves out the account, not its
/// warnings (a window the logs do not fill, incomplete evidence): a quiet
/// CI job still says why its result may be wrong.
fn say(lines: Vec<String>, quiet: bool) {
    for line in lines {
        if !quiet || line.starts_with("warning: ") {
            eprintln!("{line}");
        }
    }
}

/// Writes `text` to stdout. A reader that stopped reading (`| head`) is
/// not an error of the run: what is left unprinted is dropped, and the run
/// keeps its exit code (Rust's `println!` would panic instead).
fn stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `infer` and `audit`: the run, then what it says.
fn infer(cfg: &Config) -> Result<ExitCode> {
    let outcome = run::run(cfg)?;
    let code = print(cfg, &outcome)?;
    // The process ends here: freeing the evidence entry by entry (hundreds of
    // thousands of connections, each with its strings) would only delay
    // the exit. A test that calls `run::run` drops it as usual.
    std::mem::forget(outcome);
    Ok(code)
}

/// The JSON report on stdout (`--json`), the account of the run on stderr
/// (unless `--quiet`), and the exit code (`--fail-on`).
fn print(cfg: &Config, outcome: &Outcome) -> Result<ExitCode> {
    if let Some(json) = &outcome.json {
        stdout(&format!("{json}\n")).context("cannot print the JSON report")?;
    }
    say(outcome.stderr_lines(), cfg.quiet);
    let Some((tripped, level)) = outcome.tripped else {
        return Ok(ExitCode::SUCCESS);
    };
    eprintln!(
        "--fail-on: {} at {} severity or higher",
        sgpair::present::count(tripped as u64, "finding"),
        format!("{level:?}").to_lowercase()
    );
    Ok(ExitCode::from(EXIT_FINDINGS))
}

/// `check`: the connections the proposal would block, per group, on
/// stdout (or as JSON), what was read on stderr (unless `--quiet`); exit
/// code 4 when one is not suspicious, 6 when nothing would be blocked but
/// not everything could be read.
fn check(cfg: &run::CheckConfig, json: bool) -> Result<ExitCode> {
    use sgpair::audit::replay::Verdict;
    let c = run::check(cfg)?;
    let text = if json {
        sgpair::emit::check_json(&c) + "\n"
    } else {
        sgpair::emit::check_lines(&c)
            .into_iter()
            .map(|l| l + "\n")
            .collect()
    };
    stdout(&text).context("cannot print the result")?;
    say(sgpair::emit::check_stderr_lines(&c), cfg.run.quiet);
    Ok(match c.verdict() {
        Verdict::Ok => ExitCode::SUCCESS,
        Verdict::Blocked => ExitCode::from(EXIT_BLOCKED),
        Verdict::Inconclusive => ExitCode::from(EXIT_INCONCLUSIVE),
    })
}

/// `inventory`: the EC2 inventory to a file.
#[cfg(feature = "aws")]
fn inventory(args: &cli::InventoryArgs) -> Result<ExitCode> {
    if let Some(dir) = &args.out_dir {
        for (path, inv) in run::inventories(&args.aws.settings(), &args.accounts, dir, 8)? {
            eprintln!(
                "wrote {}: account {}, {} interfaces, {} security groups",
                path.display(),
                inv.account_id.as_deref().unwrap_or("?"),
                inv.network_interfaces.len(),
                inv.security_groups.len(),
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let inv = run::inventory(&args.aws.settings(), &args.out)?;
    eprintln!(
        "wrote {}: {} interfaces, {} security groups, {} prefix lists, {} flow logs",
        args.out.display(),
        inv.network_interfaces.len(),
        inv.security_groups.len(),
        inv.prefix_lists.len(),
        inv.flow_logs.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `athena-table`: the DDL, printed or run.
#[cfg(feature = "aws")]
fn athena_table(args: &cli::AthenaTableArgs) -> Result<ExitCode> {
    use anyhow::Context;
    let settings = args.aws.settings();
    let format = match (&args.log_format, &args.flow_log_id) {
        (Some(f), _) => f.clone(),
        (None, Some(id)) => {
            let text = run::flow_log_format(&settings, id)?;
            sgpair::parse::Format::from_names(&text)
                .with_context(|| format!("flow log {id}'s LogFormat {text:?} names no fields"))?
        }
        (None, None) => unreachable!("clap requires one"),
    };
    let spec = sgpair::pushdown::ddl::TableSpec {
        name: args.table.clone(),
        location: format!("s3://{}/{}", args.s3.bucket, args.s3.prefix),
        accounts: args.account.clone(),
        regions: args.log_region.clone(),
        parquet: args.parquet,
        first_day: args.first_day.clone(),
    };
    let ddl = sgpair::pushdown::ddl::create_table(&spec, &format).map_err(anyhow::Error::msg)?;
    if !args.apply {
        stdout(&ddl).context("cannot print the table's DDL")?;
        return Ok(ExitCode::SUCCESS);
    }
    let id = run::athena_ddl(
        &settings,
        &ddl,
        &args.database,
        args.workgroup.clone(),
        args.output.clone(),
    )?;
    eprintln!(
        "created table {}.{} (Athena query {id})",
        args.database, args.table
    );
    Ok(ExitCode::SUCCESS)
}
