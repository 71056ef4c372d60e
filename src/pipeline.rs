//! Reads: sources → parse → reduce → aggregate. Each stage is a module with
//! plain data in and out; this file connects them and counts what happens.

use std::io::IsTerminal;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, TryLockError};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rustc_hash::FxHashMap;

use crate::aggregate::Aggregator;
use crate::parse::{Format, FormatError, FormatOrigin, Parsed, Parser, looks_like_header};
use crate::reduce::{Reduced, reduce};
use crate::sources::{Kind, Stream, files, parquet};
use crate::stats::{Span, Stats};
use crate::window::Window;

#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub window: Window,
    /// `--log-format`: the layout of streams without a header line.
    pub log_format: Option<Format>,
    /// `--allow-partial`: a source that fails part-way is recorded in
    /// `Stats::missing` and the run goes on; otherwise the run fails.
    pub allow_partial: bool,
}

impl ReadOptions {
    /// The records of `window`, layouts from headers or the v2 default, and
    /// a source that fails part-way fails the read.
    pub fn new(window: Window) -> ReadOptions {
        ReadOptions {
            window,
            log_format: None,
            allow_partial: false,
        }
    }
}

/// Turns the lines of one stream into evidence, following the layout the
/// stream declares (header lines) or was given. Used by every source.
pub struct LineReader<'o> {
    name: Arc<str>,
    opts: &'o ReadOptions,
    format: Format,
    parser: Result<Parser, FormatError>,
    assumed_noted: bool,
    /// The window's records read since the last [`LineReader::flush`].
    span: Span,
    /// The interfaces of the records since the last flush, with their
    /// spans: a record costs one hash lookup without allocation, a new
    /// interface in a block one allocation (an S3 file interleaves hundreds
    /// of interfaces, so a short list searched linearly would allocate per
    /// record). Handed to `Stats` at every flush.
    interfaces: FxHashMap<String, Span>,
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
        let (format, parser) = start_format(&name, opts, format, stats);
        LineReader {
            name: name.into(),
            opts,
            format,
            parser,
            assumed_noted: false,
            span: Span::default(),
            interfaces: FxHashMap::default(),
        }
    }

    /// A reader for one block of a stream that a [`TextSource`] cut: the
    /// layout is the one in force at the block's first line, and the source
    /// has already noted an assumed default format.
    fn for_block(name: Arc<str>, opts: &'o ReadOptions, at: BlockStart) -> Self {
        LineReader {
            name,
            opts,
            format: at.format,
            parser: at.parser,
            assumed_noted: true,
            span: Span::default(),
            interfaces: FxHashMap::default(),
        }
    }

    /// Hands the spans of the records read so far to `stats` (the stream's
    /// and the interfaces'). [`LineReader::block`] does it after each block;
    /// a caller of [`LineReader::line`] calls it at the end of the stream.
    pub fn flush(&mut self, stats: &mut Stats) {
        if self.span.records > 0 {
            stats.add_stream_span(&self.name, &self.span);
            self.span = Span::default();
        }
        for (id, span) in self.interfaces.drain() {
            stats.add_interface_span(&id, &span);
        }
    }

    /// Counts a record of the window in the stream's and its interface's span.
    #[inline]
    fn note(&mut self, interface: Option<&str>, start: i64, end: i64) {
        self.span.add(start, end);
        let Some(id) = interface else { return };
        match self.interfaces.get_mut(id) {
            Some(span) => span.add(start, end),
            None => {
                let mut span = Span::default();
                span.add(start, end);
                self.interfaces.insert(id.to_string(), span);
            }
        }
    }

    /// Handles every line of a block of whole lines; `first_line` is the
    /// number of its first line in the stream.
    pub fn block(
        &mut self,
        block: &[u8],
        first_line: u64,
        agg: &mut Aggregator,
        stats: &mut Stats,
    ) {
        let mut line_no = first_line;
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', block) {
            self.line(&block[start..nl], line_no, agg, stats);
            line_no += 1;
            start = nl + 1;
        }
        if start < block.len() {
            self.line(&block[start..], line_no, agg, stats);
        }
        self.flush(stats);
    }

    /// Handles one line (with or without its terminator).
    #[inline]
    pub fn line(&mut self, raw: &[u8], line_no: u64, agg: &mut Aggregator, stats: &mut Stats) {
        let line = raw.trim_ascii();
        let Some(&first) = line.first() else {
            return;
        };
        let unwrapped;
        let line: &[u8] = if first == b'{' {
            // CloudWatch exports wrap each record as {"message": "..."}.
            match unwrap_json(line) {
                Some(m) => {
                    unwrapped = m;
                    unwrapped.as_bytes()
                }
                None => {
                    stats.records += 1;
                    stats.skip_at(
                        "bad json",
                        &self.name,
                        line_no,
                        "a JSON line without a \"message\" string",
                    );
                    return;
                }
            }
        } else {
            line
        };
        if line.first().is_some_and(|b| !b.is_ascii_digit()) && looks_like_header(line) {
            self.header(line, line_no, stats);
            return;
        }
        stats.records += 1;
        let name = &*self.name;
        let p = match &self.parser {
            Ok(p) => p,
            Err(e) => {
                stats.skip_at("unusable format", name, line_no, e);
                return;
            }
        };
        if self.format.origin == FormatOrigin::DefaultAssumed && !self.assumed_noted {
            stats.notes.push(assumed_note(name));
            self.assumed_noted = true;
        }
        let window = self.opts.window;
        match p.parse(line) {
            Ok(Parsed::Record(r)) => {
                if !window.contains(r.start) {
                    stats.skip("outside the window");
                    return;
                }
                self.note(r.interface_id, r.start, r.end);
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

    /// A header line: the layout of the lines after it.
    #[cold]
    fn header(&mut self, line: &[u8], line_no: u64, stats: &mut Stats) {
        let name = &*self.name;
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
    }
}

/// The layout of a stream's first lines, with a note when it cannot be used.
fn start_format(
    name: &str,
    opts: &ReadOptions,
    format: Option<Format>,
    stats: &mut Stats,
) -> (Format, Result<Parser, FormatError>) {
    stats.files += 1;
    // Every stream counts in its source, with or without records in the window.
    stats.add_stream_span(name, &Span::default());
    let format = format
        .or_else(|| opts.log_format.clone())
        .unwrap_or_else(Format::default_v2);
    let parser = Parser::new(&format);
    if let Err(e) = &parser {
        stats.notes.push(format!("{name}: {e}"));
    }
    (format, parser)
}

fn assumed_note(name: &str) -> String {
    format!("{name}: no header line and no --log-format: the default v2 format was assumed")
}

/// The record inside a CloudWatch export line `{"message": "..."}`.
#[cold]
fn unwrap_json(line: &[u8]) -> Option<String> {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(m)) => m
            .get("message")
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_string()),
        _ => None,
    }
}

