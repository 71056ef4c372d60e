//! Stage 4: aggregate. Folds oriented observations into one entry per
//! capturing interface and (client, server, service port, protocol), so that
//! request and response records count once. The copies logged at both ENIs
//! stay apart here, each with the interface (and VPC) that captured it: an
//! address means something only in its VPC and at its time, which
//! [`crate::resolve`] decides before it merges the copies. Memory grows with
//! the number of distinct services and clients, not with records.
//!
//! At the end of the window, [`Aggregator::finish`] settles the orientation of
//! every record that TCP flags did not decide, in this order: a service proven
//! by TCP flags elsewhere ("known service"), fan-in (a server port sees many
//! client ports), then port ranges. What is still a tie is listed as
//! undecided, never guessed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::endpoint::Endpoint;
use crate::reduce::{ConnKey, ICMP, ICMP_ANY, ICMPV6, Observation, Rejection, Strength, TCP, UDP};

/// How the initiator of a connection was decided, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SYN / SYN-ACK in `tcp-flags`, or the ICMP type.
    TcpFlags,
    /// The same server port was proven a service by TCP flags in other records.
    KnownService,
    /// The server port saw more distinct client ports than the other side.
    FanIn,
    /// ICMP both ways in the same second: the side that exchanged ICMP with
    /// more peers (a monitoring host pinging many) started it.
    FanOut,
    /// Only one direction of an ICMP or port-less exchange was logged.
    OneWay,
    /// Well-known < registered < ephemeral port ranges.
    PortRange,
}

impl Method {
    pub fn label(self) -> &'static str {
        match self {
            Method::TcpFlags => "tcp-flags",
            Method::KnownService => "known-service",
            Method::FanIn => "fan-in",
            Method::FanOut => "fan-out",
            Method::OneWay => "one-way",
            Method::PortRange => "port-range",
        }
    }
}

/// Distinct 16-bit ports, exact: a vector while small (in insertion order),
/// then a bitmap of the 64-port words between the lowest and the highest port
/// seen (Linux clients' 32768-60999 take 3.5 KiB, not 8).
#[derive(Debug, Clone)]
pub enum PortSet {
    Small(Vec<u16>),
    Bits {
        /// The word (port / 64) of `words[0]`.
        first: u16,
        words: Vec<u64>,
        len: u32,
    },
}

const SMALL_PORTS: usize = 48;

impl Default for PortSet {
    fn default() -> Self {
        PortSet::Small(Vec::new())
    }
}

/// Makes `words` (starting at word `first`) cover word `w`.
fn cover(first: &mut u16, words: &mut Vec<u64>, w: usize) {
    let f = usize::from(*first);
    if words.is_empty() {
        *first = w as u16;
        words.push(0);
    } else if w < f {
        words.splice(0..0, std::iter::repeat_n(0, f - w));
        *first = w as u16;
    } else if w >= f + words.len() {
        words.resize(w - f + 1, 0);
    }
}

