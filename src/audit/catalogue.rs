//! The finding catalogue: every kind of finding the audit reports, with
//! its stable id, its title, the severity its findings have, what it means
//! and what to do about it, in one table. The reports print the id and
//! title; SARIF lists the table as its driver's rules.

use serde::Serialize;

use crate::synthesize::Severity;

/// A kind of finding. The order is the catalogue's (and the sort order of
/// findings of one severity); the JSON spells it in kebab case.
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
    WindowNotFilled,
}

/// What the catalogue says of one kind of finding.
#[derive(Debug)]
pub struct Entry {
    pub kind: FindingKind,
    /// `SGP001`: stable from release to release (SARIF's rule id).
    pub id: &'static str,
    /// `OpenEgress`: the kind in one word (SARIF's rule name).
    pub name: &'static str,
    pub title: &'static str,
    /// The severity of its findings; suspicious traffic has each flow's
    /// own, and this is the usual one.
    pub severity: Severity,
    /// What the finding means and why it matters.
    pub description: &'static str,
    /// What to do about it, in general (each finding has its own fix).
    pub help: &'static str,
}

/// Every kind of finding, in [`FindingKind`] order.
pub const CATALOGUE: [Entry; 13] = [
    Entry {
        kind: FindingKind::OpenEgress,
        id: "SGP001",
        name: "OpenEgress",
        title: "Open egress",
        severity: Severity::High,
        description: "A security group allows all traffic to 0.0.0.0/0 or ::/0. Every member can reach any address on any port, so a compromised host can exfiltrate data or reach command-and-control servers unhindered.",
        help: "Apply the proposed mutual rules and explicit rules for the outbound traffic the flow logs show (see the 'would break' findings), then remove the open egress rule.",
    },
    Entry {
        kind: FindingKind::OneSidedRule,
        id: "SGP002",
        name: "OneSidedRule",
        title: "One-sided rule",
        severity: Severity::Low,
        description: "A rule references another security group, but that group has no matching rule in the other direction (egress without the peer's ingress, or the reverse). Traffic needs both halves, so the rule is dead or the pair is incomplete.",
        help: "Write rules as pairs, as the mutual-security-groups module does, or remove the dead half.",
    },
    Entry {
        kind: FindingKind::UnusedRule,
        id: "SGP003",
        name: "UnusedRule",
        title: "Rule unused in the window",
        severity: Severity::Low,
        description: "No accepted connection in the flow-log window matched this rule. Unused rules widen what an attacker can reach without serving any observed traffic.",
        help: "Remove the rule, or keep it deliberately (a failover path, a rare job) and run over a longer window to prove its use.",
    },
    Entry {
        kind: FindingKind::BroaderThanUsed,
        id: "SGP004",
        name: "BroaderThanUsed",
        title: "Rule broader than its use",
        severity: Severity::Low,
        description: "The rule allows more ports or addresses than the traffic in the window used, for example a port range when one port was used, or a wide CIDR when a few addresses were.",
        help: "Narrow the rule to what was used; the proposed rules do.",
    },
    Entry {
        kind: FindingKind::WouldBreak,
        id: "SGP005",
        name: "WouldBreak",
        title: "Traffic the proposed change would break",
        severity: Severity::Medium,
        description: "Accepted traffic in the window is allowed today only by rules the proposed change removes (open egress or unused rules), and no proposed rule covers it.",
        help: "Before removing open egress, add an explicit rule for this traffic (a prefix list, a CIDR or an endpoint), or confirm it is not needed.",
    },
    Entry {
        kind: FindingKind::NotAllowedToday,
        id: "SGP006",
        name: "NotAllowedToday",
        title: "Accepted traffic that today's rules do not allow",
        severity: Severity::Low,
        description: "The flow logs show accepted connections that no rule in the inventory allows: the rules changed during the window, or the inventory snapshot is stale.",
        help: "Take a fresh inventory (sgpair inventory) and run again.",
    },
    Entry {
        kind: FindingKind::Suspicious,
        id: "SGP007",
        name: "Suspicious",
        title: "Suspicious traffic",
        severity: Severity::High,
        description: "Traffic that looks like abuse, which sgpair never turns into a rule: IRC (6660-6669, 6697) and cryptocurrency mining pools (14433, 14444, 45560, 45700) between any two ends; from an interface to the internet, outbound mail (SMTP, 25), mining-pool and reverse-shell ports (3333, 4444, 5555, 7777) and Tor (9001, 9030, 9050-9051, 9150); DNS (53) to a resolver other than the VPC's; and, accepted from the internet by an interface, remote administration (SSH 22, Telnet 23, RDP 3389, WinRM 5985-5986, VNC 5900) and Windows file sharing (SMB 445). All on TCP; DNS on TCP or UDP.",
        help: "Investigate the hosts involved; restrict the rule that allows the traffic, or remove open egress so that it is blocked.",
    },
    Entry {
        kind: FindingKind::NoFlowLogs,
        id: "SGP008",
        name: "NoFlowLogs",
        title: "Interface or subnet without flow logs",
        severity: Severity::Medium,
        description: "No flow log covers this interface (by interface, subnet or VPC), so its traffic is invisible to sgpair and rules it needs may be missing from the proposal.",
        help: "Enable a flow log on the interface, its subnet or its VPC, and run sgpair again after a full window.",
    },
    Entry {
        kind: FindingKind::SkipData,
        id: "SGP009",
        name: "SkipData",
        title: "Gap in the flow logs (SKIPDATA)",
        severity: Severity::Low,
        description: "The flow logs contain SKIPDATA records: capture intervals whose records were lost. Traffic in those intervals is missing from the evidence.",
        help: "Widen the window, and check the flow log's delivery (throttling, capacity).",
    },
    Entry {
        kind: FindingKind::ShortWindow,
        id: "SGP010",
        name: "ShortWindow",
        title: "Window too short to trust",
        severity: Severity::Medium,
        description: "The flow logs cover less than seven days; weekly jobs, backups and failovers may not appear, and the rules they need would be missing.",
        help: "Run over at least 7 days (--since 7d), better 30, before removing open egress.",
    },
    Entry {
        kind: FindingKind::ThinEvidence,
        id: "SGP011",
        name: "ThinEvidence",
        title: "Rule resting on thin evidence",
        severity: Severity::Low,
        description: "A proposed rule rests on a single connection, or on connections from a single day: it may be a one-off (a migration, a test) rather than a dependency.",
        help: "Check the traffic is wanted before allowing it permanently.",
    },
    Entry {
        kind: FindingKind::UndecidedInitiator,
        id: "SGP012",
        name: "UndecidedInitiator",
        title: "Traffic with an undecided initiator",
        severity: Severity::Low,
        description: "For some aggregates the logs cannot tell which side opened the connections, so no rule is proposed for them.",
        help: "Add tcp-flags to the flow-log format, or write rules for these flows by hand if they are wanted.",
    },
    Entry {
        kind: FindingKind::WindowNotFilled,
        id: "SGP013",
        name: "WindowNotFilled",
        title: "Source that does not fill the window",
        severity: Severity::Medium,
        description: "A source's records stop more than a day short of an end of the window, or it has none in it (a delivery that broke, an export that stopped, logs enabled late): traffic in the time it misses is not in the evidence, and rules it needs may be missing from the proposal.",
        help: "Check the source's delivery for the time it misses, or set --since and --until to the time the logs cover, before removing open egress.",
    },
];

