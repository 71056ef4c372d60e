//! `infer --state FILE`: evidence that accumulates from run to run. Two
//! runs over two days through one state give what one run over both days
//! gives; evidence older than `--keep` is forgotten and its rules listed as
//! removed with when they were last seen; groups are listed by their
//! readiness to close open egress; a state of another scope is refused.

use serde_json::Value;

use crate::support::days::{Days, rfc};
use crate::support::{Estate, T0, connection, section};

const DAY: i64 = 86_400;

/// web and batch call db on 5432; web also calls an internet address.
fn estate() -> Estate {
    let mut e = Estate::new();
    e.vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-0000000000000000a", "web", "vpc-1")
        .group("sg-0000000000000000b", "db", "vpc-1")
        .group("sg-0000000000000000c", "batch", "vpc-1")
        .eni(
            "eni-web",
            "vpc-1",
            &["10.0.1.10"],
            &["sg-0000000000000000a"],
        )
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &["sg-0000000000000000b"])
        .eni(
            "eni-batch",
            "vpc-1",
            &["10.0.3.30"],
            &["sg-0000000000000000c"],
        );
    e
}

fn web_db(at: i64) -> Vec<crate::support::flows::Rec> {
    connection(
        (Some("eni-web"), "10.0.1.10", 40_000),
        (Some("eni-db"), "10.0.2.20", 5432),
        at,
        true,
    )
}

fn batch_db(at: i64) -> Vec<crate::support::flows::Rec> {
    connection(
        (Some("eni-batch"), "10.0.3.30", 41_000),
        (Some("eni-db"), "10.0.2.20", 5432),
        at,
        true,
    )
}

fn web_internet(at: i64) -> Vec<crate::support::flows::Rec> {
    connection(
        (Some("eni-web"), "10.0.1.10", 42_000),
        (None, "203.0.113.7", 443),
        at,
        true,
    )
}

/// What the JSON says that comes from the evidence (not from this run's
/// reading of its files: `stats`, `evidence_per_source`, `summary`, and the
/// findings of sources that do not fill the window this run read: one run
/// over two days of per-day files has two, each run through the state none).
fn evidence_json(j: &Value) -> Value {
    let mut j = j.clone();
    let o = j.as_object_mut().unwrap();
    for k in ["stats", "evidence_per_source", "summary"] {
        o.remove(k);
    }
    let audit = o["audit"].as_object_mut().unwrap();
    audit.remove("progress");
    if let Some(Value::Array(findings)) = audit.get_mut("findings") {
        findings.retain(|f| f["kind"] != "window-not-filled");
    }
    j
}

#[test]
fn two_runs_through_a_state_equal_one_run_over_both_days() {
    let d = Days::new(&estate());
    let (d1, d2) = (T0 - DAY, T0);
    let day1 = d.day("day1.log", &[web_db(d1 + 60), batch_db(d1 + 3600)].concat());
    let day2 = d.day(
        "day2.log",
        &[web_db(d2 + 60), web_internet(d2 + 120)].concat(),
    );
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();

    let first = d.infer(&[&day1], d1, d2, &["--state", s]);
    first.ok();
    assert!(state.is_file(), "the first run writes the state");
    let second = d.infer(&[&day2], d2, d2 + DAY, &["--state", s]);
    second.ok();
    let both = d.infer(&[&day1, &day2], d1, d2 + DAY, &[]);
    both.ok();

    assert_eq!(second.tfvars(), both.tfvars(), "the tfvars, byte for byte");
    assert_eq!(
        serde_json::to_string_pretty(&evidence_json(second.json())).unwrap(),
        serde_json::to_string_pretty(&evidence_json(both.json())).unwrap(),
        "the JSON report's evidence, rules and audit"
    );
    // Each per-day file leaves half of the one run's window unfilled, and
    // says so as a finding (SGP013); each run through the state fills its own.
    let unfilled = |j: &Value| -> Vec<String> {
        j["audit"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "window-not-filled")
            .map(|f| {
                let subject = f["subject"].as_str().unwrap();
                let file = std::path::Path::new(subject).file_name().unwrap();
                format!(
                    "{} {}",
                    f["rule_id"].as_str().unwrap(),
                    file.to_string_lossy()
                )
            })
            .collect()
    };
    assert_eq!(
        unfilled(both.json()),
        ["SGP013 day1.log", "SGP013 day2.log"]
    );
    assert!(unfilled(second.json()).is_empty());
    // The batch job of day 1 is still a rule on day 2.
    assert!(
        second
            .tfvars()
            .contains("batch-0000000c-to-db-0000000b-tcp-5432"),
        "{}",
        second.tfvars()
    );
    let p = &second.json()["audit"]["progress"];
    assert_eq!(p["had_state"], true);
    assert_eq!(p["evidence_since"], d1);
    assert_eq!(p["evidence_until"], d2 + DAY);
    assert_eq!(p["changes"], serde_json::json!([]), "{p}");
}

