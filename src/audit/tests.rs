//! The audit on small inventories: usage, findings, before and after.

use std::collections::BTreeSet;

use super::*;
use crate::aggregate::{Connection, Evidence, Method};
use crate::analysis::analyze;
use crate::audit::usage::PUBLIC_LISTENER_UNUSED;
use crate::inventory::{Cidr, Inventory, NetworkInterface, SecurityGroup, SgRule, Vpc};
use crate::reduce::TCP;
use crate::resolve::Endpoint;
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
        balancer: None,
        relay: None,
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
        "all traffic allowed, only 443/tcp, 5432/tcp used; 0.0.0.0/0 allowed, 2 destinations used"
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
    assert!(
        wb[0].evidence.contains("93.184.216.34"),
        "{}",
        wb[0].evidence
    );
    // The rule egress.tf writes for the internet: the port, to anywhere.
    assert!(
        wb[0].fix.starts_with(
            "Before removing open egress, add an egress rule for 443/tcp to 0.0.0.0/0 "
        ),
        "{}",
        wb[0].fix
    );
    assert_eq!(au.worst(), Some(Severity::High));
    // High first.
    assert_eq!(au.findings[0].severity, Severity::High);
}

/// A finding about a group's rules names the group's member interfaces,
/// in the inventory's order: the members gathered once for all findings
/// are those a scan of every interface finds.
#[test]
fn rule_findings_name_their_group_s_members_in_the_inventory_s_order() {
    let mut a = analysis(today(), traffic(), 7);
    // One interface in both groups, listed after the others.
    a.inventory
        .network_interfaces
        .push(eni("eni-both", "10.0.3.30", &["sg-db", "sg-web"]));
    let au = audit(&a);
    let about_rules: Vec<&Finding> = au
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FindingKind::OpenEgress
                    | FindingKind::UnusedRule
                    | FindingKind::OneSidedRule
                    | FindingKind::BroaderThanUsed
            )
        })
        .collect();
    assert!(about_rules.len() >= 4, "{:?}", kinds(&au));
    for f in about_rules {
        let scanned: Vec<String> = a
            .inventory
            .network_interfaces
            .iter()
            .filter(|e| e.security_groups.contains(&f.groups[0]))
            .map(|e| e.id.clone())
            .collect();
        assert_eq!(f.enis, scanned, "{}", f.subject);
    }
    let open = finding(
        &au,
        FindingKind::OpenEgress,
        "sg-web (web) egress to 0.0.0.0/0, all traffic",
    );
    assert_eq!(open.enis, ["eni-web", "eni-both"]);
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

/// A source whose records stop three days before the window's end is a
/// medium finding naming it (what `--fail-on medium` trips on); one that
/// fills the window is not, and neither is a run whose stats name no source.
#[test]
fn a_source_that_stops_short_of_the_window_is_a_finding() {
    let mut a = analysis(today(), traffic(), 7);
    let span = |start: i64, end: i64| {
        let mut s = crate::stats::Span::default();
        s.add(start, end);
        s
    };
    a.stats
        .add_stream_span("logs/full.log", &span(UNTIL - 7 * DAY, UNTIL - 60));
    a.stats
        .add_stream_span("logs/broke.log", &span(UNTIL - 7 * DAY, UNTIL - 3 * DAY));
    let au = audit(&a);
    let found: Vec<&Finding> = au
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::WindowNotFilled)
        .collect();
    assert_eq!(found.len(), 1, "{:?}", kinds(&au));
    let f = found[0];
    assert_eq!(f.subject, "logs/broke.log");
    assert_eq!(f.rule_id, "SGP013");
    assert_eq!(f.severity, crate::synthesize::Severity::Medium);
    assert!(
        f.evidence.starts_with("the newest record ends ")
            && f.evidence.contains("3.0 days before the window's end"),
        "{}",
        f.evidence
    );
    // The same sentence the summary warns with, under the source's name.
    assert_eq!(
        a.fill().warnings,
        [format!("logs/broke.log: {}", f.evidence)]
    );

    let quiet = audit(&analysis(today(), traffic(), 7));
    assert!(
        quiet
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::WindowNotFilled),
        "{:?}",
        kinds(&quiet)
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

