//! The orientation pass at the end of the window: each endpoint's evidence
//! gathered within its VPC decides what TCP flags did not: a known service,
//! then fan-in, then port ranges; a tie stays undecided.

use std::collections::BTreeMap;
use std::net::IpAddr;

use rustc_hash::{FxHashMap, FxHashSet};

use super::*;
use crate::reduce::{ConnKey, ICMP, ICMP_ANY, ICMPV6, Strength, TCP, UDP};

/// A service endpoint within one scope (a VPC, or the unknown scope 0).
type ScopedEp = (u32, IpAddr, u16, u8);

/// The orientation pass over the whole window (see the module docs). The
/// evidence of an endpoint is gathered within its scope (the capturing VPC,
/// where the records logged it), and each interface's copy counts once.
pub(super) fn settle(
    mut conns: Conns,
    scope: &dyn Fn(u32) -> u32,
) -> (Vec<(AggKey, Acc)>, Vec<Undecided>) {
    // Services proven by TCP flags (or ICMP type).
    let known: FxHashSet<ScopedEp> = conns
        .iter()
        .filter(|(_, a)| a.strength == Some(Strength::Certain))
        .map(|(k, _)| (scope(k.eni), k.key.server, k.key.port, k.key.proto))
        .collect();
    // Client ports of each scoped key: the copies at two interfaces are one
    // connection, so the larger copy counts, not their sum. Between copies
    // of one port each, the lower port (as the pushed-down SQL's `min`),
    // whatever order the map holds them in.
    let mut ports: FxHashMap<(u32, ConnKey), (usize, Option<u16>)> = FxHashMap::default();
    for (k, a) in conns.iter() {
        let e = ports.entry((scope(k.eni), k.key)).or_insert((0, None));
        let (n, single) = (a.client_ports.len(), a.client_ports.single());
        if n > e.0 || n == e.0 && single < e.1 {
            *e = (n, single);
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
    // Its pages go back before the settled table takes its own.
    crate::memory::give_back();

    // A table like the reading's: a flipped key can meet one already there.
    // At most one entry per key read: sized once.
    let mut out = Conns::with_capacity(conns.len());
    let mut undecided = Vec::new();
    let mut icmp_any: Vec<(AggKey, Acc)> = Vec::new();
    let put = |out: &mut Conns, k: AggKey, acc: Acc| out.merge_in(k, acc);

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
    (out.into_iter().collect(), merge_undecided(undecided))
}

/// One entry per pair of ends: the copies at two interfaces are one.
pub(super) fn merge_undecided(undecided: Vec<Undecided>) -> Vec<Undecided> {
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
    merged.into_values().collect()
}
