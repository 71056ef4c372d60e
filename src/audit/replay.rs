//! `sgpair check`: new flow logs replayed against a proposal. The after
//! state is today's rules less open egress and the rules the proposal
//! removes, plus the proposal's entries and the rules its Terraform
//! folder's resources create (`egress.tf`); every accepted connection today's
//! rules allow and the after state does not is listed, per group. The rule
//! matching is the audit's own (`matching.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::audit::Direction;
use crate::audit::before_after::{Additions, Proposed, rules_in, suspicious_keys};
use crate::audit::matching::{Groups, added_rules, matching_rules, sides};
use crate::audit::usage::{is_open_egress, peer_label};
use crate::inventory::{SecurityGroup, SgRule};
use crate::present::{count, service};
use crate::proposal::Entry;
use crate::stats::{Fill, Stats};
use crate::window::Window;

/// One of today's rules the proposal removes, as the JSON report's
/// `audit.rules` lists it (`"removed": true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedRule {
    pub group_id: String,
    pub direction: Direction,
    #[serde(default)]
    pub rule_id: Option<String>,
    pub protocol: String,
    #[serde(default)]
    pub from_port: Option<i32>,
    #[serde(default)]
    pub to_port: Option<i32>,
    pub peer: String,
}

impl RemovedRule {
    /// Whether it is rule `r` of group `g`'s `d` list: by its id where both
    /// have one, else by protocol, ports and peer.
    fn is(&self, g: &str, d: Direction, r: &SgRule) -> bool {
        if self.group_id != g || self.direction != d {
            return false;
        }
        if let (Some(a), Some(b)) = (&self.rule_id, &r.rule_id) {
            return a == b;
        }
        self.protocol == r.protocol
            && self.from_port == r.from_port
            && self.to_port == r.to_port
            && self.peer == peer_label(r)
    }
}

/// Accepted connections of one flow the after state would block.
#[derive(Debug, Clone, Serialize)]
pub struct Blocked {
    /// The group whose rules no longer allow it, and on which side.
    pub group_id: String,
    pub group_name: String,
    pub direction: Direction,
    /// The client as the text output shows it: its label and its address
    /// (`eni-0a1 (10.0.1.10)`, `internet (203.0.113.7 and 2 more)`).
    pub client: String,
    pub server: String,
    /// Each end apart, for machines: what the display strings hold.
    pub client_end: BlockedEnd,
    pub server_end: BlockedEnd,
    pub service: String,
    pub connections: u64,
    pub first: i64,
    pub last: i64,
    /// A flow the proposal leaves out on purpose (reported, not failing).
    pub suspicious: bool,
}

/// One end of a blocked flow: a flow merges the connections whose ends
/// have one label, so an end such as `internet` may stand for many
/// addresses.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BlockedEnd {
    /// What resolution made of it (`eni-0a1`, `internet`, `AWS service S3`).
    pub label: String,
    /// The interface, where the end is one (known to the inventory or not).
    pub interface_id: Option<String>,
    /// The lowest [`ADDRESSES_SHOWN`] addresses, in order.
    pub addresses: Vec<IpAddr>,
    /// How many distinct addresses the end had.
    pub address_count: usize,
    /// Every distinct address, until the flow is complete.
    #[serde(skip)]
    all: BTreeSet<IpAddr>,
}

/// Addresses listed per end of a blocked flow; the count says the rest.
pub const ADDRESSES_SHOWN: usize = 5;

impl BlockedEnd {
    fn new(end: &crate::endpoint::Endpoint) -> BlockedEnd {
        BlockedEnd {
            label: end.label(),
            interface_id: end.interface().map(str::to_string),
            ..BlockedEnd::default()
        }
    }

