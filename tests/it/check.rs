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

    // Each end apart, besides the display string the text shows.
    let web_out = &j.json()["blocked"][0];
    assert_eq!(web_out["client"], "eni-web (10.0.1.10)", "{web_out}");
    assert_eq!(
        web_out["client_end"]["interface_id"], "eni-web",
        "{web_out}"
    );
    assert_eq!(
        web_out["client_end"]["addresses"],
        serde_json::json!(["10.0.1.10"]),
        "{web_out}"
    );
    assert_eq!(web_out["server_end"]["label"], "internet", "{web_out}");
    assert_eq!(
        web_out["server_end"]["interface_id"],
        serde_json::Value::Null
    );
    assert_eq!(web_out["server_end"]["address_count"], 1, "{web_out}");
    assert_eq!(j.json()["verdict"], "blocked");

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

/// A gate does not pass on evidence it could not read: a day whose file is
/// mostly lines that are not flow-log records blocks nothing in what was
/// read, and exits 6 (inconclusive) instead of 0, saying on stdout why, on
/// stderr what `infer` says (the skipped lines with their places, the
/// counts, the window left unfilled), and in the JSON the same keys as
/// `infer`'s (`format_version`, `window`, `stats`).
#[test]
fn unreadable_records_make_a_pass_inconclusive() {
    let d = Days::new(&estate());
    let (tfvars, report) = proposal(&d);
    let report = report.to_str().unwrap();
    let mut text = crate::support::v2_lines(&web_db(T0 + 60));
    text.push_str(&"garbage garbage\n".repeat(1000));
    let day2 = d.path("day2.log");
    std::fs::write(&day2, text).unwrap();
    // A second source of the day before: nothing of it is in the window.
    let old = d.day("old.log", &web_db(T0 - DAY + 120));

    let r = d.check_saying(
        &tfvars,
        &[&day2, &old],
        T0,
        T0 + DAY,
        &["--removed", report],
    );
    r.exits(6);
    assert!(
        r.stdout.ends_with(
            "inconclusive: nothing accepted would be blocked in what was read, but 1000 of 1008 \
             records could not be read (wrong field count: 1000); a pass needs every source and \
             record read (see the lines on stderr)\n"
        ),
        "{}",
        r.stdout
    );
    let old_name = old.display().to_string();
    for want in [
        format!("skipped (wrong field count): {}:5: ", day2.display()),
        "1004 skipped (outside the window: 4, wrong field count: 1000)".to_string(),
        format!("warning: the window is not filled: {old_name}: no record in the window"),
    ] {
        assert!(r.stderr.contains(&want), "{want:?} in\n{}", r.stderr);
    }

    let j = d.check(
        &tfvars,
        &[&day2, &old],
        T0,
        T0 + DAY,
        &["--removed", report, "--json"],
    );
    j.exits(6);
    let v = j.json();
    assert_eq!(v["format_version"], 1, "{v}");
    assert_eq!(v["verdict"], "inconclusive", "{v}");
    assert_eq!(v["window"]["since"], T0, "{v}");
    assert_eq!(v["window"]["until"], T0 + DAY, "{v}");
    assert_eq!(v["stats"]["skipped"]["wrong field count"], 1000, "{v}");
    assert_eq!(v["stats"]["used"], 4, "{v}");
    assert_eq!(
        v["evidence_per_source"]["warnings"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{v}"
    );
    assert!(
        v["incomplete"][0]
            .as_str()
            .unwrap()
            .starts_with("1000 of 1008 records could not be read"),
        "{v}"
    );
    assert_eq!(v["blocked_connections"], 0, "{v}");

    // What was read blocks a connection: that is a finding, whatever else
    // could not be read (exit 4, and the verdict says more may be).
    let mut text = crate::support::v2_lines(&[web_db(T0 + 60), web_internet(T0 + 120)].concat());
    text.push_str("garbage garbage\n");
    let day3 = d.path("day3.log");
    std::fs::write(&day3, text).unwrap();
    let r = d.check(&tfvars, &[&day3], T0, T0 + DAY, &["--removed", report]);
    r.exits(4);
    assert!(
        r.stdout.ends_with(
            "blocked: 1 accepted connection would be blocked (and the evidence is incomplete, \
             so more may be: 1 of 7 records could not be read (wrong field count: 1))\n"
        ),
        "{}",
        r.stdout
    );
}

/// `--allow-partial` lets a check go on past a source it cannot read in
/// full (a gzip cut short), and says so; it does not make it a pass.
#[test]
fn a_source_missing_under_allow_partial_is_inconclusive() {
    let d = Days::new(&estate());
    let (tfvars, _) = proposal(&d);
    let folder = d.path("day2");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("a.log"),
        crate::support::v2_lines(&web_db(T0 + 60)),
    )
    .unwrap();
    let gz = crate::support::flows::gzip(
        crate::support::v2_lines(&[web_db(T0 + 120), batch_db(T0 + 180)].concat()).as_bytes(),
    );
    std::fs::write(folder.join("b.log.gz"), &gz[..gz.len() / 2]).unwrap();

    let r = d.check(&tfvars, &[&folder], T0, T0 + DAY, &[]);
    r.exits(1);

    let r = d.check_saying(&tfvars, &[&folder], T0, T0 + DAY, &["--allow-partial"]);
    r.exits(6);
    assert!(
        r.stdout.contains(
            "inconclusive: nothing accepted would be blocked in what was read, but 1 source \
             could not be read in full (--allow-partial): "
        ) && r.stdout.contains("b.log.gz"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("warning: incomplete evidence (--allow-partial): ")
            && r.stderr
                .contains("; INCOMPLETE: 1 source could not be read in full"),
        "{}",
        r.stderr
    );
    let j = d.check(
        &tfvars,
        &[&folder],
        T0,
        T0 + DAY,
        &["--allow-partial", "--json"],
    );
    j.exits(6);
    let missing = j.json()["stats"]["missing"].as_array().unwrap().clone();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].as_str().unwrap().contains("b.log.gz"),
        "{missing:?}"
    );
}

