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
//!
//! - `evidence.rs`: what the stage gives (connections, rejections, gaps, spans);
//! - `ports.rs`: the exact set of a connection's client ports;
//! - `acc.rs`, `rejected.rs`: the running sums per key and per rejection;
//! - `table.rs`: the keys' sums, looked up behind prefetches;
//! - `settle.rs`: the orientation pass at the end of the window;
//! - `pushed.rs`: rows an engine aggregated where the logs lie (Athena),
//!   folded in beside local records.
//! - `stored.rs`: the sums before that pass as plain data (`--state`).

mod acc;
mod evidence;
mod ports;
mod pushed;
mod rejected;
mod settle;
mod stored;
mod table;

use std::net::IpAddr;

use rustc_hash::FxHashMap;

use crate::endpoint::Endpoint;
use crate::id::Id;
use crate::reduce::{ConnKey, ICMP, ICMPV6, Observation, Rejection};
use crate::stats::{Span, Stats};
use acc::*;
pub use evidence::*;
pub use ports::PortSet;
pub use pushed::{PushedConn, PushedFact};
use pushed::{Settled, connections};
use rejected::*;
use settle::*;
pub use stored::*;
use table::Conns;

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
    vpc: Short,
    account: Short,
}

/// Up to `N` bytes held in place (`N` under 256): compared per record
/// without a load behind a pointer. Its length is never above `N`.
#[derive(Debug, Clone, Copy)]
struct Inline<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> Inline<N> {
    /// `v` held in place; `None` when it is longer than `N`.
    #[inline]
    fn new(v: &[u8]) -> Option<Self> {
        if v.len() > N {
            return None;
        }
        let mut bytes = [0; N];
        bytes[..v.len()].copy_from_slice(v);
        Some(Inline {
            len: v.len() as u8,
            bytes,
        })
    }

    #[inline(always)]
    fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The longest [`Short`] held in place.
const SHORT_MAX: usize = 22;

/// A text held in place when it is short (a VPC id is 21 bytes, an
/// account 12), else on the heap. Every record's VPC and account are
/// compared with its interface's: held in place, they cost no load past
/// the interface's [`Place`] (behind a `String`, two more, each a likely
/// cache miss once the table of sums had pushed them out: that compare
/// was 3.6% of mesh's profile; 2.6% fewer second-level misses since).
#[derive(Debug, Clone, Default)]
enum Short {
    #[default]
    None,
    Inline(Inline<SHORT_MAX>),
    Heap(Box<str>),
}

const _: () = assert!(std::mem::size_of::<Short>() == 24);

impl Short {
    fn new(v: &str) -> Short {
        match Inline::new(v.as_bytes()) {
            Some(text) => Short::Inline(text),
            None => Short::Heap(v.into()),
        }
    }

    #[inline(always)]
    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Short::None => None,
            Short::Inline(text) => Some(text.bytes()),
            Short::Heap(v) => Some(v.as_bytes()),
        }
    }

    fn get(&self) -> Option<&str> {
        self.bytes().map(|b| {
            // Made from a `str` whole: its bytes are UTF-8.
            std::str::from_utf8(b).expect("a Short holds a whole str")
        })
    }
}

/// Accumulates observations; mergeable, so files can be read in parallel.
#[derive(Debug)]
pub struct Aggregator {
    conns: Conns,
    rejected: FxHashMap<(IpAddr, u16, u8), RejAcc>,
    gaps: FxHashMap<u32, (u64, Option<i64>, Option<i64>)>,
    enis: Vec<String>,
    eni_ids: FxHashMap<String, u32>,
    /// The interface interned last: records of one interface come in runs
    /// (a log stream is one interface's).
    last_eni: Recent,
    /// Interfaces interned lately, by a hash of their id's last bytes:
    /// records of interleaved interfaces find theirs here, with one
    /// comparison and without hashing the whole id. A slot another id took
    /// is looked up in `eni_ids`.
    recent: Box<[Recent; RECENT]>,
    /// Per interned interface: its VPC and account, where logged.
    places: Vec<Place>,
    /// Per interned interface: the window's records it logged (accepted or
    /// not), until [`Aggregator::spans_into`] hands them to `Stats`.
    spans: Vec<Span>,
    /// (interface, address it owns) → (first start, last end).
    held: FxHashMap<(u32, IpAddr), (i64, i64)>,
    /// Address → (start of the first record that named it, AWS service).
    services: FxHashMap<IpAddr, (i64, String)>,
    /// Copies an engine settled (pushed-down rows), beside `conns`.
    settled: FxHashMap<AggKey, Settled>,
    /// Copies an engine could not orient, merged with the pass's at the end.
    undecided: Vec<Undecided>,
}