impl PortSet {
    pub fn insert(&mut self, p: u16) {
        match self {
            PortSet::Small(v) => {
                // One pass without branches over at most 48 ports: cheaper
                // than a binary search and a shift per new port.
                let present = v.iter().fold(false, |seen, &q| seen | (q == p));
                if !present {
                    if v.len() < SMALL_PORTS {
                        v.push(p);
                    } else {
                        let lo = v.iter().chain([&p]).min().copied().unwrap_or(p) / 64;
                        let hi = v.iter().chain([&p]).max().copied().unwrap_or(p) / 64;
                        let words = vec![0u64; usize::from(hi - lo) + 1];
                        let old = std::mem::take(v);
                        *self = PortSet::Bits {
                            first: lo,
                            words,
                            len: 0,
                        };
                        for q in old.into_iter().chain([p]) {
                            self.insert(q);
                        }
                    }
                }
            }
            PortSet::Bits { first, words, len } => {
                let w = usize::from(p / 64);
                let f = usize::from(*first);
                if w < f || w >= f + words.len() {
                    cover(first, words, w);
                }
                let word = &mut words[w - usize::from(*first)];
                let bit = 1u64 << (p % 64);
                if *word & bit == 0 {
                    *word |= bit;
                    *len += 1;
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            PortSet::Small(v) => v.len(),
            PortSet::Bits { len, .. } => *len as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The only port, when there is exactly one.
    pub fn single(&self) -> Option<u16> {
        match self {
            PortSet::Small(v) if v.len() == 1 => Some(v[0]),
            _ => None,
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = u16> + '_> {
        match self {
            PortSet::Small(v) => Box::new(v.iter().copied()),
            PortSet::Bits { first, words, .. } => {
                let base = usize::from(*first);
                Box::new(words.iter().enumerate().flat_map(move |(i, &w)| {
                    let mut w = w;
                    std::iter::from_fn(move || {
                        (w != 0).then(|| {
                            let b = w.trailing_zeros();
                            w &= w - 1;
                            ((base + i) * 64) as u16 + b as u16
                        })
                    })
                }))
            }
        }
    }

    pub fn union(&mut self, other: &PortSet) {
        match (&mut *self, other) {
            (
                PortSet::Bits { first, words, len },
                PortSet::Bits {
                    first: their_first,
                    words: theirs,
                    ..
                },
            ) => {
                let tf = usize::from(*their_first);
                cover(first, words, tf);
                cover(first, words, tf + theirs.len() - 1);
                let off = tf - usize::from(*first);
                for (w, t) in words[off..].iter_mut().zip(theirs.iter()) {
                    *w |= *t;
                }
                *len = words.iter().map(|w| w.count_ones()).sum();
            }
            (PortSet::Small(mine), PortSet::Bits { .. }) => {
                let mine = std::mem::take(mine);
                *self = other.clone();
                for p in mine {
                    self.insert(p);
                }
            }
            _ => {
                for p in other.iter() {
                    self.insert(p);
                }
            }
        }
    }
}

/// No port was inserted yet (see `Acc::last_port`).
const NO_PORT: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Acc {
    client_ports: PortSet,
    /// The client port inserted last: the records of one connection (request
    /// and response, at each interface) mostly come together, and a repeat
    /// then skips the port set, which is often a cache miss.
    last_port: u32,
    records: u64,
    /// What the capturing interface (the key's) saw: each copy of a
    /// connection is its own entry, so these count the packets once.
    bytes: u64,
    packets: u64,
    /// Records that carried the initiator's SYN.
    syns: u64,
    first: i64,
    last: i64,
    strength: Option<Strength>,
    method: Option<Method>,
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

impl Acc {
    #[inline]
    fn add_port(&mut self, p: u16) {
        if self.last_port != u32::from(p) {
            self.client_ports.insert(p);
            self.last_port = u32::from(p);
        }
    }

    fn merge(&mut self, other: &Acc) {
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

/// A rejected flow, summarised per destination service.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub dst: IpAddr,
    pub dstport: u16,
    pub proto: u8,
    pub records: u64,
    pub distinct_sources: usize,
    /// Up to a few example sources, sorted.
    pub sources: Vec<IpAddr>,
    pub first: i64,
    pub last: i64,
    pub reasons: Vec<String>,
}

#[derive(Debug, Default)]
struct RejAcc {
    records: u64,
    /// The lowest sources, at most [`MAX_REJECT_SOURCES`]: the same set
    /// whatever order the records arrive in.
    sources: BTreeSet<IpAddr>,
    more_sources: bool,
    first: i64,
    last: i64,
    /// The first reasons in sort order, at most [`MAX_REJECT_REASONS`].
    reasons: BTreeSet<String>,
}

impl RejAcc {
    fn add_source(&mut self, src: IpAddr) {
        if self.sources.len() < MAX_REJECT_SOURCES {
            self.sources.insert(src);
        } else if self.sources.last().is_some_and(|max| src < *max) {
            if self.sources.insert(src) {
                self.sources.pop_last();
                self.more_sources = true;
            }
        } else if !self.sources.contains(&src) {
            self.more_sources = true;
        }
    }

    fn add_reason(&mut self, reason: &str) {
        if self.reasons.contains(reason) {
            return;
        }
        if self.reasons.len() < MAX_REJECT_REASONS {
            self.reasons.insert(reason.to_string());
        } else if self.reasons.last().is_some_and(|max| reason < max.as_str()) {
            self.reasons.insert(reason.to_string());
            self.reasons.pop_last();
        }
    }
}

const MAX_REJECT_SOURCES: usize = 256;
const MAX_REJECT_REASONS: usize = 8;

/// A SKIPDATA gap on one interface.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub interface_id: String,
    pub intervals: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// One observed connection between two addresses: the unit of evidence.
/// Out of [`Aggregator::finish`] it is what one interface captured; after
/// [`crate::resolve::attribute`] it is the connection, its copies merged and
/// both ends resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub client: IpAddr,
    pub server: IpAddr,
    /// The VPC of the capturing interface(s): where the addresses mean something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
    /// The account the capturing interface belongs to, where logged.
    #[serde(skip)]
    pub account: Option<String>,
    /// The service port; for ICMP the type, [`ICMP_ANY`] when not logged.
    pub port: u16,
    pub proto: u8,
    /// Distinct connections: SYNs at one interface, or distinct client ports.
    pub connections: u64,
    pub records: u64,
    pub bytes: u64,
    pub packets: u64,
    pub first: i64,
    pub last: i64,
    pub method: Method,
    /// Interfaces whose logs carried it.
    pub logged_at: Vec<String>,
    /// The ends, once resolved (`Unresolved` until then).
    pub client_end: Endpoint,
    pub server_end: Endpoint,
    /// A forwarding interface the connection crossed (NAT gateway, load
    /// balancer, endpoint): neither end, but it logged the connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// Traffic whose initiator the evidence cannot decide.
#[derive(Debug, Clone, Serialize)]
pub struct Undecided {
    pub a: IpAddr,
    pub a_port: u16,
    pub b: IpAddr,
    pub b_port: u16,
    pub proto: u8,
    pub records: u64,
    pub bytes: u64,
    pub first: i64,
    pub last: i64,
}

/// Everything the window holds, ready for resolution.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    pub connections: Vec<Connection>,
    pub undecided: Vec<Undecided>,
    pub rejected: Vec<Rejected>,
    pub gaps: Vec<Gap>,
    /// Addresses an interface was seen to own (from `flow-direction`), with
    /// when: an address can pass from one interface to another in a window.
    pub held: Vec<Held>,
    /// Addresses the logs named as AWS service addresses (`pkt-*-aws-service`).
    pub aws_services: BTreeMap<IpAddr, String>,
}

/// An interface held an address from `first` to `last` (record times).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    pub interface_id: String,
    pub addr: IpAddr,
    pub first: i64,
    pub last: i64,
}

/// The aggregation key: what one interface captured of one service and client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct AggKey {
    key: ConnKey,
    eni: u32,
}

impl std::hash::Hash for AggKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.key.hash(h);
        h.write_u32(self.eni);
    }
}

/// Where an interface is, as its own records say (`vpc-id`, `account-id`).
#[derive(Debug, Clone, Default)]
struct Place {
    vpc: Option<String>,
    account: Option<String>,
}

/// Accumulates observations; mergeable, so files can be read in parallel.
#[derive(Debug, Default)]
pub struct Aggregator {
    conns: FxHashMap<AggKey, Acc>,
    rejected: FxHashMap<(IpAddr, u16, u8), RejAcc>,
    gaps: FxHashMap<u32, (u64, Option<i64>, Option<i64>)>,
    enis: Vec<String>,
    eni_ids: FxHashMap<String, u32>,
    /// Per interned interface: its VPC and account, where logged.
    places: Vec<Place>,
    /// (interface, address it owns) → (first start, last end).
    held: FxHashMap<(u32, IpAddr), (i64, i64)>,
    /// Address → (start of the first record that named it, AWS service).
    services: FxHashMap<IpAddr, (i64, String)>,
}

const NO_ENI: u32 = u32::MAX;

impl Aggregator {
    pub fn new() -> Self {
        Self::default()
    }

    fn intern(&mut self, eni: Option<&str>) -> u32 {
        let Some(eni) = eni else { return NO_ENI };
        if let Some(id) = self.eni_ids.get(eni) {
            return *id;
        }
        let id = self.enis.len() as u32;
        self.enis.push(eni.to_string());
        self.places.push(Place::default());
        self.eni_ids.insert(eni.to_string(), id);
        id
    }

    /// Notes the VPC and account a record logged for its interface.
    fn place(&mut self, eni: u32, vpc: Option<&str>, account: Option<&str>) {
        if eni == NO_ENI {
            return;
        }
        let p = &mut self.places[eni as usize];
        // The lowest value wins, whatever the order (an interface is in one VPC).
        for (slot, v) in [(&mut p.vpc, vpc), (&mut p.account, account)] {
            if let Some(v) = v
                && slot.as_deref().is_none_or(|cur| v < cur)
            {
                *slot = Some(v.to_string());
            }
        }
    }

    #[inline]
    pub fn add(&mut self, o: &Observation<'_>) {
        let eni = self.intern(o.interface_id);
        if eni != NO_ENI && {
            let p = &self.places[eni as usize];
            o.vpc_id.is_some() && p.vpc.as_deref() != o.vpc_id
                || o.account_id.is_some() && p.account.as_deref() != o.account_id
        } {
            self.place(eni, o.vpc_id, o.account_id);
        }
        if let Some(local) = o.local_addr
            && eni != NO_ENI
        {
            self.learn(local, o.start, o.end, eni);
        }
        for (addr, svc) in [
            (o.key.server, o.server_service),
            (o.key.client, o.client_service),
        ] {
            if let Some(svc) = svc {
                self.name_service(addr, o.start, svc);
            }
        }
        let acc = self.conns.entry(AggKey { key: o.key, eni }).or_default();
        if acc.records == 0 {
            acc.first = o.start;
            acc.last = o.end;
        } else {
            acc.first = acc.first.min(o.start);
            acc.last = acc.last.max(o.end);
        }
        acc.records += 1;
        acc.add_port(o.client_port);
        acc.strength = acc.strength.max(Some(o.strength));
        if o.strength == Strength::Certain {
            acc.method = Some(Method::TcpFlags);
        }
        acc.bytes = acc.bytes.saturating_add(o.bytes);
        acc.packets = acc.packets.saturating_add(o.packets);
        acc.syns += u64::from(o.syn);
    }

    /// An interface owned an address during a record.
    fn learn(&mut self, addr: IpAddr, start: i64, end: i64, eni: u32) {
        let span = self.held.entry((eni, addr)).or_insert((start, end));
        span.0 = span.0.min(start);
        span.1 = span.1.max(end);
    }

    /// An address belongs to an AWS service: earliest record, then lower name.
    fn name_service(&mut self, addr: IpAddr, start: i64, svc: &str) {
        match self.services.get_mut(&addr) {
            None => {
                self.services.insert(addr, (start, svc.to_string()));
            }
            Some(cur) => {
                if (start, svc) < (cur.0, cur.1.as_str()) {
                    *cur = (start, svc.to_string());
                }
            }
        }
    }

    pub fn add_rejection(&mut self, r: &Rejection<'_>) {
        let acc = self
            .rejected
            .entry((r.dst, r.dstport, r.proto))
            .or_default();
        if acc.records == 0 {
            acc.first = r.start;
            acc.last = r.start;
        }
        acc.records += 1;
        acc.first = acc.first.min(r.start);
        acc.last = acc.last.max(r.start);
        acc.add_source(r.src);
        if let Some(reason) = r.reason {
            acc.add_reason(reason);
        }
    }

    pub fn add_gap(&mut self, interface_id: Option<&str>, start: Option<i64>, end: Option<i64>) {
        let eni = self.intern(interface_id);
        let g = self.gaps.entry(eni).or_insert((0, None, None));
        g.0 += 1;
        g.1 = match (g.1, start) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        g.2 = match (g.2, end) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Folds another aggregator (e.g. another file's) into this one.
    pub fn merge(&mut self, other: Aggregator) {
        let remap: Vec<u32> = other.enis.iter().map(|e| self.intern(Some(e))).collect();
        let map = |id: u32| {
            if id == NO_ENI {
                NO_ENI
            } else {
                remap[id as usize]
            }
        };
        for (i, p) in other.places.iter().enumerate() {
            self.place(remap[i], p.vpc.as_deref(), p.account.as_deref());
        }
        for (k, acc) in other.conns {
            let k = AggKey {
                key: k.key,
                eni: map(k.eni),
            };
            match self.conns.get_mut(&k) {
                Some(mine) => mine.merge(&acc),
                None => {
                    self.conns.insert(k, acc);
                }
            }
        }
        for (k, r) in other.rejected {
            let mine = self.rejected.entry(k).or_default();
            if mine.records == 0 {
                mine.first = r.first;
                mine.last = r.last;
            }
            mine.records += r.records;
            mine.first = mine.first.min(r.first);
            mine.last = mine.last.max(r.last);
            for s in r.sources {
                mine.add_source(s);
            }
            mine.more_sources |= r.more_sources;
            for reason in &r.reasons {
                mine.add_reason(reason);
            }
        }
        for (eni, (n, a, b)) in other.gaps {
            let g = self.gaps.entry(map(eni)).or_insert((0, None, None));
            g.0 += n;
            g.1 = g.1.min(a).or(a).or(g.1);
            g.2 = g.2.max(b);
        }
        for ((eni, addr), (first, last)) in other.held {
            self.learn(addr, first, last, map(eni));
        }
        for (addr, (start, s)) in other.services {
            self.name_service(addr, start, &s);
        }
    }

    /// Settles orientation and returns the evidence, sorted for stable output.
    pub fn finish(self) -> Evidence {
        let Aggregator {
            conns,
            rejected,
            gaps,
            enis,
            places,
            held,
            services,
            ..
        } = self;
        // The scope of an interface's records: its logged VPC, else itself
        // unknown (one shared scope, as before VPCs were told apart).
        let mut vpc_ids: FxHashMap<&str, u32> = FxHashMap::default();
        let scope_of_eni: Vec<u32> = places
            .iter()
            .map(|p| match &p.vpc {
                Some(v) => {
                    let n = vpc_ids.len() as u32 + 1;
                    *vpc_ids.entry(v.as_str()).or_insert(n)
                }
                None => 0,
            })
            .collect();
        let scope = |eni: u32| scope_of_eni.get(eni as usize).copied().unwrap_or(0);
        let (settled, undecided) = settle(conns, &scope);

        let eni_name = |id: u32| -> Option<String> { enis.get(id as usize).cloned() };
        let place = |id: u32| places.get(id as usize).cloned().unwrap_or_default();
        let mut connections: Vec<Connection> = settled
            .into_iter()
            .map(|(AggKey { key: k, eni }, acc)| {
                let connections = if k.proto == ICMP
                    || k.proto == ICMPV6
                    || acc.client_ports.len() <= 1 && acc.syns == 0
                {
                    // Without ports, count intervals at the interface.
                    acc.records.div_ceil(2).max(1)
                } else {
                    acc.syns.max(acc.client_ports.len() as u64)
                };
                let logged_at: Vec<String> = eni_name(eni).into_iter().collect();
                let Place { vpc, account } = place(eni);
                Connection {
                    client: k.client,
                    server: k.server,
                    vpc,
                    account,
                    port: k.port,
                    proto: k.proto,
                    connections,
                    records: acc.records,
                    bytes: acc.bytes,
                    packets: acc.packets,
                    first: acc.first,
                    last: acc.last,
                    method: acc.method.unwrap_or(Method::PortRange),
                    logged_at,
                    client_end: Endpoint::Unresolved,
                    server_end: Endpoint::Unresolved,
                    via: None,
                }
            })
            .collect();
        connections.sort_by(|a, b| {
            (a.proto, a.port, a.server, a.client, &a.logged_at).cmp(&(
                b.proto,
                b.port,
                b.server,
                b.client,
                &b.logged_at,
            ))
        });

        let mut rejected: Vec<Rejected> = rejected
            .into_iter()
            .map(|((dst, dstport, proto), r)| {
                let mut sources: Vec<IpAddr> = r.sources.iter().copied().collect();
                sources.sort();
                let distinct = sources.len();
                sources.truncate(5);
                let mut reasons: Vec<String> = r.reasons.into_iter().collect();
                reasons.sort();
                Rejected {
                    dst,
                    dstport,
                    proto,
                    records: r.records,
                    distinct_sources: distinct,
                    sources,
                    first: r.first,
                    last: r.last,
                    reasons,
                }
            })
            .collect();
        rejected.sort_by(|a, b| {
            b.records
                .cmp(&a.records)
                .then((a.dst, a.dstport, a.proto).cmp(&(b.dst, b.dstport, b.proto)))
        });

        let mut gaps: Vec<Gap> = gaps
            .into_iter()
            .map(|(eni, (n, a, b))| Gap {
                interface_id: eni_name(eni).unwrap_or_else(|| "(unknown interface)".into()),
                intervals: n,
                first: a,
                last: b,
            })
            .collect();
        gaps.sort_by(|a, b| a.interface_id.cmp(&b.interface_id));

        Evidence {
            connections,
            undecided,
            rejected,
            gaps,
            held: {
                let mut held: Vec<Held> = held
                    .into_iter()
                    .filter_map(|((e, addr), (first, last))| {
                        Some(Held {
                            interface_id: eni_name(e)?,
                            addr,
                            first,
                            last,
                        })
                    })
                    .collect();
                held.sort_by(|a, b| {
                    (a.addr, a.first, &a.interface_id).cmp(&(b.addr, b.first, &b.interface_id))
                });
                held
            },
            aws_services: services.into_iter().map(|(a, (_, s))| (a, s)).collect(),
        }
    }
}

/// A service endpoint within one scope (a VPC, or the unknown scope 0).
type ScopedEp = (u32, IpAddr, u16, u8);

/// The orientation pass over the whole window (see the module docs). The
/// evidence of an endpoint is gathered within its scope (the capturing VPC,
/// where the records logged it), and each interface's copy counts once.
fn settle(
    conns: FxHashMap<AggKey, Acc>,
    scope: &dyn Fn(u32) -> u32,
) -> (Vec<(AggKey, Acc)>, Vec<Undecided>) {
    // Services proven by TCP flags (or ICMP type).
    let known: FxHashSet<ScopedEp> = conns
        .iter()
        .filter(|(_, a)| a.strength == Some(Strength::Certain))
        .map(|(k, _)| (scope(k.eni), k.key.server, k.key.port, k.key.proto))
        .collect();
    // Client ports of each scoped key: the copies at two interfaces are one
    // connection, so the larger copy counts, not their sum.
    let mut ports: FxHashMap<(u32, ConnKey), (usize, Option<u16>)> = FxHashMap::default();
    for (k, a) in &conns {
        let e = ports.entry((scope(k.eni), k.key)).or_insert((0, None));
        if a.client_ports.len() > e.0 {
            *e = (a.client_ports.len(), a.client_ports.single());
        }
    }
    // Fan-in of each server endpoint: distinct client ports over all clients.
    let mut fan_in: FxHashMap<ScopedEp, usize> = FxHashMap::default();
    // For the flipped hypothesis: how many (server, port) pairs one client
    // address used from one single port.
    let mut fan_out: FxHashMap<ScopedEp, usize> = FxHashMap::default();
    for ((sc, k), (n, single)) in &ports {
        *fan_in.entry((*sc, k.server, k.port, k.proto)).or_default() += n;
        if let Some(p) = single {
            *fan_out.entry((*sc, k.client, *p, k.proto)).or_default() += 1;
        }
    }
    drop(ports);

    let mut out: FxHashMap<AggKey, Acc> = FxHashMap::default();
    let mut undecided = Vec::new();
    let mut icmp_any: Vec<(AggKey, Acc)> = Vec::new();
    let put = |out: &mut FxHashMap<AggKey, Acc>, k: AggKey, acc: Acc| match out.get_mut(&k) {
        Some(m) => m.merge(&acc),
        None => {
            out.insert(k, acc);
        }
    };

    for (ak, mut acc) in conns {
        let (k, eni, sc) = (ak.key, ak.eni, scope(ak.eni));
        if acc.strength == Some(Strength::Certain) {
            acc.method = Some(Method::TcpFlags);
            put(&mut out, ak, acc);
            continue;
        }
        let icmp = (k.proto == ICMP || k.proto == ICMPV6) && k.port == ICMP_ANY;
        let portless =
            k.proto != TCP && k.proto != UDP && k.port == 0 && acc.client_ports.single() == Some(0);
        if icmp || portless {
            icmp_any.push((ak, acc));
            continue;
        }
        let server_ep = (sc, k.server, k.port, k.proto);
        let Some(p) = acc.client_ports.single() else {
            // Several client ports against one server port: fan-in.
            acc.method = Some(acc.method.map_or(Method::FanIn, |m| m.min(Method::FanIn)));
            put(&mut out, ak, acc);
            continue;
        };
        let alt_ep = (sc, k.client, p, k.proto);
        let flip = |acc: Acc, method: Method| {
            let mut ports = PortSet::default();
            ports.insert(k.port);
            let key = AggKey {
                key: ConnKey {
                    server: k.client,
                    port: p,
                    client: k.server,
                    proto: k.proto,
                },
                eni,
            };
            let acc = Acc {
                client_ports: ports,
                last_port: NO_PORT,
                method: Some(method),
                ..acc
            };
            (key, acc)
        };
        let (alt_known, own_known) = (known.contains(&alt_ep), known.contains(&server_ep));
        if alt_known && !own_known {
            let (nk, na) = flip(acc, Method::KnownService);
            put(&mut out, nk, na);
            continue;
        }
        if own_known && !alt_known {
            acc.method = Some(Method::KnownService);
            put(&mut out, ak, acc);
            continue;
        }
        // How much each end acts as a service: distinct peer ports it served.
        let fan =
            |ep| fan_in.get(&ep).copied().unwrap_or(0) + fan_out.get(&ep).copied().unwrap_or(0);
        let (own, alt) = (fan(server_ep), fan(alt_ep));
        if alt > own {
            let (nk, na) = flip(acc, Method::FanIn);
            put(&mut out, nk, na);
        } else if own > alt {
            acc.method = Some(Method::FanIn);
            put(&mut out, ak, acc);
        } else if acc.strength == Some(Strength::Clear) {
            acc.method = Some(Method::PortRange);
            put(&mut out, ak, acc);
        } else {
            undecided.push(Undecided {
                a: k.client,
                a_port: p,
                b: k.server,
                b_port: k.port,
                proto: k.proto,
                records: acc.records,
                bytes: acc.bytes,
                first: acc.first,
                last: acc.last,
            });
        }
    }

    // ICMP without a type (and port-less protocols): the sender started it when
    // only one direction was logged, or when it was seen first.
    let by_key: FxHashMap<AggKey, usize> = icmp_any
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (*k, i))
        .collect();
    let mut peers: FxHashMap<(u32, IpAddr), FxHashSet<IpAddr>> = FxHashMap::default();
    for (k, _) in &icmp_any {
        let sc = scope(k.eni);
        peers
            .entry((sc, k.key.client))
            .or_default()
            .insert(k.key.server);
        peers
            .entry((sc, k.key.server))
            .or_default()
            .insert(k.key.client);
    }
    let icmp_peers = |sc: u32, a: &IpAddr| peers.get(&(sc, *a)).map_or(0, FxHashSet::len);
    for (ak, acc) in &icmp_any {
        let (k, sc) = (&ak.key, scope(ak.eni));
        let rev = AggKey {
            key: ConnKey {
                server: k.client,
                client: k.server,
                ..*k
            },
            eni: ak.eni,
        };
        match by_key.get(&rev) {
            None => {
                let mut a = acc.clone();
                a.method = Some(Method::OneWay);
                put(&mut out, *ak, a);
            }
            Some(&j) => {
                let other = &icmp_any[j].1;
                if acc.first < other.first {
                    let mut a = acc.clone();
                    a.merge(other);
                    a.method = Some(Method::OneWay);
                    put(&mut out, *ak, a);
                } else if acc.first == other.first
                    && icmp_peers(sc, &k.client) > icmp_peers(sc, &k.server)
                {
                    let mut a = acc.clone();
                    a.merge(other);
                    a.method = Some(Method::FanOut);
                    put(&mut out, *ak, a);
                } else if acc.first == other.first
                    && icmp_peers(sc, &k.client) == icmp_peers(sc, &k.server)
                    && k.client < k.server
                {
                    undecided.push(Undecided {
                        a: k.client,
                        a_port: 0,
                        b: k.server,
                        b_port: 0,
                        proto: k.proto,
                        records: acc.records + other.records,
                        bytes: acc.bytes,
                        first: acc.first,
                        last: acc.last.max(other.last),
                    });
                }
            }
        }
    }
    // One entry per pair of ends: the copies at two interfaces are one.
    let mut merged: BTreeMap<(u8, IpAddr, u16, IpAddr, u16), Undecided> = BTreeMap::new();
    for u in undecided {
        match merged.entry((u.proto, u.a, u.a_port, u.b, u.b_port)) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(u);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let m = o.get_mut();
                m.records += u.records;
                m.bytes = m.bytes.max(u.bytes);
                m.first = m.first.min(u.first);
                m.last = m.last.max(u.last);
            }
        }
    }
    (out.into_iter().collect(), merged.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Action, Record};
    use crate::reduce::{Reduced, reduce};

    #[allow(clippy::too_many_arguments)]
    fn feed(
        agg: &mut Aggregator,
        eni: &'static str,
        src: &str,
        sp: u16,
        dst: &str,
        dp: u16,
        proto: u8,
        flags: Option<u16>,
        start: i64,
    ) {
        let r = Record {
            interface_id: Some(eni),
            vpc_id: None,
            account_id: None,
            srcaddr: src.parse().unwrap(),
            dstaddr: dst.parse().unwrap(),
            pkt_srcaddr: None,
            pkt_dstaddr: None,
            srcport: sp,
            dstport: dp,
            protocol: proto,
            packets: 2,
            bytes: 100,
            start,
            end: start + 60,
            action: Action::Accept,
            tcp_flags: flags,
            flow_direction: None,
            pkt_src_aws_service: None,
            pkt_dst_aws_service: None,
            reject_reason: None,
        };
        match reduce(&r) {
            Reduced::Accepted(o) => agg.add(&o),
            other => panic!("{other:?}"),
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn four_copies_of_one_connection_count_once() {
        let mut agg = Aggregator::new();
        // request and response, at the client's and at the server's interface
        feed(
            &mut agg,
            "eni-web",
            "10.0.1.10",
            45000,
            "10.0.2.20",
            3306,
            TCP,
            Some(2),
            100,
        );
        feed(
            &mut agg,
            "eni-web",
            "10.0.2.20",
            3306,
            "10.0.1.10",
            45000,
            TCP,
            Some(18),
            100,
        );
        feed(
            &mut agg,
            "eni-db",
            "10.0.1.10",
            45000,
            "10.0.2.20",
            3306,
            TCP,
            Some(2),
            100,
        );
        feed(
            &mut agg,
            "eni-db",
            "10.0.2.20",
            3306,
            "10.0.1.10",
            45000,
            TCP,
            Some(18),
            100,
        );
        let mut ev = agg.finish();
        // One copy per capturing interface, request and response in each.
        let copies: Vec<(&[String], u64, u64)> = ev
            .connections
            .iter()
            .map(|c| (c.logged_at.as_slice(), c.records, c.bytes))
            .collect();
        assert_eq!(
            copies,
            vec![
                (&["eni-db".to_string()][..], 2, 200),
                (&["eni-web".to_string()][..], 2, 200)
            ]
        );
        // Resolution merges the two copies: one connection.
        crate::resolve::attribute(&mut ev, &crate::inventory::Inventory::default());
        assert_eq!(ev.connections.len(), 1);
        let c = &ev.connections[0];
        assert_eq!(
            (c.client, c.server, c.port),
            (ip("10.0.1.10"), ip("10.0.2.20"), 3306)
        );
        assert_eq!(c.connections, 1);
        assert_eq!(c.records, 4);
        assert_eq!(c.bytes, 200, "bytes are counted at one interface, not both");
        assert_eq!(c.method, Method::TcpFlags);
        assert_eq!(
            c.logged_at,
            vec!["eni-db".to_string(), "eni-web".to_string()]
        );
    }

    #[test]
    fn high_port_service_found_by_fan_in_without_flags() {
        let mut agg = Aggregator::new();
        // gRPC on 50051; clients use ephemeral ports both below and above it.
        for (i, cp) in [40000u16, 41000, 52000, 60000].iter().enumerate() {
            feed(
                &mut agg,
                "eni-a",
                "10.0.1.10",
                *cp,
                "10.0.2.20",
                50051,
                TCP,
                None,
                100 + i as i64,
            );
            feed(
                &mut agg,
                "eni-a",
                "10.0.2.20",
                50051,
                "10.0.1.10",
                *cp,
                TCP,
                None,
                100 + i as i64,
            );
        }
        let ev = agg.finish();
        assert_eq!(ev.undecided.len(), 0, "{:?}", ev.undecided);
        assert_eq!(ev.connections.len(), 1, "{:?}", ev.connections);
        let c = &ev.connections[0];
        assert_eq!(
            (c.server, c.port, c.client),
            (ip("10.0.2.20"), 50051, ip("10.0.1.10"))
        );
        assert_eq!(c.method, Method::FanIn);
        assert_eq!(c.connections, 4);
    }

    #[test]
    fn flagless_records_follow_a_service_proven_by_flags() {
        let mut agg = Aggregator::new();
        feed(
            &mut agg,
            "eni-a",
            "10.0.1.10",
            40000,
            "10.0.2.20",
            50051,
            TCP,
            Some(2),
            100,
        );
        // a later interval of another long connection: no SYN, ports in the same range
        feed(
            &mut agg,
            "eni-a",
            "10.0.2.20",
            50051,
            "10.0.1.11",
            33000,
            TCP,
            Some(0),
            700,
        );
        let ev = agg.finish();
        assert!(ev.undecided.is_empty());
        let servers: Vec<_> = ev
            .connections
            .iter()
            .map(|c| (c.server, c.port, c.client, c.method))
            .collect();
        assert!(
            servers.contains(&(
                ip("10.0.2.20"),
                50051,
                ip("10.0.1.11"),
                Method::KnownService
            )),
            "{servers:?}"
        );
    }

    #[test]
    fn a_single_tie_is_undecided_not_guessed() {
        let mut agg = Aggregator::new();
        feed(
            &mut agg,
            "eni-a",
            "10.0.1.10",
            40000,
            "10.0.2.20",
            50051,
            TCP,
            None,
            100,
        );
        let ev = agg.finish();
        assert!(ev.connections.is_empty());
        assert_eq!(ev.undecided.len(), 1);
    }

    #[test]
    fn load_balancer_source_ports_below_the_service_port_are_flipped_by_fan_in() {
        let mut agg = Aggregator::new();
        // ALB uses source ports 1024-65535; the target listens on 8080.
        for sp in [2000u16, 3000, 4000, 9000, 12000] {
            feed(
                &mut agg,
                "eni-web",
                "10.0.0.5",
                sp,
                "10.0.1.10",
                8080,
                TCP,
                None,
                100,
            );
        }
        let ev = agg.finish();
        assert_eq!(ev.connections.len(), 1, "{:?}", ev.connections);
        let c = &ev.connections[0];
        assert_eq!((c.server, c.port), (ip("10.0.1.10"), 8080));
        assert_eq!(c.connections, 5);
    }

    #[test]
    fn dns_over_udp_by_port_range() {
        let mut agg = Aggregator::new();
        feed(
            &mut agg,
            "eni-a",
            "10.0.1.10",
            53000,
            "10.0.0.2",
            53,
            UDP,
            None,
            100,
        );
        let ev = agg.finish();
        assert_eq!(ev.connections[0].port, 53);
        assert_eq!(ev.connections[0].method, Method::PortRange);
    }

    #[test]
    fn ping_both_ways_in_one_interval_is_undecided_but_one_way_is_not() {
        let mut agg = Aggregator::new();
        let pings = [
            // a tie: both ways in one second, one peer each
            ("10.0.5.1", "10.0.5.2", 100),
            ("10.0.5.2", "10.0.5.1", 100),
            // one way only: the sender started it
            ("10.0.1.10", "10.0.3.30", 100),
            // both ways, the reply logged later: the earlier side started it
            ("10.0.1.10", "10.0.4.40", 100),
            ("10.0.4.40", "10.0.1.10", 160),
        ];
        for (src, dst, t) in pings {
            feed(&mut agg, "eni-a", src, 0, dst, 0, ICMP, None, t);
        }
        let ev = agg.finish();
        assert_eq!(ev.undecided.len(), 1);
        assert_eq!(
            (ev.undecided[0].a, ev.undecided[0].b),
            (ip("10.0.5.1"), ip("10.0.5.2"))
        );
        let got: Vec<_> = ev
            .connections
            .iter()
            .map(|c| (c.client, c.server, c.port, c.method))
            .collect();
        assert_eq!(
            got,
            vec![
                (ip("10.0.1.10"), ip("10.0.3.30"), ICMP_ANY, Method::OneWay),
                (ip("10.0.1.10"), ip("10.0.4.40"), ICMP_ANY, Method::OneWay),
            ]
        );
    }

    #[test]
    fn a_host_pinging_many_is_the_initiator_even_when_both_ways_share_a_second() {
        let mut agg = Aggregator::new();
        for host in ["10.0.2.1", "10.0.2.2", "10.0.2.3"] {
            feed(&mut agg, "eni-mon", "10.0.9.9", 0, host, 0, ICMP, None, 100);
            feed(&mut agg, "eni-mon", host, 0, "10.0.9.9", 0, ICMP, None, 100);
        }
        let ev = agg.finish();
        assert!(ev.undecided.is_empty(), "{:?}", ev.undecided);
        assert_eq!(ev.connections.len(), 3);
        assert!(
            ev.connections
                .iter()
                .all(|c| c.client == ip("10.0.9.9") && c.method == Method::FanOut)
        );
    }

    #[test]
    fn merging_two_aggregators_equals_one() {
        let mut one = Aggregator::new();
        let mut a = Aggregator::new();
        let mut b = Aggregator::new();
        for (agg, eni) in [(&mut a, "eni-1"), (&mut b, "eni-2")] {
            feed(
                agg,
                eni,
                "10.0.1.10",
                45000,
                "10.0.2.20",
                443,
                TCP,
                None,
                100,
            );
        }
        feed(
            &mut one,
            "eni-1",
            "10.0.1.10",
            45000,
            "10.0.2.20",
            443,
            TCP,
            None,
            100,
        );
        feed(
            &mut one,
            "eni-2",
            "10.0.1.10",
            45000,
            "10.0.2.20",
            443,
            TCP,
            None,
            100,
        );
        a.merge(b);
        let (x, y) = (a.finish(), one.finish());
        assert_eq!(
            format!("{:?}", x.connections),
            format!("{:?}", y.connections)
        );
    }

    #[test]
    fn bitmaps_grow_both_ways_and_merge_exactly() {
        let fill = |ports: &[u16]| {
            let mut s = PortSet::default();
            for &p in ports {
                s.insert(p);
            }
            s
        };
        let a_ports: Vec<u16> = (0..200).map(|i| 40_000 + i * 3).collect();
        let b_ports: Vec<u16> = (0..200).map(|i| 1_000 + i * 300).collect();
        let mut a = fill(&a_ports);
        for p in [65_535, 0, 40_000, 12_345] {
            a.insert(p);
        }
        let mut want: BTreeSet<u16> = a_ports.iter().copied().collect();
        want.extend([65_535, 0, 12_345]);
        assert!(matches!(a, PortSet::Bits { .. }));
        assert_eq!(a.iter().collect::<BTreeSet<_>>(), want);
        assert_eq!(a.len(), want.len());
        let b = fill(&b_ports);
        a.union(&b);
        want.extend(b_ports.iter().copied());
        assert_eq!(a.iter().collect::<BTreeSet<_>>(), want);
        assert_eq!(a.len(), want.len());
        // a small set into a bitmap, and a bitmap into a small set
        let mut small = fill(&[7, 8, 9]);
        small.union(&b);
        let mut b2 = b.clone();
        b2.union(&fill(&[7, 8, 9]));
        assert_eq!(
            small.iter().collect::<BTreeSet<_>>(),
            b2.iter().collect::<BTreeSet<_>>()
        );
        assert_eq!(small.len(), b_ports.len() + 3);
        if let PortSet::Bits { words, .. } = fill(&(32_768..32_868).collect::<Vec<_>>()) {
            assert_eq!(words.len(), 2, "only the words in use");
        } else {
            panic!("a bitmap after 48 ports");
        }
    }

    #[test]
    fn port_set_switches_to_a_bitmap_and_stays_exact() {
        let mut s = PortSet::default();
        for p in (0..1000u16).chain(0..1000) {
            s.insert(p * 7);
        }
        assert_eq!(s.len(), 1000);
        assert!(matches!(s, PortSet::Bits { .. }));
        assert_eq!(s.iter().count(), 1000);
    }
}
