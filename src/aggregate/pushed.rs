//! Rows an engine aggregated where the logs lie (Athena, Logs Insights):
//! the entry that folds them into an [`Aggregator`] beside local records, so
//! that everything after aggregation is the same whatever read the logs.
//!
//! A row is what the local aggregator holds per capturing interface and key,
//! with the client ports already counted (the engine saw them all). Rows the
//! engine settled carry their [`Method`] and bypass the orientation pass;
//! rows it left unsettled (ICMP without a type, protocols without ports,
//! which the pass decides from pairs of keys, not from ports) carry their
//! one client port and go through [`super::settle`] as local entries do.

use std::net::IpAddr;

use super::*;
use crate::reduce::{ConnKey, Strength};

/// One capturing interface's copy of one connection key, summed by an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedConn {
    pub account: Option<String>,
    pub vpc: Option<String>,
    /// The capturing interface (`None`: the format does not log it).
    pub interface: Option<String>,
    pub key: ConnKey,
    /// OR of the records' `tcp-flags`, where logged.
    pub tcp_flags: Option<u16>,
    pub first: i64,
    pub last: i64,
    pub bytes: u64,
    pub packets: u64,
    pub records: u64,
    /// Records that carried the initiator's SYN.
    pub syns: u64,
    /// Distinct client ports, exact.
    pub client_ports: u64,
    /// The client port when there is one only (the unsettled rows need it).
    pub client_port: Option<u16>,
    /// How the engine settled the orientation; `None`: the row is not
    /// settled and the orientation pass decides it.
    pub method: Option<Method>,
    /// The strongest record orientation (unsettled rows).
    pub strength: Strength,
}

/// What an engine gives besides connections: the address-ownership
/// timeline and the other per-interface facts local records give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushedFact {
    /// An interface owned an address (from `flow-direction`) over a span.
    Held {
        interface: String,
        addr: IpAddr,
        first: i64,
        last: i64,
    },
    /// An address named an AWS service (`pkt-*-aws-service`), first at `first`.
    Service {
        addr: IpAddr,
        first: i64,
        name: String,
    },
    /// SKIPDATA intervals of an interface.
    Gap {
        interface: Option<String>,
        intervals: u64,
        first: Option<i64>,
        last: Option<i64>,
    },
    /// The window's records an interface logged (accepted or not).
    Span { interface: String, span: Span },
    /// Traffic whose initiator the engine could not decide (one copy).
    Undecided(Undecided),
    /// Rejected records of one source to one destination service, as
    /// [`crate::reduce::Rejection`]s summed: `first` and `last` are their
    /// earliest and latest start.
    Rejected {
        src: IpAddr,
        dst: IpAddr,
        dstport: u16,
        proto: u8,
        reason: Option<String>,
        records: u64,
        first: i64,
        last: i64,
    },
}

/// A settled copy: what [`Aggregator::finish`] turns into a [`Connection`].
#[derive(Debug, Clone)]
pub(super) struct Settled {
    pub(super) records: u64,
    pub(super) bytes: u64,
    pub(super) packets: u64,
    pub(super) syns: u64,
    pub(super) client_ports: u64,
    pub(super) first: i64,
    pub(super) last: i64,
    pub(super) method: Method,
}

impl Settled {
    /// Two engines' (or reads') copies of one key: their sums. The client
    /// ports of the two cannot be told apart, so their counts add.
    pub(super) fn merge(&mut self, o: &Settled) {
        self.records += o.records;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.packets = self.packets.saturating_add(o.packets);
        self.syns += o.syns;
        self.client_ports += o.client_ports;
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        self.method = self.method.min(o.method);
    }
}

impl Aggregator {
    /// Folds one engine row in, as the records it sums would have been.
    pub fn add_pushed(&mut self, row: &PushedConn) {
        let eni = self.intern(row.interface.as_deref());
        self.place(eni, row.vpc.as_deref(), row.account.as_deref());
        let key = AggKey { key: row.key, eni };
        let Some(method) = row.method else {
            let acc = self.conns.entry(key);
            let mut mine = Acc {
                records: row.records,
                bytes: row.bytes,
                packets: row.packets,
                syns: row.syns,
                first: row.first,
                last: row.last,
                strength: Some(row.strength),
                method: (row.strength == Strength::Certain).then_some(Method::TcpFlags),
                ..Acc::default()
            };
            if let Some(p) = row.client_port {
                mine.add_port(p);
            }
            acc.merge(&mine);
            return;
        };
        let s = Settled {
            records: row.records,
            bytes: row.bytes,
            packets: row.packets,
            syns: row.syns,
            client_ports: row.client_ports,
            first: row.first,
            last: row.last,
            method,
        };
        match self.settled.get_mut(&key) {
            Some(mine) => mine.merge(&s),
            None => {
                self.settled.insert(key, s);
            }
        }
    }

    /// Folds one of an engine's other facts in.
    pub fn add_fact(&mut self, fact: &PushedFact) {
        match fact {
            PushedFact::Held {
                interface,
                addr,
                first,
                last,
            } => {
                let eni = self.intern(Some(interface));
                self.learn(*addr, *first, *last, eni);
            }
            PushedFact::Service { addr, first, name } => self.name_service(*addr, *first, name),
            PushedFact::Gap {
                interface,
                intervals,
                first,
                last,
            } => {
                let eni = self.intern(interface.as_deref());
                let g = self.gaps.entry(eni).or_insert((0, None, None));
                g.0 += intervals;
                g.1 = g.1.min(*first).or(*first).or(g.1);
                g.2 = g.2.max(*last);
            }
            PushedFact::Span { interface, span } => {
                let eni = self.intern(Some(interface));
                self.spans[eni as usize].merge(span);
            }
            PushedFact::Undecided(u) => self.undecided.push(u.clone()),
            PushedFact::Rejected {
                src,
                dst,
                dstport,
                proto,
                reason,
                records,
                first,
                last,
            } => {
                let acc = self.rejected.entry((*dst, *dstport, *proto)).or_default();
                if acc.records == 0 {
                    (acc.first, acc.last) = (*first, *last);
                }
                acc.records += records;
                acc.first = acc.first.min(*first);
                acc.last = acc.last.max(*last);
                acc.add_source(*src);
                if let Some(r) = reason {
                    acc.add_reason(r);
                }
            }
        }
    }
}

/// Distinct connections of one copy: SYNs at the interface or distinct
/// client ports; without ports (ICMP, one client port and no SYN), two
/// records at the interface per capture interval.
pub(super) fn connections(proto: u8, client_ports: u64, syns: u64, records: u64) -> u64 {
    if proto == ICMP || proto == ICMPV6 || client_ports <= 1 && syns == 0 {
        records.div_ceil(2).max(1)
    } else {
        syns.max(client_ports)
    }
}
