//! The analysis every emitter's tests render: a small VPC (a load balancer,
//! two web servers, a database, a monitoring host and a transit gateway)
//! whose traffic exercises every section of the reports, every kind of
//! traffic no rule can express, suspicious flows and findings of every
//! severity. Shared by the report, HTML, SARIF and summary tests.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::aggregate::{Connection, Evidence, Gap, Method, Rejected, Undecided};
use crate::analysis::{Analysis, analyze};
use crate::endpoint::Endpoint;
use crate::inventory::{Inventory, NetworkInterface, PrefixList, SecurityGroup, Vpc};
use crate::reduce::{ICMP, ICMP_ANY, TCP, UDP};
use crate::stats::Stats;
use crate::window::Window;

/// 2026-11-25T00:00:00Z.
pub(crate) const UNTIL: i64 = 1_795_564_800;
pub(crate) const DAY: i64 = 86_400;

pub(crate) const HOSTILE: &str = "a|b\n<script>alert(1)</script> [x](http://evil) ${x}";

pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub(crate) fn eni(id: &str, addr: &str, groups: &[&str], kind: &str) -> NetworkInterface {
    NetworkInterface {
        vpc_id: Some("vpc-1".into()),
        interface_type: kind.into(),
        ..NetworkInterface::new(id, vec![ip(addr)], groups)
    }
}

pub(crate) fn sg(id: &str, name: &str) -> SecurityGroup {
    SecurityGroup {
        vpc_id: Some("vpc-1".into()),
        ..SecurityGroup::new(id, name)
    }
}

/// alb → web on 8080-8081, web → db on 5432, monitoring → db by ICMP; a
/// transit-gateway interface without groups.
pub(crate) fn inventory() -> Inventory {
    Inventory {
        format_version: 1,
        vpcs: vec![Vpc {
            id: "vpc-1".into(),
            owner_id: None,
            cidrs: vec!["10.0.0.0/16".parse().unwrap()],
        }],
        prefix_lists: vec![PrefixList {
            id: "pl-63a5400a".into(),
            name: "com.amazonaws.us-east-1.s3".into(),
            cidrs: vec!["52.216.0.0/15".parse().unwrap()],
        }],
        network_interfaces: vec![
            eni("eni-alb", "10.0.0.5", &["sg-alb"], "interface"),
            eni("eni-web1", "10.0.1.10", &["sg-web"], "interface"),
            eni("eni-web2", "10.0.1.11", &["sg-web"], "interface"),
            eni("eni-db", "10.0.2.20", &["sg-db"], "interface"),
            eni("eni-mon", "10.0.3.30", &["sg-mon"], "interface"),
            eni("eni-tgw", "10.0.0.200", &[], "transit_gateway"),
        ],
        security_groups: vec![
            sg("sg-alb", "alb"),
            sg("sg-web", "web"),
            sg("sg-db", "db"),
            sg("sg-mon", "monitoring"),
        ],
        ..Default::default()
    }
}

pub(crate) struct C {
    client: &'static str,
    server: &'static str,
    port: u16,
    proto: u8,
    connections: u64,
    method: Method,
}

pub(crate) fn c(
    client: &'static str,
    server: &'static str,
    port: u16,
    proto: u8,
    connections: u64,
    method: Method,
) -> C {
    C {
        client,
        server,
        port,
        proto,
        connections,
        method,
    }
}

pub(crate) fn connection(c: &C, i: i64) -> Connection {
    Connection {
        client: ip(c.client),
        server: ip(c.server),
        port: c.port,
        proto: c.proto,
        connections: c.connections,
        records: c.connections * 2,
        bytes: c.connections * 1_500 + 7,
        packets: c.connections * 4,
        first: UNTIL - 7 * DAY + 3_600 + i * 997,
        last: UNTIL - DAY * (i % 3 + 1),
        method: c.method,
        logged_at: vec![],
        client_end: Endpoint::Unresolved,
        server_end: Endpoint::Unresolved,
        via: None,
        balancer: None,
        relay: None,
        vpc: None,
        account: None,
    }
}

pub(crate) fn connections() -> Vec<Connection> {
    use Method::*;
    let list = [
        // Rules.
        c("10.0.0.5", "10.0.1.10", 8080, TCP, 40, TcpFlags),
        c("10.0.0.5", "10.0.1.11", 8080, TCP, 35, FanIn),
        c("10.0.0.5", "10.0.1.10", 8081, TCP, 5, TcpFlags),
        c("10.0.1.10", "10.0.2.20", 5432, TCP, 100, KnownService),
        c("10.0.1.11", "10.0.2.20", 5432, TCP, 80, TcpFlags),
        c("10.0.3.30", "10.0.2.20", ICMP_ANY, ICMP, 12, OneWay),
        // Other controls.
        c("10.0.1.10", "93.184.216.34", 443, TCP, 9, TcpFlags),
        c("198.51.100.7", "10.0.0.5", 443, TCP, 700, FanIn),
        c("203.0.113.50", "10.0.0.5", 443, TCP, 300, FanIn),
        c("10.0.1.10", "52.216.10.1", 443, TCP, 3, TcpFlags),
        c("10.0.1.10", "10.0.9.9", 5432, TCP, 2, PortRange),
        c("10.0.2.20", "192.168.1.10", 9000, TCP, 1, TcpFlags),
        c("10.0.1.10", "10.0.0.200", 8443, TCP, 6, TcpFlags),
        // Suspicious, one of them between two grouped interfaces.
        c("10.0.1.11", "203.0.113.9", 6667, TCP, 2, TcpFlags),
        c("10.0.1.10", "10.0.2.20", 6667, TCP, 1, TcpFlags),
        c("198.51.100.7", "10.0.1.10", 22, TCP, 4, TcpFlags),
        c("10.0.1.10", "8.8.8.8", 53, UDP, 20, PortRange),
    ];
    list.iter()
        .enumerate()
        .map(|(i, x)| connection(x, i as i64))
        .collect()
}

