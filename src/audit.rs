//! The audit: today's security-group rules against the evidence. Every
//! existing rule gets its usage in the window; findings say what is risky,
//! dead, one-sided, or would break when the proposal replaces today's rules.
//!
//! The "after" state of the before/after comparison is: today's rules, minus
//! open egress (all protocols to `0.0.0.0/0` or `::/0`) and every rule unused
//! in the window, plus the proposed mutual rules.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use crate::aggregate::Connection;
use crate::analysis::Analysis;
use crate::inventory::{Inventory, SgRule, protocol_number};
use crate::present::names;
use crate::present::service;
use crate::present::time::{first_and_last_day, span};
use crate::reduce::{ICMP, ICMP_ANY, ICMPV6, TCP, UDP};
use crate::resolve::Endpoint;
use crate::synthesize::{Rule, Severity};
use crate::window::day;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ingress,
    Egress,
}

/// One existing rule and what it carried in the window.
#[derive(Debug, Clone, Serialize)]
pub struct RuleUsage {
    pub group_id: String,
    pub group_name: String,
    pub direction: Direction,
    pub rule_id: Option<String>,
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// The peer: a CIDR, `sg-...` or `pl-...`.
    pub peer: String,
    pub description: String,
    pub connections: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Distinct service ports used (at most 32 listed).
    pub used_ports: Vec<u16>,
    pub used_port_count: usize,
    /// Distinct peer addresses seen through the rule.
    pub used_peers: usize,
    /// The lowest of them (at most 5), for a CIDR peer.
    pub used_peer_examples: Vec<String>,
    /// "unused", "1024-65535 allowed, only 8443 used", "0.0.0.0/0 allowed, 3 destinations used".
    pub summary: String,
    /// Removed in the proposed state (open egress or unused).
    pub removed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    OpenEgress,
    OneSidedRule,
    UnusedRule,
    BroaderThanUsed,
    WouldBreak,
    NotAllowedToday,
    Suspicious,
    NoFlowLogs,
    SkipData,
    ShortWindow,
    ThinEvidence,
    UndecidedInitiator,
}

