//! End-to-end tests of who owns an address: the `sgpair` binary on
//! purpose-built estates (inventory and flow logs written per test) where an
//! address means something only in its VPC and at its time: two VPCs of one
//! CIDR with groups of one name, an address reused by a new interface in
//! another group, a deleted interface, a peered VPC, a trunk with branches,
//! a node with a delegated prefix, a NAT gateway, a network load balancer
//! (with groups or none, client IP preservation on or off), and keys that
//! keep their meaning from run to run. `config.rs`: the history from AWS Config.

use serde_json::{Value as Json, json};

use crate::support::{Run, Scenario, T0, V2, connection, rec, terraform};

#[cfg(feature = "aws")]
mod config;

/// 2026-11-19T00:00:00Z and 2026-11-23T00:00:00Z: early and late in the
/// window that ends at 2026-11-25T00:00:00Z.
const MONDAY: i64 = T0 - 5 * 86_400;
const FRIDAY: i64 = T0 - 86_400;

/// v5 fields a VPC flow log delivers with `${vpc-id}` and `${flow-direction}`.
const V5: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id tcp-flags flow-direction";
const ACCOUNT: &str = "111122223333";

/// An estate of this account; the tests add VPCs, groups, interfaces,
/// peerings and records.
fn estate() -> Scenario {
    let mut e = Scenario::new();
    e.inv.account(ACCOUNT, "eu-west-1");
    e
}

