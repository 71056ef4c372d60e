//! The copies of one connection (same VPC, addresses, service and resolved
//! ends) become one; copies that could not tell an end (an ambiguous owner,
//! a capturing interface outside the covered VPCs, a NAT gateway's outside
//! leg) join the copy that could, where there is one.

use std::hash::BuildHasher;
use std::net::IpAddr;

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::resolver::Flow;
use super::*;
use crate::aggregate::Connection;
use crate::id::Id;
use crate::inventory::Inventory;

/// What makes two copies one connection: VPC, addresses, service, resolved
/// ends. Two interfaces are the same ends wherever the copy was captured
/// (interface ids are unique across VPCs), so the copies of a connection
/// between peered VPCs, or across a transit gateway, are one. The strings
/// are interned ([`Names`]): a key is a few words, hashed, never allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    /// The VPC, or none (0) where both ends are interfaces.
    vpc: u32,
    client: IpAddr,
    server: IpAddr,
    port: u16,
    proto: u8,
    client_end: EndKey,
    server_end: EndKey,
}

/// An end as the key sees it: a definite interface by its id, else the
/// whole endpoint (a class of address, an absent interface's id, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum EndKey {
    Interface(u32),
    Other(u32),
}

/// The interface id that makes an end an [`EndKey::Interface`].
fn definite_interface(e: &Endpoint) -> Option<&str> {
    e.interface().filter(|_| e.is_definite())
}

/// The VPC part of a copy's key: empty where both ends are interfaces.
fn key_vpc(c: &Connection) -> &str {
    if definite_interface(&c.client_end).is_some() && definite_interface(&c.server_end).is_some() {
        ""
    } else {
        c.vpc.as_deref().unwrap_or_default()
    }
}