    /// Fixes the listed addresses and their count once every connection
    /// of the flow is in, and returns the display string.
    fn settle(&mut self) -> String {
        let all = std::mem::take(&mut self.all);
        self.address_count = all.len();
        self.addresses = all.into_iter().take(ADDRESSES_SHOWN).collect();
        let mut shown = self
            .addresses
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        if self.address_count > 1 {
            shown.push_str(&format!(" and {} more", self.address_count - 1));
        }
        format!("{} ({shown})", self.label)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Replay {
    /// `--group`: the one group checked; none: every group.
    pub group: Option<String>,
    pub proposed_entries: usize,
    /// The rules the resources of the proposal's Terraform folder create
    /// (`egress.tf`: egress the module cannot express), and their files.
    pub terraform_rules: usize,
    pub terraform_files: Vec<String>,
    /// The removed rules this check takes away: those of a group the
    /// inventory holds (with `--group`, of that group). A rule of a group
    /// the inventory lacks is said in a warning, not counted.
    pub removed_rules: usize,
    /// Accepted connections in the logs.
    pub observed_connections: u64,
    /// Accepted connections today's rules (the inventory) do not allow
    /// either: a stale inventory, not the proposal's doing.
    pub not_allowed_today: u64,
    /// Accepted connections the after state blocks (each once, whichever
    /// sides lose it), suspicious flows aside: non-zero fails the check.
    pub blocked_connections: u64,
    /// Per group, then flow; suspicious flows included, marked.
    pub blocked: Vec<Blocked>,
    /// `--group`: what the logs saw of that group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen: Option<GroupSeen>,
}

/// What the logs saw of the group `--group` checks: a check that saw
/// nothing of it passes whatever the rules, so whether its interfaces were
/// logged at all tells a quiet group from one the flow logs do not cover.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupSeen {
    /// Accepted connections with the group at either end.
    pub connections: u64,
    /// The inventory's interfaces that hold the group.
    pub interfaces: Vec<String>,
    /// Those of them that captured a record in the window (a branch
    /// interface: its trunk, which logs its traffic).
    pub logged: Vec<String>,
}

impl GroupSeen {
    fn of(a: &Analysis, g: &str) -> GroupSeen {
        let captured = |id: &str| a.stats.interfaces.contains_key(id);
        let mut seen = GroupSeen::default();
        for e in &a.inventory.network_interfaces {
            if !e.security_groups.iter().any(|s| s == g) {
                continue;
            }
            seen.interfaces.push(e.id.clone());
            if captured(&e.id) || e.trunk_interface_id.as_deref().is_some_and(captured) {
                seen.logged.push(e.id.clone());
            }
        }
        seen
    }
}

impl Replay {
    /// Connections that fail the check (suspicious flows aside).
    pub fn failing(&self) -> u64 {
        self.blocked_connections
    }
}

/// A whole `check`: the replay, and what it read to get there (the same
/// window, counts and spans an `infer` reports), so that a pass can be
/// weighed against the evidence behind it.
#[derive(Debug, Clone)]
pub struct Checked {
    pub replay: Replay,
    pub window: Window,
    pub stats: Stats,
    pub fill: Fill,
    /// Inputs that only partly fit together (a report's groups the
    /// inventory lacks), in plain sentences.
    pub warnings: Vec<String>,
}

/// What a check tells CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every record was read, and nothing accepted would be blocked.
    Ok,
    /// An accepted connection would be blocked (whatever else was read).
    Blocked,
    /// Nothing would be blocked in what was read, but not everything could
    /// be read: a pass on evidence the gate did not see is no pass.
    Inconclusive,
}

impl Checked {
    /// Why what was read is not the whole evidence: sources missing under
    /// `--allow-partial`, records that could not be read. Empty when the
    /// evidence was read whole.
    pub fn incomplete(&self) -> Vec<String> {
        let mut out = Vec::new();
        let s = &self.stats;
        if !s.missing.is_empty() {
            out.push(format!(
                "{} could not be read in full (--allow-partial): {}",
                count(s.missing.len() as u64, "source"),
                s.missing.join("; ")
            ));
        }
        let unreadable = s.unreadable();
        if unreadable > 0 {
            let reasons: Vec<String> = s
                .unreadable_reasons()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            out.push(format!(
                "{} of {} could not be read ({})",
                unreadable,
                count(s.records.max(unreadable), "record"),
                reasons.join(", ")
            ));
        }
        out
    }

    /// Whether [`Checked::incomplete`] has anything to say, without
    /// saying it.
    fn read_whole(&self) -> bool {
        self.stats.missing.is_empty() && self.stats.unreadable() == 0
    }

    pub fn verdict(&self) -> Verdict {
        if self.replay.failing() > 0 {
            Verdict::Blocked
        } else if self.read_whole() {
            Verdict::Ok
        } else {
            Verdict::Inconclusive
        }
    }
}

/// The rules a proposal adds: its module entries, and the rules its
/// Terraform folder's resources create (per group, those rules only).
#[derive(Debug, Clone, Copy)]
pub struct Added<'p> {
    pub entries: &'p [Entry],
    pub resources: &'p [SecurityGroup],
    /// The files the resources are in, for the output.
    pub files: &'p [std::path::PathBuf],
}