#[test]
fn evidence_older_than_keep_expires_and_its_rule_is_listed_as_removed() {
    let d = Days::new(&estate());
    let d1 = T0 - 40 * DAY;
    let day1 = d.day("day1.log", &[web_db(d1 + 60), batch_db(d1 + 3600)].concat());
    let day40 = d.day("day40.log", &web_db(T0 + 60));
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();
    d.infer(&[&day1], d1, d1 + DAY, &["--state", s]).ok();
    let later = d.infer(&[&day40], T0, T0 + DAY, &["--state", s, "--keep", "30d"]);
    later.ok();

    assert!(
        !later.tfvars().contains("batch-0000000c-to-db"),
        "{}",
        later.tfvars()
    );
    assert!(
        later
            .tfvars()
            .contains("web-0000000a-to-db-0000000b-tcp-5432")
    );
    let p = &later.json()["audit"]["progress"];
    assert_eq!(
        p["expired_connections"], 2,
        "batch→db at both interfaces: {p}"
    );
    assert_eq!(p["evidence_since"], T0 + DAY - 30 * DAY);
    let changes = p["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{p}");
    assert_eq!(changes[0]["kind"], "removed");
    assert_eq!(changes[0]["expired"], true);
    assert_eq!(
        changes[0]["last_seen"],
        d1 + 3600 + 60,
        "the batch run's last record"
    );
    insta::assert_snapshot!(
        "state_expired",
        section(&later.file("report.md"), "Since the last run")
    );

    // With a longer --keep the same evidence stays.
    let d = Days::new(&estate());
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();
    let day1 = d.day("day1.log", &[web_db(d1 + 60), batch_db(d1 + 3600)].concat());
    let day40 = d.day("day40.log", &web_db(T0 + 60));
    d.infer(&[&day1], d1, d1 + DAY, &["--state", s]).ok();
    let kept = d.infer(&[&day40], T0, T0 + DAY, &["--state", s, "--keep", "90d"]);
    assert!(
        kept.tfvars()
            .contains("batch-0000000c-to-db-0000000b-tcp-5432"),
        "{}",
        kept.tfvars()
    );
}

#[test]
fn groups_are_listed_by_readiness_to_close_open_egress() {
    let d = Days::new(&estate());
    let (d1, d2) = (T0 - DAY, T0);
    let day1 = d.day("day1.log", &[web_db(d1 + 60), batch_db(d1 + 3600)].concat());
    let day2 = d.day(
        "day2.log",
        &[web_db(d2 + 60), web_internet(d2 + 120)].concat(),
    );
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();
    let first = d.infer(&[&day1], d1, d2, &["--state", s, "--soak", "1d"]);
    first.ok();
    // One day of evidence, a day of soak: every group is ready at its end.
    let ready: Vec<&str> = first.json()["audit"]["progress"]["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(ready, ["ready", "ready", "ready"]);

    let second = d.infer(&[&day2], d2, d2 + DAY, &["--state", s, "--soak", "1d"]);
    second.ok();
    let r = &second.json()["audit"]["progress"]["readiness"];
    let by_group: Vec<(&str, &str)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["group_name"].as_str().unwrap(),
                x["status"].as_str().unwrap(),
            )
        })
        .collect();
    // web's call to the internet is carried only by its open egress.
    assert_eq!(
        by_group,
        [("db", "ready"), ("batch", "ready"), ("web", "waiting")],
        "{r}"
    );
    let web = &r[2];
    assert_eq!(web["open_egress_only"], 1);
    assert_eq!(web["ready_at"], d2 + 120 + 60 + DAY, "a day after the last");

    // With the default soak (14 days) three days of evidence are not enough.
    let day3 = d.day("day3.log", &web_db(d2 + DAY + 60));
    let soaking = d.infer(&[&day3], d2 + DAY, d2 + 2 * DAY, &["--state", s]);
    soaking.ok();
    let statuses: Vec<&str> = soaking.json()["audit"]["progress"]["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["soaking", "soaking", "waiting"]);
    insta::assert_snapshot!(
        "state_readiness",
        section(&second.file("report.md"), "Closing open egress")
    );
}