/// Whether two ends are the same end of a connection (the same [`EndKey`]).
fn same_end(a: &Endpoint, b: &Endpoint) -> bool {
    match (definite_interface(a), definite_interface(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a == b,
        _ => false,
    }
}

/// The strings of the keys, each stored once per run (VPC and interface
/// ids, and the few endpoints that are not an interface).
#[derive(Default)]
struct Names {
    strings: FxHashMap<String, u32>,
    others: FxHashMap<Endpoint, u32>,
}

impl Names {
    fn string(&mut self, s: &str) -> u32 {
        if let Some(&n) = self.strings.get(s) {
            return n;
        }
        let n = u32::try_from(self.strings.len() + 1).expect("fewer than 2^32 names");
        self.strings.insert(s.to_string(), n);
        n
    }

    fn end(&mut self, e: &Endpoint) -> EndKey {
        if let Some(id) = definite_interface(e) {
            return EndKey::Interface(self.string(id));
        }
        if let Some(&n) = self.others.get(e) {
            return EndKey::Other(n);
        }
        let n = u32::try_from(self.others.len()).expect("fewer than 2^32 endpoints");
        self.others.insert(e.clone(), n);
        EndKey::Other(n)
    }

    fn key(&mut self, c: &Connection) -> Key {
        let vpc = key_vpc(c);
        Key {
            vpc: if vpc.is_empty() { 0 } else { self.string(vpc) },
            client: c.client,
            server: c.server,
            port: c.port,
            proto: c.proto,
            client_end: self.end(&c.client_end),
            server_end: self.end(&c.server_end),
        }
    }
}

/// The copies merged so far: each key's connection stays where its first
/// copy is in `rows`, and later copies fold into it, so no connection is
/// moved or cloned, and nothing is kept twice.
struct Merged {
    rows: Vec<Connection>,
    /// Whether `rows[i]` holds a merged connection (else it was folded into one).
    kept: Vec<bool>,
    /// Each key's row. Sized once for every copy: growing it would hold the
    /// old table and the new one at once, at the merge's peak.
    by_key: KeyIndex,
    names: Names,
}

impl Merged {
    /// Adds copy `i`; returns whether it joined one already there.
    fn put(&mut self, i: usize) -> bool {
        let key = self.names.key(&self.rows[i]);
        let row = u32::try_from(i).expect("fewer than 2^32 copies");
        match self.by_key.get_or_insert(key, row) {
            Some(into) => {
                self.fold(into as usize, i);
                true
            }
            None => {
                self.kept[i] = true;
                false
            }
        }
    }

    /// Folds copy `from` into the connection at `into`.
    fn fold(&mut self, into: usize, from: usize) {
        let (m, c) = pair(&mut self.rows, into, from);
        fold(m, c);
    }
}

/// Each key's row, as a map of (key, row) would hold them in less room:
/// the keys in a vector, in the order they came, and an open-addressing
/// index of their positions, 4 bytes a slot. A hash map sized for every
/// copy took 64 bytes a bucket, 33 MB at 230,000 copies, at the run's peak.
struct KeyIndex {
    entries: Vec<(Key, u32)>,
    /// Power-of-two length, at most half full: 0 free, else a position in
    /// `entries` plus one.
    slots: Vec<u32>,
}

impl KeyIndex {
    /// Room for `n` keys without growing (the room of the keys not used is
    /// reserved, never touched).
    fn with_capacity(n: usize) -> KeyIndex {
        KeyIndex {
            entries: Vec::with_capacity(n),
            slots: vec![0; (2 * n).next_power_of_two().max(16)],
        }
    }

    /// The row of `key`; else `row` is put under it and `None` returned.
    fn get_or_insert(&mut self, key: Key, row: u32) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = FxBuildHasher.hash_one(key) as usize & mask;
        loop {
            match self.slots[i] {
                0 => break,
                s => {
                    let (k, r) = &self.entries[s as usize - 1];
                    if *k == key {
                        return Some(*r);
                    }
                }
            }
            i = (i + 1) & mask;
        }
        self.entries.push((key, row));
        self.slots[i] = u32::try_from(self.entries.len()).expect("fewer than 2^32 keys");
        if 2 * self.entries.len() > self.slots.len() {
            self.rebuild(2 * self.slots.len());
        }
        None
    }

    /// A fresh index of `len` slots over the entries.
    fn rebuild(&mut self, len: usize) {
        self.slots = vec![0; len];
        let mask = len - 1;
        for (at, (k, _)) in self.entries.iter().enumerate() {
            let mut i = FxBuildHasher.hash_one(k) as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = at as u32 + 1;
        }
    }

    /// Every (key, row), in the order the keys came.
    fn iter(&self) -> impl Iterator<Item = &(Key, u32)> {
        self.entries.iter()
    }
}

/// `rows[into]` mutably and `rows[from]` (`into != from`).
fn pair(rows: &mut [Connection], into: usize, from: usize) -> (&mut Connection, &Connection) {
    if into < from {
        let (a, b) = rows.split_at_mut(from);
        (&mut a[into], &b[0])
    } else {
        let (a, b) = rows.split_at_mut(into);
        (&mut b[0], &a[from])
    }
}

/// The order of the keys before they were interned (VPC, addresses,
/// service, ends; an interface end before any other): where a choice
/// between connections depends on order, it is this one, as before.
fn key_order(a: &Connection, b: &Connection) -> std::cmp::Ordering {
    fn end(e: &Endpoint) -> (bool, Option<&str>) {
        (definite_interface(e).is_none(), definite_interface(e))
    }
    let ends = |e: &Endpoint, f: &Endpoint| match (definite_interface(e), definite_interface(f)) {
        (None, None) => e.cmp(f),
        _ => std::cmp::Ordering::Equal,
    };
    (key_vpc(a), a.client, a.server, a.port, a.proto)
        .cmp(&(key_vpc(b), b.client, b.server, b.port, b.proto))
        .then_with(|| end(&a.client_end).cmp(&end(&b.client_end)))
        .then_with(|| ends(&a.client_end, &b.client_end))
        .then_with(|| end(&a.server_end).cmp(&end(&b.server_end)))
        .then_with(|| ends(&a.server_end, &b.server_end))
}

