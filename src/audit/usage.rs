//! What each of today's rules carried in the window, and whether the
//! proposed change keeps it: a rule stays when it carried traffic (open
//! egress excepted) or is a load balancer's public listener.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::aggregate::Evidence;
use crate::analysis::Analysis;
use crate::audit::matching::{Groups, matching_rules, sides};
use crate::audit::{Direction, RuleUsage};
use crate::inventory::{Inventory, NetworkInterface, SgRule, protocol_number};
use crate::present::service;
use crate::reduce::{TCP, UDP};

/// What one rule carried.
#[derive(Default)]
pub(super) struct Usage {
    connections: u64,
    first: Option<i64>,
    last: Option<i64>,
    /// (port or ICMP type, protocol): a rule of every protocol carries
    /// several, and an ICMP type is no port.
    services: BTreeSet<(u16, u8)>,
    peers: BTreeSet<IpAddr>,
}

/// The usage of every existing rule that carried traffic, keyed by (group,
/// direction, index in the group's list).
pub(super) type Used = BTreeMap<(String, Direction, usize), Usage>;

/// What today's rules carried in an analysis's evidence ([`measure`]d
/// once per run: the quota fit and the audit both read it, and a change of
/// the proposal does not change it).
pub struct RuleUse(pub(super) Used);

/// The use of a rule that matched connections exactly as written.
pub(super) const USED_AS_WRITTEN: &str = "used as written";

/// The use of an unused public listener of a load balancer, which is kept.
pub(super) const PUBLIC_LISTENER_UNUSED: &str =
    "unused in the window; kept: a public listener of a load balancer";

/// Every connection of the evidence counted against the rules it passes
/// through. It depends on the evidence and the inventory only.
pub fn measure(a: &Analysis) -> RuleUse {
    measure_of(&a.evidence, &a.inventory)
}

/// [`measure`] before the analysis is whole: it needs the resolved
/// evidence, not the proposal, so a run measures while it synthesizes.
pub fn measure_of(evidence: &Evidence, inventory: &Inventory) -> RuleUse {
    // Keyed by the inventory's strings while counting: a connection's
    // rules are looked up without an allocation each.
    let by_id = Groups::new(inventory);
    let mut usage: FxHashMap<(&str, Direction, usize), Usage> = FxHashMap::default();
    for c in &evidence.connections {
        for (side, peer_ip) in sides(c) {
            for (g, i, _) in matching_rules(&by_id, &side, c) {
                let u = usage.entry((g, side.direction, i)).or_default();
                u.connections = u.connections.saturating_add(c.connections);
                u.first = Some(u.first.map_or(c.first, |f| f.min(c.first)));
                u.last = Some(u.last.map_or(c.last, |l| l.max(c.last)));
                u.services.insert((c.port, c.proto));
                u.peers.insert(peer_ip);
            }
        }
    }
    RuleUse(
        usage
            .into_iter()
            .map(|((g, d, i), u)| ((g.to_string(), d, i), u))
            .collect(),
    )
}

/// Which of today's rules the proposed change keeps.
pub(super) struct Kept<'a> {
    /// The groups with a load balancer among their members (found once,
    /// not by a scan of every interface each time a rule is asked about).
    balanced: FxHashSet<&'a str>,
    /// The rules that carried connections (asked once per connection's side).
    carried: FxHashSet<(&'a str, Direction, usize)>,
}

impl<'a> Kept<'a> {
    pub fn new(inv: &'a Inventory, used: &'a Used) -> Self {
        let balanced = inv
            .network_interfaces
            .iter()
            .filter(|e| is_load_balancer(e))
            .flat_map(|e| e.security_groups.iter().map(String::as_str))
            .collect();
        let carried = used
            .iter()
            .filter(|(_, u)| u.connections > 0)
            .map(|((g, d, i), _)| (g.as_str(), *d, *i))
            .collect();
        Kept { balanced, carried }
    }

    /// Rule `i` of group `g`'s `d` list: kept unless it is open egress, or
    /// carried nothing and is not a load balancer's public listener.
    pub fn kept(&self, g: &str, d: Direction, i: usize, r: &SgRule) -> bool {
        !(d == Direction::Egress && is_open_egress(r))
            && (self.carried.contains(&(g, d, i))
                || (d == Direction::Ingress && self.balanced.contains(g) && public_listener(r)))
    }
}

/// One row per existing rule, in inventory order, and how many there are
/// and how many the change removes.
pub(super) struct Rows {
    pub rules: Vec<RuleUsage>,
    pub today: usize,
    pub removed: usize,
}

pub(super) fn rows(inv: &Inventory, used: &Used, kept: &Kept) -> Rows {
    let mut out = Rows {
        rules: Vec::new(),
        today: 0,
        removed: 0,
    };
    for g in &inv.security_groups {
        for (d, rules) in [
            (Direction::Ingress, &g.ingress),
            (Direction::Egress, &g.egress),
        ] {
            for (i, r) in rules.iter().enumerate() {
                out.today += 1;
                let u = used.get(&(g.id.clone(), d, i));
                let removed = !kept.kept(&g.id, d, i, r);
                if removed {
                    out.removed += 1;
                }
                out.rules
                    .push(usage_row(g.id.clone(), g.name.clone(), d, r, u, removed));
            }
        }
    }
    out
}

