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
    // Its pages go back before the pass's decisions take their own.
    crate::memory::give_back();

    // Each copy is decided where it stands: only a flipped one changes its
    // key. It joins the copy whose key it takes when that one stays (found
    // through the reading's index), else `moved`, where flipped copies and
    // the ICMP pass's meet by key. No second table of every key is built:
    // the decisions are taken first, then applied to the entries in place.
    conns.flush();
    let mut fates: Vec<Fate> = Vec::with_capacity(conns.flushed().len());
    let mut moves: Vec<Move> = Vec::new();
    let mut undecided = Vec::new();
    for (ak, acc) in conns.flushed() {
        let (k, eni, sc) = (ak.key, ak.eni, scope(ak.eni));
        if acc.strength == Some(Strength::Certain) {
            fates.push(Fate::Stays(Method::TcpFlags));
            continue;
        }
        let icmp = (k.proto == ICMP || k.proto == ICMPV6) && k.port == ICMP_ANY;
        let portless =
            k.proto != TCP && k.proto != UDP && k.port == 0 && acc.client_ports.single() == Some(0);
        if icmp || portless {
            fates.push(Fate::Icmp);
            continue;
        }
        let server_ep = (sc, k.server, k.port, k.proto);
        let Some(p) = acc.client_ports.single() else {
            // Several client ports against one server port: fan-in.
            let m = acc.method.map_or(Method::FanIn, |m| m.min(Method::FanIn));
            fates.push(Fate::Stays(m));
            continue;
        };
        let alt_ep = (sc, k.client, p, k.proto);
        let mut flip = |method: Method| {
            let key = AggKey {
                key: ConnKey {
                    server: k.client,
                    port: p,
                    client: k.server,
                    proto: k.proto,
                },
                eni,
            };
            let at = conns.position(&key);
            moves.push(Move {
                key,
                port: k.port,
                method,
                at,
            });
            Fate::Moves(moves.len() as u32 - 1)
        };
        let (alt_known, own_known) = (known.contains(&alt_ep), known.contains(&server_ep));
        if alt_known && !own_known {
            fates.push(flip(Method::KnownService));
            continue;
        }
        if own_known && !alt_known {
            fates.push(Fate::Stays(Method::KnownService));
            continue;
        }
        // How much each end acts as a service: distinct peer ports it served.
        let fan =
            |ep| fan_in.get(&ep).copied().unwrap_or(0) + fan_out.get(&ep).copied().unwrap_or(0);
        let (own, alt) = (fan(server_ep), fan(alt_ep));
        if alt > own {
            fates.push(flip(Method::FanIn));
        } else if own > alt {
            fates.push(Fate::Stays(Method::FanIn));
        } else if acc.strength == Some(Strength::Clear) {
            fates.push(Fate::Stays(Method::PortRange));
        } else {
            fates.push(Fate::Undecided);
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
    let mut entries: Vec<(AggKey, Acc)> = conns.into_iter().collect();
    // The copies that stay take their method first: a flipped copy that
    // joins one merges its method with it, the best of the two.
    for ((_, acc), fate) in entries.iter_mut().zip(&fates) {
        if let Fate::Stays(m) = fate {
            acc.method = Some(*m);
        }
    }
    let mut moved: FxHashMap<AggKey, Acc> = FxHashMap::default();
    let mut icmp_any: Vec<(AggKey, Acc)> = Vec::new();
    for i in 0..entries.len() {
        match fates[i] {
            Fate::Stays(_) | Fate::Undecided => {}
            Fate::Icmp => icmp_any.push((entries[i].0, std::mem::take(&mut entries[i].1))),
            Fate::Moves(j) => {
                let m = &moves[j as usize];
                let mut ports = PortSet::default();
                ports.insert(m.port);
                let acc = Acc {
                    client_ports: ports,
                    last_port: NO_PORT,
                    method: Some(m.method),
                    ..std::mem::take(&mut entries[i].1)
                };
                match m.at {
                    Some(t) if matches!(fates[t], Fate::Stays(_)) => entries[t].1.merge(&acc),
                    _ => put(&mut moved, m.key, acc),
                }
            }
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
                put(&mut moved, *ak, a);
            }
            Some(&j) => {
                let other = &icmp_any[j].1;
                if acc.first < other.first {
                    let mut a = acc.clone();
                    a.merge(other);
                    a.method = Some(Method::OneWay);
                    put(&mut moved, *ak, a);
                } else if acc.first == other.first
                    && icmp_peers(sc, &k.client) > icmp_peers(sc, &k.server)
                {
                    let mut a = acc.clone();
                    a.merge(other);
                    a.method = Some(Method::FanOut);
                    put(&mut moved, *ak, a);
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
    // In place: a second vector of every copy would double the peak.
    let mut fate = fates.iter();
    entries.retain(|_| matches!(fate.next(), Some(Fate::Stays(_))));
    entries.extend(moved);
    (entries, merge_undecided(undecided))
}

/// What the orientation pass does with a copy.
#[derive(Clone, Copy)]
enum Fate {
    /// It keeps its key, decided by this method.
    Stays(Method),
    /// Its ends swap: [`Move`] at this index in the pass's list.
    Moves(u32),
    /// ICMP without a type, or a port-less protocol: decided after the
    /// other copies, by which direction was logged.
    Icmp,
    /// A tie: listed as undecided, never a connection.
    Undecided,
}

/// A copy whose ends swap: its key after the swap, its one server port
/// (the client port after), the method that decided it, and where the
/// reading's table holds that key, if it does.
struct Move {
    key: AggKey,
    port: u16,
    method: Method,
    at: Option<usize>,
}

/// Adds `acc` under `k` in `moved`, merged into what is there.
fn put(moved: &mut FxHashMap<AggKey, Acc>, k: AggKey, acc: Acc) {
    match moved.entry(k) {
        std::collections::hash_map::Entry::Occupied(mut o) => o.get_mut().merge(&acc),
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(acc);
        }
    }
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
