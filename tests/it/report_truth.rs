//! What the user sees is true (issue 11, points 4, 5 and 8), through the
//! binary on the bundled sample: the terminal summary and the reports carry
//! the same figures in the same words; fix texts say what is true of their
//! finding; the window is checked against what the logs cover.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value as Json;

use crate::support::{Run, UNTIL, UNTIL_T, read, repo, section, sgpair};

/// The sample's flow logs: the one source of these runs, named as given.
fn logs() -> PathBuf {
    repo().join("sample-logs/flow-logs")
}

/// `sgpair <command>` on the sample with `args`, which must succeed; the
/// outputs in a fresh folder, where it runs (`infer` writes
/// rules.auto.tfvars there).
fn sample(command: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("temporary folder");
    // The sample's seven days unless the test gives its own start.
    let since: &[&str] = if args.contains(&"--since") {
        &[]
    } else {
        &["--since", "7d"]
    };
    let run = sgpair([command])
        .arg("--logs")
        .arg(logs())
        .arg("--inventory")
        .arg(repo().join("sample-logs/inventory.json"))
        .args(since)
        .args(["--report", "report.md", "--html", "report.html"])
        .args(args)
        .cwd(dir.path())
        .run_with(dir);
    run.ok();
    run
}

/// `Label: value` lines of the terminal summary.
fn terminal_facts(stderr: &str) -> BTreeMap<String, String> {
    stderr
        .lines()
        .filter(|l| !l.starts_with("warning:") && !l.starts_with("note:"))
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| k.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `- **Label:** value.` lines of the Markdown summary, unescaped enough to
/// compare (the values hold no Markdown specials on the sample).
fn markdown_facts(md: &str) -> BTreeMap<String, String> {
    md.lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("- **"))
        .filter_map(|l| l.split_once(":** "))
        .map(|(k, v)| (k.to_string(), v.trim_end_matches('.').to_string()))
        .collect()
}

/// The numbers in a text, in order.
fn numbers(s: &str) -> Vec<u64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().expect("digits"))
        .collect()
}

#[test]
fn the_terminal_summary_and_the_reports_carry_the_same_figures() {
    let run = sample("infer", &["--until", UNTIL, "--json"]);
    let term = terminal_facts(&run.stderr);
    let md = markdown_facts(&run.file("report.md"));
    for label in [
        "Connections observed",
        "Rules proposed",
        "Coverage",
        "Needs other controls",
        "Suspicious",
        "Undecided initiator",
        "Findings",
    ] {
        let t = term
            .get(label)
            .unwrap_or_else(|| panic!("no {label:?} on the terminal:\n{}", run.stderr));
        assert_eq!(Some(t), md.get(label), "{label}: terminal and Markdown");
    }
    // The words of the issue's example, with the numbers of the evidence.
    let j = run.json();
    let s = &j["summary"];
    let n = |k: &str| {
        s[k].as_u64()
            .unwrap_or_else(|| panic!("summary.{k} in {s:#}"))
    };
    assert_eq!(
        term["Connections observed"],
        format!(
            "{} connections in {} aggregates",
            n("connections"),
            n("aggregates")
        )
    );
    assert!(n("connections") > n("aggregates"), "{s:#}");
    assert_eq!(
        numbers(&term["Needs other controls"]),
        [n("other_controls_connections")]
    );
    assert!(term["Needs other controls"].ends_with("connections that no group-to-group rule can express (internet, AWS services, other networks)"));
    assert_eq!(
        numbers(&term["Suspicious"]),
        [n("suspicious"), n("suspicious_connections")]
    );
    assert_eq!(
        numbers(&term["Undecided initiator"]),
        [n("undecided"), n("undecided_records")]
    );
    assert_eq!(numbers(&term["Rules proposed"])[0], n("rules"));
    // The connections are the evidence's: the sum over the JSON's rules and
    // external traffic never exceeds them.
    let ext: u64 = j["external"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["connections"].as_u64().unwrap())
        .sum();
    assert_eq!(ext, n("other_controls_connections"));
    // No old wording anywhere.
    for old in [
        "flows outside security groups",
        "client/server/service aggregates",
    ] {
        assert!(!run.stderr.contains(old), "{old:?} on the terminal");
        assert!(
            !run.file("report.md").contains(old),
            "{old:?} in the report"
        );
    }
}

