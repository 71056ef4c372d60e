//! The tfvars in both module shapes: parsed back as HCL, escaped, keyed,
//! and their snapshots.

use std::collections::BTreeMap;

use super::*;
use crate::aggregate::Evidence;
use crate::inventory::SecurityGroup;
use crate::reduce::UDP;
use crate::stats::Stats;
use crate::synthesize::Proposal;
use crate::window::Window;

/// 2026-11-25T00:00:00Z.
const UNTIL: i64 = 1_795_564_800;
const SINCE: i64 = UNTIL - 7 * 86_400;

const ALB: &str = "sg-0a1b2c3d4e5f60001";
const WEB: &str = "sg-0a1b2c3d4e5f60002";
const DB: &str = "sg-0a1b2c3d4e5f60003";
const MON: &str = "sg-0a1b2c3d4e5f60004";
const AGENTS: &str = "sg-0a1b2c3d4e5f60005";
const API: &str = "sg-0a1b2c3d4e5f60006";

fn sg(id: &str, name: &str) -> SecurityGroup {
    SecurityGroup {
        vpc_id: Some("vpc-0123".into()),
        ..SecurityGroup::new(id, name)
    }
}

fn enis(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("eni-{prefix}{i:04}")).collect()
}

/// A rule seen `connections` times between `clients` and `servers`
/// interfaces, from the first day of the window to the sixth.
fn rule(
    s: &str,
    t: &str,
    proto: u8,
    (from_port, to_port): (i32, i32),
    (connections, clients, servers): (u64, usize, usize),
    initiator: &[(&'static str, u64)],
) -> Rule {
    Rule {
        source_sg: s.into(),
        target_sg: t.into(),
        proto,
        from_port,
        to_port,
        evidence: RuleEvidence {
            connections,
            records: connections * 2,
            bytes: connections * 1_000,
            first: SINCE + 3_600,
            last: SINCE + 6 * 86_400 + 60,
            client_enis: enis(clients, "c"),
            server_enis: enis(servers, "s"),
            initiator: initiator.iter().copied().collect(),
            allowed_pairs: (clients * servers) as u64,
            observed_pairs: (clients * servers) as u64,
        },
    }
}

fn tcp_flags() -> [(&'static str, u64); 1] {
    [("tcp-flags", 1)]
}

fn analysis(rules: Vec<Rule>, groups: Vec<SecurityGroup>) -> Analysis {
    Analysis {
        window: Window {
            since: SINCE,
            until: UNTIL,
        },
        stats: Stats::default(),
        evidence: Evidence::default(),
        proposal: Proposal {
            rules,
            ..Default::default()
        },
        attribution: Default::default(),
        inventory: Inventory {
            security_groups: groups,
            ..Default::default()
        },
        continuity: None,
    }
}

fn groups() -> Vec<SecurityGroup> {
    vec![
        sg(ALB, "alb"),
        sg(WEB, "web"),
        sg(DB, "db"),
        sg(MON, "monitoring"),
        sg(AGENTS, "agents"),
        sg(API, "api"),
    ]
}

/// The realistic proposal of the snapshot.
fn small_proposal() -> Analysis {
    analysis(
        vec![
            rule(ALB, WEB, TCP, (8080, 8080), (5_400, 2, 4), &tcp_flags()),
            rule(
                WEB,
                DB,
                TCP,
                (5432, 5432),
                (1_200, 3, 2),
                &[("tcp-flags", 1_100), ("known-service", 100)],
            ),
            rule(
                MON,
                AGENTS,
                TCP,
                (9100, 9100),
                (2_016, 1, 12),
                &[("fan-in", 2_016)],
            ),
            rule(
                MON,
                AGENTS,
                ICMP,
                (-1, -1),
                (300, 1, 12),
                &[("one-way", 300)],
            ),
            rule(WEB, API, TCP, (8080, 8082), (900, 4, 3), &tcp_flags()),
        ],
        groups(),
    )
}

/// Parses like Terraform: `hcl::from_str`, and an evaluation with no
/// variables must agree (a live `${...}` would fail to evaluate).
fn parse(text: &str) -> hcl::Value {
    let parsed: hcl::Value = hcl::from_str(text).expect("the output is valid HCL");
    let evaluated: hcl::Value = hcl::eval::from_str(text, &hcl::eval::Context::new())
        .expect("the output holds no live template or reference");
    assert_eq!(parsed, evaluated);
    parsed
}

/// The top-level attributes: exactly one, `rules`.
fn rules_value(text: &str) -> hcl::Value {
    match parse(text) {
        hcl::Value::Object(top) => {
            assert_eq!(top.keys().collect::<Vec<_>>(), ["rules"]);
            top["rules"].clone()
        }
        other => panic!("not an object: {other:?}"),
    }
}

/// The `rules` map as key → attribute map, in file order.
fn v2_entries(text: &str) -> Vec<(String, BTreeMap<String, hcl::Value>)> {
    let hcl::Value::Object(rules) = rules_value(text) else {
        panic!("rules is not a map:\n{text}");
    };
    rules.into_iter().map(|(k, v)| (k, attrs(v))).collect()
}

/// The `rules` list as attribute maps, in file order.
fn v1_entries(text: &str) -> Vec<BTreeMap<String, hcl::Value>> {
    let hcl::Value::Array(rules) = rules_value(text) else {
        panic!("rules is not a list:\n{text}");
    };
    rules.into_iter().map(attrs).collect()
}

fn attrs(v: hcl::Value) -> BTreeMap<String, hcl::Value> {
    match v {
        hcl::Value::Object(m) => m.into_iter().collect(),
        other => panic!("an entry is not an object: {other:?}"),
    }
}

fn s(v: &str) -> hcl::Value {
    hcl::Value::String(v.into())
}

fn n(v: i32) -> hcl::Value {
    hcl::Value::from(v)
}

fn expect(pairs: &[(&str, hcl::Value)]) -> BTreeMap<String, hcl::Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn v2_writes_every_attribute_and_nothing_else() {
    let a = analysis(
        vec![
            rule(WEB, DB, TCP, (5432, 5432), (10, 1, 1), &tcp_flags()),
            rule(WEB, API, TCP, (8080, 8082), (10, 1, 1), &tcp_flags()),
            rule(
                MON,
                AGENTS,
                UDP,
                (53, 53),
                (10, 1, 1),
                &[("known-service", 10)],
            ),
            rule(MON, AGENTS, ICMP, (-1, -1), (10, 1, 1), &[("one-way", 10)]),
            rule(MON, DB, ICMP, (8, -1), (10, 1, 1), &[("one-way", 10)]),
            rule(MON, WEB, ICMPV6, (128, 0), (10, 1, 1), &[("one-way", 10)]),
            rule(WEB, "sg-0ffffffffffffffff", 47, (-1, -1), (10, 1, 1), &[]),
        ],
        groups(),
    );
    let (text, warnings) = render(&a, ModuleVersion::V2);
    assert!(warnings.is_empty(), "{warnings:?}");
    let entry = |src: &str, tgt: &str, from: i32, to: Option<i32>, proto: &str, desc: &str| {
        let mut e = vec![
            ("source_sg_id", s(src)),
            ("target_sg_id", s(tgt)),
            ("from_port", n(from)),
            ("protocol", s(proto)),
            ("description", s(desc)),
        ];
        if let Some(to) = to {
            e.push(("to_port", n(to)));
        }
        expect(&e)
    };
    let expected = vec![
        (
            "web-e5f60002-to-db-e5f60003-tcp-5432",
            entry(WEB, DB, 5432, None, "tcp", "sgpair: web to db 5432/tcp"),
        ),
        (
            "web-e5f60002-to-api-e5f60006-tcp-8080",
            entry(
                WEB,
                API,
                8080,
                Some(8082),
                "tcp",
                "sgpair: web to api 8080-8082/tcp",
            ),
        ),
        (
            "monitoring-e5f60004-to-agents-e5f60005-udp-53",
            entry(
                MON,
                AGENTS,
                53,
                None,
                "udp",
                "sgpair: monitoring to agents 53/udp",
            ),
        ),
        (
            "monitoring-e5f60004-to-agents-e5f60005-icmp-all",
            entry(
                MON,
                AGENTS,
                -1,
                Some(-1),
                "icmp",
                "sgpair: monitoring to agents icmp (all types)",
            ),
        ),
        (
            "monitoring-e5f60004-to-db-e5f60003-icmp-8",
            entry(
                MON,
                DB,
                8,
                Some(-1),
                "icmp",
                "sgpair: monitoring to db icmp type 8",
            ),
        ),
        (
            "monitoring-e5f60004-to-web-e5f60002-icmpv6-128",
            entry(
                MON,
                WEB,
                128,
                Some(0),
                "icmpv6",
                "sgpair: monitoring to web icmpv6 type 128",
            ),
        ),
        (
            "web-e5f60002-to-sg-0ffffffffffffffff-proto-47",
            entry(
                WEB,
                "sg-0ffffffffffffffff",
                -1,
                None,
                "47",
                "sgpair: web to sg-0ffffffffffffffff protocol 47",
            ),
        ),
    ];
    let got = v2_entries(&text);
    assert_eq!(got.len(), expected.len(), "{text}");
    for ((key, attrs), (want_key, want)) in got.iter().zip(&expected) {
        assert_eq!(key, want_key);
        assert_eq!(attrs, want, "entry {key}");
    }
}

#[test]
fn v2_comments_give_the_evidence_and_the_window() {
    let a = small_proposal();
    let (text, _) = render(&a, ModuleVersion::V2);
    let comments: Vec<&str> = text
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('#'))
        .collect();
    assert_eq!(
        comments,
        [
            "# Generated by sgpair from VPC flow logs, 2026-11-18..2026-11-24.",
            "# Review before applying; evidence for every rule is in the report.",
            "# 5400 connections, 2 clients, 4 servers, 2026-11-18..2026-11-24, initiator: tcp-flags",
            "# 1200 connections, 3 clients, 2 servers, 2026-11-18..2026-11-24, initiator: tcp-flags, known-service",
            "# 2016 connections, 1 client, 12 servers, 2026-11-18..2026-11-24, initiator: fan-in",
            "# 300 connections, 1 client, 12 servers, 2026-11-18..2026-11-24, initiator: one-way",
            "# 900 connections, 4 clients, 3 servers, 2026-11-18..2026-11-24, initiator: tcp-flags",
        ]
    );
    // Each entry's comment sits right above its key.
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.trim_end().ends_with("= {") && l.starts_with("  \"") {
            assert!(lines[i - 1].starts_with("  # "), "{l}");
        }
    }
}

#[test]
fn hostile_group_names_stay_data() {
    let hostile = [
        (ALB, "a\"b\\c"),
        (WEB, "${var.x}"),
        (DB, "%{if true}x%{endif}"),
        (MON, "line\nsource_sg_id = \"sg-evil\"\n\"evil\" = {"),
        (AGENTS, "*/ # not a comment /* // $${y}"),
        (API, "café ☕ Ωmega"),
    ];
    let groups: Vec<SecurityGroup> = hostile.iter().map(|(id, name)| sg(id, name)).collect();
    let ids: Vec<&str> = hostile.iter().map(|(id, _)| *id).collect();
    let rules: Vec<Rule> = ids
        .iter()
        .zip(ids.iter().cycle().skip(1))
        .map(|(s, t)| rule(s, t, TCP, (443, 443), (7, 1, 1), &tcp_flags()))
        .collect();
    let a = analysis(rules, groups);
    let (text, _) = render(&a, ModuleVersion::V2);
    let got = v2_entries(&text);
    assert_eq!(got.len(), 6, "an entry was injected or lost:\n{text}");
    let expected_descriptions = [
        "sgpair: a b c to ${var.x} 443/tcp",
        "sgpair: ${var.x} to {if true}x {endif} 443/tcp",
        "sgpair: {if true}x {endif} to line source_sg_id = sg-evil evil = { 443/tcp",
        "sgpair: line source_sg_id = sg-evil evil = { to */ # not a comment /* // $${y} 443/tcp",
        "sgpair: */ # not a comment /* // $${y} to caf mega 443/tcp",
        "sgpair: caf mega to a b c 443/tcp",
    ];
    for (((_, attrs), want), (src, tgt)) in got
        .iter()
        .zip(expected_descriptions)
        .zip(ids.iter().zip(ids.iter().cycle().skip(1)))
    {
        assert_eq!(
            attrs,
            &expect(&[
                ("source_sg_id", s(src)),
                ("target_sg_id", s(tgt)),
                ("from_port", n(443)),
                ("protocol", s("tcp")),
                ("description", s(want)),
            ])
        );
    }
    // No name leaks into a comment, and no comment spans lines.
    for l in text.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(
            !["var", "if", "evil", "caf", "\\"]
                .iter()
                .any(|w| l.contains(w)),
            "{l}"
        );
    }
    assert_eq!(text.lines().count(), 2 + 1 + 6 * 8 + 1, "{text}");
}

