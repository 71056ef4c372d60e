//! The aggregation pushed down to CloudWatch Logs Insights (`--insights`):
//! the query of one time slice, and its rows folded into an [`Aggregator`]
//! through the same entry as Athena's rows ([`Aggregator::add_pushed`],
//! [`Aggregator::add_fact`]).
//!
//! Insights' language has `parse`, `filter` and one `stats ... by`, but no
//! join and no second pass over the records, so the two-stage fan-in of
//! [`super::sql`] (endpoints proven over the window, then records regrouped
//! under the settled key) cannot run there. What is pushed down is what
//! stays exact: the records grouped by every field the parser reads
//! ([`crate::parse::fields_read`]) except the counters and times, which are
//! summed (`bytes`, `packets`, records) or kept as bounds (`min`/`max` of
//! `start` and `end`). A row is then many records that [`crate::reduce`]
//! orients alike, client port included, so the orientation pass
//! ([`crate::aggregate`]'s `settle`) runs locally over exact client ports,
//! and TCP flags, being a group field, need no bitwise OR (Insights has
//! none). The cost: a row per capturing interface, 5-tuple, flags and
//! direction, not per connection key, so more rows come back than from
//! Athena (and more slices are needed under the 10,000-row limit).
//!
//! Slices partition the window by the record's `start` (in CloudWatch an
//! event's timestamp is its record's start): rows of different slices with
//! the same group fields merge by sums, minimums and maximums, which is why
//! any split of the window gives the unsplit result
//! (`tests/it/insights.rs`).

use std::fmt::Write;

use crate::aggregate::{Aggregator, PushedConn, PushedFact};
use crate::parse::{Field, Format, Parsed, Parser, fields_read};
use crate::reduce::{Reduced, reduce};
use crate::stats::{Span, Stats};
use crate::window::{MAX_INTERVAL, in_range};

/// Logs Insights' price: $0.005 per GB scanned.
pub const USD_PER_GB: f64 = 0.005;

/// The cost of `bytes` scanned, in dollars.
pub fn cost_usd(bytes: f64) -> f64 {
    bytes / 1e9 * USD_PER_GB
}

/// The aggregates of every query, by the names the rows carry them under.
const RECORDS: &str = "n_records";
const PACKETS: &str = "sum_packets";
const BYTES: &str = "sum_bytes";
const FIRST: &str = "min_start";
const LAST_START: &str = "max_start";
const LAST_END: &str = "max_end";

/// The queries of one flow-log format, and the reading of their rows.
#[derive(Debug, Clone)]
pub struct Insights {
    format: Format,
    parser: Parser,
    /// The name each column gets in `parse ... as` (every column is named,
    /// so the glob matches the line; those sgpair does not read `unused_N`).
    names: Vec<String>,
    /// The fields grouped by, with their names.
    by: Vec<(Field, String)>,
}

/// The name a field gets in the query: its Athena column name (so the two
/// engines' queries read alike), `start` and `end` spelled out.
pub fn name(f: Field) -> Option<String> {
    Some(match f {
        Field::Start => "start_time".into(),
        Field::End => "end_time".into(),
        f => super::sql::column(f)?.to_string(),
    })
}

impl Insights {
    /// For a flow log written in `format`; a format sgpair cannot use
    /// (fields missing) is refused as for local files.
    pub fn new(format: &Format) -> Result<Insights, String> {
        let parser = Parser::new(format).map_err(|e| e.to_string())?;
        let mut names = Vec::with_capacity(format.columns.len());
        let mut by = Vec::new();
        for (i, c) in format.columns.iter().enumerate() {
            // Only the fields the parser reads get their names (a field logged
            // twice: its first column, as the parser); the other columns are
            // matched and left alone, so no word of Insights' can clash.
            let read =
                c.filter(|f| format.index_of(*f) == Some(i) && fields_read().any(|r| r == *f));
            names.push(read.and_then(name).unwrap_or_else(|| format!("unused_{i}")));
        }
        for f in fields_read() {
            if matches!(f, Field::Packets | Field::Bytes | Field::Start | Field::End) {
                continue;
            }
            if let Some(i) = format.index_of(f) {
                by.push((f, names[i].clone()));
            }
        }
        Ok(Insights {
            format: format.clone(),
            parser,
            names,
            by,
        })
    }