const NO_ENI: u32 = u32::MAX;

/// Slots of [`Aggregator::recent`]: 128 KB, room for a few thousand
/// interfaces with few sharing a slot.
const RECENT: usize = 4096;

/// An interned interface id with its bytes at hand: a record's id is
/// compared with the slot's own bytes, where a number into the interned
/// strings cost two more loads, each a likely cache miss once the table of
/// sums had pushed them out (mesh's records change interface every 7 lines:
/// 6% of the reading went there). Ids up to 27 bytes (an interface id is
/// 12 or 21); a longer one is never held, and is looked up.
#[derive(Debug, Clone, Copy)]
struct Recent {
    text: Inline<27>,
    /// [`NO_ENI`]: the slot holds no interface.
    id: u32,
}

const _: () = assert!(std::mem::size_of::<Recent>() == 32);

impl Recent {
    const NONE: Recent = Recent {
        text: Inline {
            len: 0,
            bytes: [0; 27],
        },
        id: NO_ENI,
    };

    /// `id`'s slot for the interface `eni`, or none when it is too long.
    #[inline]
    fn of(eni: &[u8], id: u32) -> Recent {
        match Inline::new(eni) {
            Some(text) => Recent { text, id },
            None => Recent::NONE,
        }
    }

    /// The interned number of `eni`, when this slot holds it.
    #[inline(always)]
    fn holds(&self, eni: &[u8]) -> Option<u32> {
        (self.id != NO_ENI && crate::parse::same(self.text.bytes(), eni)).then_some(self.id)
    }
}

/// The slot of an interface id in [`Aggregator::recent`]: its last eight
/// bytes (an interface id's random hex digits) spread over the slots.
#[inline]
fn recent_slot(id: &[u8]) -> usize {
    let tail = match id.len().checked_sub(8) {
        Some(at) => u64::from_le_bytes(id[at..].try_into().expect("8 bytes")),
        None => {
            let mut tail = [0u8; 8];
            tail[..id.len()].copy_from_slice(id);
            u64::from_le_bytes(tail)
        }
    };
    let mixed = tail.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> (64 - RECENT.trailing_zeros())) as usize
}

/// An address as a number in `IpAddr`'s order (IPv4 before IPv6, each by
/// its octets): compared without a call to `memcmp`.
#[inline]
fn ip_order(ip: IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u128::from(a.to_bits())),
        IpAddr::V6(a) => (true, a.to_bits()),
    }
}

/// An interface interned by one [`Aggregator`] (or none: the format does
/// not log `interface-id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eni(u32);

impl Default for Aggregator {
    fn default() -> Self {
        Aggregator {
            conns: Conns::default(),
            rejected: FxHashMap::default(),
            gaps: FxHashMap::default(),
            enis: Vec::new(),
            eni_ids: FxHashMap::default(),
            last_eni: Recent::NONE,
            recent: Box::new([Recent::NONE; RECENT]),
            places: Vec::new(),
            spans: Vec::new(),
            held: FxHashMap::default(),
            services: FxHashMap::default(),
            settled: FxHashMap::default(),
            undecided: Vec::new(),
        }
    }
}

impl Aggregator {
    pub fn new() -> Self {
        Self::default()
    }

    /// The interface a record names, interned once per record.
    #[inline]
    pub fn interface(&mut self, eni: Option<&str>) -> Eni {
        Eni(self.intern(eni))
    }

    #[inline]
    fn intern(&mut self, eni: Option<&str>) -> u32 {
        let Some(eni) = eni else { return NO_ENI };
        match self.last_eni.holds(eni.as_bytes()) {
            Some(id) => id,
            None => self.intern_other(eni),
        }
    }

