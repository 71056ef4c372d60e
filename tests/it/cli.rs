//! End-to-end tests of the `sgpair` binary: the real executable on the
//! bundled sample environment (`sample-logs/`), and on purpose-built
//! scenarios whose inventory and flow logs each test writes into a temporary
//! folder. Every test checks what came out (rules and their attributes,
//! counts, findings), never only the exit status.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use crate::support::flows::status_rec;
use crate::support::outputs::parse_hcl;
use crate::support::run::infer;
use crate::support::terraform::{fmt_check, module_v2_root, summary, text, workspace};
use crate::support::{
    Run, Scenario, T0, TfRule, UNTIL_T, connection, lines, rec, repo, section, v2_lines,
};

/// The window of every run here: `--since 7d --until 2026-11-25T00:00:00Z`.
const WINDOW_START: i64 = UNTIL_T - 7 * 86_400;
const WINDOW_END: i64 = UNTIL_T;

/// A v3 custom format with tcp-flags (what the scenarios use when flags matter).
const V3_FLAGS: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id tcp-flags";
/// Every v2..v5 field, in the order of the AWS documentation's table.
const V5_ALL: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path";
/// Transit-gateway flow logs: not per interface, refused.
const TGW: &str = "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service";

/// (source, target, protocol, from, to) of every rule, sorted.
fn shape(rules: &[TfRule]) -> Vec<(String, String, String, i64, i64)> {
    let mut v: Vec<_> = rules
        .iter()
        .map(|r| {
            (
                r.source.clone(),
                r.target.clone(),
                r.protocol.clone(),
                r.from_port,
                r.to_port.unwrap_or(r.from_port),
            )
        })
        .collect();
    v.sort();
    v
}

fn tcp(source: &str, target: &str, port: i64) -> (String, String, String, i64, i64) {
    (source.into(), target.into(), "tcp".into(), port, port)
}

/// The JSON report's rule for a group pair and port.
fn json_rule<'a>(report: &'a Json, source: &str, target: &str, port: i64) -> &'a Json {
    report["rules"]
        .as_array()
        .expect("rules is a list")
        .iter()
        .find(|r| r["source_sg"] == source && r["target_sg"] == target && r["from_port"] == port)
        .unwrap_or_else(|| {
            panic!(
                "no rule {source} -> {target} {port} in {:#}",
                report["rules"]
            )
        })
}

// ---------------------------------------------------------------------------
// The scenarios' estate

const ALB: &str = "10.0.0.5";
const WEB1: &str = "10.0.1.10";
const WEB1_V6: &str = "2600:1f18:aaaa:bb01::10";
const WEB2: &str = "10.0.1.11";
const DB: &str = "10.0.2.20";
const DB_V6: &str = "2600:1f18:aaaa:bb02::20";
const PAY: &str = "10.0.2.30";
const MON: &str = "10.0.3.40";
const BATCH: &str = "10.0.3.50";
const NAT: &str = "10.0.0.200";

/// The usual cast, in one VPC and subnet: a load balancer, two web hosts, a
/// database and a payments service (all in the shared monitoring-agents
/// group), a monitoring server, a batch host, and a NAT gateway.
fn three_tier() -> Scenario {
    let mut s = Scenario::new();
    s.inv
        .account("123456789012", "us-east-1")
        .vpc("vpc-1", &["10.0.0.0/16", "2600:1f18:aaaa:bb00::/56"])
        .subnet("subnet-1", "vpc-1", &["10.0.0.0/16"]);
    for (id, name) in [
        ("sg-alb", "alb"),
        ("sg-web", "web"),
        ("sg-db", "db"),
        ("sg-pay", "payments"),
        ("sg-mon", "monitoring"),
        ("sg-agents", "monitoring-agents"),
        ("sg-batch", "batch"),
    ] {
        s.inv.group(id, name, "vpc-1");
    }
    let enis: [(&str, &[&str], &[&str]); 7] = [
        ("eni-alb", &[ALB], &["sg-alb"]),
        ("eni-web1", &[WEB1, WEB1_V6], &["sg-web", "sg-agents"]),
        ("eni-web2", &[WEB2], &["sg-web", "sg-agents"]),
        ("eni-db", &[DB, DB_V6], &["sg-db", "sg-agents"]),
        ("eni-pay", &[PAY], &["sg-pay", "sg-agents"]),
        ("eni-mon", &[MON], &["sg-mon"]),
        ("eni-batch", &[BATCH], &["sg-batch"]),
    ];
    for (id, addrs, groups) in enis {
        s.inv
            .eni(id, "vpc-1", addrs, groups)
            .with(|e| e.subnet_id = Some("subnet-1".into()));
    }
    s.inv
        .nat("eni-nat", "vpc-1", NAT)
        .with(|e| e.subnet_id = Some("subnet-1".into()));
    s
}

// ---------------------------------------------------------------------------
// The sample environment

const ALB_SG: &str = "sg-0a11b22c33d44e551";
const WEB_SG: &str = "sg-0b22c33d44e55f662";
const DB_SG: &str = "sg-0c33d44e55f66a773";
const PAY_SG: &str = "sg-0d44e55f66a77b884";
const BASTION_SG: &str = "sg-0e55f66a77b88c995";
const MON_SG: &str = "sg-0f66a77b88c99daa6";
const AGENTS_SG: &str = "sg-0177b88c99daaebb7";
const S3EP_SG: &str = "sg-0288c99daaebbfcc8";
const WEB3_ENI: &str = "eni-017b9d1e3f5c8da07";

fn sample(extra: &[&str]) -> Run {
    infer(
        &repo(),
        &[Path::new("sample-logs/flow-logs")],
        Path::new("sample-logs/inventory.json"),
        extra,
    )
}

/// The sample's groups and their names in its inventory.
const SAMPLE_GROUPS: [(&str, &str); 8] = [
    (ALB_SG, "alb-sg"),
    (WEB_SG, "web-sg"),
    (DB_SG, "db-sg"),
    (PAY_SG, "payments-sg"),
    (BASTION_SG, "bastion-sg"),
    (MON_SG, "monitoring-sg"),
    (AGENTS_SG, "monitoring-agents-sg"),
    (S3EP_SG, "s3-endpoint-sg"),
];

#[test]
fn sample_rules_name_each_group_as_its_inventory_does() {
    let run = sample(&[]);
    run.ok();
    let name = |id: &str| {
        SAMPLE_GROUPS
            .iter()
            .find(|(g, _)| *g == id)
            .unwrap_or_else(|| panic!("{id} is no group of the sample"))
            .1
    };
    let rules = run.rules();
    let md = run.report();
    let mut named = BTreeSet::new();
    for r in &rules {
        assert_eq!(
            r.description,
            format!(
                "sgpair: {} to {} {}/tcp",
                name(&r.source),
                name(&r.target),
                r.from_port
            ),
            "{r:?}"
        );
        for g in [&r.source, &r.target] {
            let shown = format!("{} ({g})", name(g));
            assert!(md.contains(&shown), "the report shows {shown}");
            named.insert(g.clone());
        }
    }
    assert_eq!(named.len(), SAMPLE_GROUPS.len(), "every group is in a rule");
}

