//! Property: over random environments and traffic, the rules never allow more
//! than the evidence. Every proposed rule (at every port of its range) is
//! justified by an observed accepted connection between members of its two
//! groups, and every observed connection between two interfaces with groups
//! (suspicious traffic aside) is allowed by some rule.

use std::net::IpAddr;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use sgpair::aggregate::{Connection, Evidence, Method};
use sgpair::analysis::analyze;
use sgpair::endpoint::Endpoint;
use sgpair::inventory::Inventory;
use sgpair::reduce::{TCP, UDP};
use sgpair::stats::Stats;
use sgpair::window::Window;

use crate::support::Estate;

fn addr(i: usize) -> IpAddr {
    format!("10.0.{}.{}", i / 200, 10 + i % 200)
        .parse()
        .unwrap()
}

fn environment(memberships: &[Vec<usize>], groups: usize) -> Inventory {
    let mut e = Estate::new();
    e.vpc("vpc-1", &["10.0.0.0/16"]);
    for g in 0..groups {
        e.group(&format!("sg-{g:02}"), &format!("group-{g}"), "vpc-1");
    }
    for (i, gs) in memberships.iter().enumerate() {
        let groups: Vec<String> = gs.iter().map(|g| format!("sg-{g:02}")).collect();
        let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
        e.eni(
            &format!("eni-{i:03}"),
            "vpc-1",
            &[&addr(i).to_string()],
            &groups,
        );
    }
    e.build()
}

/// (client, server, port, udp?)
type Flow = (usize, usize, u16, bool);

/// Flows over `n` interfaces; ports from a small set so that ranges and
/// shared services happen.
fn traffic_strategy(n: usize) -> impl Strategy<Value = Vec<Flow>> {
    let port = prop::sample::select(vec![22u16, 80, 443, 5432, 8080, 8081, 8082, 9100, 50051]);
    prop::collection::vec((0..n, 0..n, port, prop::bool::weighted(0.2)), 1..40)
}

/// (number of groups, each interface's groups, flows)
fn case() -> impl Strategy<Value = (usize, Vec<Vec<usize>>, Vec<Flow>)> {
    (2usize..6, 3usize..14).prop_flat_map(|(groups, enis)| {
        let membership = prop::collection::btree_set(0..groups, 1..=groups.min(3))
            .prop_map(|s| s.into_iter().collect::<Vec<_>>());
        (
            Just(groups),
            prop::collection::vec(membership, enis),
            traffic_strategy(enis),
        )
    })
}

proptest! {
    // Saved failing cases live beside this file
    // (properties.proptest-regressions): proptest's default would look for
    // them beside tests/it/main.rs's folder.
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        .. ProptestConfig::default()
    })]

    #[test]
    fn rules_are_justified_and_cover_every_connection((groups, members, traffic) in case()) {
        let inv = environment(&members, groups);
        let connections: Vec<Connection> = traffic
            .iter()
            .filter(|(c, s, _, _)| c != s)
            .map(|&(c, s, port, udp)| Connection {
                client: addr(c),
                server: addr(s),
                port,
                proto: if udp { UDP } else { TCP },
                connections: 1,
                records: 2,
                bytes: 100,
                packets: 2,
                first: 1_000,
                last: 2_000,
                method: Method::TcpFlags,
                logged_at: vec![],
                client_end: Endpoint::Unresolved,
                server_end: Endpoint::Unresolved,
                via: None,
                balancer: None,
                relay: None,
                vpc: None,
                account: None,
            })
            .collect();
        let observed = connections.clone();
        let ev = Evidence { connections, ..Default::default() };
        let a = analyze(Window { since: 0, until: 10_000 }, Stats::default(), ev, inv);
        let in_group = |ip: &IpAddr, g: &str| {
            a.inventory.network_interfaces.iter().any(|e| e.addresses.contains(ip) && e.security_groups.iter().any(|x| x == g))
        };
        // Justified: each port of each rule has a connection between its groups.
        for r in &a.proposal.rules {
            prop_assert!(r.evidence.connections > 0);
            for port in r.from_port..=r.to_port {
                prop_assert!(
                    observed.iter().any(|c| c.proto == r.proto
                        && i32::from(c.port) == port
                        && in_group(&c.client, &r.source_sg)
                        && in_group(&c.server, &r.target_sg)),
                    "rule {}->{} {}/{} has no evidence", r.source_sg, r.target_sg, port, r.proto
                );
            }
        }
        // Covered: each grouped, non-suspicious connection is allowed by a rule.
        let suspicious: Vec<(IpAddr, IpAddr, u16)> = a.proposal.suspicious.iter().map(|s| (s.client, s.server, s.port)).collect();
        for c in &observed {
            if suspicious.contains(&(c.client, c.server, c.port)) {
                continue;
            }
            let covered = a.proposal.rules.iter().any(|r| r.proto == c.proto
                && (r.from_port..=r.to_port).contains(&i32::from(c.port))
                && in_group(&c.client, &r.source_sg)
                && in_group(&c.server, &r.target_sg));
            prop_assert!(covered, "{}:{} -> {}:{} not covered", c.client, c.proto, c.server, c.port);
        }
        // No duplicate rule (AWS rejects them).
        let mut keys: Vec<_> = a.proposal.rules.iter().map(|r| (&r.source_sg, &r.target_sg, r.proto, r.from_port, r.to_port)).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        prop_assert_eq!(keys.len(), n);
    }
}