/// With `--terraform`, the change holds egress.tf's rules: web's call to
/// the internet, which only its open egress carried, is allowed by the
/// rule egress.tf writes for it, so web is as ready as the others.
#[test]
fn egress_the_terraform_folder_allows_does_not_hold_a_group_open() {
    let d = Days::new(&estate());
    let (d1, d2) = (T0 - DAY, T0);
    let day1 = d.day("day1.log", &web_db(d1 + 60));
    let day2 = d.day(
        "day2.log",
        &[web_db(d2 + 60), web_internet(d2 + 120)].concat(),
    );
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();
    let folder = d.path("tf");
    let tf = ["--terraform", folder.to_str().unwrap()];
    d.infer(&[&day1], d1, d2, &["--state", s, "--soak", "1d"])
        .ok();
    let second = d.infer(
        &[&day2],
        d2,
        d2 + DAY,
        &[&["--state", s, "--soak", "1d"][..], &tf].concat(),
    );
    second.ok();
    let r = &second.json()["audit"]["progress"]["readiness"];
    let web = r
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["group_name"] == "web")
        .unwrap();
    assert_eq!(web["open_egress_only"], 0, "{r}");
    assert_eq!(web["status"], "ready", "{r}");
}

/// Days no run read are not quiet days: web's open egress carried a call
/// on day 1, the job then did not run for two weeks, and a run on day 16
/// does not call web ready (before, the fortnight between counted as
/// --soak); the report and stderr name the hole.
#[test]
fn days_no_run_read_do_not_count_towards_the_soak() {
    let d = Days::new(&estate());
    let d1 = T0 - 20 * DAY;
    let d16 = d1 + 15 * DAY;
    let day1 = d.day(
        "day1.log",
        &[web_db(d1 + 60), web_internet(d1 + 120)].concat(),
    );
    let day16 = d.day("day16.log", &web_db(d16 + 60));
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();
    d.infer(&[&day1], d1, d1 + DAY, &["--state", s]).ok();
    let r = d.infer(&[&day16], d16, d16 + DAY, &["--state", s]);
    r.ok();
    let p = &r.json()["audit"]["progress"];
    let web = p["readiness"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["group_name"] == "web")
        .unwrap();
    assert_eq!(web["status"], "waiting", "{p}");
    // Quiet from the call's last record to day 1's end, and all of day 16.
    let quiet = (d1 + DAY - (d1 + 180)) + DAY;
    assert_eq!(web["ready_at"], d16 + DAY + 14 * DAY - quiet, "{p}");
    assert_eq!(
        p["not_observed"],
        serde_json::json!([{"since": d1 + DAY, "until": d16}])
    );
    assert_eq!(
        p["observed"],
        serde_json::json!([{"since": d1, "until": d1 + DAY}, {"since": d16, "until": d16 + DAY}])
    );
    let hole = format!("{}..{}", rfc(d1 + DAY), rfc(d16));
    assert!(
        r.stderr.contains(&format!(
            "warning: --state: the evidence was not observed over {hole}: no run read it"
        )),
        "{}",
        r.stderr
    );
    insta::assert_snapshot!(
        "state_hole",
        section(&r.file("report.md"), "Since the last run")
    );
}

