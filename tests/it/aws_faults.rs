//! AWS faults, end to end: the real aws-sdk clients inside the `sgpair`
//! binary talk to moto server through a fault-injecting proxy
//! (`support/fault_proxy.rs`) that throttles, fails with 5xx, expires page
//! tokens and denies calls the way the real services do, in their own wire
//! formats. What must hold: retried where that helps (the result is the same
//! as without the fault), reported with the call and what to check where it
//! does not, and never a partial `rules.auto.tfvars`.
//!
//! Only with the `aws` cargo feature (on by default).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::aws_env::*;
use crate::support::fault_proxy::{Action, FaultProxy, Reply, json_number, with_limit};
use crate::support::{Out, read};

/// The account's log group, or its bucket.
const LOGS: [&str; 2] = ["--log-group", LOG_GROUP];
const S3: [&str; 2] = ["--s3", "s3://flow-logs/vpc"];

/// `sgpair infer` over the last day of `source`, through the proxy.
fn infer(
    proxy: &FaultProxy,
    dir: &Path,
    source: [&str; 2],
    extra: &[&str],
    env: &[(&str, &str)],
) -> Out {
    let mut args = vec!["infer", source[0], source[1], "--since", "1d"];
    args.extend_from_slice(extra);
    sgpair_at(&proxy.endpoint, dir, &args, env)
}

/// The run read every record once and proposed the rules a run without
/// faults proposes (the `aws` tests): 16 records from `sources` streams or objects.
fn as_without_faults(stderr: &str, dir: &Path, env: &Env, sources: usize) {
    let plural = if sources == 1 { "stream" } else { "streams" };
    let line = format!("read 16 records from {sources} {plural}: 16 used as evidence");
    assert!(stderr.contains(&line), "{stderr}");
    assert_eq!(rules(dir), expected(env));
}

