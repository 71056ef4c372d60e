//! Drives the stages in order: sources → parse → reduce → aggregate, then
//! resolve → synthesize. Each stage is a module with plain data in and out;
//! this file only connects them and counts what happens.

use std::io::IsTerminal;
use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::aggregate::{Aggregator, Evidence};
use crate::inventory::Inventory;
use crate::parse::{Format, FormatError, FormatOrigin, Parsed, Parser, looks_like_header};
use crate::reduce::{Reduced, reduce};
use crate::resolve::Resolver;
use crate::sources::{Kind, Stream, files, parquet};
use crate::stats::Stats;
use crate::synthesize::{Proposal, synthesize};
use crate::window::Window;

#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub window: Window,
    /// `--log-format`: the layout of streams without a header line.
    pub log_format: Option<Format>,
}

/// Everything one run produced: what the emitters write out.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub window: Window,
    pub stats: Stats,
    pub evidence: Evidence,
    pub proposal: Proposal,
    #[serde(skip)]
    pub inventory: Inventory,
}

/// Resolves and synthesizes over aggregated evidence.
pub fn analyze(window: Window, stats: Stats, evidence: Evidence, inventory: Inventory) -> Analysis {
    let proposal = {
        let resolver = Resolver::new(&inventory, &evidence);
        synthesize(&evidence, &resolver)
    };
    Analysis {
        window,
        stats,
        evidence,
        proposal,
        inventory,
    }
}

/// Turns the lines of one stream into evidence, following the layout the
/// stream declares (header lines) or was given. Used by every source.
pub struct LineReader<'o> {
    name: String,
    opts: &'o ReadOptions,
    format: Format,
    parser: Result<Parser, FormatError>,
    assumed_noted: bool,
}

impl<'o> LineReader<'o> {
    /// A reader for a stream called `name` (shown in messages). `format` is
    /// the layout of lines before any header: `--log-format`, the flow log's
    /// own `LogFormat`, or (when `None`) the v2 default, which is then noted.
    pub fn new(
        name: String,
        opts: &'o ReadOptions,
        format: Option<Format>,
        stats: &mut Stats,
    ) -> Self {
        stats.files += 1;
        let format = format
            .or_else(|| opts.log_format.clone())
            .unwrap_or_else(Format::default_v2);
        let parser = Parser::new(&format);
        if let Err(e) = &parser {
            stats.notes.push(format!("{name}: {e}"));
        }
        LineReader {
            name,
            opts,
            format,
            parser,
            assumed_noted: false,
        }
    }

    /// Handles one line (with or without its terminator).
    pub fn line(&mut self, raw: &[u8], line_no: u64, agg: &mut Aggregator, stats: &mut Stats) {
        let name = self.name.as_str();
        let line = raw.trim_ascii();
        if line.is_empty() {
            return;
        }
        let unwrapped;
        let line: &[u8] = if line[0] == b'{' {
            // CloudWatch exports wrap each record as {"message": "..."}.
            match serde_json::from_slice::<serde_json::Value>(line) {
                Ok(serde_json::Value::Object(m))
                    if m.get("message").is_some_and(|v| v.is_string()) =>
                {
                    unwrapped = m["message"].as_str().unwrap_or_default().trim().to_string();
                    unwrapped.as_bytes()
                }
                _ => {
                    stats.records += 1;
                    stats.skip_at(
                        "bad json",
                        name,
                        line_no,
                        "a JSON line without a \"message\" string",
                    );
                    return;
                }
            }
        } else {
            line
        };
        if looks_like_header(line) {
            let text = String::from_utf8_lossy(line);
            if let Some(mut f) = Format::from_names(&text) {
                f.origin = FormatOrigin::Header;
                if !f.unknown.is_empty() {
                    stats.notes.push(format!(
                        "{name}:{line_no}: the header names columns that are not flow-log fields ({}); they are ignored",
                        f.unknown.join(", ")
                    ));
                }
                self.parser = Parser::new(&f);
                if let Err(e) = &self.parser {
                    stats.notes.push(format!(
                        "{name}:{line_no}: {e}; the records under this header are skipped"
                    ));
                }
                self.format = f;
            }
            return;
        }
        stats.records += 1;
        let p = match &self.parser {
            Ok(p) => p,
            Err(e) => {
                stats.skip_at("unusable format", name, line_no, e);
                return;
            }
        };
        if self.format.origin == FormatOrigin::DefaultAssumed && !self.assumed_noted {
            stats.notes.push(format!(
                "{name}: no header line and no --log-format: the default v2 format was assumed"
            ));
            self.assumed_noted = true;
        }
        let window = self.opts.window;
        match p.parse(line) {
            Ok(Parsed::Record(r)) => {
                if !window.contains(r.start) {
                    stats.skip("outside the window");
                    return;
                }
                match reduce(&r) {
                    Reduced::Accepted(o) => {
                        agg.add(&o);
                        stats.used += 1;
                    }
                    Reduced::Rejected(rj) => {
                        agg.add_rejection(&rj);
                        stats.rejected += 1;
                    }
                    Reduced::SelfTraffic => stats.skip("same address at both ends"),
                }
            }
            Ok(Parsed::NoData) => stats.skip("nodata"),
            Ok(Parsed::SkipData {
                interface_id,
                start,
                end,
            }) => {
                if start.is_none_or(|s| window.contains(s)) {
                    agg.add_gap(interface_id, start, end);
                    stats.skip("skipdata");
                } else {
                    stats.skip("outside the window");
                }
            }
            Err(m) => stats.skip_at(m.kind(), name, line_no, m),
        }
    }
}