    /// The query of the records whose `start` is in `[from, to)`.
    pub fn query(&self, from: i64, to: i64) -> String {
        let glob = vec!["*"; self.names.len()].join(" ");
        let has = |f| self.format.index_of(f).is_some();
        let mut stats = format!("count(*) as {RECORDS}");
        for (f, col, agg, as_name) in [
            (Field::Packets, "packets", "sum", PACKETS),
            (Field::Bytes, "bytes", "sum", BYTES),
            (Field::Start, "start_time", "min", FIRST),
            (Field::Start, "start_time", "max", LAST_START),
            (Field::End, "end_time", "max", LAST_END),
        ] {
            if has(f) {
                let _ = write!(stats, ", {agg}({col}) as {as_name}");
            }
        }
        let by: Vec<&str> = self.by.iter().map(|(_, n)| n.as_str()).collect();
        // A record longer than a capture interval is malformed (`bad time`,
        // as the parser says): left out here, since a row keeps only the
        // bounds of its records' times, as Athena's SQL leaves it out.
        let interval = if has(Field::End) {
            format!(" and end_time - start_time <= {MAX_INTERVAL}")
        } else {
            String::new()
        };
        format!(
            "parse @message \"{glob}\" as {names}\n\
             | filter start_time >= {from} and start_time < {to}{interval}\n\
             | stats {stats} by {by}",
            names = self.names.join(", "),
            by = by.join(", "),
        )
    }