impl FindingKind {
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::OpenEgress => "SGP001",
            FindingKind::OneSidedRule => "SGP002",
            FindingKind::UnusedRule => "SGP003",
            FindingKind::BroaderThanUsed => "SGP004",
            FindingKind::WouldBreak => "SGP005",
            FindingKind::NotAllowedToday => "SGP006",
            FindingKind::Suspicious => "SGP007",
            FindingKind::NoFlowLogs => "SGP008",
            FindingKind::SkipData => "SGP009",
            FindingKind::ShortWindow => "SGP010",
            FindingKind::ThinEvidence => "SGP011",
            FindingKind::UndecidedInitiator => "SGP012",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            FindingKind::OpenEgress => "Open egress",
            FindingKind::OneSidedRule => "One-sided rule",
            FindingKind::UnusedRule => "Rule unused in the window",
            FindingKind::BroaderThanUsed => "Rule broader than its use",
            FindingKind::WouldBreak => "Traffic the proposed change would break",
            FindingKind::NotAllowedToday => "Accepted traffic that today's rules do not allow",
            FindingKind::Suspicious => "Suspicious traffic",
            FindingKind::NoFlowLogs => "Interface or subnet without flow logs",
            FindingKind::SkipData => "Gap in the flow logs (SKIPDATA)",
            FindingKind::ShortWindow => "Window too short to trust",
            FindingKind::ThinEvidence => "Rule resting on thin evidence",
            FindingKind::UndecidedInitiator => "Traffic with an undecided initiator",
        }
    }

    pub fn all() -> &'static [FindingKind] {
        &[
            FindingKind::OpenEgress,
            FindingKind::OneSidedRule,
            FindingKind::UnusedRule,
            FindingKind::BroaderThanUsed,
            FindingKind::WouldBreak,
            FindingKind::NotAllowedToday,
            FindingKind::Suspicious,
            FindingKind::NoFlowLogs,
            FindingKind::SkipData,
            FindingKind::ShortWindow,
            FindingKind::ThinEvidence,
            FindingKind::UndecidedInitiator,
        ]
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub rule_id: &'static str,
    pub severity: Severity,
    /// Stable across runs: the kind and what it is about, hashed.
    pub fingerprint: String,
    /// What it is about, in words (`sg-... egress -1 to 0.0.0.0/0`).
    pub subject: String,
    pub groups: Vec<String>,
    pub enis: Vec<String>,
    pub evidence: String,
    pub fix: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BeforeAfter {
    /// Existing rules (ingress and egress entries).
    pub rules_today: usize,
    /// Proposed mutual rules (each is an egress and an ingress rule in AWS).
    pub rules_proposed: usize,
    /// Existing rules removed: open egress and rules unused in the window.
    pub rules_to_remove: usize,
    /// Connections between two interfaces with groups (suspicious excluded).
    pub grouped_connections: u64,
    pub covered_by_proposal: u64,
    /// Accepted connections in the window, and those the after state allows.
    pub observed_connections: u64,
    pub allowed_after: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Audit {
    pub rules: Vec<RuleUsage>,
    pub findings: Vec<Finding>,
    pub before_after: BeforeAfter,
}

impl Audit {
    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// How many findings have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// (client, server, port, protocol) of a connection or a suspicious flow.
type FlowTuple = (IpAddr, IpAddr, u16, u8);

/// The flows the proposal leaves out on purpose.
fn suspicious_keys(a: &Analysis) -> BTreeSet<FlowTuple> {
    a.proposal
        .suspicious
        .iter()
        .map(|s| (s.client, s.server, s.port, s.proto))
        .collect()
}

/// Every connection of the evidence with its resolved ends.
fn resolve_all(a: &Analysis) -> Vec<(&Connection, Endpoint, Endpoint)> {
    a.evidence
        .connections
        .iter()
        .map(|c| (c, c.client_end.clone(), c.server_end.clone()))
        .collect()
}

/// Connections between two different interfaces that both carry groups,
/// suspicious ones excluded: what the proposal must cover.
fn grouped_total(
    resolved: &[(&Connection, Endpoint, Endpoint)],
    suspicious: &BTreeSet<FlowTuple>,
) -> u64 {
    resolved
        .iter()
        .filter(|(c, _, _)| !suspicious.contains(&(c.client, c.server, c.port, c.proto)))
        .filter(|(_, ce, se)| match (ce, se) {
            (
                Endpoint::Eni {
                    id: ci, groups: cg, ..
                },
                Endpoint::Eni {
                    id: si, groups: sg, ..
                },
            ) => ci != si && !cg.is_empty() && !sg.is_empty(),
            _ => false,
        })
        .map(|(c, _, _)| c.connections)
        .sum()
}

/// FNV-1a, 64 bits: a stable fingerprint without a crypto dependency.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn is_open_egress(rule: &SgRule) -> bool {
    protocol_number(&rule.protocol).is_none() && rule.cidr.is_some_and(|c| c.is_everything())
}

fn peer_label(rule: &SgRule) -> String {
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

/// Whether the rule's peer is the other end of a connection.
fn peer_matches(
    rule: &SgRule,
    inv: &Inventory,
    other_ip: &IpAddr,
    other_groups: &[String],
) -> bool {
    if let Some(c) = rule.cidr {
        return c.contains(other_ip);
    }
    if let Some(g) = &rule.referenced_group_id {
        return other_groups.contains(g);
    }
    if let Some(p) = &rule.prefix_list_id {
        return inv
            .prefix_lists
            .iter()
            .any(|pl| &pl.id == p && pl.cidrs.iter().any(|c| c.contains(other_ip)));
    }
    false
}

fn groups(e: &Endpoint) -> &[String] {
    e.groups().unwrap_or(&[])
}

#[derive(Default)]
struct Usage {
    connections: u64,
    first: Option<i64>,
    last: Option<i64>,
    ports: BTreeSet<u16>,
    peers: BTreeSet<IpAddr>,
}

/// A proposed rule seen from one group: (peer group, proto, from, to).
type ProposedSide = (String, u8, i32, i32);

/// Proposed rules by (group, direction).
fn proposed_by_group(rules: &[Rule]) -> BTreeMap<(String, Direction), Vec<ProposedSide>> {
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

fn proposed_covers(
    entry: &(String, u8, i32, i32),
    proto: u8,
    port: u16,
    other_groups: &[String],
) -> bool {
    let (peer, p, from, to) = entry;
    if *p != proto || !other_groups.contains(peer) {
        return false;
    }
    match proto {
        TCP | UDP => (*from..=*to).contains(&i32::from(port)),
        ICMP | ICMPV6 => *from < 0 || i32::from(port) == *from || port == ICMP_ANY,
        _ => true,
    }
}

/// (client label, server label, port, protocol).
type FlowKey = (String, String, u16, u8);

/// Connections the after state would no longer allow, per flow.
struct Broken {
    connections: u64,
    remotes: BTreeSet<IpAddr>,
    groups: Vec<String>,
    first: i64,
    last: i64,
}

/// Which side of a connection the rules of one interface govern.
struct Side<'e> {
    groups: &'e [String],
    direction: Direction,
    other_ip: IpAddr,
    other_groups: &'e [String],
}

/// Today's rules of one side's groups that allow a connection: (group, index
/// in the group's ingress or egress list, rule).
fn matching_rules<'i>(
    inv: &'i Inventory,
    side: &'i Side<'_>,
    c: &'i Connection,
) -> impl Iterator<Item = (&'i str, usize, &'i SgRule)> {
    side.groups
        .iter()
        .filter_map(|g| inv.group(g))
        .flat_map(move |sg| {
            let rules = match side.direction {
                Direction::Ingress => &sg.ingress,
                Direction::Egress => &sg.egress,
            };
            rules
                .iter()
                .enumerate()
                .filter(move |(_, r)| {
                    r.covers(c.proto, c.port)
                        && peer_matches(r, inv, &side.other_ip, side.other_groups)
                })
                .map(move |(i, r)| (sg.id.as_str(), i, r))
        })
}

/// The rule sets that govern a connection: the client's egress and the
/// server's ingress, for each end that carries groups.
fn sides<'e>(c: &Connection, ce: &'e Endpoint, se: &'e Endpoint) -> Vec<(Side<'e>, IpAddr)> {
    let mut v = Vec::new();
    if ce.groups().is_some() {
        v.push((
            Side {
                groups: groups(ce),
                direction: Direction::Egress,
                other_ip: c.server,
                other_groups: groups(se),
            },
            c.server,
        ));
    }
    if se.groups().is_some() {
        v.push((
            Side {
                groups: groups(se),
                direction: Direction::Ingress,
                other_ip: c.client,
                other_groups: groups(ce),
            },
            c.client,
        ));
    }
    v
}