/// A window the state already holds is not folded twice (a retried daily
/// job would sum its records again): refused whole, the state untouched;
/// overlapping, only the part the state lacks is read, so the result is
/// one run's over both days.
#[test]
fn a_window_the_state_holds_is_not_folded_again() {
    let d = Days::new(&estate());
    let (d1, d2) = (T0 - DAY, T0);
    let day1 = d.day("day1.log", &[web_db(d1 + 60), batch_db(d1 + 3600)].concat());
    let day2 = d.day("day2.log", &web_db(d2 + 60));
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();
    d.infer(&[&day1], d1, d2, &["--state", s]).ok();
    let before = std::fs::read(&state).unwrap();

    let again = d.infer(&[&day1], d1, d2, &["--state", s]);
    again.exits(1);
    assert!(
        again.stderr.contains(&format!(
            "already holds this run's window {}..{} (it holds {}..{}): folded again, its records would be counted twice",
            rfc(d1),
            rfc(d2),
            rfc(d1),
            rfc(d2)
        )),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read(&state).unwrap(), before, "left as it was");

    // From the middle of day 1 (a job run a little early): day 1's half is
    // not read again.
    let second = d.infer(&[&day1, &day2], d1 + DAY / 2, d2 + DAY, &["--state", s]);
    second.ok();
    assert!(
        second.stderr.contains(&format!(
            "only {}..{} was read, so that no record is counted twice",
            rfc(d2),
            rfc(d2 + DAY)
        )),
        "{}",
        second.stderr
    );
    let both = d.infer(&[&day1, &day2], d1, d2 + DAY, &[]);
    both.ok();
    assert_eq!(second.tfvars(), both.tfvars());
    assert_eq!(
        serde_json::to_string_pretty(&evidence_json(second.json())).unwrap(),
        serde_json::to_string_pretty(&evidence_json(both.json())).unwrap(),
        "the records and bytes are counted once"
    );
}