/// Replays `a`'s connections against the after state of `added` and
/// `removed`; with `only`, that group alone loses its open egress and
/// removed rules, and only its sides are checked.
pub fn replay(
    a: &Analysis,
    added: Added<'_>,
    removed: &[RemovedRule],
    only: Option<&str>,
) -> Replay {
    let inv = &a.inventory;
    let checked = |g: &str| only.is_none_or(|o| o == g);
    let by_id = Groups::new(inv);
    let resources = added_rules(added.resources, inv);
    let proposal = added.entries;
    let mut proposed = Proposed::default();
    for e in proposal {
        // Every protocol: the audit's spelling, protocol 0 with ports -1..-1
        // covers nothing, so such entries are matched below.
        let ports = (e.proto.unwrap_or(0), e.from_port, e.to_port);
        proposed.push(&e.source_sg, Direction::Egress, &e.target_sg, ports);
        proposed.push(&e.target_sg, Direction::Ingress, &e.source_sg, ports);
    }
    let all_protocols: Vec<(&str, &str, Direction)> = proposal
        .iter()
        .filter(|e| e.proto.is_none())
        .flat_map(|e| {
            [
                (
                    e.source_sg.as_str(),
                    e.target_sg.as_str(),
                    Direction::Egress,
                ),
                (
                    e.target_sg.as_str(),
                    e.source_sg.as_str(),
                    Direction::Ingress,
                ),
            ]
        })
        .collect();
    let adds = Additions::new(&resources, proposed);
    let suspicious = suspicious_keys(a);
    let mut out = Replay {
        group: only.map(str::to_string),
        proposed_entries: proposal.len(),
        terraform_rules: rules_in(added.resources),
        terraform_files: added
            .files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        // The ones this check takes away: of a group the inventory holds
        // (and with --group, of that group).
        removed_rules: removed
            .iter()
            .filter(|x| checked(&x.group_id) && inv.group(&x.group_id).is_some())
            .count(),
        seen: only.map(|g| GroupSeen::of(a, g)),
        ..Replay::default()
    };
    type FlowKey = (String, Direction, String, String, String);
    let mut blocked: BTreeMap<FlowKey, Blocked> = BTreeMap::new();
    for c in &a.evidence.connections {
        out.observed_connections = out.observed_connections.saturating_add(c.connections);
        let sides = sides(c);
        if let (Some(seen), Some(g)) = (&mut out.seen, only)
            && sides.iter().any(|(s, _)| s.groups.iter().any(|x| *x == g))
        {
            seen.connections = seen.connections.saturating_add(c.connections);
        }
        let mut today_all = true;
        let mut lost: Vec<(String, Direction)> = Vec::new();
        for (side, _) in sides {
            let mut today = false;
            let mut after = false;
            for (g, _, r) in matching_rules(&by_id, &side, c) {
                today = true;
                let gone = checked(g)
                    && ((side.direction == Direction::Egress && is_open_egress(r))
                        || removed.iter().any(|x| x.is(g, side.direction, r)));
                after |= !gone;
            }
            after |= adds.allow(&side, c);
            after |= side.groups.iter().any(|g| {
                all_protocols.iter().any(|(mine, peer, d)| {
                    *d == side.direction && mine == g && side.other_groups.iter().any(|o| o == peer)
                })
            });
            today_all &= today;
            if today
                && !after
                && let Some(g) = side.groups.iter().find(|g| checked(g))
            {
                lost.push((g.to_string(), side.direction));
            }
        }
        if !today_all {
            out.not_allowed_today = out.not_allowed_today.saturating_add(c.connections);
            continue;
        }
        let is_suspicious = suspicious.contains(&(c.client, c.server, c.port, c.proto));
        if !lost.is_empty() && !is_suspicious {
            out.blocked_connections = out.blocked_connections.saturating_add(c.connections);
        }
        for (g, d) in lost {
            let (client, server) = (c.client_end.label(), c.server_end.label());
            let svc = service::of_port(c.port, c.proto);
            let name = inv.group(&g).map(|s| s.name.clone()).unwrap_or_default();
            let e = blocked
                .entry((g.clone(), d, client.clone(), server.clone(), svc.clone()))
                .or_insert_with(|| Blocked {
                    group_id: g,
                    group_name: name,
                    direction: d,
                    client: String::new(),
                    server: String::new(),
                    client_end: BlockedEnd::new(&c.client_end),
                    server_end: BlockedEnd::new(&c.server_end),
                    service: svc,
                    connections: 0,
                    first: c.first,
                    last: c.last,
                    suspicious: is_suspicious,
                });
            e.connections = e.connections.saturating_add(c.connections);
            e.client_end.all.insert(c.client);
            e.server_end.all.insert(c.server);
            e.first = e.first.min(c.first);
            e.last = e.last.max(c.last);
        }
    }
    out.blocked = blocked
        .into_values()
        .map(|mut b| {
            b.client = b.client_end.settle();
            b.server = b.server_end.settle();
            b
        })
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An end that stood for many addresses says so: its display names the
    /// lowest and how many more, and the JSON lists the lowest few.
    #[test]
    fn an_end_of_many_addresses_counts_them() {
        let mut end = BlockedEnd {
            label: "internet".into(),
            ..BlockedEnd::default()
        };
        for i in (1..=7u8).rev() {
            end.all.insert(IpAddr::from([203, 0, 113, i]));
        }
        assert_eq!(end.settle(), "internet (203.0.113.1 and 6 more)");
        assert_eq!(end.address_count, 7);
        assert_eq!(end.addresses.len(), ADDRESSES_SHOWN);
        assert_eq!(end.addresses[0], IpAddr::from([203, 0, 113, 1]));

        let mut one = BlockedEnd::default();
        one.all.insert(IpAddr::from([10, 0, 0, 1]));
        one.label = "eni-1".into();
        assert_eq!(one.settle(), "eni-1 (10.0.0.1)");
    }
}
