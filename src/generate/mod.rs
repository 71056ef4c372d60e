//! `sgpair generate`: synthetic VPC flow logs of a chosen size, with the
//! inventory that explains them, for benchmarks and demonstrations.
//!
//! The environment is a VPC with `--enis` interfaces in seven roles: load
//! balancers, web, app, database and cache servers, one monitoring host and
//! one bastion. Traffic follows a fixed service graph (internet → ALB 443,
//! ALB → web 8080, web → app 8443, app → db 5432, app → cache 6379, monitoring
//! → every interface 9100 and ping, statsd → monitoring UDP 8125, bastion →
//! every interface 22, app → an external API 443). Every connection interval
//! is logged as the real service logs it: request and response at each
//! interface in the VPC (four records between two interfaces, two with the
//! internet), from an ephemeral client port. Internet scanners are rejected;
//! idle interfaces log NODATA, and rarely SKIPDATA.
//!
//! The output is deterministic: the same arguments give the same bytes.
//!
//! - `env.rs`: the environment (roles, interfaces) and its inventory;
//! - `lines.rs`: the records, written as the service graph logs them;
//! - `rng.rs`: the seeded pseudo-random numbers.

mod env;
mod lines;
mod rng;

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;

use env::*;
use lines::*;
use rng::*;

/// Arguments of `sgpair generate`.
#[derive(clap::Args, Debug, Clone)]
pub struct GenerateArgs {
    /// The flow-log file to write (v2 default format, one record a line).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Lines to write (records, NODATA and SKIPDATA lines).
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub records: u64,

    /// Network interfaces in the environment (8 to 416).
    #[arg(long, default_value_t = 50, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(8..=MAX_ENIS as u64))]
    pub enis: usize,

    /// Compress with gzip, as S3 delivers flow logs.
    #[arg(long)]
    pub gzip: bool,

    /// Start with the header line S3 delivery writes (the field names).
    #[arg(long)]
    pub header: bool,

    /// Seed of the pseudo-random choices: the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Start of the logged period (RFC 3339); records spread over `--hours`.
    #[arg(long, default_value = "2026-11-24T00:00:00Z", value_name = "TIME",
          value_parser = start_arg)]
    pub start: String,

    /// Length of the logged period in hours (at least 1).
    #[arg(long, default_value_t = 24, value_name = "H",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub hours: u32,

    /// Also write the environment's inventory, for `infer --inventory`.
    #[arg(long, value_name = "FILE")]
    pub inventory_out: Option<PathBuf>,
}

/// The most interfaces `generate` lays out: each role's interfaces are in
/// one /24 (at most 240 addresses from .10), and the app role takes what
/// the others leave, about 58% (see `Env::new`).
pub(super) const MAX_ENIS: usize = 416;

/// `--start`: checked while the arguments are parsed (a usage error, exit
/// 2), as `infer` reads `--since` (offsets, lowercase `t`/`z`).
fn start_arg(s: &str) -> std::result::Result<String, String> {
    crate::window::parse_rfc3339(s)
        .map(|_| s.to_string())
        .map_err(|e| format!("{e}; expected an RFC 3339 time such as 2026-11-24T00:00:00Z"))
}

const ACCOUNT: &str = "123456789012";
const VPC_ID: &str = "vpc-0a5e1b2c3d4e5f607";
/// The flow logs' aggregation interval (the default, ten minutes).
const INTERVAL: i64 = 600;

/// Runs `sgpair generate`.
pub fn run(args: &GenerateArgs) -> Result<()> {
    if args.enis < 8 {
        bail!(
            "--enis {}: at least 8 interfaces (one per role and a second app server)",
            args.enis
        );
    }
    if args.enis > MAX_ENIS {
        bail!("--enis {}: at most {MAX_ENIS} interfaces", args.enis);
    }
    let start = crate::window::parse_rfc3339(&args.start)
        .map_err(|e| anyhow::anyhow!("--start {:?}: {e}", args.start))?;
    // The last record must end at a time `infer` reads (before year 10000).
    let end = start.saturating_add(i64::from(args.hours) * 3600 + INTERVAL);
    if end > crate::window::LAST_TIME {
        bail!(
            "--start {} with --hours {}: the records would end after the year 9999, which no flow log (and no RFC 3339 time) can say; give fewer hours or an earlier start",
            args.start,
            args.hours
        );
    }
    let env = Env::new(args.enis);
    // Written beside the target and renamed when whole: a failed or
    // interrupted run leaves no half file.
    let (output, file) = crate::emit::Streamed::create(&args.out)?;
    let buffered = BufWriter::with_capacity(1 << 20, file);
    let summary = if args.gzip {
        let gz = GzEncoder::new(buffered, Compression::default());
        let (gz, summary) = write_lines(&env, args, start, gz)?;
        gz.finish()
            .and_then(|mut w| w.flush())
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        summary
    } else {
        let (mut w, summary) = write_lines(&env, args, start, buffered)?;
        w.flush()
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        summary
    };
    let mut staged = crate::emit::Staged::default();
    if let Some(path) = &args.inventory_out {
        let text = serde_json::to_string_pretty(&env.inventory(start))
            .context("cannot serialise the inventory")?
            + "\n";
        staged.add(path, text.as_bytes(), "--inventory-out")?;
    }
    output.finish()?;
    staged.commit()?;
    let size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "wrote {}: {} lines ({} bytes), {} interfaces, {} connection intervals, {} rejected, {} NODATA, {} SKIPDATA{}",
        args.out.display(),
        summary.lines,
        size,
        args.enis,
        summary.connections,
        summary.rejected,
        summary.nodata,
        summary.skipdata,
        args.inventory_out
            .as_ref()
            .map(|p| format!("; inventory in {}", p.display()))
            .unwrap_or_default()
    );
    Ok(())
}

/// `records` generated lines (no header) in memory, as `generate` writes
/// them: for benchmarks and tests. Starts at 2026-11-24T00:00:00Z, one hour.
pub fn sample(records: u64, enis: usize, seed: u64) -> Vec<u8> {
    let env = Env::new(enis.max(8));
    let args = GenerateArgs {
        out: PathBuf::new(),
        records,
        enis: enis.max(8),
        gzip: false,
        header: false,
        seed,
        start: String::new(),
        hours: 1,
        inventory_out: None,
    };
    let (lines, _) = write_lines(&env, &args, SAMPLE_START, Vec::new()).expect("writing to memory");
    lines
}

/// 2026-11-24T00:00:00Z, the start of [`sample`]'s lines.
pub const SAMPLE_START: i64 = 1_795_478_400;

#[cfg(test)]
mod tests;
