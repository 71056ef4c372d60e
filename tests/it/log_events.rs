//! CloudWatch Logs events as the AWS CLI prints them (`aws logs
//! filter-log-events ... > events.json`, `aws logs get-log-events`), given
//! with `--logs`: read as the flow-log lines their messages are, plain or
//! gzip, the same rules as the plain-text file of those lines; so are the
//! bare list `--query events` prints and what a subscription delivers
//! through Firehose to S3; an event without a message is skipped at its
//! number, and JSON that is not valid fails the run naming the file, line
//! and column.

use serde_json::{Value, json};

use crate::support::flows::Rec;
use crate::support::run::Run;
use crate::support::{Scenario, connection, lines, v2_lines};

const WEB: &str = "10.0.1.10";
const DB: &str = "10.0.2.20";
const CACHE: &str = "10.0.3.30";

/// Web → db on 5432 and web → cache on 6379, over a few minutes, logged at
/// the three interfaces (each its own log stream).
fn traffic() -> Vec<Rec> {
    let mut recs = Vec::new();
    for i in 0..6u16 {
        let t = crate::support::T0 + i64::from(i) * 300;
        let server = if i % 2 == 0 {
            (Some("eni-db"), DB, 5432)
        } else {
            (Some("eni-cache"), CACHE, 6379)
        };
        recs.extend(connection(
            (Some("eni-web"), WEB, 41_000 + i),
            server,
            t,
            i < 2,
        ));
    }
    recs
}

/// The estate of [`traffic`], with no log file yet.
fn scenario() -> Scenario {
    let mut s = Scenario::new();
    s.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group("sg-web", "web", "vpc-1")
        .group("sg-db", "db", "vpc-1")
        .group("sg-cache", "cache", "vpc-1")
        .eni("eni-web", "vpc-1", &[WEB], &["sg-web"])
        .eni("eni-db", "vpc-1", &[DB], &["sg-db"])
        .eni("eni-cache", "vpc-1", &[CACHE], &["sg-cache"]);
    s
}

/// An event of `filter-log-events` (`stream`: its `logStreamName`) or, without
/// a stream, of `get-log-events`.
fn event(stream: Option<&str>, message: &str, n: usize) -> Value {
    let t = 1_795_478_400_000_i64 + n as i64;
    let mut e = json!({"timestamp": t, "message": message, "ingestionTime": t + 4_000});
    if let Some(s) = stream {
        e["logStreamName"] = json!(s);
        e["eventId"] = json!(format!("{:056}", n));
    }
    e
}

/// `aws logs filter-log-events` of `messages` (log stream, message), as
/// the CLI prints it (indented; events of the streams interleaved).
fn filter_log_events(messages: &[(String, String)]) -> String {
    let events: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(n, (s, m))| event(Some(s), m, n))
        .collect();
    let doc = json!({"events": events, "searchedLogStreams": []});
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

