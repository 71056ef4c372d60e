//! Input that once could end a run (issue 13, point 1), through the binary:
//! records whose times, counters or ICMP types are out of range are skipped
//! with their place and the run writes valid outputs; sums that reach
//! u64::MAX stop there and say so; an inventory rule out of range and a
//! window before 1970 are clear errors. Never a panic.

use std::path::{Path, PathBuf};

use crate::support::run::{Run, sgpair};

/// The bundled sample inventory: groups, rules, peerings and prefix lists.
fn inventory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/inventory.json")
}

/// A record of the sample's api interface talking to its database, inside
/// the window below; `rest` is `srcport dstport protocol packets bytes start end`.
fn record(rest: &str) -> String {
    format!("2 123456789012 eni-05bfd15c7d9ac1e2b 10.20.11.50 10.20.20.21 {rest} ACCEPT OK")
}

/// Inside a 7-day window ending 2026-11-25T00:00:00Z.
const T: u64 = 1_795_000_000;

/// `sgpair COMMAND` over `logs` (written to `flows.log`) against `inventory`,
/// in a fresh folder, writing every output there.
fn run(command: &str, logs: &str, inventory: &Path, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flows.log"), logs).unwrap();
    let mut args = vec![
        command,
        "--logs",
        "flows.log",
        "--inventory",
        inventory.to_str().unwrap(),
        "--until",
        "2026-11-25T00:00:00Z",
        "--report",
        "report.md",
        "--html",
        "report.html",
        "--sarif",
        "report.sarif",
        "--json",
    ];
    if command == "infer" {
        args.extend(["--out", "rules.auto.tfvars"]);
    }
    if !extra.contains(&"--since") {
        args.extend(["--since", "7d"]);
    }
    args.extend_from_slice(extra);
    sgpair(args).cwd(dir.path()).run_with(dir)
}

/// Exit 0 and every output valid: the JSON on stdout and the SARIF log are
/// JSON, the tfvars read back as HCL, the page is whole. Returns the JSON.
fn valid_outputs(r: &Run) -> serde_json::Value {
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("--json is JSON");
    serde_json::from_str::<serde_json::Value>(&r.file("report.sarif")).expect("SARIF is JSON");
    hcl::from_str::<hcl::Value>(&r.file("rules.auto.tfvars")).expect("the tfvars are HCL");
    let html = r.file("report.html");
    assert!(html.trim_end().ends_with("</html>"), "the page is whole");
    assert!(!r.file("report.md").is_empty());
    json
}

