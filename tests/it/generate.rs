//! `sgpair generate`: synthetic flow logs whose rules are known, read back by
//! `sgpair infer` (plain and gzip), deterministic for a seed.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use crate::support::outputs::v2_rules;
use crate::support::{read, sgpair};

/// Runs `sgpair args` in `dir`, which must succeed: its stderr.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = sgpair(args).cwd(dir).run();
    out.ok();
    out.stderr.clone()
}

fn generate(dir: &Path, out: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "generate",
        "--out",
        out,
        "--records",
        "30000",
        "--enis",
        "12",
        "--seed",
        "3",
        "--inventory-out",
        "inventory.json",
    ];
    args.extend_from_slice(extra);
    ok(dir, &args)
}

/// `sgpair infer` over `logs` with the generated inventory, for the day
/// the generator writes, then `extra`.
fn infer_args<'a>(logs: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "infer",
        "--logs",
        logs,
        "--inventory",
        "inventory.json",
        "--since",
        "2026-11-24T00:00:00Z",
        "--until",
        "2026-11-25T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    args
}

fn infer(dir: &Path, logs: &str) -> (String, String) {
    let stderr = ok(dir, &infer_args(logs, &[]));
    let tfvars = read(dir.join("rules.auto.tfvars"));
    (tfvars, stderr)
}

