//! `sgpair check`: a second day of logs replayed against the first day's
//! proposal. Passing when the proposal carries everything; failing (exit
//! code 4) with each blocked connection under its group when open egress
//! or a removed rule carried it; `--group` checks one group.

use crate::support::days::Days;
use crate::support::flows::{Rec, rec};
use crate::support::{Estate, T0, connection};

const DAY: i64 = 86_400;
const WEB: &str = "sg-0000000000000000a";
const DB: &str = "sg-0000000000000000b";
const BATCH: &str = "sg-0000000000000000c";
const CACHE: &str = "sg-0000000000000000d";

/// db admits web on 5432 (used) and batch on 5432 (unused on day 1, so
/// the proposal removes it); every group has open egress.
fn estate() -> Estate {
    let mut e = Estate::new();
    e.vpc("vpc-1", &["10.0.0.0/16"])
        .group(WEB, "web", "vpc-1")
        .group(DB, "db", "vpc-1")
        .group(BATCH, "batch", "vpc-1")
        .ingress(DB, WEB, 5432)
        .ingress(DB, BATCH, 5432)
        .eni("eni-web", "vpc-1", &["10.0.1.10"], &[WEB])
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &[DB])
        .eni("eni-batch", "vpc-1", &["10.0.3.30"], &[BATCH]);
    e
}

fn web_db(at: i64) -> Vec<Rec> {
    connection(
        (Some("eni-web"), "10.0.1.10", 40_000),
        (Some("eni-db"), "10.0.2.20", 5432),
        at,
        true,
    )
}

fn batch_db(at: i64) -> Vec<Rec> {
    connection(
        (Some("eni-batch"), "10.0.3.30", 41_000),
        (Some("eni-db"), "10.0.2.20", 5432),
        at,
        true,
    )
}

fn web_internet(at: i64) -> Vec<Rec> {
    connection(
        (Some("eni-web"), "10.0.1.10", 42_000),
        (None, "203.0.113.7", 443),
        at,
        true,
    )
}

/// Day 1's proposal: its tfvars and its JSON report, in the days' folder.
fn proposal(d: &Days) -> (std::path::PathBuf, std::path::PathBuf) {
    let day1 = d.day("day1.log", &web_db(T0 - DAY + 60));
    let run = d.infer(&[&day1], T0 - DAY, T0, &[]);
    run.ok();
    let (tfvars, report) = (d.path("rules.auto.tfvars"), d.path("report.json"));
    std::fs::write(&tfvars, run.tfvars()).unwrap();
    std::fs::write(&report, &run.stdout).unwrap();
    (tfvars, report)
}