pub fn audit(a: &Analysis) -> Audit {
    let inv = &a.inventory;
    let proposed = proposed_by_group(&a.proposal.rules);
    let suspicious = suspicious_keys(a);

    // Usage of every existing rule, keyed by (group, direction, index).
    let mut usage: BTreeMap<(String, Direction, usize), Usage> = BTreeMap::new();
    let mut breaks: BTreeMap<FlowKey, Broken> = BTreeMap::new();
    let mut not_allowed: BTreeMap<FlowKey, (u64, Vec<String>)> = BTreeMap::new();
    let mut before_after = BeforeAfter {
        rules_proposed: a.proposal.rules.len(),
        ..Default::default()
    };
    let mut blocked_suspicious = 0u64;

    // First pass: usage (the after state needs to know which rules are unused).
    let resolved = resolve_all(a);
    for (c, ce, se) in &resolved {
        for (side, peer_ip) in sides(c, ce, se) {
            for (g, i, _) in matching_rules(inv, &side, c) {
                let u = usage.entry((g.to_string(), side.direction, i)).or_default();
                u.connections += c.connections;
                u.first = Some(u.first.map_or(c.first, |f| f.min(c.first)));
                u.last = Some(u.last.map_or(c.last, |l| l.max(c.last)));
                u.ports.insert(c.port);
                u.peers.insert(peer_ip);
            }
        }
    }
    let kept = |g: &str, d: Direction, i: usize, r: &SgRule| -> bool {
        !(d == Direction::Egress && is_open_egress(r))
            && (usage
                .get(&(g.to_string(), d, i))
                .is_some_and(|u| u.connections > 0)
                || (d == Direction::Ingress && public_listener(inv, g, r)))
    };

    // Second pass: allowed today, allowed after.
    for (c, ce, se) in &resolved {
        before_after.observed_connections += c.connections;
        let key = (c.client, c.server, c.port, c.proto);
        let mut today = true;
        let mut after = true;
        for (side, _) in sides(c, ce, se) {
            let mut side_today = false;
            let mut side_after = false;
            for (g, i, r) in matching_rules(inv, &side, c) {
                side_today = true;
                side_after |= kept(g, side.direction, i, r);
            }
            for g in side.groups {
                if let Some(ps) = proposed.get(&(g.clone(), side.direction))
                    && ps
                        .iter()
                        .any(|p| proposed_covers(p, c.proto, c.port, side.other_groups))
                {
                    side_after = true;
                }
            }
            today &= side_today;
            after &= side_after;
        }
        if after {
            before_after.allowed_after += c.connections;
        }
        let local = match (ce, se) {
            (Endpoint::Eni { id, .. }, _) => id.clone(),
            (_, Endpoint::Eni { id, .. }) => id.clone(),
            _ => ce.label(),
        };
        let svc = (ce.label(), se.label(), c.port, c.proto);
        if !today {
            let e = not_allowed
                .entry((svc.0.clone(), svc.1.clone(), c.port, c.proto))
                .or_default();
            e.0 += c.connections;
            if !e.1.contains(&local) {
                e.1.push(local.clone());
            }
        } else if !after {
            if suspicious.contains(&key) {
                blocked_suspicious += c.connections;
            } else {
                let (src_label, remote) = match (ce.groups(), se.groups()) {
                    (Some(_), None) => (local.clone(), se.label()),
                    (None, Some(_)) => (ce.label(), local.clone()),
                    _ => (ce.label(), se.label()),
                };
                let e = breaks
                    .entry((src_label, remote, c.port, c.proto))
                    .or_insert_with(|| Broken {
                        connections: 0,
                        remotes: BTreeSet::new(),
                        groups: Vec::new(),
                        first: c.first,
                        last: c.last,
                    });
                e.connections += c.connections;
                e.remotes.insert(if ce.groups().is_some() {
                    c.server
                } else {
                    c.client
                });
                for g in groups(ce).iter().chain(groups(se)) {
                    if !e.groups.contains(g) {
                        e.groups.push(g.clone());
                    }
                }
                e.first = e.first.min(c.first);
                e.last = e.last.max(c.last);
            }
        }
    }

    // Rule usage rows.
    let mut rules_out = Vec::new();
    for g in &inv.security_groups {
        for (d, rules) in [
            (Direction::Ingress, &g.ingress),
            (Direction::Egress, &g.egress),
        ] {
            for (i, r) in rules.iter().enumerate() {
                before_after.rules_today += 1;
                let u = usage.get(&(g.id.clone(), d, i));
                let removed = !kept(&g.id, d, i, r);
                if removed {
                    before_after.rules_to_remove += 1;
                }
                rules_out.push(usage_row(g.id.clone(), g.name.clone(), d, r, u, removed));
            }
        }
    }

    let mut findings = Vec::new();
    let keys = names::rule_keys(&a.proposal.rules, inv);
    rule_findings(inv, &rules_out, &a.proposal.rules, &keys, &mut findings);
    for ((client, server, port, proto), b) in &breaks {
        let Broken {
            connections: n,
            remotes,
            groups,
            first,
            last,
        } = b;
        let svc = service::in_finding(*port, *proto);
        let remote_list: Vec<String> = remotes.iter().take(5).map(|r| r.to_string()).collect();
        findings.push(Finding {
            kind: FindingKind::WouldBreak,
            rule_id: FindingKind::WouldBreak.id(),
            severity: Severity::Medium,
            fingerprint: fingerprint(&["would-break", client, server, &svc]),
            subject: format!("{client} to {server} on {svc}"),
            groups: groups.clone(),
            enis: [client, server].iter().filter(|s| s.starts_with("eni-")).map(|s| s.to_string()).collect(),
            evidence: format!(
                "{n} connections, {}, allowed today only by rules the change removes (open egress or rules unused in the window); {} {}",
                span(*first, *last),
                if remotes.len() == 1 { "address" } else { "addresses" },
                remote_list.join(", ")
            ),
            fix: match prefix_list_for(inv, remotes) {
                Some((id, name)) => format!(
                    "Before removing open egress, add an egress rule for {svc} to the prefix list {id} ({name}), or route through an interface endpoint."
                ),
                None => format!(
                    "Before removing open egress, add an explicit rule for {svc} to {} (/32 CIDRs, or a proxy), or confirm the traffic is not needed.",
                    remote_list.join(", ")
                ),
            },
        });
    }
    for ((client, server, port, proto), (n, enis)) in &not_allowed {
        let svc = service::in_finding(*port, *proto);
        findings.push(Finding {
            kind: FindingKind::NotAllowedToday,
            rule_id: FindingKind::NotAllowedToday.id(),
            severity: Severity::Low,
            fingerprint: fingerprint(&["not-allowed", client, server, &svc]),
            subject: format!("{client} to {server} on {svc}"),
            groups: vec![],
            enis: enis.clone(),
            evidence: format!("{n} accepted connections that no rule in the inventory allows"),
            fix: "The rules changed during the window or the inventory is stale: take a fresh inventory (sgpair inventory) and run again.".into(),
        });
    }
    for s in &a.proposal.suspicious {
        let svc = service::in_finding(s.port, s.proto);
        findings.push(Finding {
            kind: FindingKind::Suspicious,
            rule_id: FindingKind::Suspicious.id(),
            severity: s.severity,
            fingerprint: fingerprint(&["suspicious", &s.client.to_string(), &s.server.to_string(), &svc]),
            subject: format!(
                "{} ({}){} to {} ({}) on {svc}",
                s.client_label,
                s.client,
                s.via.as_ref().map(|v| format!(" through {v}")).unwrap_or_default(),
                s.server_label,
                s.server
            ),
            groups: [&s.client_label, &s.server_label]
                .iter()
                .filter_map(|l| inv.network_interfaces.iter().find(|e| &e.id == *l))
                .flat_map(|e| e.security_groups.clone())
                .collect(),
            enis: [&s.client_label, &s.server_label].iter().filter(|l| l.starts_with("eni-")).map(|l| l.to_string()).collect(),
            evidence: format!("{}: {} connections, {}", s.reason, s.connections, span(s.first, s.last)),
            fix: if matches!(s.client_label.as_str(), l if l.starts_with("eni-")) {
                "Investigate the host. sgpair proposes no rule for this traffic: removing open egress blocks it.".into()
            } else {
                "Investigate; restrict the ingress rule that allows it (known sources only, or a VPN or Session Manager instead).".into()
            },
        });
    }
    if let Some(blind) = inv.blind_spots() {
        for e in blind {
            findings.push(Finding {
                kind: FindingKind::NoFlowLogs,
                rule_id: FindingKind::NoFlowLogs.id(),
                severity: Severity::Medium,
                fingerprint: fingerprint(&["no-flow-logs", &e.id]),
                subject: e.id.clone(),
                groups: e.security_groups.clone(),
                enis: vec![e.id.clone()],
                evidence: format!("no flow log covers {} (by interface, subnet {} or VPC {})", e.id, e.subnet_id.as_deref().unwrap_or("-"), e.vpc_id.as_deref().unwrap_or("-")),
                fix: "Enable a flow log on the interface, its subnet or its VPC, and run sgpair again after a full window: rules it needs may be missing.".into(),
            });
        }
    }
    for sn in inv.subnets_without_flow_logs().unwrap_or_default() {
        findings.push(Finding {
            kind: FindingKind::NoFlowLogs,
            rule_id: FindingKind::NoFlowLogs.id(),
            severity: Severity::Medium,
            fingerprint: fingerprint(&["no-flow-logs", &sn.id]),
            subject: sn.id.clone(),
            groups: vec![],
            enis: vec![],
            evidence: format!("no flow log covers subnet {} (by subnet or VPC {})", sn.id, sn.vpc_id),
            fix: "Enable a flow log on the subnet or its VPC; interfaces created there later would be invisible too.".into(),
        });
    }
    for gap in &a.evidence.gaps {
        findings.push(Finding {
            kind: FindingKind::SkipData,
            rule_id: FindingKind::SkipData.id(),
            severity: Severity::Low,
            fingerprint: fingerprint(&["skipdata", &gap.interface_id]),
            subject: gap.interface_id.clone(),
            groups: vec![],
            enis: vec![gap.interface_id.clone()],
            evidence: format!("{} SKIPDATA intervals", gap.intervals),
            fix: "Records were lost in these intervals; traffic in them is missing from the evidence. Widen the window or check the flow log's delivery.".into(),
        });
    }
    if a.window.days() < 7.0 {
        findings.push(Finding {
            kind: FindingKind::ShortWindow,
            rule_id: FindingKind::ShortWindow.id(),
            severity: Severity::Medium,
            fingerprint: fingerprint(&["short-window"]),
            subject: format!("{:.1} days", a.window.days()),
            groups: vec![],
            enis: vec![],
            evidence: format!(
                "the window covers {:.1} days; weekly jobs, backups and failovers may not appear",
                a.window.days()
            ),
            fix: "Run over at least 7 days (--since 7d), better 30, before removing open egress."
                .into(),
        });
    }
    for (r, key) in a.proposal.rules.iter().zip(&keys) {
        let e = &r.evidence;
        let (first_day, last_day) = first_and_last_day(e.first, e.last);
        if e.connections <= 1 || first_day == last_day {
            findings.push(Finding {
                kind: FindingKind::ThinEvidence,
                rule_id: FindingKind::ThinEvidence.id(),
                severity: Severity::Low,
                fingerprint: fingerprint(&["thin-evidence", key]),
                subject: key.clone(),
                groups: vec![r.source_sg.clone(), r.target_sg.clone()],
                enis: e.client_enis.iter().chain(&e.server_enis).cloned().collect(),
                evidence: if e.connections <= 1 {
                    format!("seen once ({})", day(e.first))
                } else {
                    format!("{} connections, all on {}", e.connections, day(e.first))
                },
                fix: "Check the traffic is wanted before allowing it permanently; a one-off (a migration, a test) needs no rule.".into(),
            });
        }
    }
    if !a.evidence.undecided.is_empty() {
        let n: u64 = a.evidence.undecided.iter().map(|u| u.records).sum();
        findings.push(Finding {
            kind: FindingKind::UndecidedInitiator,
            rule_id: FindingKind::UndecidedInitiator.id(),
            severity: Severity::Low,
            fingerprint: fingerprint(&["undecided"]),
            subject: format!(
                "{} {}",
                a.evidence.undecided.len(),
                if a.evidence.undecided.len() == 1 { "aggregate" } else { "aggregates" }
            ),
            groups: vec![],
            enis: vec![],
            evidence: format!("{} aggregates ({n} records) whose initiator the logs cannot decide: not counted as connections, and no rule is proposed for them", a.evidence.undecided.len()),
            fix: "Add tcp-flags to the flow-log format, or write rules for this traffic by hand if it is wanted.".into(),
        });
    }
    if blocked_suspicious > 0 {
        tracing::info!(
            blocked_suspicious,
            "suspicious connections the change blocks"
        );
    }
    findings.sort_by(|x, y| {
        y.severity
            .cmp(&x.severity)
            .then(x.kind.cmp(&y.kind))
            .then(x.subject.cmp(&y.subject))
    });

    before_after.grouped_connections = grouped_total(&resolved, &suspicious);
    before_after.covered_by_proposal = a
        .proposal
        .rules
        .iter()
        .map(|r| r.evidence.connections)
        .sum();

    Audit {
        rules: rules_out,
        findings,
        before_after,
    }
}

