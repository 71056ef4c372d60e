//! Parquet flow logs (S3 delivery with `FileFormat=parquet`, or local
//! `.parquet` files), read one row group at a time and only the columns the
//! reader asks for. Each row group becomes a [`Batch`] of typed columns:
//! whole numbers stay numbers and text stays text, so nothing is formatted
//! and parsed again. A local file is read with positioned reads of the
//! column chunks asked for (never loaded whole, several row groups at once
//! from several threads); an S3 object is held whole, since Parquet's index
//! is at its end, and decoded the same way.
//!
//! Without the `parquet` cargo feature, [`SUPPORTED`] is false: the reader
//! recognises a Parquet file (by its `PAR1` magic) and skips it with a
//! reason, never reading it as text.

#[cfg(feature = "parquet")]
mod decode;
#[cfg(feature = "parquet")]
mod guard;
#[cfg(feature = "parquet")]
mod pages;

use anyhow::Result;

#[cfg(feature = "parquet")]
pub use decode::ParquetFile;

#[cfg(feature = "parquet")]
use super::Batches;
use super::{Sink, Stream};

/// Whether this build reads Parquet (the `parquet` cargo feature).
pub const SUPPORTED: bool = cfg!(feature = "parquet");

/// How the reader wants a column's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Whole numbers: integer columns stay integers; text columns stay text
    /// (the reader parses them); other types become text.
    Number,
    /// Text: integer and other columns become text, as polars prints them.
    Text,
    /// An address: text, as [`Want::Text`]. Where the column chunk is
    /// dictionary-encoded, each dictionary entry that is an IPv4 address is
    /// read once, and its rows carry it ([`Value::Addr`]).
    Address,
}

/// One value of a [`Batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a [u8]),
    /// Text that is an IPv4 address, read already (a dictionary's entry,
    /// [`Want::Address`]), with its text.
    Addr(std::net::Ipv4Addr, &'a [u8]),
}

/// The columns of one row group that the reader asked for, in the order it
/// asked for them.
pub struct Batch {
    /// The number of the group's first row in the file, from 1.
    pub first_row: u64,
    pub rows: usize,
    columns: Vec<Values>,
}

impl Batch {
    /// The value of `column` (as asked for) in `row` (from 0 in the batch).
    #[inline]
    pub fn value(&self, column: usize, row: usize) -> Value<'_> {
        self.columns[column].get(row)
    }

    /// The values of `column` in `rows`, into place `at` of each of `out`'s
    /// rows (in turn): a reader of rows lays a few rows of every column side
    /// by side, each column read in one pass, instead of reaching into every
    /// column's array (megabytes each, out of cache) for every row.
    pub fn gather<'a, const N: usize>(
        &'a self,
        column: usize,
        rows: std::ops::Range<usize>,
        out: &mut [[Value<'a>; N]],
        at: usize,
    ) {
        assert!(at < N, "a place within the row");
        let places = out.iter_mut().map(|row| &mut row[at]);
        #[cfg(feature = "parquet")]
        match &self.columns[column] {
            Values::Int32(v) => v.gather(rows, places),
            Values::Int64(v) => v.gather(rows, places),
            Values::Text(v) => v.gather(rows, places),
            Values::Dict(v) => v.gather(rows, places),
        }
        #[cfg(not(feature = "parquet"))]
        {
            let _ = (rows, places);
            match self.columns[column] {}
        }
    }
}

/// One decoded column.
enum Values {
    #[cfg(feature = "parquet")]
    Int32(decode::Ints<i32>),
    #[cfg(feature = "parquet")]
    Int64(decode::Ints<i64>),
    #[cfg(feature = "parquet")]
    Text(decode::Texts),
    /// A dictionary-encoded text column: each row's entry.
    #[cfg(feature = "parquet")]
    Dict(decode::Dict),
}

impl Values {
    #[inline]
    fn get(&self, row: usize) -> Value<'_> {
        #[cfg(feature = "parquet")]
        match self {
            Values::Int32(v) => v.get(row),
            Values::Int64(v) => v.get(row),
            Values::Text(v) => v.get(row),
            Values::Dict(v) => v.get(row),
        }
        #[cfg(not(feature = "parquet"))]
        {
            let _ = row;
            match *self {}
        }
    }
}

/// Reads a Parquet stream (an S3 object): held whole, its footer read, then
/// its row groups decoded one at a time and handed to the sink's
/// [`Batches`]. A row group that cannot be decoded fails the read or, with
/// `allow_partial`, keeps the groups before it and is recorded as missing.
/// Without the `parquet` feature, the stream goes to [`Sink::stream`],
/// which skips it with the reason.
pub fn read<S: Sink>(sink: &S, stream: Stream, allow_partial: bool) -> Result<S::Out> {
    #[cfg(feature = "parquet")]
    {
        let Stream {
            name, mut reader, ..
        } = stream;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut bytes)
            .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {name}")))?;
        let file = ParquetFile::from_bytes(name.clone(), bytes)?;
        let mut batches = sink.batches(name, &file.columns());
        for group in 0..file.row_groups() {
            match file.read(group, batches.columns()) {
                Ok(batch) => batches.batch(&batch),
                Err(e) if allow_partial => {
                    let mut out = batches.finish();
                    sink.missing(&mut out, format!("{e:#}"));
                    return Ok(out);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(batches.finish())
    }
    #[cfg(not(feature = "parquet"))]
    sink.stream(stream, allow_partial)
}
