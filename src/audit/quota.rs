//! Quotas before anything is written: per group and direction, the rules
//! that stay (weighted: a prefix list counts its entries), plus one per
//! proposed entry on that side (none where the same half already exists and
//! stays), against the rules-per-group quota (Service Quotas L-0EA8095F,
//! 60 inbound and 60 outbound unless raised).
//!
//! Over it, entries of one pair of groups and one protocol are merged into
//! a range where that keeps least privilege acceptable: the ports the range
//! adds that no connection used are at most [`MAX_UNSEEN`] per merge, and
//! the merges with the fewest come first. What is still over is named with
//! its remedies, with the group's interfaces already at the
//! groups-per-interface quota (L-2AFB9258, 5 unless raised), to which a
//! dedicated group cannot be added; the run then writes nothing.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::analysis::Analysis;
use crate::audit::Direction;
use crate::audit::usage::{Kept, RuleUse};
use crate::inventory::{Inventory, SgRule, protocol_number};
use crate::reduce::{TCP, UDP};
use crate::synthesize::Rule;

/// Service Quotas' code of the rules-per-group quota (service `vpc`).
pub const RULES_PER_GROUP: &str = "L-0EA8095F";
/// The rules-per-group quota's default, per direction.
pub const DEFAULT_RULES_PER_GROUP: usize = 60;

/// Service Quotas' code of the groups-per-interface quota (service `vpc`).
pub const GROUPS_PER_INTERFACE: &str = "L-2AFB9258";
/// The groups-per-interface quota's default.
pub const DEFAULT_GROUPS_PER_INTERFACE: usize = 5;

/// The quotas a proposal must fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quotas {
    /// Rules per group and direction.
    pub rules_per_group: usize,
    /// Security groups per network interface.
    pub groups_per_interface: usize,
}

impl Default for Quotas {
    /// AWS's defaults.
    fn default() -> Quotas {
        Quotas {
            rules_per_group: DEFAULT_RULES_PER_GROUP,
            groups_per_interface: DEFAULT_GROUPS_PER_INTERFACE,
        }
    }
}

/// The most ports a merge may add that no connection used.
pub const MAX_UNSEEN: i32 = 16;

/// Entries merged into one range.
#[derive(Debug, Clone, Serialize)]
pub struct Merge {
    pub source_sg: String,
    pub target_sg: String,
    pub proto: u8,
    pub from_port: i32,
    pub to_port: i32,
    /// Ports of the range that no connection used.
    pub unseen: i32,
}

/// A group and direction over the quota after every acceptable merge.
#[derive(Debug, Clone, Serialize)]
pub struct Over {
    pub group_id: String,
    pub group_name: String,
    pub direction: Direction,
    /// Rules that stay (weighted) and the proposal's new entries on this side.
    pub staying: usize,
    pub proposed: usize,
    pub quota: usize,
    /// The groups-per-interface quota.
    pub groups_per_interface: usize,
    /// Interfaces of the group already at the groups-per-interface quota
    /// (a dedicated client group cannot be added to them).
    pub interfaces_at_group_quota: Vec<String>,
}

impl Over {
    pub fn by(&self) -> usize {
        self.staying + self.proposed - self.quota
    }

    /// What the team can do, in words.
    pub fn remedies(&self) -> String {
        let side = match self.direction {
            Direction::Ingress => "clients",
            Direction::Egress => "servers",
        };
        let mut r = format!(
            "give its {side} one dedicated group that the rules reference instead of each group, or allow a port range instead of single ports (wider than the evidence), or raise the quota (Service Quotas {RULES_PER_GROUP}; rules per group times groups per interface, {} here, may not pass 1,000) and give --rule-quota",
            self.groups_per_interface
        );
        if !self.interfaces_at_group_quota.is_empty() {
            r.push_str(&format!(
                "; {} already have {} groups, the groups-per-interface quota ({GROUPS_PER_INTERFACE}): a dedicated group cannot be added to them",
                self.interfaces_at_group_quota.join(", "),
                self.groups_per_interface
            ));
        }
        r
    }
}