/// Writes `logs/<name>`: a header line of `fields`, then `lines`.
fn log(e: &Scenario, name: &str, fields: &str, lines: &[String]) {
    let mut text = format!("{fields}\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    e.log(name, &text);
}

/// `sgpair infer --json -q` over the estate's logs with `extra`, which must succeed.
fn run(e: &Scenario, extra: &[&str]) -> Run {
    let r = e.run(&[&["--json", "-q"], extra].concat());
    r.ok();
    r
}

/// A run that must fail with exit code 1: its stderr.
fn fail(e: &Scenario, extra: &[&str]) -> String {
    let r = e.run(&[&["--json", "-q"], extra].concat());
    r.exits(1);
    r.stderr.clone()
}

/// What these tests (and `estate.rs`) read of a run.
pub(crate) trait Facts {
    /// (source group, target group, first port) of every rule of the JSON
    /// report, sorted.
    fn proposed(&self) -> Vec<(String, String, i64)>;
    /// The keys of the tfvars' `rules` map, parsed as Terraform would.
    fn keys(&self) -> Vec<String>;
    /// The interfaces in the logs that the inventory lacks, and why.
    fn absent(&self) -> Vec<(String, String)>;
}

impl Facts for Run {
    fn proposed(&self) -> Vec<(String, String, i64)> {
        let mut v: Vec<_> = self.json()["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| {
                (
                    r["source_sg"].as_str().unwrap().to_string(),
                    r["target_sg"].as_str().unwrap().to_string(),
                    r["from_port"].as_i64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    }

    fn keys(&self) -> Vec<String> {
        self.rules().into_iter().map(|r| r.key).collect()
    }

    fn absent(&self) -> Vec<(String, String)> {
        self.json()["attribution"]["absent"]
            .as_array()
            .expect("attribution.absent")
            .iter()
            .map(|a| {
                (
                    a["id"].as_str().unwrap().to_string(),
                    a["why"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

fn rule(s: &str, t: &str, port: i64) -> (String, String, i64) {
    (s.into(), t.into(), port)
}

/// A TCP connection as v5 records at its ends' interfaces where given
/// (client's, then server's): the SYN from the client and the SYN-ACK back,
/// 1000 and 5000 bytes, with `flow-direction` as each interface saw them.
fn v5(
    client: (Option<&str>, &str),
    server: (Option<&str>, &str),
    vpc: &str,
    port: u16,
    t: i64,
) -> Vec<String> {
    connection(
        (client.0, client.1, 40000),
        (server.0, server.1, port),
        t,
        true,
    )
    .into_iter()
    .map(|r| {
        let bytes = if r.response { 5000 } else { 1000 };
        r.directed()
            .account(ACCOUNT)
            .vpc(vpc)
            .counts(10, bytes)
            .render(V5)
    })
    .collect()
}

/// The two v5 records of a connection at one interface (the interface owns
/// the client's address when `local_is_client`).
fn v5_at(
    eni: &str,
    vpc: &str,
    client: &str,
    server: &str,
    port: u16,
    t: i64,
    local_is_client: bool,
) -> Vec<String> {
    if local_is_client {
        v5((Some(eni), client), (None, server), vpc, port, t)
    } else {
        v5((None, client), (Some(eni), server), vpc, port, t)
    }
}

/// Both interfaces' copies of one connection (client's, then server's).
fn v5_both(
    client_eni: &str,
    server_eni: &str,
    vpc: &str,
    client: &str,
    server: &str,
    port: u16,
    t: i64,
) -> Vec<String> {
    v5(
        (Some(client_eni), client),
        (Some(server_eni), server),
        vpc,
        port,
        t,
    )
}

/// One record in the default v2 format (no VPC, no direction), on Monday:
/// 10 packets, 1000 bytes.
fn v2(eni: &str, src: &str, sp: u16, dst: &str, dp: u16) -> String {
    rec(eni, src, sp, dst, dp)
        .at(MONDAY)
        .account(ACCOUNT)
        .counts(10, 1000)
        .v2()
}

/// Two VPCs built from one stack: one CIDR, groups of one name.
fn twin_stacks() -> Scenario {
    let mut e = estate();
    e.inv
        .vpc("vpc-dev", &["10.0.0.0/16"])
        .vpc("vpc-prod", &["10.0.0.0/16"])
        .group("sg-0dev0app0000000a", "app", "vpc-dev")
        .group("sg-0dev0db00000000b", "db", "vpc-dev")
        .group("sg-0prd0app0000000c", "app", "vpc-prod")
        .group("sg-0prd0db00000000d", "db", "vpc-prod")
        .eni(
            "eni-dev-app",
            "vpc-dev",
            &["10.0.1.10"],
            &["sg-0dev0app0000000a"],
        )
        .eni(
            "eni-dev-db",
            "vpc-dev",
            &["10.0.2.20"],
            &["sg-0dev0db00000000b"],
        )
        .eni(
            "eni-prd-app",
            "vpc-prod",
            &["10.0.1.10"],
            &["sg-0prd0app0000000c"],
        )
        .eni(
            "eni-prd-db",
            "vpc-prod",
            &["10.0.2.20"],
            &["sg-0prd0db00000000d"],
        );
    e
}

#[test]
fn two_vpcs_with_one_cidr_get_their_own_rules_and_never_meet() {
    let e = twin_stacks();
    // dev's app talks to dev's db on 5432; prod's app to prod's db on 6432.
    let mut lines = v5_both(
        "eni-dev-app",
        "eni-dev-db",
        "vpc-dev",
        "10.0.1.10",
        "10.0.2.20",
        5432,
        MONDAY,
    );
    lines.extend(v5_both(
        "eni-prd-app",
        "eni-prd-db",
        "vpc-prod",
        "10.0.1.10",
        "10.0.2.20",
        6432,
        MONDAY,
    ));
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert_eq!(
        r.proposed(),
        vec![
            rule("sg-0dev0app0000000a", "sg-0dev0db00000000b", 5432),
            rule("sg-0prd0app0000000c", "sg-0prd0db00000000d", 6432),
        ],
        "no rule mixes the VPCs, no port leaks to the other stack"
    );
    assert!(r.absent().is_empty(), "{:?}", r.absent());
    // Keys: the names clash across the VPCs, the ids keep them apart and readable.
    let keys = r.keys();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().all(|k| k.starts_with("app-")), "{keys:?}");
    assert!(
        keys.iter()
            .any(|k| k.contains("-to-db-") && k.ends_with("tcp-5432"))
    );
}

#[test]
fn the_default_format_without_vpc_ids_still_keeps_the_vpcs_apart() {
    let e = twin_stacks();
    // Same traffic in v2 records: the capturing interface tells the VPC.
    let mut lines = Vec::new();
    for port in [40001u16, 40002, 40003] {
        lines.push(v2("eni-dev-db", "10.0.1.10", port, "10.0.2.20", 5432));
        lines.push(v2("eni-dev-db", "10.0.2.20", 5432, "10.0.1.10", port));
        lines.push(v2("eni-prd-db", "10.0.1.10", port, "10.0.2.20", 6432));
    }
    log(&e, "flows.log", V2, &lines);
    let r = run(&e, &[]);
    assert_eq!(
        r.proposed(),
        vec![
            rule("sg-0dev0app0000000a", "sg-0dev0db00000000b", 5432),
            rule("sg-0prd0app0000000c", "sg-0prd0db00000000d", 6432),
        ]
    );
}

#[test]
fn an_address_reused_by_a_new_interface_belongs_to_whoever_held_it_then() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-0000000000000db1", "db", "vpc-1")
        .group("sg-0000000000000ba7", "batch", "vpc-1")
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &["sg-0000000000000db1"])
        // Today 10.0.1.10 is a batch host; on Monday it was a deleted app task.
        .eni(
            "eni-batch-new",
            "vpc-1",
            &["10.0.1.10"],
            &["sg-0000000000000ba7"],
        );
    let mut lines = v5_both(
        "eni-app-old",
        "eni-db",
        "vpc-1",
        "10.0.1.10",
        "10.0.2.20",
        5432,
        MONDAY,
    );
    // Friday: the new owner only talks to the database on 6379 (a cache port).
    lines.extend(v5_both(
        "eni-batch-new",
        "eni-db",
        "vpc-1",
        "10.0.1.10",
        "10.0.2.20",
        6379,
        FRIDAY,
    ));
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert_eq!(
        r.proposed(),
        vec![rule("sg-0000000000000ba7", "sg-0000000000000db1", 6379)],
        "Monday's 5432 belongs to the deleted interface, not to today's owner of the address"
    );
    assert_eq!(
        r.absent(),
        vec![("eni-app-old".to_string(), "unknown".to_string())]
    );
    let absent = &r.json()["attribution"]["absent"][0];
    assert_eq!(absent["addresses"], json!(["10.0.1.10"]));
    assert!(
        r.report()
            .contains("### Interfaces missing from the inventory")
            && r.report().contains("eni-app-old"),
        "{}",
        r.report()
    );
}

#[test]
fn a_deleted_interface_seen_only_from_the_far_end_is_not_given_to_the_new_owner() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-0000000000000db1", "db", "vpc-1")
        .group("sg-0000000000000ba7", "batch", "vpc-1")
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &["sg-0000000000000db1"])
        .eni(
            "eni-batch-new",
            "vpc-1",
            &["10.0.1.10"],
            &["sg-0000000000000ba7"],
        );
    // Monday: only the database logged 10.0.1.10 → 5432 (the old task had no flow log).
    let mut lines = v5_at(
        "eni-db",
        "vpc-1",
        "10.0.1.10",
        "10.0.2.20",
        5432,
        MONDAY,
        false,
    );
    // Friday: the batch host's own records show it holds 10.0.1.10 from then on.
    lines.extend(v5_both(
        "eni-batch-new",
        "eni-db",
        "vpc-1",
        "10.0.1.10",
        "10.0.2.20",
        6379,
        FRIDAY,
    ));
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert_eq!(
        r.proposed(),
        vec![rule("sg-0000000000000ba7", "sg-0000000000000db1", 6379)],
        "Monday's connection happened before the new owner's first record: not its rule"
    );
    assert!(
        r.json()["attribution"]["ambiguous_connections"]
            .as_u64()
            .unwrap()
            >= 1,
        "counted as an owner not known at the time: {:#}",
        r.json()["attribution"]
    );
}

#[test]
fn connections_to_an_address_that_changed_hands_count_once_each_with_its_owner_then() {
    // Found by outside testing: 10.0.1.10 was a deleted interface's on
    // Monday and a new one's on Friday; both ends logged every connection
    // (the default format: no VPC, no flow-direction). The database's copies
    // are one aggregate over both days, so they were counted again as an
    // owner not known at the time: 12 connections where there were 6.
    let mut e = twin_stacks();
    e.inv
        .group("sg-0dev0batch00000e", "batch", "vpc-dev")
        .eni_mut("eni-dev-app")
        .id = "eni-dev-new".into();
    e.inv.eni_mut("eni-dev-new").security_groups = vec!["sg-0dev0batch00000e".into()];
    let mut lines = Vec::new();
    for (eni, day) in [("eni-dev-old", MONDAY), ("eni-dev-new", FRIDAY)] {
        for n in 0..3u16 {
            let t = day + i64::from(n) * 3600;
            let port = 40_000 + n + if day == FRIDAY { 100 } else { 0 };
            for r in connection(
                (Some(eni), "10.0.1.10", port),
                (Some("eni-dev-db"), "10.0.2.20", 5432),
                t,
                false,
            ) {
                let bytes = if r.response { 5000 } else { 1000 };
                lines.push(r.account(ACCOUNT).counts(10, bytes).v2());
            }
        }
    }
    log(&e, "flows.log", V2, &lines);
    let r = run(&e, &[]);
    let s = &r.json()["summary"];
    assert_eq!(s["connections"], 6, "{s:#}");
    assert_eq!(r.json()["attribution"]["ambiguous_connections"], 0);
    assert_eq!(
        r.proposed(),
        vec![rule("sg-0dev0batch00000e", "sg-0dev0db00000000b", 5432)]
    );
    assert_eq!(r.json()["rules"][0]["evidence"]["connections"], 3);
    assert_eq!(
        r.absent(),
        vec![("eni-dev-old".to_string(), "unknown".to_string())]
    );
    let report = r.report();
    assert!(
        report.contains("**Connections observed:** 6 connections in ")
            && !report.contains("whose owner at the time is not known"),
        "{report}"
    );
}

#[test]
fn records_of_a_vpc_the_inventory_does_not_cover_are_not_resolved_against_it() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-0000000000000a01", "app", "vpc-1")
        .group("sg-0000000000000d01", "db", "vpc-1")
        .eni("eni-app", "vpc-1", &["10.0.1.10"], &["sg-0000000000000a01"])
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &["sg-0000000000000d01"]);
    // Another VPC of the same plan, not in the inventory, logs the same addresses.
    let lines = v5_both(
        "eni-x-app",
        "eni-x-db",
        "vpc-other",
        "10.0.1.10",
        "10.0.2.20",
        5432,
        MONDAY,
    );
    log(&e, "flows.log", V5, &lines);
    // The inventory knows none of the interfaces that logged: the run
    // refuses, and says so, unless asked to write the outputs anyway.
    let refused = fail(&e, &[]);
    assert!(
        refused.contains(
            "knows none of the 2 interfaces that captured the logs (eni-x-app, eni-x-db)"
        ),
        "{refused}"
    );
    let r = run(&e, &["--allow-empty"]);
    assert!(r.proposed().is_empty(), "{:?}", r.proposed());
    let mut absent = r.absent();
    absent.sort();
    assert_eq!(
        absent,
        vec![
            ("eni-x-app".to_string(), "other-vpc".to_string()),
            ("eni-x-db".to_string(), "other-vpc".to_string()),
        ]
    );
}

#[test]
fn a_peered_vpc_resolves_the_peer_and_an_unpeered_one_does_not() {
    let mut e = estate();
    e.inv
        .vpc("vpc-a", &["10.1.0.0/16"])
        .vpc("vpc-b", &["10.2.0.0/16"])
        .group("sg-00000000000000a1", "client", "vpc-a")
        .group("sg-00000000000000b1", "server", "vpc-b")
        .eni("eni-a", "vpc-a", &["10.1.0.10"], &["sg-00000000000000a1"])
        .eni("eni-b", "vpc-b", &["10.2.0.20"], &["sg-00000000000000b1"]);
    let lines = v5_at(
        "eni-a",
        "vpc-a",
        "10.1.0.10",
        "10.2.0.20",
        443,
        MONDAY,
        true,
    );
    log(&e, "flows.log", V5, &lines);
    let unpeered = run(&e, &[]);
    assert!(unpeered.proposed().is_empty(), "{:?}", unpeered.proposed());
    let mut e = e;
    e.inv.peering("pcx-1", "vpc-a", "vpc-b");
    // Both ends log it now: two VPCs' copies of one connection.
    let mut both = lines.clone();
    both.extend(v5_at(
        "eni-b",
        "vpc-b",
        "10.1.0.10",
        "10.2.0.20",
        443,
        MONDAY,
        false,
    ));
    log(&e, "flows.log", V5, &both);
    let peered = run(&e, &[]);
    assert_eq!(
        peered.proposed(),
        vec![rule("sg-00000000000000a1", "sg-00000000000000b1", 443)]
    );
    assert_eq!(
        peered.json()["rules"][0]["evidence"]["connections"],
        1,
        "the copies in both VPCs are one connection"
    );
}

#[test]
fn a_pod_on_a_branch_of_a_trunk_is_the_end_not_the_trunk() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-00000000000n0de1", "eks-node", "vpc-1")
        .group("sg-0000000000p0d0a1", "pod-payments", "vpc-1")
        .group("sg-0000000000000db1", "db", "vpc-1")
        .eni(
            "eni-trunk",
            "vpc-1",
            &["10.0.5.5"],
            &["sg-00000000000n0de1"],
        )
        .with(|n| n.interface_type = "trunk".into())
        .eni(
            "eni-branch",
            "vpc-1",
            &["10.0.5.77"],
            &["sg-0000000000p0d0a1"],
        )
        .with(|n| {
            n.interface_type = "branch".into();
            n.trunk_interface_id = Some("eni-trunk".into());
        })
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &["sg-0000000000000db1"]);
    // The pod's traffic is logged under the trunk's id.
    let lines = v5_at(
        "eni-trunk",
        "vpc-1",
        "10.0.5.77",
        "10.0.2.20",
        5432,
        MONDAY,
        true,
    );
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert_eq!(
        r.proposed(),
        vec![rule("sg-0000000000p0d0a1", "sg-0000000000000db1", 5432)],
        "the branch's group, not the node's"
    );
}