/// A report or a proposal of another environment names groups this
/// inventory does not have: replaying it removes or allows nothing here and
/// would pass. None of its groups known: refused, naming the file; some of
/// them: checked, with a warning naming the groups.
#[test]
fn a_report_or_proposal_of_another_environment_is_refused() {
    let d = Days::new(&estate());
    let (tfvars, report) = proposal(&d);
    let day2 = d.day("day2.log", &web_db(T0 + 60));
    let text = std::fs::read_to_string(&report).unwrap();
    let rename = |text: &str, ids: &[&str]| {
        ids.iter().fold(text.to_string(), |t, id| {
            t.replace(
                id,
                &id.replace("sg-0000000000000000", "sg-ffffffffffffffff"),
            )
        })
    };
    let other = d.path("other.json");
    std::fs::write(&other, rename(&text, &[WEB, DB, BATCH])).unwrap();
    let r = d.check(
        &tfvars,
        &[&day2],
        T0,
        T0 + DAY,
        &["--removed", other.to_str().unwrap()],
    );
    r.exits(1);
    assert!(
        r.stderr.contains(&format!(
            "error: {}: none of the 3 groups its removed rules name (sg-ffffffffffffffffa, \
             sg-ffffffffffffffffb, sg-ffffffffffffffffc) is in the inventory",
            other.display()
        )) && r.stderr.contains("a file of another environment?"),
        "{}",
        r.stderr
    );

    // Only batch's rules name a group the inventory lacks (deleted since).
    let some = d.path("some.json");
    std::fs::write(&some, rename(&text, &[BATCH])).unwrap();
    let args = ["--removed", some.to_str().unwrap()];
    let r = d.check_saying(&tfvars, &[&day2], T0, T0 + DAY, &args);
    r.ok();
    let warning = format!(
        "{}: 1 of the 3 groups its removed rules name (sg-ffffffffffffffffc) is not in the \
         inventory",
        some.display()
    );
    assert!(
        r.stderr.contains(&format!("warning: {warning}")),
        "{}",
        r.stderr
    );
    // Batch's rules are not counted among those taken away.
    let whole = d.check(
        &tfvars,
        &[&day2],
        T0,
        T0 + DAY,
        &["--removed", report.to_str().unwrap()],
    );
    let count = |out: &str| {
        let head = out.lines().next().unwrap_or_default();
        head.split("without open egress and ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("{head}"))
    };
    assert!(
        count(&r.stdout) < count(&whole.stdout),
        "{}\n{}",
        r.stdout,
        whole.stdout
    );
    let j = d.check(
        &tfvars,
        &[&day2],
        T0,
        T0 + DAY,
        &[&args[..], &["--json"]].concat(),
    );
    j.ok();
    assert!(
        j.json()["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with(&warning),
        "{}",
        j.stdout
    );

    // The tfvars of another environment: its rules allow nothing here.
    let tf = std::fs::read_to_string(&tfvars).unwrap();
    let other_tf = d.path("other.auto.tfvars");
    std::fs::write(&other_tf, rename(&tf, &[WEB, DB, BATCH])).unwrap();
    let r = d.check(&other_tf, &[&day2], T0, T0 + DAY, &[]);
    r.exits(1);
    assert!(
        r.stderr.contains(&format!(
            "error: {}: none of the 2 groups its rules name",
            other_tf.display()
        )),
        "{}",
        r.stderr
    );
}

/// The proposal of a Terraform folder (`infer --terraform`) is what one
/// apply creates: the module's rules and egress.tf's. A check against the
/// folder's tfvars reads every `*.tf` beside it, so the egress the module
/// cannot express (here web's to the internet on 443) passes as the apply
/// would let it; with egress.tf's rule gone, or not readable as written,
/// the same day is blocked, and the warning says which resource and why.
#[test]
fn a_terraform_folder_is_checked_with_its_egress_rules() {
    let d = Days::new(&estate());
    let folder = d.path("tf");
    let day1 = d.day(
        "day1.log",
        &[web_db(T0 - DAY + 60), web_internet(T0 - DAY + 120)].concat(),
    );
    let run = d.infer(
        &[&day1],
        T0 - DAY,
        T0,
        &["--terraform", folder.to_str().unwrap()],
    );
    run.ok();
    let report = d.path("report.json");
    std::fs::write(&report, &run.stdout).unwrap();
    let report = report.to_str().unwrap();
    let tfvars = folder.join("rules.auto.tfvars");
    let egress = std::fs::read_to_string(folder.join("egress.tf")).unwrap();
    assert!(
        egress.contains("cidr_ipv4         = \"0.0.0.0/0\"")
            && egress.contains("from_port         = 443"),
        "{egress}"
    );

    let day2 = d.day(
        "day2.log",
        &[web_db(T0 + 60), web_internet(T0 + 120)].concat(),
    );
    let r = d.check(&tfvars, &[&day2], T0, T0 + DAY, &["--removed", report]);
    r.ok();
    assert!(
        r.stdout.starts_with(
            "checked 2 accepted connections against 1 proposed rule and 1 rule of egress.tf, without open egress and"
        ) && r.stdout.ends_with("ok: nothing accepted would be blocked\n"),
        "{}",
        r.stdout
    );
    let j = d.check(
        &tfvars,
        &[&day2],
        T0,
        T0 + DAY,
        &["--removed", report, "--json"],
    );
    j.ok();
    assert_eq!(j.json()["command"], "check");
    assert_eq!(j.json()["terraform_rules"], 1);
    assert_eq!(
        j.json()["terraform_files"],
        serde_json::json!([folder.join("egress.tf").display().to_string()])
    );

    // The rule's group computed by Terraform: not read, so not allowed.
    let computed = egress.replacen(
        &format!("security_group_id = \"{WEB}\""),
        "security_group_id = module.web.id",
        1,
    );
    assert_ne!(computed, egress);
    std::fs::write(folder.join("egress.tf"), computed).unwrap();
    let r = d.check_saying(&tfvars, &[&day2], T0, T0 + DAY, &["--removed", report]);
    r.exits(4);
    assert!(
        r.stdout.contains(&format!(
            "{WEB} (web):\n  egress: eni-web (10.0.1.10) -> internet (203.0.113.7) 443/tcp"
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("egress.tf: aws_vpc_security_group_egress_rule.")
            && r.stderr.contains(
                "is not read (`security_group_id` is not a value written out): its rule is left out of the after state"
            ),
        "{}",
        r.stderr
    );

    // A team's own file in the folder counts as egress.tf's would.
    std::fs::remove_file(folder.join("egress.tf")).unwrap();
    std::fs::write(folder.join("team.tf"), egress).unwrap();
    let r = d.check(&tfvars, &[&day2], T0, T0 + DAY, &["--removed", report]);
    r.ok();
    assert!(r.stdout.contains("and 1 rule of team.tf,"), "{}", r.stdout);

    // A rule resource of a group the inventory lacks is warned about, the
    // way the tfvars' and the report's are, and never refused.
    let other = "resource \"aws_vpc_security_group_egress_rule\" \"other\" {\n  security_group_id = \"sg-0000000000000000f\"\n  cidr_ipv4 = \"0.0.0.0/0\"\n  ip_protocol = \"tcp\"\n  from_port = 22\n  to_port = 22\n}\n";
    std::fs::write(folder.join("other.tf"), other).unwrap();
    let r = d.check_saying(&tfvars, &[&day2], T0, T0 + DAY, &["--removed", report]);
    r.ok();
    assert!(
        r.stderr.contains(&format!(
            "{}: 1 of the 2 groups its rule resources name (sg-0000000000000000f) is not in the inventory (",
            folder.display()
        )) && r.stderr.contains("): their rules allow nothing here"),
        "{}",
        r.stderr
    );
}

/// `infer --terraform`'s report judges the change the folder holds, as
/// `check` replays it: egress.tf's rules are in its after state, so the
/// egress they allow is no "would break" finding and counts as allowed
/// after. Without the folder, the same day's report lists it as broken; a
/// team's own egress.tf (kept as it is) is judged as it stands, and a
/// team's other file in the folder counts too.
#[test]
fn the_report_of_a_terraform_folder_holds_its_egress_rules_in_the_after_state() {
    let d = Days::new(&estate());
    let folder = d.path("tf");
    let day1 = d.day(
        "day1.log",
        &[web_db(T0 - DAY + 60), web_internet(T0 - DAY + 120)].concat(),
    );
    let breaks = |j: &serde_json::Value| -> Vec<String> {
        j["audit"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "SGP005")
            .map(|f| f["subject"].as_str().unwrap().to_string())
            .collect()
    };
    let after = |j: &serde_json::Value| {
        let b = &j["audit"]["before_after"];
        (
            b["allowed_after"].as_u64().unwrap(),
            b["observed_connections"].as_u64().unwrap(),
            b["rules_in_terraform_files"].as_u64().unwrap(),
        )
    };

    let plain = d.infer(&[&day1], T0 - DAY, T0, &[]);
    plain.ok();
    let (allowed, observed, in_files) = after(plain.json());
    assert!(allowed < observed, "{allowed} of {observed}");
    assert_eq!(in_files, 0);
    assert_eq!(
        breaks(plain.json()),
        ["eni-web to internet on 443/tcp"],
        "{}",
        plain.stdout
    );

    let dir = ["--terraform", folder.to_str().unwrap()];
    let run = d.infer(&[&day1], T0 - DAY, T0, &dir);
    run.ok();
    assert_eq!(after(run.json()), (observed, observed, 1));
    assert!(breaks(run.json()).is_empty(), "{}", run.stdout);
    let report = d.path("report.json");
    std::fs::write(&report, &run.stdout).unwrap();
    // What check says of the same day against the same folder.
    let c = d.check(
        &folder.join("rules.auto.tfvars"),
        &[&day1],
        T0 - DAY,
        T0,
        &["--removed", report.to_str().unwrap(), "--json"],
    );
    c.ok();
    assert_eq!(c.json()["blocked_connections"], 0);
    assert_eq!(c.json()["observed_connections"], observed);

    // A team's egress.tf, without the rule: kept as it is, and judged so.
    let egress = std::fs::read_to_string(folder.join("egress.tf")).unwrap();
    std::fs::write(folder.join("egress.tf"), "# the team's\n").unwrap();
    let run = d.infer(&[&day1], T0 - DAY, T0, &dir);
    run.ok();
    assert_eq!(
        std::fs::read_to_string(folder.join("egress.tf")).unwrap(),
        "# the team's\n"
    );
    assert_eq!(breaks(run.json()), breaks(plain.json()));
    assert_eq!(after(run.json()), (allowed, observed, 0));

    // The same rule in another file of the team's: in the after state.
    let team = egress
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(folder.join("team.tf"), team).unwrap();
    let run = d.infer(&[&day1], T0 - DAY, T0, &dir);
    run.ok();
    assert!(breaks(run.json()).is_empty(), "{}", run.stdout);
    assert_eq!(after(run.json()), (observed, observed, 1));

    // Written as the older resource type, the same rule counts alike.
    let older = format!(
        "resource \"aws_security_group_rule\" \"web_https\" {{\n  type = \"egress\"\n  security_group_id = \"{WEB}\"\n  protocol = \"tcp\"\n  from_port = 443\n  to_port = 443\n  cidr_blocks = [\"0.0.0.0/0\"]\n}}\n"
    );
    std::fs::write(folder.join("team.tf"), older).unwrap();
    let run = d.infer(&[&day1], T0 - DAY, T0, &dir);
    run.ok();
    assert!(breaks(run.json()).is_empty(), "{}", run.stdout);
    assert_eq!(after(run.json()), (observed, observed, 1));
}
