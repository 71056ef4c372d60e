//! Parquet flow logs (S3 delivery with `FileFormat=parquet`, or local
//! `.parquet` files). Columns are named like the text fields with underscores
//! (`interface_id`); each row becomes one record line, so every check of the
//! text path applies unchanged.
//!
//! Without the `parquet` cargo feature, a Parquet file is recognised (by its
//! `PAR1` magic) and skipped with a reason, never read as text.

#[cfg(feature = "parquet")]
use std::io::Cursor;

#[cfg(feature = "parquet")]
use anyhow::Context;
use anyhow::Result;
#[cfg(feature = "parquet")]
use polars::prelude::{DataType, ParquetReader, PolarsResult, SerReader, StringChunked};

use crate::aggregate::Aggregator;
#[cfg(feature = "parquet")]
use crate::parse::{Format, FormatOrigin};
#[cfg(feature = "parquet")]
use crate::pipeline::LineReader;
use crate::pipeline::ReadOptions;
use crate::stats::Stats;

/// Whether this build reads Parquet (the `parquet` cargo feature).
pub const SUPPORTED: bool = cfg!(feature = "parquet");

/// Counts a Parquet file this build cannot read as skipped, with the reason.
pub fn skip_unsupported(name: &str, stats: &mut Stats) {
    stats.files += 1;
    stats.skip_at(
        "unsupported file",
        name,
        0,
        "a Parquet file: this sgpair was built without the `parquet` feature (build with default features to read Parquet flow logs)",
    );
}

/// Without the `parquet` feature: the file is counted as skipped, with the reason.
#[cfg(not(feature = "parquet"))]
pub fn read(
    name: &str,
    _bytes: Vec<u8>,
    _opts: &ReadOptions,
    _agg: &mut Aggregator,
    stats: &mut Stats,
) -> Result<()> {
    skip_unsupported(name, stats);
    Ok(())
}

#[cfg(feature = "parquet")]
/// Reads one whole Parquet object (Parquet needs its footer first, so the
/// object is held in memory; AWS writes one object per hour or less).
pub fn read(
    name: &str,
    bytes: Vec<u8>,
    opts: &ReadOptions,
    agg: &mut Aggregator,
    stats: &mut Stats,
) -> Result<()> {
    let df = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .with_context(|| format!("{name}: not a readable Parquet file"))?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let format = Format::from_names(&names.join(" ")).map(|mut f| {
        f.origin = FormatOrigin::Header;
        f
    });
    let Some(format) = format else {
        stats.files += 1;
        stats.skip_at(
            "unusable format",
            name,
            0,
            format!(
                "no column is a flow-log field (columns: {})",
                names.join(", ")
            ),
        );
        return Ok(());
    };
    if !format.unknown.is_empty() {
        stats.notes.push(format!(
            "{name}: columns that are not flow-log fields are ignored: {}",
            format.unknown.join(", ")
        ));
    }
    let columns: Vec<StringChunked> = df
        .columns()
        .iter()
        .map(|c| c.cast(&DataType::String).and_then(|c| c.str().cloned()))
        .collect::<PolarsResult<_>>()
        .with_context(|| format!("{name}: cannot read the columns as text"))?;
    let mut iters: Vec<_> = columns.iter().map(|c| c.iter()).collect();
    let mut lines = LineReader::new(name.to_string(), opts, Some(format), stats);
    let mut line = Vec::with_capacity(256);
    for row in 0..df.height() {
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
        lines.line(&line, row as u64 + 1, agg, stats);
    }
    lines.flush(stats);
    Ok(())
}