    /// [`Aggregator::intern`] of an interface other than the last one.
    #[inline(never)]
    fn intern_other(&mut self, eni: &str) -> u32 {
        let bytes = eni.as_bytes();
        let slot = recent_slot(bytes);
        if let Some(id) = self.recent[slot].holds(bytes) {
            self.last_eni = self.recent[slot];
            return id;
        }
        let id = match self.eni_ids.get(eni) {
            Some(id) => *id,
            None => self.intern_new(eni),
        };
        // The slot and the last interface alike: made once.
        let recent = Recent::of(bytes, id);
        self.recent[slot] = recent;
        self.last_eni = recent;
        id
    }

    #[cold]
    fn intern_new(&mut self, eni: &str) -> u32 {
        let id = self.enis.len() as u32;
        self.enis.push(eni.to_string());
        self.places.push(Place::default());
        self.spans.push(Span::default());
        self.eni_ids.insert(eni.to_string(), id);
        id
    }

    /// Counts a record of the window in its interface's span.
    #[inline]
    pub fn note_span(&mut self, eni: Eni, start: i64, end: i64) {
        if let Some(span) = self.spans.get_mut(eni.0 as usize) {
            span.add(start, end);
        }
    }

    /// Hands the interfaces' spans noted so far to `stats` (at the end of a
    /// reading: a stream, a source, every file).
    pub fn spans_into(&mut self, stats: &mut Stats) {
        for (id, span) in self.enis.iter().zip(&mut self.spans) {
            if span.records > 0 {
                stats.add_interface_span(id, span);
                *span = Span::default();
            }
        }
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
                && slot.get().is_none_or(|cur| v < cur)
            {
                *slot = Short::new(v);
            }
        }
    }

    /// The account of every interface whose records did not log one: the
    /// account the stream's location names (an S3 key under
    /// `AWSLogs/{account}/`). Called on an aggregator that read that one
    /// stream, so these are its interfaces.
    pub fn default_account(&mut self, account: &str) {
        for p in &mut self.places {
            if p.account.bytes().is_none() {
                p.account = Short::new(account);
            }
        }
    }

    #[inline]
    pub fn add(&mut self, o: &Observation<'_, '_>) {
        let eni = self.interface(o.interface_id());
        self.add_for(eni, o);
    }

    /// [`Aggregator::add`] for an observation whose interface was interned.
    #[inline]
    pub fn add_for(&mut self, Eni(eni): Eni, o: &Observation<'_, '_>) {
        if eni != NO_ENI && {
            let p = &self.places[eni as usize];
            let differs = |mine: &Short, logged: Option<&str>| match (mine.bytes(), logged) {
                (Some(m), Some(l)) => !crate::parse::same(m, l.as_bytes()),
                (None, Some(_)) => true,
                (_, None) => false,
            };
            differs(&p.vpc, o.vpc_id()) || differs(&p.account, o.account_id())
        } {
            self.place(eni, o.vpc_id(), o.account_id());
        }
        if let Some(local) = o.local_addr()
            && eni != NO_ENI
        {
            self.learn(local, o.start(), o.end(), eni);
        }
        // Each end in turn, without an array of both built per record.
        if let Some(svc) = o.server_service() {
            self.name_service(o.key.server, o.start(), svc);
        }
        if let Some(svc) = o.client_service() {
            self.name_service(o.key.client, o.start(), svc);
        }
        self.conns.add(
            AggKey { key: o.key, eni },
            Sample {
                client_port: o.client_port,
                start: o.start(),
                end: o.end(),
                bytes: o.bytes(),
                packets: o.packets(),
                strength: o.strength,
                syn: o.syn,
            },
        );
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
            self.place(remap[i], p.vpc.get(), p.account.get());
        }
        for (i, span) in other.spans.iter().enumerate() {
            self.spans[remap[i] as usize].merge(span);
        }
        self.conns.merge_all(other.conns, |k| AggKey {
            key: k.key,
            eni: map(k.eni),
        });
        for (k, r) in other.rejected {
            let mine = self.rejected.entry(k).or_default();
            if mine.records == 0 {
                mine.first = r.first;
                mine.last = r.last;
            }
            mine.records += r.records;
            mine.first = mine.first.min(r.first);
            mine.last = mine.last.max(r.last);
            mine.merge_sources(r.sources);
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
        for (k, s) in other.settled {
            let k = AggKey {
                key: k.key,
                eni: map(k.eni),
            };
            match self.settled.get_mut(&k) {
                Some(mine) => mine.merge(&s),
                None => {
                    self.settled.insert(k, s);
                }
            }
        }
        self.undecided.extend(other.undecided);
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
            settled: pushed,
            undecided: pushed_undecided,
            ..
        } = self;
        // The scope of an interface's records: its logged VPC, else itself
        // unknown (one shared scope, as before VPCs were told apart).
        let mut vpc_ids: FxHashMap<&str, u32> = FxHashMap::default();
        let scope_of_eni: Vec<u32> = places
            .iter()
            .map(|p| match p.vpc.get() {
                Some(v) => {
                    let n = vpc_ids.len() as u32 + 1;
                    *vpc_ids.entry(v).or_insert(n)
                }
                None => 0,
            })
            .collect();
        let scope = |eni: u32| scope_of_eni.get(eni as usize).copied().unwrap_or(0);
        // What the reading freed (its blocks, the workers' tables merged
        // into this one) goes back before the orientation pass allocates.
        crate::memory::give_back();
        let clock = std::time::Instant::now();
        let (settled, mut undecided) = settle(conns, &scope);
        let settle_ms = clock.elapsed().as_millis();
        // The reading's tables are freed: their pages go back before the
        // connections take new ones.
        crate::memory::give_back();
        if !pushed_undecided.is_empty() {
            undecided.extend(pushed_undecided);
            undecided = merge_undecided(undecided);
        }

        // Each interface's names once: every connection it captured shares them.
        let eni_ids: Vec<Id> = enis.iter().map(Id::from).collect();
        let place_ids: Vec<(Option<Id>, Option<Id>)> = places
            .iter()
            .map(|p| {
                let id = |s: &Short| s.get().map(Id::from);
                (id(&p.vpc), id(&p.account))
            })
            .collect();
        let eni_name = |id: u32| -> Option<Id> { eni_ids.get(id as usize).cloned() };
        let place = |id: u32| place_ids.get(id as usize).cloned().unwrap_or_default();
        // Local copies as the pushed rows are, then one connection each.
        let as_settled = |acc: Acc| Settled {
            records: acc.records,
            bytes: acc.bytes,
            packets: acc.packets,
            syns: acc.syns,
            client_ports: acc.client_ports.len() as u64,
            first: acc.first,
            last: acc.last,
            method: acc.method.unwrap_or(Method::PortRange),
        };
        // The output's order, decided on the keys before they turn into
        // connections: by service, then the addresses as numbers (in
        // `IpAddr`'s order), then the capturing interface's name (none
        // first). Each key once, so the order is total. Sorted last first:
        // [`Shrinking`] takes them from the end.
        let rank = name_ranks(&enis);
        let clock = std::time::Instant::now();
        let copies: Box<dyn Iterator<Item = (AggKey, Settled)>> = if pushed.is_empty() {
            // The pass gave each key once: no table needed to meet them.
            let mut settled = settled;
            sort_last_first(&mut settled, &rank);
            Box::new(Shrinking(settled).map(|(k, acc)| (k, as_settled(acc))))
        } else {
            let mut copies: FxHashMap<AggKey, Settled> = pushed;
            for (k, acc) in settled {
                let s = as_settled(acc);
                match copies.get_mut(&k) {
                    Some(mine) => mine.merge(&s),
                    None => {
                        copies.insert(k, s);
                    }
                }
            }
            let mut copies: Vec<(AggKey, Settled)> = copies.into_iter().collect();
            sort_last_first(&mut copies, &rank);
            Box::new(Shrinking(copies))
        };
        let connections: Vec<Connection> = copies
            .map(|(AggKey { key: k, eni }, acc)| {
                let logged_at: Vec<Id> = eni_name(eni).into_iter().collect();
                let (vpc, account) = place(eni);
                Connection {
                    client: k.client,
                    server: k.server,
                    vpc,
                    account,
                    port: k.port,
                    proto: k.proto,
                    connections: connections(k.proto, acc.client_ports, acc.syns, acc.records),
                    records: acc.records,
                    bytes: acc.bytes,
                    packets: acc.packets,
                    first: acc.first,
                    last: acc.last,
                    method: acc.method,
                    logged_at,
                    client_end: Endpoint::Unresolved,
                    server_end: Endpoint::Unresolved,
                    via: None,
                    balancer: None,
                    relay: None,
                }
            })
            .collect();
        tracing::debug!(
            settle_ms,
            connections_ms = clock.elapsed().as_millis(),
            "orientation settled, connections built"
        );

        let mut rejected: Vec<Rejected> = rejected
            .into_iter()
            .map(|((dst, dstport, proto), r)| {
                // Kept sorted.
                let distinct = r.sources.len();
                let sources: Vec<IpAddr> = r.sources.iter().take(5).collect();
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
                interface_id: eni_name(eni)
                    .map_or_else(|| "(unknown interface)".into(), String::from),
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
                            interface_id: eni_name(e)?.into(),
                            addr,
                            first,
                            last,
                        })
                    })
                    .collect();
                held.sort_unstable_by(|a, b| {
                    (a.addr, a.first, &a.interface_id).cmp(&(b.addr, b.first, &b.interface_id))
                });
                held
            },
            aws_services: services.into_iter().map(|(a, (_, s))| (a, s)).collect(),
        }
    }
}