/// The stream a FilterLogEvents request reads (empty for other calls).
fn stream_of(body: &str) -> String {
    body.split("\"logStreamNames\":[\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_string()
}

/// The files in a folder and their contents, to show a failed run changed nothing.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = if p.is_file() {
                std::fs::read(&p).unwrap()
            } else {
                Vec::new()
            };
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_and_server_errors_are_retried_and_change_nothing() {
    let (moto, env) = account("web", Delivery::CloudWatch).await;
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, nth| match (req.op.as_str(), nth) {
            // EC2 throttles with 503 RequestLimitExceeded.
            ("ec2:DescribeNetworkInterfaces", 1 | 2) => Action::Reply(Reply::ec2(
                503,
                "RequestLimitExceeded",
                "Request limit exceeded.",
            )),
            ("ec2:DescribeSecurityGroups", 1) => Action::Reply(Reply::ec2(
                500,
                "InternalError",
                "An internal error has occurred.",
            )),
            ("logs:DescribeLogStreams", 1) => {
                Action::Reply(Reply::json(400, "ThrottlingException", "Rate exceeded"))
            }
            ("logs:FilterLogEvents", 1 | 2) => Action::Reply(Reply::json(
                503,
                "ServiceUnavailableException",
                "The service is unavailable.",
            )),
            _ => Action::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let stderr = infer(&proxy, dir.path(), LOGS, &[], &[])
        .ok()
        .stderr
        .clone();
    as_without_faults(&stderr, dir.path(), &env, 3);
    // Every fault was answered by a retry of the same call.
    for (op, faults) in [
        ("ec2:DescribeNetworkInterfaces", 2),
        ("ec2:DescribeSecurityGroups", 1),
        ("logs:DescribeLogStreams", 1),
        ("logs:FilterLogEvents", 2),
    ] {
        assert_eq!(proxy.injected(op), faults, "{op}");
    }
    assert_eq!(proxy.count("ec2:DescribeNetworkInterfaces"), 3);
    assert_eq!(proxy.count("logs:DescribeLogStreams"), 2);
    // One page per stream (three streams), plus the two retried attempts.
    assert_eq!(proxy.count("logs:FilterLogEvents"), 3 + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_slow_down_and_internal_errors_are_retried() {
    let (moto, env) = account("web", Delivery::S3).await;
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, nth| match (req.op.as_str(), nth) {
            ("s3:ListObjectsV2", 1) => Action::Reply(Reply::s3(
                503,
                "SlowDown",
                "Please reduce your request rate.",
            )),
            ("s3:GetObject", 1) => Action::Reply(Reply::s3(
                500,
                "InternalError",
                "We encountered an internal error. Please try again.",
            )),
            _ => Action::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = infer(&proxy, dir.path(), S3, &[], &[]);
    let stderr = out.ok().stderr.clone();
    as_without_faults(&stderr, dir.path(), &env, 1);
    assert_eq!(proxy.injected("s3:ListObjectsV2"), 1);
    assert_eq!(proxy.injected("s3:GetObject"), 1);
    assert_eq!(
        proxy.count("s3:GetObject"),
        2,
        "one object, read on the second attempt"
    );
}

/// Small pages (the proxy asks moto for two events per page, one stream per
/// listing page), and the first page token of every listing and stream read
/// "expires": the stream read resumes at its last event's timestamp, the
/// stream listing starts over, and every record counts exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn expired_page_tokens_resume_without_losing_or_repeating_events() {
    let (moto, env) = account("web", Delivery::CloudWatch).await;
    let mut expired = std::collections::HashSet::new();
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(move |req, _nth| {
            let body = req.body_text();
            let paged = || Action::ForwardBody(with_limit(&req.body, 2));
            match req.op.as_str() {
                "logs:FilterLogEvents" | "logs:DescribeLogStreams" if req.has_token => {
                    // The first token-bearing request of each stream (or of the listing).
                    let key = format!("{} {}", req.op, stream_of(&body));
                    if expired.insert(key) {
                        Action::Reply(Reply::json(
                            400,
                            "InvalidParameterException",
                            "The specified nextToken has expired.",
                        ))
                    } else {
                        paged()
                    }
                }
                "logs:FilterLogEvents" | "logs:DescribeLogStreams" => paged(),
                _ => Action::Forward,
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let stderr = infer(&proxy, dir.path(), LOGS, &[], &[])
        .ok()
        .stderr
        .clone();
    as_without_faults(&stderr, dir.path(), &env, 3);

    let seen = proxy.seen();
    let filter: Vec<_> = seen
        .iter()
        .filter(|s| s.request.op == "logs:FilterLogEvents")
        .collect();
    // The web interface's stream has six events: three pages of two, so its
    // first token expired and its read resumed.
    let web: Vec<_> = filter
        .iter()
        .filter(|s| {
            s.request
                .body_text()
                .contains(&format!("{}-all", env.web_eni))
        })
        .collect();
    let expiry = web
        .iter()
        .position(|s| s.injected == Some(400))
        .expect("the web stream's first page token expired");
    let first_start = json_number(&web[0].request.body_text(), "startTime").unwrap();
    let resumed = &web[expiry + 1].request;
    assert!(
        !resumed.has_token,
        "the read resumed without the dead token"
    );
    let resumed_start = json_number(&resumed.body_text(), "startTime").unwrap();
    assert!(
        resumed_start > first_start,
        "resumed at the last event read ({resumed_start}), not at the window's start ({first_start})"
    );
    // The stream listing's token expired too and the listing started over.
    assert_eq!(proxy.injected("logs:DescribeLogStreams"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_call_names_the_action_and_leaves_the_outputs_as_they_were() {
    let (moto, _env) = account("web", Delivery::CloudWatch).await;
    let dir = tempfile::tempdir().unwrap();
    // A good run first: its outputs must survive the failed run untouched.
    moto.infer_logs(dir.path(), &[]).ok();
    let before = snapshot(dir.path());
    assert!(before.iter().any(|(n, _)| n == "rules.auto.tfvars"));

    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, _| match req.op.as_str() {
            "ec2:DescribeManagedPrefixLists" => Action::Reply(Reply::ec2(
                403,
                "UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            )),
            _ => Action::Forward,
        }),
    );
    let out = infer(&proxy, dir.path(), LOGS, &[], &[]);
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.contains("AWS call ec2:DescribeManagedPrefixLists failed: UnauthorizedOperation"),
        "{stderr}"
    );
    assert!(
        stderr.contains("check permissions: the caller needs ec2:DescribeManagedPrefixLists"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // A denial is not retried: retrying cannot help.
    assert_eq!(proxy.count("ec2:DescribeManagedPrefixLists"), 1);
    assert_eq!(
        snapshot(dir.path()),
        before,
        "no output changed, no temp file left"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_stream_fails_the_run_unless_allow_partial_and_then_the_report_says_so() {
    let (moto, env) = account("web", Delivery::CloudWatch).await;
    let web_stream = format!("{}-all", env.web_eni);
    let denied = web_stream.clone();
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(move |req, _| {
            if req.op == "logs:FilterLogEvents" && req.body_text().contains(&denied) {
                Action::Reply(Reply::json(
                    400,
                    "AccessDeniedException",
                    "User is not authorized to perform: logs:FilterLogEvents",
                ))
            } else {
                Action::Forward
            }
        }),
    );

    let dir = tempfile::tempdir().unwrap();
    let out = infer(&proxy, dir.path(), LOGS, &[], &[]);
    let stderr = out.stderr.clone();
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "logs:FilterLogEvents on {LOG_GROUP}/{web_stream} failed: AccessDeniedException"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("the caller needs logs:FilterLogEvents"),
        "{stderr}"
    );
    assert!(
        snapshot(dir.path()).is_empty(),
        "nothing written: {:?}",
        snapshot(dir.path())
    );

    let stderr = infer(&proxy, dir.path(), LOGS, &["--allow-partial"], &[])
        .ok()
        .stderr
        .clone();
    assert!(
        stderr.contains(&format!(
            "warning: incomplete evidence (--allow-partial): AWS call logs:FilterLogEvents on {LOG_GROUP}/{web_stream} failed: AccessDeniedException"
        )),
        "{stderr}"
    );
    // The other two streams: 16 records less the web interface's six.
    assert!(
        stderr.contains("read 10 records from 2 streams"),
        "{stderr}"
    );
    assert!(
        stderr.contains("INCOMPLETE: 1 source could not be read"),
        "{stderr}"
    );
    // The far ends logged the same connections, so the rules still hold.
    assert_eq!(rules(dir.path()), expected(&env));
    report_says_incomplete(dir.path());
}

/// A request that gets no answer is abandoned after `--aws-timeout` and
/// retried; a download that is slow but keeps sending is not cut short by it,
/// though it takes longer than the timeout in all.
#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_request_times_out_and_is_retried_but_a_slow_download_is_not() {
    let (moto, env) = account("web", Delivery::S3).await;
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, nth| match (req.op.as_str(), nth) {
            ("ec2:DescribeVpcs", 1) => Action::Stall(Duration::from_secs(30)),
            // Four pieces a second apart: 4 s in all, never 2 s without data.
            ("s3:GetObject", _) => Action::ForwardSlow(Duration::from_secs(1)),
            _ => Action::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = infer(&proxy, dir.path(), S3, &["--aws-timeout", "2"], &[]);
    let stderr = out.ok().stderr.clone();
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the stalled call was abandoned, not waited out"
    );
    as_without_faults(&stderr, dir.path(), &env, 1);
    assert_eq!(
        proxy.count("ec2:DescribeVpcs"),
        2,
        "one stalled attempt, one answered"
    );
    assert_eq!(
        proxy.count("s3:GetObject"),
        1,
        "the slow download was not retried"
    );
}

/// A download that stops sending for `--aws-timeout` is abandoned and read
/// again, like one that breaks off.
#[tokio::test(flavor = "multi_thread")]
async fn a_download_that_gets_stuck_is_abandoned_and_read_again() {
    let (moto, env) = account("web", Delivery::S3).await;
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, nth| match (req.op.as_str(), nth) {
            ("s3:GetObject", 1) => Action::ForwardStuck(Duration::from_secs(30)),
            _ => Action::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let stderr = infer(&proxy, dir.path(), S3, &["--aws-timeout", "2"], &[])
        .ok()
        .stderr
        .clone();
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the stuck download was abandoned, not waited out"
    );
    as_without_faults(&stderr, dir.path(), &env, 1);
    assert_eq!(proxy.count("s3:GetObject"), 2);
}

/// The SDK retries a failed request, not a body that stops half-way: sgpair
/// reads the object again, and counts it once.
#[tokio::test(flavor = "multi_thread")]
async fn an_s3_download_that_breaks_off_is_read_again() {
    let (moto, env) = account("web", Delivery::S3).await;
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, nth| match (req.op.as_str(), nth) {
            ("s3:GetObject", 1) => Action::ForwardCut,
            _ => Action::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let stderr = infer(&proxy, dir.path(), S3, &[], &[]).ok().stderr.clone();
    as_without_faults(&stderr, dir.path(), &env, 1);
    assert_eq!(proxy.count("s3:GetObject"), 2);

    // Broken every time: the run fails and says so, and writes nothing.
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, _| match req.op.as_str() {
            "s3:GetObject" => Action::ForwardCut,
            _ => Action::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = infer(&proxy, dir.path(), S3, &[], &[]);
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the download broke off 3 times"),
        "{stderr}"
    );
    assert_eq!(proxy.count("s3:GetObject"), 3);
    assert!(snapshot(dir.path()).is_empty(), "nothing written");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_that_keeps_failing_is_reported_after_the_configured_attempts() {
    let (moto, _env) = account("web", Delivery::S3).await;
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, _| match req.op.as_str() {
            "s3:GetObject" => Action::Reply(Reply::s3(
                500,
                "InternalError",
                "We encountered an internal error. Please try again.",
            )),
            _ => Action::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    // The standard variable, honoured instead of sgpair's default of 8.
    let out = infer(&proxy, dir.path(), S3, &[], &[("AWS_MAX_ATTEMPTS", "3")]);
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.contains("s3:GetObject on s3://flow-logs/vpc/"),
        "{stderr}"
    );
    assert!(stderr.contains("failed: InternalError"), "{stderr}");
    assert!(
        stderr.contains("the service kept refusing after every retry (AWS_MAX_ATTEMPTS"),
        "{stderr}"
    );
    assert_eq!(
        proxy.count("s3:GetObject"),
        3,
        "exactly AWS_MAX_ATTEMPTS attempts"
    );
    assert!(snapshot(dir.path()).is_empty(), "nothing written");
}

/// CloudTrail's event history, which moto lacks (LookupEvents answers 500):
/// the proxy serves recorded answers, one per event name. The account's web
/// interface is deleted after its traffic; with `--history cloudtrail` its
/// creation event gives it back its groups, and its rules come back.
#[tokio::test(flavor = "multi_thread")]
async fn the_history_from_cloudtrail_gives_a_deleted_interface_its_groups() {
    let (moto, env) = account("web", Delivery::CloudWatch).await;
    let ec2 = aws_sdk_ec2::Client::new(&moto.config().await);
    ec2.delete_network_interface()
        .network_interface_id(&env.web_eni)
        .send()
        .await
        .unwrap();
    let at = |t: i64| {
        humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(t as u64))
            .to_string()
    };
    let create = serde_json::json!({
        "eventName": "CreateNetworkInterface", "eventTime": at(now() - 7200),
        "responseElements": {"networkInterface": {
            "networkInterfaceId": env.web_eni, "privateIpAddress": "10.0.1.10",
            "privateIpAddressesSet": {"item": [
                {"privateIpAddress": "10.0.1.10"}, {"privateIpAddress": "10.0.1.11"}
            ]},
            "groupSet": {"items": [{"groupId": env.web_sg}, {"groupId": env.agents_sg}]}
        }}
    });
    let delete = serde_json::json!({
        "eventName": "DeleteNetworkInterface", "eventTime": at(now() - 60),
        "requestParameters": {"networkInterfaceId": env.web_eni}
    });
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(move |req, _nth| {
            if req.op != "cloudtrail:LookupEvents" {
                return Action::Forward;
            }
            let body = req.body_text();
            let records: Vec<&serde_json::Value> = if body.contains("\"CreateNetworkInterface\"") {
                vec![&create]
            } else if body.contains("\"DeleteNetworkInterface\"") {
                vec![&delete]
            } else {
                vec![]
            };
            let events: Vec<serde_json::Value> = records
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    serde_json::json!({
                        "EventId": format!("event-{i}"),
                        "EventName": r["eventName"],
                        "CloudTrailEvent": r.to_string()
                    })
                })
                .collect();
            Action::Reply(Reply::json_ok(
                &serde_json::json!({ "Events": events }).to_string(),
            ))
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let source = ["--log-group", LOG_GROUP];
    infer(&proxy, dir.path(), source, &[], &[]).ok();
    let without = rules(dir.path());
    // Without history only monitoring → db, between the interfaces that
    // exist (to either of db's groups: with web gone both hold db alone):
    // the deleted interface's traffic is nobody's rule.
    assert!(
        matches!(
            without.as_slice(),
            [(s, t, 9100)] if *s == env.mon_sg && (*t == env.db_sg || *t == env.agents_sg)
        ),
        "{without:?}"
    );
    infer(
        &proxy,
        dir.path(),
        source,
        &["--history", "cloudtrail"],
        &[],
    )
    .ok();
    assert_eq!(rules(dir.path()), expected(&env));
    assert_eq!(
        proxy.count("cloudtrail:LookupEvents"),
        5,
        "one lookup per event name"
    );
    let report = read(dir.path().join("sgpair-report.md"));
    assert!(
        report.contains(&env.web_eni) && report.contains("(history)"),
        "the deletion is confirmed in the report: {report}"
    );
}

/// An event CloudWatch Logs returns without a message (the API's field is
/// optional) is a record skipped with its place, never dropped unsaid.
#[tokio::test(flavor = "multi_thread")]
async fn an_event_without_a_message_is_counted_as_skipped_with_its_place() {
    let (moto, env) = account("web", Delivery::CloudWatch).await;
    let web_stream = format!("{}-all", env.web_eni);
    let web = web_stream.clone();
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(move |req, _nth| {
            if req.op == "logs:FilterLogEvents" && stream_of(&req.body_text()) == web {
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis();
                return Action::Reply(Reply::json_ok(&format!(
                    r#"{{"events":[{{"logStreamName":"{web}","timestamp":{now_ms},"ingestionTime":{now_ms},"eventId":"e1"}}],"searchedLogStreams":[]}}"#
                )));
            }
            Action::Forward
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = infer(&proxy, dir.path(), LOGS, &[], &[]);
    let stderr = &out.ok().stderr;
    let place =
        format!("skipped (no message): {LOG_GROUP}/{web_stream}:1: an event without a message");
    assert!(stderr.contains(&place), "{stderr}");
    assert!(stderr.contains("skipped (no message: 1)"), "{stderr}");
}