#[test]
fn hostile_ids_are_escaped_too() {
    let id = "sg-1\" }\n\"x\" = { a = \"${b}";
    let a = analysis(
        vec![rule(id, WEB, TCP, (22, 22), (1, 1, 1), &tcp_flags())],
        groups(),
    );
    for v in [ModuleVersion::V2, ModuleVersion::V1] {
        let (text, _) = render(&a, v);
        let entries = match v {
            ModuleVersion::V2 => v2_entries(&text).into_iter().map(|(_, e)| e).collect(),
            ModuleVersion::V1 => v1_entries(&text),
        };
        assert_eq!(entries.len(), 1, "{text}");
        assert_eq!(entries[0]["source_sg_id"], s(id));
        assert_eq!(
            entries[0]["description"],
            s("sgpair: sg-1 } x = { a = ${b} to web 22/tcp")
        );
    }
}

#[test]
fn descriptions_fit_aws_and_keep_the_service() {
    let long = "n".repeat(255);
    let groups = vec![sg(WEB, &long), sg(DB, &long)];
    let a = analysis(
        vec![rule(WEB, DB, ICMPV6, (-1, -1), (1, 1, 1), &tcp_flags())],
        groups,
    );
    let (text, _) = render(&a, ModuleVersion::V2);
    let (_, attrs) = &v2_entries(&text)[0];
    let hcl::Value::String(d) = &attrs["description"] else {
        panic!("description is not a string");
    };
    assert!(d.len() <= 255, "{}", d.len());
    assert!(d.ends_with(" icmpv6 (all types)"), "{d}");
    assert_eq!(d, &escape::aws_description(d));
}