/// `rows`: each copy; `uncovered[i]`: whether copy `i` was captured outside
/// every covered VPC.
pub(super) fn merge(
    rows: Vec<Connection>,
    uncovered: &[bool],
    inv: &Inventory,
    att: &mut Attribution,
) -> Vec<Connection> {
    let n = rows.len();
    let mut m = Merged {
        rows,
        kept: vec![false; n],
        by_key: KeyIndex::with_capacity(n),
        names: Names::default(),
    };
    let mut deferred = Vec::new();
    for (i, &outside_cover) in uncovered.iter().enumerate().take(n) {
        let c = &m.rows[i];
        if outside_cover || !c.client_end.is_definite() || !c.server_end.is_definite() {
            deferred.push(i);
            continue;
        }
        if m.put(i) {
            att.merged_copies += 1;
        }
    }
    // A copy that could not tell an end joins the one copy of the same
    // addresses and service that could and agrees on the other end; one
    // whose owner was not known is shared among the owners' own copies
    // ([`share`]).
    let mut by_flow: FxHashMap<Flow, Vec<usize>> = FxHashMap::default();
    if !deferred.is_empty() {
        for &(k, i) in m.by_key.iter() {
            by_flow
                .entry((k.client, k.server, k.port, k.proto))
                .or_default()
                .push(i as usize);
        }
    }
    for i in deferred {
        let twins: Vec<usize> = {
            let c = &m.rows[i];
            by_flow
                .get(&(c.client, c.server, c.port, c.proto))
                .into_iter()
                .flatten()
                .copied()
                .filter(|&k| {
                    let k = &m.rows[k];
                    if uncovered[i] {
                        // The covered copy names the capturing interface as an end.
                        let e = c.logged_at.first().map(Id::as_str);
                        e.is_some()
                            && (k.client_end.interface() == e || k.server_end.interface() == e)
                    } else {
                        let vpc = key_vpc(k);
                        (vpc.is_empty() || vpc == c.vpc.as_deref().unwrap_or_default())
                            && (same_end(&k.client_end, &c.client_end)
                                || same_end(&k.server_end, &c.server_end))
                    }
                })
                .collect()
        };
        if !uncovered[i]
            && let Some(all) = share(&mut m.rows, i, &twins)
        {
            if all {
                att.merged_copies += 1;
            } else {
                m.put(i);
            }
            continue;
        }
        if let [k] = twins.as_slice() {
            m.fold(*k, i);
            if uncovered[i] {
                att.uncovered_copies += 1;
            } else {
                att.merged_copies += 1;
            }
            continue;
        }
        if uncovered[i] {
            m.rows[i].vpc = None;
        }
        m.put(i);
    }
    // A NAT gateway's outside leg (its own address to the far end) is the
    // inside leg it carried (the host behind it, via the gateway): one
    // connection, the host's. The inventory's NAT gateways, looked up once.
    let mut first_by_id: FxHashMap<&str, bool> = FxHashMap::default();
    for e in &inv.network_interfaces {
        first_by_id
            .entry(e.id.as_str())
            .or_insert(e.interface_type == "nat_gateway");
    }
    let nat = |e: &Endpoint| {
        e.interface()
            .is_some_and(|id| first_by_id.get(id).copied().unwrap_or(false))
    };
    let mut outside: Vec<usize> = (0..n)
        .filter(|&i| m.kept[i])
        .filter(|&i| {
            let c = &m.rows[i];
            nat(&c.client_end) && !matches!(c.server_end, Endpoint::Eni { .. })
        })
        .collect();
    // The inside legs by gateway and far end: the first in key order.
    let mut inside_legs: FxHashMap<(&str, IpAddr, u16, u8), usize> = FxHashMap::default();
    if !outside.is_empty() {
        outside.sort_by(|&a, &b| key_order(&m.rows[a], &m.rows[b]));
        for i in (0..n).filter(|&i| m.kept[i]) {
            let c = &m.rows[i];
            if let Some(via) = c.via.as_deref() {
                inside_legs
                    .entry((via, c.server, c.port, c.proto))
                    .and_modify(|j| {
                        if key_order(c, &m.rows[*j]).is_lt() {
                            *j = i;
                        }
                    })
                    .or_insert(i);
            }
        }
    }
    let inside_legs: FxHashMap<(String, IpAddr, u16, u8), usize> = inside_legs
        .into_iter()
        .map(|((v, a, p, q), i)| ((v.to_string(), a, p, q), i))
        .collect();
    for k in outside {
        let c = &m.rows[k];
        let Some(gw) = c.client_end.interface() else {
            continue;
        };
        let first = inside_legs
            .get(&(gw.to_string(), c.server, c.port, c.proto))
            .copied()
            .filter(|&i| m.rows[i].client != c.client && m.kept[i] && i != k);
        if let Some(first) = first {
            // The records count once more; bytes and connections are the host's.
            m.kept[k] = false;
            let leg_records = m.rows[k].records;
            let leg_at = std::mem::take(&mut m.rows[k].logged_at);
            let into = &mut m.rows[first];
            into.records = into.records.saturating_add(leg_records);
            for e in leg_at {
                if !into.logged_at.contains(&e) {
                    into.logged_at.push(e);
                }
            }
            into.logged_at.sort();
        }
    }
    let Merged { mut rows, kept, .. } = m;
    let mut i = 0;
    rows.retain(|_| {
        i += 1;
        kept[i - 1]
    });
    let nat_ids: rustc_hash::FxHashSet<&str> = inv
        .network_interfaces
        .iter()
        .filter(|n| n.interface_type == "nat_gateway")
        .map(|n| n.id.as_str())
        .collect();
    att.through_nat = rows
        .iter()
        .filter(|c| c.via.as_deref().is_some_and(|v| nat_ids.contains(v)))
        .map(|c| c.connections)
        .sum();
    // Every merged connection has its own key, and the key's fields are in
    // this order: unstable sorting in place gives the one order, without
    // a buffer of half the connections.
    rows.sort_unstable_by(|a, b| {
        (
            a.proto,
            a.port,
            a.server,
            a.client,
            &a.vpc,
            &a.client_end,
            &a.server_end,
        )
            .cmp(&(
                b.proto,
                b.port,
                b.server,
                b.client,
                &b.vpc,
                &b.client_end,
                &b.server_end,
            ))
    });
    rows
}