    /// Folds one result row (field, value) into `agg`, counting its records
    /// in `stats` as a local read counts lines; `span` gathers the records'
    /// span. `place` names the row in messages (the query and row number).
    pub fn fold(
        &self,
        row: &[(String, String)],
        place: (&str, u64),
        agg: &mut Aggregator,
        stats: &mut Stats,
        span: &mut Span,
    ) -> Result<(), String> {
        let get = |n: &str| {
            row.iter()
                .find(|(f, _)| f == n)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let records = count(get(RECORDS), RECORDS)?;
        if records == 0 {
            return Ok(());
        }
        let sum = |n: &str| get(n).map_or(Ok(0), |v| count(Some(v), n));
        let (packets, bytes) = (sum(PACKETS)?, sum(BYTES)?);
        let time = |n: &str| -> Result<Option<i64>, String> {
            get(n)
                .map(|v| {
                    whole(v)
                        .and_then(|t| i64::try_from(t).ok())
                        .ok_or_else(|| format!("`{n}` is {v:?}, not a time"))
                })
                .transpose()
        };
        let (first, last_start, last_end) = (time(FIRST)?, time(LAST_START)?, time(LAST_END)?);
        // The records' line, their counters left out (summed below) and
        // their times the group's bounds: the parser checks it as it checks
        // a line of a file.
        let line: Vec<String> = self
            .format
            .columns
            .iter()
            .zip(&self.names)
            .map(|(c, n)| match c {
                Some(Field::Packets | Field::Bytes) => "0".into(),
                Some(Field::Start) => first.map_or("-".into(), |t| t.to_string()),
                // The row's times bound many records, each checked by the
                // query's filter: the span from the first start to the last
                // end is no capture interval, so the line ends at its start
                // and the record takes the last end after the parse. An end
                // out of range or before the start goes to the parser.
                Some(Field::End) => match (first, last_end) {
                    (Some(s), Some(e)) if e >= s && in_range(e) => s.to_string(),
                    (_, e) => e.map_or("-".into(), |t| t.to_string()),
                },
                Some(f) if self.by.iter().any(|(b, _)| b == f) => get(n).unwrap_or("-").to_string(),
                _ => "-".into(),
            })
            .collect();
        let line = line.join(" ");
        stats.records += records;
        match self.parser.parse(line.as_bytes()) {
            Ok(Parsed::Record(mut r)) => {
                r.packets = packets;
                r.bytes = bytes;
                r.end = last_end.unwrap_or(r.end);
                let last_start = last_start.unwrap_or(r.start);
                let mine = Span {
                    records,
                    first: r.start,
                    last: r.end.max(r.start),
                };
                span.merge(&mine);
                if let Some(eni) = r.interface_id {
                    agg.add_fact(&PushedFact::Span {
                        interface: eni.to_string(),
                        span: mine,
                    });
                }
                match reduce(&r) {
                    Reduced::Accepted(o) => {
                        agg.add_pushed(&PushedConn {
                            account: o.account_id().map(String::from),
                            vpc: o.vpc_id().map(String::from),
                            interface: o.interface_id().map(String::from),
                            key: o.key,
                            tcp_flags: r.tcp_flags,
                            first: o.start(),
                            last: o.end(),
                            bytes: o.bytes(),
                            packets: o.packets(),
                            records,
                            syns: if o.syn { records } else { 0 },
                            client_ports: 1,
                            client_port: Some(o.client_port),
                            method: None,
                            strength: o.strength,
                        });
                        if let (Some(addr), Some(eni)) = (o.local_addr(), o.interface_id()) {
                            agg.add_fact(&PushedFact::Held {
                                interface: eni.to_string(),
                                addr,
                                first: o.start(),
                                last: o.end(),
                            });
                        }
                        for (addr, svc) in [
                            (o.key.server, o.server_service()),
                            (o.key.client, o.client_service()),
                        ] {
                            if let Some(svc) = svc {
                                agg.add_fact(&PushedFact::Service {
                                    addr,
                                    first: o.start(),
                                    name: svc.to_string(),
                                });
                            }
                        }
                        stats.used += records;
                    }
                    Reduced::Rejected(rj) => {
                        agg.add_fact(&PushedFact::Rejected {
                            src: rj.src,
                            dst: rj.dst,
                            dstport: rj.dstport,
                            proto: rj.proto,
                            reason: rj.reason.map(String::from),
                            records,
                            first: rj.start,
                            last: last_start.max(rj.start),
                        });
                        stats.rejected += records;
                    }
                    Reduced::SelfTraffic => stats.skip_n("same address at both ends", records),
                }
            }
            // In the window: the query kept only records that start in its slice.
            Ok(Parsed::NoData { .. }) => stats.skip_n("nodata", records),
            Ok(Parsed::SkipData {
                interface_id,
                start,
                end,
            }) => {
                agg.add_fact(&PushedFact::Gap {
                    interface: interface_id.map(String::from),
                    intervals: records,
                    first: start,
                    // The line ended at its start (above): the last end.
                    last: end.and(last_end).or(end),
                });
                stats.skip_n("skipdata", records);
            }
            Err(m) => {
                stats.skip_at(m.kind(), place.0, place.1, format!("{m} (row: {line})"));
                stats.skip_n(m.kind(), records - 1);
            }
        }
        Ok(())
    }
}

/// A whole number as Insights prints it (`12`, `12.0`, `1.2e+06`), exact
/// up to 2^53 (what a sum of counters past that loses is beyond JSON too).
fn whole(v: &str) -> Option<u64> {
    if let Ok(n) = v.parse::<u64>() {
        return Some(n);
    }
    let f: f64 = v.parse().ok()?;
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= (1u64 << 53) as f64).then_some(f as u64)
}

fn count(v: Option<&str>, n: &str) -> Result<u64, String> {
    let v = v.ok_or_else(|| format!("the row has no `{n}`"))?;
    whole(v).ok_or_else(|| format!("`{n}` is {v:?}, not a count"))
}

#[cfg(test)]
mod tests;
