//! Today against after the change, connection by connection: which
//! connections today's rules allow, which the after state (today's rules
//! the change keeps, plus the proposed rules and the rules its Terraform
//! folder's resources create) still allows, and so what the
//! change would break and what no rule allowed in the first place.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use crate::aggregate::Connection;
use crate::analysis::Analysis;
use crate::audit::Direction;
use crate::audit::matching::{Groups, Side, added_rules, groups, matching_rules, sides};
use crate::audit::usage::Kept;
use crate::id::Id;
use crate::inventory::{Inventory, SecurityGroup};
use crate::reduce::{ICMP, ICMP_ANY, ICMPV6, TCP, UDP};
use crate::resolve::Endpoint;
use crate::synthesize::Rule;

/// (client, server, port, protocol) of a connection or a suspicious flow.
type FlowTuple = (IpAddr, IpAddr, u16, u8);

/// (client label, server label, port, protocol).
pub(super) type FlowKey = (String, String, u16, u8);

/// Connections the after state would no longer allow, per flow.
pub(super) struct Broken {
    pub connections: u64,
    pub remotes: BTreeSet<IpAddr>,
    pub groups: Vec<String>,
    pub first: i64,
    pub last: i64,
}

/// Accepted connections no rule in the inventory allows, per flow: how
/// many, and the local interfaces.
pub(super) type NotAllowed = BTreeMap<FlowKey, (u64, Vec<String>)>;

/// What the comparison found.
pub(super) struct Flows {
    /// Accepted connections in the window, and those the after state allows.
    pub observed: u64,
    pub allowed_after: u64,
    /// Allowed today only by rules the change removes (suspicious excluded).
    pub breaks: BTreeMap<FlowKey, Broken>,
    pub not_allowed: NotAllowed,
    /// Suspicious connections the change blocks, on purpose.
    pub blocked_suspicious: u64,
}

/// A proposed rule seen from one group, with one peer group: (proto,
/// from, to).
type ProposedPorts = (u8, i32, i32);

/// Every connection against today's rules and the after state; `added`:
/// the rules the change creates beside the proposal's (per group, those
/// rules only: its Terraform folder's `egress.tf`).
pub(super) fn compare(a: &Analysis, kept: &Kept, added: &[SecurityGroup]) -> Flows {
    let inv = &a.inventory;
    let by_id = Groups::new(inv);
    let resources = added_rules(added, inv);
    let adds = Additions::new(&resources, Proposed::of_rules(&a.proposal.rules));
    let suspicious = suspicious_keys(a);
    let mut out = Flows {
        observed: 0,
        allowed_after: 0,
        breaks: BTreeMap::new(),
        not_allowed: BTreeMap::new(),
        blocked_suspicious: 0,
    };
    for c in &a.evidence.connections {
        let (ce, se) = (&c.client_end, &c.server_end);
        out.observed = out.observed.saturating_add(c.connections);
        let key = (c.client, c.server, c.port, c.proto);
        let mut today = true;
        let mut after = true;
        for (side, _) in sides(c) {
            let mut side_today = false;
            let mut side_after = false;
            for (g, i, r) in matching_rules(&by_id, &side, c) {
                side_today = true;
                side_after |= kept.kept(g, side.direction, i, r);
            }
            side_after |= adds.allow(&side, c);
            today &= side_today;
            after &= side_after;
        }
        if after {
            out.allowed_after = out.allowed_after.saturating_add(c.connections);
        }
        // The local interface's id: only a connection that is listed needs it.
        let local = || match (ce, se, c.relay.as_deref()) {
            (Endpoint::Eni { id, .. }, _, _) => id.to_string(),
            (_, Endpoint::Eni { id, .. }, _) => id.to_string(),
            (_, _, Some(Endpoint::Eni { id, .. })) => id.to_string(),
            _ => ce.label(),
        };
        if !today {
            let local = local();
            let e = out
                .not_allowed
                .entry((ce.label(), se.label(), c.port, c.proto))
                .or_default();
            e.0 = e.0.saturating_add(c.connections);
            if !e.1.contains(&local) {
                e.1.push(local);
            }
        } else if !after {
            if suspicious.contains(&key) {
                out.blocked_suspicious = out.blocked_suspicious.saturating_add(c.connections);
            } else {
                let local = local();
                // Relayed between internet addresses: the relay's egress
                // to the server is what the change takes away.
                let relay = c.relay.as_deref().filter(|r| r.groups().is_some());
                let (src_label, remote) = match (ce.groups(), se.groups(), relay) {
                    (Some(_), None, _) | (None, None, Some(_)) => (local, se.label()),
                    (None, Some(_), _) => (ce.label(), local),
                    _ => (ce.label(), se.label()),
                };
                let e = out
                    .breaks
                    .entry((src_label, remote, c.port, c.proto))
                    .or_insert_with(|| Broken {
                        connections: 0,
                        remotes: BTreeSet::new(),
                        groups: Vec::new(),
                        first: c.first,
                        last: c.last,
                    });
                e.connections = e.connections.saturating_add(c.connections);
                e.remotes
                    .insert(if ce.groups().is_some() || relay.is_some() {
                        c.server
                    } else {
                        c.client
                    });
                let relay_groups = relay.map_or(&[][..], groups);
                for g in groups(ce).iter().chain(groups(se)).chain(relay_groups) {
                    if !e.groups.iter().any(|x| x == g) {
                        e.groups.push(g.to_string());
                    }
                }
                e.first = e.first.min(c.first);
                e.last = e.last.max(c.last);
            }
        }
    }
    out
}