/// The copy at `i` whose one end's owner was not known, shared among the
/// holders' own copies of the same connection (`twins`, merged already).
///
/// Such a copy is one aggregation key at the far end over the whole window:
/// where an address passed from one interface to another, the database's
/// copy spans both owners' times, so neither alone held the address over
/// it, while each owner's own copies (its capturing interface) show its part.
/// Each holder, an interface at that end that agrees on the other end, takes
/// the share of the copy that its own copy's connections are of it (records,
/// bytes and packets alike); what no holder's copy accounts for stays with
/// the copy, still ambiguous, so nothing is counted twice and nothing is
/// given to an owner that did not capture it. Returns `None` where no
/// holder's copy is there (or the copy is not one of an unknown owner), else
/// whether the holders took all of it (the copy is then no longer kept).
fn share(rows: &mut [Connection], i: usize, twins: &[usize]) -> Option<bool> {
    let c = &rows[i];
    let client_known = match (&c.client_end, &c.server_end) {
        (e, Endpoint::Ambiguous { .. }) if e.is_definite() => true,
        (Endpoint::Ambiguous { .. }, e) if e.is_definite() => false,
        _ => return None,
    };
    let holders: Vec<usize> = twins
        .iter()
        .copied()
        .filter(|&k| {
            let k = &rows[k];
            if client_known {
                same_end(&k.client_end, &c.client_end)
                    && definite_interface(&k.server_end).is_some()
            } else {
                same_end(&k.server_end, &c.server_end)
                    && definite_interface(&k.client_end).is_some()
            }
        })
        .collect();
    let held = holders
        .iter()
        .fold(0u64, |n, &k| n.saturating_add(rows[k].connections));
    // Where the holders' copies count more than this one (a client port
    // two owners used is one connection here), each takes its part of them.
    let whole = c.connections.max(held);
    if holders.is_empty() || whole == 0 {
        return None;
    }
    let all = held >= c.connections;
    let part = |x: u64, n: u64| (u128::from(x) * u128::from(n) / u128::from(whole)) as u64;
    let mut left = c.clone();
    let (records, bytes, packets) = (c.records, c.bytes, c.packets);
    for (at, &k) in holders.iter().enumerate() {
        let n = rows[k].connections;
        let mut p = left.clone();
        if !(all && at + 1 == holders.len()) {
            // The last holder of a copy they share whole takes what
            // rounding left: every record counts once.
            (p.records, p.bytes, p.packets) = (part(records, n), part(bytes, n), part(packets, n));
        }
        p.connections = n.min(left.connections);
        // Its own span: the copy's other times were other owners'.
        (p.first, p.last) = (rows[k].first, rows[k].last);
        left.records -= p.records;
        left.bytes -= p.bytes;
        left.packets -= p.packets;
        left.connections -= p.connections;
        fold(&mut rows[k], &p);
    }
    let c = &mut rows[i];
    (c.records, c.bytes, c.packets, c.connections) =
        (left.records, left.bytes, left.packets, left.connections);
    Some(all)
}