#[test]
fn unnamed_or_unknown_groups_are_named_by_id() {
    let a = analysis(
        vec![rule(
            WEB,
            "sg-0unknown",
            TCP,
            (80, 80),
            (1, 1, 1),
            &tcp_flags(),
        )],
        vec![sg(WEB, "☕")],
    );
    let (text, _) = render(&a, ModuleVersion::V2);
    assert_eq!(
        v2_entries(&text)[0].1["description"],
        s(&format!("sgpair: {WEB} to sg-0unknown 80/tcp"))
    );
}

#[test]
fn output_is_byte_identical_across_renders() {
    for v in [ModuleVersion::V2, ModuleVersion::V1] {
        let first = render(&small_proposal(), v);
        let second = render(&small_proposal(), v);
        assert_eq!(first, second);
    }
}

#[test]
fn no_rules_is_an_empty_map_or_list() {
    let a = analysis(vec![], groups());
    let (v2, w2) = render(&a, ModuleVersion::V2);
    assert_eq!(
        v2,
        "# Generated by sgpair from VPC flow logs, 2026-11-18..2026-11-24.\n\
         # Review before applying; evidence for every rule is in the report.\n\
         rules = {}\n"
    );
    assert_eq!(rules_value(&v2), hcl::Value::Object(Default::default()));
    let (v1, w1) = render(&a, ModuleVersion::V1);
    assert!(v1.ends_with("\nrules = []\n"), "{v1}");
    assert_eq!(rules_value(&v1), hcl::Value::Array(vec![]));
    assert!(w1.is_empty() && w2.is_empty());
}