/// Bytes of text handed to a worker at a time. Large enough that cutting
/// and handing over cost nothing next to parsing; small enough that every
/// worker holds little (one block each).
pub const BLOCK: usize = 1 << 20;

/// The layout in force at the first line of a block.
#[derive(Clone)]
struct BlockStart {
    first_line: u64,
    format: Format,
    parser: Result<Parser, FormatError>,
}

/// One text stream cut into blocks of whole lines. Cutting is sequential (a
/// gzip stream can only be decoded in order) and cheap; the blocks are then
/// parsed in parallel. While cutting, the source counts lines and follows
/// header lines, so every block knows its first line number and its layout.
pub struct TextSource {
    name: Arc<str>,
    reader: Box<dyn Read + Send>,
    /// Bytes per block ([`BLOCK`]; smaller in tests).
    block: usize,
    /// The start of a line that the last block cut off.
    carry: Vec<u8>,
    /// Lines before the next block.
    lines: u64,
    format: Format,
    parser: Result<Parser, FormatError>,
    assumed_noted: bool,
    eof: bool,
    /// `--allow-partial`: a read error ends the stream after its last whole
    /// line instead of failing the run.
    allow_partial: bool,
    /// The read error that ended the stream early, to report as missing.
    broken: Option<String>,
}

impl TextSource {
    /// Counts the stream in `stats.files`, like [`LineReader::new`].
    pub fn new(
        name: String,
        reader: Box<dyn Read + Send>,
        opts: &ReadOptions,
        stats: &mut Stats,
    ) -> TextSource {
        let (format, parser) = start_format(&name, opts, None, stats);
        TextSource {
            name: name.into(),
            reader,
            block: BLOCK,
            carry: Vec::new(),
            lines: 0,
            format,
            parser,
            assumed_noted: false,
            eof: false,
            allow_partial: opts.allow_partial,
            broken: None,
        }
    }