/// A rule of every protocol that carried ICMP and TCP: each service is
/// named with its protocol, and an ICMP type is never offered as a port;
/// past five sources the fix says how many it left out.
#[test]
fn an_all_traffic_rule_s_use_names_each_service_with_its_protocol() {
    let mut groups = today();
    groups[1].ingress.push(rule("-1", None, "0.0.0.0/0"));
    let mut conns = Vec::new();
    for i in 0..7u16 {
        let client = format!("198.51.100.{}", 10 + i);
        conns.push(conn(&client, "10.0.2.20", 445, 1, UNTIL - 4 * DAY));
    }
    let mut ping = conn(
        "198.51.100.10",
        "10.0.2.20",
        crate::reduce::ICMP_ANY,
        1,
        UNTIL - DAY,
    );
    ping.proto = crate::reduce::ICMP;
    conns.push(ping);
    let au = audit(&analysis(groups, conns, 7));
    let row = au
        .rules
        .iter()
        .find(|r| r.group_id == "sg-db" && r.direction == Direction::Ingress && r.protocol == "-1")
        .unwrap();
    assert_eq!(
        row.summary,
        "all traffic allowed, only 445/tcp, icmp (all types) used; 0.0.0.0/0 allowed, 7 sources used"
    );
    let f = finding(
        &au,
        FindingKind::BroaderThanUsed,
        "ingress from 0.0.0.0/0 all traffic",
    );
    assert!(
        f.fix.contains("the services used (445/tcp, icmp (all types))")
            && f.fix.contains(
                "the 7 sources seen (198.51.100.10, 198.51.100.11, 198.51.100.12, 198.51.100.13, 198.51.100.14, and 2 more)"
            )
            && !f.fix.contains("65535"),
        "{}",
        f.fix
    );
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

#[test]
fn through_a_load_balancer_that_kept_the_client_address_its_egress_governs_and_the_target_admits_either()
 {
    let grouped = |id: &str, groups: &[&str]| Endpoint::Eni {
        id: id.into(),
        groups: groups.iter().map(|g| crate::id::Id::from(*g)).collect(),
        learned: false,
    };
    let mut c = conn("10.0.1.10", "10.0.2.20", 5432, 1, UNTIL - DAY);
    c.client_end = grouped("eni-web", &["sg-web"]);
    c.server_end = grouped("eni-db", &["sg-db"]);
    c.balancer = Some(Box::new(grouped("eni-lb", &["sg-lb"])));
    let seen = |c: &Connection| -> Vec<(Vec<String>, Direction, String, Vec<String>)> {
        matching::sides(c)
            .into_iter()
            .map(|(s, _)| {
                let strings = |g: &[crate::id::Id]| g.iter().map(|g| g.to_string()).collect();
                (
                    strings(s.groups),
                    s.direction,
                    s.other_ip.to_string(),
                    strings(&s.other_groups),
                )
            })
            .collect()
    };
    let v = |gs: &[&str]| -> Vec<String> { gs.iter().map(|g| g.to_string()).collect() };
    assert_eq!(
        seen(&c),
        vec![
            (
                v(&["sg-lb"]),
                Direction::Egress,
                "10.0.2.20".into(),
                v(&["sg-db"])
            ),
            (
                v(&["sg-db"]),
                Direction::Ingress,
                "10.0.1.10".into(),
                v(&["sg-web", "sg-lb"])
            ),
        ],
        "the load balancer's egress, not the client's; the target admits the client or the load balancer"
    );
    // Without groups the load balancer's egress is open, and only the client can be admitted.
    c.balancer = Some(Box::new(grouped("eni-lb", &[])));
    assert_eq!(
        seen(&c),
        vec![(
            v(&["sg-db"]),
            Direction::Ingress,
            "10.0.1.10".into(),
            v(&["sg-web"])
        )]
    );
}

/// web's egress: open, and 443 to a prefix list of three entries (used);
/// db admits web on 5432 exactly as proposed.
fn quota_case() -> Analysis {
    let mut pl = rule("tcp", Some((443, 443)), "0.0.0.0/0");
    pl.cidr = None;
    pl.prefix_list_id = Some("pl-1".into());
    let groups = vec![
        sg(
            "sg-web",
            vec![rule("tcp", Some((8443, 8443)), "sg-alb")],
            vec![rule("-1", None, "0.0.0.0/0"), pl],
        ),
        sg(
            "sg-db",
            vec![rule("tcp", Some((5432, 5432)), "sg-web")],
            vec![rule("-1", None, "0.0.0.0/0")],
        ),
    ];
    let mut a = analysis(groups, traffic(), 7);
    a.inventory.prefix_lists.push(crate::inventory::PrefixList {
        id: "pl-1".into(),
        name: "partners".into(),
        cidrs: ["93.184.216.0/24", "10.9.0.0/16", "10.8.0.0/16"]
            .iter()
            .map(|c| c.parse().unwrap())
            .collect(),
    });
    // The audit's usage reads the prefix list when the quota is fitted.
    a
}

#[test]
fn quota_counts_staying_rules_by_weight_and_an_existing_half_once() {
    let a = quota_case();
    assert_eq!(a.proposal.rules.len(), 1, "web to db 5432");
    // web egress: the prefix list (3 entries) + the new half to db = 4;
    // db ingress: its rule from web is the proposed half, counted once.
    let fits = quota::fit(&a, rules_per_group(4), &measure(&a));
    assert!(fits.over.is_empty() && fits.merges.is_empty());
    let over = quota::fit(&a, rules_per_group(3), &measure(&a)).over;
    let got: Vec<(&str, Direction, usize, usize, usize)> = over
        .iter()
        .map(|o| {
            (
                o.group_id.as_str(),
                o.direction,
                o.staying,
                o.proposed,
                o.by(),
            )
        })
        .collect();
    assert_eq!(got, [("sg-web", Direction::Egress, 3, 1, 1)]);
    assert!(over[0].remedies().contains("one dedicated group"));
    let over = quota::fit(&a, rules_per_group(1), &measure(&a)).over;
    assert_eq!(over.len(), 1, "db ingress has 1 rule: it fits");
}

/// The rules-per-group quota `n`, the groups-per-interface quota's default.
fn rules_per_group(n: usize) -> quota::Quotas {
    quota::Quotas {
        rules_per_group: n,
        ..Default::default()
    }
}

#[test]
fn interfaces_at_the_groups_per_interface_quota_are_named_by_its_value() {
    let mut a = quota_case();
    // web's interface carries five groups.
    let web = &mut a.inventory.network_interfaces[0];
    assert_eq!(web.id, "eni-web");
    web.security_groups
        .extend((1..=4).map(|i| format!("sg-extra{i}")));
    let at = |groups_per_interface: usize| {
        let over = quota::fit(
            &a,
            quota::Quotas {
                rules_per_group: 3,
                groups_per_interface,
            },
            &measure(&a),
        )
        .over;
        assert_eq!(over.len(), 1, "web egress is over");
        (
            over[0].interfaces_at_group_quota.clone(),
            over[0].remedies(),
        )
    };
    let (named, remedies) = at(5);
    assert_eq!(named, ["eni-web"]);
    assert!(
        remedies.contains("groups per interface, 5 here,")
            && remedies.contains(
                "eni-web already have 5 groups, the groups-per-interface quota (L-2AFB9258)"
            ),
        "{remedies}"
    );
    // Raised to 6: a sixth group fits on the interface.
    let (named, remedies) = at(6);
    assert!(named.is_empty(), "{named:?}");
    assert!(
        remedies.contains("groups per interface, 6 here,") && !remedies.contains("eni-web"),
        "{remedies}"
    );
}

/// The rules a side is matched against come from an index by referenced
/// group: they are exactly those a scan of every rule finds, each once,
/// when the other end lists a group twice (a client and the load balancer
/// it went through can share one), for CIDR rules, group rules and a rule
/// with both, on both directions.
#[test]
fn matching_through_the_group_index_finds_what_a_scan_of_every_rule_finds() {
    use std::borrow::Cow;

    use crate::audit::matching::{Groups, Side, matching_rules};
    use crate::id::Id;

    let both = SgRule {
        referenced_group_id: Some("sg-web".into()),
        ..rule("tcp", Some((5432, 5432)), "10.0.0.0/8")
    };
    let db = sg(
        "sg-db",
        vec![
            rule("tcp", Some((5432, 5432)), "sg-web"),
            rule("tcp", Some((5432, 5432)), "sg-batch"),
            rule("tcp", Some((5432, 5432)), "10.0.1.0/24"),
            rule("tcp", Some((443, 443)), "sg-web"),
            rule("-1", None, "sg-web"),
            both,
            rule("tcp", Some((5432, 5432)), "192.168.0.0/16"),
        ],
        vec![
            rule("-1", None, "0.0.0.0/0"),
            rule("tcp", Some((5432, 5432)), "sg-web"),
        ],
    );
    let inv = Inventory {
        security_groups: vec![db],
        ..Default::default()
    };
    let by_id = Groups::new(&inv);
    let c = conn("10.0.1.10", "10.0.2.20", 5432, 1, UNTIL - DAY);
    for (direction, others) in [
        (Direction::Ingress, vec!["sg-web", "sg-web"]),
        (Direction::Ingress, vec!["sg-batch", "sg-web"]),
        (Direction::Ingress, vec![]),
        (Direction::Egress, vec!["sg-web", "sg-other"]),
    ] {
        let groups = [Id::from("sg-db")];
        let side = Side {
            groups: &groups,
            direction,
            other_ip: "10.0.1.10".parse().unwrap(),
            other_groups: Cow::Owned(others.iter().map(|g| Id::from(*g)).collect()),
        };
        let mut got: Vec<usize> = matching_rules(&by_id, &side, &c)
            .map(|(_, i, _)| i)
            .collect();
        got.sort_unstable();
        let list = match direction {
            Direction::Ingress => &inv.security_groups[0].ingress,
            Direction::Egress => &inv.security_groups[0].egress,
        };
        let scanned: Vec<usize> = list
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.covers(c.proto, c.port)
                    && match (&r.cidr, &r.referenced_group_id) {
                        (Some(cidr), _) => cidr.contains(&side.other_ip),
                        (None, Some(g)) => others.contains(&g.as_str()),
                        _ => false,
                    }
            })
            .map(|(i, _)| i)
            .collect();
        assert_eq!(got, scanned, "{direction:?} from {others:?}");
    }
}