/// `aws logs get-log-events` of one stream's `lines`.
fn get_log_events(lines: &str) -> String {
    let events: Vec<Value> = lines
        .lines()
        .enumerate()
        .map(|(n, m)| event(None, m, n))
        .collect();
    let doc = json!({"events": events, "nextForwardToken": "f/1", "nextBackwardToken": "b/1"});
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

/// Each record's line (`render` gives it) in its interface's log stream.
fn messages(recs: &[Rec], render: impl Fn(&Rec) -> String) -> Vec<(String, String)> {
    recs.iter()
        .map(|r| (format!("{}-all", r.eni), render(r)))
        .collect()
}

/// Each interface's records as a text file of its own, as the log streams
/// are files.
fn text_per_stream(s: &Scenario, recs: &[Rec]) {
    for eni in ["eni-web", "eni-db", "eni-cache"] {
        let mine: Vec<Rec> = recs.iter().filter(|r| r.eni == eni).cloned().collect();
        s.log(&format!("{eni}-all.log"), &v2_lines(&mine));
    }
}

/// The two runs give the same rules, byte for byte, and the same counts
/// of records (used, rejected, skipped by reason).
fn same_evidence(got: &Run, want: &Run) {
    got.ok();
    want.ok();
    assert_eq!(got.tfvars(), want.tfvars());
    let counts = |r: &Run| r.summary().split_once(": ").map(|(_, c)| c.to_string());
    assert_eq!(
        counts(got),
        counts(want),
        "{}\n{}",
        got.summary(),
        want.summary()
    );
    assert!(counts(got).is_some(), "{}", got.summary());
}

#[test]
fn filter_log_events_gives_the_rules_of_its_text_twin() {
    let recs = traffic();
    let doc = scenario();
    doc.log("events.json", &filter_log_events(&messages(&recs, Rec::v2)));
    let got = doc.run(&[]);
    let text = scenario();
    text_per_stream(&text, &recs);
    let want = text.run(&[]);
    same_evidence(&got, &want);
    assert_eq!(
        got.summary(),
        "read 24 records from 3 streams: 24 used as evidence, 0 rejected (not evidence), 0 skipped"
    );
    assert!(
        got.tfvars().contains("web-to-db-tcp-5432")
            && got.tfvars().contains("web-to-cache-tcp-6379"),
        "{}",
        got.tfvars()
    );
    // The default format is noted once, for the file.
    assert_eq!(
        got.stderr
            .matches("the default v2 format was assumed")
            .count(),
        1,
        "{}",
        got.stderr
    );
}

#[test]
fn get_log_events_gzip_gives_the_rules_of_its_text_twin() {
    let recs: Vec<Rec> = traffic()
        .into_iter()
        .filter(|r| r.eni == "eni-web")
        .collect();
    let doc = scenario();
    doc.log_gz("web-events", &get_log_events(&v2_lines(&recs)));
    let got = doc.run(&[]);
    let text = scenario();
    text.log("eni-web-all.log", &v2_lines(&recs));
    same_evidence(&got, &text.run(&[]));
    assert_eq!(
        got.summary(),
        "read 12 records from 1 stream: 12 used as evidence, 0 rejected (not evidence), 0 skipped"
    );
}

/// Pages of `filter-log-events` put together with `cat` read as the one
/// document of all their events.
#[test]
fn pages_put_together_read_as_one_document() {
    let all = messages(&traffic(), Rec::v2);
    let one = scenario();
    one.log("events.json", &filter_log_events(&all));
    let pages = scenario();
    let (first, rest) = all.split_at(10);
    pages.log(
        "events.json",
        &(filter_log_events(first) + &filter_log_events(rest)),
    );
    let got = pages.run(&[]);
    same_evidence(&got, &one.run(&[]));
    assert_eq!(
        got.summary(),
        "read 24 records from 3 streams: 24 used as evidence, 0 rejected (not evidence), 0 skipped"
    );
}

/// `aws logs filter-log-events --query events` prints the list of events
/// alone: each event of its own stream, as in the whole document.
#[test]
fn the_bare_list_of_events_reads_as_the_whole_document() {
    let all = messages(&traffic(), Rec::v2);
    let whole = scenario();
    whole.log("events.json", &filter_log_events(&all));
    let bare = scenario();
    let doc: Value = serde_json::from_str(&filter_log_events(&all)).unwrap();
    bare.log(
        "events.json",
        &serde_json::to_string_pretty(&doc["events"]).unwrap(),
    );
    let got = bare.run(&[]);
    same_evidence(&got, &whole.run(&[]));
    assert_eq!(
        got.summary(),
        "read 24 records from 3 streams: 24 used as evidence, 0 rejected (not evidence), 0 skipped"
    );
}

/// A subscription filter's delivery through Firehose to S3, as an object is
/// written without decompression: gzip members one after another, each a
/// document of one log stream's events, the first a control message; the
/// object's key has no extension. The same rules as the streams' text
/// files, the control message noted and not counted as a record.
#[test]
fn a_subscription_s_firehose_object_gives_the_rules_of_its_text_twin() {
    let recs = traffic();
    // The keys in the order CloudWatch Logs writes them (`json!` sorts them).
    let document = |kind: &str, group: &str, stream: &str, events: &[Value]| {
        format!(
            r#"{{"messageType":"{kind}","owner":"123456789012","logGroup":"{group}","logStream":"{stream}","subscriptionFilters":["to-s3"],"logEvents":{}}}"#,
            Value::from(events.to_vec())
        )
    };
    let control = json!({"id": "", "timestamp": 1,
        "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."});
    let mut object =
        crate::support::flows::gzip(document("CONTROL_MESSAGE", "", "", &[control]).as_bytes());
    for eni in ["eni-web", "eni-db", "eni-cache"] {
        let events: Vec<Value> = recs
            .iter()
            .filter(|r| r.eni == eni)
            .enumerate()
            .map(|(n, r)| json!({"id": format!("{n:056}"), "timestamp": 1, "message": r.v2()}))
            .collect();
        let doc = document("DATA_MESSAGE", "/vpc/flows", &format!("{eni}-all"), &events);
        object.extend(crate::support::flows::gzip(doc.as_bytes()));
    }
    let sub = scenario();
    sub.log_bytes("2026/11/24/00/flows-1-2026-11-24-00-00-00-0a1b", &object);
    let got = sub.run(&[]);
    let text = scenario();
    text_per_stream(&text, &recs);
    same_evidence(&got, &text.run(&[]));
    assert_eq!(
        got.summary(),
        "read 24 records from 3 streams: 24 used as evidence, 0 rejected (not evidence), 0 skipped"
    );
    assert!(
        got.stderr.contains(
            "flows-1-2026-11-24-00-00-00-0a1b: 1 event of CloudWatch Logs control messages not \
             read (a subscription's checks of its destination, not flow-log records)"
        ),
        "{}",
        got.stderr
    );
}

/// Every event counts: one without a message, or whose message is not a
/// string, is skipped at its number in the file, and the others are read.
#[test]
fn an_event_without_a_message_string_is_skipped_at_its_number() {
    let recs = traffic();
    let mut doc: Value =
        serde_json::from_str(&filter_log_events(&messages(&recs, Rec::v2))).unwrap();
    let events = doc["events"].as_array_mut().unwrap();
    events[1].as_object_mut().unwrap().remove("message");
    events[3]["message"] = json!(42);
    let s = scenario();
    s.log("events.json", &serde_json::to_string_pretty(&doc).unwrap());
    let run = s.run(&[]);
    run.ok();
    assert_eq!(
        run.summary(),
        "read 24 records from 3 streams: 22 used as evidence, 0 rejected (not evidence), 2 skipped (bad json: 2)"
    );
    for place in [
        "logs/events.json:2: an event without a \"message\"",
        "logs/events.json:4: an event whose \"message\" is a number, not a string",
    ] {
        assert!(run.stderr.contains(place), "{place}: {}", run.stderr);
    }
    assert!(
        run.tfvars().contains("web-to-db-tcp-5432"),
        "{}",
        run.tfvars()
    );
}

/// JSON that is not valid fails the run as a file that breaks off does:
/// the file, line and column, how far it was read, the way on, and no
/// output; with `--allow-partial` the events before it are evidence.
#[test]
fn json_that_is_not_valid_fails_naming_the_line_and_column() {
    let recs = traffic();
    let text = filter_log_events(&messages(&recs, Rec::v2));
    // The last event's `"ingestionTime": ...` loses its colon.
    let key = "\"ingestionTime\": ";
    let cut = text.rfind(key).unwrap();
    let broken = format!(
        "{}\"ingestionTime\" {}",
        &text[..cut],
        &text[cut + key.len()..]
    );
    let at = cut + key.len() - 1;
    let line = broken[..at].matches('\n').count() + 1;
    let column = at - broken[..at].rfind('\n').unwrap();
    let s = scenario();
    s.log("events.json", &broken);
    let place = format!(
        "logs/events.json:{line}:{column}: not valid JSON (read up to event 23): expected `:`"
    );

    let run = s.run(&[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains(&place), "{place}\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("(--allow-partial goes on with what was read"),
        "{}",
        run.stderr
    );
    assert!(
        !run.path("rules.auto.tfvars").exists(),
        "no output from a broken file"
    );

    let run = s.run(&["--allow-partial"]);
    run.ok();
    assert!(
        run.stderr.lines().any(|l| l
            .strip_prefix("warning: incomplete evidence (--allow-partial): ")
            .is_some_and(|w| w.ends_with(&place))),
        "{place}\n{}",
        run.stderr
    );
    assert!(
        run.summary()
            .starts_with("read 23 records from 3 streams: 23 used"),
        "{}",
        run.summary()
    );
    assert!(
        run.tfvars().contains("web-to-cache-tcp-6379"),
        "{}",
        run.tfvars()
    );
}

/// A custom format reads as in a text file: from a header line in a
/// message (the layout of the events after it), or from `--log-format`,
/// without which the note says how to give it.
#[test]
fn a_custom_format_reads_as_in_a_text_file() {
    let recs = traffic();
    let names = "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags account-id vpc-id";
    let given = names
        .split(' ')
        .map(|f| format!("${{{f}}}"))
        .collect::<Vec<_>>()
        .join(" ");
    let text = scenario();
    text.log("flows.log", &lines(&recs, names, true));
    let want = text.run(&[]);

    let mut headed = vec![("eni-web-all".to_string(), names.to_string())];
    headed.extend(messages(&recs, |r| r.render(names)));
    let doc = scenario();
    doc.log("events.json", &filter_log_events(&headed));
    let got = doc.run(&[]);
    same_evidence(&got, &want);
    assert!(!got.stderr.contains("format was assumed"), "{}", got.stderr);

    let bare = scenario();
    bare.log(
        "events.json",
        &filter_log_events(&messages(&recs, |r| r.render(names))),
    );
    same_evidence(&bare.run(&["--log-format", &given]), &want);
    let run = bare.run(&["--allow-empty"]);
    run.ok();
    assert!(
        run.stderr.contains(
            "logs/events.json: no header line and no --log-format: the default v2 format was \
             assumed, but its first record has 15 fields, not v2's 14: if its flow log has a \
             custom format, give that format's fields with --log-format"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.summary()
            .ends_with("24 skipped (wrong field count: 24)"),
        "{}",
        run.summary()
    );
}

/// What Windows PowerShell 5.1 saves with `>` is UTF-16: a flow-log file
/// or a document of events saved so is read as its UTF-8 twin (the same
/// rules and counts), in either byte order, plain or gzipped, with a note
/// that says so.
#[test]
fn utf16_files_read_as_their_utf8_twins() {
    let recs = traffic();
    let text = scenario();
    text_per_stream(&text, &recs);
    let want = text.run(&[]);
    for (big_endian, gzipped) in [(false, false), (true, false), (false, true)] {
        let doc = scenario();
        doc.log_utf16(
            "events.json",
            &filter_log_events(&messages(&recs, Rec::v2)),
            big_endian,
            gzipped,
        );
        let got = doc.run(&[]);
        same_evidence(&got, &want);
        assert!(
            got.stderr.contains(
                "events.json: UTF-16 text (as Windows PowerShell 5.1's > writes it), read as UTF-8"
            ),
            "{}",
            got.stderr
        );
        let lines = scenario();
        for eni in ["eni-web", "eni-db", "eni-cache"] {
            let mine: Vec<Rec> = recs.iter().filter(|r| r.eni == eni).cloned().collect();
            lines.log_utf16(
                &format!("{eni}-all.log"),
                &v2_lines(&mine),
                big_endian,
                gzipped,
            );
        }
        same_evidence(&lines.run(&[]), &want);
    }
}
