//! Stage 6: synthesize. The minimal least-privilege set of mutual
//! security-group rules that allows every observed connection between two
//! interfaces with security groups, and nothing that no connection needs.
//!
//! Per protocol and port, each observed (client interface, server interface)
//! pair must be covered by a rule (source group of the client, target group of
//! the server). A rule also allows every other member pair of its two groups;
//! those unobserved pairs are the cost. The choice minimises that cost, then
//! the number of rules: exhaustively when there are few candidate group pairs,
//! greedily (weighted set cover, then pruning) when there are many. Contiguous
//! ports of one group pair then merge into a range.
//!
//! - `model.rs`: what the stage gives: rules, external and suspicious flows, the proposal;
//! - `suspicious.rs`: traffic reported, never turned into a rule, and why a flow is external;
//! - `cover.rs`: the choice of group pairs (exhaustive, or greedy with pruning).

mod cover;
mod model;
mod suspicious;

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::aggregate::{Connection, Evidence, Method};
use crate::id::{Groups, Id};
use crate::reduce::{ICMP, ICMP_ANY, ICMPV6, TCP, UDP};
use crate::resolve::{Endpoint, Resolver};
pub use cover::TieBreak;
use cover::*;
pub use model::*;
pub use suspicious::forwarder_label;
use suspicious::*;

/// A connection between two interfaces that both carry security groups.
struct Grouped<'a> {
    conn: &'a Connection,
    client: u32,
    server: u32,
    client_groups: Groups,
    server_groups: Groups,
}

/// Service identity of a rule before port merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Service {
    proto: u8,
    port: u16,
}

pub fn synthesize(evidence: &Evidence, r: &Resolver<'_>) -> Proposal {
    synthesize_with(evidence, r, &Choices::default())
}