    /// Reads the next block of whole lines into `buf`. `None` at the end.
    fn next_block(&mut self, buf: &mut Vec<u8>, stats: &mut Stats) -> Result<Option<BlockStart>> {
        buf.clear();
        buf.append(&mut self.carry);
        let mut target = self.block;
        let mut scan_from = 0;
        loop {
            self.fill(buf, target)?;
            if let Some(broken) = self.broken.take() {
                stats.missing.push(broken);
            }
            if self.eof {
                break;
            }
            // Whole lines only: the rest waits for the next block.
            if let Some(i) = memchr::memrchr(b'\n', &buf[scan_from..]) {
                let cut = scan_from + i + 1;
                self.carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                break;
            }
            // One line longer than a block: read on.
            scan_from = buf.len();
            target = buf.len() + self.block;
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let start = BlockStart {
            first_line: self.lines + 1,
            format: self.format.clone(),
            parser: self.parser.clone(),
        };
        self.follow(buf, stats);
        Ok(Some(start))
    }

    /// Reads until `buf` holds `target` bytes or the stream ends.
    fn fill(&mut self, buf: &mut Vec<u8>, target: usize) -> Result<()> {
        let mut filled = buf.len();
        if self.eof || filled >= target {
            return Ok(());
        }
        buf.resize(target, 0);
        while filled < target {
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    buf.truncate(filled);
                    let line = self.lines + memchr::memchr_iter(b'\n', buf).count() as u64 + 1;
                    let err = anyhow::Error::new(e)
                        .context(format!("{}:{line}: cannot read further", self.name));
                    if !self.allow_partial {
                        return Err(err);
                    }
                    // Keep the whole lines read so far; the cut line and the rest are missing.
                    let keep = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
                    buf.truncate(keep);
                    self.eof = true;
                    self.broken = Some(format!("{err:#}"));
                    return Ok(());
                }
            }
        }
        buf.truncate(filled);
        Ok(())
    }

    /// Counts the block's lines and follows its header lines, so the next
    /// block starts with the right layout. Records start with a digit or
    /// `-`; only other lines are looked at closely.
    fn follow(&mut self, block: &[u8], stats: &mut Stats) {
        let mut start = 0;
        let mut lines = 0u64;
        let mut ends = memchr::memchr_iter(b'\n', block);
        while start < block.len() {
            let end = ends.next().unwrap_or(block.len());
            lines += 1;
            let line = &block[start..end];
            start = end + 1;
            let Some(&first) = line.iter().find(|b| !b.is_ascii_whitespace()) else {
                continue;
            };
            let is_record = if first.is_ascii_digit() || first == b'-' {
                true
            } else {
                !self.maybe_header(line.trim_ascii())
            };
            if is_record
                && !self.assumed_noted
                && self.format.origin == FormatOrigin::DefaultAssumed
                && self.parser.is_ok()
            {
                stats.notes.push(assumed_note(&self.name));
                self.assumed_noted = true;
            }
        }
        self.lines += lines;
    }

    /// Whether a line is a header (then the layout changes), as
    /// [`LineReader::line`] decides it.
    #[cold]
    fn maybe_header(&mut self, line: &[u8]) -> bool {
        let unwrapped;
        let line = if line.first() == Some(&b'{') {
            match unwrap_json(line) {
                Some(m) => {
                    unwrapped = m;
                    unwrapped.as_bytes()
                }
                None => return false,
            }
        } else {
            line
        };
        if !looks_like_header(line) {
            return false;
        }
        if let Some(mut f) = Format::from_names(&String::from_utf8_lossy(line)) {
            f.origin = FormatOrigin::Header;
            self.parser = Parser::new(&f);
            self.format = f;
        }
        true
    }
}

/// Reads one stream into an aggregator. Only an I/O failure is an error;
/// every bad line is counted, with its place, and the stream goes on.
/// `tick` is called after every block, for progress.
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
        return read_parquet(&name, &mut reader, opts, agg, stats);
    }
    let mut source = TextSource::new(name, Box::new(reader), opts, stats);
    let mut buf = Vec::with_capacity(BLOCK);
    while let Some(at) = source.next_block(&mut buf, stats)? {
        let first = at.first_line;
        LineReader::for_block(source.name.clone(), opts, at).block(&buf, first, agg, stats);
        tick();
    }
    Ok(())
}