#[test]
fn sample_environment_gives_exactly_the_expected_rules() {
    let run = sample(&[]);
    run.ok();
    let rules = run.rules();
    assert_eq!(
        shape(&rules),
        {
            let mut v = vec![
                tcp(ALB_SG, WEB_SG, 8080),
                tcp(WEB_SG, DB_SG, 5432),
                tcp(WEB_SG, PAY_SG, 50051),
                tcp(BASTION_SG, WEB_SG, 22),
                tcp(BASTION_SG, DB_SG, 22),
                tcp(MON_SG, AGENTS_SG, 9100),
                tcp(WEB_SG, S3EP_SG, 443),
            ];
            v.sort();
            v
        },
        "\n{}",
        run.tfvars()
    );
    // Keys are the readable, stable names the module's for_each uses.
    let keys: BTreeSet<&str> = rules.iter().map(|r| r.key.as_str()).collect();
    assert!(keys.contains("monitoring-sg-8c99daa6-to-monitoring-agents-sg-9daaebb7-tcp-9100"));
    assert!(keys.contains("alb-sg-3d44e551-to-web-sg-4e55f662-tcp-8080"));
    for r in &rules {
        assert!(!r.description.is_empty(), "{r:?}");
        assert!(r.description.len() <= 255, "{r:?}");
        assert_eq!(r.to_port, None, "single ports leave to_port out: {r:?}");
    }
    // Nothing for the internet, the NAT gateway, IRC or DNS to 8.8.8.8, and
    // nothing from the psql session that lies outside the window.
    for r in &rules {
        assert!(
            ![6667, 53, 3389, 23].contains(&r.from_port),
            "a rule for suspicious or rejected traffic: {r:?}"
        );
        assert!(
            !(r.source == MON_SG && r.target == DB_SG),
            "the out-of-window psql session became a rule: {r:?}"
        );
    }
    assert!(
        !run.tfvars().contains("10.20.")
            && !run.tfvars().contains("0.0.0.0")
            && !run.tfvars().contains("eni-"),
        "no addresses or interfaces in the module input"
    );
}