/// Two copies of one connection: records add up; what each interface saw of
/// the same packets (bytes, packets, connections) counts once.
fn fold(m: &mut Connection, c: &Connection) {
    m.records = m.records.saturating_add(c.records);
    m.bytes = m.bytes.max(c.bytes);
    m.packets = m.packets.max(c.packets);
    m.connections = m.connections.max(c.connections);
    m.first = m.first.min(c.first);
    m.last = m.last.max(c.last);
    m.method = m.method.min(c.method);
    for e in &c.logged_at {
        if !m.logged_at.contains(e) {
            m.logged_at.push(e.clone());
        }
    }
    m.logged_at.sort();
    if m.via.is_none() {
        m.via = c.via.clone();
    }
    if m.balancer.is_none() {
        m.balancer = c.balancer.clone();
    }
    if m.relay.is_none() {
        m.relay = c.relay.clone();
    }
    if m.account.is_none() {
        m.account = c.account.clone();
    }
}

#[cfg(test)]
mod key_index_tests {
    use super::*;

    fn key(n: u32) -> Key {
        Key {
            vpc: n % 3,
            client: IpAddr::from([10, 0, (n >> 8) as u8, n as u8]),
            server: IpAddr::from([10, 1, 0, (n % 7) as u8]),
            port: (n % 5) as u16,
            proto: 6,
            client_end: EndKey::Interface(n % 11),
            server_end: EndKey::Other(n % 2),
        }
    }

    #[test]
    fn the_index_gives_each_key_its_first_row_as_a_map_does() {
        // Fewer slots than keys at first: the index grows past its room.
        let mut index = KeyIndex::with_capacity(4);
        let mut map: FxHashMap<Key, u32> = FxHashMap::default();
        for row in 0..20_000u32 {
            let k = key(row.wrapping_mul(2_654_435_761) % 6_000);
            let want = map.get(&k).copied();
            map.entry(k).or_insert(row);
            assert_eq!(index.get_or_insert(k, row), want, "row {row}");
        }
        assert_eq!(index.iter().count(), map.len());
        assert!(index.iter().all(|(k, r)| map[k] == *r));
    }
}