#[test]
fn an_address_in_a_delegated_prefix_belongs_to_the_node() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-00000000000n0de1", "eks-node", "vpc-1")
        .group("sg-0000000000000db1", "db", "vpc-1")
        .eni("eni-node", "vpc-1", &["10.0.5.5"], &["sg-00000000000n0de1"])
        .with(|n| n.prefixes = vec!["10.0.6.16/28".parse().unwrap()])
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &["sg-0000000000000db1"]);
    // Only the database logs it: the pod's address is inside the node's prefix.
    let lines = v5_at(
        "eni-db",
        "vpc-1",
        "10.0.6.21",
        "10.0.2.20",
        5432,
        MONDAY,
        false,
    );
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert_eq!(
        r.proposed(),
        vec![rule("sg-00000000000n0de1", "sg-0000000000000db1", 5432)]
    );
    assert!(
        r.report().contains("Granularity: ") && r.report().contains("security groups for pods"),
        "a node's group allows every pod on it, and the report says so:\n{}",
        r.report()
    );
}

#[test]
fn traffic_through_a_nat_gateway_is_the_host_behind_it_once() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-0000000000000a01", "app", "vpc-1")
        .eni("eni-app", "vpc-1", &["10.0.1.10"], &["sg-0000000000000a01"])
        .nat("eni-nat", "vpc-1", "10.0.0.200");
    let far = "198.51.100.7";
    // The host's own copy, the NAT's inside leg (the host's packets) and
    // its outside leg (from the NAT's own address).
    let mut lines = v5_at("eni-app", "vpc-1", "10.0.1.10", far, 6667, MONDAY, true);
    lines.extend(v5_at(
        "eni-nat",
        "vpc-1",
        "10.0.1.10",
        far,
        6667,
        MONDAY,
        false,
    ));
    lines.extend(v5_at(
        "eni-nat",
        "vpc-1",
        "10.0.0.200",
        far,
        6667,
        MONDAY,
        true,
    ));
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    let suspicious = r.json()["suspicious"].as_array().expect("suspicious");
    assert_eq!(
        suspicious.len(),
        1,
        "one connection, not one per leg: {suspicious:#?}"
    );
    let s = &suspicious[0];
    assert_eq!(s["client"], "10.0.1.10", "the host behind the NAT: {s:#}");
    assert_eq!(s["client_label"], "eni-app", "{s:#}");
    assert_eq!(s["via"], "NAT gateway eni-nat", "{s:#}");
    let finding = r.json()["audit"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"].as_str().is_some_and(|t| t.contains("6667")))
        .expect("a finding for the IRC connection");
    assert_eq!(
        finding["subject"],
        "eni-app (10.0.1.10) through NAT gateway eni-nat to internet (198.51.100.7) on 6667/tcp"
    );
    assert_eq!(r.json()["attribution"]["through_nat"], 1);
}

