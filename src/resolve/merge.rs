//! The copies of one connection (same VPC, addresses, service and resolved
//! ends) become one; copies that could not tell an end (an ambiguous owner,
//! a capturing interface outside the covered VPCs, a NAT gateway's outside
//! leg) join the copy that could, where there is one.

use std::collections::BTreeMap;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use super::resolver::Flow;
use super::*;
use crate::aggregate::Connection;
use crate::inventory::Inventory;

/// What makes two copies one connection: VPC, addresses, service, resolved
/// ends. Two interfaces are the same ends wherever the copy was captured
/// (interface ids are unique across VPCs), so the copies of a connection
/// between peered VPCs, or across a transit gateway, are one.
type Key = (String, IpAddr, IpAddr, u16, u8, EndKey, EndKey);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum EndKey {
    Interface(String),
    Other(Endpoint),
}

impl EndKey {
    pub(super) fn of(e: &Endpoint) -> EndKey {
        match e.interface() {
            Some(id) if e.is_definite() => EndKey::Interface(id.to_string()),
            _ => EndKey::Other(e.clone()),
        }
    }

    pub(super) fn interface(&self) -> Option<&str> {
        match self {
            EndKey::Interface(id) => Some(id),
            EndKey::Other(e) => e.interface(),
        }
    }
}

fn key_of(c: &Connection) -> Key {
    let (ce, se) = (EndKey::of(&c.client_end), EndKey::of(&c.server_end));
    let both = matches!((&ce, &se), (EndKey::Interface(_), EndKey::Interface(_)));
    (
        if both {
            String::new()
        } else {
            c.vpc.clone().unwrap_or_default()
        },
        c.client,
        c.server,
        c.port,
        c.proto,
        ce,
        se,
    )
}

/// Adds a copy; returns whether it joined one already there.
fn put(by_key: &mut BTreeMap<Key, Connection>, c: Connection) -> bool {
    match by_key.entry(key_of(&c)) {
        std::collections::btree_map::Entry::Occupied(mut o) => {
            fold(o.get_mut(), &c);
            true
        }
        std::collections::btree_map::Entry::Vacant(v) => {
            v.insert(c);
            false
        }
    }
}

/// `rows`: each copy, and whether it was captured outside every covered VPC.
pub(super) fn merge(
    rows: Vec<(Connection, bool)>,
    inv: &Inventory,
    att: &mut Attribution,
) -> Vec<Connection> {
    let mut by_key: BTreeMap<Key, Connection> = BTreeMap::new();
    let mut deferred = Vec::new();
    for (c, uncovered) in rows {
        if uncovered || !c.client_end.is_definite() || !c.server_end.is_definite() {
            deferred.push((c, uncovered));
            continue;
        }
        if put(&mut by_key, c) {
            att.merged_copies += 1;
        }
    }
    // A copy that could not tell an end joins the one copy of the same
    // addresses and service that could and agrees on the other end.
    let mut by_flow: FxHashMap<Flow, Vec<Key>> = FxHashMap::default();
    if !deferred.is_empty() {
        for k in by_key.keys() {
            by_flow
                .entry((k.1, k.2, k.3, k.4))
                .or_default()
                .push(k.clone());
        }
    }
    for (mut c, uncovered) in deferred {
        let twins: Vec<&Key> = by_flow
            .get(&(c.client, c.server, c.port, c.proto))
            .into_iter()
            .flatten()
            .filter(|k| {
                if uncovered {
                    // The covered copy names the capturing interface as an end.
                    let e = c.logged_at.first().map(String::as_str);
                    e.is_some() && (k.5.interface() == e || k.6.interface() == e)
                } else {
                    (k.0.is_empty() || k.0 == c.vpc.clone().unwrap_or_default())
                        && (k.5 == EndKey::of(&c.client_end) || k.6 == EndKey::of(&c.server_end))
                }
            })
            .collect();
        if let [k] = twins.as_slice() {
            let k = (*k).clone();
            fold(by_key.get_mut(&k).expect("listed"), &c);
            if uncovered {
                att.uncovered_copies += 1;
            } else {
                att.merged_copies += 1;
            }
            continue;
        }
        if uncovered {
            c.vpc = None;
        }
        put(&mut by_key, c);
    }
    // A NAT gateway's outside leg (its own address to the far end) is the
    // inside leg it carried (the host behind it, via the gateway): one
    // connection, the host's.
    let nat = |e: &Endpoint| {
        e.interface()
            .and_then(|id| inv.network_interfaces.iter().find(|n| n.id == id))
            .is_some_and(|n| n.interface_type == "nat_gateway")
    };
    let outside: Vec<Key> = by_key
        .iter()
        .filter(|(_, c)| nat(&c.client_end) && !matches!(c.server_end, Endpoint::Eni { .. }))
        .map(|(k, _)| k.clone())
        .collect();
    // The inside legs by gateway and far end, in key order.
    let mut inside_legs: BTreeMap<(&str, IpAddr, u16, u8), Key> = BTreeMap::new();
    if !outside.is_empty() {
        for (k, c) in &by_key {
            if let Some(via) = c.via.as_deref() {
                inside_legs
                    .entry((via, c.server, c.port, c.proto))
                    .or_insert_with(|| k.clone());
            }
        }
    }
    let inside_legs: BTreeMap<(String, IpAddr, u16, u8), Key> = inside_legs
        .into_iter()
        .map(|((v, a, p, q), k)| ((v.to_string(), a, p, q), k))
        .collect();
    for k in outside {
        let Some(gw) = k.5.interface() else { continue };
        let first = inside_legs
            .get(&(gw.to_string(), k.2, k.3, k.4))
            .filter(|i| i.1 != k.1);
        if let Some(first) = first {
            let leg = by_key.remove(&k).expect("listed");
            // The records count once more; bytes and connections are the host's.
            let m = by_key.get_mut(first).expect("listed");
            m.records = m.records.saturating_add(leg.records);
            for e in leg.logged_at {
                if !m.logged_at.contains(&e) {
                    m.logged_at.push(e);
                }
            }
            m.logged_at.sort();
        }
    }
    let mut out: Vec<Connection> = by_key.into_values().collect();
    att.through_nat = out
        .iter()
        .filter(|c| c.via.as_deref().is_some_and(|v| nat_id(inv, v)))
        .map(|c| c.connections)
        .sum();
    out.sort_by(|a, b| {
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
    out
}

fn nat_id(inv: &Inventory, id: &str) -> bool {
    inv.network_interfaces
        .iter()
        .any(|n| n.id == id && n.interface_type == "nat_gateway")
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
    if m.account.is_none() {
        m.account = c.account.clone();
    }
}
