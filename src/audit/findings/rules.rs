//! Findings about today's rules, from their usage: open egress (SGP001),
//! one-sided rules (SGP002), unused rules (SGP003) and rules broader than
//! their use (SGP004).

use std::collections::BTreeMap;

use crate::audit::findings::fingerprint;
use crate::audit::usage::{USED_AS_WRITTEN, spell_used};
use crate::audit::{Direction, Finding, FindingKind, RuleUsage};
use crate::inventory::{Inventory, Members, protocol_number};
use crate::present::{count, service};
use crate::synthesize::Rule;

/// One finding per group whose egress is open to everything.
pub(super) fn open_egress(members: &Members, rules: &[RuleUsage]) -> Vec<Finding> {
    let mut by_group: BTreeMap<(&str, &str), Vec<&RuleUsage>> = BTreeMap::new();
    for u in rules.iter().filter(|u| is_open(u)) {
        by_group
            .entry((&u.group_id, &u.group_name))
            .or_default()
            .push(u);
    }
    by_group
        .into_iter()
        .map(|((id, name), us)| {
            let enis = member_ids(members, id);
            let peers: Vec<&str> = us.iter().map(|u| u.peer.as_str()).collect();
            let used: u64 = us.iter().map(|u| u.connections).sum();
            Finding {
                groups: vec![id.to_string()],
                evidence: format!(
                    "any destination is reachable from {}; {} left through it in the window",
                    count(enis.len() as u64, "interface"),
                    count(used, "connection"),
                ),
                enis,
                fix: "Apply the proposed mutual rules and the explicit rules listed under 'would break', then remove the open egress rules.".into(),
                ..Finding::new(
                    FindingKind::OpenEgress,
                    fingerprint(&["open-egress", id]),
                    format!("{id} ({name}) egress to {}, all traffic", peers.join(" and ")),
                )
            }
        })
        .collect()
}

/// Rules that carried nothing and that the change removes (open egress has
/// its own finding; a load balancer's public listener is kept).
pub(super) fn unused(members: &Members, rules: &[RuleUsage]) -> Vec<Finding> {
    rules
        .iter()
        .filter(|u| !is_open(u) && u.connections == 0 && u.removed)
        .map(|u| Finding {
            groups: vec![u.group_id.clone()],
            enis: member_ids(members, &u.group_id),
            evidence: "no accepted connection in the window matched this rule".into(),
            fix: "The proposed change removes it. Keep it instead if it serves traffic rarer than the window (a failover path, a monthly job), and widen the window to prove it.".into(),
            ..Finding::new(
                FindingKind::UnusedRule,
                rule_fingerprint("unused", u),
                rule_subject(u),
            )
        })
        .collect()
}

/// Rules that carried traffic on fewer ports or peers than they allow
/// (a public web entry is broad by design).
pub(super) fn broader_than_used(
    members: &Members,
    rules: &[RuleUsage],
    proposed: &[Rule],
    keys: &[String],
) -> Vec<Finding> {
    rules
        .iter()
        .filter(|u| {
            !is_open(u) && u.connections > 0 && u.summary != USED_AS_WRITTEN && !public_web(u)
        })
        .map(|u| Finding {
            groups: vec![u.group_id.clone()],
            enis: member_ids(members, &u.group_id),
            evidence: u.summary.clone(),
            fix: broader_fix(u, proposed, keys),
            ..Finding::new(
                FindingKind::BroaderThanUsed,
                rule_fingerprint("broader", u),
                rule_subject(u),
            )
        })
        .collect()
}

/// Rules referencing a group that has no matching rule the other way:
/// traffic needs both halves.
pub(super) fn one_sided(inv: &Inventory, members: &Members, rules: &[RuleUsage]) -> Vec<Finding> {
    let mut out = Vec::new();
    for u in rules
        .iter()
        .filter(|u| !is_open(u) && u.peer.starts_with("sg-"))
    {
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
                    || (want_dir == Direction::Egress && r.cidr.is_some_and(|c| c.is_everything()));
                same_proto && covers_ports && peer_ok
            })
        });
        if matched {
            continue;
        }
        let fix = if u.connections == 0 {
            "It carried no connection in the window (it cannot without its other half), and the proposed change removes it. If the traffic is wanted, write both halves as a pair with the mutual-security-groups module."
        } else {
            "Add the missing half on the other group, or write both halves as a pair with the mutual-security-groups module."
        };
        out.push(Finding {
            groups: vec![u.group_id.clone(), u.peer.clone()],
            enis: member_ids(members, &u.group_id),
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
            ..Finding::new(
                FindingKind::OneSidedRule,
                rule_fingerprint("one-sided", u),
                rule_subject(u),
            )
        });
    }
    out
}

/// `sg-db (db) ingress from 10.0.0.0/8 22/tcp`.
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
    if u.used_service_count > 0 && u.summary.contains(" allowed, only ") {
        let used = spell_used(&u.protocol, u.used_services.iter().take(5));
        let noun = if protocol_number(&u.protocol).is_some() {
            "port"
        } else {
            "service"
        };
        what.push(format!(
            "the {} used ({}{})",
            if u.used_service_count == 1 {
                noun.to_string()
            } else {
                format!("{noun}s")
            },
            used.join(", "),
            more(u.used_service_count, used.len()),
        ));
    }
    if !u.peer.starts_with("sg-") && !u.peer.starts_with("pl-") {
        what.push(format!(
            "the {} {} seen ({}{})",
            u.used_peers,
            match (u.direction, u.used_peers) {
                (Direction::Ingress, 1) => "source",
                (Direction::Ingress, _) => "sources",
                (Direction::Egress, 1) => "destination",
                (Direction::Egress, _) => "destinations",
            },
            u.used_peer_examples.join(", "),
            more(u.used_peers, u.used_peer_examples.len()),
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

/// ", and 3 more" after `shown` of `total` items listed, else nothing.
fn more(total: usize, shown: usize) -> String {
    if total > shown {
        format!(", and {} more", total - shown)
    } else {
        String::new()
    }
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

/// All traffic to anywhere.
fn is_open(u: &RuleUsage) -> bool {
    u.direction == Direction::Egress
        && u.protocol == "-1"
        && (u.peer == "0.0.0.0/0" || u.peer == "::/0")
}

/// The ids of the interfaces that have `group`.
fn member_ids(members: &Members, group: &str) -> Vec<String> {
    members
        .of_group(group)
        .iter()
        .map(|e| e.id.clone())
        .collect()
}