/// The managed prefix list that holds all these addresses, if one does.
fn prefix_list_for<'i>(inv: &'i Inventory, addrs: &BTreeSet<IpAddr>) -> Option<(&'i str, &'i str)> {
    inv.prefix_lists
        .iter()
        .find(|pl| addrs.iter().all(|a| pl.cidrs.iter().any(|c| c.contains(a))))
        .map(|pl| (pl.id.as_str(), pl.name.as_str()))
}

const USED_AS_WRITTEN: &str = "used as written";

/// The use of an unused public listener of a load balancer, which is kept.
const PUBLIC_LISTENER_UNUSED: &str =
    "unused in the window; kept: a public listener of a load balancer";

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
            u.ports.clone(),
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
            let used: Vec<String> = ports.iter().take(5).map(|p| p.to_string()).collect();
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
        used_port_count: ports.len(),
        used_ports: ports.into_iter().take(32).collect(),
        used_peers: peers,
        used_peer_examples,
        summary,
        removed,
    }
}

fn rule_subject(u: &RuleUsage) -> String {
    let dir = match u.direction {
        Direction::Ingress => "ingress from",
        Direction::Egress => "egress to",
    };
    let ports = service::of_sg_rule(&u.protocol, u.from_port, u.to_port);
    format!("{} ({}) {dir} {} {ports}", u.group_id, u.group_name, u.peer)
}