#[test]
fn keys_do_not_change_when_a_same_name_group_appears_or_a_range_widens() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-0000000000000a01", "app", "vpc-1")
        .group("sg-0000000000000d01", "db", "vpc-1")
        .eni("eni-app", "vpc-1", &["10.0.1.10"], &["sg-0000000000000a01"])
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &["sg-0000000000000d01"]);
    log(
        &e,
        "a.log",
        V5,
        &v5_both(
            "eni-app",
            "eni-db",
            "vpc-1",
            "10.0.1.10",
            "10.0.2.20",
            8080,
            MONDAY,
        ),
    );
    let first = run(&e, &[]).keys();
    assert_eq!(first, vec!["app-00000a01-to-db-00000d01-tcp-8080"]);
    // A week later: a second stack's group named "app" exists, and the
    // service also listens on 8081 (the rule widens to 8080-8081).
    let mut e = e;
    e.inv.group("sg-0000000000000a02", "app", "vpc-1");
    log(
        &e,
        "b.log",
        V5,
        &v5_both(
            "eni-app",
            "eni-db",
            "vpc-1",
            "10.0.1.10",
            "10.0.2.20",
            8081,
            MONDAY,
        ),
    );
    let second = run(&e, &[]);
    assert_eq!(second.keys(), first, "{}", second.tfvars());
    assert!(
        second.tfvars().contains("to_port") && second.tfvars().contains("8081"),
        "{}",
        second.tfvars()
    );
}

