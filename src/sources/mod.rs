//! Stage 1: sources. Where flow-log text comes from. Each source yields
//! named streams of lines; the name (a path, or later a log stream or an S3
//! key) is what error messages and skip counts point at.

#[cfg(feature = "aws")]
pub mod cloudwatch;
pub mod files;
pub mod parquet;
pub mod s3;

use std::io::BufRead;

/// One stream of flow-log lines.
pub struct Stream {
    /// Shown in messages: `path`, `s3://bucket/key`, `log-group/stream`.
    pub name: String,
    /// Size in bytes as stored (compressed), for progress; 0 when unknown.
    pub size: u64,
    pub reader: Box<dyn BufRead + Send>,
    /// What the bytes are, judged by their first bytes.
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text lines (after gzip decoding, where it applied).
    Text,
    /// An Apache Parquet file (`PAR1` magic): S3 delivery in Parquet.
    Parquet,
}