fn rule_fingerprint(kind: &str, u: &RuleUsage) -> String {
    let dir = format!("{:?}", u.direction);
    let from = format!("{:?}", u.from_port);
    let to = format!("{:?}", u.to_port);
    fingerprint(&[kind, &u.group_id, &dir, &u.protocol, &from, &to, &u.peer])
}

/// The fix of a rule broader than its use (SGP004), true of that rule: the
/// proposed rules that carry its traffic when there are any, else what to
/// narrow it to by hand. A rule that carried traffic stays in the after
/// state either way: only its removal by hand narrows anything.
fn broader_fix(u: &RuleUsage, proposed: &[Rule], keys: &[String]) -> String {
    let replacing: Vec<&str> = proposed
        .iter()
        .zip(keys)
        .filter(|(r, _)| match u.direction {
            Direction::Ingress => r.target_sg == u.group_id && r.source_sg == u.peer,
            Direction::Egress => r.source_sg == u.group_id && r.target_sg == u.peer,
        })
        .map(|(_, k)| k.as_str())
        .collect();
    if !replacing.is_empty() {
        return format!(
            "Apply the proposed {} {}, which {} only what was used between these groups, then remove this rule (the change keeps it, since it carried traffic).",
            if replacing.len() == 1 {
                "rule"
            } else {
                "rules"
            },
            replacing.join(", "),
            if replacing.len() == 1 {
                "allows"
            } else {
                "allow"
            },
        );
    }
    let mut what = Vec::new();
    if u.used_port_count > 0 && u.summary.contains(" allowed, only ") {
        let ports: Vec<String> = u.used_ports.iter().take(5).map(u16::to_string).collect();
        what.push(format!(
            "the {} used ({}{})",
            if u.used_port_count == 1 {
                "port"
            } else {
                "ports"
            },
            ports.join(", "),
            if u.used_port_count > 5 { ", ..." } else { "" }
        ));
    }
    if !u.peer.starts_with("sg-") && !u.peer.starts_with("pl-") {
        what.push(format!(
            "the {} {} seen ({})",
            u.used_peers,
            match (u.direction, u.used_peers) {
                (Direction::Ingress, 1) => "source",
                (Direction::Ingress, _) => "sources",
                (Direction::Egress, 1) => "destination",
                (Direction::Egress, _) => "destinations",
            },
            u.used_peer_examples.join(", ")
        ));
    }
    format!(
        "No proposed rule replaces it (sgpair proposes group-to-group rules only) and the change keeps it. Narrow it by hand to {}, if nothing else needs the rest.",
        if what.is_empty() {
            "what was used".to_string()
        } else {
            what.join(" and ")
        }
    )
}

/// Ingress from anywhere on 80 or 443 to a group with a load balancer among
/// its members: a public listener, broad by design, kept even when unused in
/// the window (clients on IPv6 or at another time of year are not evidence
/// that it is not needed).
fn public_listener(inv: &Inventory, group: &str, r: &SgRule) -> bool {
    r.cidr.is_some_and(|c| c.is_everything())
        && protocol_number(&r.protocol) == Some(TCP)
        && matches!(
            (r.from_port, r.to_port),
            (Some(80), Some(80)) | (Some(443), Some(443))
        )
        && inv
            .network_interfaces
            .iter()
            .any(|e| e.security_groups.iter().any(|g| g == group) && is_load_balancer(e))
}

/// An interface of an Elastic Load Balancer (application, network, gateway,
/// classic): by its type, or by the description AWS gives the interfaces it
/// manages for a load balancer.
fn is_load_balancer(e: &crate::inventory::NetworkInterface) -> bool {
    e.interface_type.contains("load_balancer")
        || (e.requester_managed && e.description.starts_with("ELB "))
}

/// Ingress from anywhere to 80 or 443: a public web entry, broad by design.
fn public_web(u: &RuleUsage) -> bool {
    u.direction == Direction::Ingress
        && (u.peer == "0.0.0.0/0" || u.peer == "::/0")
        && u.protocol == "tcp"
        && matches!(
            (u.from_port, u.to_port),
            (Some(80), Some(80)) | (Some(443), Some(443))
        )
}

fn is_open(u: &RuleUsage) -> bool {
    u.direction == Direction::Egress
        && u.protocol == "-1"
        && (u.peer == "0.0.0.0/0" || u.peer == "::/0")
}

fn members(inv: &Inventory, group: &str) -> Vec<String> {
    inv.network_interfaces
        .iter()
        .filter(|e| e.security_groups.iter().any(|g| g == group))
        .map(|e| e.id.clone())
        .collect()
}

