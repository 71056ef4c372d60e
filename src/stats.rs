//! Counts of what was read, used and skipped, with the first few places of
//! each kind of problem, so that nothing is dropped silently.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

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
}

impl Stats {
    pub fn skip(&mut self, reason: &str) {
        // Called per skipped record: no allocation once the reason is known.
        match self.skipped.get_mut(reason) {
            Some(n) => *n += 1,
            None => {
                self.skipped.insert(reason.to_string(), 1);
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

    pub fn merge(&mut self, o: Stats) {
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
            "read {} records from {} {}: {} used as evidence, {} rejected (not evidence), {} skipped",
            self.records,
            self.files,
            if self.files == 1 { "source" } else { "sources" },
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
                "; INCOMPLETE: {} {} could not be read",
                self.missing.len(),
                if self.missing.len() == 1 {
                    "source"
                } else {
                    "sources"
                }
            ));
        }
        s
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
            "read 10 records from 2 sources: 6 used as evidence, 1 rejected (not evidence), 3 skipped (bad port: 2, nodata: 1)"
        );
        assert_eq!(s.examples["bad port"][0], "a.log:7: srcport is \"70000\"");
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
