//! Today against after the change, connection by connection: which
//! connections today's rules allow, which the after state (today's rules
//! the change keeps, plus the proposed rules) still allows, and so what the
//! change would break and what no rule allowed in the first place.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::analysis::Analysis;
use crate::audit::Direction;
use crate::audit::matching::{groups, matching_rules, sides};
use crate::audit::usage::Kept;
use crate::id::Id;
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

/// A proposed rule seen from one group: (peer group, proto, from, to).
pub(super) type ProposedSide = (String, u8, i32, i32);

/// Every connection against today's rules and the after state.
pub(super) fn compare(a: &Analysis, kept: &Kept) -> Flows {
    let inv = &a.inventory;
    let proposed = proposed_by_group(&a.proposal.rules);
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
            for (g, i, r) in matching_rules(inv, &side, c) {
                side_today = true;
                side_after |= kept.kept(g, side.direction, i, r);
            }
            for g in side.groups {
                if let Some(ps) = proposed.get(&(g.to_string(), side.direction))
                    && ps
                        .iter()
                        .any(|p| proposed_covers(p, c.proto, c.port, &side.other_groups))
                {
                    side_after = true;
                }
            }
            today &= side_today;
            after &= side_after;
        }
        if after {
            out.allowed_after = out.allowed_after.saturating_add(c.connections);
        }
        let local = match (ce, se) {
            (Endpoint::Eni { id, .. }, _) => id.to_string(),
            (_, Endpoint::Eni { id, .. }) => id.to_string(),
            _ => ce.label(),
        };
        if !today {
            let e = out
                .not_allowed
                .entry((ce.label(), se.label(), c.port, c.proto))
                .or_default();
            e.0 = e.0.saturating_add(c.connections);
            if !e.1.contains(&local) {
                e.1.push(local.clone());
            }
        } else if !after {
            if suspicious.contains(&key) {
                out.blocked_suspicious = out.blocked_suspicious.saturating_add(c.connections);
            } else {
                let (src_label, remote) = match (ce.groups(), se.groups()) {
                    (Some(_), None) => (local.clone(), se.label()),
                    (None, Some(_)) => (ce.label(), local.clone()),
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
                e.remotes.insert(if ce.groups().is_some() {
                    c.server
                } else {
                    c.client
                });
                for g in groups(ce).iter().chain(groups(se)) {
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

/// Proposed rules by (group, direction).
pub(super) fn proposed_by_group(
    rules: &[Rule],
) -> BTreeMap<(String, Direction), Vec<ProposedSide>> {
    let mut out: BTreeMap<(String, Direction), Vec<ProposedSide>> = BTreeMap::new();
    for r in rules {
        out.entry((r.source_sg.clone(), Direction::Egress))
            .or_default()
            .push((r.target_sg.clone(), r.proto, r.from_port, r.to_port));
        out.entry((r.target_sg.clone(), Direction::Ingress))
            .or_default()
            .push((r.source_sg.clone(), r.proto, r.from_port, r.to_port));
    }
    out
}

/// Whether a proposed rule of one side's group allows a connection on
/// `proto`/`port` to or from a member of `other_groups`.
pub(super) fn proposed_covers(
    entry: &ProposedSide,
    proto: u8,
    port: u16,
    other_groups: &[Id],
) -> bool {
    let (peer, p, from, to) = entry;
    if *p != proto || !other_groups.iter().any(|g| g == peer) {
        return false;
    }
    match proto {
        TCP | UDP => (*from..=*to).contains(&i32::from(port)),
        ICMP | ICMPV6 => *from < 0 || i32::from(port) == *from || port == ICMP_ANY,
        _ => true,
    }
}