/// A Parquet file: read whole (its index is at the end), or skipped with the
/// reason when this build has no Parquet support.
fn read_parquet(
    name: &str,
    reader: &mut dyn Read,
    opts: &ReadOptions,
    agg: &mut Aggregator,
    stats: &mut Stats,
) -> Result<()> {
    if !parquet::SUPPORTED {
        parquet::skip_unsupported(name, stats);
        return Ok(());
    }
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    parquet::read(name, bytes, opts, agg, stats)
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

/// Reads local files, spread over all cores. Every worker takes the next
/// block of a stream that no other worker is cutting, or opens the next
/// file: many files are decoded side by side, and one large file (plain or
/// gzip) is cut by one worker at a time while the others parse the blocks
/// already cut. Each worker folds into its own [`Aggregator`]; they are merged
/// at the end, and merging does not depend on which worker read what.
pub fn read_files(
    paths: &[PathBuf],
    opts: &ReadOptions,
    quiet: bool,
) -> Result<(Aggregator, Stats)> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let (agg, mut stats) = read_files_with(paths, opts, quiet, workers, BLOCK)?;
    stats.roll_up_paths(paths);
    Ok((agg, stats))
}

fn read_files_with(
    paths: &[PathBuf],
    opts: &ReadOptions,
    quiet: bool,
    workers: usize,
    block: usize,
) -> Result<(Aggregator, Stats)> {
    let files = files::discover(paths)?;
    read_listed(&files, opts, quiet, workers, block)
}

/// Reads files already listed. A file can change between its listing and
/// its reading: one that is gone fails the run naming it (or, with
/// `--allow-partial`, is recorded as missing), one that shrinks while read
/// likewise (`files::open`).
fn read_listed(
    files: &[PathBuf],
    opts: &ReadOptions,
    quiet: bool,
    workers: usize,
    block: usize,
) -> Result<(Aggregator, Stats)> {
    let total: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let pb = progress_bar(total, quiet);
    let shared = Shared {
        files,
        block,
        next_file: AtomicUsize::new(0),
        active: Mutex::new(Vec::new()),
        failed: AtomicBool::new(false),
        allow_partial: opts.allow_partial,
        read_bytes: Arc::new(AtomicU64::new(0)),
    };
    let results: Vec<Result<(Aggregator, Stats)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| s.spawn(|| shared.work(opts, &pb)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a reader thread panicked")))
            })
            .collect()
    });
    pb.finish_and_clear();
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    for r in results {
        let (a, s) = r?;
        agg.merge(a);
        stats.merge(s);
    }
    Ok((agg, stats))
}

/// What the workers of [`read_files`] share.
struct Shared<'f> {
    files: &'f [PathBuf],
    block: usize,
    next_file: AtomicUsize,
    /// Open text streams with blocks left.
    active: Mutex<Vec<Arc<Mutex<TextSource>>>>,
    /// Set by a worker that failed: the others stop.
    failed: AtomicBool,
    /// `--allow-partial`: a failing file is recorded as missing instead.
    allow_partial: bool,
    read_bytes: Arc<AtomicU64>,
}