/// What fitting the proposal under the quota did.
#[derive(Debug, Clone, Default)]
pub struct Fit {
    /// The proposal's rules after the merges (unchanged when none).
    pub rules: Vec<Rule>,
    pub merges: Vec<Merge>,
    pub over: Vec<Over>,
}

/// A side's weight: one rule, or a prefix list's entries.
fn rule_weight(inv: &Inventory, r: &SgRule) -> usize {
    match &r.prefix_list_id {
        Some(p) => inv
            .prefix_lists
            .iter()
            .find(|pl| &pl.id == p)
            .map_or(1, |pl| pl.cidrs.len().max(1)),
        None => 1,
    }
}

/// Whether an existing rule is exactly a proposed half: the peer group,
/// protocol and ports.
fn same_half(r: &SgRule, peer: &str, p: &Rule) -> bool {
    r.referenced_group_id.as_deref() == Some(peer)
        && protocol_number(&r.protocol) == Some(p.proto)
        && (r.from_port, r.to_port) == (Some(p.from_port), Some(p.to_port))
}

/// The rules of today that stay, per group and direction: their weight,
/// and the rules themselves (a proposed half they already are adds none).
/// The same in every round of the fit: computed once.
struct Staying<'i> {
    weight: BTreeMap<(String, Direction), (usize, usize)>,
    rules: BTreeMap<(String, Direction), Vec<&'i SgRule>>,
}