#[test]
fn avoid_group_keeps_a_shared_group_out_unless_nothing_else_allows_it() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-00000000000000aa", "reports", "vpc-1")
        .group("sg-00000000000000bb", "billing", "vpc-1")
        .group("sg-0000000000000ba5", "baseline", "vpc-1")
        .group("sg-0000000000000db1", "db", "vpc-1")
        .eni(
            "eni-a",
            "vpc-1",
            &["10.0.1.10"],
            &["sg-00000000000000aa", "sg-0000000000000ba5"],
        )
        .eni(
            "eni-b",
            "vpc-1",
            &["10.0.1.11"],
            &["sg-00000000000000bb", "sg-0000000000000ba5"],
        )
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &["sg-0000000000000db1"])
        // Each role group has a member that never talks to the database:
        // the baseline group (only eni-a and eni-b) is the tightest choice.
        .eni("eni-a2", "vpc-1", &["10.0.1.20"], &["sg-00000000000000aa"])
        .eni("eni-b2", "vpc-1", &["10.0.1.21"], &["sg-00000000000000bb"]);
    let mut lines = v5_both(
        "eni-a",
        "eni-db",
        "vpc-1",
        "10.0.1.10",
        "10.0.2.20",
        5432,
        MONDAY,
    );
    lines.extend(v5_both(
        "eni-b",
        "eni-db",
        "vpc-1",
        "10.0.1.11",
        "10.0.2.20",
        5432,
        MONDAY,
    ));
    log(&e, "flows.log", V5, &lines);
    let db = "sg-0000000000000db1";
    assert_eq!(
        run(&e, &[]).proposed(),
        vec![rule("sg-0000000000000ba5", db, 5432)],
        "the shared group allows exactly the two clients; the role groups would allow their other members too"
    );
    let steered = run(&e, &["--avoid-group", "baseline"]);
    // The same choice kept in the team's sgpair.toml (found in the current folder).
    std::fs::write(
        e.dir.path().join("sgpair.toml"),
        "avoid_groups = [\"baseline\"]\n",
    )
    .unwrap();
    assert_eq!(
        run(&e, &[]).proposed(),
        steered.proposed(),
        "sgpair.toml steers like the flag"
    );
    std::fs::remove_file(e.dir.path().join("sgpair.toml")).unwrap();
    assert_eq!(
        steered.proposed(),
        vec![
            rule("sg-00000000000000aa", db, 5432),
            rule("sg-00000000000000bb", db, 5432),
        ]
    );
    assert!(!steered.report().contains("Avoided groups still used"));
    // A host that only carries the avoided group: nothing else allows it.
    let mut e = e;
    e.inv
        .eni("eni-c", "vpc-1", &["10.0.1.12"], &["sg-0000000000000ba5"]);
    lines.extend(v5_both(
        "eni-c",
        "eni-db",
        "vpc-1",
        "10.0.1.12",
        "10.0.2.20",
        5432,
        MONDAY,
    ));
    log(&e, "flows.log", V5, &lines);
    let forced = run(&e, &["--avoid-group", "sg-0000000000000ba5"]);
    assert!(
        forced
            .proposed()
            .contains(&rule("sg-0000000000000ba5", db, 5432)),
        "{:?}",
        forced.proposed()
    );
    assert!(
        forced.report().contains("Avoided groups still used: ")
            && forced.report().contains("baseline"),
        "{}",
        forced.report()
    );
}

#[test]
fn ties_prefer_an_existing_rule_then_groups_not_shared_across_roles_and_say_so() {
    let (mon, web, db, agents) = (
        "sg-000000000000m0n1",
        "sg-0000000000000eb1",
        "sg-0000000000000db1",
        "sg-000000000a9e0751",
    );
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group(mon, "monitoring", "vpc-1")
        .group(web, "web", "vpc-1")
        .group(db, "db", "vpc-1")
        .group(agents, "monitoring-agents", "vpc-1")
        .eni("eni-mon", "vpc-1", &["10.0.3.30"], &[mon])
        .eni("eni-web1", "vpc-1", &["10.0.1.10"], &[web, agents])
        .eni("eni-web2", "vpc-1", &["10.0.1.11"], &[web, agents])
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &[db, agents]);
    let mut lines = Vec::new();
    for (eni, addr) in [
        ("eni-web1", "10.0.1.10"),
        ("eni-web2", "10.0.1.11"),
        ("eni-db", "10.0.2.20"),
    ] {
        lines.extend(v5_both(
            "eni-mon",
            eni,
            "vpc-1",
            "10.0.3.30",
            addr,
            9100,
            MONDAY,
        ));
    }
    log(&e, "flows.log", V5, &lines);
    // No existing rule: the role groups, not the group every host carries.
    let plain = run(&e, &[]);
    assert_eq!(
        plain.proposed(),
        vec![rule(mon, db, 9100), rule(mon, web, 9100)]
    );
    let report = plain.report();
    let why = report
        .split("### Why these groups")
        .nth(1)
        .expect("the alternatives are named");
    assert!(
        why.contains("monitoring-agents") && why.contains("shared across roles"),
        "{why}"
    );
    assert_eq!(
        plain.json()["alternatives"][0]["others"][0],
        json!([[[mon, agents]], "not-shared"]),
        "{:#}",
        plain.json()["alternatives"]
    );
    // An existing rule says the agents group is the intent.
    let mut e = e;
    e.inv.ingress(agents, mon, 9100);
    let intent = run(&e, &[]);
    assert_eq!(intent.proposed(), vec![rule(mon, agents, 9100)]);
    let report = intent.report();
    let why = report.split("### Why these groups").nth(1).expect("named");
    assert!(why.contains("an existing rule already references"), "{why}");
}

/// A CloudTrail `lookup-events` answer holding these records.
fn lookup_events(records: &[Json]) -> String {
    let events: Vec<Json> = records
        .iter()
        .map(|r| json!({"EventName": r["eventName"], "CloudTrailEvent": r.to_string()}))
        .collect();
    json!({ "Events": events }).to_string()
}

fn created(eni: &str, vpc: &str, addr: &str, group: &str, time: &str) -> Json {
    json!({
        "eventName": "CreateNetworkInterface", "eventTime": time,
        "requestParameters": {"subnetId": "subnet-1"},
        "responseElements": {"networkInterface": {
            "networkInterfaceId": eni, "vpcId": vpc, "privateIpAddress": addr,
            "privateIpAddressesSet": {"item": [{"privateIpAddress": addr, "primary": true}]},
            "groupSet": {"items": [{"groupId": group}]}
        }}
    })
}

fn deleted(eni: &str, time: &str) -> Json {
    json!({
        "eventName": "DeleteNetworkInterface", "eventTime": time,
        "requestParameters": {"networkInterfaceId": eni}
    })
}

fn regrouped(eni: &str, group: &str, time: &str) -> Json {
    json!({
        "eventName": "ModifyNetworkInterfaceAttribute", "eventTime": time,
        "requestParameters": {"networkInterfaceId": eni, "groupSet": {"items": [{"groupId": group}]}}
    })
}