/// Reads one stream into an aggregator. Only an I/O failure is an error;
/// every bad line is counted, with its place, and the stream goes on.
/// `tick` is called every 64k lines, for progress.
pub fn read_stream(
    stream: Stream,
    opts: &ReadOptions,
    agg: &mut Aggregator,
    stats: &mut Stats,
    tick: &dyn Fn(),
) -> Result<()> {
    let Stream {
        name,
        mut reader,
        kind,
        ..
    } = stream;
    if kind == Kind::Parquet {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {name}"))?;
        return parquet::read(&name, bytes, opts, agg, stats);
    }
    let mut lines = LineReader::new(name, opts, None, stats);
    let mut buf = Vec::with_capacity(1024);
    let mut line_no: u64 = 0;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("{}:{}: cannot read further", lines.name, line_no + 1))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if line_no.is_multiple_of(65_536) {
            tick();
        }
        lines.line(&buf, line_no, agg, stats);
    }
    Ok(())
}

/// A progress bar on stderr, or a hidden one when stderr is not a terminal.
pub fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} reading flow logs {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

/// A counter bar (streams, objects) on stderr, hidden when not a terminal.
pub fn progress_counter(what: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} reading {what} {{pos}}/{{len}} ({{elapsed}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

/// Reads local files, spread over all cores (one file per worker at a time).
pub fn read_files(
    paths: &[PathBuf],
    opts: &ReadOptions,
    quiet: bool,
) -> Result<(Aggregator, Stats)> {
    let files = files::discover(paths)?;
    let total: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let pb = progress_bar(total, quiet);
    let read_bytes = Arc::new(AtomicU64::new(0));
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len())
        .max(1);
    let results: Mutex<Vec<Result<(Aggregator, Stats)>>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut agg = Aggregator::new();
                let mut stats = Stats::default();
                let outcome = (|| -> Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else {
                            return Ok(());
                        };
                        tracing::debug!(file = %path.display(), "reading");
                        let stream = files::open(path, read_bytes.clone())?;
                        let tick = || pb.set_position(read_bytes.load(Ordering::Relaxed));
                        read_stream(stream, opts, &mut agg, &mut stats, &tick)?;
                        tick();
                    }
                })();
                results
                    .lock()
                    .expect("no worker panics")
                    .push(outcome.map(|_| (agg, stats)));
            });
        }
    });
    pb.finish_and_clear();
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    for r in results.into_inner().expect("no worker panics") {
        let (a, s) = r?;
        agg.merge(a);
        stats.merge(s);
    }
    Ok((agg, stats))
}
