//! One stream's lines → evidence: the layout (header lines, `--log-format`,
//! the v2 default), then parse → reduce → aggregate per line, counting every
//! line as used, rejected or skipped with its place. A Parquet row takes the
//! same way from its parsed values on ([`LineReader::fields`]).

use std::sync::Arc;

use super::ReadOptions;
use super::layout::{
    BlockStart, assumed_note, first_format, skip_long_line, start_format, strip_export_stamp,
    unwrap_json,
};
use super::text::MAX_LINE;
use crate::aggregate::Aggregator;
use crate::parse::{
    Fields, Format, FormatError, FormatOrigin, Malformed, Newlines, Parsed, Parser, Recent, Record,
    looks_like_header,
};
use crate::reduce::{Reduced, reduce};
use crate::stats::{Span, Stats};
use crate::window::Window;

/// What the lines of one buffer (or the rows of one Parquet batch) leave
/// for the next: the record the one-pass parse fills
/// ([`Parser::parse_fast`], [`Parser::record_fast`]: the format's fields are
/// written per line) and the text fields the generic parse saw last.
pub(super) struct Kept<'a> {
    record: Record<'a>,
    recent: Recent<'a>,
}

impl Default for Kept<'_> {
    fn default() -> Self {
        Kept {
            record: Record::blank(),
            recent: Recent::default(),
        }
    }
}

/// Turns the lines of one stream into evidence, following the layout the
/// stream declares (header lines) or was given. Used by every source.
pub struct LineReader {
    name: Arc<str>,
    window: Window,
    format: Format,
    parser: Result<Parser, FormatError>,
    assumed_noted: bool,
    /// The stream whose span `span` is: the one `name` names, or in a
    /// document of several streams the one of the lines being read
    /// ([`LineReader::switch_stream`]).
    stream: Arc<str>,
    /// The window's records read since the last [`LineReader::flush`]. The
    /// interfaces' spans are kept by the aggregator, which interns each
    /// record's interface once (see [`Aggregator::spans_into`]).
    span: Span,
}

impl LineReader {
    /// A reader for a stream called `name` (shown in messages). `format` is
    /// the layout of lines before any header: `--log-format`, the flow log's
    /// own `LogFormat`, or (when `None`) the v2 default, which is then noted.
    pub fn new(
        name: String,
        opts: &ReadOptions,
        format: Option<Format>,
        stats: &mut Stats,
    ) -> Self {
        let layout = start_format(&name, opts, format, stats);
        LineReader::starting(name, opts.window, layout)
    }

    /// A reader for `name` whose first lines have `layout`.
    fn starting(
        name: String,
        window: Window,
        (format, parser): (Format, Result<Parser, FormatError>),
    ) -> Self {
        let name: Arc<str> = name.into();
        LineReader {
            stream: name.clone(),
            name,
            window,
            format,
            parser,
            assumed_noted: false,
            span: Span::default(),
        }
    }

    /// A reader for a document called `name` whose lines belong to several
    /// streams, in the document's order: one layout for the whole document
    /// (its header lines govern the lines after them), places in the
    /// document, each record in the span of its own stream
    /// ([`LineReader::switch_stream`]). The document is not a stream: it is
    /// not counted as one.
    pub(super) fn for_document(
        name: String,
        opts: &ReadOptions,
        format: Option<Format>,
        stats: &mut Stats,
    ) -> Self {
        let layout = first_format(&name, opts, format, stats);
        LineReader::starting(name, opts.window, layout)
    }

    /// A reader for one block of a stream that a [`TextSource`] cut: the
    /// layout is the one in force at the block's first line, and the source
    /// has already noted an assumed default format.
    pub(super) fn for_block(name: Arc<str>, window: Window, at: BlockStart) -> Self {
        LineReader {
            stream: name.clone(),
            name,
            window,
            format: at.format,
            parser: at.parser,
            assumed_noted: true,
            span: Span::default(),
        }
    }

    /// Hands the span of the stream's records read so far to `stats`.
    /// [`LineReader::block`] does it after each block; a caller of
    /// [`LineReader::line`] calls it at the end of the stream, and
    /// [`Aggregator::spans_into`] at the end of its reading.
    pub fn flush(&mut self, stats: &mut Stats) {
        if self.span.records > 0 {
            stats.add_stream_span(&self.stream, &self.span);
            self.span = Span::default();
        }
    }

    /// The stream's name, as places name it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The records read from here on are `stream`'s (a document's lines
    /// belong to several streams): the span so far goes to the stream before.
    pub(super) fn switch_stream(&mut self, stream: Arc<str>, stats: &mut Stats) {
        self.flush(stats);
        self.stream = stream;
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
        let mut kept = Kept::default();
        let mut ends = Newlines::new(block);
        loop {
            let nl = ends.take();
            if nl == block.len() {
                break;
            }
            self.line_with(&block[start..nl], line_no, agg, stats, &mut kept);
            line_no += 1;
            start = nl + 1;
        }
        if start < block.len() {
            self.line_with(&block[start..], line_no, agg, stats, &mut kept);
        }
        self.flush(stats);
    }

