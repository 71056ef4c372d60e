//! A document whose items are the lines of several streams, in the
//! document's order (CloudWatch Logs events of several log streams, as the
//! AWS CLI prints them) → evidence. The document reads as a text file does:
//! one layout, which a header line changes for the lines after it, a note
//! when the default format is assumed, places (`file:N`, N the item's
//! number). What is per stream is per stream: each stream is counted, and
//! each record goes into its own stream's span.

use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::layout::count_stream;
use super::lines::LineReader;
use super::{ReadOptions, Reading};
use crate::parse::Format;
use crate::sources::{self, Notes};

/// The items of one document handed over one at a time.
pub struct DocumentLines {
    name: Arc<str>,
    reader: LineReader,
    /// The streams met so far, and the one of the last item.
    streams: FxHashSet<Arc<str>>,
    current: Option<Arc<str>>,
    /// What the document's reader noted (bytes after its gzip data).
    notes: Notes,
    read: Reading,
}

impl DocumentLines {
    /// `format`: the layout of lines before any header, as for
    /// [`LineReader::new`].
    pub(super) fn new(
        name: String,
        notes: Notes,
        opts: &ReadOptions,
        format: Option<Format>,
    ) -> DocumentLines {
        let mut read = Reading::default();
        let reader = LineReader::for_document(name.clone(), opts, format, &mut read.stats);
        DocumentLines {
            name: name.into(),
            reader,
            streams: FxHashSet::default(),
            current: None,
            notes,
            read,
        }
    }

    /// The next item is `stream`'s; a stream met for the first time is counted.
    fn enter(&mut self, stream: &str) {
        if self.current.as_deref() == Some(stream) {
            return;
        }
        let stream = match self.streams.get(stream) {
            Some(s) => s.clone(),
            None => {
                count_stream(stream, &mut self.read.stats);
                let s: Arc<str> = stream.into();
                self.streams.insert(s.clone());
                s
            }
        };
        self.reader
            .switch_stream(stream.clone(), &mut self.read.stats);
        self.current = Some(stream);
    }
}

impl sources::Document for DocumentLines {
    type Out = Reading;

    fn line(&mut self, stream: &str, line: &[u8], number: u64) {
        self.enter(stream);
        let Reading { agg, stats } = &mut self.read;
        self.reader.line(line, number, agg, stats);
    }

    fn no_line(&mut self, stream: &str, number: u64, why: &str) {
        self.enter(stream);
        let stats = &mut self.read.stats;
        stats.records += 1;
        stats.skip_at("bad json", &self.name, number, why);
    }

    fn finish(mut self) -> Reading {
        self.reader.flush(&mut self.read.stats);
        // A document without items is still a stream read, as an empty file is.
        if self.streams.is_empty() {
            count_stream(&self.name, &mut self.read.stats);
        }
        self.read.stats.notes.extend(self.notes.take());
        self.read.agg.spans_into(&mut self.read.stats);
        self.read
    }
}

#[cfg(test)]
mod tests;
