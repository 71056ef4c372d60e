//! The pushed-down aggregation (`--athena`) against the local engine, offline:
//! the generated Athena SQL is parsed as Athena's dialect by sqlglot (every
//! function on an allow-list), transpiled to DuckDB and run over the same
//! records the local engine reads (the sample, fixtures, generated logs; with
//! and without tcp-flags; lines shuffled). The rows, folded into an
//! aggregator, must give exactly the local evidence, row by row; and a run
//! from the rows must write byte-identical tfvars.
//!
//! Needs scripts/pushdown-duckdb.py's Python (sqlglot, duckdb): scripts/test
//! installs it (`tools_sql` in scripts/test-tools.sh); without it these
//! tests fail and say so.

use std::path::{Path, PathBuf};
use std::process::Command;

use sgpair::aggregate::{Aggregator, Evidence};
use sgpair::parse::Format;
use sgpair::pipeline::{ReadOptions, read_files};
use sgpair::pushdown::{self, sql};
use sgpair::stats::Stats;
use sgpair::window::Window;

use crate::support::{UNTIL, repo, sgpair};

/// The Python with sqlglot and duckdb (scripts/test-tools.sh, `tools_sql`).
fn python() -> PathBuf {
    let tools = std::env::var_os("SGPAIR_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/sgpair-tools")
        });
    let py = tools.join("sql-venv/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/test (it installs sqlglot and duckdb into that virtual \
         environment), or `. scripts/test-tools.sh; tools_sql`",
        py.display()
    );
    py
}

/// One data set: its files, the window, a shuffle seed and columns left out.
struct Case<'a> {
    logs: Vec<PathBuf>,
    window: Window,
    shuffle: Option<u64>,
    drop: &'a [&'a str],
}

struct Outcome {
    local: Evidence,
    pushed: Evidence,
    /// What the local read counted, and what a run counts from the rows.
    local_stats: Stats,
    pushed_stats: Stats,
    /// The combined flow-log file both read, and the result CSVs.
    logs: PathBuf,
    results: Vec<PathBuf>,
    _dir: tempfile::TempDir,
}

fn script(case: &Case, dir: &Path) -> Command {
    let mut c = Command::new(python());
    c.arg(repo().join("scripts/pushdown-duckdb.py"))
        .arg("--logs");
    c.args(&case.logs);
    if let Some(s) = case.shuffle {
        c.arg("--shuffle").arg(s.to_string());
    }
    for d in case.drop {
        c.arg("--drop").arg(d);
    }
    c.arg("--write-logs").arg(dir.join("combined.log"));
    c
}

fn run_script(mut c: Command) {
    let out = c.output().expect("python runs");
    assert!(
        out.status.success(),
        "scripts/pushdown-duckdb.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run_case(case: &Case) -> Outcome {
    run_case_on(case, &[], |_| {})
}

/// `run_case` with more arguments to the script (the table's partition
/// columns) and the table changed by `table` (the filters asked for).
fn run_case_on(case: &Case, args: &[&str], table: impl Fn(&mut sql::Table)) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    run_script(script(case, dir.path()));
    let logs = dir.path().join("combined.log");
    let header = std::fs::read_to_string(&logs).unwrap();
    let header = header.lines().next().unwrap();
    let format = Format::from_names(header).expect("a header line");
    let mut t = sql::Table::new(
        sql::quote_name("flow_logs").unwrap(),
        format.columns.iter().flatten().copied().collect(),
        sql::Partition::Day("day".into()),
    );
    table(&mut t);
    let table = t;
    let mut c = script(case, dir.path());
    c.args(args);
    c.arg("--functions").arg(sql::FUNCTIONS.join(","));
    let mut results = Vec::new();
    for (name, q) in [
        (
            "connections",
            sql::connections(&table, &case.window).unwrap(),
        ),
        ("timeline", sql::timeline(&table, &case.window).unwrap()),
    ] {
        let (s, p, o) = (
            dir.path().join(format!("{name}.sql")),
            dir.path().join(format!("{name}.json")),
            dir.path().join(format!("{name}.csv")),
        );
        std::fs::write(&s, &q.sql).unwrap();
        std::fs::write(&p, serde_json::to_string(&q.params).unwrap()).unwrap();
        c.arg("--query").arg(&s).arg(&p).arg(&o);
        results.push(o);
    }
    run_script(c);

    let (mut agg, mut pushed_stats) = (Aggregator::new(), Stats::default());
    for r in &results {
        let f = std::io::BufReader::new(std::fs::File::open(r).unwrap());
        pushdown::read_csv(f, &r.display().to_string(), &mut agg)
            .unwrap()
            .count(&mut pushed_stats);
    }
    let pushed = agg.finish();
    let (local, local_stats) = read_files(
        std::slice::from_ref(&logs),
        &ReadOptions::new(case.window),
        true,
        Some(1),
    )
    .unwrap();
    Outcome {
        local: local.finish(),
        pushed,
        local_stats,
        pushed_stats,
        logs,
        results,
        _dir: dir,
    }
}

/// Row by row: connections (with their accounts), undecided traffic, the
/// address timeline, services, gaps, rejected traffic.
/// 40,000 generated records of 240 interfaces (more than 1,000 result
/// rows) and their inventory, in a folder that lives as long as the result.
#[cfg(feature = "aws")]
fn generated_large() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (file, inv) = (dir.path().join("g.log"), dir.path().join("inv.json"));
    sgpair(["generate", "--records", "40000", "--enis", "240", "--out"])
        .arg(&file)
        .arg("--inventory-out")
        .arg(&inv)
        .run()
        .ok();
    (dir, file, inv)
}

/// `sgpair infer` over November 2026 with the inventory `inv` and the
/// sources `src`, through `endpoint`, in `dir`: its tfvars and what it said.
#[cfg(feature = "aws")]
fn infer_november(endpoint: &str, dir: &Path, inv: &Path, src: &[&str]) -> (String, String) {
    let mut args = vec![
        "infer",
        "--since",
        "2026-11-01T00:00:00Z",
        "--until",
        "2026-12-01T00:00:00Z",
        "--inventory",
        inv.to_str().unwrap(),
    ];
    args.extend_from_slice(src);
    let out = crate::support::aws_env::sgpair_at(endpoint, dir, &args, &[]);
    out.ok();
    (
        std::fs::read_to_string(dir.join("rules.auto.tfvars")).unwrap(),
        out.stderr,
    )
}