#[test]
fn sample_environment_json_report_has_the_evidence() {
    let run = sample(&["--json", "-q"]);
    run.ok();
    assert_eq!(run.stderr, "", "-q prints nothing on stderr");
    let r = run.json();

    // IPv6: web-3's four long-lived channels to the payments service carry no
    // SYN anywhere; fan-in orients them, and the IPv4 rule covers them.
    let pay = json_rule(r, WEB_SG, PAY_SG, 50051);
    assert_eq!(pay["evidence"]["initiator"]["fan-in"], 4, "{pay:#}");
    assert!(pay["evidence"]["initiator"]["tcp-flags"].as_u64().unwrap() > 0);
    assert!(
        pay["evidence"]["client_enis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == WEB3_ENI)
    );
    // The shared monitoring group: one rule over all six members.
    let mon = json_rule(r, MON_SG, AGENTS_SG, 9100);
    assert_eq!(mon["evidence"]["server_enis"].as_array().unwrap().len(), 6);
    assert_eq!(mon["evidence"]["allowed_pairs"], 6);
    assert_eq!(mon["evidence"]["observed_pairs"], 6);
    // Both ALB interfaces reach all three web hosts.
    let alb = json_rule(r, ALB_SG, WEB_SG, 8080);
    assert_eq!(
        (
            &alb["evidence"]["allowed_pairs"],
            &alb["evidence"]["observed_pairs"]
        ),
        (&json!(6), &json!(6))
    );

    let s = &r["summary"];
    assert_eq!(s["undecided"], 0, "{s:#}");
    assert_eq!(s["coverage"]["covered"], s["coverage"]["grouped"], "{s:#}");
    assert_eq!(s["optimal"], true);

    let st = &r["stats"];
    assert_eq!(st["records"], 14400);
    assert_eq!(st["used"], 13212);
    assert_eq!(st["rejected"], 260);
    assert_eq!(
        st["skipped"],
        json!({"nodata": 908, "outside the window": 16, "skipdata": 4})
    );
    assert_eq!(st["files"], 195);

    // Suspicious: SSH from the internet, IRC from web-2, DNS to 8.8.8.8. The
    // NAT gateway's legs of the same flows meet them through pkt-dstaddr, so
    // the gateway's own address is never a server here.
    let sus: BTreeSet<(String, u64)> = r["suspicious"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["server"].as_str().unwrap().to_string(),
                x["port"].as_u64().unwrap(),
            )
        })
        .collect();
    for want in [("10.20.0.10", 22), ("192.0.2.166", 6667), ("8.8.8.8", 53)] {
        assert!(
            sus.contains(&(want.0.to_string(), want.1)),
            "{want:?} in {sus:?}"
        );
    }
    assert!(
        !sus.iter().any(|(server, _)| server == "10.20.0.200"),
        "{sus:?}"
    );
    // External: internet ingress at the load balancer, internet egress (the
    // NAT gateway's legs are the same connections), DynamoDB.
    let kinds: BTreeSet<&str> = r["external"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["aws-service", "internet-egress", "internet-ingress",])
    );
    // Rejected scans, including IPv6 ones against the database.
    let rejected = r["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 12);
    assert_eq!(
        rejected
            .iter()
            .map(|x| x["records"].as_u64().unwrap())
            .sum::<u64>(),
        260
    );
    assert!(
        rejected
            .iter()
            .any(|x| x["dst"] == "2600:1f18:4a3:6b20:5d1c:88e2:a7f0:3b21" && x["dstport"] == 5432)
    );
    // SKIPDATA gaps: three intervals on web-2, one on payments.
    let gaps: Vec<(String, u64)> = r["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["interface_id"].as_str().unwrap().to_string(),
                g["intervals"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        gaps,
        vec![
            ("eni-06c0e26d8e0bd2f3c".to_string(), 1),
            ("eni-0f6a8c0d2e4b7c906".to_string(), 3)
        ]
    );
}

#[test]
fn sample_environment_report_and_stderr_name_the_findings() {
    let run = sample(&[]);
    run.ok();
    assert_eq!(
        run.summary(),
        "read 14400 records from 195 streams: 13212 used as evidence, 260 rejected (not evidence), 928 skipped (nodata: 908, outside the window: 16, skipdata: 4)"
    );
    for line in [
        "Rules proposed: 7 mutual rules",
        "Suspicious: 3 aggregates",
        "Undecided initiator: 0 aggregates (0 records)",
    ] {
        assert!(run.stderr.contains(line), "{line:?} in\n{}", run.stderr);
    }
    assert_eq!(
        run.stderr
            .matches("the default v2 format was assumed")
            .count(),
        2,
        "the two CloudWatch files have no header: {}",
        run.stderr
    );

    let md = run.report();
    let sus = section(&md, "Suspicious traffic");
    assert!(sus.contains("IRC") && sus.contains("192.0.2.166"), "{sus}");
    assert!(sus.contains("8.8.8.8") && sus.contains("DNS"), "{sus}");
    assert!(sus.contains("SSH") && sus.contains("203.0.113.25"), "{sus}");
    let ext = section(&md, "Traffic that cannot be a security-group rule");
    assert!(ext.contains("Egress to the internet"), "{ext}");
    assert!(
        ext.contains("192.0.2.210") && ext.contains("192.0.2.211"),
        "{ext}"
    );
    assert!(ext.contains("Ingress from the internet"), "{ext}");
    assert!(ext.contains("DYNAMODB"), "{ext}");
    let rej = section(&md, "Rejected traffic");
    assert!(rej.contains("260"), "{rej}");
    assert!(
        rej.contains("3389/tcp") && rej.contains("10.20.0.10"),
        "{rej}"
    );
    let skipped = section(&md, "Skipped records");
    for (reason, n) in [
        ("nodata", "908"),
        ("outside the window", "16"),
        ("skipdata", "4"),
    ] {
        assert!(
            skipped.lines().any(|l| l.contains(reason) && l.contains(n)),
            "{reason} {n} in {skipped}"
        );
    }
    let gaps = section(&md, "Gaps in the evidence");
    assert!(gaps.contains("eni-0f6a8c0d2e4b7c906"), "{gaps}");
    for rule in run.rules() {
        assert!(md.contains(&rule.key), "the report lists rule {}", rule.key);
    }
}

#[test]
fn sample_environment_runs_are_byte_identical_and_snapshotted() {
    let a = sample(&[]);
    let b = sample(&[]);
    a.ok();
    b.ok();
    assert_eq!(a.tfvars(), b.tfvars());
    assert_eq!(a.report(), b.report());
    insta::assert_snapshot!("sample_tfvars", a.tfvars());
    insta::assert_snapshot!("sample_report", a.report());
}

#[test]
fn sample_environment_in_the_module_1_shape() {
    let run = sample(&["--module-version", "1"]);
    run.ok();
    let v = parse_hcl(&run.tfvars());
    let list = v.as_object().unwrap()["rules"]
        .as_array()
        .expect("module 1 takes a list");
    let mut got: Vec<(String, String, String)> = list
        .iter()
        .map(|r| {
            let r = r.as_object().unwrap();
            assert_eq!(
                r.keys().map(String::as_str).collect::<BTreeSet<_>>(),
                BTreeSet::from([
                    "source_sg_id",
                    "target_sg_id",
                    "destination_port",
                    "description"
                ])
            );
            (
                r["source_sg_id"].as_str().unwrap().to_string(),
                r["target_sg_id"].as_str().unwrap().to_string(),
                r["destination_port"]
                    .as_str()
                    .expect("destination_port is a string in module 1")
                    .to_string(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String, String)> = [
        (ALB_SG, WEB_SG, "8080"),
        (WEB_SG, DB_SG, "5432"),
        (WEB_SG, PAY_SG, "50051"),
        (BASTION_SG, WEB_SG, "22"),
        (BASTION_SG, DB_SG, "22"),
        (MON_SG, AGENTS_SG, "9100"),
        (WEB_SG, S3EP_SG, "443"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
}

/// What terraform made of each module 2 entry (the variable is
/// [`module_v2_root`]'s): key, groups, ports and protocol.
const V2_SUMMARY: &str = r#"
output "summary" {
  value = join("\n", [
    for k, r in var.rules : join("|", [
      k, r.source_sg_id, r.target_sg_id, tostring(r.from_port),
      r.to_port == null ? "null" : tostring(r.to_port), r.protocol,
    ])
  ])
}
"#;

#[test]
fn sample_tfvars_is_accepted_by_terraform_as_the_module_input() {
    let run = sample(&["-q"]);
    run.ok();
    let ws = workspace(&module_v2_root(V2_SUMMARY), &run.tfvars());
    let f = fmt_check(ws.path());
    assert!(f.status.success(), "not terraform fmt layout\n{}", text(&f));
    let out = summary(ws.path());
    let mut got: Vec<&str> = out.lines().collect();
    got.sort();
    let want = [
        format!("alb-sg-3d44e551-to-web-sg-4e55f662-tcp-8080|{ALB_SG}|{WEB_SG}|8080|null|tcp"),
        format!("bastion-sg-7b88c995-to-db-sg-5f66a773-tcp-22|{BASTION_SG}|{DB_SG}|22|null|tcp"),
        format!("bastion-sg-7b88c995-to-web-sg-4e55f662-tcp-22|{BASTION_SG}|{WEB_SG}|22|null|tcp"),
        format!(
            "monitoring-sg-8c99daa6-to-monitoring-agents-sg-9daaebb7-tcp-9100|{MON_SG}|{AGENTS_SG}|9100|null|tcp"
        ),
        format!("web-sg-4e55f662-to-db-sg-5f66a773-tcp-5432|{WEB_SG}|{DB_SG}|5432|null|tcp"),
        format!(
            "web-sg-4e55f662-to-payments-sg-6a77b884-tcp-50051|{WEB_SG}|{PAY_SG}|50051|null|tcp"
        ),
        format!(
            "web-sg-4e55f662-to-s3-endpoint-sg-aebbfcc8-tcp-443|{WEB_SG}|{S3EP_SG}|443|null|tcp"
        ),
    ];
    assert_eq!(got, want.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn the_same_folder_named_twice_is_read_once() {
    // `dir` and `./dir` are one folder: reading it twice would double every count.
    let run = infer(
        &repo(),
        &[
            Path::new("sample-logs/flow-logs"),
            Path::new("./sample-logs/flow-logs"),
            Path::new("sample-logs/flow-logs/cloudwatch"),
        ],
        Path::new("sample-logs/inventory.json"),
        &[],
    );
    run.ok();
    assert!(
        run.summary()
            .starts_with("read 14400 records from 195 streams: 13212 used"),
        "{}",
        run.summary()
    );
    assert_eq!(run.tfvars(), sample(&[]).tfvars());
}

#[test]
fn sample_generator_is_committed_with_its_output() {
    // The generator's own summary of what it wrote, checked against the files.
    let dir = repo().join("sample-logs/flow-logs");
    let mut files = Vec::new();
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out)
            } else {
                out.push(p)
            }
        }
    }
    walk(&dir, &mut files);
    assert_eq!(files.len(), 195);
    let total: u64 = files
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(total < 2_000_000, "the sample stays small: {total} bytes");
    let s3 = files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".log.gz"))
        .count();
    assert_eq!(s3, 193);
    for p in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gz"))
    {
        let name = p.file_name().unwrap().to_string_lossy();
        let rel = p.strip_prefix(&dir).unwrap().to_string_lossy().to_string();
        assert!(
            rel.starts_with("AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/"),
            "{rel}"
        );
        assert!(
            name.starts_with("123456789012_vpcflowlogs_us-east-1_fl-0"),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------
// Scenarios

#[test]
fn multi_group_interfaces_get_the_narrowest_group_and_role_groups_over_a_shared_one() {
    let s = three_tier();
    let mut recs = Vec::new();
    // alb -> both web hosts: web is narrower than monitoring-agents.
    for (i, web) in [("eni-web1", WEB1), ("eni-web2", WEB2)].iter().enumerate() {
        recs.extend(connection(
            (Some("eni-alb"), ALB, 20000 + i as u16),
            (Some(web.0), web.1, 8080),
            T0 + 100,
            true,
        ));
    }
    // monitoring -> every member of monitoring-agents on 9100: the agents
    // group would allow exactly these in one rule, but it is shared across
    // roles (every future member would be reachable) and no existing rule
    // names it, so the role groups win, and the report says why.
    for (i, (eni, addr)) in [
        ("eni-web1", WEB1),
        ("eni-web2", WEB2),
        ("eni-db", DB),
        ("eni-pay", PAY),
    ]
    .iter()
    .enumerate()
    {
        recs.extend(connection(
            (Some("eni-mon"), MON, 40000 + i as u16),
            (Some(eni), addr, 9100),
            T0 + 200,
            true,
        ));
    }
    // monitoring -> only the web hosts on 9200: the shared group would open
    // the database and payments too, so web is the target.
    for (i, (eni, addr)) in [("eni-web1", WEB1), ("eni-web2", WEB2)].iter().enumerate() {
        recs.extend(connection(
            (Some("eni-mon"), MON, 41000 + i as u16),
            (Some(eni), addr, 9200),
            T0 + 300,
            true,
        ));
    }
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    let run = s.run(&["--json"]);
    run.ok();
    assert_eq!(
        shape(&run.rules()),
        vec![
            tcp("sg-alb", "sg-web", 8080),
            tcp("sg-mon", "sg-db", 9100),
            tcp("sg-mon", "sg-pay", 9100),
            tcp("sg-mon", "sg-web", 9100),
            tcp("sg-mon", "sg-web", 9200),
        ]
    );
    let r = run.json();
    let scrape = json_rule(r, "sg-mon", "sg-web", 9100);
    assert_eq!(scrape["evidence"]["connections"], 2);
    assert_eq!(
        (
            &scrape["evidence"]["allowed_pairs"],
            &scrape["evidence"]["observed_pairs"]
        ),
        (&json!(2), &json!(2))
    );
    assert_eq!(
        r["alternatives"][0]["others"][0][1], "not-shared",
        "{:#}",
        r["alternatives"]
    );
    assert_eq!(
        json_rule(r, "sg-alb", "sg-web", 8080)["evidence"]["connections"],
        2
    );
}

#[test]
fn high_service_port_without_flags_is_found_by_fan_in() {
    let s = three_tier();
    let mut recs = Vec::new();
    // v2 default format: no tcp-flags at all. Client ports on both sides of 50051.
    for (i, cp) in [40000u16, 41000, 52000, 60000].into_iter().enumerate() {
        recs.extend(connection(
            (Some("eni-web1"), WEB1, cp),
            (Some("eni-pay"), PAY, 50051),
            T0 + 600 * i as i64,
            false,
        ));
    }
    s.log("eni-web1-all.log", &v2_lines(&recs));
    let run = s.run(&["--json"]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-web", "sg-pay", 50051)]);
    let r = run.json();
    let e = &json_rule(r, "sg-web", "sg-pay", 50051)["evidence"];
    assert_eq!(e["connections"], 4);
    assert_eq!(e["records"], 16);
    assert_eq!(e["initiator"], json!({"fan-in": 4}));
    assert_eq!(r["summary"]["undecided"], 0);
}

#[test]
fn flagless_records_follow_a_service_proven_by_flags() {
    let s = three_tier();
    let mut recs = connection(
        (Some("eni-web1"), WEB1, 40000),
        (Some("eni-pay"), PAY, 50051),
        T0,
        true,
    );
    // A later interval of a long connection from the batch host: flags 0,
    // and its client port (33000) is lower than the service port, so port
    // ranges alone would make the batch host the server of port 33000.
    recs.extend(connection(
        (Some("eni-batch"), BATCH, 33000),
        (Some("eni-pay"), PAY, 50051),
        T0 + 1200,
        false,
    ));
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    let run = s.run(&["--json"]);
    run.ok();
    assert_eq!(
        shape(&run.rules()),
        vec![
            tcp("sg-batch", "sg-pay", 50051),
            tcp("sg-web", "sg-pay", 50051)
        ]
    );
    let r = run.json();
    assert_eq!(
        json_rule(r, "sg-batch", "sg-pay", 50051)["evidence"]["initiator"],
        json!({"known-service": 1})
    );
    assert_eq!(
        json_rule(r, "sg-web", "sg-pay", 50051)["evidence"]["initiator"],
        json!({"tcp-flags": 1})
    );
}

#[test]
fn request_and_response_at_both_interfaces_count_as_one_connection() {
    for (name, text) in [
        (
            "with flags",
            lines(
                &connection(
                    (Some("eni-web1"), WEB1, 45000),
                    (Some("eni-db"), DB, 5432),
                    T0,
                    true,
                ),
                V3_FLAGS,
                true,
            ),
        ),
        (
            "v2 without flags",
            v2_lines(&connection(
                (Some("eni-web1"), WEB1, 45000),
                (Some("eni-db"), DB, 5432),
                T0,
                false,
            )),
        ),
    ] {
        let s = three_tier();
        s.log("flows.log", &text);
        let run = s.run(&["--json"]);
        run.ok();
        assert_eq!(
            shape(&run.rules()),
            vec![tcp("sg-web", "sg-db", 5432)],
            "{name}"
        );
        let r = run.json();
        let e = &json_rule(r, "sg-web", "sg-db", 5432)["evidence"];
        assert_eq!(e["connections"], 1, "{name}: {e:#}");
        assert_eq!(e["records"], 4, "{name}");
        assert_eq!(e["bytes"], 1800, "{name}: bytes count at one interface");
        assert_eq!(e["client_enis"], json!(["eni-web1"]), "{name}");
        for line in [
            "Connections observed: 1 connection in 1 aggregate\n",
            "Rules proposed: 1 mutual rule (",
            "Undecided initiator: 0 aggregates (0 records)",
        ] {
            assert!(
                run.stderr.contains(line),
                "{name}: {line:?} in {}",
                run.stderr
            );
        }
    }
}

#[test]
fn rejected_traffic_only_gives_no_rule() {
    let s = three_tier();
    let recs = [
        rec("eni-web1", "198.51.100.7", 51000, WEB1, 22)
            .flags(2)
            .reject(),
        rec("eni-db", WEB1, 45000, DB, 3306).flags(2).reject(),
        rec("eni-db", WEB1, 45001, DB, 3306)
            .flags(2)
            .reject()
            .at(T0 + 900),
    ];
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    // No accepted record: no evidence, the run refuses unless asked.
    let refused = s.run(&["--json"]);
    refused.exits(1);
    assert!(
        refused
            .stderr
            .contains("the window holds rejected records only"),
        "{}",
        refused.stderr
    );
    let run = s.run(&["--json", "--allow-empty"]);
    run.ok();
    assert!(run.rules().is_empty(), "{}", run.tfvars());
    assert!(
        run.summary()
            .starts_with("read 3 records from 1 stream: 0 used as evidence, 3 rejected"),
        "{}",
        run.summary()
    );
    let r = run.json();
    let rej: Vec<(String, u64, u64)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["dst"].as_str().unwrap().to_string(),
                x["dstport"].as_u64().unwrap(),
                x["records"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rej,
        vec![(DB.to_string(), 3306, 2), (WEB1.to_string(), 22, 1)]
    );
    let md = run.report();
    assert!(section(&md, "Rejected traffic").contains("3306/tcp"));
}

/// A rejected ICMP record is named by its type as the rest of the report
/// names ICMP: a ping answered (type and code 0, what AWS logs when it
/// carries no type) is `icmp (all types)` in the rejected table as in the
/// ingress that let the ping in, and a rejected echo request (type 8, code
/// 0) is `icmp type 8`; the table used to read the code as the type and
/// called both `icmp type 0`.
#[test]
fn rejected_icmp_is_spelled_as_the_rest_of_the_report_spells_icmp() {
    let s = three_tier();
    let recs = [
        rec("eni-web1", "203.0.113.12", 0, WEB1, 0).proto(1),
        rec("eni-web1", WEB1, 0, "203.0.113.12", 0)
            .proto(1)
            .reject(),
        rec("eni-web1", "198.51.100.7", 8, WEB1, 0)
            .proto(1)
            .reject(),
    ];
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    let run = s.run(&["--json"]);
    run.ok();
    let md = run.report();
    let ext = section(&md, "Traffic that cannot be a security-group rule");
    assert!(
        ext.lines()
            .any(|l| l.contains("203.0.113.12") && l.contains("| icmp (all types) |")),
        "{ext}"
    );
    let rej = section(&md, "Rejected traffic");
    for row in [
        "| 203.0.113.12 | icmp (all types) | 1 |",
        "| 10.0.1.10 | icmp type 8 | 1 |",
    ] {
        assert!(rej.contains(row), "{row} in {rej}");
    }
    assert!(!rej.contains("icmp type 0"), "{rej}");
    let r = run.json();
    let services: BTreeSet<(&str, &str)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["dst"].as_str().unwrap(), x["service"].as_str().unwrap()))
        .collect();
    assert_eq!(
        services,
        BTreeSet::from([("203.0.113.12", "icmp (all types)"), (WEB1, "icmp type 8")])
    );
}

#[test]
fn records_outside_the_window_give_no_rule_and_are_counted() {
    let s = three_tier();
    let mut recs = connection(
        (Some("eni-web1"), WEB1, 45000),
        (Some("eni-db"), DB, 5432),
        WINDOW_START - 120,
        true,
    );
    recs.extend(connection(
        (Some("eni-mon"), MON, 45000),
        (Some("eni-db"), DB, 5432),
        WINDOW_END + 1,
        true,
    ));
    // One connection inside, right at the start of the window.
    recs.extend(connection(
        (Some("eni-alb"), ALB, 3000),
        (Some("eni-web1"), WEB1, 8080),
        WINDOW_START,
        true,
    ));
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    let run = s.run(&[]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-alb", "sg-web", 8080)]);
    assert_eq!(
        run.summary(),
        "read 12 records from 1 stream: 4 used as evidence, 0 rejected (not evidence), 8 skipped (outside the window: 8)"
    );
}

/// The three tiers with one web → db connection and records of other
/// statuses (interface, status, start), logged in one file.
fn web_to_db_with(statuses: &[(&'static str, &'static str, i64)]) -> Scenario {
    let s = three_tier();
    let mut recs = connection(
        (Some("eni-web1"), WEB1, 45000),
        (Some("eni-db"), DB, 5432),
        T0,
        false,
    );
    recs.extend(
        statuses
            .iter()
            .map(|&(eni, status, start)| status_rec(eni, status, start)),
    );
    s.log("eni-all.log", &v2_lines(&recs));
    s
}

#[test]
fn nodata_and_skipdata_are_counted_in_the_summary() {
    let s = web_to_db_with(&[
        ("eni-pay", "NODATA", T0),
        ("eni-pay", "NODATA", T0 + 600),
        ("eni-web2", "SKIPDATA", T0 + 1200),
    ]);
    let run = s.run(&["--json"]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-web", "sg-db", 5432)]);
    assert_eq!(
        run.summary(),
        "read 7 records from 1 stream: 4 used as evidence, 0 rejected (not evidence), 3 skipped (nodata: 2, skipdata: 1)"
    );
    let r = run.json();
    assert_eq!(
        r["gaps"],
        json!([{"interface_id": "eni-web2", "intervals": 1, "first": T0 + 1200, "last": T0 + 1740}])
    );
}

/// A NODATA or SKIPDATA record that starts outside the window is outside
/// the window, as an accepted one is: counted so, never as `nodata` or
/// `skipdata`, and placed where the records outside lie when the window
/// holds no evidence.
#[test]
fn records_of_any_status_outside_the_window_are_counted_as_outside() {
    let s = web_to_db_with(&[
        ("eni-pay", "NODATA", T0),
        ("eni-pay", "NODATA", WINDOW_START - 86_400),
        ("eni-web2", "SKIPDATA", WINDOW_END),
    ]);
    let run = s.run(&[]);
    run.ok();
    assert_eq!(
        run.summary(),
        "read 7 records from 1 stream: 4 used as evidence, 0 rejected (not evidence), 3 skipped (nodata: 1, outside the window: 2)"
    );

    let s = three_tier();
    let recs = [
        status_rec("eni-pay", "NODATA", WINDOW_START - 86_400),
        rec("eni-web1", WEB1, 45000, DB, 5432).at(WINDOW_START - 3_600),
    ];
    s.log("eni-all.log", &v2_lines(&recs));
    let refused = s.run(&[]);
    refused.exits(1);
    assert!(
        refused.stderr.contains(
            "2 records lie outside the window (those read run from 2026-11-17T00:00:00Z to \
             2026-11-17T23:01:00Z)"
        ),
        "{}",
        refused.stderr
    );
}

#[test]
fn suspicious_destinations_give_no_rule_and_are_reported() {
    let s = three_tier();
    let mut recs = Vec::new();
    // IRC to the internet, DNS to 8.8.8.8, a mining pool, SSH from the internet,
    // and IRC between two grouped hosts (suspicious anywhere).
    recs.extend(connection(
        (Some("eni-web1"), WEB1, 45000),
        (None, "192.0.2.66", 6667),
        T0,
        true,
    ));
    recs.extend(connection(
        (Some("eni-web1"), WEB1, 45001),
        (None, "8.8.8.8", 53),
        T0,
        false,
    ));
    for r in recs.iter_mut().skip(2) {
        *r = r.clone().proto(17);
    }
    recs.extend(connection(
        (Some("eni-web2"), WEB2, 45002),
        (None, "198.51.100.9", 3333),
        T0,
        true,
    ));
    recs.extend(connection(
        (None, "203.0.113.9", 52000),
        (Some("eni-db"), DB, 22),
        T0,
        true,
    ));
    recs.extend(connection(
        (Some("eni-web1"), WEB1, 45003),
        (Some("eni-web2"), WEB2, 6667),
        T0,
        true,
    ));
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    let run = s.run(&["--json"]);
    run.ok();
    assert!(
        run.rules().is_empty(),
        "no rule for suspicious traffic, not even between groups:\n{}",
        run.tfvars()
    );
    let r = run.json();
    let mut sus: Vec<(String, u64, String)> = r["suspicious"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["server"].as_str().unwrap().to_string(),
                x["port"].as_u64().unwrap(),
                x["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    sus.sort();
    assert_eq!(
        sus,
        vec![
            (WEB2.to_string(), 6667, "high".to_string()),
            (DB.to_string(), 22, "high".to_string()),
            ("192.0.2.66".to_string(), 6667, "high".to_string()),
            ("198.51.100.9".to_string(), 3333, "high".to_string()),
            ("8.8.8.8".to_string(), 53, "medium".to_string()),
        ]
    );
    let md = section(&run.report(), "Suspicious traffic").to_string();
    for needle in [
        "192.0.2.66",
        "8.8.8.8",
        "198.51.100.9",
        "203.0.113.9",
        "IRC",
        "DNS",
        "SSH",
    ] {
        assert!(md.contains(needle), "{needle} in\n{md}");
    }
    assert!(
        run.stderr.contains("\nSuspicious: 5 aggregates ("),
        "{}",
        run.stderr
    );
}

#[test]
fn an_ipv6_connection_gives_a_rule() {
    let s = three_tier();
    let recs = connection(
        (Some("eni-web1"), WEB1_V6, 45000),
        (Some("eni-db"), DB_V6, 5432),
        T0,
        true,
    );
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    let run = s.run(&["--json"]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-web", "sg-db", 5432)]);
    let r = run.json();
    let e = &json_rule(r, "sg-web", "sg-db", 5432)["evidence"];
    assert_eq!(e["connections"], 1);
    assert_eq!(e["client_enis"], json!(["eni-web1"]));
    assert_eq!(e["server_enis"], json!(["eni-db"]));
}

#[test]
fn a_malformed_line_is_reported_with_its_place_and_the_run_goes_on() {
    let s = three_tier();
    let good = connection(
        (Some("eni-web1"), WEB1, 45000),
        (Some("eni-db"), DB, 5432),
        T0,
        false,
    );
    let mut text = String::new();
    text.push_str(&good[0].v2());
    text.push('\n');
    text.push_str(&good[1].v2());
    text.push('\n');
    // line 3: a port out of range
    text.push_str(&good[0].v2().replace(" 45000 ", " 70000 "));
    text.push('\n');
    // line 4: cut short
    text.push_str("2 123456789012 eni-web1 10.0.1.10 10.0.2.20 45000\n");
    text.push_str(&good[2].v2());
    text.push('\n');
    text.push_str(&good[3].v2());
    text.push('\n');
    let file = s.log("eni-all.log", &text);
    let run = s.run(&[]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-web", "sg-db", 5432)]);
    assert_eq!(
        run.summary(),
        "read 6 records from 1 stream: 4 used as evidence, 0 rejected (not evidence), 2 skipped (bad port: 1, wrong field count: 1)"
    );
    let place = file.display().to_string();
    assert!(
        run.stderr
            .contains(&format!("{place}:3: srcport is \"70000\"")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("{place}:4: 6 fields where the format has 14")),
        "{}",
        run.stderr
    );
    let skipped = section(&run.report(), "Skipped records").to_string();
    assert!(skipped.contains("eni-all.log:3"), "{skipped}");
}

#[test]
fn gzip_file_with_a_header_in_the_s3_layout() {
    let s = three_tier();
    let recs = connection(
        (Some("eni-alb"), ALB, 3000),
        (Some("eni-web1"), WEB1, 8080),
        T0,
        true,
    );
    s.log_gz(
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/24/123456789012_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20261124T0005Z_1a2b3c4d.log.gz",
        &lines(&recs, V5_ALL, true),
    );
    let run = s.run(&["--json"]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-alb", "sg-web", 8080)]);
    let r = run.json();
    assert_eq!(r["stats"]["records"], 4, "the header is not a record");
    assert_eq!(r["stats"]["used"], 4);
    assert_eq!(
        r["stats"]["notes"],
        json!([]),
        "no format had to be assumed"
    );
    assert_eq!(
        json_rule(r, "sg-alb", "sg-web", 8080)["evidence"]["initiator"],
        json!({"tcp-flags": 1})
    );
}

#[test]
fn a_custom_field_order_from_a_header_or_from_log_format() {
    // A shuffled order, with the flags the default format lacks.
    let order = "srcport start interface-id dstaddr action tcp-flags end srcaddr protocol log-status dstport bytes packets";
    // alb:3000 -> web:8080 with SYN: only flags (or fan-in) can orient a
    // registered port against a registered port.
    let recs = connection(
        (Some("eni-alb"), ALB, 9000),
        (Some("eni-web1"), WEB1, 8080),
        T0,
        true,
    );

    let header = three_tier();
    header.log("with-header.log", &lines(&recs, order, true));
    let run = header.run(&["--json"]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-alb", "sg-web", 8080)]);
    assert_eq!(run.json()["stats"]["used"], 4);

    let given = three_tier();
    given.log("no-header.log", &lines(&recs, order, false));
    let log_format: String = order
        .split_whitespace()
        .map(|f| format!("${{{f}}}"))
        .collect::<Vec<_>>()
        .join(" ");
    let run = given.run(&["--json", "--log-format", &log_format]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-alb", "sg-web", 8080)]);
    let r = run.json();
    assert_eq!(r["stats"]["used"], 4);
    assert_eq!(r["stats"]["notes"], json!([]));

    // Without either, the default v2 order is assumed, said, and nothing
    // fits: no evidence, so the run fails and says why.
    let run = given.run(&[]);
    run.exits(1);
    assert!(
        run.stderr.contains(
            "0 used as evidence, 0 rejected (not evidence), 4 skipped (wrong field count: 4)"
        ),
        "{}",
        run.stderr
    );
    // The note says why nothing fits, and what to give.
    assert!(
        run.stderr.contains(
            "no-header.log: no header line and no --log-format: the default v2 format was assumed, \
             but its first record has 13 fields, not v2's 14: if its flow log has a custom format, \
             give that format's fields with --log-format"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn json_wrapped_message_lines_are_unwrapped() {
    let s = three_tier();
    let recs = connection(
        (Some("eni-web1"), WEB1, 45000),
        (Some("eni-db"), DB, 5432),
        T0,
        false,
    );
    let mut text: String = recs
        .iter()
        .map(|r| {
            json!({"timestamp": T0 * 1000, "message": r.v2(), "ingestionTime": T0 * 1000 + 5})
                .to_string()
                + "\n"
        })
        .collect();
    text.push_str("{\"msg\": \"not a flow log\"}\n");
    s.log("export.jsonl", &text);
    let run = s.run(&[]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-web", "sg-db", 5432)]);
    assert_eq!(
        run.summary(),
        "read 5 records from 1 stream: 4 used as evidence, 0 rejected (not evidence), 1 skipped (bad json: 1)"
    );
    assert!(run.stderr.contains("export.jsonl:5"), "{}", run.stderr);
}

/// `aws logs create-export-task` writes each event as its time, a space,
/// then the message: the time is dropped, the record read as it is, and
/// the default format's note counts the record's fields, not the time's.
#[test]
fn lines_of_a_cloudwatch_export_to_s3_lose_the_event_time() {
    let s = three_tier();
    let recs = connection(
        (Some("eni-web1"), WEB1, 45000),
        (Some("eni-db"), DB, 5432),
        T0,
        false,
    );
    let text: String = recs
        .iter()
        .enumerate()
        .map(|(i, r)| format!("2026-11-24T00:0{i}:05.123Z {}\n", r.v2()))
        .collect();
    s.log("exportedlogs/task-1/eni-db-all/000000", &text);
    let run = s.run(&[]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-web", "sg-db", 5432)]);
    assert_eq!(
        run.summary(),
        format!(
            "read {n} records from 1 stream: {n} used as evidence, 0 rejected (not evidence), 0 skipped",
            n = recs.len()
        )
    );
    assert!(
        run.stderr.contains(
            "000000: no header line and no --log-format: the default v2 format was assumed\n"
        ),
        "{}",
        run.stderr
    );
}

/// The default format's note counts the fields of a wrapped record, not
/// the JSON's words around it: v2 records get the plain note, a record of
/// another width the hint to give its format.
#[test]
fn the_default_format_s_note_counts_a_wrapped_record_s_fields() {
    let recs = connection(
        (Some("eni-web1"), WEB1, 45000),
        (Some("eni-db"), DB, 5432),
        T0,
        false,
    );
    let s = three_tier();
    let wrapped = |extra: &str| -> String {
        recs.iter()
            .map(|r| {
                format!(
                    "{{\"timestamp\": {}, \"message\": \"{}{extra}\"}}\n",
                    T0 * 1000,
                    r.v2()
                )
            })
            .collect()
    };
    s.log("v2.jsonl", &wrapped(""));
    s.log("wider.jsonl", &wrapped(" 7"));
    let run = s.run(&[]);
    run.ok();
    assert!(
        run.stderr.contains(
            "v2.jsonl: no header line and no --log-format: the default v2 format was assumed\n"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "wider.jsonl: no header line and no --log-format: the default v2 format was assumed, \
             but its first record has 15 fields, not v2's 14"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_folder_mixing_format_versions() {
    let s = three_tier();
    // v2 without a header (CloudWatch style).
    s.log(
        "cloudwatch/eni-db-all.log",
        &v2_lines(&connection(
            (None, WEB1, 45000),
            (Some("eni-db"), DB, 5432),
            T0,
            false,
        )),
    );
    // v3 fields with a header.
    s.log(
        "v3/flows.log",
        &lines(
            &connection(
                (Some("eni-alb"), ALB, 3000),
                (Some("eni-web2"), WEB2, 8080),
                T0,
                true,
            ),
            V3_FLAGS,
            true,
        ),
    );
    // v5, gzip, with a header.
    s.log_gz(
        "s3/flows.log.gz",
        &lines(
            &connection(
                (Some("eni-mon"), MON, 41000),
                (Some("eni-pay"), PAY, 9100),
                T0,
                true,
            ),
            V5_ALL,
            true,
        ),
    );
    let run = s.run(&[]);
    run.ok();
    assert_eq!(
        shape(&run.rules()),
        vec![
            tcp("sg-alb", "sg-web", 8080),
            tcp("sg-mon", "sg-pay", 9100),
            tcp("sg-web", "sg-db", 5432),
        ]
    );
    assert_eq!(
        run.summary(),
        "read 10 records from 3 streams: 10 used as evidence, 0 rejected (not evidence), 0 skipped"
    );
    assert_eq!(
        run.stderr.matches("default v2 format was assumed").count(),
        1,
        "only the file without a header: {}",
        run.stderr
    );
}

#[test]
fn an_empty_folder_is_an_error_that_names_it() {
    let s = three_tier();
    let empty = s.path("logs");
    std::fs::create_dir_all(&empty).unwrap();
    let run = s.run(&[]);
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("holds no files"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&empty.display().to_string()),
        "{}",
        run.stderr
    );
    assert!(
        !run.path("rules.auto.tfvars").exists(),
        "nothing written on failure"
    );
    assert!(!run.path("report.md").exists());

    let inv = s.inventory();
    let missing = s.path("no-such-folder");
    let run = infer(s.dir.path(), &[&missing], &inv, &[]);
    assert_ne!(run.code, Some(0));
    assert!(run.stderr.contains("no-such-folder"), "{}", run.stderr);
}

#[test]
fn transit_gateway_records_are_skipped_as_an_unusable_format() {
    let s = three_tier();
    // A record of every field of TGW, in its order.
    let tgw_record = "6 TransitGateway 123456789012 tgw-0a1b2c3d4e5f60718 tgw-attach-0a1b2c3d4e5f6071 123456789012 123456789012 vpc-1 vpc-2 subnet-1 subnet-2 eni-web1 eni-db use1-az1 use1-az1 tgw-attach-0f1e2d3c4b5a6978 10.0.1.10 10.0.2.20 45000 5432 6 10 900 1795478460 1795478520 OK IPv4 0 0 0 0 2 us-east-1 egress - -";
    s.log(
        "tgw/flows.log",
        &format!("{TGW}\n{tgw_record}\n{tgw_record}\n"),
    );
    s.log(
        "vpc/flows.log",
        &lines(
            &connection(
                (Some("eni-alb"), ALB, 3000),
                (Some("eni-web1"), WEB1, 8080),
                T0,
                true,
            ),
            V3_FLAGS,
            true,
        ),
    );
    let run = s.run(&[]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-alb", "sg-web", 8080)]);
    assert_eq!(
        run.summary(),
        "read 6 records from 2 streams: 4 used as evidence, 0 rejected (not evidence), 2 skipped (unusable format: 2)"
    );
    assert!(
        run.stderr.contains("transit-gateway flow log"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("flows.log:2"), "{}", run.stderr);
}

#[test]
fn module_version_1_writes_the_legacy_list() {
    let s = three_tier();
    let mut recs = connection(
        (Some("eni-web1"), WEB1, 45000),
        (Some("eni-db"), DB, 5432),
        T0,
        true,
    );
    recs.extend(connection(
        (Some("eni-alb"), ALB, 3000),
        (Some("eni-web2"), WEB2, 8080),
        T0,
        true,
    ));
    // A UDP service: module 1 only takes TCP, so it is left out with a warning.
    recs.extend(
        connection(
            (Some("eni-mon"), MON, 45001),
            (Some("eni-pay"), PAY, 8125),
            T0,
            false,
        )
        .into_iter()
        .map(|r| r.proto(17)),
    );
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));

    let v2 = s.run(&[]);
    v2.ok();
    assert_eq!(
        shape(&v2.rules()),
        vec![
            tcp("sg-alb", "sg-web", 8080),
            ("sg-mon".into(), "sg-pay".into(), "udp".into(), 8125, 8125),
            tcp("sg-web", "sg-db", 5432),
        ]
    );

    let v1 = s.run(&["--module-version", "1"]);
    v1.ok();
    let v = parse_hcl(&v1.tfvars());
    let list = v.as_object().unwrap()["rules"]
        .as_array()
        .unwrap_or_else(|| panic!("a list:\n{}", v1.tfvars()));
    let mut got: Vec<(String, String, String, bool)> = list
        .iter()
        .map(|r| {
            let r = r.as_object().unwrap();
            assert!(!r.contains_key("from_port") && !r.contains_key("protocol"));
            (
                r["source_sg_id"].as_str().unwrap().to_string(),
                r["target_sg_id"].as_str().unwrap().to_string(),
                r["destination_port"].as_str().unwrap().to_string(),
                r["description"].as_str().is_some_and(|d| !d.is_empty()),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("sg-alb".into(), "sg-web".into(), "8080".into(), true),
            ("sg-web".into(), "sg-db".into(), "5432".into(), true),
        ]
    );
    assert!(
        v1.stderr.contains("warning: ") && v1.stderr.contains("8125/udp"),
        "the UDP rule is left out loudly: {}",
        v1.stderr
    );
}

/// Traffic to a secondary private address is logged with the primary
/// address in `dstaddr` at the receiving interface (`pkt-dstaddr` keeps the
/// secondary), but with the secondary at the sender. Reading `pkt-dstaddr`
/// makes the four records one connection.
#[test]
fn a_connection_to_a_secondary_address_counts_once() {
    let mut s = three_tier();
    s.inv
        .eni_mut("eni-web2")
        .addresses
        .push("10.0.1.111".parse().unwrap());
    let fields = "version interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction";
    let start = T0;
    let text = format!(
        "{fields}\n\
         5 eni-alb 10.0.0.5 10.0.1.111 10.0.0.5 10.0.1.111 3000 8080 6 5 900 {start} {end} ACCEPT OK 2 egress\n\
         5 eni-alb 10.0.1.111 10.0.0.5 10.0.1.111 10.0.0.5 8080 3000 6 5 900 {start} {end} ACCEPT OK 18 ingress\n\
         5 eni-web2 10.0.0.5 10.0.1.11 10.0.0.5 10.0.1.111 3000 8080 6 5 900 {start} {end} ACCEPT OK 2 ingress\n\
         5 eni-web2 10.0.1.111 10.0.0.5 10.0.1.111 10.0.0.5 8080 3000 6 5 900 {start} {end} ACCEPT OK 18 egress\n",
        end = start + 60
    );
    s.log("flows.log", &text);
    let run = s.run(&["--json"]);
    run.ok();
    assert_eq!(shape(&run.rules()), vec![tcp("sg-alb", "sg-web", 8080)]);
    let r = run.json();
    assert_eq!(
        json_rule(r, "sg-alb", "sg-web", 8080)["evidence"]["connections"],
        1
    );
}

#[cfg(unix)]
#[test]
fn an_output_named_as_a_device_is_written_into_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let r = crate::support::sgpair(["infer", "-q"])
        .cwd(repo())
        .args(["--logs", "sample-logs/flow-logs"])
        .args(["--inventory", "sample-logs/inventory.json"])
        .args(["--since", "7d", "--until", crate::support::UNTIL])
        .arg("--out")
        .arg(dir.path().join("rules.auto.tfvars"))
        .args(["--report", "/dev/stdout"])
        .run_with(dir);
    r.ok();
    assert!(
        r.stdout.contains("web-sg") && r.stdout.starts_with('#'),
        "the report went to stdout:\n{}",
        r.stdout
    );
    let link = std::fs::symlink_metadata("/dev/stdout").unwrap();
    assert!(link.file_type().is_symlink(), "/dev/stdout is still a link");
    assert!(
        std::fs::read_dir(repo()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".sgpair-")),
        "no temporary file left beside the repository"
    );
}

#[test]
fn module_1_leaves_out_udp_rules_and_every_report_says_so() {
    // web → db on 5432/tcp and 53/udp: module 1 takes TCP only, so the DNS
    // rule is not in the tfvars, and no count or coverage claims it.
    let s = three_tier();
    let recs = [
        rec("eni-db", WEB1, 45000, DB, 5432).flags(2),
        rec("eni-db", WEB1, 45001, DB, 53).proto(17),
    ];
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    let run = s.run(&["--json", "--module-version", "1"]);
    run.ok();
    let tfvars = run.tfvars();
    assert_eq!(tfvars.matches("destination_port").count(), 1, "{tfvars}");
    assert!(tfvars.contains("\"5432\""), "{tfvars}");
    let j = run.json();
    assert_eq!(j["summary"]["rules"], 1);
    assert_eq!(j["summary"]["rules_left_out"], 1);
    assert_eq!(j["summary"]["coverage"]["covered"], 1, "{}", j["summary"]);
    assert_eq!(j["summary"]["coverage"]["grouped"], 2, "{}", j["summary"]);
    assert_eq!(j["left_out"][0]["service"], "53/udp");
    assert_eq!(j["rules"].as_array().unwrap().len(), 1);
    assert!(
        run.stderr.contains("Rules proposed: 1 mutual rule (")
            && run.stderr.contains(
                "Left out of the tfvars: 1 proposed rule that module 1 (--module-version 1, TCP only) cannot express: web-"
            ),
        "{}",
        run.stderr
    );
    let report = run.report();
    assert!(
        report.contains("Left out of `rules.auto.tfvars`: 1 proposed rule"),
        "{report}"
    );
    // Module 2 writes both, and leaves nothing out.
    let v2 = s.run(&["--json"]);
    assert_eq!(v2.json()["summary"]["rules"], 2);
    assert_eq!(v2.json()["summary"]["rules_left_out"], 0);
    assert!(v2.json().get("left_out").is_none());
}

#[test]
fn records_that_name_no_interface_are_not_said_to_be_in_the_inventory() {
    // interface-id `-` (ECS, Transit Gateway flow logs): nothing tells
    // whether the inventory holds the interfaces that captured them.
    let s = three_tier();
    let recs = [rec("-", WEB1, 45000, DB, 5432).flags(2)];
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    let report = s.run(&["--allow-empty"]).report();
    let section = report
        .split("### Interfaces missing from the inventory")
        .nth(1)
        .expect("the section is there");
    assert!(
        section.contains("Not known: the records name no interface (`interface-id` is `-`"),
        "{section}"
    );
    assert!(!section.contains("every interface in the logs is in the inventory"));
    // One connection's record names its interface, another's none: both said.
    let recs = [
        rec("-", WEB2, 45000, DB, 5432).flags(2),
        rec("eni-web1", WEB1, 45001, DB, 5432).flags(2),
    ];
    s.log("flows.log", &lines(&recs, V3_FLAGS, true));
    let report = s.run(&["--allow-empty"]).report();
    assert!(
        report.contains("None: every interface the records name is in the inventory; the records of 1 connection name no interface"),
        "{report}"
    );
}

#[test]
fn a_history_event_that_is_not_json_is_counted_as_malformed_with_its_place() {
    let s = three_tier();
    s.log(
        "flows.log",
        &lines(
            &[rec("eni-db", WEB1, 45000, DB, 5432).flags(2)],
            V3_FLAGS,
            true,
        ),
    );
    let hist = s.path("hist.json");
    std::fs::write(
        &hist,
        r#"{"Events":[{"EventName":"CreateNetworkInterface","CloudTrailEvent":"{not json"}]}"#,
    )
    .unwrap();
    let run = s.run(&["--json", "--history", hist.to_str().unwrap()]);
    run.ok();
    let notes = run.json()["stats"]["notes"].to_string();
    assert!(
        notes.contains(
            "hist.json: 1 event malformed, not used: Events[0]: its CloudTrailEvent is not JSON ("
        ),
        "{notes}"
    );
    assert!(!notes.contains("not interface changes"), "{notes}");
}
