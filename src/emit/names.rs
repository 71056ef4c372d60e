//! Names shared by every output: stable, readable keys for the rules and the
//! display names of security groups and protocols.

use std::collections::BTreeMap;

use crate::emit::escape::slug;
use crate::inventory::Inventory;
use crate::reduce::{ICMP, ICMPV6, TCP, UDP};
use crate::synthesize::Rule;

/// Protocol as the module (and `ip_protocol`) spells it.
pub fn protocol(proto: u8) -> String {
    match proto {
        TCP => "tcp".into(),
        UDP => "udp".into(),
        ICMP => "icmp".into(),
        ICMPV6 => "icmpv6".into(),
        n => n.to_string(),
    }
}

/// `8080/tcp`, `8080-8082/tcp`, `icmp type 8`, `icmp (all types)`, `protocol 47`.
pub fn service(rule: &Rule) -> String {
    let p = protocol(rule.proto);
    match rule.proto {
        TCP | UDP if rule.from_port == rule.to_port => format!("{}/{p}", rule.from_port),
        TCP | UDP => format!("{}-{}/{p}", rule.from_port, rule.to_port),
        ICMP | ICMPV6 if rule.from_port < 0 => format!("{p} (all types)"),
        ICMP | ICMPV6 => format!("{p} type {}", rule.from_port),
        _ => format!("protocol {p}"),
    }
}

/// Short names of security groups for keys: the group name as a slug; the
/// group id where the name gives nothing or two groups share a slug.
pub struct GroupNames {
    slugs: BTreeMap<String, String>,
}

impl GroupNames {
    pub fn new(inv: &Inventory) -> Self {
        let mut by_slug: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for g in &inv.security_groups {
            by_slug.entry(slug(&g.name)).or_default().push(&g.id);
        }
        let mut slugs = BTreeMap::new();
        for g in &inv.security_groups {
            let s = slug(&g.name);
            let name = if s.is_empty() || by_slug[&s].len() > 1 {
                if s.is_empty() {
                    slug(&g.id)
                } else {
                    format!("{s}-{}", slug(&g.id))
                }
            } else {
                s
            };
            slugs.insert(g.id.clone(), name);
        }
        GroupNames { slugs }
    }

    /// The key part for a group id (the id itself for a group not in the inventory).
    pub fn slug(&self, id: &str) -> String {
        self.slugs.get(id).cloned().unwrap_or_else(|| slug(id))
    }
}

/// One key per rule, in rule order: `web-to-db-tcp-5432`,
/// `web-to-db-tcp-8080-8082`, `mon-to-db-icmp-all`, `a-to-b-proto-47`.
/// Unique: a clash gets `-2`, `-3`, ... in rule order.
pub fn rule_keys(rules: &[Rule], inv: &Inventory) -> Vec<String> {
    let names = GroupNames::new(inv);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    rules
        .iter()
        .map(|r| {
            let svc = match r.proto {
                TCP | UDP if r.from_port == r.to_port => {
                    format!("{}-{}", protocol(r.proto), r.from_port)
                }
                TCP | UDP => format!("{}-{}-{}", protocol(r.proto), r.from_port, r.to_port),
                ICMP | ICMPV6 if r.from_port < 0 => format!("{}-all", protocol(r.proto)),
                ICMP | ICMPV6 => format!("{}-{}", protocol(r.proto), r.from_port),
                n => format!("proto-{n}"),
            };
            let base = format!(
                "{}-to-{}-{svc}",
                names.slug(&r.source_sg),
                names.slug(&r.target_sg)
            );
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            if *n == 1 { base } else { format!("{base}-{n}") }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::SecurityGroup;
    use crate::synthesize::RuleEvidence;

    fn sg(id: &str, name: &str) -> SecurityGroup {
        SecurityGroup::new(id, name)
    }

    fn rule(s: &str, t: &str, proto: u8, from: i32, to: i32) -> Rule {
        Rule {
            source_sg: s.into(),
            target_sg: t.into(),
            proto,
            from_port: from,
            to_port: to,
            evidence: RuleEvidence {
                connections: 1,
                records: 1,
                bytes: 1,
                first: 0,
                last: 0,
                client_enis: vec![],
                server_enis: vec![],
                initiator: Default::default(),
                allowed_pairs: 1,
                observed_pairs: 1,
            },
        }
    }

    #[test]
    fn keys_are_readable_and_unique() {
        let inv = Inventory {
            security_groups: vec![
                sg("sg-01", "Web Tier"),
                sg("sg-02", "db"),
                sg("sg-03", "app"),
                sg("sg-04", "app"),
                sg("sg-05", "${evil}"),
            ],
            ..Default::default()
        };
        let rules = vec![
            rule("sg-01", "sg-02", TCP, 5432, 5432),
            rule("sg-01", "sg-02", TCP, 8080, 8082),
            rule("sg-03", "sg-04", UDP, 53, 53),
            rule("sg-05", "sg-02", ICMP, -1, -1),
            rule("sg-05", "sg-02", ICMP, 8, -1),
            rule("sg-01", "sg-99", 47, -1, -1),
        ];
        assert_eq!(
            rule_keys(&rules, &inv),
            vec![
                "web-tier-to-db-tcp-5432",
                "web-tier-to-db-tcp-8080-8082",
                "app-sg-03-to-app-sg-04-udp-53",
                "evil-to-db-icmp-all",
                "evil-to-db-icmp-8",
                "web-tier-to-sg-99-proto-47",
            ]
        );
        assert_eq!(service(&rules[1]), "8080-8082/tcp");
        assert_eq!(service(&rules[3]), "icmp (all types)");
    }
}