#[test]
fn records_out_of_range_are_skipped_with_their_place_and_the_run_writes_valid_outputs() {
    let t = T;
    let lines = [
        record(&format!("41890 5432 6 3 921 {t} {}", t + 60)),
        // line 2: a year past 9999, which ended the run with exit 101
        record(&format!("41891 5432 6 3 921 {t} 253402300800")),
        // line 3: an end before its start
        record(&format!("41892 5432 6 3 921 {t} {}", t - 1)),
        // line 4: counters near u64::MAX
        record(&format!("41893 5432 6 18446744073709551615 921 {t} {t}")),
        record(&format!("41894 5432 6 3 18446744073709551614 {t} {t}")),
        // line 6: an ICMP type no ICMP has
        record(&format!("300 0 1 1 84 {t} {t}")),
        // line 7: a start past what an i64 holds (it wrapped to a negative time)
        record(&format!("41895 5432 6 3 921 9223372036854775808 {t}")),
        // line 8: at the bounds, still a record
        record(&format!(
            "41896 5432 6 9007199254740992 9007199254740992 {t} {t}"
        )),
    ];
    let logs = lines.join("\n") + "\n";
    for command in ["infer", "audit"] {
        let r = run(command, &logs, &inventory(), &[]);
        if command == "audit" {
            // audit writes no tfvars: check the rest the same way.
            assert_eq!(r.code, Some(0), "{}", r.stderr);
            serde_json::from_str::<serde_json::Value>(&r.stdout).expect("--json is JSON");
            serde_json::from_str::<serde_json::Value>(&r.file("report.sarif")).unwrap();
            continue;
        }
        let json = valid_outputs(&r);
        assert!(
            r.stderr.contains(
                "read 8 records from 1 stream: 2 used as evidence, 0 rejected (not evidence), 6 skipped (bad number: 2, bad port: 1, bad time: 3)"
            ),
            "{}",
            r.stderr
        );
        for place in [
            "skipped (bad time): flows.log:2: end is 253402300800, outside 0..=253402300799 (1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z)",
            "skipped (bad time): flows.log:3: end 1794999999 (2026-11-18T11:06:39Z) is before start 1795000000 (2026-11-18T11:06:40Z)",
            "skipped (bad number): flows.log:4: packets is 18446744073709551615, outside 0..=9007199254740992",
            "skipped (bad number): flows.log:5: bytes is 18446744073709551614, outside",
            "skipped (bad port): flows.log:6: srcport is 300, outside 0..=255 (an ICMP type or code)",
            "skipped (bad time): flows.log:7: start is 9223372036854775808, outside",
        ] {
            assert!(r.stderr.contains(place), "{place}\n{}", r.stderr);
        }
        assert_eq!(json["stats"]["skipped"]["bad time"], 3);
        assert_eq!(json["stats"]["skipped"]["bad number"], 2);
        assert_eq!(json["stats"]["skipped"]["bad port"], 1);
        // The evidence spans the two records in range: its times are dates.
        let md = r.file("report.md");
        assert!(
            md.contains("records from 2026-11-18T11:06:40Z to 2026-11-18T11:07:40Z in 1 source"),
            "{md}"
        );
    }
}

#[test]
fn sums_that_reach_u64_max_stop_there_and_say_so() {
    // 2^53 bytes and packets a record, the most one may carry: 2,049 of them
    // on one connection sum past u64::MAX.
    let t = T;
    let logs: String = (0..2_049)
        .map(|i| {
            record(&format!(
                "{} 5432 6 9007199254740992 9007199254740992 {t} {}",
                40_000 + i,
                t + 60
            )) + "\n"
        })
        .collect();
    let r = run("infer", &logs, &inventory(), &[]);
    let json = valid_outputs(&r);
    for sum in ["bytes", "packets"] {
        let note = format!(
            "note: a sum of {sum} over records reached 18446744073709551615 (u64::MAX) and stopped there"
        );
        assert!(r.stderr.contains(&note), "{note}\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("a sum of records"), "{}", r.stderr);
    let rules = json["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0]["evidence"]["bytes"], u64::MAX);
    assert_eq!(rules[0]["evidence"]["records"], 2_049);
    assert!(json["stats"]["notes"].to_string().contains("u64::MAX"));
}

#[test]
fn an_inventory_rule_out_of_range_is_an_error_naming_the_file_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.json");
    let text = std::fs::read_to_string(inventory()).unwrap();
    // The sample's first rule with a port no TCP has.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let group = &mut v["security_groups"][0];
    let id = group["id"].as_str().unwrap().to_string();
    group["ingress"] = serde_json::json!([
        {"protocol": "tcp", "from_port": 443, "to_port": 65536, "cidr": "10.0.0.0/8"}
    ]);
    std::fs::write(&inv, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let r = run(
        "infer",
        &record("41890 5432 6 3 921 1795000000 1795000060"),
        &inv,
        &[],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let want = format!(
        "{}: the inventory is inconsistent: security group {id}, ingress rule 1: to_port 65536 is not a port: 0..=65535, or -1 for every port",
        inv.display()
    );
    assert!(r.stderr.contains(&want), "{want}\n{}", r.stderr);
    assert!(!r.path("report.md").exists(), "nothing is written");
}

#[test]
fn a_window_reaching_before_1970_is_a_usage_error() {
    let r = run(
        "infer",
        &record("41890 5432 6 3 921 1795000000 1795000060"),
        &inventory(),
        &["--since", "30000d"],
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--since reaches back before 1970-01-01T00:00:00Z"),
        "{}",
        r.stderr
    );
}