    /// Handles one line (with or without its terminator).
    #[inline]
    pub fn line(&mut self, raw: &[u8], line_no: u64, agg: &mut Aggregator, stats: &mut Stats) {
        self.line_with(raw, line_no, agg, stats, &mut Kept::default());
    }

    /// [`LineReader::line`] for one of the lines of a block: `kept` holds
    /// what the lines before it left. Always inlined: a call per line cost
    /// 30 instructions of its own (six arguments, the registers saved and
    /// restored), 1.5% of the reading.
    #[inline(always)]
    fn line_with<'a>(
        &mut self,
        raw: &'a [u8],
        line_no: u64,
        agg: &mut Aggregator,
        stats: &mut Stats,
        kept: &mut Kept<'a>,
    ) {
        if raw.len() > MAX_LINE {
            skip_long_line(&self.name, line_no, MAX_LINE, stats);
            return;
        }
        // A line of a CloudWatch Logs export holds the event's time first.
        let trimmed = strip_export_stamp(raw.trim_ascii());
        let line = trimmed;
        let Some(&first) = line.first() else {
            return;
        };
        let unwrapped;
        let json = first == b'{';
        let line: &[u8] = if json {
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
            // The record kept was filled under the layout before.
            kept.record = Record::blank();
            return;
        }
        stats.records += 1;
        let p = match &self.parser {
            Ok(p) => p,
            Err(e) => {
                stats.skip_at("unusable format", &self.name, line_no, e);
                return;
            }
        };
        if self.format.origin == FormatOrigin::DefaultAssumed && !self.assumed_noted {
            stats.notes.push(assumed_note(&self.name, line));
            self.assumed_noted = true;
        }
        let parsed = if json {
            p.parse(line)
        } else if p.parse_fast(trimmed, &mut kept.record) {
            self.take_record(&kept.record, agg, stats);
            return;
        } else {
            p.parse_with(trimmed, &mut kept.recent)
        };
        self.take(parsed, line_no, agg, stats);
    }

    /// Handles one record whose values a source holds typed (a Parquet
    /// row), with the checks of a line; `row` is its place in the stream,
    /// `recent` the text fields of the rows before it in the same batch.
    #[inline]
    pub(super) fn fields<'a, F: Fields<'a>>(
        &mut self,
        fields: &F,
        row: u64,
        agg: &mut Aggregator,
        stats: &mut Stats,
        kept: &mut Kept<'a>,
    ) {
        stats.records += 1;
        let p = match &self.parser {
            Ok(p) => p,
            Err(e) => {
                stats.skip_at("unusable format", &self.name, row, e);
                return;
            }
        };
        if p.record_fast(fields, &mut kept.record) {
            self.take_record(&kept.record, agg, stats);
            return;
        }
        let parsed = p.record(fields, &mut kept.recent);
        self.take(parsed, row, agg, stats);
    }

    /// What a record (line `place` of the stream) adds to the evidence and
    /// the counts. Always inlined: the record is large, and passing it by
    /// value copied it per line.
    #[inline(always)]
    fn take(
        &mut self,
        parsed: Result<Parsed<'_>, Malformed>,
        place: u64,
        agg: &mut Aggregator,
        stats: &mut Stats,
    ) {
        let window = self.window;
        match parsed {
            Ok(Parsed::Record(r)) => self.take_record(&r, agg, stats),
            // A NODATA or SKIPDATA record is in the window as any record is,
            // by its start (one that logs none is counted as in it).
            Ok(Parsed::NoData { start, end }) => match start {
                Some(s) if !window.contains(s) => stats.skip_outside(s, end.unwrap_or(s)),
                _ => stats.skip("nodata"),
            },
            Ok(Parsed::SkipData {
                interface_id,
                start,
                end,
            }) => match start {
                Some(s) if !window.contains(s) => stats.skip_outside(s, end.unwrap_or(s)),
                _ => {
                    agg.add_gap(interface_id, start, end);
                    stats.skip("skipdata");
                }
            },
            Err(m) => stats.skip_at(m.kind(), &self.name, place, m),
        }
    }

    /// What a record adds to the evidence and the counts.
    #[inline(always)]
    fn take_record(&mut self, r: &Record<'_>, agg: &mut Aggregator, stats: &mut Stats) {
        if !self.window.contains(r.start) {
            stats.skip_outside(r.start, r.end);
            return;
        }
        // The stream's span and the interface's, interned once.
        self.span.add(r.start, r.end);
        let eni = agg.interface(r.interface_id);
        agg.note_span(eni, r.start, r.end);
        match reduce(r) {
            Reduced::Accepted(o) => {
                agg.add_for(eni, &o);
                stats.used += 1;
            }
            Reduced::Rejected(rj) => {
                agg.add_rejection(&rj);
                stats.rejected += 1;
            }
            Reduced::SelfTraffic => stats.skip("same address at both ends"),
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
