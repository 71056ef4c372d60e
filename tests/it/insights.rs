//! `--insights`: the Logs Insights query of each time slice, run by the
//! emulator in `support/insights.rs` (moto's Insights does not evaluate
//! `stats`) over the records the test holds, and the rows folded in.
//!
//! - any split of a window into slices gives the evidence of the unsplit
//!   window, and both the evidence of the local engine reading the same
//!   lines (a property test, with and without the `tcp-flags` column);
//! - against moto server, with the fault proxy answering StartQuery and
//!   GetQueryResults from the emulator: the real SDK client, a slice that
//!   reaches the 10,000-row limit halved, the bytes scanned and their cost
//!   reported, a failed query, throttling retried, and tfvars byte-identical
//!   to `--logs` over the same records, with and without tcp-flags.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use sgpair::aggregate::{Aggregator, Evidence};
use sgpair::parse::Format;
use sgpair::pipeline::{ReadOptions, read_files};
use sgpair::pushdown::insights::Insights;
use sgpair::stats::{Span, Stats};
use sgpair::window::Window;

use crate::support::insights::answer;

const T: i64 = 1_764_000_000;
const WINDOW: Window = Window {
    since: T,
    until: T + 7_200,
};
const FIELDS: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol \
                      packets bytes start end action log-status vpc-id tcp-flags flow-direction \
                      pkt-src-aws-service pkt-dst-aws-service";
const ADDRS: [&str; 5] = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.1.4", "52.94.0.9"];

/// One record, as the strategy draws it.
#[derive(Debug, Clone)]
struct R {
    eni: u8,
    src: usize,
    dst: usize,
    sp: u16,
    dp: u16,
    proto: u8,
    flags: Option<u16>,
    start: i64,
    len: i64,
    bytes: u64,
    reject: bool,
    /// 0 OK, 1 NODATA, 2 SKIPDATA.
    status: u8,
    dir: u8,
}

fn port() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(22u16),
        Just(443),
        Just(5432),
        32_768..32_790u16,
        50_000..50_004u16
    ]
}

fn record() -> impl Strategy<Value = R> {
    (
        (0..3u8, 0..ADDRS.len(), 0..ADDRS.len(), port(), port()),
        prop_oneof![6 => Just(6u8), 2 => Just(17), 1 => Just(1), 1 => Just(47)],
        prop_oneof![
            Just(None),
            Just(Some(2u16)),
            Just(Some(18)),
            Just(Some(3)),
            Just(Some(1))
        ],
        (
            WINDOW.since - 300..WINDOW.until + 300,
            0..600i64,
            0..5_000u64,
        ),
        (
            prop::bool::weighted(0.15),
            prop_oneof![18 => Just(0u8), 1 => Just(1), 1 => Just(2)],
            0..3u8,
        ),
    )
        .prop_map(
            |(
                (eni, src, dst, sp, dp),
                proto,
                flags,
                (start, len, bytes),
                (reject, status, dir),
            )| {
                let (sp, dp) = match proto {
                    // ICMP: a type (echo request, reply, other) and code 0.
                    1 => ([8, 0, 3][usize::from(sp % 3)], 0),
                    47 => (0, 0),
                    _ => (sp, dp),
                };
                R {
                    eni,
                    src,
                    dst,
                    sp,
                    dp,
                    proto,
                    flags,
                    start,
                    len,
                    bytes,
                    reject,
                    status,
                    dir,
                }
            },
        )
}