#[test]
fn a_deleted_interface_with_its_history_gets_the_groups_it_had() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-0000000000000db1", "db", "vpc-1")
        .group("sg-00000000000a0001", "app", "vpc-1")
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &["sg-0000000000000db1"]);
    // The default format: no VPC and no direction in the records.
    let mut lines = Vec::new();
    for port in [40001u16, 40002, 40003] {
        lines.push(v2("eni-task", "10.0.1.10", port, "10.0.2.20", 5432));
        lines.push(v2("eni-task", "10.0.2.20", 5432, "10.0.1.10", port));
        lines.push(v2("eni-db", "10.0.1.10", port, "10.0.2.20", 5432));
    }
    log(&e, "flows.log", V2, &lines);
    let without = run(&e, &[]);
    assert!(without.proposed().is_empty(), "{:?}", without.proposed());
    assert_eq!(
        without.absent(),
        vec![("eni-task".to_string(), "unknown".to_string())]
    );

    // One lookup-events answer per event name, as the CLI takes one at a time.
    let (create, delete) = (
        e.dir.path().join("create.json"),
        e.dir.path().join("delete.json"),
    );
    std::fs::write(
        &create,
        lookup_events(&[
            created(
                "eni-task",
                "vpc-1",
                "10.0.1.10",
                "sg-00000000000a0001",
                "2026-11-18T22:00:00Z",
            ),
            json!({"eventName": "RunInstances", "eventTime": "2026-11-19T06:00:00Z"}),
        ]),
    )
    .unwrap();
    std::fs::write(
        &delete,
        lookup_events(&[deleted("eni-task", "2026-11-19T06:00:00Z")]),
    )
    .unwrap();
    let with = run(
        &e,
        &[
            "--history",
            create.to_str().unwrap(),
            "--history",
            delete.to_str().unwrap(),
        ],
    );
    assert_eq!(
        with.proposed(),
        vec![rule("sg-00000000000a0001", "sg-0000000000000db1", 5432)],
        "the deleted task's group, from its creation event"
    );
    assert_eq!(
        with.absent(),
        vec![("eni-task".to_string(), "deleted".to_string())]
    );
    assert_eq!(
        with.json()["attribution"]["absent"][0]["groups"],
        json!(["sg-00000000000a0001"])
    );
    assert!(
        with.json()["stats"]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n
                .as_str()
                .unwrap()
                .contains("1 event not used: only interface changes that succeeded are")),
        "the unrelated event is counted: {:#}",
        with.json()["stats"]["notes"]
    );
}

/// The app interface regrouped mid-window (`old` then `new`, which it
/// carries today), calling the database (group `db`) on Monday on 5432 and
/// on Friday on 6432, both interfaces logging.
fn regrouped_estate(old: &str, new: &str, db: &str) -> Scenario {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group(old, "legacy", "vpc-1")
        .group(new, "app", "vpc-1")
        .group(db, "db", "vpc-1")
        .eni("eni-app", "vpc-1", &["10.0.1.10"], &[new])
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &[db]);
    // Monday on 5432 (before the change), Friday on 6432 (after it).
    let mut lines = v5_both(
        "eni-app",
        "eni-db",
        "vpc-1",
        "10.0.1.10",
        "10.0.2.20",
        5432,
        MONDAY,
    );
    lines.extend(v5_both(
        "eni-app",
        "eni-db",
        "vpc-1",
        "10.0.1.10",
        "10.0.2.20",
        6432,
        FRIDAY,
    ));
    log(&e, "flows.log", V5, &lines);
    e
}

#[test]
fn a_group_change_mid_window_gives_each_connection_the_groups_of_its_time() {
    let (old, new, db) = (
        "sg-0000000000000010",
        "sg-0000000000000020",
        "sg-0000000000000db1",
    );
    let e = regrouped_estate(old, new, db);
    let today = run(&e, &[]);
    assert_eq!(
        today.proposed(),
        vec![rule(new, db, 5432), rule(new, db, 6432)],
        "without history, today's groups"
    );
    // The change on Wednesday, without the creation: Monday's groups are not known.
    let history = e.dir.path().join("history.json");
    std::fs::write(
        &history,
        lookup_events(&[regrouped("eni-app", new, "2026-11-21T00:00:00Z")]),
    )
    .unwrap();
    let changed = run(&e, &["--history", history.to_str().unwrap()]);
    assert_eq!(changed.proposed(), vec![rule(new, db, 6432)]);
    assert!(
        changed.json()["attribution"]["ambiguous_connections"]
            .as_u64()
            .unwrap()
            >= 1,
        "Monday's connection is counted, not guessed: {:#}",
        changed.json()["attribution"]
    );
    // With the creation too: Monday's connection is the old group's.
    std::fs::write(
        &history,
        lookup_events(&[
            created("eni-app", "vpc-1", "10.0.1.10", old, "2026-11-01T00:00:00Z"),
            regrouped("eni-app", new, "2026-11-21T00:00:00Z"),
        ]),
    )
    .unwrap();
    let known = run(&e, &["--history", history.to_str().unwrap()]);
    assert_eq!(
        known.proposed(),
        vec![rule(old, db, 5432), rule(new, db, 6432)]
    );
}

#[test]
fn a_history_file_of_another_shape_is_an_error_that_names_it() {
    let mut e = estate();
    e.inv.vpc("vpc-1", &["10.0.0.0/16"]);
    log(&e, "flows.log", V5, &[]);
    let history = e.dir.path().join("history.json");
    std::fs::write(&history, "{\"Items\": []}").unwrap();
    let stderr = fail(&e, &["--history", history.to_str().unwrap()]);
    assert!(
        stderr.contains("history.json") && stderr.contains("lookup-events"),
        "{stderr}"
    );
}