/// Connections between two different interfaces that both carry groups
/// (through a load balancer that kept the client's address: the load
/// balancer and the server), suspicious ones excluded: what the proposal
/// must cover.
pub(super) fn grouped_total(a: &Analysis) -> u64 {
    let suspicious = suspicious_keys(a);
    a.evidence
        .connections
        .iter()
        .filter(|c| !suspicious.contains(&(c.client, c.server, c.port, c.proto)))
        .filter(|c| {
            match (
                c.balancer.as_deref().unwrap_or(&c.client_end),
                &c.server_end,
            ) {
                (
                    Endpoint::Eni {
                        id: ci, groups: cg, ..
                    },
                    Endpoint::Eni {
                        id: si, groups: sg, ..
                    },
                ) => ci != si && !cg.is_empty() && !sg.is_empty(),
                _ => false,
            }
        })
        .map(|c| c.connections)
        .sum()
}

/// The flows the proposal leaves out on purpose.
pub(super) fn suspicious_keys(a: &Analysis) -> BTreeSet<FlowTuple> {
    a.proposal
        .suspicious
        .iter()
        .map(|s| (s.client, s.server, s.port, s.proto))
        .collect()
}

/// What the change adds to the rules it keeps, asked together for each
/// side of a connection: the proposed rules, and the rules its Terraform
/// folder's resources create (an inventory of their own, [`added_rules`],
/// matched as today's rules are).
pub(super) struct Additions<'i> {
    resources: Groups<'i>,
    proposed: Proposed,
}

impl<'i> Additions<'i> {
    pub(super) fn new(resources: &'i Inventory, proposed: Proposed) -> Additions<'i> {
        Additions {
            resources: Groups::new(resources),
            proposed,
        }
    }

    /// Whether a rule the change adds allows `side` of `c`.
    pub(super) fn allow(&self, side: &Side<'_>, c: &Connection) -> bool {
        matching_rules(&self.resources, side, c).next().is_some()
            || side.groups.iter().any(|g| {
                self.proposed
                    .covers(g, side.direction, c.proto, c.port, &side.other_groups)
            })
    }
}

/// How many rules `groups` hold (each group only the rules a change adds).
pub(super) fn rules_in(groups: &[SecurityGroup]) -> usize {
    groups
        .iter()
        .map(|g| g.ingress.len() + g.egress.len())
        .sum()
}

/// Proposed rules by group and then by peer group, each direction apart:
/// looked up by a group's id as it is (once per group of each side of
/// every connection), then by each of the other end's groups, so a group
/// with hundreds of rules (dns, which every group calls) is not scanned.
#[derive(Default)]
pub(super) struct Proposed {
    egress: ByPeer,
    ingress: ByPeer,
}

type ByPeer = FxHashMap<String, FxHashMap<String, Vec<ProposedPorts>>>;

impl Proposed {
    /// The proposal's rules, each seen from both of its groups.
    pub(super) fn of_rules(rules: &[Rule]) -> Proposed {
        let mut out = Proposed::default();
        for r in rules {
            let (proto, from, to) = (r.proto, r.from_port, r.to_port);
            out.push(
                &r.source_sg,
                Direction::Egress,
                &r.target_sg,
                (proto, from, to),
            );
            out.push(
                &r.target_sg,
                Direction::Ingress,
                &r.source_sg,
                (proto, from, to),
            );
        }
        out
    }

    /// A rule of `group` in direction `d` with `peer`: (proto, from, to).
    pub(super) fn push(&mut self, group: &str, d: Direction, peer: &str, ports: (u8, i32, i32)) {
        let map = match d {
            Direction::Egress => &mut self.egress,
            Direction::Ingress => &mut self.ingress,
        };
        map.entry(group.to_string())
            .or_default()
            .entry(peer.to_string())
            .or_default()
            .push(ports);
    }

    /// Whether a proposed rule of `group` in direction `d` allows a
    /// connection on `proto`/`port` with a member of `other_groups`.
    pub(super) fn covers(
        &self,
        group: &str,
        d: Direction,
        proto: u8,
        port: u16,
        other_groups: &[Id],
    ) -> bool {
        let map = match d {
            Direction::Egress => &self.egress,
            Direction::Ingress => &self.ingress,
        };
        map.get(group).is_some_and(|peers| {
            other_groups
                .iter()
                .filter_map(|g| peers.get(g.as_str()))
                .flatten()
                .any(|p| proposed_covers(p, proto, port))
        })
    }
}

/// Whether a proposed rule (of one side's group, with one of the other
/// side's groups) allows a connection on `proto`/`port`.
fn proposed_covers(entry: &ProposedPorts, proto: u8, port: u16) -> bool {
    let (p, from, to) = entry;
    if *p != proto {
        return false;
    }
    match proto {
        TCP | UDP => (*from..=*to).contains(&i32::from(port)),
        ICMP | ICMPV6 => *from < 0 || i32::from(port) == *from || port == ICMP_ANY,
        _ => true,
    }
}