fn assert_same(o: &Outcome, what: &str) {
    let (l, p) = (&o.local, &o.pushed);
    assert!(
        !l.connections.is_empty(),
        "{what}: the data set has connections"
    );
    let show = |e: &Evidence, i: usize| {
        e.connections.get(i).map(|c| {
            format!(
                "{} account {:?}",
                serde_json::to_string(c).unwrap(),
                c.account
            )
        })
    };
    for i in 0..l.connections.len().max(p.connections.len()) {
        assert_eq!(show(l, i), show(p, i), "{what}: connection {i}");
    }
    let json = |v: &dyn erased::Ser| v.json();
    assert_eq!(json(&l.undecided), json(&p.undecided), "{what}: undecided");
    assert_eq!(json(&l.held), json(&p.held), "{what}: held addresses");
    assert_eq!(
        json(&l.aws_services),
        json(&p.aws_services),
        "{what}: services"
    );
    assert_eq!(json(&l.gaps), json(&p.gaps), "{what}: gaps");
    for i in 0..l.rejected.len().max(p.rejected.len()) {
        assert_eq!(
            l.rejected.get(i).map(|r| json(r)),
            p.rejected.get(i).map(|r| json(r)),
            "{what}: rejected {i}"
        );
    }
    assert_eq!(
        counts(&o.local_stats),
        counts(&o.pushed_stats),
        "{what}: records used, rejected, NODATA and SKIPDATA"
    );
}

/// What the rows count as a local read does: the window's records used,
/// rejected, NODATA and SKIPDATA. (Malformed lines and records outside the
/// window never reach a query.)
fn counts(s: &Stats) -> [u64; 4] {
    let skipped = |reason: &str| s.skipped.get(reason).copied().unwrap_or(0);
    [s.used, s.rejected, skipped("nodata"), skipped("skipdata")]
}

mod erased {
    pub trait Ser {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> String {
            serde_json::to_string_pretty(self).unwrap()
        }
    }
}

fn sample_logs() -> Vec<PathBuf> {
    vec![repo().join("sample-logs/flow-logs")]
        .into_iter()
        .flat_map(|p| walk(&p))
        .collect()
}

fn walk(p: &Path) -> Vec<PathBuf> {
    if p.is_file() {
        return vec![p.to_path_buf()];
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .unwrap()
        .flat_map(|e| walk(&e.unwrap().path()))
        .collect();
    v.sort();
    v
}

fn sample_window() -> Window {
    Window::parse("7d", Some(UNTIL), std::time::SystemTime::now()).unwrap()
}

#[test]
fn the_sample_with_tcp_flags_gives_the_local_evidence() {
    let o = run_case(&Case {
        logs: sample_logs(),
        window: sample_window(),
        shuffle: Some(7),
        drop: &[],
    });
    assert!(
        o.local
            .connections
            .iter()
            .any(|c| c.method == sgpair::aggregate::Method::TcpFlags),
        "the sample has flags"
    );
    assert!(
        !o.local.rejected.is_empty(),
        "the sample has REJECT records"
    );
    assert_same(&o, "sample with tcp-flags");
}

#[test]
fn the_sample_without_tcp_flags_gives_the_local_evidence() {
    for seed in [1, 2] {
        let o = run_case(&Case {
            logs: sample_logs(),
            window: sample_window(),
            shuffle: Some(seed),
            drop: &["tcp_flags"],
        });
        assert!(
            o.local
                .connections
                .iter()
                .any(|c| c.method == sgpair::aggregate::Method::FanIn),
            "fan-in decides some connections without flags"
        );
        assert_same(&o, &format!("sample without tcp-flags, shuffle {seed}"));
    }
}

#[test]
fn a_window_that_cuts_the_records_gives_the_local_evidence() {
    let o = run_case(&Case {
        logs: sample_logs(),
        window: Window::parse(
            "2d",
            Some("2026-11-23T12:00:00Z"),
            std::time::SystemTime::now(),
        )
        .unwrap(),
        shuffle: None,
        drop: &["tcp_flags", "flow_direction"],
    });
    assert_same(&o, "half the sample, without flags or directions");
}

#[test]
fn the_third_party_fixtures_give_the_local_evidence() {
    let dir = repo().join("tests/fixtures/third-party");
    let o = run_case(&Case {
        logs: vec![
            dir.join("vpc-flow-log.sample"),
            dir.join("vpcflowlog.log.gz"),
        ],
        window: Window::ALL,
        shuffle: Some(3),
        drop: &[],
    });
    assert_same(&o, "third-party fixtures");
}

#[test]
fn generated_logs_give_the_local_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("generated.log");
    sgpair(["generate", "--records", "20000", "--out"])
        .arg(&file)
        .run()
        .ok();
    let o = run_case(&Case {
        logs: vec![file],
        window: Window::ALL,
        shuffle: Some(11),
        drop: &["tcp_flags"],
    });
    assert!(
        !o.local.rejected.is_empty(),
        "generated logs have REJECT records"
    );
    assert_same(&o, "generated, without flags");
}

/// A record whose end lies more than `window::MAX_INTERVAL` (an hour) after
/// its start is a bad time to the parser; the SQL leaves it out alike. Here
/// one with an end in the year 5138, beside one of exactly an hour (kept)
/// and one of an hour and a second (left out), of a connection of its own.
#[test]
fn records_longer_than_a_capture_interval_are_left_out_as_locally() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("odd.log");
    let t = 1_794_959_540i64;
    let at = |dport: u16, end: i64| {
        format!(
            "2 123456789012 eni-05bfd15c7d9ac1e2b 10.20.10.13 10.20.20.21 41890 {dport} 6 3 921 \
             {t} {end} ACCEPT OK"
        )
    };
    std::fs::write(
        &odd,
        [
            at(3306, 99_999_999_999),
            at(3307, t + sgpair::window::MAX_INTERVAL),
            at(3308, t + sgpair::window::MAX_INTERVAL + 1),
        ]
        .join("\n")
            + "\n",
    )
    .unwrap();
    let o = run_case(&Case {
        logs: vec![
            repo().join("sample-logs/flow-logs/cloudwatch/eni-05bfd15c7d9ac1e2b-all.log"),
            odd,
        ],
        window: Window::ALL,
        shuffle: Some(5),
        drop: &[],
    });
    let ports: Vec<u16> = o.local.connections.iter().map(|c| c.port).collect();
    assert!(
        ports.contains(&3307),
        "an hour is a capture interval: {ports:?}"
    );
    assert!(
        !ports.contains(&3306) && !ports.contains(&3308),
        "longer is not: {ports:?}"
    );
    assert_same(&o, "records longer than a capture interval");
}