#[test]
fn a_self_referencing_cluster_gets_one_rule_from_its_group_to_itself_that_terraform_accepts() {
    let cluster = "sg-00000000000c1a57";
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group(cluster, "cassandra", "vpc-1")
        .eni("eni-n1", "vpc-1", &["10.0.4.1"], &[cluster])
        .eni("eni-n2", "vpc-1", &["10.0.4.2"], &[cluster])
        .eni("eni-n3", "vpc-1", &["10.0.4.3"], &[cluster]);
    let mut lines = Vec::new();
    for (a, ea) in [
        ("10.0.4.1", "eni-n1"),
        ("10.0.4.2", "eni-n2"),
        ("10.0.4.3", "eni-n3"),
    ] {
        for (b, eb) in [
            ("10.0.4.1", "eni-n1"),
            ("10.0.4.2", "eni-n2"),
            ("10.0.4.3", "eni-n3"),
        ] {
            if a != b {
                lines.extend(v5_both(ea, eb, "vpc-1", a, b, 7000, MONDAY));
            }
        }
    }
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert_eq!(r.proposed(), vec![rule(cluster, cluster, 7000)]);
    // The module takes source = target: type-checked and planned by terraform.
    let out = r#"
output "summary" {
  value = join("\n", [for k, r in var.rules : "${k}|${r.source_sg_id}|${r.target_sg_id}|${r.from_port}"])
}
"#;
    let ws = terraform::workspace(&terraform::module_v2_root(out), &r.tfvars());
    let fmt = terraform::fmt_check(ws.path());
    assert!(fmt.status.success(), "{}", terraform::text(&fmt));
    assert_eq!(
        terraform::summary(ws.path()),
        format!("cassandra-000c1a57-to-cassandra-000c1a57-tcp-7000|{cluster}|{cluster}|7000")
    );
}

#[test]
fn a_pair_across_a_transit_gateway_is_not_proposed_and_the_report_says_what_to_write() {
    let mut e = estate();
    e.inv
        .vpc("vpc-a", &["10.1.0.0/16"])
        .vpc("vpc-b", &["10.2.0.0/16"])
        .group("sg-00000000000000a1", "client", "vpc-a")
        .group("sg-00000000000000b1", "server", "vpc-b")
        .eni("eni-a", "vpc-a", &["10.1.0.10"], &["sg-00000000000000a1"])
        .eni("eni-b", "vpc-b", &["10.2.0.20"], &["sg-00000000000000b1"])
        .tgw("tgw-attach-a", "tgw-1", "vpc-a")
        .tgw("tgw-attach-b", "tgw-1", "vpc-b");
    let mut lines = v5_at(
        "eni-a",
        "vpc-a",
        "10.1.0.10",
        "10.2.0.20",
        443,
        MONDAY,
        true,
    );
    lines.extend(v5_at(
        "eni-b",
        "vpc-b",
        "10.1.0.10",
        "10.2.0.20",
        443,
        MONDAY,
        false,
    ));
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert!(
        r.proposed().is_empty(),
        "the module writes both halves: {:?}",
        r.proposed()
    );
    let external: Vec<&Json> = r.json()["external"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == "transit-gateway")
        .collect();
    assert_eq!(
        external.len(),
        1,
        "both ends' copies are one connection: {external:#?}"
    );
    assert_eq!(external[0]["local"], "eni-a");
    assert_eq!(external[0]["connections"], 1);
    assert!(
        r.report().contains("Group pairs across a transit gateway")
            && r.report().contains("works only in an inbound rule"),
        "{}",
        r.report()
    );
}

#[test]
fn a_config_file_with_an_unknown_key_is_an_error_that_names_its_line() {
    let mut e = estate();
    e.inv.vpc("vpc-1", &["10.0.0.0/16"]);
    log(&e, "flows.log", V5, &[]);
    let config = e.dir.path().join("team.toml");
    std::fs::write(&config, "avoid_groups = []\navoid_grups = [\"typo\"]\n").unwrap();
    let stderr = fail(&e, &["--config", config.to_str().unwrap()]);
    assert!(
        stderr.contains("team.toml:2:1") && stderr.contains("avoid_grups"),
        "{stderr}"
    );
}

const CLIENT_SG: &str = "sg-0000000000000c01";
const LB_SG: &str = "sg-0000000000000b01";
const TARGET_SG: &str = "sg-0000000000000d01";

/// A client (10.0.1.10), a target (10.0.2.20) and a network load balancer
/// (10.0.0.50 in subnet-lb, 10.0.0.0/24) with its group or none; the
/// client's leg to the listener (443), logged by both interfaces both ways.
fn nlb_estate(lb_groups: bool) -> (Scenario, Vec<String>) {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .subnet("subnet-lb", "vpc-1", &["10.0.0.0/24"])
        .group(CLIENT_SG, "client", "vpc-1")
        .group(LB_SG, "lb", "vpc-1")
        .group(TARGET_SG, "target", "vpc-1")
        .eni("eni-client", "vpc-1", &["10.0.1.10"], &[CLIENT_SG])
        .eni("eni-target", "vpc-1", &["10.0.2.20"], &[TARGET_SG])
        .nlb(
            "eni-nlb",
            "vpc-1",
            "subnet-lb",
            "10.0.0.50",
            if lb_groups { &[LB_SG] } else { &[] },
        );
    let front = v5_both(
        "eni-client",
        "eni-nlb",
        "vpc-1",
        "10.0.1.10",
        "10.0.0.50",
        443,
        MONDAY,
    );
    (e, front)
}

/// Client IP preservation off: the load balancer's own address to the
/// target's port, logged by both interfaces both ways.
fn nlb_to_target() -> Vec<String> {
    v5_both(
        "eni-nlb",
        "eni-target",
        "vpc-1",
        "10.0.0.50",
        "10.0.2.20",
        8443,
        MONDAY,
    )
}

/// Client IP preservation on: the client's packets from the load
/// balancer's interface (neither end is its own) to the target's port, and
/// the target's copy, both ways.
fn client_through_nlb_to_target() -> Vec<String> {
    v5(
        (Some("eni-nlb"), "10.0.1.10"),
        (Some("eni-target"), "10.0.2.20"),
        "vpc-1",
        8443,
        MONDAY,
    )
}