/// One finding per group whose egress is open to everything.
fn open_egress_findings(inv: &Inventory, rules: &[RuleUsage], out: &mut Vec<Finding>) {
    let mut by_group: BTreeMap<(&str, &str), Vec<&RuleUsage>> = BTreeMap::new();
    for u in rules.iter().filter(|u| is_open(u)) {
        by_group
            .entry((&u.group_id, &u.group_name))
            .or_default()
            .push(u);
    }
    for ((id, name), us) in by_group {
        let enis = members(inv, id);
        let peers: Vec<&str> = us.iter().map(|u| u.peer.as_str()).collect();
        let used: u64 = us.iter().map(|u| u.connections).sum();
        out.push(Finding {
            kind: FindingKind::OpenEgress,
            rule_id: FindingKind::OpenEgress.id(),
            severity: Severity::High,
            fingerprint: fingerprint(&["open-egress", id]),
            subject: format!("{id} ({name}) egress to {}, all traffic", peers.join(" and ")),
            groups: vec![id.to_string()],
            evidence: format!(
                "any destination is reachable from {} {}; {used} connections left through it in the window",
                enis.len(),
                if enis.len() == 1 { "interface" } else { "interfaces" },
            ),
            enis,
            fix: "Apply the proposed mutual rules and the explicit rules listed under 'would break', then remove the open egress rules.".into(),
        });
    }
}