/// A rejected ICMP record's service is its type, as the local reducer reads
/// it (the source-port field; every type where both ports are 0), never
/// its code: the SQL's rejected rows name it alike.
#[test]
fn rejected_icmp_is_grouped_by_its_type_as_locally() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("icmp.log");
    let t = 1_794_959_540i64;
    let line = |src: &str, dst: &str, sp: u16, dp: u16, proto: u8, action: &str| {
        format!(
            "2 123456789012 eni-05bfd15c7d9ac1e2b {src} {dst} {sp} {dp} {proto} 1 84 {t} {} \
             {action} OK",
            t + 60
        )
    };
    std::fs::write(
        &log,
        [
            line("10.20.10.13", "10.20.20.21", 41890, 5432, 6, "ACCEPT"),
            line("203.0.113.12", "10.20.10.13", 0, 0, 1, "ACCEPT"),
            line("10.20.10.13", "203.0.113.12", 0, 0, 1, "REJECT"),
            line("198.51.100.7", "10.20.10.13", 8, 0, 1, "REJECT"),
            line("198.51.100.8", "10.20.10.13", 8, 0, 1, "REJECT"),
            line("198.51.100.9", "10.20.10.13", 3, 3, 1, "REJECT"),
        ]
        .join("\n")
            + "\n",
    )
    .unwrap();
    let o = run_case(&Case {
        logs: vec![log],
        window: Window::ALL,
        shuffle: Some(2),
        drop: &[],
    });
    let services: Vec<(String, u16, u64)> = o
        .local
        .rejected
        .iter()
        .map(|r| (r.dst.to_string(), r.dstport, r.records))
        .collect();
    assert_eq!(
        services,
        [
            ("10.20.10.13".to_string(), 8, 2),
            ("10.20.10.13".to_string(), 3, 1),
            ("203.0.113.12".to_string(), sgpair::reduce::ICMP_ANY, 1),
        ]
    );
    assert_same(&o, "rejected ICMP");
}

/// NODATA and SKIPDATA records count as a local read counts them: in the
/// window as skipped `nodata` and `skipdata`, outside it as outside the
/// window whatever their status (which the query never sees, as it never
/// sees an OK record there), so the local counts add up to the records
/// read. Without a log-status column, a record without addresses or action
/// is an idle interval to both.
#[test]
fn nodata_and_skipdata_are_counted_in_the_window_only_as_locally() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("status.log");
    let t = 1_794_959_540i64;
    let window = Window {
        since: t,
        until: t + 3_600,
    };
    let header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol \
                  packets bytes start end action log-status";
    let ok = |start: i64| {
        format!(
            "2 123456789012 eni-05bfd15c7d9ac1e2b 10.20.10.13 10.20.20.21 41890 5432 6 3 921 \
             {start} {} ACCEPT OK",
            start + 60
        )
    };
    let idle = |eni: &str, start: i64, status: &str| {
        format!(
            "2 123456789012 {eni} - - - - - - - {start} {} - {status}",
            start + 60
        )
    };
    let (a, b) = ("eni-05bfd15c7d9ac1e2b", "eni-0a1b2c3d4e5f60718");
    std::fs::write(
        &log,
        [
            header.to_string(),
            ok(t + 60),
            ok(t - 600),
            idle(a, t + 120, "NODATA"),
            idle(b, t + 600, "NODATA"),
            idle(a, t - 600, "NODATA"),
            idle(b, t + 3_600, "NODATA"),
            idle(b, t + 900, "SKIPDATA"),
            idle(a, t - 1_200, "SKIPDATA"),
        ]
        .join("\n")
            + "\n",
    )
    .unwrap();
    for (drop, nodata, skipdata) in [(&[][..], 2, 1), (&["log_status"][..], 3, 0)] {
        let o = run_case(&Case {
            logs: vec![log.clone()],
            window,
            shuffle: Some(6),
            drop,
        });
        let s = &o.local_stats;
        let skipped = |reason: &str| s.skipped.get(reason).copied();
        assert_eq!(
            (
                skipped("nodata"),
                skipped("skipdata"),
                skipped("outside the window")
            ),
            (Some(nodata), (skipdata > 0).then_some(skipdata), Some(4)),
            "without {drop:?}: {:?}",
            s.skipped
        );
        assert_eq!(
            s.records,
            s.used + s.rejected + s.skipped.values().sum::<u64>(),
            "without {drop:?}: the local counts add up"
        );
        assert_same(&o, &format!("NODATA and SKIPDATA without {drop:?}"));
    }
}