#[test]
fn attributes_are_aligned_like_terraform_fmt() {
    let (text, _) = render(&small_proposal(), ModuleVersion::V2);
    assert!(text.contains(
        "  \"web-e5f60002-to-api-e5f60006-tcp-8080\" = {\n    \
         source_sg_id = \"sg-0a1b2c3d4e5f60002\"\n    \
         target_sg_id = \"sg-0a1b2c3d4e5f60006\"\n    \
         from_port    = 8080\n    \
         to_port      = 8082\n    \
         protocol     = \"tcp\"\n    \
         description  = \"sgpair: web to api 8080-8082/tcp\"\n  \
         }\n"
    ));
    let (text, _) = render(&small_proposal(), ModuleVersion::V1);
    assert!(text.contains(
        "  {\n    \
         source_sg_id     = \"sg-0a1b2c3d4e5f60002\"\n    \
         target_sg_id     = \"sg-0a1b2c3d4e5f60003\"\n    \
         destination_port = \"5432\"\n    \
         description      = \"sgpair: web to db 5432/tcp\"\n  \
         },\n"
    ));
}

#[test]
fn v1_is_a_list_of_tcp_ports_as_strings() {
    let a = analysis(
        vec![
            rule(WEB, DB, TCP, (5432, 5432), (10, 1, 1), &tcp_flags()),
            rule(WEB, API, TCP, (8080, 8082), (10, 1, 1), &tcp_flags()),
        ],
        groups(),
    );
    let (text, warnings) = render(&a, ModuleVersion::V1);
    assert!(warnings.is_empty(), "{warnings:?}");
    let entry = |tgt: &str, port: &str, desc: &str| {
        expect(&[
            ("source_sg_id", s(WEB)),
            ("target_sg_id", s(tgt)),
            ("destination_port", s(port)),
            ("description", s(desc)),
        ])
    };
    assert_eq!(
        v1_entries(&text),
        vec![
            entry(DB, "5432", "sgpair: web to db 5432/tcp"),
            entry(API, "8080", "sgpair: web to api 8080/tcp"),
            entry(API, "8081", "sgpair: web to api 8081/tcp"),
            entry(API, "8082", "sgpair: web to api 8082/tcp"),
        ]
    );
    // One evidence comment per rule, above its first entry.
    assert_eq!(text.matches("\n  # 10 connections").count(), 2);
}