/// A day whose logs hold no record (a broken delivery) is refused: folded
/// in, it would age the stored evidence as if the network had been quiet
/// and call groups ready. The state stays as it was; `--allow-empty` folds
/// the day in on purpose.
#[test]
fn a_day_without_records_leaves_the_state_as_it_was() {
    let d = Days::new(&estate());
    let (d1, d2) = (T0 - DAY, T0);
    let day1 = d.day("day1.log", &web_db(d1 + 60));
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();
    d.infer(&[&day1], d1, d2, &["--state", s]).ok();
    let before = std::fs::read(&state).unwrap();

    let gap = d.day("gap.log", &[]);
    let r = d.infer(&[&gap], d2, d2 + DAY, &["--state", s]);
    r.exits(1);
    assert!(
        r.stderr.contains(&format!(
            "no evidence: not one accepted record in the window {}..{}, so nothing was \
             written and the state is as it was (folded into the state",
            rfc(d2),
            rfc(d2 + DAY)
        )) && r
            .stderr
            .contains("--allow-empty folds the window in anyway"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(&state).unwrap(),
        before,
        "the state is unchanged"
    );

    let r = d.infer(&[&gap], d2, d2 + DAY, &["--state", s, "--allow-empty"]);
    r.ok();
    assert!(
        r.tfvars().contains("web-0000000a-to-db-0000000b-tcp-5432"),
        "the stored evidence still proposes its rule: {}",
        r.tfvars()
    );
    assert_ne!(
        std::fs::read(&state).unwrap(),
        before,
        "folded in on purpose"
    );
}

#[test]
fn the_report_says_what_changed_since_the_last_run() {
    let d = Days::new(&estate());
    let (d1, d2) = (T0 - DAY, T0);
    // Day 1: web→db only. Day 2: batch→db appears.
    let day1 = d.day("day1.log", &web_db(d1 + 60));
    let day2 = d.day("day2.log", &batch_db(d2 + 60));
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();
    let first = d.infer(&[&day1], d1, d2, &["--state", s]);
    first.ok();
    assert!(
        section(&first.file("report.md"), "Since the last run").contains("No state file yet"),
        "{}",
        first.file("report.md")
    );
    let second = d.infer(&[&day2], d2, d2 + DAY, &["--state", s]);
    second.ok();
    let changes = &second.json()["audit"]["progress"]["changes"];
    assert_eq!(changes.as_array().unwrap().len(), 1, "{changes}");
    assert_eq!(changes[0]["kind"], "added");
    assert_eq!(changes[0]["key"], "batch-0000000c-to-db-0000000b-tcp-5432");
    insta::assert_snapshot!(
        "state_added",
        section(&second.file("report.md"), "Since the last run")
    );
}

#[test]
fn a_state_of_another_scope_or_format_is_refused() {
    let d = Days::new(&estate());
    let day1 = d.day("day1.log", &web_db(T0 + 60));
    let state = d.path("sgpair.state");
    let s = state.to_str().unwrap();
    d.infer(&[&day1], T0, T0 + DAY, &["--state", s]).ok();

    // The same state, an inventory that gained a VPC (new, empty): kept,
    // and rewritten for both VPCs.
    let mut other = estate();
    other.vpc("vpc-2", &["10.1.0.0/16"]);
    other.write(&d.path("inventory.json"));
    let day2 = d.day("day2.log", &web_db(T0 + DAY + 60));
    d.infer(&[&day2], T0 + DAY, T0 + 2 * DAY, &["--state", s])
        .ok();
    let before = std::fs::read(&state).unwrap();

    // An inventory that lost it: refused.
    estate().write(&d.path("inventory.json"));
    let day3 = d.day("day3.log", &web_db(T0 + 2 * DAY + 60));
    let refused = d.infer(&[&day3], T0 + 2 * DAY, T0 + 3 * DAY, &["--state", s]);
    refused.exits(1);
    assert!(
        refused.stderr.contains("was written for accounts")
            && refused.stderr.contains("VPCs vpc-1, vpc-2, and this run's")
            && refused.stderr.contains("VPCs vpc-1: give"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read(&state).unwrap(), before, "left as it was");
    assert!(
        !refused.path("rules.auto.tfvars").exists(),
        "nothing written"
    );

    // Not a state file.
    estate().write(&d.path("inventory.json"));
    std::fs::write(&state, "rules = {}\n").unwrap();
    let garbage = d.infer(&[&day1], T0, T0 + DAY, &["--state", s]);
    garbage.exits(1);
    assert!(
        garbage
            .stderr
            .contains("cannot be used: it is not a state file that sgpair wrote"),
        "{}",
        garbage.stderr
    );
}

#[test]
fn without_state_an_existing_tfvars_is_what_the_report_compares_with() {
    let d = Days::new(&estate());
    let (d1, d2) = (T0 - DAY, T0);
    let day1 = d.day("day1.log", &web_db(d1 + 60));
    let both = d.day("both.log", &[web_db(d2 + 60), batch_db(d2 + 60)].concat());
    let out = d.path("rules.auto.tfvars");
    let run = |logs: &std::path::Path, since: i64| {
        crate::support::sgpair(["infer", "--json", "-q"])
            .cwd(d.path(""))
            .arg("--logs")
            .arg(logs)
            .arg("--inventory")
            .arg(d.path("inventory.json"))
            .args(["--since", &rfc(since), "--until", &rfc(d2 + DAY)])
            .arg("--out")
            .arg(&out)
            .arg("--report")
            .arg(d.path("report.md"))
            .run()
    };
    let first = run(&day1, d1);
    first.ok();
    assert!(
        first.json()["audit"].get("progress").is_none(),
        "no earlier file"
    );
    let second = run(&both, d2);
    second.ok();
    let p = &second.json()["audit"]["progress"];
    assert_eq!(p["compared_with"], out.to_str().unwrap());
    let changes = p["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{p}");
    assert_eq!(
        (changes[0]["kind"].as_str(), changes[0]["key"].as_str()),
        (
            Some("added"),
            Some("batch-0000000c-to-db-0000000b-tcp-5432")
        )
    );
    assert_eq!(p["readiness"], serde_json::json!([]));
    let md = crate::support::read(d.path("report.md"));
    let since = section(&md, "Since the last run");
    assert!(since.contains("Compared with the rules of"), "{since}");
    assert!(!md.contains("## Closing open egress"));
}
