//! Reading: sources → parse → reduce → aggregate. The pipeline is the
//! sources' [`Sink`]: it turns the byte streams and lines they hand over into
//! evidence ([`Aggregator`]) and counts ([`Stats`]): every line is used,
//! rejected, or skipped with a reason and its place.
//!
//! - `layout.rs`: the layout a stream starts with, and a block's;
//! - `lines.rs`: one stream's lines → evidence ([`LineReader`]);
//! - `document.rs`: a document's items, lines of several streams → evidence;
//! - `parquet.rs`: a Parquet file's typed rows → evidence, one row group at a time;
//! - `text.rs`: a text stream cut into blocks of whole lines;
//! - `engine.rs`: local files on every core ([`read_files`]);
//! - `progress.rs`: progress bars on stderr.

mod document;
mod engine;
mod layout;
mod lines;
mod parquet;
mod progress;
mod text;

use anyhow::Result;

use document::DocumentLines;
pub use engine::read_files;
pub use lines::LineReader;
use parquet::RowLayout;
pub use progress::{progress_bar, progress_counter};
use text::{BLOCK, Block, TextSource};

use crate::aggregate::Aggregator;
use crate::parse::{Format, FormatOrigin};
use crate::sources::parquet::{Batch, SUPPORTED as PARQUET, Want};
use crate::sources::{self, Kind, Notes, Stream};
use crate::stats::Stats;
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

/// What reading gives: the evidence so far and the counts.
#[derive(Debug, Default)]
pub struct Reading {
    pub agg: Aggregator,
    pub stats: Stats,
}

/// The sink of a source: reads what it hands over with these options.
pub struct Reader {
    opts: ReadOptions,
    /// The layout of line-by-line streams (a log group's flow log).
    format: Option<Format>,
}

impl Reader {
    pub fn new(opts: ReadOptions) -> Reader {
        Reader { opts, format: None }
    }

    /// A log group's reader: its streams have no header line, and their
    /// layout is the flow log's `LogFormat`, the user's `--log-format`, or
    /// the v2 default, with a note saying which.
    pub fn for_group(
        opts: ReadOptions,
        group: &str,
        flow_log_format: Option<&str>,
        stats: &mut Stats,
    ) -> Reader {
        let format = group_format(group, flow_log_format, &opts, stats);
        Reader {
            opts,
            format: Some(format),
        }
    }
}

impl sources::Sink for Reader {
    type Out = Reading;
    type Lines = StreamLines;
    type Batches = StreamBatches;
    type Document = DocumentLines;

    fn empty(&self) -> Reading {
        Reading::default()
    }

    fn stream(&self, stream: Stream, allow_partial: bool) -> Result<Reading> {
        let opts = ReadOptions {
            allow_partial,
            ..self.opts.clone()
        };
        let mut r = Reading::default();
        read_stream(stream, &opts, &mut r.agg, &mut r.stats, &|| {})?;
        Ok(r)
    }

    fn lines(&self, name: String) -> StreamLines {
        let mut stats = Stats::default();
        let reader = LineReader::new(name, &self.opts, self.format.clone(), &mut stats);
        StreamLines {
            reader,
            read: Reading {
                agg: Aggregator::new(),
                stats,
            },
        }
    }

    fn batches(&self, name: String, columns: &[String]) -> StreamBatches {
        let mut read = Reading::default();
        let layout = RowLayout::new(&name, columns, &self.opts, &mut read.stats);
        StreamBatches { layout, read }
    }

    fn document(&self, name: String, notes: Notes) -> DocumentLines {
        DocumentLines::new(name, notes, &self.opts, self.format.clone())
    }

    fn merge(&self, into: &mut Reading, from: Reading) {
        into.agg.merge(from.agg);
        into.stats.merge(from.stats);
    }

    fn located(&self, out: &mut Reading, account: &str) {
        out.agg.default_account(account);
    }

    fn missing(&self, into: &mut Reading, what: String) {
        into.stats.missing.push(what);
    }
}

/// The lines of one stream handed over one at a time.
pub struct StreamLines {
    reader: LineReader,
    read: Reading,
}