#[test]
fn one_undecided_aggregate_and_one_skipdata_interval_are_said_in_the_singular() {
    let ev = Evidence {
        undecided: vec![crate::aggregate::Undecided {
            a: "10.0.1.10".parse().unwrap(),
            a_port: 40_000,
            b: "10.0.2.20".parse().unwrap(),
            b_port: 40_001,
            proto: TCP,
            records: 1,
            bytes: 60,
            first: UNTIL - DAY,
            last: UNTIL - DAY + 60,
        }],
        gaps: vec![crate::aggregate::Gap {
            interface_id: "eni-db".into(),
            intervals: 1,
            first: Some(UNTIL - DAY),
            last: Some(UNTIL - DAY + 600),
        }],
        ..Default::default()
    };
    let a = analyze(
        Window {
            since: UNTIL - 7 * DAY,
            until: UNTIL,
        },
        Stats::default(),
        ev,
        Inventory::default(),
    );
    let au = audit(&a);
    let said: Vec<&str> = au.findings.iter().map(|f| f.evidence.as_str()).collect();
    assert!(said.contains(&"1 SKIPDATA interval"), "{said:?}");
    assert!(
        said.iter()
            .any(|e| e.starts_with("1 aggregate (1 record) whose initiator")),
        "{said:?}"
    );
}