impl Shared<'_> {
    fn work(&self, opts: &ReadOptions, pb: &ProgressBar) -> Result<(Aggregator, Stats)> {
        let mut agg = Aggregator::new();
        let mut stats = Stats::default();
        let mut buf = Vec::with_capacity(BLOCK + BLOCK / 4);
        let outcome = (|| -> Result<()> {
            while let Some((name, at)) = self.next_block(&mut buf, opts, &mut agg, &mut stats)? {
                let first = at.first_line;
                LineReader::for_block(name, opts, at).block(&buf, first, &mut agg, &mut stats);
                pb.set_position(self.read_bytes.load(Ordering::Relaxed));
            }
            Ok(())
        })();
        if outcome.is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
        outcome.map(|()| (agg, stats))
    }

    /// The next block for this worker: from an open stream nobody is cutting,
    /// else from the next file, else from a stream another worker is cutting
    /// (waiting for it). `None` when every file is read or a worker failed.
    fn next_block(
        &self,
        buf: &mut Vec<u8>,
        opts: &ReadOptions,
        agg: &mut Aggregator,
        stats: &mut Stats,
    ) -> Result<Option<(Arc<str>, BlockStart)>> {
        loop {
            if self.failed.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let active: Vec<Arc<Mutex<TextSource>>> = self.active().clone();
            for src in &active {
                let mut guard = match src.try_lock() {
                    Ok(g) => g,
                    Err(TryLockError::WouldBlock) => continue,
                    Err(TryLockError::Poisoned(_)) => bail!("a reader thread failed"),
                };
                if let Some(at) = self.cut(src, &mut guard, buf, stats)? {
                    return Ok(Some((guard.name.clone(), at)));
                }
            }
            let i = self.next_file.fetch_add(1, Ordering::Relaxed);
            if let Some(path) = self.files.get(i) {
                tracing::debug!(file = %path.display(), "reading");
                let stream = match files::open(path, self.read_bytes.clone()) {
                    Ok(s) => s,
                    Err(e) if self.allow_partial => {
                        stats.missing.push(format!("{e:#}"));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                if stream.kind == Kind::Parquet {
                    let Stream {
                        name, mut reader, ..
                    } = stream;
                    match read_parquet(&name, &mut reader, opts, agg, stats) {
                        Err(e) if self.allow_partial => stats.missing.push(format!("{e:#}")),
                        other => other?,
                    }
                    continue;
                }
                let mut src = TextSource::new(stream.name, Box::new(stream.reader), opts, stats);
                src.block = self.block;
                let src = Arc::new(Mutex::new(src));
                let mut guard = src
                    .lock()
                    .map_err(|_| anyhow::anyhow!("a reader thread failed"))?;
                self.active().push(src.clone());
                if let Some(at) = self.cut(&src, &mut guard, buf, stats)? {
                    return Ok(Some((guard.name.clone(), at)));
                }
                continue;
            }
            if active.is_empty() {
                return Ok(None);
            }
            // Every open stream is being cut by another worker: wait for one.
            for src in &active {
                let mut guard = src
                    .lock()
                    .map_err(|_| anyhow::anyhow!("a reader thread failed"))?;
                if let Some(at) = self.cut(src, &mut guard, buf, stats)? {
                    return Ok(Some((guard.name.clone(), at)));
                }
            }
        }
    }

    /// Cuts the next block of `src`; at its end, takes it off the active list.
    fn cut(
        &self,
        src: &Arc<Mutex<TextSource>>,
        guard: &mut TextSource,
        buf: &mut Vec<u8>,
        stats: &mut Stats,
    ) -> Result<Option<BlockStart>> {
        let at = match guard.next_block(buf, stats) {
            Ok(at) => at,
            // What was read before the failure stays evidence; the rest is missing.
            Err(e) if self.allow_partial => {
                stats.missing.push(format!("{e:#}"));
                None
            }
            Err(e) => return Err(e),
        };
        if at.is_none() {
            self.active().retain(|s| !Arc::ptr_eq(s, src));
        }
        Ok(at)
    }

    fn active(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Mutex<TextSource>>>> {
        // A panic while holding this lock leaves the list consistent.
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, Write};

    use super::*;

    fn opts() -> ReadOptions {
        ReadOptions::new(Window::ALL)
    }

    /// The reference: every line through one `LineReader`, in order, as
    /// sgpair read before blocks.
    fn line_by_line(paths: &[PathBuf]) -> (String, Stats) {
        let opts = opts();
        let mut agg = Aggregator::new();
        let mut stats = Stats::default();
        for p in files::discover(paths).unwrap() {
            let stream = files::open(&p, Arc::default()).unwrap();
            let mut lines = LineReader::new(stream.name, &opts, None, &mut stats);
            let mut reader = stream.reader;
            let mut buf = Vec::new();
            let mut n = 0;
            loop {
                buf.clear();
                if reader.read_until(b'\n', &mut buf).unwrap() == 0 {
                    break;
                }
                n += 1;
                lines.line(&buf, n, &mut agg, &mut stats);
            }
            lines.flush(&mut stats);
        }
        (format!("{:?}", agg.finish()), stats)
    }

    fn records(n: usize, port: u16) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "2 1 eni-a 10.0.1.10 10.0.2.20 {} {port} 6 10 840 100 160 ACCEPT OK\n",
                    30000 + i
                )
            })
            .collect()
    }

    /// A file listed, then gone before its turn: the run fails naming it;
    /// with `--allow-partial` the others are read and it is missing.
    #[test]
    fn a_file_gone_between_listing_and_reading() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.log"), records(50, 5432)).unwrap();
        std::fs::write(d.path().join("b.log"), records(50, 6379)).unwrap();
        let listed = files::discover(&[d.path().to_path_buf()]).unwrap();
        std::fs::remove_file(d.path().join("b.log")).unwrap();
        let err = read_listed(&listed, &opts(), true, 2, BLOCK).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("b.log") && msg.contains("was it moved or deleted?"),
            "{msg}"
        );

        let partial = ReadOptions {
            allow_partial: true,
            ..opts()
        };
        let (agg, stats) = read_listed(&listed, &partial, true, 2, BLOCK).unwrap();
        assert_eq!(stats.used, 50);
        assert_eq!(stats.missing.len(), 1, "{:?}", stats.missing);
        assert!(stats.missing[0].contains("b.log"), "{:?}", stats.missing);
        assert_eq!(agg.finish().connections.len(), 1);
    }

    /// A file truncated after it was opened (rotation by copy and truncate):
    /// an error at the line where it broke off, not silently less evidence.
    #[test]
    fn a_file_truncated_while_being_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("rotated.log");
        let text = records(20_000, 5432);
        let truncate = || {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .unwrap()
                .set_len(text.len() as u64 / 2)
                .unwrap()
        };
        let read = |opts: &ReadOptions| {
            std::fs::write(&p, &text).unwrap();
            let stream = files::open(&p, Arc::default()).unwrap();
            truncate();
            let mut agg = Aggregator::new();
            let mut stats = Stats::default();
            let r = read_stream(stream, opts, &mut agg, &mut stats, &|| {});
            (r, stats)
        };
        let (r, _) = read(&opts());
        let msg = format!("{:#}", r.unwrap_err());
        assert!(
            msg.contains("rotated.log:") && msg.contains("cannot read further"),
            "{msg}"
        );
        assert!(msg.contains("the file shrank while being read"), "{msg}");

        let partial = ReadOptions {
            allow_partial: true,
            ..opts()
        };
        let (r, stats) = read(&partial);
        r.unwrap();
        assert_eq!(stats.missing.len(), 1, "{:?}", stats.missing);
        // The whole lines before the break are evidence, and only those.
        assert!(stats.used > 0 && stats.used < 20_000, "{}", stats.used);
        assert_eq!(stats.skipped_total(), 0, "no cut line counted as malformed");
    }

    fn blocks(paths: &[PathBuf], workers: usize, block: usize) -> (String, Stats) {
        let (agg, stats) = read_files_with(paths, &opts(), true, workers, block).unwrap();
        (format!("{:?}", agg.finish()), stats)
    }

    /// Records of many kinds, a malformed line now and then, blank and CRLF
    /// lines, a second header that changes the layout, a long line.
    fn messy(seed: u64, lines: usize, header_at: Option<usize>) -> String {
        let mut out = String::new();
        let mut x = seed | 1;
        let mut custom = false;
        for i in 0..lines {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if Some(i) == header_at {
                out.push_str(
                    "interface-id srcaddr dstaddr srcport dstport protocol start action colour\n",
                );
                custom = true;
                continue;
            }
            let eni = format!("eni-{:02}", x % 7);
            let (a, b) = (
                format!("10.0.{}.{}", x % 3, 10 + x % 5),
                format!("10.1.0.{}", 1 + (x >> 8) % 9),
            );
            let eport = 32768 + (x >> 16) % 20000;
            let port = [22u64, 443, 5432, 8080][((x >> 40) % 4) as usize];
            let line = match (x >> 20) % 23 {
                0 => "2 1 eni-bad 10.0.0.1 10.0.0.2 70000 22 6 1 1 1 2 ACCEPT OK".to_string(),
                1 => String::new(),
                2 => format!("2 1 {eni} - - - - - - - 100 160 - NODATA\r"),
                3 => "cut short".to_string(),
                4 => format!("   2 1 {eni} {a} {b} {eport} {port} 6 1 60 100 160 REJECT OK   "),
                5 => format!(
                    "2 1 {eni} {a} {b} {eport} {port} 6 1 {} 100 160 ACCEPT OK{}",
                    "9".repeat(40),
                    " ".repeat(300)
                ),
                _ if custom => format!("{eni} {b} {a} {port} {eport} 6 {} ACCEPT blue", 100 + i),
                k if k % 2 == 0 => format!(
                    "2 1 {eni} {a} {b} {eport} {port} 6 3 300 {} {} ACCEPT OK",
                    100 + i,
                    160 + i
                ),
                _ => format!(
                    "2 1 {eni} {b} {a} {port} {eport} 6 3 900 {} {} ACCEPT OK\r",
                    100 + i,
                    160 + i
                ),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("2 1 eni-last 10.9.9.9 10.9.9.8 40000 443 6 1 1 1 2 ACCEPT OK"); // no newline at the end
        out
    }

    #[test]
    fn blocks_in_parallel_give_what_reading_line_by_line_gives() {
        let d = tempfile::tempdir().unwrap();
        let plain = d.path().join("a.log");
        std::fs::write(&plain, messy(1, 3000, None)).unwrap();
        let two_headers = d.path().join("b.log");
        std::fs::write(&two_headers, messy(2, 3000, Some(1700))).unwrap();
        let gz = d.path().join("c.log.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(format!("{}\n{}", DEFAULT_V2_HEADER, messy(3, 2500, Some(2000))).as_bytes())
            .unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        let paths = vec![d.path().to_path_buf()];
        let want = line_by_line(&paths);
        assert!(want.1.skipped_total() > 100, "{:?}", want.1);
        // Spans per stream and per interface, compared below with the rest.
        assert_eq!(want.1.streams.len(), 3, "{:?}", want.1.streams);
        assert!(want.1.interfaces.len() >= 7, "{:?}", want.1.interfaces);
        let in_spans: u64 = want.1.interfaces.values().map(|s| s.records).sum();
        assert_eq!(in_spans, want.1.used + want.1.rejected);
        assert!(
            want.1
                .notes
                .iter()
                .any(|n| n.contains("b.log:1701: the header names columns")),
            "{:?}",
            want.1.notes
        );
        for (workers, block) in [(1, BLOCK), (4, 97), (3, 1000), (2, 4096), (8, 64 * 1024)] {
            let got = blocks(&paths, workers, block);
            assert_eq!(
                got.1, want.1,
                "stats with {workers} workers, blocks of {block}"
            );
            assert_eq!(
                got.0, want.0,
                "evidence with {workers} workers, blocks of {block}"
            );
        }
    }

    const DEFAULT_V2_HEADER: &str = crate::parse::format::DEFAULT_V2;

    #[test]
    fn line_numbers_in_messages_count_from_the_file_start_in_every_block() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big.log");
        let good = "2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 1 100 160 ACCEPT OK\n";
        let mut text = String::new();
        for i in 1..=5000 {
            if i % 1000 == 0 {
                text.push_str("2 1 eni-1 10.0.0.1 10.0.0.2 40000 99999 6 1 1 100 160 ACCEPT OK\n");
            } else {
                text.push_str(good);
            }
        }
        std::fs::write(&p, text).unwrap();
        let (_, stats) = blocks(std::slice::from_ref(&p), 4, 1000);
        let name = p.display().to_string();
        let want: Vec<String> = (1..=5)
            .map(|k| {
                format!(
                    "{name}:{}: dstport is \"99999\", which is not valid",
                    k * 1000
                )
            })
            .collect();
        assert_eq!(stats.examples["bad port"], want);
        assert_eq!(stats.records, 5000);
        assert_eq!(stats.files, 1);
    }

    #[test]
    fn a_line_longer_than_a_block_is_one_line() {
        let mut src = TextSource {
            name: "x".into(),
            reader: Box::new(std::io::Cursor::new(
                format!("a\n{}\nb\n", "z".repeat(50)).into_bytes(),
            )),
            block: 8,
            carry: Vec::new(),
            lines: 0,
            format: Format::default_v2(),
            parser: Parser::new(&Format::default_v2()),
            assumed_noted: true,
            eof: false,
            allow_partial: false,
            broken: None,
        };
        let mut stats = Stats::default();
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some(at) = src.next_block(&mut buf, &mut stats).unwrap() {
            got.push((at.first_line, String::from_utf8(buf.clone()).unwrap()));
        }
        // The long line is read whole, then the block ends at the stream's end.
        let long = format!("{}\nb\n", "z".repeat(50));
        assert_eq!(got, vec![(1, "a\n".to_string()), (2, long)]);
    }
}
