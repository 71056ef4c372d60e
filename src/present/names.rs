//! Names shared by every output: stable, readable keys for the rules and the
//! display names of security groups and protocols.

use std::collections::BTreeMap;

use crate::inventory::{Inventory, UNKNOWN_ACCOUNT};
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

/// Short names of security groups for keys: the group name as a slug and
/// the tail of the group id, always both, so that a key never depends on
/// which other groups exist (a second group named like the first, a copy of
/// the stack in another VPC, renames nothing).
pub struct GroupNames {
    slugs: BTreeMap<String, String>,
}

/// Characters of the group id kept in a key: enough to tell an account's
/// groups apart, short enough to read.
const ID_TAIL: usize = 8;

impl GroupNames {
    pub fn new(inv: &Inventory) -> Self {
        let short = |g: &crate::inventory::SecurityGroup| {
            let id = slug(g.id.strip_prefix("sg-").unwrap_or(&g.id));
            let tail = &id[id.len().saturating_sub(ID_TAIL)..];
            let name = slug(&g.name);
            if name.is_empty() || name == tail {
                tail.to_string()
            } else {
                format!("{name}-{tail}")
            }
        };
        // Clashes are counted per account, so that an account's keys in an
        // estate are those of a run on its inventory alone.
        let shorts: Vec<(Option<&str>, String)> = inv
            .security_groups
            .iter()
            .map(|g| (inv.account_of(g), short(g)))
            .collect();
        let mut count: BTreeMap<&(Option<&str>, String), usize> = BTreeMap::new();
        for s in &shorts {
            *count.entry(s).or_default() += 1;
        }
        let slugs = inv
            .security_groups
            .iter()
            .zip(&shorts)
            .map(|(g, s)| {
                // Two groups of one name whose ids end alike: the whole id.
                let name = if count[s] > 1 {
                    format!("{}-{}", slug(&g.name), slug(&g.id))
                } else {
                    s.1.clone()
                };
                (g.id.clone(), name)
            })
            .collect();
        GroupNames { slugs }
    }

    /// The key part for a group id (the id itself for a group not in the inventory).
    pub fn slug(&self, id: &str) -> String {
        self.slugs.get(id).cloned().unwrap_or_else(|| slug(id))
    }
}

/// The proposed rules by the account that owns their groups (a rule's two
/// groups are of one account once synthesis has set the others apart), as
/// indices in rule order; a group of no known account is under
/// [`UNKNOWN_ACCOUNT`]. With `also`, those accounts are listed even without
/// a rule (a covered account gets its `rules = {}`).
pub fn rules_by_account<'a>(
    rules: &[Rule],
    inv: &'a Inventory,
    also: &[&'a str],
) -> BTreeMap<&'a str, Vec<usize>> {
    let accounts = inv.group_accounts();
    let mut out: BTreeMap<&str, Vec<usize>> = also.iter().map(|a| (*a, Vec::new())).collect();
    for (i, r) in rules.iter().enumerate() {
        let account = accounts
            .get(r.source_sg.as_str())
            .copied()
            .flatten()
            .unwrap_or(UNKNOWN_ACCOUNT);
        out.entry(account).or_default().push(i);
    }
    out
}

/// One key per rule, in rule order: `web-0a1b2c3d-to-db-4e5f6a7b-tcp-5432`.
/// A key names the groups, the protocol and the first port only, so it
/// stays the same while those do: widening a range (8080 to 8080-8082)
/// keeps the entry. Unique: a clash gets `-2`, `-3`, ... in rule order.
pub fn rule_keys(rules: &[Rule], inv: &Inventory) -> Vec<String> {
    let names = GroupNames::new(inv);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    rules
        .iter()
        .map(|r| {
            let svc = match r.proto {
                TCP | UDP => format!("{}-{}", protocol(r.proto), r.from_port),
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

/// A Terraform-friendly map key part: lowercase letters, digits and dashes.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::inventory::SecurityGroup;
    use crate::synthesize::RuleEvidence;

    fn sg(id: &str, name: &str) -> SecurityGroup {
        SecurityGroup::new(id, name)
    }

    /// A rule from `s` to `t` on one service, resting on one connection.
    pub(crate) fn rule(s: &str, t: &str, proto: u8, from: i32, to: i32) -> Rule {
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
                "web-tier-01-to-db-02-tcp-5432",
                "web-tier-01-to-db-02-tcp-8080",
                "app-03-to-app-04-udp-53",
                "evil-05-to-db-02-icmp-all",
                "evil-05-to-db-02-icmp-8",
                "web-tier-01-to-sg-99-proto-47",
            ]
        );
    }

    #[test]
    fn keys_never_change_meaning() {
        let one = Inventory {
            security_groups: vec![
                sg("sg-0123456789abcdef0", "app"),
                sg("sg-0fedcba9876543210", "db"),
            ],
            ..Default::default()
        };
        let narrow = vec![rule(
            "sg-0123456789abcdef0",
            "sg-0fedcba9876543210",
            TCP,
            8080,
            8080,
        )];
        let before = rule_keys(&narrow, &one);
        assert_eq!(before, vec!["app-9abcdef0-to-db-76543210-tcp-8080"]);
        // A second stack (another VPC) with groups of the same names, and a widened range.
        let mut two = one.clone();
        two.security_groups.push(sg("sg-0aaaaaaaa11111111", "app"));
        two.security_groups.push(sg("sg-0bbbbbbbb22222222", "db"));
        let wide = vec![
            rule(
                "sg-0123456789abcdef0",
                "sg-0fedcba9876543210",
                TCP,
                8080,
                8082,
            ),
            rule(
                "sg-0aaaaaaaa11111111",
                "sg-0bbbbbbbb22222222",
                TCP,
                8080,
                8080,
            ),
        ];
        let after = rule_keys(&wide, &two);
        assert_eq!(
            after[0], before[0],
            "same groups, protocol, first port: same key"
        );
        assert_eq!(after[1], "app-11111111-to-db-22222222-tcp-8080");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Web Tier (prod)"), "web-tier-prod");
        assert_eq!(slug("--a__b--"), "a-b");
        assert_eq!(slug("日本"), "");
    }
}
