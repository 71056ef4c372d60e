//! The aggregation pushed down to an engine where the logs lie: Athena's
//! Trino (`--athena`) and CloudWatch Logs Insights (`--insights`).
//!
//! - `sql.rs`: the queries, generated from [`crate::reduce::rules`] (the
//!   key's columns, the flag masks, the port ranges, the ICMP types) and the
//!   orientation pass's order ([`crate::aggregate`]'s `settle`);
//! - `csv.rs`: the results' CSV, record by record;
//! - `insights.rs`: the Logs Insights query of one time slice, and its rows
//!   (records grouped by every field the parser reads) folded in;
//! - `ddl.rs`: the `CREATE EXTERNAL TABLE` of `sgpair athena-table`;
//! - `layout.rs`: which partition columns of a table hold the day, the
//!   account and the region (from its catalog's partition keys);
//! - `rows.rs`: a result row → [`crate::aggregate::PushedConn`] or
//!   [`crate::aggregate::PushedFact`], which
//!   [`crate::aggregate::Aggregator::add_pushed`] and `add_fact` fold in.
//!
//! What the engine computes is what the local aggregator would hold after
//! its orientation pass: one row per capturing interface and settled key,
//! client ports counted exactly, never grouped by the client's port. The
//! test that keeps the two equal is `tests/it/pushdown.rs` (the SQL run by
//! DuckDB over the sample and fixtures, compared row by row).

pub mod csv;
pub mod ddl;
pub mod insights;
pub mod layout;
pub mod rows;
pub mod sql;

use std::io::BufRead;

use anyhow::{Context, Result};

use crate::aggregate::{Aggregator, PushedFact};
use crate::stats::{Span, Stats};
pub use rows::{Header, Row};

/// What one result held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Read {
    pub rows: u64,
    /// Records the connection rows sum (settled and undecided).
    pub records: u64,
    /// Rejected records the `rejected` rows sum.
    pub rejected: u64,
    /// NODATA records of the window (the `nodata` row).
    pub nodata: u64,
    /// SKIPDATA records of the window (the `gap` rows' intervals).
    pub skipdata: u64,
    /// The window's records of every interface together.
    pub span: Span,
}

impl Read {
    /// Counts the records the result stands for in `stats`, as a local read
    /// of them would: used, rejected, skipped as NODATA or SKIPDATA. Records
    /// outside the window never reach a query, so none is counted as such.
    pub fn count(&self, stats: &mut Stats) {
        stats.records += self.records + self.rejected + self.nodata + self.skipdata;
        stats.used += self.records;
        stats.rejected += self.rejected;
        for (reason, n) in [("nodata", self.nodata), ("skipdata", self.skipdata)] {
            if n > 0 {
                stats.skip_n(reason, n);
            }
        }
    }
}

/// Folds one result CSV (a header, then rows) into `agg`; `name` is shown
/// in errors.
pub fn read_csv(input: impl BufRead, name: &str, agg: &mut Aggregator) -> Result<Read> {
    let mut csv = csv::CsvReader::new(input);
    let Some(first) = csv
        .next_record()
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?
    else {
        anyhow::bail!("{name}: the result is empty (not even a header)");
    };
    let header = Header::new(&first).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let mut read = Read::default();
    loop {
        let line = csv.line;
        let Some(rec) = csv
            .next_record()
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?
        else {
            return Ok(read);
        };
        let row = header
            .row(&rec)
            .map_err(|e| anyhow::anyhow!(e))
            .with_context(|| format!("{name}:{line}"))?;
        match &row {
            Row::Conn(c) => read.records += c.records,
            Row::Fact(PushedFact::Undecided(u)) => read.records += u.records,
            Row::Fact(PushedFact::Span { span, .. }) => read.span.merge(span),
            Row::Fact(PushedFact::Rejected { records, .. }) => read.rejected += records,
            Row::Fact(PushedFact::Gap { intervals, .. }) => read.skipdata += intervals,
            Row::Fact(_) => {}
            Row::NoData { records } => read.nodata += records,
        }
        fold(&row, agg);
        read.rows += 1;
    }
}

/// Folds one row into `agg` (a count that is no evidence adds nothing).
pub fn fold(row: &Row, agg: &mut Aggregator) {
    match row {
        Row::Conn(c) => agg.add_pushed(c),
        Row::Fact(f) => agg.add_fact(f),
        Row::NoData { .. } => {}
    }
}

#[cfg(test)]
mod tests;