pub(super) fn is_open_egress(rule: &SgRule) -> bool {
    protocol_number(&rule.protocol).is_none() && rule.cidr.is_some_and(|c| c.is_everything())
}

pub(super) fn peer_label(rule: &SgRule) -> String {
    if let Some(c) = rule.cidr {
        c.to_string()
    } else if let Some(g) = &rule.referenced_group_id {
        g.clone()
    } else if let Some(p) = &rule.prefix_list_id {
        p.clone()
    } else {
        "(no peer)".into()
    }
}

fn usage_row(
    group_id: String,
    group_name: String,
    d: Direction,
    r: &SgRule,
    u: Option<&Usage>,
    removed: bool,
) -> RuleUsage {
    let peer = peer_label(r);
    let (connections, first, last, ports, peers) = match u {
        Some(u) => (
            u.connections,
            u.first,
            u.last,
            u.services.clone(),
            u.peers.len(),
        ),
        None => (0, None, None, BTreeSet::new(), 0),
    };
    let used_peer_examples: Vec<String> = match (u, r.cidr) {
        (Some(u), Some(_)) => u.peers.iter().take(5).map(IpAddr::to_string).collect(),
        _ => Vec::new(),
    };
    let allowed_ports = service::of_sg_rule(&r.protocol, r.from_port, r.to_port);
    let summary = if connections == 0 && removed {
        "unused".to_string()
    } else if connections == 0 {
        // Only a load balancer's public listener is kept unused (`public_listener`).
        PUBLIC_LISTENER_UNUSED.to_string()
    } else {
        let mut parts = Vec::new();
        let range = match (r.from_port, r.to_port) {
            (Some(f), Some(t)) if f >= 0 && t >= f => (t - f + 1) as usize,
            _ => usize::MAX,
        };
        if range > ports.len() && matches!(protocol_number(&r.protocol), Some(TCP | UDP) | None) {
            let used = spell_used(&r.protocol, ports.iter().take(5));
            parts.push(format!(
                "{allowed_ports} allowed, only {}{} used",
                used.join(", "),
                if ports.len() > 5 {
                    format!(" and {} more", ports.len() - 5)
                } else {
                    String::new()
                }
            ));
        }
        if let Some(c) = r.cidr
            && c.len < if c.addr.is_ipv4() { 32 } else { 128 }
        {
            let what = if d == Direction::Egress {
                "destination"
            } else {
                "source"
            };
            parts.push(format!(
                "{c} allowed, {peers} {what}{} used",
                if peers == 1 { "" } else { "s" }
            ));
        }
        if parts.is_empty() {
            USED_AS_WRITTEN.into()
        } else {
            parts.join("; ")
        }
    };
    RuleUsage {
        group_id,
        group_name,
        direction: d,
        rule_id: r.rule_id.clone(),
        protocol: r.protocol.clone(),
        from_port: r.from_port,
        to_port: r.to_port,
        peer,
        description: r.description.clone(),
        connections,
        first,
        last,
        used_service_count: ports.len(),
        used_services: ports.into_iter().take(32).collect(),
        used_peers: peers,
        used_peer_examples,
        summary,
        removed,
    }
}

/// The services a rule of protocol `rule_protocol` (as AWS spells it)
/// carried, as its summary and fix name them: the bare port where the rule
/// is of one protocol (`5432`), else each with its protocol (`53/udp`,
/// `icmp type 8`): a rule of every protocol carries ICMP too, whose type
/// is no port.
pub(super) fn spell_used<'a>(
    rule_protocol: &str,
    used: impl Iterator<Item = &'a (u16, u8)>,
) -> Vec<String> {
    let every_protocol = protocol_number(rule_protocol).is_none();
    used.map(|&(port, proto)| {
        if every_protocol {
            service::of_port(port, proto)
        } else {
            port.to_string()
        }
    })
    .collect()
}

/// Ingress from anywhere on 80 or 443: on a group with a load balancer
/// among its members ([`Kept`] knows which), a public listener, broad by
/// design, kept even when unused in the window (clients on IPv6 or at
/// another time of year are not evidence that it is not needed).
fn public_listener(r: &SgRule) -> bool {
    r.cidr.is_some_and(|c| c.is_everything())
        && protocol_number(&r.protocol) == Some(TCP)
        && matches!(
            (r.from_port, r.to_port),
            (Some(80), Some(80)) | (Some(443), Some(443))
        )
}

/// An interface of an Elastic Load Balancer (application, network, gateway,
/// classic): by its type, or by the description AWS gives the interfaces it
/// manages for a load balancer.
fn is_load_balancer(e: &NetworkInterface) -> bool {
    e.interface_type.contains("load_balancer")
        || (e.requester_managed && e.description.starts_with("ELB "))
}