impl<'i> Staying<'i> {
    fn of(inv: &'i Inventory, kept: &Kept) -> Staying<'i> {
        let mut weight: BTreeMap<(String, Direction), (usize, usize)> = BTreeMap::new();
        let mut rules: BTreeMap<(String, Direction), Vec<&SgRule>> = BTreeMap::new();
        for g in &inv.security_groups {
            for (d, list) in [
                (Direction::Ingress, &g.ingress),
                (Direction::Egress, &g.egress),
            ] {
                for (i, r) in list.iter().enumerate() {
                    if kept.kept(&g.id, d, i, r) {
                        weight.entry((g.id.clone(), d)).or_default().0 += rule_weight(inv, r);
                        rules.entry((g.id.clone(), d)).or_default().push(r);
                    }
                }
            }
        }
        Staying { weight, rules }
    }

    /// Per group and direction: (the weight of the rules that stay, the
    /// proposed halves they do not already hold).
    fn counts(&self, proposed: &[Rule]) -> BTreeMap<(String, Direction), (usize, usize)> {
        let mut out = self.weight.clone();
        for p in proposed {
            for (g, d, peer) in [
                (&p.source_sg, Direction::Egress, &p.target_sg),
                (&p.target_sg, Direction::Ingress, &p.source_sg),
            ] {
                let key = (g.clone(), d);
                let exists = self
                    .rules
                    .get(&key)
                    .is_some_and(|v| v.iter().any(|r| same_half(r, peer, p)));
                if !exists {
                    out.entry(key).or_default().1 += 1;
                }
            }
        }
        out
    }
}

/// Fits the proposal under `quotas`' rules per group and direction;
/// `used` is what today's rules carried ([`crate::audit::measure`] of `a`).
pub fn fit(a: &Analysis, quotas: Quotas, used: &RuleUse) -> Fit {
    let quota = quotas.rules_per_group;
    let inv = &a.inventory;
    let kept = Kept::new(inv, &used.0);
    let mut rules = a.proposal.rules.clone();
    // Per rule: the ports of its range no connection used (merges add them).
    let mut unseen: Vec<i32> = vec![0; rules.len()];
    let mut merges: Vec<Merge> = Vec::new();
    let staying = Staying::of(inv, &kept);
    loop {
        let c = staying.counts(&rules);
        let over = |g: &str, d: Direction| {
            c.get(&(g.to_string(), d))
                .is_some_and(|(s, n)| s + n > quota)
        };
        // The acceptable merge with the fewest unseen ports that relieves
        // a side over the quota.
        // Only entries of one pair of groups and one protocol (TCP or UDP,
        // with ports) merge: each such family is searched alone, not every
        // pair of entries of the proposal.
        let mut families: FxHashMap<(&str, &str, u8), Vec<usize>> = FxHashMap::default();
        for (i, r) in rules.iter().enumerate() {
            if matches!(r.proto, TCP | UDP) && r.from_port >= 0 {
                families
                    .entry((&r.source_sg, &r.target_sg, r.proto))
                    .or_default()
                    .push(i);
            }
        }
        let mut best: Option<(i32, usize, usize)> = None;
        for ((source, target, _), family) in &families {
            if !(over(source, Direction::Egress) || over(target, Direction::Ingress)) {
                continue;
            }
            for &i in family {
                for &j in family {
                    let (x, y) = (&rules[i], &rules[j]);
                    if i == j || x.from_port > y.from_port || (x.from_port == y.from_port && i > j)
                    {
                        continue;
                    }
                    let total = unseen[i] + unseen[j] + (y.from_port - x.to_port - 1).max(0);
                    if total <= MAX_UNSEEN && best.is_none_or(|b| (total, i, j) < b) {
                        best = Some((total, i, j));
                    }
                }
            }
        }
        let Some((_, i, j)) = best else {
            let mut over: Vec<Over> = c
                .iter()
                .filter(|(_, (s, n))| s + n > quota)
                .map(|((g, d), (s, n))| Over {
                    group_id: g.clone(),
                    group_name: inv.group(g).map(|x| x.name.clone()).unwrap_or_default(),
                    direction: *d,
                    staying: *s,
                    proposed: *n,
                    quota,
                    groups_per_interface: quotas.groups_per_interface,
                    interfaces_at_group_quota: inv
                        .network_interfaces
                        .iter()
                        .filter(|e| {
                            e.security_groups.contains(g)
                                && e.security_groups.len() >= quotas.groups_per_interface
                        })
                        .map(|e| e.id.clone())
                        .collect(),
                })
                .collect();
            over.sort_by(|x, y| (&x.group_id, x.direction).cmp(&(&y.group_id, y.direction)));
            return Fit {
                rules,
                merges,
                over,
            };
        };
        let (y, uy) = (rules.remove(j), unseen.remove(j));
        let k = if j < i { i - 1 } else { i };
        let x = &mut rules[k];
        let total = unseen[k] + uy + (y.from_port - x.to_port - 1).max(0);
        unseen[k] = total;
        x.to_port = x.to_port.max(y.to_port);
        let e = &mut x.evidence;
        e.connections = e.connections.saturating_add(y.evidence.connections);
        e.records = e.records.saturating_add(y.evidence.records);
        e.bytes = e.bytes.saturating_add(y.evidence.bytes);
        e.first = e.first.min(y.evidence.first);
        e.last = e.last.max(y.evidence.last);
        for (mine, theirs) in [
            (&mut e.client_enis, &y.evidence.client_enis),
            (&mut e.server_enis, &y.evidence.server_enis),
        ] {
            mine.extend(theirs.iter().cloned());
            mine.sort();
            mine.dedup();
        }
        for (m, n) in &y.evidence.initiator {
            *e.initiator.entry(m).or_default() += n;
        }
        e.allowed_pairs = e.allowed_pairs.max(y.evidence.allowed_pairs);
        e.observed_pairs = e.observed_pairs.max(y.evidence.observed_pairs);
        merges.retain(|m: &Merge| {
            !(m.source_sg == x.source_sg
                && m.target_sg == x.target_sg
                && m.proto == x.proto
                && m.from_port >= x.from_port
                && m.to_port <= x.to_port)
        });
        merges.push(Merge {
            source_sg: x.source_sg.clone(),
            target_sg: x.target_sg.clone(),
            proto: x.proto,
            from_port: x.from_port,
            to_port: x.to_port,
            unseen: total,
        });
    }
}