#[test]
fn v1_leaves_out_non_tcp_rules_with_a_warning_each() {
    let a = analysis(
        vec![
            rule(MON, AGENTS, UDP, (53, 53), (10, 1, 1), &tcp_flags()),
            rule(WEB, DB, TCP, (5432, 5432), (10, 1, 1), &tcp_flags()),
            rule(MON, AGENTS, ICMP, (-1, -1), (10, 1, 1), &tcp_flags()),
        ],
        groups(),
    );
    let (text, warnings) = render(&a, ModuleVersion::V1);
    let entries = v1_entries(&text);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["destination_port"], s("5432"));
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("monitoring-e5f60004-to-agents-e5f60005-udp-53 (53/udp)"));
    assert!(
        warnings[1].contains("monitoring-e5f60004-to-agents-e5f60005-icmp-all (icmp (all types))")
    );
    for w in &warnings {
        assert!(
            w.contains("left out") && w.contains("--module-version 2"),
            "{w}"
        );
    }
}

#[test]
fn v1_expands_wide_ranges_with_a_warning() {
    let a = analysis(
        vec![
            rule(WEB, API, TCP, (9000, 9063), (10, 1, 1), &tcp_flags()),
            rule(WEB, DB, TCP, (10000, 10064), (10, 1, 1), &tcp_flags()),
        ],
        groups(),
    );
    let (text, warnings) = render(&a, ModuleVersion::V1);
    let entries = v1_entries(&text);
    assert_eq!(entries.len(), 64 + 65);
    let ports: Vec<String> = entries
        .iter()
        .map(|e| match &e["destination_port"] {
            hcl::Value::String(p) => p.clone(),
            other => panic!("destination_port is not a string: {other:?}"),
        })
        .collect();
    let want: Vec<String> = (9000..=9063)
        .chain(10000..=10064)
        .map(|p| p.to_string())
        .collect();
    assert_eq!(ports, want);
    assert_eq!(warnings.len(), 1, "64 ports is not wide: {warnings:?}");
    assert!(
        warnings[0].contains("web-e5f60002-to-db-e5f60003-tcp-10000")
            && warnings[0].contains("65 entries"),
        "{}",
        warnings[0]
    );
}

#[test]
fn v2_snapshot_of_a_small_proposal() {
    let (text, warnings) = render(&small_proposal(), ModuleVersion::V2);
    assert!(warnings.is_empty());
    insta::assert_snapshot!(text);
}

#[test]
fn v1_snapshot_of_a_small_proposal() {
    let (text, warnings) = render(&small_proposal(), ModuleVersion::V1);
    assert_eq!(warnings.len(), 1, "the ICMP rule is left out: {warnings:?}");
    insta::assert_snapshot!(text);
}
