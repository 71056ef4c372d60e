//! Findings about the traffic against the rules: what the change would
//! break (SGP005), what no rule allows today (SGP006), and suspicious
//! traffic (SGP007).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::analysis::Analysis;
use crate::audit::before_after::{Broken, FlowKey, NotAllowed};
use crate::audit::findings::{fingerprint, service_key};
use crate::audit::{Finding, FindingKind};
use crate::inventory::Inventory;
use crate::present::time::span;
use crate::present::{count, service};
use crate::resolve::is_private;

/// Flows allowed today only by rules the change removes.
pub(super) fn would_break(inv: &Inventory, breaks: &BTreeMap<FlowKey, Broken>) -> Vec<Finding> {
    breaks
        .iter()
        .map(|((client, server, port, proto), b)| {
            let Broken {
                connections: n,
                remotes,
                groups,
                first,
                last,
            } = b;
            let svc = service::of_port(*port, *proto);
            let remote_list: Vec<String> = remotes.iter().take(5).map(|r| r.to_string()).collect();
            Finding {
                groups: groups.clone(),
                enis: [client, server].iter().filter(|s| s.starts_with("eni-")).map(|s| s.to_string()).collect(),
                evidence: format!(
                    "{}, {}, allowed today only by rules the change removes (open egress or rules unused in the window); {} {}",
                    count(*n, "connection"),
                    span(*first, *last),
                    if remotes.len() == 1 { "address" } else { "addresses" },
                    remote_list.join(", ")
                ),
                fix: match prefix_list_for(inv, remotes) {
                    Some((id, name)) => format!(
                        "Before removing open egress, add an egress rule for {svc} to the prefix list {id} ({name}), or route through an interface endpoint."
                    ),
                    None if remotes.iter().all(|r| !is_private(r)) => format!(
                        "Before removing open egress, add an egress rule for {svc} to {} (what --terraform writes in egress.tf; rules per address break as SaaS and CDN addresses rotate), send it through an egress proxy, or confirm the traffic is not needed.",
                        anywhere(remotes)
                    ),
                    None => format!(
                        "Before removing open egress, add an egress rule for {svc} to the subnet of {} (what --terraform writes in egress.tf when the inventory knows the subnet), or confirm the traffic is not needed.",
                        remote_list.join(", ")
                    ),
                },
                ..Finding::new(
                    FindingKind::WouldBreak,
                    fingerprint(&["would-break", client, server, &service_key(*port, *proto)]),
                    format!("{client} to {server} on {svc}"),
                )
            }
        })
        .collect()
}

/// The whole internet in the address families of `remotes`: the peer of
/// the egress rule that carries traffic to rotating addresses.
fn anywhere(remotes: &BTreeSet<IpAddr>) -> &'static str {
    match (
        remotes.iter().any(IpAddr::is_ipv4),
        remotes.iter().any(IpAddr::is_ipv6),
    ) {
        (true, true) => "0.0.0.0/0 and ::/0",
        (false, true) => "::/0",
        _ => "0.0.0.0/0",
    }
}

/// Accepted flows that no rule in the inventory allows.
pub(super) fn not_allowed_today(not_allowed: &NotAllowed) -> Vec<Finding> {
    not_allowed
        .iter()
        .map(|((client, server, port, proto), (n, enis))| {
            let svc = service::of_port(*port, *proto);
            Finding {
                enis: enis.clone(),
                evidence: format!("{n} accepted connections that no rule in the inventory allows"),
                fix: "The rules changed during the window or the inventory is stale: take a fresh inventory (sgpair inventory) and run again.".into(),
                ..Finding::new(
                    FindingKind::NotAllowedToday,
                    fingerprint(&["not-allowed", client, server, &service_key(*port, *proto)]),
                    format!("{client} to {server} on {svc}"),
                )
            }
        })
        .collect()
}

/// The suspicious flows of the proposal, each with its own severity.
pub(super) fn suspicious(a: &Analysis) -> Vec<Finding> {
    let inv = &a.inventory;
    a.proposal
        .suspicious
        .iter()
        .map(|s| {
            let svc = service::of_port(s.port, s.proto);
            Finding {
                severity: s.severity,
                groups: [&s.client_label, &s.server_label]
                    .iter()
                    .filter_map(|l| inv.network_interfaces.iter().find(|e| &e.id == *l))
                    .flat_map(|e| e.security_groups.clone())
                    .collect(),
                enis: [&s.client_label, &s.server_label].iter().filter(|l| l.starts_with("eni-")).map(|l| l.to_string()).collect(),
                evidence: format!("{}: {}, {}", s.reason, count(s.connections, "connection"), span(s.first, s.last)),
                fix: if matches!(s.client_label.as_str(), l if l.starts_with("eni-")) {
                    "Investigate the host. sgpair proposes no rule for this traffic: removing open egress blocks it.".into()
                } else {
                    "Investigate; restrict the ingress rule that allows it (known sources only, or a VPN or Session Manager instead).".into()
                },
                ..Finding::new(
                    FindingKind::Suspicious,
                    fingerprint(&["suspicious", &s.client.to_string(), &s.server.to_string(), &service_key(s.port, s.proto)]),
                    format!(
                        "{} ({}){} to {} ({}) on {svc}",
                        s.client_label,
                        s.client,
                        s.via.as_ref().map(|v| format!(" through {v}")).unwrap_or_default(),
                        s.server_label,
                        s.server
                    ),
                )
            }
        })
        .collect()
}

/// The managed prefix list that holds all these addresses, if one does.
fn prefix_list_for<'i>(inv: &'i Inventory, addrs: &BTreeSet<IpAddr>) -> Option<(&'i str, &'i str)> {
    inv.prefix_lists
        .iter()
        .find(|pl| addrs.iter().all(|a| pl.cidrs.iter().any(|c| c.contains(a))))
        .map(|pl| (pl.id.as_str(), pl.name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix_for(remotes: &[&str]) -> String {
        let broken = Broken {
            connections: 2,
            remotes: remotes.iter().map(|r| r.parse().unwrap()).collect(),
            groups: vec!["sg-web".into()],
            first: 0,
            last: 60,
        };
        let key = ("eni-web".to_string(), "x".to_string(), 443, 6);
        let breaks = BTreeMap::from([(key, broken)]);
        let found = would_break(&Inventory::default(), &breaks);
        assert_eq!(found.len(), 1);
        found[0].fix.clone()
    }

    /// The fix asks for the rule egress.tf writes: the internet by port in
    /// the families seen, never per address; an address in the VPC by its
    /// subnet.
    #[test]
    fn the_fix_names_the_rule_egress_tf_writes() {
        assert!(
            fix_for(&["93.184.216.34", "93.184.216.35"])
                .contains(" to 0.0.0.0/0 (what --terraform"),
            "{}",
            fix_for(&["93.184.216.34"])
        );
        assert!(fix_for(&["2606:2800::1"]).contains(" to ::/0 ("));
        assert!(fix_for(&["2606:2800::1", "93.184.216.34"]).contains(" to 0.0.0.0/0 and ::/0 ("));
        let inside = fix_for(&["10.0.1.20"]);
        assert!(
            inside.contains("to the subnet of 10.0.1.20 (what --terraform"),
            "{inside}"
        );
    }
}
