//! End-to-end tests of estate mode with files: several accounts' inventories
//! (`--inventory` once per account), records routed to their own account,
//! one `rules.auto.tfvars` per owning account (`--out-dir`), the same bytes
//! as a run on that account alone, rules across accounts listed with the
//! half each account applies, and records of an account without an
//! inventory counted, never resolved.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::ownership::Facts;
use crate::support::{Estate, Run, T0, UNTIL, connection, sgpair, v2_rules};

const A: &str = "111111111111";
const B: &str = "222222222222";
/// Logs records, has no inventory.
const C: &str = "333333333333";

const V5: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id tcp-flags flow-direction";
const MONDAY: i64 = T0 - 5 * 86_400;

/// Account A: web → db in vpc-a (10.0.0.0/16), peered with B's vpc-b2.
fn account_a() -> Estate {
    let mut e = Estate::new();
    e.account(A, "eu-west-1")
        .vpc("vpc-a", &["10.0.0.0/16"])
        .group("sg-0a0a0a0a0a0a0a01", "web", "vpc-a")
        .group("sg-0a0a0a0a0a0a0a02", "db", "vpc-a")
        .eni(
            "eni-a-web",
            "vpc-a",
            &["10.0.1.10"],
            &["sg-0a0a0a0a0a0a0a01"],
        )
        .eni(
            "eni-a-db",
            "vpc-a",
            &["10.0.2.20"],
            &["sg-0a0a0a0a0a0a0a02"],
        )
        .peering("pcx-ab", "vpc-a", "vpc-b2");
    e
}

/// Account B: a copy of A's stack in vpc-b (same CIDR, same addresses, same
/// group names), and an API in vpc-b2 (10.9.0.0/16) that A's web calls.
fn account_b() -> Estate {
    let mut e = Estate::new();
    e.account(B, "eu-west-1")
        .vpc("vpc-b", &["10.0.0.0/16"])
        .vpc("vpc-b2", &["10.9.0.0/16"])
        .group("sg-0b0b0b0b0b0b0b01", "web", "vpc-b")
        .group("sg-0b0b0b0b0b0b0b02", "db", "vpc-b")
        .group("sg-0b0b0b0b0b0b0b03", "api", "vpc-b2")
        .eni(
            "eni-b-web",
            "vpc-b",
            &["10.0.1.10"],
            &["sg-0b0b0b0b0b0b0b01"],
        )
        .eni(
            "eni-b-db",
            "vpc-b",
            &["10.0.2.20"],
            &["sg-0b0b0b0b0b0b0b02"],
        )
        .eni(
            "eni-b-api",
            "vpc-b2",
            &["10.9.0.5"],
            &["sg-0b0b0b0b0b0b0b03"],
        )
        .peering("pcx-ab", "vpc-a", "vpc-b2");
    e
}

/// The v5 records of a TCP connection at the given interfaces, each copy
/// with its own interface's account and VPC.
fn records(
    client: (Option<(&str, &str, &str)>, &str),
    server: (Option<(&str, &str, &str)>, &str),
    port: u16,
) -> Vec<String> {
    let place = |eni: &str| {
        [client.0, server.0]
            .into_iter()
            .flatten()
            .find(|(e, _, _)| *e == eni)
            .map(|(_, acct, vpc)| (acct, vpc))
            .expect("an interface of the connection")
    };
    connection(
        (client.0.map(|c| c.0), client.1, 40000),
        (server.0.map(|s| s.0), server.1, port),
        MONDAY,
        true,
    )
    .into_iter()
    .map(|r| {
        let (acct, vpc) = place(&r.eni);
        r.directed()
            .account(acct)
            .vpc(vpc)
            .counts(10, 1000)
            .render(V5)
    })
    .collect()
}