/// (first port, connections, records) of each proposed rule, in the order
/// of [`Facts::proposed`].
fn counts(r: &Run) -> Vec<(i64, u64, u64)> {
    let mut v: Vec<(&str, &str, i64, u64, u64)> = r.json()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["source_sg"].as_str().unwrap(),
                x["target_sg"].as_str().unwrap(),
                x["from_port"].as_i64().unwrap(),
                x["evidence"]["connections"].as_u64().unwrap(),
                x["evidence"]["records"].as_u64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, _, p, c, n)| (p, c, n)).collect()
}

/// The external rows of one kind: (local side, outbound, remote, port).
fn external_of(r: &Run, kind: &str) -> Vec<(String, bool, String, i64)> {
    r.json()["external"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == kind)
        .map(|x| {
            (
                x["local"].as_str().unwrap().to_string(),
                x["local_is_client"].as_bool().unwrap(),
                x["remote_kind"].as_str().unwrap().to_string(),
                x["port"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The report's Markdown from the heading `### title` to the next heading
/// of any level.
fn subsection(report: &str, title: &str) -> String {
    let head = format!("### {title}\n");
    let start = report
        .find(&head)
        .unwrap_or_else(|| panic!("no subsection {title:?} in:\n{report}"));
    let body = &report[start + head.len()..];
    let end = body.find("\n#").unwrap_or(body.len());
    format!("{head}{}", body[..end].trim_end())
}

#[test]
fn an_nlb_with_groups_that_replaces_the_client_address_is_an_end_of_both_legs() {
    let (e, mut lines) = nlb_estate(true);
    lines.extend(nlb_to_target());
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert_eq!(
        r.proposed(),
        vec![rule(LB_SG, TARGET_SG, 8443), rule(CLIENT_SG, LB_SG, 443),]
    );
    assert_eq!(
        counts(&r),
        vec![(8443, 1, 4), (443, 1, 4)],
        "each leg once, its four records (two interfaces, both ways) together"
    );
    assert_eq!(r.json()["attribution"]["merged_copies"], 2);
    assert_eq!(r.json()["attribution"]["through_load_balancer"], json!([]));
    assert!(!r.report().contains("### Through network load balancers"));
}

#[test]
fn an_nlb_without_groups_that_replaces_the_client_address_gets_no_rule_and_the_report_names_its_subnets()
 {
    let (e, mut lines) = nlb_estate(false);
    lines.extend(nlb_to_target());
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert!(r.proposed().is_empty(), "{:?}", r.proposed());
    let lb =
        "load balancer eni-nlb (net/web/50dc6c495c0c9188) without groups (subnets 10.0.0.0/24)";
    assert_eq!(
        external_of(&r, "load-balancer-without-groups"),
        vec![
            ("eni-client".into(), true, lb.into(), 443),
            ("eni-target".into(), false, lb.into(), 8443),
        ],
        "the grouped side is the local one; the load balancer is named with its subnets"
    );
    insta::assert_snapshot!(
        "nlb_without_groups_client_address_replaced",
        subsection(
            &r.report(),
            "Paths through a network load balancer without security groups"
        )
    );
}

#[test]
fn through_an_nlb_with_groups_that_kept_the_client_address_the_target_admits_the_nlb_group() {
    let (mut e, mut lines) = nlb_estate(true);
    // Today the target admits the load balancer's group, as AWS documents.
    e.inv.ingress(TARGET_SG, LB_SG, 8443);
    lines.extend(client_through_nlb_to_target());
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert_eq!(
        r.proposed(),
        vec![rule(LB_SG, TARGET_SG, 8443), rule(CLIENT_SG, LB_SG, 443),],
        "the client's egress goes to the load balancer, never to the target"
    );
    assert_eq!(counts(&r), vec![(8443, 1, 4), (443, 1, 4)]);
    let paths = &r.json()["attribution"]["through_load_balancer"];
    assert_eq!(paths.as_array().map(Vec::len), Some(1), "{paths:#}");
    let p = &paths[0];
    assert_eq!(
        (
            &p["clients"],
            &p["balancer"],
            &p["listeners"],
            &p["target"],
            &p["port"],
            &p["connections"]
        ),
        (
            &json!(["10.0.1.10"]),
            &json!("eni-nlb"),
            &json!([443]),
            &json!("10.0.2.20"),
            &json!(8443),
            &json!(1)
        )
    );
    let used: Vec<(i64, bool)> = r.json()["audit"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["group_id"] == TARGET_SG && u["direction"] == "ingress")
        .map(|u| {
            (
                u["connections"].as_i64().unwrap(),
                u["removed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        used,
        vec![(1, false)],
        "the target's rule from the load balancer's group carried the client's connection"
    );
    insta::assert_snapshot!(
        "nlb_with_groups_client_address_kept",
        subsection(&r.report(), "Through network load balancers")
    );
}

#[test]
fn through_an_nlb_without_groups_that_kept_the_client_address_nothing_is_proposed_and_the_path_is_shown()
 {
    let (e, mut lines) = nlb_estate(false);
    lines.extend(client_through_nlb_to_target());
    log(&e, "flows.log", V5, &lines);
    let r = run(&e, &[]);
    assert!(
        r.proposed().is_empty(),
        "no group names the load balancer, and the client never sent to the target: {:?}",
        r.proposed()
    );
    assert_eq!(
        external_of(&r, "load-balancer-without-groups"),
        vec![
            (
                "eni-client".into(),
                true,
                "load balancer eni-nlb (net/web/50dc6c495c0c9188) without groups (subnets 10.0.0.0/24)"
                    .into(),
                443
            ),
            (
                "eni-target".into(),
                false,
                format!(
                    "members of {CLIENT_SG} through load balancer eni-nlb (net/web/50dc6c495c0c9188), client address kept"
                ),
                8443
            ),
        ]
    );
    let report = r.report();
    insta::assert_snapshot!(
        "nlb_without_groups_client_address_kept",
        format!(
            "{}\n\n{}",
            subsection(&report, "Through network load balancers"),
            subsection(
                &report,
                "Paths through a network load balancer without security groups"
            )
        )
    );
}
