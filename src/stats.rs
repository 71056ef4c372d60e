//! Counts of what was read, used and skipped, with the first few places of
//! each kind of problem, so that nothing is dropped silently.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::window::{Window, rfc3339};

/// Skip reasons of records that were read and understood, then set aside
/// as the logs meant them: idle or lost capture intervals, records outside
/// the window, an address talking to itself. Every other reason means
/// evidence that could not be read ([`Stats::unreadable`]).
pub const READ_AS_MEANT: [&str; 4] = [
    "nodata",
    "skipdata",
    "outside the window",
    "same address at both ends",
];

/// Examples kept per reason.
const EXAMPLES_PER_REASON: usize = 5;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Stats {
    pub files: u64,
    /// Lines that were neither blank nor a header.
    pub records: u64,
    /// Accepted records in the window: the evidence.
    pub used: u64,
    /// Rejected records in the window: summarised, never evidence.
    pub rejected: u64,
    /// Skipped records by reason.
    pub skipped: BTreeMap<String, u64>,
    /// The first places of each reason (`file:line: what`).
    pub examples: BTreeMap<String, Vec<String>>,
    /// Notes about whole files (assumed formats, unknown columns).
    pub notes: Vec<String>,
    /// Sources that could not be read (fully), with the error: only with
    /// `--allow-partial`; the evidence is then incomplete.
    pub missing: Vec<String>,
    /// The records in the window per stream (a file, a CloudWatch log
    /// stream, an S3 object), until [`Stats::roll_up`] folds them into the
    /// source they came from.
    #[serde(skip)]
    pub streams: BTreeMap<String, Span>,
    /// The records in the window per source given on the command line (a
    /// `--logs` path, a log group, an S3 location): what the evidence covers.
    #[serde(skip)]
    pub sources: BTreeMap<String, SourceSpan>,
    /// The records in the window per interface (`interface-id`).
    #[serde(skip)]
    pub interfaces: BTreeMap<String, Span>,
    /// The records skipped as outside the window: where they lie, so a run
    /// whose window missed the logs can say where they are.
    #[serde(skip)]
    pub outside: Span,
}

/// The records of the window in one stream, source or interface: how many,
/// the earliest start and the latest end (Unix seconds; `last` is the end
/// of the last capture interval, exclusive).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Span {
    pub records: u64,
    pub first: i64,
    pub last: i64,
}

impl Span {
    /// Adds one record's capture interval.
    #[inline]
    pub fn add(&mut self, start: i64, end: i64) {
        let end = end.max(start);
        if self.records == 0 {
            (self.first, self.last) = (start, end);
        } else {
            self.first = self.first.min(start);
            self.last = self.last.max(end);
        }
        self.records += 1;
    }

    pub fn merge(&mut self, o: &Span) {
        if o.records == 0 {
            return;
        }
        if self.records == 0 {
            *self = *o;
        } else {
            self.first = self.first.min(o.first);
            self.last = self.last.max(o.last);
            self.records += o.records;
        }
    }

    /// `(first, last)`, or `None` without records.
    pub fn range(&self) -> Option<(i64, i64)> {
        (self.records > 0).then_some((self.first, self.last))
    }
}

/// One source's span: its streams (files, log streams, objects) together.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct SourceSpan {
    /// Streams read from the source, with or without records in the window.
    pub streams: u64,
    #[serde(flatten)]
    pub span: Span,
}

impl Stats {
    pub fn skip(&mut self, reason: &str) {
        self.skip_n(reason, 1);
    }

    /// Counts a record (of any status) that starts outside the window, and
    /// where it lies: its start to its end.
    pub fn skip_outside(&mut self, start: i64, end: i64) {
        self.skip("outside the window");
        self.outside.add(start, end);
    }

    /// Counts `n` records skipped for one reason (rows that stand for many).
    pub fn skip_n(&mut self, reason: &str, n: u64) {
        // Called per skipped record: no allocation once the reason is known.
        match self.skipped.get_mut(reason) {
            Some(c) => *c += n,
            None => {
                self.skipped.insert(reason.to_string(), n);
            }
        }
    }