#[test]
fn fix_texts_are_true_of_their_finding() {
    let run = sample("audit", &["--until", UNTIL, "--json"]);
    let j = run.json();
    let findings = j["audit"]["findings"].as_array().unwrap();
    let broader: Vec<&Json> = findings
        .iter()
        .filter(|f| f["rule_id"] == "SGP004")
        .collect();
    assert!(!broader.is_empty(), "the sample has SGP004 findings");
    for f in &broader {
        let subject = f["subject"].as_str().unwrap();
        let fix = f["fix"].as_str().unwrap();
        assert!(!fix.contains("the proposed rules do"), "{subject}: {fix}");
        // The CIDR rules of the sample: nothing proposed replaces them, and the
        // table keeps them.
        if subject.contains("203.0.113.0/24") || subject.contains("10.20.0.0/16") {
            assert!(
                fix.starts_with("No proposed rule replaces it"),
                "{subject}: {fix}"
            );
        }
    }
    let bastion = broader
        .iter()
        .find(|f| f["subject"].as_str().unwrap().contains("bastion-sg"))
        .expect("bastion-sg's 203.0.113.0/24 ingress is broader than its use");
    assert!(
        bastion["fix"].as_str().unwrap().contains("203.0.113.25"),
        "names the source used: {}",
        bastion["fix"]
    );
    let rows = j["audit"]["rules"].as_array().unwrap();
    let row = rows.iter().find(|r| r["peer"] == "203.0.113.0/24").unwrap();
    assert_eq!(row["removed"], false);
    // alb-sg's public 443 listener for IPv6 clients: unused, yet kept, and no
    // finding proposes to remove it.
    let v6 = rows
        .iter()
        .find(|r| r["group_name"] == "alb-sg" && r["peer"] == "::/0" && r["direction"] == "ingress")
        .expect("alb-sg ingress from ::/0");
    assert_eq!(
        (&v6["connections"], &v6["removed"]),
        (&Json::from(0), &Json::from(false))
    );
    assert!(
        !findings.iter().any(|f| f["rule_id"] == "SGP003"
            && f["subject"]
                .as_str()
                .unwrap()
                .contains("(alb-sg) ingress from ::/0")),
        "{findings:#?}"
    );
    let md = run.file("report.md");
    let existing = section(&md, "Existing rules against the evidence");
    let line = existing
        .lines()
        .find(|l| l.contains("alb-sg") && l.contains("::/0"))
        .unwrap();
    assert!(line.ends_with("| keep |"), "{line}");
    // Every unused-rule finding is about a rule the table removes.
    for f in findings.iter().filter(|f| f["rule_id"] == "SGP003") {
        assert!(
            f["fix"]
                .as_str()
                .unwrap()
                .starts_with("The proposed change removes it"),
            "{f:#}"
        );
    }
}

