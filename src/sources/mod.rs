//! Stage 1: sources. Where flow-log bytes come from: local files, CloudWatch
//! Logs, S3. A source hands each stream to a [`Sink`] (a Parquet file as
//! typed batches, [`parquet`]; a document of CloudWatch Logs events as its
//! log streams' lines, [`events`]) and folds what the sink gives back; it
//! knows nothing of parsing or evidence (the pipeline is the sink). The
//! stream's name (a path, `log-group/stream`, `s3://bucket/key`) is what
//! error messages and skip counts point at.

#[cfg(feature = "aws")]
pub mod athena;
#[cfg(feature = "aws")]
pub mod cloudwatch;
pub mod events;
pub mod files;
pub mod gzip;
#[cfg(feature = "aws")]
pub mod insights;
pub mod parquet;
pub mod s3;
pub mod utf16;

use std::io::BufRead;
use std::sync::{Arc, Mutex};

use anyhow::Result;

use crate::partial::Partial;

/// One stream of flow-log bytes.
pub struct Stream {
    /// Shown in messages: `path`, `s3://bucket/key`, `log-group/stream`.
    pub name: String,
    /// Size in bytes as stored (compressed), for progress; 0 when unknown.
    pub size: u64,
    pub reader: Box<dyn BufRead + Send>,
    /// What the bytes are, judged by their first bytes.
    pub kind: Kind,
    /// What the reader found worth saying without stopping (bytes after the
    /// last gzip member): the pipeline adds it to the run's notes.
    pub notes: Notes,
}

/// Notes a stream's reader leaves as it reads, shared with whoever reads it.
#[derive(Debug, Clone, Default)]
pub struct Notes(Arc<Mutex<Vec<String>>>);

impl Notes {
    pub fn push(&self, note: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(note);
    }

    /// The notes left so far, taken.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text lines (after gzip decoding, where it applied).
    Text,
    /// An Apache Parquet file (`PAR1` magic): S3 delivery in Parquet.
    Parquet,
    /// A JSON document of CloudWatch Logs events, as `aws logs
    /// filter-log-events` or `get-log-events` prints it (after gzip
    /// decoding, where it applied), or several such documents one after
    /// another: read by [`events::read`].
    Events,
}

/// Where a source hands its streams: the reader downstream (the pipeline).
/// `Out` is what reading gives (for the pipeline, evidence and counts); a
/// source that reads many streams folds their outs with [`Sink::merge`].
pub trait Sink: Send + Sync + 'static {
    type Out: Send + 'static;
    type Lines: Lines<Out = Self::Out>;
    type Batches: Batches<Out = Self::Out>;
    type Document: Document<Out = Self::Out>;
    /// Nothing read yet.
    fn empty(&self) -> Self::Out;
    /// Reads one whole byte stream (a file, an S3 object). With
    /// `allow_partial`, a stream that breaks off keeps its whole lines and
    /// the break is recorded as missing instead of failing.
    fn stream(&self, stream: Stream, allow_partial: bool) -> Result<Self::Out>;
    /// A stream that arrives line by line (a CloudWatch log stream).
    fn lines(&self, name: String) -> Self::Lines;
    /// A Parquet file whose row groups arrive as typed batches; `columns`
    /// are its column names, of which the sink says which it reads.
    fn batches(&self, name: String, columns: &[String]) -> Self::Batches;
    /// A document called `name` (a file) whose items are the lines of
    /// several streams, interleaved (CloudWatch Logs events of several log
    /// streams). `notes` are its reader's, as a [`Stream`]'s.
    fn document(&self, name: String, notes: Notes) -> Self::Document;
    fn merge(&self, into: &mut Self::Out, from: Self::Out);
    /// What one stream gave came from a location that names its account
    /// (an S3 key under `AWSLogs/{account}/`): its records that do not log
    /// `account-id` are that account's.
    fn located(&self, out: &mut Self::Out, account: &str);
    /// Records a stream or source that could not be read (`--allow-partial`).
    fn missing(&self, into: &mut Self::Out, what: String);
}

/// The lines of one stream, handed over one at a time.
pub trait Lines: Send + 'static {
    type Out;
    /// Line `number` (from 1) of the stream.
    fn line(&mut self, line: &[u8], number: u64);
    /// Item `number` of the stream holds no line (a CloudWatch Logs event
    /// without a message): a record that is skipped, `why` says so.
    fn no_line(&mut self, number: u64, why: &str);
    fn finish(self) -> Self::Out;
}

/// The items of one document, each a line of one of its streams (or the
/// reason it holds none), handed over one at a time in the document's order.
pub trait Document: Send + 'static {
    type Out;
    /// Item `number` (from 1, its place in the document) is `line` of the
    /// stream called `stream`.
    fn line(&mut self, stream: &str, line: &[u8], number: u64);
    /// Item `number`, of the stream called `stream`, holds no line: a
    /// record that is skipped, `why` says what it holds instead.
    fn no_line(&mut self, stream: &str, number: u64, why: &str);
    fn finish(self) -> Self::Out;
}

/// The row groups of one Parquet file, handed over one at a time.
pub trait Batches: Send + 'static {
    type Out;
    /// The columns to decode (indexes into the file's columns) and how;
    /// the others are never read.
    fn columns(&self) -> &[(usize, parquet::Want)];
    /// One row group: the columns of [`Batches::columns`], in that order.
    fn batch(&mut self, batch: &parquet::Batch);
    fn finish(self) -> Self::Out;
}

/// Folds what reading one stream gave into `out`; a failure fails the run
/// or, with `--allow-partial`, is recorded as missing ([`Partial`]).
pub fn fold<S: Sink>(
    sink: &S,
    partial: Partial,
    out: &mut S::Out,
    read: Result<S::Out>,
) -> Result<()> {
    if let Some(o) = partial.settle(read, "", |m| sink.missing(out, m))? {
        sink.merge(out, o);
    }
    Ok(())
}