    /// Counts a skip and keeps its place when it is among the first few
    /// places (by file, then line number), whatever order the lines were
    /// read in: parallel reading gives the same examples as a sequential one.
    pub fn skip_at(&mut self, reason: &str, file: &str, line: u64, what: impl fmt::Display) {
        self.skip(reason);
        let ex = match self.examples.get_mut(reason) {
            Some(ex) => ex,
            None => self.examples.entry(reason.to_string()).or_default(),
        };
        if ex.len() >= EXAMPLES_PER_REASON
            && ex
                .last()
                .is_some_and(|last| place(last) <= (file, line, ""))
        {
            return;
        }
        let text = format!("{file}:{line}: {what}");
        let at = ex.partition_point(|e| place(e) <= place(&text));
        ex.insert(at, text);
        ex.truncate(EXAMPLES_PER_REASON);
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Records (and files) skipped because they could not be read as flow
    /// logs: every reason but those of records read as meant
    /// ([`READ_AS_MEANT`]). A reason added later counts here until it is
    /// listed there, so a gate errs on the side of "not read".
    pub fn unreadable(&self) -> u64 {
        self.unreadable_reasons().map(|(_, n)| n).sum()
    }

    /// The reasons [`Stats::unreadable`] counts, each with its count.
    pub fn unreadable_reasons(&self) -> impl Iterator<Item = (&str, u64)> {
        self.skipped
            .iter()
            .filter(|(k, _)| !READ_AS_MEANT.contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), *v))
    }

    /// Sums over records (bytes, packets, records, connections, per
    /// connection, rule or service) stop at `u64::MAX` rather than wrap:
    /// given every such sum by name, notes once per name that one of them
    /// reached it, so that a number in a report is never silently short.
    pub fn note_saturated(&mut self, sums: impl IntoIterator<Item = (&'static str, u64)>) {
        let hit: std::collections::BTreeSet<&str> = sums
            .into_iter()
            .filter(|(_, v)| *v == u64::MAX)
            .map(|(name, _)| name)
            .collect();
        for name in hit {
            self.notes.push(format!(
                "a sum of {name} over records reached {} (u64::MAX) and stopped there: where a report shows that many {name}, there were more",
                u64::MAX
            ));
        }
    }

    /// Adds a stream's span (a reader's, once per block or at its end).
    pub fn add_stream_span(&mut self, name: &str, span: &Span) {
        match self.streams.get_mut(name) {
            Some(s) => s.merge(span),
            None => {
                self.streams.insert(name.to_string(), *span);
            }
        }
    }

    /// Adds an interface's span.
    pub fn add_interface_span(&mut self, interface: &str, span: &Span) {
        match self.interfaces.get_mut(interface) {
            Some(s) => s.merge(span),
            None => {
                self.interfaces.insert(interface.to_string(), *span);
            }
        }
    }

    /// Folds the streams read so far into the source `label` they all came
    /// from (a log group, an S3 location).
    pub fn roll_up(&mut self, label: &str) {
        let streams = std::mem::take(&mut self.streams);
        let src = self.sources.entry(label.to_string()).or_default();
        for s in streams.values() {
            src.streams += 1;
            src.span.merge(s);
        }
    }

    /// Folds each stream into the first of `roots` (paths given with
    /// `--logs`) that holds it; a stream under none keeps its own name.
    pub fn roll_up_paths(&mut self, roots: &[std::path::PathBuf]) {
        let streams = std::mem::take(&mut self.streams);
        for (name, s) in streams {
            let label = roots
                .iter()
                .find(|r| std::path::Path::new(&name).starts_with(r))
                .map_or(name, |r| r.display().to_string());
            let src = self.sources.entry(label).or_default();
            src.streams += 1;
            src.span.merge(&s);
        }
    }

    pub fn merge(&mut self, o: Stats) {
        for (k, v) in &o.streams {
            self.add_stream_span(k, v);
        }
        for (k, v) in &o.interfaces {
            self.add_interface_span(k, v);
        }
        for (k, v) in o.sources {
            let src = self.sources.entry(k).or_default();
            src.streams += v.streams;
            src.span.merge(&v.span);
        }
        self.outside.merge(&o.outside);
        self.files += o.files;
        self.records += o.records;
        self.used += o.used;
        self.rejected += o.rejected;
        for (k, v) in o.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        for (k, v) in o.examples {
            let ex = self.examples.entry(k).or_default();
            ex.extend(v);
            ex.sort_by(|a, b| place(a).cmp(&place(b)));
            ex.dedup();
            ex.truncate(EXAMPLES_PER_REASON);
        }
        self.notes.extend(o.notes);
        self.notes.sort();
        self.missing.extend(o.missing);
        self.missing.sort();
    }

    /// The one-line summary printed at the end of every run.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "read {} from {}: {} used as evidence, {} rejected (not evidence), {} skipped",
            count(self.records, "record"),
            // Streams: files, log streams, objects (a source, README's
            // Words, is what was given: a folder holds many streams).
            count(self.files, "stream"),
            self.used,
            self.rejected,
            self.skipped_total()
        );
        if !self.skipped.is_empty() {
            let parts: Vec<String> = self
                .skipped
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        if !self.missing.is_empty() {
            s.push_str(&format!(
                "; INCOMPLETE: {} could not be read in full",
                count(self.missing.len() as u64, "source")
            ));
        }
        s
    }
}