#[test]
fn a_window_the_logs_do_not_fill_is_said_and_a_filled_one_is_not() {
    // Without --until the window ends now, days after the sample's last
    // record; it starts where the sample does (a window of the last seven
    // days would drop the sample's first records once the date passes).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        now > UNTIL_T as u64 + 86_400,
        "the clock is before the sample's end"
    );
    let open = sample("infer", &["--since", "2026-11-18T00:00:00Z", "--json"]);
    let warnings: Vec<&str> = open
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: the window is not filled: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", open.stderr);
    assert!(
        warnings[0].contains(&format!(
            "{}: the newest record ends 2026-11-25T",
            logs().display()
        )),
        "{}",
        warnings[0]
    );
    // Every interface of the sample logs traffic until its last day, days
    // before this window's end: all of them fell silent.
    let inventory: Json =
        serde_json::from_str(&read(repo().join("sample-logs/inventory.json"))).unwrap();
    let interfaces = inventory["network_interfaces"].as_array().unwrap().len();
    assert!(
        open.stderr.contains(&format!(
            "warning: {interfaces} interfaces whose last record ends more than a day before the window's end"
        )),
        "{}",
        open.stderr
    );
    let md = open.file("report.md");
    assert!(
        md.contains(&format!(
            "- **Window not filled:** {}: the newest record ends 2026-11-25T",
            logs().display()
        )),
        "{md}"
    );
    let per_source = section(&md, "Evidence per source");
    assert!(
        per_source.contains(&format!("| {} | 195 |", logs().display())),
        "{per_source}"
    );
    let silent = &open.json()["evidence_per_source"]["silent"];
    assert_eq!(silent.as_array().unwrap().len(), interfaces, "{silent:#}");
    assert!(
        open.file("report.html")
            .contains("<dt>Window not filled</dt><dd class=\"warn\">")
    );

    // Up to the sample's end: the records fill the window, nothing is said.
    let closed = sample("infer", &["--until", UNTIL, "--json"]);
    assert!(
        !closed.stderr.contains("warning: the window"),
        "{}",
        closed.stderr
    );
    assert!(
        !closed.stderr.contains("fell silent") && !closed.stderr.contains("whose last record ends"),
        "{}",
        closed.stderr
    );
    let md = closed.file("report.md");
    assert!(!md.contains("Window not filled"), "{md}");
    let j = closed.json();
    let e = &j["evidence_per_source"];
    assert_eq!(e["warnings"], Json::Array(vec![]));
    let src = &e["sources"][0];
    assert_eq!(src["source"], logs().display().to_string());
    assert_eq!(src["streams"], 195);
    let st = &j["stats"];
    assert_eq!(
        src["records"].as_u64(),
        Some(st["used"].as_u64().unwrap() + st["rejected"].as_u64().unwrap()),
        "every record of the window is in its source's span"
    );
    // The last record ends at the window's end: shown as a time of its last
    // day, never as the day after the window.
    assert_eq!(src["last"], UNTIL_T);
    assert!(
        !md.contains("2026-11-25 |") && !md.contains("..2026-11-25 |"),
        "a day outside the window:\n{md}"
    );
    let tfvars = closed.file("rules.auto.tfvars");
    assert!(!tfvars.contains("2026-11-25"), "{tfvars}");
}

#[test]
fn the_html_title_names_the_command() {
    for command in ["infer", "audit"] {
        let run = sample(command, &["--until", UNTIL, "-q"]);
        let page = run.file("report.html");
        assert!(
            page.contains(&format!(
                "<title>sgpair {command}, 2026-11-18..2026-11-24</title>"
            )),
            "{command}"
        );
        assert!(
            page.contains(&format!("<h1>sgpair {command}</h1>")),
            "{command}"
        );
    }
}

/// A record's end far past year 9999 does not stop the run (the report's
/// date formatting used to panic): the record is malformed, skipped with its
/// place (tests/panics.rs has the other values out of range).
#[test]
fn an_end_time_past_year_9999_is_skipped_not_a_panic() {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(
        dir.path().join("f.log"),
        // The second line is good: a run with no evidence at all fails.
        "2 1 eni-a 10.0.1.10 10.0.2.20 40000 5432 6 1 100 1795478400 999999999999 ACCEPT OK\n\
         2 1 eni-a 10.0.1.10 10.0.2.20 40001 5432 6 1 100 1795478400 1795478460 ACCEPT OK\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("inv.json"),
        r#"{"format_version":1,"network_interfaces":[{"id":"eni-a","addresses":["10.0.1.10"],"security_groups":["sg-a"]}],"security_groups":[{"id":"sg-a","name":"a"}]}"#,
    )
    .unwrap();
    let out = sgpair(["infer", "--logs", "f.log", "--inventory", "inv.json"])
        .args(["--since", "7d", "--until", UNTIL])
        .cwd(dir.path())
        .run();
    out.ok();
    let stderr = &out.stderr;
    assert!(
        stderr.contains("skipped (bad time): f.log:1: end is 999999999999, outside"),
        "{stderr}"
    );
    let md = std::fs::read_to_string(dir.path().join("sgpair-report.md")).unwrap();
    assert!(md.contains("1 used as evidence"), "{md}");
    assert!(md.contains("1 skipped (bad time: 1)"), "{md}");
}
