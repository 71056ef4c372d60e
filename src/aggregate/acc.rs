//! The running sums of one aggregation key.

use super::*;
use crate::reduce::Strength;

/// No port was inserted yet (see `Acc::last_port`).
pub(super) const NO_PORT: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub(super) struct Acc {
    pub(super) client_ports: PortSet,
    /// The client port inserted last: the records of one connection (request
    /// and response, at each interface) mostly come together, and a repeat
    /// then skips the port set, which is often a cache miss.
    pub(super) last_port: u32,
    pub(super) records: u64,
    /// What the capturing interface (the key's) saw: each copy of a
    /// connection is its own entry, so these count the packets once.
    pub(super) bytes: u64,
    pub(super) packets: u64,
    /// Records that carried the initiator's SYN.
    pub(super) syns: u64,
    pub(super) first: i64,
    pub(super) last: i64,
    pub(super) strength: Option<Strength>,
    pub(super) method: Option<Method>,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            client_ports: PortSet::default(),
            last_port: NO_PORT,
            records: 0,
            bytes: 0,
            packets: 0,
            syns: 0,
            first: 0,
            last: 0,
            strength: None,
            method: None,
        }
    }
}

/// What one record adds to the sums of its key.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sample {
    pub(super) client_port: u16,
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) bytes: u64,
    pub(super) packets: u64,
    pub(super) strength: Strength,
    pub(super) syn: bool,
}

impl Acc {
    /// Adds one record.
    #[inline]
    pub(super) fn add(&mut self, o: &Sample) {
        if self.records == 0 {
            self.first = o.start;
            self.last = o.end;
        } else {
            self.first = self.first.min(o.start);
            self.last = self.last.max(o.end);
        }
        self.records += 1;
        self.add_port(o.client_port);
        self.strength = self.strength.max(Some(o.strength));
        if o.strength == Strength::Certain {
            self.method = Some(Method::TcpFlags);
        }
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.packets = self.packets.saturating_add(o.packets);
        self.syns += u64::from(o.syn);
    }

    #[inline]
    pub(super) fn add_port(&mut self, p: u16) {
        if self.last_port != u32::from(p) {
            self.client_ports.insert(p);
            self.last_port = u32::from(p);
        }
    }

    pub(super) fn merge(&mut self, other: &Acc) {
        if self.records == 0 {
            self.first = other.first;
            self.last = other.last;
        } else {
            self.first = self.first.min(other.first);
            self.last = self.last.max(other.last);
        }
        self.records += other.records;
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.packets = self.packets.saturating_add(other.packets);
        self.syns += other.syns;
        self.client_ports.union(&other.client_ports);
        self.strength = self.strength.max(other.strength);
        self.method = match (self.method, other.method) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}
