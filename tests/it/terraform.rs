//! The tfvars that sgpair writes, checked by terraform itself: `terraform fmt
//! -check`, then `init`, `validate`, `plan` and `apply` of a root module that
//! declares only the module's `rules` variable (with its type and
//! validation) and outputs what terraform made of each entry. Offline: the
//! root module has no provider and no resource.
//!
//! Needs `terraform` >= 1.3 on PATH; without it the tests fail, they never skip.

use sgpair::aggregate::Evidence;
use sgpair::analysis::Analysis;
use sgpair::emit::escape::aws_description;
use sgpair::emit::tfvars::{ModuleVersion, render};
use sgpair::present::names::rule_keys;
use sgpair::reduce::{ICMP, TCP, UDP};
use sgpair::stats::Stats;
use sgpair::synthesize::{Proposal, Rule, RuleEvidence};
use sgpair::window::Window;

use crate::support::terraform::{fmt_check, module_v2_root, plan, summary, text, workspace};
use crate::support::{Estate, UNTIL_T};

/// The groups, with names that try to break out of a string, a comment or a template.
const GROUPS: &[(&str, &str)] = &[
    ("sg-0a1b2c3d4e5f60001", "alb"),
    ("sg-0a1b2c3d4e5f60002", "web \"tier\" ${var.rules}"),
    ("sg-0a1b2c3d4e5f60003", "db %{if true}x%{endif} \\"),
    ("sg-0a1b2c3d4e5f60004", "mon\nfrom_port = 1\n\"evil\" = {"),
    ("sg-0a1b2c3d4e5f60005", "agents */ # /* $${x} café"),
];

/// A hand-made analysis: TCP single ports, a TCP range, UDP and ICMP.
fn analysis() -> Analysis {
    let g = |i: usize| GROUPS[i].0;
    let rules = vec![
        rule(g(0), g(1), TCP, 8080, 8080),
        rule(g(1), g(2), TCP, 5432, 5432),
        rule(g(1), g(2), TCP, 8080, 8082),
        rule(g(3), g(4), TCP, 9100, 9100),
        rule(g(3), g(4), UDP, 8125, 8125),
        rule(g(3), g(4), ICMP, -1, -1),
        rule(g(3), g(1), ICMP, 8, -1),
    ];
    Analysis {
        window: Window {
            since: UNTIL_T - 7 * 86_400,
            until: UNTIL_T,
        },
        stats: Stats::default(),
        evidence: Evidence::default(),
        proposal: Proposal {
            rules,
            ..Default::default()
        },
        attribution: Default::default(),
        inventory: {
            let mut e = Estate::new();
            for (id, name) in GROUPS {
                e.group(id, name, "vpc-1");
            }
            e.build()
        },
        continuity: None,
    }
}

fn rule(source: &str, target: &str, proto: u8, from_port: i32, to_port: i32) -> Rule {
    Rule {
        source_sg: source.into(),
        target_sg: target.into(),
        proto,
        from_port,
        to_port,
        evidence: RuleEvidence {
            connections: 42,
            records: 84,
            bytes: 4_200,
            first: UNTIL_T - 6 * 86_400,
            last: UNTIL_T - 3_600,
            client_enis: vec!["eni-01".into(), "eni-02".into()],
            server_enis: vec!["eni-03".into()],
            initiator: [("tcp-flags", 42)].into_iter().collect(),
            allowed_pairs: 2,
            observed_pairs: 2,
        },
    }
}

/// What terraform made of each module 2 entry (the variable is
/// [`module_v2_root`]'s), every attribute.
const V2_SUMMARY: &str = r#"
output "summary" {
  value = join("\n", [
    for k, r in var.rules : join("|", [
      k, r.source_sg_id, r.target_sg_id, tostring(r.from_port),
      r.to_port == null ? "null" : tostring(r.to_port),
      r.protocol, r.description, r.description_source, r.description_target,
    ])
  ])
}
"#;

/// The module 1 variable.
const V1_ROOT: &str = r#"
variable "rules" {
  type = list(object({
    source_sg_id     = string
    target_sg_id     = string
    destination_port = string
    description      = string
  }))
}

output "summary" {
  value = join("\n", [
    for r in var.rules : join("|", [r.source_sg_id, r.target_sg_id, r.destination_port, r.description])
  ])
}
"#;

/// A group's name as the description holds it.
fn name(id: &str) -> String {
    let n = GROUPS.iter().find(|(g, _)| *g == id).unwrap().1;
    aws_description(n)
}