#[test]
fn a_second_day_the_proposal_carries_passes() {
    let d = Days::new(&estate());
    let (tfvars, report) = proposal(&d);
    let day2 = d.day("day2.log", &web_db(T0 + 60));
    let r = d.check(
        &tfvars,
        &[&day2],
        T0,
        T0 + DAY,
        &["--removed", report.to_str().unwrap()],
    );
    r.ok();
    assert!(
        r.stdout
            .ends_with("ok: nothing accepted would be blocked\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.starts_with("checked 1 accepted connection against 1 proposed rule, without open egress and 4 removed rules"), "{}", r.stdout);
}

/// A day whose logs hold nothing of the window (a wrong date, an empty
/// delivery) is not a pass: the check fails and says why, so nobody takes
/// it for a group ready to close its open egress.
#[test]
fn a_day_without_evidence_fails_instead_of_passing() {
    let d = Days::new(&estate());
    let (tfvars, _) = proposal(&d);
    // The day's logs are of the day before the one checked.
    let old = d.day("old.log", &web_db(T0 - DAY + 120));
    let r = d.check(&tfvars, &[&old], T0, T0 + DAY, &[]);
    r.exits(1);
    assert!(
        r.stderr
            .contains("error: no evidence: not one accepted record in the window")
            && r.stderr.contains(
                "so nothing was checked (a check of no traffic passes whatever the rules"
            )
            && r.stderr.contains("records lie outside the window")
            && r.stderr.contains("--allow-empty checks anyway"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("ok:"), "{}", r.stdout);

    let r = d.check(&tfvars, &[&old], T0, T0 + DAY, &["--allow-empty"]);
    r.ok();
    assert!(
        r.stdout.starts_with("checked 0 accepted connections"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_second_day_with_traffic_the_proposal_drops_fails_per_group() {
    let d = Days::new(&estate());
    let (tfvars, report) = proposal(&d);
    let day2 = d.day(
        "day2.log",
        &[web_db(T0 + 60), web_internet(T0 + 120), batch_db(T0 + 180)].concat(),
    );
    let report = report.to_str().unwrap();
    let r = d.check(&tfvars, &[&day2], T0, T0 + DAY, &["--removed", report]);
    r.exits(4);
    insta::assert_snapshot!("check_blocked", r.stdout);

    let j = d.check(
        &tfvars,
        &[&day2],
        T0,
        T0 + DAY,
        &["--removed", report, "--json"],
    );
    j.exits(4);
    let blocked: Vec<(&str, &str, &str)> = j.json()["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["group_id"].as_str().unwrap(),
                b["direction"].as_str().unwrap(),
                b["service"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        blocked,
        [
            (WEB, "egress", "443/tcp"),
            (DB, "ingress", "5432/tcp"),
            (BATCH, "egress", "5432/tcp"),
        ]
    );

    // Without the removed rules, db still admits batch: only egress fails.
    let kept = d.check(&tfvars, &[&day2], T0, T0 + DAY, &["--json"]);
    kept.exits(4);
    let groups: Vec<&str> = kept.json()["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["group_id"].as_str().unwrap())
        .collect();
    assert_eq!(groups, [WEB, BATCH]);

    // One group at a time: db's egress carries nothing of this.
    let db = d.check(&tfvars, &[&day2], T0, T0 + DAY, &["--group", DB]);
    db.ok();
    let web = d.check(&tfvars, &[&day2], T0, T0 + DAY, &["--group", WEB]);
    web.exits(4);
    assert!(
        web.stdout.contains("203.0.113.7") && !web.stdout.contains(BATCH),
        "{}",
        web.stdout
    );

    let unknown = d.check(&tfvars, &[&day2], T0, T0 + DAY, &["--group", "sg-nope"]);
    unknown.exits(1);
    assert!(
        unknown
            .stderr
            .contains("--group sg-nope: the inventory has no security group"),
        "{}",
        unknown.stderr
    );
}

/// `--group` for a group the day's logs saw nothing of (no accepted
/// connection reached it, and its interface captured no record) is not a
/// pass: the flow logs may not cover its subnet, and a pass would call it
/// ready to close its open egress. A group whose interface captured only a
/// rejected probe is covered and quiet: it passes, and says so.
#[test]
fn a_group_the_logs_did_not_see_fails_and_a_quiet_one_passes() {
    let mut e = estate();
    e.group(CACHE, "cache", "vpc-1")
        .eni("eni-cache", "vpc-1", &["10.0.4.40"], &[CACHE]);
    let d = Days::new(&e);
    let (tfvars, _) = proposal(&d);
    let day2 = d.day("day2.log", &web_db(T0 + 60));

    let r = d.check(&tfvars, &[&day2], T0, T0 + DAY, &["--group", CACHE]);
    r.exits(1);
    assert!(
        r.stderr.contains(&format!(
            "error: no evidence for group {CACHE}: not one accepted connection in the window"
        )) && r
            .stderr
            .contains("none of its 1 interface (eni-cache) captured a record in the window")
            && r.stderr
                .contains("The flow logs may not cover its subnets or VPC")
            && r.stderr.contains("--allow-empty checks anyway"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("ok:"), "{}", r.stdout);

    let r = d.check(
        &tfvars,
        &[&day2],
        T0,
        T0 + DAY,
        &["--group", CACHE, "--allow-empty"],
    );
    r.ok();
    let first = format!(
        "checked 1 accepted connection against 1 proposed rule, without open egress and 0 \
         removed rules, for group {CACHE} (0 of them with it at an end)\n"
    );
    assert!(r.stdout.starts_with(&first), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!(
            "note: nothing of group {CACHE} was seen: none of its 1 interfaces captured a record"
        )),
        "{}",
        r.stdout
    );

    // The cache's interface logged a rejected probe: covered, and quiet.
    let probe = rec("eni-cache", "198.51.100.9", 50_000, "10.0.4.40", 6379)
        .at(T0 + 300)
        .reject();
    let day2b = d.day("day2b.log", &[web_db(T0 + 60), vec![probe]].concat());
    let r = d.check(&tfvars, &[&day2b], T0, T0 + DAY, &["--group", CACHE]);
    r.ok();
    assert!(r.stdout.starts_with(&first), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!(
            "note: no accepted connection has group {CACHE} at an end, but 1 of its 1 \
             interfaces captured records in the window: the flow logs cover it, and it was quiet"
        )) && r
            .stdout
            .ends_with("ok: nothing accepted would be blocked\n"),
        "{}",
        r.stdout
    );
    let j = d.check(
        &tfvars,
        &[&day2b],
        T0,
        T0 + DAY,
        &["--group", CACHE, "--json"],
    );
    j.ok();
    let seen = &j.json()["seen"];
    assert_eq!(seen["connections"], 0, "{seen}");
    assert_eq!(
        seen["interfaces"],
        serde_json::json!(["eni-cache"]),
        "{seen}"
    );
    assert_eq!(seen["logged"], serde_json::json!(["eni-cache"]), "{seen}");

    // A group at an end of the day's traffic: counted.
    let r = d.check(&tfvars, &[&day2], T0, T0 + DAY, &["--group", DB]);
    r.ok();
    assert!(
        r.stdout
            .contains(&format!("for group {DB} (1 of them with it at an end)")),
        "{}",
        r.stdout
    );
}

#[test]
fn a_proposal_that_is_not_tfvars_is_refused_naming_the_file() {
    let d = Days::new(&estate());
    let day2 = d.day("day2.log", &web_db(T0 + 60));
    let bad = d.path("bad.tfvars");
    std::fs::write(
        &bad,
        "rules = { k = { target_sg_id = \"sg-1\", from_port = 1 } }\n",
    )
    .unwrap();
    let r = d.check(&bad, &[&day2], T0, T0 + DAY, &[]);
    r.exits(1);
    assert!(
        r.stderr
            .contains("bad.tfvars cannot be used: rule k: `source_sg_id` is missing"),
        "{}",
        r.stderr
    );
}
