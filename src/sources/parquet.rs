//! Parquet flow logs (S3 delivery with `FileFormat=parquet`, or local
//! `.parquet` files). Columns are named like the text fields with underscores
//! (`interface_id`); [`Table::rows`] hands each row over as one record line,
//! so every check of the text path applies unchanged.
//!
//! Without the `parquet` cargo feature, [`SUPPORTED`] is false: the reader
//! recognises a Parquet file (by its `PAR1` magic) and skips it with a
//! reason, never reading it as text.

#[cfg(feature = "parquet")]
use std::io::Cursor;

#[cfg(feature = "parquet")]
use anyhow::Context;
use anyhow::Result;
#[cfg(feature = "parquet")]
use polars::prelude::{DataFrame, DataType, ParquetReader, PolarsResult, SerReader, StringChunked};

/// Whether this build reads Parquet (the `parquet` cargo feature).
pub const SUPPORTED: bool = cfg!(feature = "parquet");

/// One decoded Parquet file.
pub struct Table {
    #[cfg(feature = "parquet")]
    frame: DataFrame,
}

/// A table's columns as text, ready to be handed over row by row.
pub struct Rows {
    #[cfg(feature = "parquet")]
    columns: Vec<StringChunked>,
    #[cfg(feature = "parquet")]
    height: usize,
}

#[cfg(not(feature = "parquet"))]
/// Without the `parquet` feature there is nothing to decode with.
pub fn decode(name: &str, _bytes: Vec<u8>) -> Result<Table> {
    anyhow::bail!("{name}: this sgpair was built without the `parquet` feature")
}

#[cfg(not(feature = "parquet"))]
impl Table {
    pub fn columns(&self) -> Vec<String> {
        Vec::new()
    }

    pub fn text(&self, _name: &str) -> Result<Rows> {
        Ok(Rows {})
    }
}

#[cfg(not(feature = "parquet"))]
impl Rows {
    pub fn each(self, _row: impl FnMut(&[u8], u64)) {}
}

#[cfg(feature = "parquet")]
/// Decodes one whole Parquet object (Parquet needs its footer first, so the
/// object is held in memory; AWS writes one object per hour or less).
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<Table> {
    let frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .with_context(|| format!("{name}: not a readable Parquet file"))?;
    Ok(Table { frame })
}

#[cfg(feature = "parquet")]
impl Table {
    /// The column names, in file order.
    pub fn columns(&self) -> Vec<String> {
        self.frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    /// The columns as text.
    pub fn text(&self, name: &str) -> Result<Rows> {
        let columns: Vec<StringChunked> = self
            .frame
            .columns()
            .iter()
            .map(|c| c.cast(&DataType::String).and_then(|c| c.str().cloned()))
            .collect::<PolarsResult<_>>()
            .with_context(|| format!("{name}: cannot read the columns as text"))?;
        Ok(Rows {
            columns,
            height: self.frame.height(),
        })
    }
}

#[cfg(feature = "parquet")]
impl Rows {
    /// Hands every row to `row` as one line of space-separated values in
    /// column order (`-` for a missing value), with its number from 1.
    pub fn each(self, mut row: impl FnMut(&[u8], u64)) {
        let mut iters: Vec<_> = self.columns.iter().map(|c| c.iter()).collect();
        let mut line = Vec::with_capacity(256);
        for n in 0..self.height {
            line.clear();
            for (j, it) in iters.iter_mut().enumerate() {
                if j > 0 {
                    line.push(b' ');
                }
                match it.next().flatten() {
                    Some(v) if !v.is_empty() && v != "None" => {
                        // A value never contains the separator in flow logs; keep it one token.
                        line.extend(v.bytes().map(|b| if b == b' ' { b'_' } else { b }));
                    }
                    _ => line.push(b'-'),
                }
            }
            row(&line, n as u64 + 1);
        }
    }
}