/// Relayed between two internet addresses by web (a NAT instance or
/// firewall): web's ingress admitted the client and its open egress let
/// the packets on. Both rules are used (the ingress is kept), and removing
/// open egress would break the relay: a finding that names web and the
/// destination.
#[test]
fn a_relay_s_ingress_and_egress_carry_what_it_relays() {
    let groups = vec![sg(
        "sg-web",
        vec![rule("tcp", Some((22, 22)), "0.0.0.0/0")],
        vec![rule("-1", None, "0.0.0.0/0")],
    )];
    let relayed = Connection {
        logged_at: vec!["eni-web".into()],
        ..conn("198.51.100.7", "203.0.113.9", 22, 3, UNTIL - DAY)
    };
    let a = analysis(groups, vec![relayed], 7);
    let c = &a.evidence.connections[0];
    assert!(
        matches!(c.relay.as_deref(), Some(Endpoint::Eni { id, .. }) if id.as_str() == "eni-web"),
        "{:?}",
        c.relay
    );
    let au = audit(&a);
    let row = |d: Direction| {
        au.rules
            .iter()
            .find(|r| r.group_id == "sg-web" && r.direction == d)
            .unwrap()
    };
    let (inbound, outbound) = (row(Direction::Ingress), row(Direction::Egress));
    assert_eq!((inbound.connections, inbound.removed), (3, false));
    assert_eq!((outbound.connections, outbound.removed), (3, true));
    let wb: Vec<&Finding> = au
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::WouldBreak)
        .collect();
    assert_eq!(wb.len(), 1, "{:?}", kinds(&au));
    assert_eq!(wb[0].subject, "eni-web to internet on 22/tcp");
    assert!(wb[0].evidence.contains("203.0.113.9"), "{}", wb[0].evidence);
    assert!(wb[0].fix.contains(" to 0.0.0.0/0 "), "{}", wb[0].fix);
    assert_eq!(wb[0].groups, vec!["sg-web".to_string()]);
    assert_eq!(au.before_after.allowed_after, 0);
}