impl sources::Lines for StreamLines {
    type Out = Reading;

    fn line(&mut self, line: &[u8], number: u64) {
        let Reading { agg, stats } = &mut self.read;
        self.reader.line(line, number, agg, stats);
    }

    fn no_line(&mut self, number: u64, why: &str) {
        let stats = &mut self.read.stats;
        stats.records += 1;
        stats.skip_at("no message", self.reader.name(), number, why);
    }

    fn finish(mut self) -> Reading {
        self.reader.flush(&mut self.read.stats);
        self.read.agg.spans_into(&mut self.read.stats);
        self.read
    }
}

/// The row groups of one Parquet file handed over one at a time.
pub struct StreamBatches {
    /// `None`: no column is a flow-log field (the file was skipped).
    layout: Option<RowLayout>,
    read: Reading,
}

impl sources::Batches for StreamBatches {
    type Out = Reading;

    fn columns(&self) -> &[(usize, Want)] {
        self.layout.as_ref().map_or(&[], |l| l.columns())
    }

    fn batch(&mut self, batch: &Batch) {
        if let Some(l) = &self.layout {
            l.read(batch, &mut self.read.agg, &mut self.read.stats);
        }
    }

    fn finish(mut self) -> Reading {
        self.read.agg.spans_into(&mut self.read.stats);
        self.read
    }
}

pub const IAM_ACTIONS: &[&str] = &["logs:DescribeLogStreams", "logs:FilterLogEvents"];

/// The field order for a log group: the flow log's `LogFormat`, the user's
/// `--log-format`, or the v2 default, with a note saying which.
fn group_format(
    group: &str,
    flow_log_format: Option<&str>,
    opts: &ReadOptions,
    stats: &mut Stats,
) -> Format {
    if let Some(f) = flow_log_format.and_then(Format::from_names) {
        return f;
    }
    if let Some(f) = &opts.log_format {
        return f.clone();
    }
    stats.notes.push(format!(
        "log group {group}: no flow log delivering to it names a LogFormat and no --log-format was given: the default v2 format was assumed"
    ));
    let mut f = Format::default_v2();
    f.origin = FormatOrigin::Given;
    f
}

/// Reads one stream into an aggregator. Only an I/O failure (or, in a
/// document of CloudWatch Logs events, JSON that is not valid) is an error;
/// every bad line is counted, with its place, and the stream goes on.
/// `tick` is called after every block, for progress. A Parquet stream is
/// read whole, then row group by row group; a document of events, event by
/// event.
pub fn read_stream(
    stream: Stream,
    opts: &ReadOptions,
    agg: &mut Aggregator,
    stats: &mut Stats,
    tick: &dyn Fn(),
) -> Result<()> {
    match stream.kind {
        Kind::Text => {}
        Kind::Parquet if !PARQUET => {
            skip_unsupported_parquet(&stream.name, stats);
            return Ok(());
        }
        kind @ (Kind::Parquet | Kind::Events) => {
            let reader = Reader::new(opts.clone());
            let read = if kind == Kind::Parquet {
                sources::parquet::read(&reader, stream, opts.allow_partial)
            } else {
                sources::events::read(&reader, stream, opts.allow_partial)
            }?;
            agg.merge(read.agg);
            stats.merge(read.stats);
            tick();
            return Ok(());
        }
    }
    let Stream {
        name,
        reader,
        notes,
        ..
    } = stream;
    let mut source = TextSource::new(name, Box::new(reader), notes, opts, stats);
    let mut buf = Block::with_capacity(BLOCK);
    while let Some(at) = source.next_block(&mut buf, stats)? {
        let first = at.first_line;
        LineReader::for_block(source.name.clone(), opts.window, at).block(&buf, first, agg, stats);
        tick();
    }
    agg.spans_into(stats);
    Ok(())
}

/// Counts a Parquet file this build cannot read as skipped, with the reason.
fn skip_unsupported_parquet(name: &str, stats: &mut Stats) {
    stats.files += 1;
    stats.skip_at(
        "unsupported file",
        name,
        0,
        "a Parquet file: this sgpair was built without the `parquet` feature (build with default features to read Parquet flow logs)",
    );
}