pub fn synthesize_with(evidence: &Evidence, r: &Resolver<'_>, choices: &Choices) -> Proposal {
    let inv = r.inventory;
    // Interfaces by index, and group members.
    // The interfaces: the inventory's, then those only the history knows
    // (deleted in the window, their groups from CloudTrail), with groups.
    let mut ifaces: Vec<(&str, Vec<&str>)> = inv
        .network_interfaces
        .iter()
        .map(|e| {
            let groups = e.security_groups.iter().map(String::as_str).collect();
            (e.id.as_str(), groups)
        })
        .collect();
    let mut eni_index: FxHashMap<&str, u32> = ifaces
        .iter()
        .enumerate()
        .map(|(i, (e, _))| (*e, i as u32))
        .collect();
    for c in &evidence.connections {
        for end in ends(c) {
            if let Endpoint::Eni { id, groups, .. } = end
                && !eni_index.contains_key(id.as_str())
            {
                eni_index.insert(id, ifaces.len() as u32);
                ifaces.push((id, groups.iter().map(Id::as_str).collect()));
            }
        }
    }
    let eni_ids: Vec<&str> = ifaces.iter().map(|(e, _)| *e).collect();
    let mut members: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (i, (_, groups)) in ifaces.iter().enumerate() {
        for g in groups {
            // Once, even for a list that names a group twice (a loaded
            // inventory cannot; one built in code could): the cover
            // counts each member pair once.
            let m = members.entry(g).or_default();
            if m.last() != Some(&(i as u32)) {
                m.push(i as u32);
            }
        }
    }
    // A connection's end is a member of the groups it had then (the history
    // may give it others than today's). The connections of an interface
    // share its groups' list: each list is met once per interface.
    let mut met: FxHashSet<(u32, *const Id)> = FxHashSet::default();
    for c in &evidence.connections {
        for end in ends(c) {
            if let Endpoint::Eni { id, groups, .. } = end {
                let i = eni_index[id.as_str()];
                if !met.insert((i, groups.as_ptr())) {
                    continue;
                }
                for g in groups {
                    let m = members.entry(g.as_str()).or_default();
                    if !m.contains(&i) {
                        m.push(i);
                    }
                }
            }
        }
    }
    // Groups shared across roles: their members carry different other groups.
    // (Two roles at least: a member whose other groups are not the first
    // member's.)
    let shared: BTreeSet<&str> = members
        .iter()
        .filter(|(g, ms)| {
            let others = |m: &u32| ifaces[*m as usize].1.iter().filter(|x| **x != **g);
            let mut ms = ms.iter();
            ms.next()
                .is_some_and(|first| ms.any(|m| !others(m).eq(others(first))))
        })
        .map(|(g, _)| *g)
        .collect();

    let mut proposal = Proposal {
        optimal: true,
        ..Default::default()
    };
    // Per service: the connections with both ends resolved to grouped interfaces.
    // And per pair of owning accounts: the accounts of an estate are chosen
    // for apart, exactly as a run on each account's inventory alone would.
    let mut by_service: BTreeMap<(Service, Scope<'_>), Vec<Grouped<'_>>> = BTreeMap::new();
    let accounts = inv.group_accounts();
    let group_account = |g: &str| accounts.get(g).copied().flatten();
    let account_of = |groups: &[Id]| groups.first().and_then(|g| group_account(g));
    // Each listing numbered as it is met, with the remote addresses it holds.
    #[allow(clippy::type_complexity)]
    let mut external: BTreeMap<
        (ExternalKind, String, String, u16, u8, bool),
        (usize, External),
    > = BTreeMap::new();
    let mut remotes_seen: FxHashSet<(usize, std::net::IpAddr)> = FxHashSet::default();

    for c in &evidence.connections {
        let (ce, se) = (c.client_end.clone(), c.server_end.clone());
        if let Some((severity, reason)) = suspicious(c, &ce, &se, r) {
            proposal.suspicious.push(Suspicious {
                severity,
                reason,
                client: c.client,
                client_label: ce.label(),
                via: c.via.as_ref().map(|v| forwarder_label(inv, v)),
                server: c.server,
                server_label: se.label(),
                port: c.port,
                proto: c.proto,
                connections: c.connections,
                bytes: c.bytes,
                first: c.first,
                last: c.last,
            });
            continue;
        }
        // Through a load balancer that kept the client's address, the load
        // balancer is the rule's source: its egress let the packets to the
        // server, which admits them by a reference to its group. Without
        // groups it can be named in no rule (`external_sides` says why).
        let ce = match c.balancer.as_deref() {
            Some(b) if b.groups().is_some() || !b.is_definite() => b.clone(),
            _ => ce,
        };
        match (&ce, &se, ce.groups(), se.groups()) {
            (
                Endpoint::Eni {
                    id: cid,
                    groups: cg,
                    ..
                },
                Endpoint::Eni {
                    id: sid,
                    groups: sg,
                    ..
                },
                Some(_),
                Some(_),
            ) if !forwarded_without_groups(c) => {
                if cid == sid {
                    proposal.same_interface = proposal.same_interface.saturating_add(c.connections);
                    continue;
                }
                let (Some(&ci), Some(&si)) =
                    (eni_index.get(cid.as_str()), eni_index.get(sid.as_str()))
                else {
                    continue;
                };
                let svc = Service {
                    proto: c.proto,
                    port: c.port,
                };
                by_service
                    .entry((svc, (account_of(cg), account_of(sg))))
                    .or_default()
                    .push(Grouped {
                        conn: c,
                        client: ci,
                        server: si,
                        client_groups: cg.clone(),
                        server_groups: sg.clone(),
                    });
            }
            _ => {
                let Sides {
                    kind,
                    local_is_client,
                    local,
                    remote_ip,
                    remote_kind,
                } = external_sides(c, &ce, &se, r);
                let local_label = local.label();
                let next = external.len();
                let (key, e) = external
                    .entry((
                        kind,
                        local_label.clone(),
                        remote_kind.clone(),
                        c.port,
                        c.proto,
                        local_is_client,
                    ))
                    .or_insert_with(|| {
                        (
                            next,
                            External {
                                kind,
                                local: local_label,
                                local_groups: local
                                    .groups()
                                    .map(|g| g.iter().map(Id::to_string).collect())
                                    .unwrap_or_default(),
                                remote_kind,
                                port: c.port,
                                proto: c.proto,
                                local_is_client,
                                remotes: Vec::new(),
                                remote_count: 0,
                                connections: 0,
                                bytes: 0,
                                first: c.first,
                                last: c.last,
                            },
                        )
                    });
                let key = *key;
                // Each remote address once: an aggregate per client port
                // or local address names the same remote again.
                if remotes_seen.insert((key, remote_ip)) {
                    e.remote_count += 1;
                    if e.remotes.len() < 10 {
                        e.remotes.push(remote_ip);
                    }
                }
                e.connections = e.connections.saturating_add(c.connections);
                e.bytes = e.bytes.saturating_add(c.bytes);
                e.first = e.first.min(c.first);
                e.last = e.last.max(c.last);
            }
        }
    }
    proposal.external = external.into_values().map(|(_, e)| e).collect();
    proposal.suspicious.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then((a.proto, a.port, a.client, a.server).cmp(&(b.proto, b.port, b.client, b.server)))
    });

    if choices.classify_only {
        return proposal;
    }

    // Choose group pairs per service.
    let mut chosen: BTreeMap<(String, String, u8), BTreeMap<u16, RuleEvidence>> = BTreeMap::new();
    for ((svc, _), conns) in &by_service {
        let observed: BTreeSet<(u32, u32)> = conns.iter().map(|g| (g.client, g.server)).collect();
        let observed: Vec<(u32, u32)> = observed.into_iter().collect();
        let seen: FxHashSet<(u32, u32)> = observed.iter().copied().collect();
        // Borrowed while gathered (each connection names its pairs again),
        // in the same order as owned strings would sort.
        let mut candidates: BTreeSet<(&str, &str)> = BTreeSet::new();
        // Connections between the same two groups' lists name the same
        // pairs: each such couple of lists is met once.
        let mut met: FxHashSet<(*const Id, *const Id)> = FxHashSet::default();
        let avoided = |x: &Id| choices.avoid.contains(x.as_str());
        let free = |(a, b): &(&Id, &Id)| !avoided(a) && !avoided(b);
        for g in conns {
            if !met.insert((g.client_groups.as_ptr(), g.server_groups.as_ptr())) {
                continue;
            }
            let pairs = || {
                g.client_groups
                    .iter()
                    .flat_map(|a| g.server_groups.iter().map(move |b| (a, b)))
            };
            if pairs().any(|p| free(&p)) {
                for (a, b) in pairs().filter(free) {
                    candidates.insert((a.as_str(), b.as_str()));
                }
            } else {
                // Only an avoided group allows this connection: it stays, said.
                for (a, b) in pairs() {
                    for x in [a, b] {
                        if avoided(x) {
                            proposal.avoided_but_needed.insert((
                                x.to_string(),
                                svc.proto,
                                svc.port,
                            ));
                        }
                    }
                    candidates.insert((a.as_str(), b.as_str()));
                }
            }
        }
        let candidates: Vec<(String, String)> = candidates
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let sets: Vec<CandidateSet> = candidates
            .iter()
            .map(|(a, b)| {
                let referenced = inv
                    .group(b)
                    .is_some_and(|g| g.references(a, false, svc.proto, svc.port))
                    || inv
                        .group(a)
                        .is_some_and(|g| g.references(b, true, svc.proto, svc.port));
                CandidateSet {
                    referenced,
                    shared: [a, b]
                        .iter()
                        .filter(|g| shared.contains(g.as_str()))
                        .count() as u32,
                    ..CandidateSet::among(
                        &members[a.as_str()],
                        &members[b.as_str()],
                        &observed,
                        &seen,
                    )
                }
            })
            .collect();
        let (pick, optimal, alternatives) = choose(&sets, observed.len());
        proposal.optimal &= optimal;
        let picked: Vec<&(String, String)> = pick.iter().map(|i| &candidates[*i]).collect();
        if !alternatives.is_empty() {
            let pairs = |ix: &[usize]| -> Vec<(String, String)> {
                ix.iter().map(|i| candidates[*i].clone()).collect()
            };
            proposal.alternatives.push(Alternatives {
                proto: svc.proto,
                port: svc.port,
                chosen: pairs(&pick),
                others: alternatives
                    .iter()
                    .map(|(ix, why)| (pairs(ix), *why))
                    .collect(),
            });
        }

        // Assign each connection to the first picked rule that covers it:
        // the lowest of the picks its ends' groups name, looked up by pair
        // (a service can pick hundreds: dns, called by every group).
        let slots: FxHashMap<(&str, &str), usize> = picked
            .iter()
            .enumerate()
            .map(|(slot, (a, b))| ((a.as_str(), b.as_str()), slot))
            .collect();
        let mut ev: BTreeMap<usize, (RuleEvidence, FxHashSet<(u32, u32)>)> = BTreeMap::new();
        for Grouped {
            conn: c,
            client: ci,
            server: si,
            client_groups: cg,
            server_groups: sg,
        } in conns
        {
            let Some(slot) = cg
                .iter()
                .flat_map(|a| {
                    sg.iter()
                        .filter_map(|b| slots.get(&(a.as_str(), b.as_str())))
                })
                .min()
                .copied()
            else {
                unreachable!("the choice covers every observed pair");
            };
            let (e, pairs) = ev
                .entry(slot)
                .or_insert_with(|| (RuleEvidence::empty(c.first, c.last), FxHashSet::default()));
            e.add(c);
            pairs.insert((*ci, *si));
        }
        for (slot, (mut e, pairs)) in ev {
            let (a, b) = picked[slot];
            let set = &sets[pick[slot]];
            e.allowed_pairs = set.allowed;
            e.observed_pairs = pairs.len() as u64;
            e.client_enis = names(pairs.iter().map(|(c, _)| eni_ids[*c as usize]));
            e.server_enis = names(pairs.iter().map(|(_, s)| eni_ids[*s as usize]));
            chosen
                .entry((a.clone(), b.clone(), svc.proto))
                .or_default()
                .insert(svc.port, e);
        }
    }

    // Merge contiguous ports of one group pair into ranges.
    for ((src, dst, proto), ports) in chosen {
        let has_ports = proto == TCP || proto == UDP;
        let mut run: Vec<(u16, RuleEvidence)> = Vec::new();
        let flush = |run: &mut Vec<(u16, RuleEvidence)>, out: &mut Vec<Rule>| {
            if run.is_empty() {
                return;
            }
            let (lo, hi) = (run[0].0, run[run.len() - 1].0);
            let mut it = run.drain(..);
            let (_, mut e) = it.next().expect("non-empty");
            for (_, other) in it {
                e.merge(other);
            }
            let (from_port, to_port) = if has_ports {
                (i32::from(lo), i32::from(hi))
            } else if proto == ICMP || proto == ICMPV6 {
                if lo == ICMP_ANY {
                    (-1, -1)
                } else {
                    (i32::from(lo), -1)
                }
            } else {
                (-1, -1)
            };
            out.push(Rule {
                source_sg: src.clone(),
                target_sg: dst.clone(),
                proto,
                from_port,
                to_port,
                evidence: e,
            });
        };
        for (port, e) in ports {
            let contiguous = has_ports
                && run
                    .last()
                    .is_some_and(|(p, _)| u32::from(*p) + 1 == u32::from(port));
            if !contiguous {
                flush(&mut run, &mut proposal.rules);
            }
            run.push((port, e));
        }
        flush(&mut run, &mut proposal.rules);
    }
    // Rules between groups of two accounts: the module applies with one
    // provider, so each half is listed for the account that owns its group.
    let (rules, across): (Vec<Rule>, Vec<Rule>) = std::mem::take(&mut proposal.rules)
        .into_iter()
        .partition(
            |r| match (group_account(&r.source_sg), group_account(&r.target_sg)) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            },
        );
    proposal.rules = rules;
    proposal.cross_account = across
        .into_iter()
        .map(|rule| CrossAccount {
            source_account: group_account(&rule.source_sg)
                .unwrap_or_default()
                .to_string(),
            target_account: group_account(&rule.target_sg)
                .unwrap_or_default()
                .to_string(),
            rule,
        })
        .collect();
    proposal
}

/// The accounts owning the client's and the server's groups.
type Scope<'a> = (Option<&'a str>, Option<&'a str>);

/// The interfaces a connection's rule can be between: its ends, and the
/// load balancer that forwarded it keeping the client's address.
fn ends(c: &Connection) -> impl Iterator<Item = &Endpoint> {
    [&c.client_end, &c.server_end]
        .into_iter()
        .chain(c.balancer.as_deref())
}

fn label(m: Method) -> &'static str {
    m.label()
}

/// Interface ids, sorted, each once: a rule's clients or servers, from its
/// observed pairs (gathered once per rule, not inserted in order per
/// connection).
fn names<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<&str> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v.into_iter().map(str::to_string).collect()
}

fn insert_sorted(v: &mut Vec<String>, s: &str) {
    if let Err(i) = v.binary_search_by(|x| x.as_str().cmp(s)) {
        v.insert(i, s.to_string());
    }
}

#[cfg(test)]
mod tests;