impl R {
    fn render(&self, fields: &str) -> String {
        let ok = self.status == 0;
        let d = |v: String| if ok { v } else { "-".into() };
        let svc = |i: usize| if i == 4 { "AMAZON" } else { "-" };
        fields
            .split_whitespace()
            .map(|f| match f {
                "version" => "5".into(),
                "account-id" => "123456789012".into(),
                "interface-id" => format!("eni-{}", self.eni),
                "srcaddr" => d(ADDRS[self.src].into()),
                "dstaddr" => d(ADDRS[self.dst].into()),
                "srcport" => d(self.sp.to_string()),
                "dstport" => d(self.dp.to_string()),
                "protocol" => d(self.proto.to_string()),
                "packets" => d((self.bytes / 100 + 1).to_string()),
                "bytes" => d(self.bytes.to_string()),
                "start" => self.start.to_string(),
                "end" => (self.start + self.len).to_string(),
                "action" => d(if self.reject { "REJECT" } else { "ACCEPT" }.into()),
                "log-status" => ["OK", "NODATA", "SKIPDATA"][usize::from(self.status)].into(),
                "vpc-id" => format!("vpc-{}", self.eni % 2),
                "tcp-flags" => match (ok, self.flags) {
                    (true, Some(f)) if self.proto == 6 => f.to_string(),
                    _ => "-".into(),
                },
                "flow-direction" => d(["ingress", "egress", "-"][usize::from(self.dir)].into()),
                "pkt-src-aws-service" => d(svc(self.src).into()),
                "pkt-dst-aws-service" => d(svc(self.dst).into()),
                other => panic!("a field the test does not render: {other}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The rows of `slices`, each answered by the emulator, folded in.
fn through_insights(
    format: &Format,
    lines: &[String],
    slices: &[(i64, i64)],
) -> (Evidence, Stats, Span) {
    let q = Insights::new(format).unwrap();
    let (mut agg, mut stats, mut span) = (Aggregator::new(), Stats::default(), Span::default());
    for &(a, b) in slices {
        let got = answer(&q.query(a, b), a, b - 1, lines, usize::MAX);
        for (i, row) in got.rows.iter().enumerate() {
            q.fold(row, ("slice", i as u64), &mut agg, &mut stats, &mut span)
                .unwrap();
        }
    }
    agg.spans_into(&mut stats);
    (agg.finish(), stats, span)
}

fn local(fields: &str, lines: &[String], dir: &Path) -> (Evidence, Stats) {
    let path = dir.join("records.log");
    std::fs::write(&path, format!("{fields}\n{}\n", lines.join("\n"))).unwrap();
    let (agg, stats) = read_files(&[path], &ReadOptions::new(WINDOW), true, Some(1)).unwrap();
    (agg.finish(), stats)
}

fn json(e: &Evidence) -> String {
    serde_json::to_string_pretty(e).unwrap()
}

/// What both count alike: the local read also counts records outside the
/// window (of any status), which a query never sees.
fn counts(s: &Stats) -> (u64, u64, Vec<(String, u64)>) {
    let skipped = s
        .skipped
        .iter()
        .filter(|(k, _)| *k != "outside the window")
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    (s.used, s.rejected, skipped)
}

/// A NODATA record outside the window is outside the window to the local
/// read, as an OK one is, and never reaches a query: both count the
/// window's NODATA records alike, and the local counts add up.
#[test]
fn nodata_outside_the_window_is_counted_as_outside_not_as_nodata() {
    let at = |start: i64, status: u8| R {
        eni: 0,
        src: 0,
        dst: 1,
        sp: 41_000,
        dp: 443,
        proto: 6,
        flags: None,
        start,
        len: 60,
        bytes: 900,
        reject: false,
        status,
        dir: 2,
    };
    let records = [
        at(WINDOW.since + 60, 0),
        at(WINDOW.since + 120, 1),
        at(WINDOW.since - 600, 1),
        at(WINDOW.until, 1),
        at(WINDOW.until + 60, 0),
    ];
    let format = Format::from_names(FIELDS).unwrap();
    let lines: Vec<String> = records.iter().map(|r| r.render(FIELDS)).collect();
    let (pushed, pushed_stats, _) =
        through_insights(&format, &lines, &[(WINDOW.since, WINDOW.until)]);
    let dir = tempfile::tempdir().unwrap();
    let (here, here_stats) = local(FIELDS, &lines, dir.path());
    let skipped = |s: &Stats, reason: &str| s.skipped.get(reason).copied();
    assert_eq!(
        (
            skipped(&here_stats, "nodata"),
            skipped(&here_stats, "outside the window")
        ),
        (Some(1), Some(3)),
        "{:?}",
        here_stats.skipped
    );
    assert_eq!(
        here_stats.records,
        here_stats.used + here_stats.rejected + here_stats.skipped.values().sum::<u64>()
    );
    assert_eq!(counts(&here_stats), counts(&pushed_stats));
    assert_eq!((pushed_stats.records, pushed_stats.used), (2, 1));
    assert_eq!(json(&here), json(&pushed));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        .. ProptestConfig::default()
    })]

    #[test]
    fn any_split_of_the_window_merges_to_the_unsplit_result_and_the_local_one(
        records in prop::collection::vec(record(), 1..80),
        cuts in prop::collection::vec(WINDOW.since + 1..WINDOW.until, 0..6),
        flags in any::<bool>(),
    ) {
        let fields = if flags {
            FIELDS.to_string()
        } else {
            FIELDS.replace(" tcp-flags", "")
        };
        let format = Format::from_names(&fields).unwrap();
        let lines: Vec<String> = records.iter().map(|r| r.render(&fields)).collect();
        let mut bounds = vec![WINDOW.since, WINDOW.until];
        bounds.extend(cuts);
        bounds.sort();
        bounds.dedup();
        let slices: Vec<(i64, i64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();

        let (whole, whole_stats, whole_span) =
            through_insights(&format, &lines, &[(WINDOW.since, WINDOW.until)]);
        let (split, split_stats, split_span) = through_insights(&format, &lines, &slices);
        prop_assert_eq!(json(&whole), json(&split), "split into {:?}", slices);
        prop_assert_eq!(counts(&whole_stats), counts(&split_stats));
        prop_assert_eq!(whole_span, split_span);
        prop_assert_eq!(
            serde_json::to_string(&whole_stats.interfaces).unwrap(),
            serde_json::to_string(&split_stats.interfaces).unwrap()
        );

        let dir = tempfile::tempdir().unwrap();
        let (here, here_stats) = local(&fields, &lines, dir.path());
        prop_assert_eq!(json(&here), json(&split), "against the local engine");
        prop_assert_eq!(counts(&here_stats), counts(&split_stats));
        prop_assert_eq!(
            serde_json::to_string(&here_stats.interfaces).unwrap(),
            serde_json::to_string(&split_stats.interfaces).unwrap()
        );
    }
}

#[cfg(feature = "aws")]
mod against_moto {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use crate::support::aws_env::{self, FORMAT, LOG_GROUP, Moto, connection, now, sgpair_at};
    use crate::support::fault_proxy::{Action, FaultProxy, Reply, Rule, json_number};
    use crate::support::insights::{answer, complete_json};
    use crate::support::{Out, read};

    /// What the emulated Insights knows: the records, the queries started
    /// (their text and time range), how often each was polled, and the
    /// most queries running at once.
    #[derive(Default)]
    struct Service {
        lines: Vec<String>,
        queries: HashMap<String, (String, i64, i64)>,
        polls: HashMap<String, usize>,
        running: usize,
        most_running: usize,
        /// Rows each query returned, by its slice.
        returned: Vec<((i64, i64), usize)>,
        /// Bytes the queries scanned, together.
        scanned: u64,
    }

    /// StartQuery and GetQueryResults answered by the emulator (each query
    /// Running at its first poll); `fault` may answer a request first.
    fn rule(
        svc: Arc<Mutex<Service>>,
        mut fault: impl FnMut(&str, usize, &Service) -> Option<Reply> + Send + 'static,
    ) -> Rule {
        Box::new(move |req, nth| {
            let mut s = svc.lock().unwrap();
            if let Some(reply) = fault(&req.op, nth, &s) {
                return Action::Reply(reply);
            }
            let body: serde_json::Value =
                serde_json::from_slice(&req.body).unwrap_or(serde_json::Value::Null);
            match req.op.as_str() {
                "logs:StartQuery" => {
                    let text = req.body_text();
                    let id = format!("q-{nth}");
                    let from = json_number(&text, "startTime").unwrap();
                    let to = json_number(&text, "endTime").unwrap();
                    assert_eq!(body["logGroupName"], LOG_GROUP);
                    assert_eq!(body["limit"], 10_000);
                    let q = body["queryString"].as_str().unwrap().to_string();
                    s.queries.insert(id.clone(), (q, from, to));
                    s.running += 1;
                    s.most_running = s.most_running.max(s.running);
                    Action::Reply(Reply::json_ok(&format!(r#"{{"queryId":"{id}"}}"#)))
                }
                "logs:GetQueryResults" => {
                    let id = body["queryId"].as_str().unwrap().to_string();
                    let polls = s.polls.entry(id.clone()).or_default();
                    *polls += 1;
                    if *polls == 1 {
                        return Action::Reply(Reply::json_ok(
                            r#"{"status":"Running","results":[],"statistics":{"recordsMatched":0,"recordsScanned":0,"bytesScanned":0}}"#,
                        ));
                    }
                    let (q, from, to) = s.queries[&id].clone();
                    let got = answer(&q, from, to, &s.lines, 10_000);
                    s.running -= 1;
                    s.returned.push(((from, to), got.rows.len()));
                    s.scanned += got.bytes_scanned;
                    Action::Reply(Reply::json_ok(&complete_json(&got)))
                }
                "logs:StopQuery" => Action::Reply(Reply::json_ok(r#"{"success":true}"#)),
                _ => Action::Forward,
            }
        })
    }

    /// The account of `aws_env`, its records, and 3,000 more connections
    /// web → db over ten hours: 12,000 records, each its own row (its own
    /// client port), more than one query may return.
    async fn account(flags: bool) -> (Moto, Vec<String>) {
        let moto = Moto::start();
        let config = moto.config().await;
        let (env, mut records) = aws_env::build(&config).await;
        let t0 = now() - 11 * 3600;
        for i in 0..3_000u16 {
            records.extend(connection(
                (&env.web_eni, "10.0.1.10", 32_768 + i),
                (&env.db_eni, "10.0.2.20", 5432),
                t0 + i64::from(i) * 12,
            ));
        }
        let flags_at = FORMAT.split(' ').position(|f| f == "${tcp-flags}").unwrap();
        let lines = records
            .into_iter()
            .map(|(_, line)| {
                if flags {
                    return line;
                }
                // The flow log logs no flags: every value is `-`.
                let mut v: Vec<&str> = line.split(' ').collect();
                v[flags_at] = "-";
                v.join(" ")
            })
            .collect();
        (moto, lines)
    }

    fn logs_run(moto: &Moto, dir: &Path, lines: &[String]) -> String {
        let header = FORMAT.replace("${", "").replace('}', "");
        let file = dir.join("records.log");
        std::fs::write(&file, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
        let out = dir.join("logs");
        std::fs::create_dir_all(&out).unwrap();
        sgpair_at(
            &moto.endpoint,
            &out,
            &["infer", "--since", "1d", "--logs", file.to_str().unwrap()],
            &[],
        )
        .ok();
        read(out.join("rules.auto.tfvars"))
    }

    fn insights_run(proxy: &FaultProxy, dir: &Path, name: &str) -> (Out, std::path::PathBuf) {
        let out = dir.join(name);
        std::fs::create_dir_all(&out).unwrap();
        let run = sgpair_at(
            &proxy.endpoint,
            &out,
            &[
                "infer",
                "--since",
                "1d",
                "--insights",
                LOG_GROUP,
                "--concurrency",
                "3",
            ],
            &[],
        );
        (run, out)
    }

    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn insights_gives_the_tfvars_of_the_logs_halving_full_slices() {
        for flags in [true, false] {
            let (moto, lines) = account(flags).await;
            let dir = tempfile::tempdir().unwrap();
            let from_logs = logs_run(&moto, dir.path(), &lines);
            assert!(from_logs.contains("5432"), "{from_logs}");

            let svc = Arc::new(Mutex::new(Service {
                lines: lines.clone(),
                ..Service::default()
            }));
            let proxy = FaultProxy::start(&moto.endpoint, rule(svc.clone(), |_, _, _| None));
            let (run, out) = insights_run(&proxy, dir.path(), "insights");
            run.ok();
            let said = format!("{}{}", run.stdout, run.stderr);
            let from_insights = read(out.join("rules.auto.tfvars"));
            assert_eq!(
                from_logs, from_insights,
                "tfvars (tcp-flags logged: {flags})"
            );

            let s = svc.lock().unwrap();
            let full: Vec<_> = s.returned.iter().filter(|(_, n)| *n >= 10_000).collect();
            assert!(
                !full.is_empty(),
                "a slice reached the row limit: {:?}",
                s.returned
            );
            for ((from, to), _) in &full {
                // Halved: both halves were asked for.
                let mid = from + (to + 1 - from) / 2;
                for half in [(*from, mid - 1), (mid, *to)] {
                    assert!(
                        s.returned.iter().any(|(sl, _)| *sl == half),
                        "{half:?} of {from}..{to} in {:?}",
                        s.returned
                    );
                }
            }
            assert!(s.most_running <= 3, "at most --concurrency queries at once");
            assert_eq!(s.running, 0, "every query ran to its end");
            // The bytes scanned, per query and in all, in the report's notes.
            let report = read(out.join("sgpair-report.md"));
            let queries = s.returned.len();
            assert!(
                report.contains(&format!(
                    "{queries} queries ({} halved at the row limit)",
                    full.len()
                )),
                "{report}\n{said}"
            );
            assert!(report.contains("at $0.005 per GB"), "{report}");
            assert!(
                report.contains(&format!("{} bytes scanned in all", s.scanned)),
                "{report}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_query_fails_the_run_naming_it() {
        let (moto, lines) = account(true).await;
        let dir = tempfile::tempdir().unwrap();
        let svc = Arc::new(Mutex::new(Service {
            lines,
            ..Service::default()
        }));
        let proxy = FaultProxy::start(
            &moto.endpoint,
            rule(svc, |op, nth, _| {
                (op == "logs:GetQueryResults" && nth == 2).then(|| {
                    Reply::json_ok(
                        r#"{"status":"Failed","results":[],"statistics":{"recordsMatched":0,"recordsScanned":0,"bytesScanned":1000}}"#,
                    )
                })
            }),
        );
        let (run, out) = insights_run(&proxy, dir.path(), "failed");
        assert!(!run.success(), "{}", run.stderr);
        assert!(
            run.stderr
                .contains("Logs Insights query q-1 on /vpc/flow-logs")
                && run.stderr.contains("ended Failed"),
            "{}",
            run.stderr
        );
        assert!(
            !out.join("rules.auto.tfvars").exists(),
            "no output from a failed read"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn throttling_and_the_concurrent_query_limit_are_retried() {
        let (moto, lines) = account(true).await;
        let dir = tempfile::tempdir().unwrap();
        let from_logs = logs_run(&moto, dir.path(), &lines);
        let svc = Arc::new(Mutex::new(Service {
            lines,
            ..Service::default()
        }));
        let proxy = FaultProxy::start(
            &moto.endpoint,
            rule(svc, |op, nth, _| match (op, nth) {
                ("logs:StartQuery", 1 | 2) => Some(Reply::json(
                    400,
                    "LimitExceededException",
                    "Account maximum query concurrency limit of [30] reached.",
                )),
                ("logs:GetQueryResults", 1) | ("logs:StartQuery", 4) => {
                    Some(Reply::json(400, "ThrottlingException", "Rate exceeded"))
                }
                _ => None,
            }),
        );
        let (run, out) = insights_run(&proxy, dir.path(), "throttled");
        run.ok();
        assert_eq!(read(out.join("rules.auto.tfvars")), from_logs);
        // The emulator's own answers are injected too (status 200): count the faults.
        let faults = |op: &str| {
            proxy
                .seen()
                .iter()
                .filter(|s| s.request.op == op && s.injected == Some(400))
                .count()
        };
        assert_eq!(faults("logs:StartQuery"), 3);
        assert_eq!(faults("logs:GetQueryResults"), 1);
    }

    #[tokio::test(flavor = "multi_thread")]
    #[cfg(unix)]
    async fn ctrl_c_stops_the_running_queries() {
        let (moto, lines) = account(true).await;
        let dir = tempfile::tempdir().unwrap();
        let svc = Arc::new(Mutex::new(Service {
            lines,
            ..Service::default()
        }));
        // Every query stays Running.
        let proxy = FaultProxy::start(
            &moto.endpoint,
            rule(svc, |op, _, _| {
                (op == "logs:GetQueryResults").then(|| {
                    Reply::json_ok(
                        r#"{"status":"Running","results":[],"statistics":{"recordsMatched":0,"recordsScanned":0,"bytesScanned":0}}"#,
                    )
                })
            }),
        );
        let out = crate::support::aws_env::against(
            crate::support::sgpair(["infer", "--since", "1d", "--insights", LOG_GROUP])
                .cwd(dir.path()),
            &proxy.endpoint,
        )
        .run_interrupted(|| proxy.count("logs:GetQueryResults") >= 2);
        assert!(!out.success(), "{}", out.stderr);
        assert!(
            out.stderr
                .contains("interrupted (Ctrl-C); 1 running query stopped (StopQuery)"),
            "{}",
            out.stderr
        );
        let stopped: Vec<String> = proxy
            .seen()
            .iter()
            .filter(|s| s.request.op == "logs:StopQuery")
            .map(|s| s.request.body_text())
            .collect();
        assert_eq!(stopped.len(), 1, "{stopped:?}");
        assert!(stopped[0].contains("\"q-1\""), "{stopped:?}");
        assert!(!dir.path().join("rules.auto.tfvars").exists());
    }
}