/// The estate's logs: both stacks' web → db, A's web → B's API across the
/// peering (logged by both accounts), and C's copy of the stack.
fn logs(dir: &Path) -> PathBuf {
    let mut lines = vec![V5.to_string()];
    for (acct, vpc, web, db) in [
        (A, "vpc-a", "eni-a-web", "eni-a-db"),
        (B, "vpc-b", "eni-b-web", "eni-b-db"),
    ] {
        lines.extend(records(
            (Some((web, acct, vpc)), "10.0.1.10"),
            (Some((db, acct, vpc)), "10.0.2.20"),
            5432,
        ));
    }
    lines.extend(records(
        (Some(("eni-a-web", A, "vpc-a")), "10.0.1.10"),
        (Some(("eni-b-api", B, "vpc-b2")), "10.9.0.5"),
        443,
    ));
    // C's records name the same addresses as A's and B's stacks.
    lines.extend(records(
        (Some(("eni-c-web", C, "vpc-c")), "10.0.1.10"),
        (None, "10.0.2.20"),
        5432,
    ));
    let path = dir.join("flows.log");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// `sgpair infer` over the logs with these inventories; `extra` flags.
fn infer(dir: &Path, inventories: &[&Path], extra: &[&str]) -> Run {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = sgpair(["infer", "--json", "-q"])
        .cwd(dir)
        .arg("--logs")
        .arg(dir.join("flows.log"))
        .args(["--since", "7d", "--until", UNTIL])
        .arg("--out")
        .arg(out.path().join("rules.auto.tfvars"))
        .arg("--report")
        .arg(out.path().join("report.md"));
    for i in inventories {
        cmd = cmd.arg("--inventory").arg(i);
    }
    let r = cmd.args(extra).run_with(out);
    r.ok();
    r
}

struct Setup {
    dir: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    account_a().write(&a);
    account_b().write(&b);
    logs(dir.path());
    Setup { dir, a, b }
}

/// The JSON report's accounts whose records were read: (account, covered
/// by an inventory, records).
pub(crate) fn accounts_seen(json: &Json) -> Vec<(String, bool, u64)> {
    json["attribution"]["accounts"]
        .as_array()
        .expect("attribution.accounts")
        .iter()
        .map(|a: &Json| {
            (
                a["account"].as_str().unwrap().to_string(),
                a["covered"].as_bool().unwrap(),
                a["records"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn rule(s: &str, t: &str, p: i64) -> (String, String, i64) {
    (s.into(), t.into(), p)
}

#[test]
fn each_account_gets_its_own_file_byte_identical_to_a_run_on_that_account_alone() {
    let s = setup();
    let out_dir = s.dir.path().join("out");
    let estate = infer(
        s.dir.path(),
        &[&s.a, &s.b],
        &["--out-dir", out_dir.to_str().unwrap()],
    );
    // Two stacks of one address plan never meet: each stack's own rule.
    assert_eq!(
        estate.proposed(),
        vec![
            rule("sg-0a0a0a0a0a0a0a01", "sg-0a0a0a0a0a0a0a02", 5432),
            rule("sg-0b0b0b0b0b0b0b01", "sg-0b0b0b0b0b0b0b02", 5432),
        ]
    );
    assert!(
        !estate.path("rules.auto.tfvars").exists(),
        "--out-dir replaces --out"
    );
    for (account, inventory) in [(A, &s.a), (B, &s.b)] {
        let alone = infer(s.dir.path(), &[inventory], &[]);
        let mine = std::fs::read_to_string(out_dir.join(account).join("rules.auto.tfvars"))
            .unwrap_or_else(|e| panic!("{account}'s file: {e}\n{}", estate.stderr));
        assert_eq!(
            mine,
            alone.tfvars(),
            "account {account}: the estate's file and the run on its inventory alone"
        );
        assert_eq!(v2_rules(&mine).len(), 1, "{mine}");
    }
    let folders: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        folders,
        vec![A, B],
        "one folder per covered account, none for C"
    );
}

/// A covered account whose logs did not come (a broken delivery) would get
/// `rules = {}` in its folder: the run fails, names it, and writes no
/// folder; `--allow-empty` writes its empty proposal on purpose.
#[test]
fn a_covered_account_without_evidence_fails_the_run_per_account() {
    let s = setup();
    // Only A's stack logged.
    let mut lines = vec![V5.to_string()];
    lines.extend(records(
        (Some(("eni-a-web", A, "vpc-a")), "10.0.1.10"),
        (Some(("eni-a-db", A, "vpc-a")), "10.0.2.20"),
        5432,
    ));
    std::fs::write(s.dir.path().join("a-only.log"), lines.join("\n") + "\n").unwrap();
    let out_dir = s.dir.path().join("out");
    let run = |extra: &[&str]| {
        sgpair(["infer", "-q", "--logs", "a-only.log"])
            .cwd(s.dir.path())
            .args(["--since", "7d", "--until", UNTIL])
            .arg("--inventory")
            .arg(&s.a)
            .arg("--inventory")
            .arg(&s.b)
            .arg("--out-dir")
            .arg(&out_dir)
            .args(["--report", "report.md"])
            .args(extra)
            .run()
    };
    let refused = run(&[]);
    refused.exits(1);
    assert!(
        refused.stderr.contains(&format!(
            "no evidence for account {B}: not one accepted record of its interfaces in the window"
        )) && refused
            .stderr
            .contains("--allow-empty writes its empty proposal anyway"),
        "{}",
        refused.stderr
    );
    assert!(!out_dir.exists(), "no folder written");

    run(&["--allow-empty"]).ok();
    let b = std::fs::read_to_string(out_dir.join(B).join("rules.auto.tfvars")).unwrap();
    assert!(v2_rules(&b).is_empty(), "{b}");
    let a = std::fs::read_to_string(out_dir.join(A).join("rules.auto.tfvars")).unwrap();
    assert_eq!(v2_rules(&a).len(), 1, "{a}");
}

#[test]
fn a_rule_across_two_accounts_is_in_no_file_and_the_report_names_each_half() {
    let s = setup();
    let estate = infer(s.dir.path(), &[&s.a, &s.b], &[]);
    let across = estate.json()["cross_account"]
        .as_array()
        .expect("cross_account in the JSON report")
        .clone();
    assert_eq!(across.len(), 1, "{across:?}");
    let x = &across[0];
    assert_eq!(x["source_account"], A);
    assert_eq!(x["target_account"], B);
    assert_eq!(x["rule"]["source_sg"], "sg-0a0a0a0a0a0a0a01");
    assert_eq!(x["rule"]["target_sg"], "sg-0b0b0b0b0b0b0b03");
    assert_eq!(x["rule"]["from_port"], 443);
    assert!(
        !estate.tfvars().contains("sg-0b0b0b0b0b0b0b03"),
        "{}",
        estate.tfvars()
    );
    let report = estate.report();
    assert!(report.contains("## Accounts"), "{report}");
    assert!(report.contains("### Rules across accounts"), "{report}");
    assert!(
        report.contains(&format!(
            "`{A}`: egress on sg-0a0a0a0a0a0a0a01 to {B}/sg-0b0b0b0b0b0b0b03"
        )),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "`{B}`: ingress on sg-0b0b0b0b0b0b0b03 from {A}/sg-0a0a0a0a0a0a0a01"
        )),
        "{report}"
    );
    assert!(report.contains(&format!("### Account {A}")), "{report}");
    assert!(report.contains(&format!("### Account {B}")), "{report}");
}

#[test]
fn records_of_an_account_without_an_inventory_are_counted_and_never_resolved() {
    let s = setup();
    let estate = infer(s.dir.path(), &[&s.a, &s.b], &[]);
    let accounts = accounts_seen(estate.json());
    // A: 4 (web → db) + 2 (its copy of the call to B); B: 4 + 2; C: its 2.
    assert_eq!(
        accounts,
        vec![
            (A.to_string(), true, 6),
            (B.to_string(), true, 6),
            (C.to_string(), false, 2),
        ]
    );
    let absent = estate.absent();
    assert_eq!(
        absent,
        vec![("eni-c-web".to_string(), "other-account".to_string())]
    );
    // C's 10.0.2.20 is neither A's nor B's database.
    let db_clients: Vec<&Json> = estate.json()["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["evidence"]["client_enis"].as_array().unwrap())
        .collect();
    assert!(
        db_clients.iter().all(|e| *e != "eni-c-web"),
        "{db_clients:?}"
    );
    let report = estate.report();
    assert!(
        report.contains(&format!("`{C}` (2 records)")),
        "the report names the account without an inventory:\n{report}"
    );
}

#[test]
fn one_account_and_region_given_twice_is_an_error_naming_both_files() {
    let s = setup();
    let copy = s.dir.path().join("a-again.json");
    std::fs::copy(&s.a, &copy).unwrap();
    let r = sgpair(["infer", "-q"])
        .cwd(s.dir.path())
        .arg("--logs")
        .arg(s.dir.path().join("flows.log"))
        .arg("--inventory")
        .arg(&s.a)
        .arg("--inventory")
        .arg(&copy)
        .args(["--since", "7d", "--until", UNTIL])
        .run_with(tempfile::tempdir().unwrap());
    r.exits(1);
    assert!(
        r.stderr.contains("a-again.json") && r.stderr.contains("a.json"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("account {A} in region eu-west-1")),
        "{}",
        r.stderr
    );
}

#[test]
fn one_covered_account_is_counted_in_the_singular() {
    // A's inventory alone: B's and C's records are of accounts it does not
    // cover, so the Accounts section is there, for one covered account.
    let s = setup();
    let run = infer(s.dir.path(), &[&s.a], &[]);
    let report = run.report();
    assert!(
        report.contains("The inventory covers 1 account. The module"),
        "{report}"
    );
}