/// The rule keys of a tfvars with each group's id tail (the last 8 hex
/// digits of its id, which keep keys apart across same-name groups) left
/// out: `app-08457338-to-db-79b952c0-tcp-5432` → `app-to-db-tcp-5432`.
fn rule_keys(tfvars: &str) -> BTreeSet<String> {
    let tail = |w: &str| w.len() == 8 && w.bytes().all(|b| b.is_ascii_hexdigit());
    v2_rules(tfvars)
        .into_iter()
        .map(|r| {
            r.key
                .split('-')
                .filter(|w| !tail(w))
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The service graph the generator draws from, as rules between its groups.
fn expected() -> BTreeSet<String> {
    let mut want: BTreeSet<String> = [
        "alb-to-web-tcp-8080",
        "web-to-app-tcp-8443",
        "app-to-db-tcp-5432",
        "app-to-cache-tcp-6379",
    ]
    .map(String::from)
    .into();
    for other in ["alb", "web", "app", "db", "cache", "bastion"] {
        want.insert(format!("monitoring-to-{other}-tcp-9100"));
        want.insert(format!("monitoring-to-{other}-icmp-all"));
        want.insert(format!("{other}-to-monitoring-udp-8125"));
    }
    for other in ["alb", "web", "app", "db", "cache", "monitoring"] {
        want.insert(format!("bastion-to-{other}-tcp-22"));
    }
    want
}

#[test]
fn generated_logs_give_the_rules_of_the_service_graph() {
    let d = tempfile::tempdir().unwrap();
    let said = generate(d.path(), "flows.log", &[]);
    assert!(said.contains("wrote flows.log: 30000 lines"), "{said}");
    let text = read(d.path().join("flows.log"));
    assert_eq!(text.lines().count(), 30000);
    assert!(text.lines().all(|l| l.split(' ').count() == 14));
    for what in [" REJECT OK", " NODATA", " SKIPDATA", " 17 ", " 1 "] {
        assert!(text.contains(what), "no {what:?} in the generated lines");
    }

    let (tfvars, stderr) = infer(d.path(), "flows.log");
    assert_eq!(rule_keys(&tfvars), expected(), "{tfvars}");
    assert!(
        stderr.contains("read 30000 records from 1 stream"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nUndecided initiator: 0 aggregates (0 records)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nodata: ") && stderr.contains("skipdata: "),
        "{stderr}"
    );
    // internet clients of the load balancers and the external API of the app servers
    let report = read(d.path().join("sgpair-report.md"));
    assert!(
        report.contains("192.0.2.") && report.contains("198.18.7."),
        "{report}"
    );
}

#[test]
fn the_same_seed_gives_the_same_bytes_plain_or_gzip() {
    let d = tempfile::tempdir().unwrap();
    generate(d.path(), "a.log", &[]);
    generate(d.path(), "b.log", &[]);
    generate(d.path(), "c.log.gz", &["--gzip"]);
    let a = std::fs::read(d.path().join("a.log")).unwrap();
    assert_eq!(a, std::fs::read(d.path().join("b.log")).unwrap());
    let gz = std::fs::read(d.path().join("c.log.gz")).unwrap();
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    let mut plain = Vec::new();
    flate2::read::MultiGzDecoder::new(&gz[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, a);
    let (from_plain, _) = infer(d.path(), "a.log");
    let (from_gzip, _) = infer(d.path(), "c.log.gz");
    assert_eq!(from_plain, from_gzip);
}

#[test]
fn with_a_header_no_format_is_assumed() {
    let d = tempfile::tempdir().unwrap();
    generate(d.path(), "h.log", &["--header"]);
    let text = read(d.path().join("h.log"));
    assert!(text.starts_with("version account-id interface-id srcaddr"));
    let (tfvars, stderr) = infer(d.path(), "h.log");
    assert!(!stderr.contains("was assumed"), "{stderr}");
    assert_eq!(rule_keys(&tfvars), expected());
}

/// Resolution runs on `--threads` threads: with enough copies to split
/// (416 interfaces, about 13,000 aggregates), one thread and three write
/// the same rules and the same reports.
#[test]
fn one_thread_and_three_resolve_alike() {
    let d = tempfile::tempdir().unwrap();
    ok(
        d.path(),
        &[
            "generate",
            "--out",
            "flows.log",
            "--records",
            "60000",
            "--enis",
            "416",
            "--seed",
            "3",
            "--inventory-out",
            "inventory.json",
        ],
    );
    let run = |threads: &str| {
        let (out, report) = (
            format!("rules-{threads}.tfvars"),
            format!("report-{threads}.md"),
        );
        let run = sgpair(infer_args(
            "flows.log",
            &[
                "--threads",
                threads,
                "--json",
                "--out",
                &out,
                "--report",
                &report,
            ],
        ))
        .cwd(d.path())
        .run();
        run.ok();
        assert!(run.stderr.contains("in 13039 aggregates"), "{}", run.stderr);
        (
            read(d.path().join(&out)),
            read(d.path().join(&report)),
            run.stdout.clone(),
        )
    };
    let (one, three) = (run("1"), run("3"));
    assert!(one.0.contains("rules = {"), "{}", one.0);
    assert_eq!(one.0, three.0, "the rules");
    assert_eq!(
        one.1.replace("rules-1.tfvars", "rules-3.tfvars"),
        three.1,
        "the report"
    );
    assert!(one.2.starts_with('{'), "{}", one.2);
    assert_eq!(
        one.2.replace("rules-1.tfvars", "rules-3.tfvars"),
        three.2,
        "the JSON report"
    );
}

/// `--start` reads RFC 3339 as `infer` does (an offset, lowercase
/// letters); a period that would end past the year 9999 is refused before
/// anything is written, and no file, whole or half, is left.
#[test]
fn a_period_no_flow_log_can_hold_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = sgpair([
        "generate",
        "--out",
        "g.log",
        "--records",
        "10",
        "--hours",
        "999999999",
    ])
    .cwd(dir.path())
    .run();
    out.exits(1);
    assert!(
        out.stderr
            .contains("the records would end after the year 9999"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    ok(
        dir.path(),
        &[
            "generate",
            "--out",
            "g.log",
            "--records",
            "10",
            "--start",
            "2026-11-24t01:00:00+01:00",
            "--hours",
            "1",
        ],
    );
    let text = read(dir.path().join("g.log"));
    // 00:00 UTC: 1795478400, the first interval's start.
    assert!(
        text.lines().all(|l| {
            let start: i64 = l.split(' ').nth(10).unwrap().parse().unwrap();
            (1_795_478_400..1_795_478_400 + 3600).contains(&start)
        }),
        "{text}"
    );
}
