//! `sgpair audit` end to end: the report without the tfvars, and `--fail-on`
//! for CI.

use crate::support::{UNTIL, UNTIL_T, connection, lines, read, repo, sgpair};

/// `sgpair audit` over the bundled sample's week, its outputs in the
/// current folder.
fn sample_args() -> Vec<String> {
    let root = repo();
    [
        "audit",
        "--logs",
        &root.join("sample-logs/flow-logs").display().to_string(),
        "--inventory",
        &root
            .join("sample-logs/inventory.json")
            .display()
            .to_string(),
        "--since",
        "7d",
        "--until",
        UNTIL,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn audit_writes_the_report_and_no_tfvars() {
    let dir = tempfile::tempdir().unwrap();
    let args = sample_args();
    let out = sgpair(&args).cwd(dir.path()).run();
    out.ok();
    let stderr = &out.stderr;
    assert!(!dir.path().join("rules.auto.tfvars").exists());
    let report = read(dir.path().join("sgpair-report.md"));
    for heading in [
        "## Findings",
        "## Before and after",
        "## Existing rules against the evidence",
    ] {
        assert!(report.contains(heading), "{heading}");
    }
    // The sample's groups all carry the default open egress.
    assert!(report.contains("| high | SGP001 Open egress | sg-0b22c33d44e55f662 (web-sg) egress to 0.0.0.0/0 and ::/0, all traffic |"));
    // The partner API behind the NAT gateway would break without an explicit rule.
    assert!(report.contains("SGP005 Traffic the proposed change would break"));
    assert!(report.contains(
        "| Connections between grouped interfaces covered by the proposal | 700 of 700 (100.0%) |"
    ));
    assert!(
        stderr.contains("\nFindings: 8 high, 5 medium, 7 low\n"),
        "{stderr}"
    );
    // Its JSON names the command that made it.
    let json = sgpair([&args[..], &["--json".to_string()]].concat())
        .cwd(dir.path())
        .run();
    json.ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["command"], "audit");
}

/// An audit of a week without records would call every rule unused: it
/// fails, says why, and writes no report.
#[test]
fn an_audit_without_evidence_fails_and_writes_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = sample_args();
    // The week before the sample's.
    let until = args.iter().position(|a| a == UNTIL).unwrap();
    args[until] = "2026-11-10T00:00:00Z".into();
    let out = sgpair(&args).cwd(dir.path()).run();
    out.exits(1);
    assert!(
        out.stderr.contains(
            "so nothing was written (an audit of no traffic would find every rule unused"
        ) && out.stderr.contains("records lie outside the window"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("sgpair-report.md").exists());
}

#[test]
fn html_and_sarif_are_written_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = sample_args();
    args.extend(["--html", "report.html", "--sarif", "findings.sarif"].map(String::from));
    let out = sgpair(&args).cwd(dir.path()).run();
    out.ok();
    let html = read(dir.path().join("report.html"));
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("id=\"sgpair-diagram\""));
    let sarif: serde_json::Value =
        serde_json::from_str(&read(dir.path().join("findings.sarif"))).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    // 20: alb-sg's unused public listener for IPv6 clients is no finding,
    // and the two suspicious flows a NAT gateway carried are the hosts' once.
    assert_eq!(results.len(), 20, "one result per finding");
    let uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("sample-logs/inventory.json"), "{uri}");
    // Each result points at the line of the inventory that defines its first
    // group, or for a finding without a group (a gap in the logs) its interface.
    let inventory = read(repo().join("sample-logs/inventory.json"));
    let lines: Vec<&str> = inventory.lines().collect();
    for r in results {
        let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap() as usize;
        let props = &r["properties"];
        let id = props["groups"][0]
            .as_str()
            .or_else(|| props["enis"][0].as_str())
            .unwrap_or_else(|| panic!("no group and no interface in {r:#}"));
        assert!(
            lines[line - 1].contains(&format!("\"id\": \"{id}\"")),
            "{id} at line {line}: {}",
            lines[line - 1]
        );
    }
}

#[test]
fn fail_on_sets_exit_code_3_when_a_finding_is_severe_enough() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = sample_args();
    args.extend(["--fail-on".to_string(), "high".to_string()]);
    let out = sgpair(&args).cwd(dir.path()).run();
    out.exits(3);
    let stderr = &out.stderr;
    assert!(
        stderr.contains("--fail-on: 8 findings at high severity or higher"),
        "{stderr}"
    );
    assert!(
        dir.path().join("sgpair-report.md").exists(),
        "the report is written before the exit code is set"
    );
}

#[test]
fn fail_on_passes_a_clean_environment() {
    let dir = tempfile::tempdir().unwrap();
    let inv = r#"{
      "vpcs": [{"id": "vpc-1", "cidrs": ["10.0.0.0/16"]}],
      "network_interfaces": [
        {"id": "eni-web", "vpc_id": "vpc-1", "addresses": ["10.0.1.10"], "security_groups": ["sg-web"]},
        {"id": "eni-db", "vpc_id": "vpc-1", "addresses": ["10.0.2.20"], "security_groups": ["sg-db"]}
      ],
      "security_groups": [
        {"id": "sg-web", "name": "web", "egress": [{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "referenced_group_id": "sg-db"}]},
        {"id": "sg-db", "name": "db", "ingress": [{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "referenced_group_id": "sg-web"}]}
      ],
      "flow_logs": [{"id": "fl-1", "resource_id": "vpc-1", "traffic_type": "ALL"}]
    }"#;
    std::fs::write(dir.path().join("inventory.json"), inv).unwrap();
    // One connection a day for a week, logged at both interfaces.
    let mut recs = Vec::new();
    for d in 0..7 {
        recs.extend(connection(
            (Some("eni-web"), "10.0.1.10", 45000 + d as u16),
            (Some("eni-db"), "10.0.2.20", 5432),
            UNTIL_T - 7 * 86_400 + d * 86_400 + 3_600,
            true,
        ));
    }
    let recs: Vec<_> = recs
        .into_iter()
        .map(|r| r.account("1").counts(5, 500))
        .collect();
    let fields = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags";
    std::fs::write(dir.path().join("flows.log"), lines(&recs, fields, true)).unwrap();
    let out = sgpair([
        "audit",
        "--logs",
        "flows.log",
        "--inventory",
        "inventory.json",
        "--since",
        "7d",
        "--until",
        UNTIL,
        "--fail-on",
        "low",
    ])
    .cwd(dir.path())
    .run();
    out.ok();
    let stderr = &out.stderr;
    assert!(
        stderr.contains("\nFindings: 0 high, 0 medium, 0 low\n"),
        "{stderr}"
    );
    let report = read(dir.path().join("sgpair-report.md"));
    assert!(report.contains("## Findings\n\nNone."), "{report}");
    assert!(
        report.contains("| web (sg-web) | egress | tcp 5432 | sg-db | 7 |"),
        "{report}"
    );
}