/// Each interface's place among the interfaces' names, from 1 (0: none
/// logged), so that keys order by name without comparing strings.
fn name_ranks(enis: &[String]) -> Vec<u32> {
    let mut by_name: Vec<u32> = (0..enis.len() as u32).collect();
    by_name.sort_unstable_by(|a, b| enis[*a as usize].cmp(&enis[*b as usize]));
    let mut rank = vec![0; enis.len()];
    for (place, eni) in by_name.into_iter().enumerate() {
        rank[eni as usize] = place as u32 + 1;
    }
    rank
}

/// Sorts the keys in the reverse of the connections' order (see
/// [`Aggregator::finish`]), each key's order computed once: comparing
/// numbers, not the entries they came from, and moving each entry once.
/// Where every address is IPv4 (the usual window), a key's whole order
/// fits one `u128` ([`packed_order`]): 32 bytes a key with its index
/// instead of 80, and one comparison instead of five.
fn sort_last_first<T>(v: &mut [(AggKey, T)], rank: &[u32]) {
    if v.iter().all(|(k, _)| packed_order(k, rank).is_some()) {
        // Checked just above: the fallback is never taken.
        v.sort_by_cached_key(|(k, _)| std::cmp::Reverse(packed_order(k, rank).unwrap_or(0)));
    } else {
        v.sort_by_cached_key(|(k, _)| std::cmp::Reverse(order(k, rank)));
    }
}