/// `--account` and `--log-region` on a table of two accounts' logs
/// delivered in two regions (the sample: 123456789012 in us-east-1; a
/// third-party file: 063605715280 in eu-west-1): filtered on the partition
/// columns (AWS's Hive names), or on the records' account_id column where
/// the table has no such partition, the rows are exactly the local evidence
/// of the one account's or region's logs alone.
#[test]
fn accounts_and_regions_read_only_their_own_records() {
    let fixture = repo().join("tests/fixtures/third-party/vpc-flow-log.sample");
    let case = |logs: Vec<PathBuf>| Case {
        logs,
        window: Window::ALL,
        shuffle: Some(4),
        drop: &[],
    };
    let sample_alone = run_case(&case(sample_logs()));
    let fixture_alone = run_case(&case(vec![fixture.clone()]));
    let mut both = sample_logs();
    both.push(fixture.clone());
    let parts = [
        "--partition-columns",
        "aws-account-id",
        "aws-region",
        "--file-region",
        fixture.to_str().unwrap(),
        "eu-west-1",
    ];
    let on_partitions = |accounts: &[&str], regions: &[&str]| {
        run_case_on(&case(both.clone()), &parts, |t| {
            t.account_column = Some("\"aws-account-id\"".into());
            t.region_column = Some("\"aws-region\"".into());
            t.accounts = accounts.iter().map(|a| a.to_string()).collect();
            t.regions = regions.iter().map(|r| r.to_string()).collect();
        })
    };
    let against = |alone: &Outcome, o: Outcome, what: &str| {
        let o = Outcome {
            local: alone.local.clone(),
            local_stats: alone.local_stats.clone(),
            ..o
        };
        assert_same(&o, what);
    };
    against(
        &sample_alone,
        on_partitions(&["123456789012"], &["us-east-1"]),
        "the sample's account and region partitions",
    );
    against(
        &fixture_alone,
        on_partitions(&[], &["eu-west-1"]),
        "the fixture's region partition",
    );
    // No account partition: the records' account_id column.
    let on_column = run_case_on(&case(both.clone()), &[], |t| {
        t.accounts = vec!["063605715280".into()];
    });
    against(&fixture_alone, on_column, "the fixture's account_id column");
    // Both accounts together: everything, as read without a filter.
    let all = run_case(&case(both.clone()));
    against(
        &all,
        on_partitions(&["123456789012", "063605715280"], &[]),
        "both accounts",
    );
}

#[test]
fn rows_give_byte_identical_tfvars_to_the_logs() {
    for drop in [&[][..], &["tcp_flags"][..]] {
        let o = run_case(&Case {
            logs: sample_logs(),
            window: sample_window(),
            shuffle: Some(5),
            drop,
        });
        let dir = tempfile::tempdir().unwrap();
        let inv = repo().join("sample-logs/inventory.json");
        let run = |src: &[&std::ffi::OsStr], name: &str| {
            let out_file = dir.path().join(format!("{name}.tfvars"));
            sgpair([
                "infer",
                "--since",
                "7d",
                "--until",
                UNTIL,
                "-q",
                "--inventory",
            ])
            .arg(&inv)
            .args(src)
            .arg("--out")
            .arg(&out_file)
            .arg("--report")
            .arg(dir.path().join(format!("{name}.md")))
            .run()
            .ok();
            let report = std::fs::read_to_string(dir.path().join(format!("{name}.md"))).unwrap();
            (std::fs::read(out_file).unwrap(), rejected_section(&report))
        };
        let from_logs = run(&["--logs".as_ref(), o.logs.as_os_str()], "logs");
        let mut args: Vec<&std::ffi::OsStr> = Vec::new();
        for r in &o.results {
            args.push("--athena-results".as_ref());
            args.push(r.as_os_str());
        }
        let (from_rows, rejected_rows) = run(&args, "rows");
        let (from_logs, rejected_logs) = from_logs;
        assert!(!from_logs.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&from_logs),
            String::from_utf8_lossy(&from_rows),
            "tfvars from rows (dropped {drop:?})"
        );
        assert!(
            rejected_logs
                .lines()
                .filter(|l| l.starts_with("| "))
                .count()
                > 2,
            "the logs' report lists rejected traffic:\n{rejected_logs}"
        );
        assert_eq!(
            rejected_logs, rejected_rows,
            "the report's rejected traffic from rows (dropped {drop:?})"
        );
    }
}