fn rule_findings(
    inv: &Inventory,
    rules: &[RuleUsage],
    proposed: &[Rule],
    keys: &[String],
    out: &mut Vec<Finding>,
) {
    open_egress_findings(inv, rules, out);
    for u in rules {
        let subject = rule_subject(u);
        let enis = members(inv, &u.group_id);
        if is_open(u) {
            continue; // one finding per group, below
        }
        if u.connections == 0 && !u.removed {
            // A load balancer's public listener: public by design, kept.
        } else if u.connections == 0 {
            out.push(Finding {
                kind: FindingKind::UnusedRule,
                rule_id: FindingKind::UnusedRule.id(),
                severity: Severity::Low,
                fingerprint: rule_fingerprint("unused", u),
                subject: subject.clone(),
                groups: vec![u.group_id.clone()],
                enis: enis.clone(),
                evidence: "no accepted connection in the window matched this rule".into(),
                fix: "The proposed change removes it. Keep it instead if it serves traffic rarer than the window (a failover path, a monthly job), and widen the window to prove it.".into(),
            });
        } else if u.summary != USED_AS_WRITTEN && !public_web(u) {
            out.push(Finding {
                kind: FindingKind::BroaderThanUsed,
                rule_id: FindingKind::BroaderThanUsed.id(),
                severity: Severity::Low,
                fingerprint: rule_fingerprint("broader", u),
                subject: subject.clone(),
                groups: vec![u.group_id.clone()],
                enis: enis.clone(),
                evidence: u.summary.clone(),
                fix: broader_fix(u, proposed, keys),
            });
        }
        // One-sided: a group reference needs the matching rule on the other group.
        if u.peer.starts_with("sg-") {
            let other = inv.group(&u.peer);
            let (want_dir, want_peer) = match u.direction {
                Direction::Egress => (Direction::Ingress, &u.group_id),
                Direction::Ingress => (Direction::Egress, &u.group_id),
            };
            let matched = other.is_some_and(|o| {
                let rules = if want_dir == Direction::Ingress {
                    &o.ingress
                } else {
                    &o.egress
                };
                rules.iter().any(|r| {
                    let same_proto = r.protocol == u.protocol || r.protocol == "-1";
                    let covers_ports = r.protocol == "-1"
                        || r.from_port.unwrap_or(-1) < 0
                        || (r.from_port <= u.from_port && r.to_port >= u.to_port);
                    let peer_ok = r.referenced_group_id.as_deref() == Some(want_peer.as_str())
                        || (want_dir == Direction::Egress
                            && r.cidr.is_some_and(|c| c.is_everything()));
                    same_proto && covers_ports && peer_ok
                })
            });
            if !matched {
                let fix = if u.connections == 0 {
                    "It carried no connection in the window (it cannot without its other half), and the proposed change removes it. If the traffic is wanted, write both halves as a pair with the mutual-security-groups module."
                } else {
                    "Add the missing half on the other group, or write both halves as a pair with the mutual-security-groups module."
                };
                out.push(Finding {
                    kind: FindingKind::OneSidedRule,
                    rule_id: FindingKind::OneSidedRule.id(),
                    severity: Severity::Low,
                    fingerprint: rule_fingerprint("one-sided", u),
                    subject,
                    groups: vec![u.group_id.clone(), u.peer.clone()],
                    enis,
                    evidence: format!(
                        "{} has no matching {} rule {} {}",
                        u.peer,
                        if want_dir == Direction::Ingress {
                            "ingress"
                        } else {
                            "egress"
                        },
                        if want_dir == Direction::Ingress {
                            "from"
                        } else {
                            "to"
                        },
                        u.group_id
                    ),
                    fix: fix.into(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{Evidence, Method};
    use crate::analysis::analyze;
    use crate::inventory::{Cidr, NetworkInterface, SecurityGroup, Vpc};
    use crate::stats::Stats;
    use crate::window::Window;

    const UNTIL: i64 = 1_795_564_800; // 2026-11-25T00:00:00Z
    const DAY: i64 = 86_400;

    fn rule(proto: &str, ports: Option<(i32, i32)>, peer: &str) -> SgRule {
        let (cidr, group) = if peer.starts_with("sg-") {
            (None, Some(peer.to_string()))
        } else {
            (Some(peer.parse::<Cidr>().unwrap()), None)
        };
        SgRule {
            rule_id: None,
            protocol: proto.into(),
            from_port: ports.map(|p| p.0),
            to_port: ports.map(|p| p.1),
            cidr,
            referenced_group_id: group,
            prefix_list_id: None,
            description: String::new(),
        }
    }

    fn sg(id: &str, ingress: Vec<SgRule>, egress: Vec<SgRule>) -> SecurityGroup {
        SecurityGroup {
            vpc_id: Some("vpc-1".into()),
            ingress,
            egress,
            ..SecurityGroup::new(id, id.trim_start_matches("sg-"))
        }
    }

    fn eni(id: &str, addr: &str, groups: &[&str]) -> NetworkInterface {
        NetworkInterface {
            vpc_id: Some("vpc-1".into()),
            ..NetworkInterface::new(id, vec![addr.parse().unwrap()], groups)
        }
    }

    fn conn(client: &str, server: &str, port: u16, n: u64, first: i64) -> Connection {
        Connection {
            client: client.parse().unwrap(),
            server: server.parse().unwrap(),
            port,
            proto: TCP,
            connections: n,
            records: n * 2,
            bytes: 1000,
            packets: 10,
            first,
            last: first + 3 * DAY,
            method: Method::TcpFlags,
            logged_at: vec![],
            client_end: Endpoint::Unresolved,
            server_end: Endpoint::Unresolved,
            via: None,
            vpc: None,
            account: None,
        }
    }

    /// web (10.0.1.10) → db (10.0.2.20):5432 and web → 93.184.216.34:443.
    fn analysis(groups: Vec<SecurityGroup>, conns: Vec<Connection>, days: i64) -> Analysis {
        let inv = Inventory {
            format_version: 1,
            vpcs: vec![Vpc {
                id: "vpc-1".into(),
                owner_id: None,
                cidrs: vec!["10.0.0.0/16".parse().unwrap()],
            }],
            network_interfaces: vec![
                eni("eni-web", "10.0.1.10", &["sg-web"]),
                eni("eni-db", "10.0.2.20", &["sg-db"]),
            ],
            security_groups: groups,
            ..Default::default()
        };
        let ev = Evidence {
            connections: conns,
            ..Default::default()
        };
        analyze(
            Window {
                since: UNTIL - days * DAY,
                until: UNTIL,
            },
            Stats::default(),
            ev,
            inv,
        )
    }

    fn today() -> Vec<SecurityGroup> {
        vec![
            sg(
                "sg-web",
                vec![rule("tcp", Some((8443, 8443)), "sg-alb")],
                vec![rule("-1", None, "0.0.0.0/0")],
            ),
            sg(
                "sg-db",
                vec![
                    rule("tcp", Some((1024, 65535)), "sg-web"),
                    rule("tcp", Some((22, 22)), "10.0.0.0/8"),
                ],
                vec![rule("-1", None, "0.0.0.0/0")],
            ),
        ]
    }

    fn traffic() -> Vec<Connection> {
        vec![
            conn("10.0.1.10", "10.0.2.20", 5432, 40, UNTIL - 6 * DAY),
            conn("10.0.1.10", "93.184.216.34", 443, 7, UNTIL - 5 * DAY),
        ]
    }

    fn kinds(a: &Audit) -> Vec<(FindingKind, &str)> {
        a.findings
            .iter()
            .map(|f| (f.kind, f.subject.as_str()))
            .collect()
    }

    #[test]
    fn every_existing_rule_gets_its_use() {
        let au = audit(&analysis(today(), traffic(), 7));
        let row = |g: &str, d: Direction, peer: &str| {
            au.rules
                .iter()
                .find(|r| r.group_id == g && r.direction == d && r.peer == peer)
                .unwrap()
        };
        let db_in = row("sg-db", Direction::Ingress, "sg-web");
        assert_eq!(db_in.connections, 40);
        assert_eq!(db_in.summary, "1024-65535/tcp allowed, only 5432 used");
        assert!(!db_in.removed);
        let web_out = row("sg-web", Direction::Egress, "0.0.0.0/0");
        assert_eq!(
            web_out.connections, 47,
            "both connections leave through open egress"
        );
        assert_eq!(
            web_out.summary,
            "all traffic allowed, only 443, 5432 used; 0.0.0.0/0 allowed, 2 destinations used"
        );
        assert!(web_out.removed, "open egress goes");
        let ssh = row("sg-db", Direction::Ingress, "10.0.0.0/8");
        assert_eq!(
            (ssh.connections, ssh.summary.as_str(), ssh.removed),
            (0, "unused", true)
        );
        assert_eq!(au.before_after.rules_today, 5);
        assert_eq!(
            au.before_after.rules_to_remove, 4,
            "two open egress, the unused SSH and 8443 rules"
        );
    }

    #[test]
    fn findings_name_open_egress_unused_one_sided_and_what_would_break() {
        let au = audit(&analysis(today(), traffic(), 7));
        let k = kinds(&au);
        assert!(
            k.contains(&(
                FindingKind::OpenEgress,
                "sg-web (web) egress to 0.0.0.0/0, all traffic"
            )),
            "{k:?}"
        );
        assert!(k.iter().any(|(f, s)| *f == FindingKind::UnusedRule
            && s.contains("sg-db (db) ingress from 10.0.0.0/8 22/tcp")));
        // web's 8443 ingress from sg-alb: no egress rule on sg-alb (not even in the inventory).
        assert!(
            k.iter()
                .any(|(f, s)| *f == FindingKind::OneSidedRule && s.contains("ingress from sg-alb")),
            "{k:?}"
        );
        assert!(
            k.iter()
                .any(|(f, s)| *f == FindingKind::BroaderThanUsed && s.contains("1024-65535")),
            "{k:?}"
        );
        let wb: Vec<&Finding> = au
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::WouldBreak)
            .collect();
        assert_eq!(
            wb.len(),
            1,
            "only the internet egress: web → db is covered by the proposal"
        );
        assert_eq!(wb[0].subject, "eni-web to internet on 443/tcp");
        assert!(wb[0].fix.contains("93.184.216.34"), "{}", wb[0].fix);
        assert_eq!(au.worst(), Some(Severity::High));
        // High first.
        assert_eq!(au.findings[0].severity, Severity::High);
    }

    #[test]
    fn before_after_counts_come_from_the_evidence() {
        let au = audit(&analysis(today(), traffic(), 7));
        let b = &au.before_after;
        assert_eq!(b.rules_proposed, 1);
        assert_eq!((b.covered_by_proposal, b.grouped_connections), (40, 40));
        assert_eq!(
            (b.allowed_after, b.observed_connections),
            (40, 47),
            "the internet egress would break"
        );
    }

    #[test]
    fn an_explicit_egress_rule_that_was_used_is_kept_and_nothing_breaks() {
        let mut groups = today();
        groups[0]
            .egress
            .push(rule("tcp", Some((443, 443)), "93.184.216.34/32"));
        let au = audit(&analysis(groups, traffic(), 7));
        assert!(
            au.findings
                .iter()
                .all(|f| f.kind != FindingKind::WouldBreak),
            "{:?}",
            kinds(&au)
        );
        assert_eq!(au.before_after.allowed_after, 47);
    }

    #[test]
    fn accepted_traffic_no_rule_allows_is_flagged() {
        let groups = vec![sg("sg-web", vec![], vec![]), sg("sg-db", vec![], vec![])];
        let au = audit(&analysis(groups, traffic(), 7));
        assert!(
            au.findings
                .iter()
                .any(|f| f.kind == FindingKind::NotAllowedToday),
            "{:?}",
            kinds(&au)
        );
    }

    #[test]
    fn a_short_window_and_thin_evidence_are_said() {
        let conns = vec![Connection {
            connections: 1,
            last: UNTIL - DAY,
            ..conn("10.0.1.10", "10.0.2.20", 5432, 1, UNTIL - DAY)
        }];
        let au = audit(&analysis(today(), conns, 2));
        let k = kinds(&au);
        assert!(
            k.iter().any(|(f, _)| *f == FindingKind::ShortWindow),
            "{k:?}"
        );
        assert!(
            k.iter()
                .any(|(f, s)| *f == FindingKind::ThinEvidence && s.contains("web-to-db-tcp-5432")),
            "{k:?}"
        );
        let full = audit(&analysis(today(), traffic(), 7));
        assert!(
            full.findings
                .iter()
                .all(|f| f.kind != FindingKind::ShortWindow && f.kind != FindingKind::ThinEvidence)
        );
    }

    fn finding<'a>(au: &'a Audit, kind: FindingKind, subject: &str) -> &'a Finding {
        au.findings
            .iter()
            .find(|f| f.kind == kind && f.subject.contains(subject))
            .unwrap_or_else(|| panic!("{kind:?} on {subject} in {:?}", kinds(au)))
    }

    #[test]
    fn a_broader_rule_s_fix_names_the_replacing_rule_or_says_there_is_none() {
        let mut groups = today();
        groups[1]
            .ingress
            .push(rule("tcp", Some((5432, 5432)), "203.0.113.0/24"));
        let mut conns = traffic();
        conns.push(conn("203.0.113.25", "10.0.2.20", 5432, 3, UNTIL - 4 * DAY));
        let au = audit(&analysis(groups, conns, 7));
        // A group rule the proposal replaces: the fix names the proposed rule,
        // and says the change keeps the broad one until it is removed.
        let by_group = finding(&au, FindingKind::BroaderThanUsed, "1024-65535");
        assert!(
            by_group.fix.contains("web-to-db-tcp-5432") && by_group.fix.contains("keeps it"),
            "{}",
            by_group.fix
        );
        // A CIDR rule no proposed rule replaces: no claim that one does, the
        // address actually used, and the table's `keep` agrees.
        let by_cidr = finding(&au, FindingKind::BroaderThanUsed, "203.0.113.0/24");
        assert!(
            !by_cidr.fix.contains("the proposed rules do"),
            "{}",
            by_cidr.fix
        );
        assert!(
            by_cidr.fix.starts_with("No proposed rule replaces it")
                && by_cidr.fix.contains("the 1 source seen (203.0.113.25)"),
            "{}",
            by_cidr.fix
        );
        let row = au
            .rules
            .iter()
            .find(|r| r.peer == "203.0.113.0/24")
            .unwrap();
        assert!(!row.removed);
        assert_eq!(row.used_peer_examples, ["203.0.113.25"]);
    }

    #[test]
    fn an_unused_public_listener_of_a_load_balancer_is_kept() {
        let listener = |peer: &str| rule("tcp", Some((443, 443)), peer);
        let groups = vec![
            sg(
                "sg-alb",
                vec![listener("0.0.0.0/0"), listener("::/0")],
                vec![],
            ),
            sg("sg-web", vec![listener("::/0")], vec![]),
        ];
        let mut a = analysis(groups, traffic(), 7);
        a.inventory.network_interfaces.push(NetworkInterface {
            vpc_id: Some("vpc-1".into()),
            description: "ELB app/prod-web/50dc6c495c0c9188".into(),
            requester_managed: true,
            ..NetworkInterface::new("eni-alb", vec!["10.0.0.5".parse().unwrap()], &["sg-alb"])
        });
        let au = audit(&a);
        for r in au.rules.iter().filter(|r| r.group_id == "sg-alb") {
            assert!(!r.removed, "{r:?}");
            assert_eq!(r.summary, PUBLIC_LISTENER_UNUSED);
        }
        assert!(
            !au.findings
                .iter()
                .any(|f| f.kind == FindingKind::UnusedRule && f.subject.starts_with("sg-alb")),
            "{:?}",
            kinds(&au)
        );
        // The same rule on a group without a load balancer is unused evidence.
        let web = au.rules.iter().find(|r| r.group_id == "sg-web").unwrap();
        assert!(web.removed && web.summary == "unused", "{web:?}");
        let unused = finding(&au, FindingKind::UnusedRule, "sg-web");
        assert!(unused.fix.starts_with("The proposed change removes it"));
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let a = audit(&analysis(today(), traffic(), 7));
        let b = audit(&analysis(today(), traffic(), 7));
        let fa: Vec<&str> = a.findings.iter().map(|f| f.fingerprint.as_str()).collect();
        let fb: Vec<&str> = b.findings.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(fa, fb);
        let unique: BTreeSet<&str> = fa.iter().copied().collect();
        assert_eq!(unique.len(), fa.len(), "{fa:?}");
        assert_eq!(fingerprint(&["a", "bc"]), fingerprint(&["a", "bc"]));
        assert_ne!(fingerprint(&["a", "bc"]), fingerprint(&["ab", "c"]));
        // Another window, same finding: same fingerprint.
        let c = audit(&analysis(today(), traffic(), 9));
        let open = |x: &Audit| {
            x.findings
                .iter()
                .find(|f| f.kind == FindingKind::OpenEgress)
                .unwrap()
                .fingerprint
                .clone()
        };
        assert_eq!(open(&a), open(&c));
    }
}