/// What terraform must see for module 2: one line per entry, sorted by key
/// (terraform iterates maps in key order).
fn expected_v2(a: &Analysis) -> String {
    let keys = rule_keys(&a.proposal.rules, &a.inventory);
    let mut lines: Vec<String> = a
        .proposal
        .rules
        .iter()
        .zip(keys)
        .map(|(r, key)| {
            let (to_port, proto, service) = match r.proto {
                TCP if r.from_port == r.to_port => {
                    ("null".to_string(), "tcp", format!("{}/tcp", r.from_port))
                }
                TCP => (
                    r.to_port.to_string(),
                    "tcp",
                    format!("{}-{}/tcp", r.from_port, r.to_port),
                ),
                UDP => ("null".to_string(), "udp", format!("{}/udp", r.from_port)),
                ICMP if r.from_port < 0 => {
                    (r.to_port.to_string(), "icmp", "icmp (all types)".into())
                }
                ICMP => (
                    r.to_port.to_string(),
                    "icmp",
                    format!("icmp type {}", r.from_port),
                ),
                p => panic!("no expectation for protocol {p}"),
            };
            let description = aws_description(&format!(
                "sgpair: {} to {} {service}",
                name(&r.source_sg),
                name(&r.target_sg)
            ));
            [
                key,
                r.source_sg.clone(),
                r.target_sg.clone(),
                r.from_port.to_string(),
                to_port,
                proto.into(),
                description,
                String::new(),
                String::new(),
            ]
            .join("|")
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// What terraform must see for module 1: TCP only, one entry per port, in rule order.
fn expected_v1(a: &Analysis) -> String {
    let mut lines = Vec::new();
    for r in a.proposal.rules.iter().filter(|r| r.proto == TCP) {
        for port in r.from_port..=r.to_port {
            let description = aws_description(&format!(
                "sgpair: {} to {} {port}/tcp",
                name(&r.source_sg),
                name(&r.target_sg)
            ));
            lines.push(format!(
                "{}|{}|{port}|{description}",
                r.source_sg, r.target_sg
            ));
        }
    }
    lines.join("\n")
}

#[test]
fn v2_file_is_formatted_and_accepted_by_the_module_type() {
    let a = analysis();
    let (tfvars, warnings) = render(&a, ModuleVersion::V2);
    assert!(warnings.is_empty(), "{warnings:?}");
    let dir = workspace(&module_v2_root(V2_SUMMARY), &tfvars);
    let f = fmt_check(dir.path());
    assert!(f.status.success(), "not terraform fmt layout\n{}", text(&f));
    let got = summary(dir.path());
    assert_eq!(got.lines().count(), a.proposal.rules.len(), "{got}");
    assert_eq!(got, expected_v2(&a));
    // The hostile names reached terraform as plain text.
    assert!(got.contains("sgpair: web tier ${var.rules} to db {if true}x {endif} 5432/tcp"));
}

#[test]
fn v1_file_is_formatted_and_accepted_by_the_legacy_type() {
    let a = analysis();
    let (tfvars, warnings) = render(&a, ModuleVersion::V1);
    assert_eq!(warnings.len(), 3, "UDP and two ICMP rules: {warnings:?}");
    let dir = workspace(V1_ROOT, &tfvars);
    let f = fmt_check(dir.path());
    assert!(f.status.success(), "not terraform fmt layout\n{}", text(&f));
    let got = summary(dir.path());
    assert_eq!(got.lines().count(), 1 + 1 + 3 + 1, "{got}");
    assert_eq!(got, expected_v1(&a));
}

#[test]
fn empty_proposals_are_accepted() {
    let mut a = analysis();
    a.proposal.rules.clear();
    let v2_root = module_v2_root(V2_SUMMARY);
    for (root, v) in [
        (v2_root.as_str(), ModuleVersion::V2),
        (V1_ROOT, ModuleVersion::V1),
    ] {
        let (tfvars, _) = render(&a, v);
        let dir = workspace(root, &tfvars);
        assert!(fmt_check(dir.path()).status.success(), "{tfvars}");
        assert_eq!(summary(dir.path()), "");
    }
}

/// The checks above have teeth: terraform rejects what the module would reject.
#[test]
fn terraform_rejects_broken_files() {
    let a = analysis();
    let (v2, _) = render(&a, ModuleVersion::V2);
    let (v1, _) = render(&a, ModuleVersion::V1);
    let v2_root = module_v2_root(V2_SUMMARY);

    // A list given to the module 2 map type.
    let dir = workspace(&v2_root, &v1);
    let p = plan(dir.path());
    assert!(
        !p.status.success(),
        "a list passed the map type\n{}",
        text(&p)
    );
    assert!(text(&p).contains("map of object required"), "{}", text(&p));

    // Entries without a description fail the module's validation.
    let no_description: String = v2
        .lines()
        .filter(|l| !l.trim_start().starts_with("description"))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = workspace(&v2_root, &no_description);
    let p = plan(dir.path());
    assert!(!p.status.success(), "no description passed\n{}", text(&p));
    assert!(text(&p).contains("Set description"), "{}", text(&p));

    // Unescaped templates, as a naive writer would leave them, are errors.
    let live = v2.replace("$${", "${");
    assert_ne!(live, v2, "the sample holds an escaped template");
    let dir = workspace(&v2_root, &live);
    let p = plan(dir.path());
    assert!(!p.status.success(), "a live template passed\n{}", text(&p));

    // A misaligned attribute is not terraform fmt layout.
    let misaligned = v2.replacen("from_port    =", "from_port =", 1);
    let dir = workspace(&v2_root, &misaligned);
    assert!(!fmt_check(dir.path()).status.success());
}