/// The report's rejected-traffic section, its heading to the next one.
fn rejected_section(report: &str) -> String {
    let start = report
        .find("## Rejected traffic")
        .unwrap_or_else(|| panic!("the report has a rejected-traffic section:\n{report}"));
    let rest = &report[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    rest[..end].to_string()
}

/// `--athena` against moto server: its Athena does not run SQL, so each
/// query's result (the DuckDB rows above, a header row first, as Athena
/// gives it) is queued through `/moto-api/static/athena/query-results`;
/// moto also writes it as CSV to the output location.
/// `sgpair infer` against the emulator (or a proxy) at `endpoint`, in
/// `dir`, over the sample's week with its inventory, from `src`.
#[cfg(feature = "aws")]
fn infer_sample_at(endpoint: &str, dir: &Path, src: &[&str]) -> crate::support::Out {
    let inv = repo().join("sample-logs/inventory.json");
    let mut args = vec![
        "infer",
        "--since",
        "7d",
        "--until",
        UNTIL,
        "--inventory",
        inv.to_str().unwrap(),
    ];
    args.extend_from_slice(src);
    crate::support::aws_env::sgpair_at(endpoint, dir, &args, &[])
}

#[cfg(feature = "aws")]
mod against_moto {
    use std::io::{Read, Write};

    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::support::aws_env::{Moto, new_bucket};
    use crate::support::fault_proxy::{Action, FaultProxy, Reply, Request, Rule};
    use serde_json::{Value, json};
    use sgpair::pushdown::csv::CsvReader;

    /// A result CSV as Athena's rows (`Data`, `VarCharValue`; NULL: none).
    pub(super) fn athena_rows(path: &Path) -> Vec<Value> {
        let mut r = CsvReader::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut rows = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            let data: Vec<Value> = rec
                .into_iter()
                .map(|v| match v {
                    Some(v) => json!({ "VarCharValue": v }),
                    None => json!({}),
                })
                .collect();
            rows.push(json!({ "Data": data }));
        }
        rows
    }

    /// Queues `csvs` (header first) as the next executions' results.
    pub(super) fn queue_results(moto: &Moto, csvs: &[PathBuf]) -> usize {
        let mut results = Vec::new();
        let mut most = 0;
        for path in csvs {
            let rows = athena_rows(path);
            most = most.max(rows.len());
            results.push(serde_json::json!({ "rows": rows, "column_info": [] }));
        }
        let body = serde_json::json!({ "results": results }).to_string();
        let addr = moto.endpoint.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "POST /moto-api/static/athena/query-results HTTP/1.1\r\nHost: {addr}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 201"),
            "moto refused the results: {answer}"
        );
        most
    }

    /// The table Athena's catalog holds in these tests: `default.flow_logs`
    /// partitioned by these keys (all strings); `None`: no such table.
    pub(super) type Catalog = Arc<Mutex<Option<Vec<String>>>>;

    pub(super) fn catalog(keys: &[&str]) -> Catalog {
        Arc::new(Mutex::new(Some(
            keys.iter().map(|k| k.to_string()).collect(),
        )))
    }

    /// A rule that answers Athena's GetTableMetadata from `catalog` (moto
    /// lacks the call) as Athena does: the table's metadata, or
    /// MetadataException for a table the catalog does not hold; every other
    /// call goes to `rest`.
    pub(super) fn serving(
        catalog: Catalog,
        mut rest: impl FnMut(&Request, usize) -> Action + Send + 'static,
    ) -> Rule {
        Box::new(move |r, nth| {
            if r.op != "athena:GetTableMetadata" {
                return rest(r, nth);
            }
            let b: Value = serde_json::from_slice(&r.body).unwrap();
            let keys = catalog.lock().unwrap().clone();
            match keys {
                Some(keys)
                    if b["CatalogName"] == "AwsDataCatalog"
                        && b["DatabaseName"] == "default"
                        && b["TableName"] == "flow_logs" =>
                {
                    let keys: Vec<Value> = keys
                        .iter()
                        .map(|k| json!({ "Name": k, "Type": "string" }))
                        .collect();
                    Action::Reply(Reply::json_ok(
                        &json!({ "TableMetadata": {
                            "Name": "flow_logs",
                            "TableType": "EXTERNAL_TABLE",
                            "Columns": [{ "Name": "version", "Type": "int" }],
                            "PartitionKeys": keys,
                            "Parameters": { "projection.enabled": "true" } } })
                        .to_string(),
                    ))
                }
                _ => Action::Reply(Reply::json(
                    400,
                    "MetadataException",
                    "Entity Not Found (Service: AmazonDataCatalog; Status Code: 400; \
                     Error Code: EntityNotFoundException)",
                )),
            }
        })
    }

    /// A proxy in front of moto that serves `catalog`'s table and forwards
    /// the rest.
    pub(super) fn catalog_proxy(moto: &Moto, catalog: &Catalog) -> FaultProxy {
        FaultProxy::start(
            &moto.endpoint,
            serving(catalog.clone(), |_, _| Action::Forward),
        )
    }

    /// The SQL and execution parameters of every query moto ran.
    async fn queries(config: &aws_config::SdkConfig) -> Vec<(String, Vec<String>)> {
        let athena = aws_sdk_athena::Client::new(config);
        let ids = athena.list_query_executions().send().await.unwrap();
        let mut all = Vec::new();
        for id in ids.query_execution_ids() {
            let q = athena
                .get_query_execution()
                .query_execution_id(id)
                .send()
                .await
                .unwrap();
            let q = q.query_execution().unwrap();
            all.push((
                q.query().unwrap_or_default().to_string(),
                q.execution_parameters().to_vec(),
            ));
        }
        all
    }

    fn infer(endpoint: &str, dir: &Path, src: &[&str]) -> (String, String) {
        let out = super::infer_sample_at(endpoint, dir, src);
        out.ok();
        (
            std::fs::read_to_string(dir.join("rules.auto.tfvars")).unwrap(),
            out.stdout + &out.stderr,
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn athena_rows_through_moto_give_the_tfvars_of_the_logs() {
        let o = run_case(&Case {
            logs: sample_logs(),
            window: sample_window(),
            shuffle: Some(9),
            drop: &[],
        });
        let moto = Moto::start();
        let config = moto.config().await;
        new_bucket(&config, "athena-out").await;
        // AWS's table with partition projection: accid, region, day.
        let proxy = catalog_proxy(&moto, &catalog(&["accid", "region", "day"]));
        let rows = queue_results(&moto, &o.results);
        assert!(rows > 100, "the sample's result has rows ({rows})");
        let dir = tempfile::tempdir().unwrap();
        let (from_logs, said_logs) = infer(
            &moto.endpoint,
            dir.path(),
            &["--logs", o.logs.to_str().unwrap()],
        );
        // Through the output CSV in S3, limited to the sample's account and
        // region (moto does not run the SQL: the filters are checked in it).
        let (from_s3, said) = infer(
            &proxy.endpoint,
            dir.path(),
            &[
                "--athena",
                "flow_logs",
                "--athena-output",
                "s3://athena-out/q/",
                "--account",
                "123456789012",
                "--log-region",
                "us-east-1",
            ],
        );
        assert_eq!(from_logs, from_s3, "tfvars through the S3 CSV");
        assert!(
            said.contains("partition columns (Athena GetTableMetadata): accid string, region string, day string; the queries filter on the day, the account, the region"),
            "{said}"
        );
        assert_eq!(proxy.count("athena:GetTableMetadata"), 1, "asked once");
        let ran = queries(&config).await;
        assert_eq!(ran.len(), 2);
        for (sql, params) in &ran {
            assert!(
                sql.contains("\"day\" BETWEEN ? AND ? AND \"accid\" IN (?) AND \"region\" IN (?)"),
                "{sql}"
            );
            assert_eq!(params[2..4], ["'123456789012'", "'us-east-1'"]);
            assert!(!sql.contains("123456789012") && !sql.contains("us-east-1"));
        }
        let rejected = |said: &str| {
            said.split(", ")
                .find(|p| p.ends_with(" rejected (not evidence)"))
                .unwrap_or_else(|| panic!("the run counts rejected records: {said}"))
                .to_string()
        };
        assert_ne!(rejected(&said_logs), "0 rejected (not evidence)");
        assert_eq!(
            rejected(&said_logs),
            rejected(&said),
            "the rejected records through Athena"
        );
        assert!(
            said.contains("bytes scanned in all"),
            "the cost is reported: {said}"
        );
        // Through GetQueryResults (no output location, so no CSV).
        queue_results(&moto, &o.results);
        let (from_pages, _) = infer(&proxy.endpoint, dir.path(), &["--athena", "flow_logs"]);
        assert_eq!(from_logs, from_pages, "tfvars through GetQueryResults");
    }
}

#[cfg(feature = "aws")]
mod athena_layouts {
    //! The partition columns from Athena's GetTableMetadata (served by the
    //! fault proxy: moto lacks it): a result streamed from S3 that spans
    //! many reads, a table with no day partition, an account asked of a
    //! table that cannot tell accounts, a missing table, a refused call.

    use super::against_moto::{catalog, catalog_proxy, queue_results};
    use super::*;
    use crate::support::aws_env::{Moto, new_bucket};
    use crate::support::fault_proxy::{Action, FaultProxy, Reply};

    #[tokio::test(flavor = "multi_thread")]
    async fn a_large_result_streams_from_s3_with_the_tfvars_of_the_logs() {
        let (_gen_dir, file, inv) = generated_large();
        let o = run_case(&Case {
            logs: vec![file],
            window: Window::ALL,
            shuffle: None,
            drop: &[],
        });
        let moto = Moto::start();
        let config = moto.config().await;
        let s3 = new_bucket(&config, "athena-out").await;
        // AWS's Hive layout.
        let proxy = catalog_proxy(
            &moto,
            &catalog(&[
                "aws-account-id",
                "aws-service",
                "aws-region",
                "year",
                "month",
                "day",
                "hour",
            ]),
        );
        queue_results(&moto, &o.results);
        let dir = tempfile::tempdir().unwrap();
        let run = |src: &[&str]| infer_november(&proxy.endpoint, dir.path(), &inv, src);
        let (from_logs, _) = run(&["--logs", o.logs.to_str().unwrap()]);
        let (from_s3, said) = run(&[
            "--athena",
            "flow_logs",
            "--athena-output",
            "s3://athena-out/big/",
        ]);
        assert_eq!(from_logs, from_s3, "tfvars from the streamed result");
        // The connections' CSV is several times the 64 KiB read buffer, and
        // came in more than one chunk.
        let listed = s3
            .list_objects_v2()
            .bucket("athena-out")
            .prefix("big/")
            .send()
            .await
            .unwrap();
        let largest = listed
            .contents()
            .iter()
            .filter_map(|o| o.size())
            .max()
            .unwrap();
        assert!(largest > 4 * 64 * 1024, "the result is {largest} bytes");
        let chunks: u64 = said
            .split("from its output CSV in S3 as it arrived (")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap_or_else(|| panic!("the run says how the result was read: {said}"))
            .parse()
            .unwrap();
        assert!(chunks > 1, "read in {chunks} chunks: {said}");
        assert!(said.contains("the queries filter on the day, the account, the region"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn tables_that_cannot_be_filtered_are_refused_with_the_reason() {
        let moto = Moto::start();
        let table = catalog(&["dt"]);
        let proxy = catalog_proxy(&moto, &table);
        let dir = tempfile::tempdir().unwrap();
        let infer = |src: &[&str]| super::infer_sample_at(&proxy.endpoint, dir.path(), src);
        // No day partition: refused unless told to read every file.
        let out = infer(&["--athena", "flow_logs"]);
        assert_ne!(out.code, Some(0));
        assert!(
            out.stderr.contains("(dt string) name no day")
                && out.stderr.contains("--athena-full-scan"),
            "{}",
            out.stderr
        );
        // An account asked of a table with no account partition and a
        // format without account-id.
        *table.lock().unwrap() = Some(vec!["day".into()]);
        let out = infer(&[
            "--athena",
            "flow_logs",
            "--log-format",
            "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
            "--account",
            "123456789012",
        ]);
        assert_ne!(out.code, Some(0));
        assert!(
            out.stderr
                .contains("--account: the table \"flow_logs\" has no account partition column")
                && out.stderr.contains("no account-id field"),
            "{}",
            out.stderr
        );
        assert_eq!(proxy.count("athena:StartQueryExecution"), 0, "no query ran");
        assert!(!dir.path().join("rules.auto.tfvars").exists());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_missing_table_or_a_refused_call_names_the_call_and_the_table() {
        let moto = Moto::start();
        let dir = tempfile::tempdir().unwrap();
        // Not in the catalog (its database named, in a workgroup).
        let proxy = catalog_proxy(&moto, &catalog(&["day"]));
        let out = super::infer_sample_at(
            &proxy.endpoint,
            dir.path(),
            &[
                "--athena",
                "flow_logs",
                "--athena-database",
                "logs",
                "--athena-workgroup",
                "analysts",
            ],
        );
        assert_ne!(out.code, Some(0));
        assert!(
            out.stderr.contains(
                "AWS call athena:GetTableMetadata (AwsDataCatalog.logs.flow_logs) failed: \
                 MetadataException: Entity Not Found"
            ) && out.stderr.contains("--athena-database"),
            "{}",
            out.stderr
        );
        let asked: Vec<serde_json::Value> = proxy
            .seen()
            .iter()
            .filter(|x| x.request.op == "athena:GetTableMetadata")
            .map(|x| serde_json::from_slice(&x.request.body).unwrap())
            .collect();
        assert_eq!(
            asked,
            [
                serde_json::json!({ "CatalogName": "AwsDataCatalog", "DatabaseName": "logs",
                "TableName": "flow_logs", "WorkGroup": "analysts" })
            ]
        );
        // Denied.
        let denied = FaultProxy::start(
            &moto.endpoint,
            Box::new(|r, _| match r.op.as_str() {
                "athena:GetTableMetadata" => Action::Reply(Reply::json(
                    400,
                    "AccessDeniedException",
                    "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: \
                     athena:GetTableMetadata",
                )),
                _ => Action::Forward,
            }),
        );
        let out = super::infer_sample_at(&denied.endpoint, dir.path(), &["--athena", "flow_logs"]);
        assert_ne!(out.code, Some(0));
        assert!(
            out.stderr.contains(
                "AWS call athena:GetTableMetadata (AwsDataCatalog.default.flow_logs) failed: \
                 AccessDeniedException: User: arn:aws:iam::123456789012:user/auditor"
            ) && out
                .stderr
                .contains("the caller needs athena:GetTableMetadata, and glue:GetTable"),
            "{}",
            out.stderr
        );
        assert_eq!(
            denied.count("athena:StartQueryExecution"),
            0,
            "no query ran"
        );
        assert!(!dir.path().join("rules.auto.tfvars").exists());
    }
}

#[cfg(feature = "aws")]
mod athena_faults {
    //! The Athena loop under what moto cannot do: throttling, QUEUED after
    //! RUNNING, a FAILED query, Ctrl-C, and GetQueryResults in pages of
    //! 1000 (moto returns one page), served by the fault proxy (which also
    //! serves the table's GetTableMetadata: a `day` partition).

    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};

    use super::against_moto::{athena_rows, catalog, queue_results, serving};
    use super::*;
    use crate::support::aws_env::Moto;
    use crate::support::fault_proxy::{Action, FaultProxy, Reply, Request};

    fn execution(state: &str, reason: Option<&str>) -> Reply {
        let mut status = json!({ "State": state });
        if let Some(r) = reason {
            status["StateChangeReason"] = json!(r);
        }
        Reply::json_ok(
            &json!({ "QueryExecution": {
                "QueryExecutionId": "x", "Status": status,
                "Statistics": { "DataScannedInBytes": 0 } } })
            .to_string(),
        )
    }

    fn body(r: &Request) -> Value {
        serde_json::from_slice(&r.body).unwrap_or(Value::Null)
    }

    struct Setup {
        moto: Moto,
        logs: PathBuf,
        results: Vec<PathBuf>,
        dir: tempfile::TempDir,
        _case: Outcome,
    }

    async fn setup() -> Setup {
        let o = run_case(&Case {
            logs: sample_logs(),
            window: sample_window(),
            shuffle: Some(13),
            drop: &[],
        });
        let moto = Moto::start();
        Setup {
            moto,
            logs: o.logs.clone(),
            results: o.results.clone(),
            dir: tempfile::tempdir().unwrap(),
            _case: o,
        }
    }

    fn infer(endpoint: &str, s: &Setup, src: &[&str]) -> crate::support::Out {
        super::infer_sample_at(endpoint, s.dir.path(), src)
    }

    fn tfvars(s: &Setup) -> String {
        std::fs::read_to_string(s.dir.path().join("rules.auto.tfvars")).unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn throttling_and_queued_after_running_are_waited_out() {
        let s = setup().await;
        infer(&s.moto.endpoint, &s, &["--logs", s.logs.to_str().unwrap()]).ok();
        let from_logs = tfvars(&s);
        queue_results(&s.moto, &s.results);
        let proxy = FaultProxy::start(
            &s.moto.endpoint,
            serving(catalog(&["day"]), |r, nth| match (r.op.as_str(), nth) {
                ("athena:StartQueryExecution", 1) => Action::Reply(Reply::json(
                    400,
                    "TooManyRequestsException",
                    "Rate exceeded",
                )),
                ("athena:GetQueryExecution", 1) => Action::Reply(execution("QUEUED", None)),
                ("athena:GetQueryExecution", 2) => Action::Reply(execution("RUNNING", None)),
                ("athena:GetQueryExecution", 3) => Action::Reply(execution("QUEUED", None)),
                _ => Action::Forward,
            }),
        );
        infer(&proxy.endpoint, &s, &["--athena", "flow_logs"]).ok();
        assert_eq!(from_logs, tfvars(&s), "the same tfvars after the faults");
        assert!(proxy.injected("athena:StartQueryExecution") >= 1);
        assert!(
            proxy.count("athena:GetQueryExecution") >= 5,
            "polled past QUEUED, RUNNING, QUEUED"
        );
        // The values travel as execution parameters, never in the SQL.
        let starts: Vec<Value> = proxy
            .seen()
            .iter()
            .filter(|x| x.request.op == "athena:StartQueryExecution")
            .map(|x| body(&x.request))
            .collect();
        let since = sample_window().since.to_string();
        for b in &starts {
            let sql = b["QueryString"].as_str().unwrap();
            let params: Vec<&str> = b["ExecutionParameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            assert!(
                params.contains(&since.as_str()),
                "the window is a parameter: {params:?}"
            );
            assert!(!sql.contains(&since), "no value pasted into the SQL");
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_query_is_reported_with_athenas_reason() {
        let s = setup().await;
        let proxy = FaultProxy::start(
            &s.moto.endpoint,
            serving(catalog(&["day"]), |r, _| match r.op.as_str() {
                "athena:GetQueryExecution" => Action::Reply(execution(
                    "FAILED",
                    Some("COLUMN_NOT_FOUND: line 3:5: Column 'tcp_flags' cannot be resolved"),
                )),
                _ => Action::Forward,
            }),
        );
        let out = infer(&proxy.endpoint, &s, &["--athena", "flow_logs"]);
        assert_ne!(out.code, Some(0));
        assert!(
            out.stderr.contains("FAILED")
                && out.stderr.contains("Column 'tcp_flags' cannot be resolved"),
            "Athena's reason is said: {}",
            out.stderr
        );
        assert!(
            !s.dir.path().join("rules.auto.tfvars").exists(),
            "nothing half-written"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_query_past_max_scan_gb_is_stopped() {
        let s = setup().await;
        let proxy = FaultProxy::start(
            &s.moto.endpoint,
            serving(catalog(&["day"]), |r, _| match r.op.as_str() {
                "athena:GetQueryExecution" => Action::Reply(Reply::json_ok(
                    &json!({ "QueryExecution": { "QueryExecutionId": "x",
                        "Status": { "State": "RUNNING" },
                        "Statistics": { "DataScannedInBytes": 2_500_000_000_u64 } } })
                    .to_string(),
                )),
                _ => Action::Forward,
            }),
        );
        let out = infer(
            &proxy.endpoint,
            &s,
            &["--athena", "flow_logs", "--max-scan-gb", "2"],
        );
        assert_ne!(out.code, Some(0));
        assert!(out.stderr.contains("--max-scan-gb"), "{}", out.stderr);
        assert_eq!(proxy.count("athena:StopQueryExecution"), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn ctrl_c_cancels_the_running_query() {
        let s = setup().await;
        let proxy = Arc::new(FaultProxy::start(
            &s.moto.endpoint,
            serving(catalog(&["day"]), |r, _| match r.op.as_str() {
                "athena:GetQueryExecution" => Action::Reply(execution("RUNNING", None)),
                _ => Action::Forward,
            }),
        ));
        let inv = repo().join("sample-logs/inventory.json");
        let p = proxy.clone();
        let out = crate::support::aws_env::against(
            sgpair([
                "infer",
                "--since",
                "7d",
                "--until",
                UNTIL,
                "--athena",
                "flow_logs",
                "--inventory",
            ])
            .arg(&inv)
            .cwd(s.dir.path()),
            &proxy.endpoint,
        )
        .run_interrupted(move || p.count("athena:GetQueryExecution") >= 2);
        assert_ne!(out.code, Some(0));
        assert!(out.stderr.contains("cancelled"), "{}", out.stderr);
        assert_eq!(
            proxy.count("athena:StopQueryExecution"),
            1,
            "the query was stopped"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn more_than_1000_rows_come_in_pages() {
        let s = setup().await;
        // A larger result: generated logs of 240 interfaces.
        let (_gen_dir, file, inv) = generated_large();
        let window = Window::ALL;
        let o = run_case(&Case {
            logs: vec![file],
            window,
            shuffle: None,
            drop: &[],
        });
        let results: Vec<Vec<Value>> = o.results.iter().map(|p| athena_rows(p)).collect();
        assert!(
            results[0].len() > 2500,
            "{} rows: three pages at least",
            results[0].len()
        );
        // Executions in the order they started: the connections, then the timeline.
        let ids: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = ids.clone();
        let proxy = FaultProxy::start(
            &s.moto.endpoint,
            serving(catalog(&["day"]), move |r, _| {
                if r.op != "athena:GetQueryResults" {
                    return Action::Forward;
                }
                let b = body(r);
                let id = b["QueryExecutionId"].as_str().unwrap().to_string();
                let mut ids = seen.lock().unwrap();
                if !ids.contains(&id) {
                    ids.push(id.clone());
                }
                let rows = &results[ids.iter().position(|i| *i == id).unwrap()];
                let page: usize = b["NextToken"].as_str().map_or(0, |t| t.parse().unwrap());
                assert_eq!(b["MaxResults"], json!(1000));
                let end = ((page + 1) * 1000).min(rows.len());
                let mut answer = json!({ "ResultSet": {
                    "Rows": rows[page * 1000..end], "ResultSetMetadata": { "ColumnInfo": [] } } });
                if end < rows.len() {
                    answer["NextToken"] = json!((page + 1).to_string());
                }
                Action::Reply(Reply::json_ok(&answer.to_string()))
            }),
        );
        let run = |src: &[&str]| infer_november(&proxy.endpoint, s.dir.path(), &inv, src).0;
        let _ = window;
        let from_logs = run(&["--logs", o.logs.to_str().unwrap()]);
        let from_pages = run(&["--athena", "flow_logs"]);
        assert!(proxy.count("athena:GetQueryResults") >= 4, "paged");
        assert_eq!(from_logs, from_pages);
    }
}

#[cfg(feature = "aws")]
mod athena_table {
    //! `sgpair athena-table`: the DDL from `--log-format` or the flow log's
    //! own LogFormat (DescribeFlowLogs in moto), printed or run (`--apply`,
    //! moto records the statement).

    use super::*;
    use crate::support::aws_env::{Moto, new_bucket, new_vpc, sgpair_at};

    const ARGS: [&str; 7] = [
        "athena-table",
        "--s3",
        "s3://flow-logs/central",
        "--account",
        "123456789012",
        "--log-region",
        "us-east-1",
    ];

    #[test]
    fn prints_the_table_of_a_log_format() {
        let out = sgpair(ARGS)
            .args(["--log-format", "${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${bytes} ${start} ${end} ${action} ${tcp-flags}"])
            .run();
        out.ok();
        assert!(
            out.stdout
                .starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS `vpc_flow_logs` (")
        );
        assert!(
            out.stdout.contains("  `tcp_flags` int\n)"),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout
                .contains("'projection.day.format' = 'yyyy/MM/dd'")
        );
        let parquet = sgpair(ARGS)
            .args([
                "--parquet",
                "--log-format",
                "version srcaddr dstaddr srcport dstport protocol start action",
            ])
            .run();
        parquet.ok();
        assert!(parquet.stdout.contains("ParquetHiveSerDe"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn reads_the_flow_logs_format_and_applies_the_table() {
        let moto = Moto::start();
        let config = moto.config().await;
        new_bucket(&config, "flow-logs").await;
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let vpc_id = new_vpc(&ec2, "10.0.0.0/16").await;
        let fl = ec2
            .create_flow_logs()
            .resource_ids(&vpc_id)
            .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
            .traffic_type(aws_sdk_ec2::types::TrafficType::All)
            .log_destination_type(aws_sdk_ec2::types::LogDestinationType::S3)
            .log_destination("arn:aws:s3:::flow-logs")
            .log_format("${version} ${vpc-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${tcp-flags} ${flow-direction}")
            .send()
            .await
            .unwrap();
        assert!(fl.unsuccessful().is_empty(), "{:?}", fl.unsuccessful());
        let id = fl.flow_log_ids()[0].to_string();
        let dir = tempfile::tempdir().unwrap();
        let mut args: Vec<&str> = ARGS.to_vec();
        args.extend(["--flow-log-id", &id]);
        let out = sgpair_at(&moto.endpoint, dir.path(), &args, &[]);
        out.ok();
        assert!(out.stdout.contains("  `vpc_id` string,"), "{}", out.stdout);
        assert!(out.stdout.contains("  `flow_direction` string\n)"));

        new_bucket(&config, "athena-out").await;
        args.extend(["--apply", "--output", "s3://athena-out/ddl/"]);
        let applied = sgpair_at(&moto.endpoint, dir.path(), &args, &[]);
        applied.ok();
        assert!(
            applied
                .stderr
                .contains("created table default.vpc_flow_logs")
        );
        let athena = aws_sdk_athena::Client::new(&config);
        let qid = applied
            .stderr
            .split("(Athena query ")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .expect("the query's id is said");
        let q = athena
            .get_query_execution()
            .query_execution_id(qid)
            .send()
            .await
            .unwrap();
        let sql = q.query_execution().unwrap().query().unwrap();
        assert_eq!(sql, out.stdout, "the printed DDL is what ran");
    }
}