/// A key's place in the connections' order: service (protocol, port and
/// the server's family in one word), server, client's family, client,
/// capturing interface's name (its rank; an interface this aggregator did
/// not intern has no name, as none).
fn order(k: &AggKey, rank: &[u32]) -> (u32, u128, bool, u128, u32) {
    let eni = rank.get(k.eni as usize).copied().unwrap_or(0);
    let (server_v6, server) = ip_order(k.key.server);
    let (client_v6, client) = ip_order(k.key.client);
    let service = u32::from(k.key.proto) << 17 | u32::from(k.key.port) << 1 | u32::from(server_v6);
    (service, server, client_v6, client, eni)
}

/// [`order`] as one number where both addresses are IPv4: the service
/// (25 bits), the server, the client and the interface's rank in 32 bits
/// each, highest first (the client's family, IPv4 for every such key, adds
/// nothing). `None` for a key with an IPv6 address.
fn packed_order(k: &AggKey, rank: &[u32]) -> Option<u128> {
    let (service, server, client_v6, client, eni) = order(k, rank);
    // The server's family is the service's lowest bit.
    (service & 1 == 0 && !client_v6)
        .then(|| u128::from(service) << 96 | server << 64 | client << 32 | u128::from(eni))
}

/// A vector's items taken from its end, its room given back as it empties:
/// the settled sums turn into connections without both being held whole
/// (their sizes would add up at the run's peak). Sorted last first, they
/// come out in order.
struct Shrinking<T>(Vec<T>);

impl<T> Iterator for Shrinking<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let v = &mut self.0;
        let item = v.pop()?;
        // Halving: every item is moved at most once more in all.
        if v.capacity() > 4096 && v.len() < v.capacity() / 2 {
            v.shrink_to_fit();
            crate::memory::give_back();
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.len(), Some(self.0.len()))
    }
}

#[cfg(test)]
mod tests;