pub(crate) fn undecided(a: &str, a_port: u16, b: &str, b_port: u16, proto: u8) -> Undecided {
    Undecided {
        a: ip(a),
        a_port,
        b: ip(b),
        b_port,
        proto,
        records: 4,
        bytes: 2_048,
        first: UNTIL - 3 * DAY,
        last: UNTIL - 2 * DAY,
    }
}

pub(crate) fn rejected(
    dst: &str,
    port: u16,
    records: u64,
    sources: &[&str],
    reasons: &[&str],
) -> Rejected {
    Rejected {
        dst: ip(dst),
        dstport: port,
        proto: TCP,
        records,
        distinct_sources: sources.len() * 5,
        sources: sources.iter().map(|s| ip(s)).collect(),
        first: UNTIL - 6 * DAY,
        last: UNTIL - DAY / 2,
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
    }
}

pub(crate) fn evidence() -> Evidence {
    Evidence {
        connections: connections(),
        undecided: vec![
            undecided("10.0.1.10", 40_000, "10.0.2.20", 50_000, UDP),
            undecided("10.0.3.30", 0, "10.0.1.11", 0, 47),
            undecided("2600:1f18::10", 5_000, "2600:1f18::20", 6_000, UDP),
        ],
        // Deliberately not sorted: the report sorts by records.
        rejected: vec![
            rejected("10.0.2.20", 5432, 15, &["10.0.1.12"], &["BPA"]),
            rejected(
                "10.0.0.5",
                22,
                40,
                &["45.1.1.1", "45.1.1.2", "45.1.1.3", "45.1.1.4", "45.1.1.5"],
                &[],
            ),
            rejected("10.0.1.10", 3389, 5, &["45.9.9.9"], &[]),
        ],
        gaps: vec![
            Gap {
                interface_id: "eni-db".into(),
                intervals: 1,
                first: None,
                last: None,
            },
            Gap {
                interface_id: "eni-web1".into(),
                intervals: 3,
                first: Some(UNTIL - 4 * DAY),
                last: Some(UNTIL - 4 * DAY + 1_800),
            },
        ],
        held: Vec::new(),
        aws_services: BTreeMap::new(),
    }
}

pub(crate) fn stats() -> Stats {
    let mut s = Stats {
        files: 2,
        records: 1_000,
        used: 900,
        rejected: 60,
        ..Default::default()
    };
    for _ in 0..20 {
        s.skip("nodata");
    }
    for _ in 0..15 {
        s.skip("outside the window");
    }
    for _ in 0..3 {
        s.skip("skipdata");
    }
    s.skip_at("bad port", "flows/a.log.gz", 17, "srcport is \"70000\"");
    s.skip_at("bad port", "flows/a.log.gz", 42, "dstport is \"x\"");
    s.notes.push(
        "flows/b.log: no header line and no --log-format: the default v2 format was assumed".into(),
    );
    s
}

/// Three rules, every kind of external traffic, suspicious flows and
/// findings.
pub(crate) fn fixture() -> Analysis {
    let window = Window {
        since: UNTIL - 7 * DAY,
        until: UNTIL,
    };
    analyze(window, stats(), evidence(), inventory())
}

/// The analysis of the same facts as `a` handed over in another order:
/// the connections, the rejected services and the inventory's interfaces
/// and groups reversed (the undecided aggregates and the gaps come sorted
/// from the aggregator, which the reports keep), resolved and synthesized
/// again. Every output of it must be byte for byte `a`'s.
pub(crate) fn in_another_order(a: &Analysis) -> Analysis {
    let mut evidence = a.evidence.clone();
    evidence.connections.reverse();
    for c in &mut evidence.connections {
        c.client_end = Endpoint::Unresolved;
        c.server_end = Endpoint::Unresolved;
    }
    evidence.rejected.reverse();
    let mut inventory = a.inventory.clone();
    inventory.network_interfaces.reverse();
    inventory.security_groups.reverse();
    analyze(a.window, a.stats.clone(), evidence, inventory)
}

/// Asserts two texts are equal, naming the first line that differs.
pub(crate) fn assert_same_text(got: &str, want: &str) {
    for (n, (g, w)) in got.lines().zip(want.lines()).enumerate() {
        assert_eq!(g, w, "line {}", n + 1);
    }
    assert_eq!(got, want);
}

/// Gives web, in `a`'s inventory, the ingress half of the proposed alb ->
/// web rule as an existing rule with id `rule_id` (what `imports.tf`
/// adopts), and returns web for more changes.
pub(crate) fn existing_alb_to_web<'a>(a: &'a mut Analysis, rule_id: &str) -> &'a mut SecurityGroup {
    let rule = a
        .proposal
        .rules
        .iter()
        .find(|r| r.source_sg == "sg-alb" && r.target_sg == "sg-web")
        .expect("the fixture proposes alb -> web")
        .clone();
    let web = a
        .inventory
        .security_groups
        .iter_mut()
        .find(|g| g.id == "sg-web")
        .expect("the fixture has sg-web");
    web.ingress.push(crate::inventory::SgRule {
        rule_id: Some(rule_id.into()),
        protocol: "tcp".into(),
        from_port: Some(rule.from_port),
        to_port: Some(rule.to_port),
        cidr: None,
        referenced_group_id: Some("sg-alb".into()),
        prefix_list_id: None,
        description: String::new(),
    });
    web
}
