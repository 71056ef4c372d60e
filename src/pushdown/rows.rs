//! A result row of the pushed-down queries → what the aggregator takes
//! ([`PushedConn`], [`PushedFact`]). Columns are found by name in the
//! header, so their order is free; a value out of range is an error naming
//! the row, never a guess.

use std::net::IpAddr;
use std::str::FromStr;

use crate::aggregate::{Method, PushedConn, PushedFact, Undecided};
use crate::reduce::{ConnKey, Strength};
use crate::stats::Span;

use super::csv::CsvRecord;

/// One row, ready for [`crate::aggregate::Aggregator`], or a count that is
/// no evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Conn(PushedConn),
    Fact(PushedFact),
    /// The NODATA records of the window: counted as skipped, as a local
    /// read counts them.
    NoData {
        records: u64,
    },
}

/// The header of a result: where each named column is.
#[derive(Debug, Clone)]
pub struct Header {
    names: Vec<String>,
}

impl Header {
    pub fn new(names: &CsvRecord) -> Result<Header, String> {
        let names: Vec<String> = names
            .iter()
            .map(|n| n.clone().unwrap_or_default().to_ascii_lowercase())
            .collect();
        if !names.iter().any(|n| n == "kind") {
            return Err(format!(
                "the result has no `kind` column (columns: {}): not a query sgpair generated",
                names.join(", ")
            ));
        }
        Ok(Header { names })
    }

    /// Whether this record is the header again (GetQueryResults' first row).
    pub fn is_header(&self, rec: &CsvRecord) -> bool {
        rec.len() == self.names.len()
            && rec
                .iter()
                .zip(&self.names)
                .all(|(v, n)| v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(n)))
    }

    /// Reads one record of this result.
    pub fn row(&self, rec: &CsvRecord) -> Result<Row, String> {
        if rec.len() != self.names.len() {
            return Err(format!(
                "{} values where the header has {} columns",
                rec.len(),
                self.names.len()
            ));
        }
        let r = Fields { h: self, rec };
        let kind = r.text("kind")?.unwrap_or_default();
        Ok(match kind.as_str() {
            "conn" => Row::Conn(r.conn()?),
            "undecided" => {
                let c = r.conn()?;
                Row::Fact(PushedFact::Undecided(Undecided {
                    a: c.key.client,
                    a_port: c.client_port.unwrap_or(0),
                    b: c.key.server,
                    b_port: c.key.port,
                    proto: c.key.proto,
                    records: c.records,
                    bytes: c.bytes,
                    first: c.first,
                    last: c.last,
                }))
            }
            "held" => Row::Fact(PushedFact::Held {
                interface: r.need_text("interface")?,
                addr: r.need("addr")?,
                first: r.need("first")?,
                last: r.need("last")?,
            }),
            "service" => Row::Fact(PushedFact::Service {
                addr: r.need("addr")?,
                first: r.need("first")?,
                name: r.need_text("name")?,
            }),
            "gap" => Row::Fact(PushedFact::Gap {
                interface: r.text("interface")?.filter(|s| !s.is_empty()),
                intervals: r.need("n")?,
                first: r.num("first")?,
                last: r.num("last")?,
            }),
            "nodata" => Row::NoData {
                records: r.need("n")?,
            },
            "span" => {
                let (records, first, last) = (r.need("n")?, r.need("first")?, r.need("last")?);
                Row::Fact(PushedFact::Span {
                    interface: r.need_text("interface")?,
                    span: Span {
                        records,
                        first,
                        last,
                    },
                })
            }
            "rejected" => Row::Fact(PushedFact::Rejected {
                src: r.need("source")?,
                dst: r.need("addr")?,
                dstport: r.need("port")?,
                proto: r.need("proto")?,
                reason: r.text("name")?.filter(|s| !s.is_empty()),
                records: r.need("n")?,
                first: r.need("first")?,
                last: r.need("last")?,
            }),
            other => return Err(format!("unknown row kind {other:?}")),
        })
    }
}

struct Fields<'a> {
    h: &'a Header,
    rec: &'a CsvRecord,
}

impl Fields<'_> {
    fn text(&self, name: &str) -> Result<Option<String>, String> {
        let i = self
            .h
            .names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| format!("the result has no `{name}` column"))?;
        Ok(self.rec[i].clone())
    }

    fn need_text(&self, name: &str) -> Result<String, String> {
        self.text(name)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("`{name}` is empty"))
    }

    fn num<T: FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        match self.text(name)?.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("`{name}` is {v:?}, which is not valid here")),
        }
    }

    fn need<T: FromStr>(&self, name: &str) -> Result<T, String> {
        self.num(name)?.ok_or_else(|| format!("`{name}` is empty"))
    }

    fn conn(&self) -> Result<PushedConn, String> {
        let method = match self.num::<u8>("method")? {
            None => None,
            Some(r) => Some(
                *Method::ALL
                    .get(usize::from(r))
                    .ok_or_else(|| format!("`method` is {r}, not a method's rank"))?,
            ),
        };
        let strength = match self.need::<u8>("strength")? {
            0 => Strength::Weak,
            1 => Strength::Clear,
            2 => Strength::Certain,
            s => return Err(format!("`strength` is {s}, not 0, 1 or 2")),
        };
        let addr = |n: &str| self.need::<IpAddr>(n);
        Ok(PushedConn {
            account: self.text("account")?.filter(|s| !s.is_empty()),
            vpc: self.text("vpc")?.filter(|s| !s.is_empty()),
            interface: self.text("interface")?.filter(|s| !s.is_empty()),
            key: ConnKey {
                server: addr("server")?,
                port: self.need("port")?,
                client: addr("client")?,
                proto: self.need("proto")?,
            },
            tcp_flags: self.num("tcp_flags")?,
            first: self.need("first")?,
            last: self.need("last")?,
            bytes: self.need("bytes")?,
            packets: self.need("packets")?,
            records: self.need("records")?,
            syns: self.need("syns")?,
            client_ports: self.need("client_ports")?,
            client_port: self.num("client_port")?,
            method,
            strength,
        })
    }
}