/// How far an end of the window may reach past the records before sgpair
/// says so, and how long an interface may be silent before the window's end.
pub const FILL_SLACK: i64 = 86_400;

/// What the evidence covers against the window: the span of each source,
/// whether the window reaches past the records, and the interfaces that
/// fell silent before its end.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Fill {
    /// Per source (a `--logs` path, a log group, an S3 location), in name order.
    pub sources: Vec<FillSource>,
    /// The earliest start and the latest end over every source.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Plain sentences, one per source whose records do not reach an end of
    /// the window (within [`FILL_SLACK`]), or that has none in it.
    pub warnings: Vec<String>,
    /// Interfaces whose last record ends more than [`FILL_SLACK`] before
    /// the window's end, earliest first.
    pub silent: Vec<SilentInterface>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FillSource {
    pub source: String,
    pub streams: u64,
    pub records: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// What this source leaves of the window unfilled: the sentences of
    /// [`Fill::warnings`] without the source's name (the audit's findings).
    #[serde(skip)]
    pub short: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SilentInterface {
    pub interface_id: String,
    pub records: u64,
    pub first: i64,
    pub last: i64,
}

impl Stats {
    /// The span of the evidence against `window`.
    pub fn fill(&self, window: &Window) -> Fill {
        let mut all: BTreeMap<&str, SourceSpan> =
            self.sources.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        // Streams no source claimed are sources of their own.
        for (k, v) in &self.streams {
            let e = all.entry(k.as_str()).or_default();
            e.streams += 1;
            e.span.merge(v);
        }
        let mut fill = Fill::default();
        let mut total = Span::default();
        for (name, src) in all {
            total.merge(&src.span);
            let range = src.span.range();
            let mut short = Vec::new();
            match range {
                None => short.push(format!(
                    "no record in the window ({}..{}); nothing of this source is evidence",
                    rfc3339(window.since),
                    rfc3339(window.until)
                )),
                Some((first, last)) => {
                    if window.until.saturating_sub(last) > FILL_SLACK {
                        short.push(format!(
                            "the newest record ends {}, {} before the window's end ({}); traffic after it is not in the evidence, and rules it needs may be missing (end the window with --until {})",
                            rfc3339(last),
                            duration(window.until - last),
                            rfc3339(window.until),
                            rfc3339(last)
                        ));
                    }
                    if first.saturating_sub(window.since) > FILL_SLACK {
                        short.push(format!(
                            "the oldest record in the window starts {}, {} after the window's start ({}); the evidence covers less time than the window says",
                            rfc3339(first),
                            duration(first - window.since),
                            rfc3339(window.since)
                        ));
                    }
                }
            }
            fill.warnings
                .extend(short.iter().map(|w| format!("{name}: {w}")));
            fill.sources.push(FillSource {
                source: name.to_string(),
                streams: src.streams,
                records: src.span.records,
                first: range.map(|r| r.0),
                last: range.map(|r| r.1),
                short,
            });
        }
        if let Some((first, last)) = total.range() {
            (fill.first, fill.last) = (Some(first), Some(last));
        }
        fill.silent = self
            .interfaces
            .iter()
            .filter(|(_, s)| s.records > 0 && window.until.saturating_sub(s.last) > FILL_SLACK)
            .map(|(id, s)| SilentInterface {
                interface_id: id.clone(),
                records: s.records,
                first: s.first,
                last: s.last,
            })
            .collect();
        fill.silent
            .sort_by(|a, b| (a.last, &a.interface_id).cmp(&(b.last, &b.interface_id)));
        fill
    }
}

/// `5.3 days`, `7 hours`: how long, for warnings.
fn duration(secs: i64) -> String {
    if secs >= FILL_SLACK {
        format!("{:.1} days", secs as f64 / 86_400.0)
    } else {
        count(u64::try_from(secs / 3_600).unwrap_or(0), "hour")
    }
}

/// `1 connection`, `3 connections`: a count and its noun, which takes an
/// `s` for every other number.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The order of examples: `file:line: what` by file, then line number, then
/// text. A file name containing `:<digits>: ` is not expected; such an example
/// still sorts, by its whole text.
fn place(example: &str) -> (&str, u64, &str) {
    let bytes = example.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b':', &bytes[from..]).map(|i| i + from) {
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = i + 1 + digits;
        if digits > 0
            && bytes[end..].starts_with(b": ")
            && let Ok(line) = example[i + 1..end].parse()
        {
            return (&example[..i], line, &example[end + 2..]);
        }
        from = i + 1;
    }
    (example, 0, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_every_reason() {
        let mut s = Stats {
            files: 2,
            records: 10,
            used: 6,
            rejected: 1,
            ..Default::default()
        };
        s.skip("nodata");
        s.skip_at("bad port", "a.log", 7, "srcport is \"70000\"");
        s.skip_at("bad port", "a.log", 9, "dstport is \"x\"");
        assert_eq!(
            s.summary(),
            "read 10 records from 2 streams: 6 used as evidence, 1 rejected (not evidence), 3 skipped (bad port: 2, nodata: 1)"
        );
        assert_eq!(s.examples["bad port"][0], "a.log:7: srcport is \"70000\"");
    }

    const DAY: i64 = 86_400;
    /// 2026-11-18T00:00:00Z..2026-11-25T00:00:00Z.
    const W: Window = Window {
        since: 1_794_960_000,
        until: 1_794_960_000 + 7 * DAY,
    };

    fn span(first: i64, last: i64) -> Span {
        let mut s = Span::default();
        s.add(first, first + 60);
        s.add(last - 60, last);
        s
    }

    #[test]
    fn a_source_that_ends_early_or_starts_late_is_said_and_a_full_one_is_not() {
        let mut st = Stats::default();
        st.add_stream_span("logs/a/1.log", &span(W.since + 5, W.until - 3 * DAY));
        st.add_stream_span("logs/a/2.log", &span(W.since + 60, W.until - 2 * DAY));
        st.add_stream_span("logs/b/1.log", &span(W.since + 2 * DAY, W.until));
        st.add_stream_span("logs/c/empty.log", &Span::default());
        st.add_stream_span("elsewhere.log", &span(W.since, W.until - 600));
        st.roll_up_paths(&["logs/a".into(), "logs/b".into(), "logs/c".into()]);
        assert!(st.streams.is_empty());
        let f = st.fill(&W);
        let names: Vec<&str> = f.sources.iter().map(|s| s.source.as_str()).collect();
        assert_eq!(names, ["elsewhere.log", "logs/a", "logs/b", "logs/c"]);
        assert_eq!(f.sources[1].streams, 2);
        assert_eq!(f.sources[1].records, 4);
        assert_eq!(f.sources[1].last, Some(W.until - 2 * DAY));
        assert_eq!(f.sources[3].records, 0);
        assert_eq!(f.first, Some(W.since));
        assert_eq!(f.last, Some(W.until));
        assert_eq!(f.warnings.len(), 3, "{:#?}", f.warnings);
        assert!(
            f.warnings[0].starts_with(
                "logs/a: the newest record ends 2026-11-23T00:00:00Z, 2.0 days before the window's end (2026-11-25T00:00:00Z)"
            ),
            "{}",
            f.warnings[0]
        );
        assert!(
            f.warnings[1].starts_with(
                "logs/b: the oldest record in the window starts 2026-11-20T00:00:00Z, 2.0 days after the window's start"
            ),
            "{}",
            f.warnings[1]
        );
        assert!(f.warnings[2].starts_with("logs/c: no record in the window"));
        // Within a day of either end: nothing to say.
        let mut ok = Stats::default();
        ok.add_stream_span("x", &span(W.since + DAY - 1, W.until - DAY + 1));
        assert!(ok.fill(&W).warnings.is_empty());
    }

    #[test]
    fn interfaces_silent_for_more_than_a_day_before_the_end_are_listed_earliest_first() {
        let mut st = Stats::default();
        st.add_interface_span("eni-late", &span(W.since, W.until - DAY - 1));
        st.add_interface_span("eni-early", &span(W.since, W.since + DAY));
        st.add_interface_span("eni-busy", &span(W.since, W.until - DAY));
        let mut other = Stats::default();
        other.add_interface_span("eni-busy", &span(W.since, W.until));
        st.merge(other);
        let silent: Vec<(String, i64)> = st
            .fill(&W)
            .silent
            .into_iter()
            .map(|s| (s.interface_id, s.last))
            .collect();
        assert_eq!(
            silent,
            [
                ("eni-early".to_string(), W.since + DAY),
                ("eni-late".to_string(), W.until - DAY - 1)
            ]
        );
        assert_eq!(st.interfaces["eni-busy"].records, 4);
    }

    #[test]
    fn a_sum_that_reached_u64_max_is_noted_once_by_name() {
        let mut s = Stats::default();
        s.note_saturated([("bytes", 5), ("packets", u64::MAX - 1)]);
        assert!(s.notes.is_empty(), "{:?}", s.notes);
        let mut bytes = 0u64;
        for _ in 0..3 {
            bytes = bytes.saturating_add(u64::MAX / 2);
        }
        s.note_saturated([
            ("bytes", bytes),
            ("records", 7),
            ("bytes", u64::MAX),
            ("connections", u64::MAX),
        ]);
        assert_eq!(
            s.notes,
            [
                "a sum of bytes over records reached 18446744073709551615 (u64::MAX) and stopped there: where a report shows that many bytes, there were more",
                "a sum of connections over records reached 18446744073709551615 (u64::MAX) and stopped there: where a report shows that many connections, there were more",
            ]
        );
    }

    #[test]
    fn merge_keeps_the_first_examples_in_order() {
        let mut a = Stats::default();
        let mut b = Stats::default();
        for i in 0..4 {
            a.skip_at("x", "b.log", i, "-");
            b.skip_at("x", "a.log", i, "-");
        }
        a.merge(b);
        assert_eq!(a.skipped["x"], 8);
        assert_eq!(a.examples["x"].len(), 5);
        assert!(a.examples["x"][0].starts_with("a.log:0"));
    }

    #[test]
    fn the_first_places_are_kept_whatever_the_reading_order() {
        let mut fwd = Stats::default();
        let mut parts = [Stats::default(), Stats::default()];
        for line in 1..=12u64 {
            fwd.skip_at("x", "f.log", line, "bad");
            // interleaved the other way round over two readers
            parts[(line % 2) as usize].skip_at("x", "f.log", 13 - line, "bad");
        }
        let [mut a, b] = parts;
        a.merge(b);
        assert_eq!(a.examples, fwd.examples);
        assert_eq!(
            fwd.examples["x"],
            [
                "f.log:1: bad",
                "f.log:2: bad",
                "f.log:3: bad",
                "f.log:4: bad",
                "f.log:5: bad"
            ]
        );
        // line 10 sorts after line 9, not between 1 and 2
        let mut s = Stats::default();
        s.skip_at("y", "g.log", 10, "ten");
        s.skip_at("y", "g.log", 9, "nine");
        assert_eq!(s.examples["y"], ["g.log:9: nine", "g.log:10: ten"]);
        assert_eq!(place("s3://b/k.gz:7: a: b"), ("s3://b/k.gz", 7, "a: b"));
    }
}