impl FindingKind {
    /// The kind's entry in the [`CATALOGUE`].
    pub fn entry(self) -> &'static Entry {
        &CATALOGUE[self as usize]
    }

    pub fn id(self) -> &'static str {
        self.entry().id
    }

    pub fn title(self) -> &'static str {
        self.entry().title
    }

    pub fn severity(self) -> Severity {
        self.entry().severity
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_table_is_in_kind_order_with_distinct_ids_and_names() {
        for (i, e) in CATALOGUE.iter().enumerate() {
            assert_eq!(e.kind as usize, i, "{e:?}");
            assert_eq!(e.id, format!("SGP{:03}", i + 1));
            assert!(
                e.name.chars().all(|c| c.is_ascii_alphanumeric()),
                "{}",
                e.name
            );
            for text in [e.title, e.description, e.help] {
                assert!(text.len() > 10 && !text.contains('\n'), "{text:?}");
            }
        }
        let names: BTreeSet<&str> = CATALOGUE.iter().map(|e| e.name).collect();
        let titles: BTreeSet<&str> = CATALOGUE.iter().map(|e| e.title).collect();
        assert_eq!((names.len(), titles.len()), (13, 13));
    }

    /// `OpenEgress` for the JSON's `open-egress`: the name is the kind's
    /// JSON spelling, so that the two never tell different stories.
    #[test]
    fn names_are_the_json_spelling_in_pascal_case() {
        for e in &CATALOGUE {
            let kebab = serde_json::to_value(e.kind).unwrap();
            let pascal: String = kebab
                .as_str()
                .unwrap()
                .split('-')
                .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
                .collect();
            assert_eq!(e.name, pascal);
        }
    }
}
