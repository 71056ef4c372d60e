//! A corpus of bad inputs, each with its expected outcome: a clear message
//! that names the file and line, a count, the run going on where that is safe
//! and a non-zero exit (and no output file) where it is not. Never a panic.

use crate::support::flows::gzip;
use crate::support::{Run, UNTIL, UNTIL_T, V2, rec, sgpair};

const HEADER: &str = V2;
const T: i64 = UNTIL_T - 3 * 86_400; // inside the 7-day window ending at UNTIL

fn good(i: u16) -> String {
    rec("eni-web", "10.0.1.10", 40000 + i, "10.0.2.20", 5432)
        .at(T)
        .account("1")
        .counts(5, 500)
        .v2()
}

fn run(files: &[(&str, Vec<u8>)], extra: &[&str]) -> Run {
    run_with(
        |logs| {
            for (name, bytes) in files {
                std::fs::write(logs.join(name), bytes).unwrap();
            }
        },
        extra,
    )
}

/// Runs `infer` on a `logs/` folder that `setup` fills, in a temporary
/// folder that gets the outputs.
fn run_with(setup: impl FnOnce(&std::path::Path), extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    setup(&dir.path().join("logs"));
    std::fs::write(
        dir.path().join("inventory.json"),
        r#"{"network_interfaces": [
            {"id": "eni-web", "addresses": ["10.0.1.10"], "security_groups": ["sg-web"]},
            {"id": "eni-db", "addresses": ["10.0.2.20"], "security_groups": ["sg-db"]}],
           "security_groups": [{"id": "sg-web", "name": "web"}, {"id": "sg-db", "name": "db"}]}"#,
    )
    .unwrap();
    sgpair([
        "infer",
        "--logs",
        "logs",
        "--inventory",
        "inventory.json",
        "--since",
        "7d",
        "--until",
        UNTIL,
    ])
    .args(extra)
    .cwd(dir.path())
    .run_with(dir)
}

fn text(lines: &[String]) -> Vec<u8> {
    (lines.join("\n") + "\n").into_bytes()
}

fn tfvars(r: &Run) -> Option<String> {
    std::fs::read_to_string(r.path("rules.auto.tfvars")).ok()
}

#[test]
fn truncated_gzip_fails_naming_the_file_and_writes_nothing() {
    let lines: Vec<String> = (0..2000).map(good).collect();
    let mut gz = gzip(&text(&lines));
    gz.truncate(gz.len() / 2);
    let r = run(&[("cut.log.gz", gz)], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("cut.log.gz:")
            && r.stderr.contains("cannot read further (read up to line "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("(--allow-partial goes on with what was read"),
        "the way on is named: {}",
        r.stderr
    );
    assert!(tfvars(&r).is_none(), "no output from incomplete evidence");
}

/// What follows the gzip data is read as `gzip -d` reads it: zero padding
/// is ignored, other bytes are ignored with a note, and a member that
/// starts there and breaks off fails the run at the line after the last
/// one read, whatever the threads (it said :1 or :51 by chance).
#[test]
fn bytes_after_the_gzip_data_are_read_as_gzip_reads_them() {
    let gz = gzip(&text(&[good(1), good(2)]));
    let with = |tail: &[u8]| [gz.as_slice(), tail].concat();
    let r = run(&[("pad.log.gz", with(&[0; 512]))], &[]);
    assert!(r.success(), "{}", r.stderr);
    assert!(r.stderr.contains("2 used as evidence"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("after the end of its gzip data"),
        "{}",
        r.stderr
    );

    let r = run(&[("junk.log.gz", with(b"\0\0not gzip\n"))], &[]);
    assert!(r.success(), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "note: logs/junk.log.gz: 11 bytes after the end of its gzip data are not gzip and \
             were ignored"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("2 used as evidence"), "{}", r.stderr);

    for threads in ["1", "2", "2", "2"] {
        let r = run(
            &[
                ("a-cut.log.gz", with(&[0x1f, 0x8b, 0x08])),
                ("b.log", text(&[good(3)])),
            ],
            &["--threads", threads],
        );
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(
            r.stderr
                .contains("logs/a-cut.log.gz:3: cannot read further"),
            "--threads {threads}: {}",
            r.stderr
        );
    }
}

#[test]
fn binary_garbage_is_counted_line_by_line_and_the_run_goes_on() {
    let mut garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    garbage.extend_from_slice(b"\n");
    let r = run(
        &[("a-garbage.bin", garbage), ("b-good.log", text(&[good(1)]))],
        &[],
    );
    assert!(r.success(), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("skipped (wrong field count): logs/a-garbage.bin:1:"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("1 used as evidence"), "{}", r.stderr);
    assert!(tfvars(&r).unwrap().contains("web-to-db-tcp-5432"));
}

#[test]
fn a_header_with_unknown_fields_is_noted_and_its_known_fields_are_read() {
    let lines = vec![format!("{HEADER} colour"), format!("{} blue", good(1))];
    let r = run(&[("x.log", text(&lines))], &[]);
    assert!(r.success(), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "logs/x.log:1: the header names columns that are not flow-log fields (colour)"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("1 used as evidence"), "{}", r.stderr);
}

#[test]
fn each_kind_of_malformed_record_is_counted_with_its_place() {
    let lines = vec![
        HEADER.to_string(),
        good(1),
        "2 1 eni-web 10.0.1.10 10.0.2.20 40000 5432 6".into(), // too few
        format!("{} extra", good(2)),                          // too many
        format!(
            "2 1 eni-web 10.0.1.10 10.0.2.20 70000 5432 6 5 500 {T} {} ACCEPT OK",
            T + 60
        ), // port
        format!(
            "2 1 eni-web 10.0.1.10 10.0.2.20 40000 5432 300 5 500 {T} {} ACCEPT OK",
            T + 60
        ), // protocol
        format!(
            "2 1 eni-web 10.0.1.10 10.0.2.20 40000 5432 6 5 99999999999999999999 {T} {} ACCEPT OK",
            T + 60
        ), // > u64
        format!(
            "2 1 eni-web 10.0.1.999 10.0.2.20 40000 5432 6 5 500 {T} {} ACCEPT OK",
            T + 60
        ), // address
        format!(
            "2 1 eni-web 10.0.1.10 10.0.2.20 40000 5432 6 5 500 {T} {} MAYBE OK",
            T + 60
        ), // action
        format!(
            "2 1 eni-web - 10.0.2.20 40000 5432 6 5 500 {T} {} ACCEPT OK",
            T + 60
        ), // '-' in traffic
    ];
    let r = run(&[("m.log", text(&lines))], &[]);
    assert!(r.success(), "{}", r.stderr);
    for (kind, line) in [
        ("wrong field count", 3),
        ("wrong field count", 4),
        ("bad port", 5),
        ("bad number", 6),
        ("bad number", 7),
        ("bad address", 8),
        ("bad action or status", 9),
        ("missing field", 10),
    ] {
        assert!(
            r.stderr
                .contains(&format!("skipped ({kind}): logs/m.log:{line}:")),
            "{kind} at {line}: {}",
            r.stderr
        );
    }
    assert!(
        r.stderr.contains("read 9 records from 1 stream: 1 used as evidence, 0 rejected (not evidence), 8 skipped (bad action or status: 1, bad address: 1, bad number: 2, bad port: 1, missing field: 1, wrong field count: 2)"),
        "{}",
        r.stderr
    );
}

/// An `end` far past its `start` (AWS aggregates a record over at most
/// 600 s) is not evidence: taken as such it dated the connection's last use
/// in the year 5138 and kept its rule alive for ever under `--state`.
#[test]
fn a_record_longer_than_a_capture_interval_is_a_bad_time() {
    let far = rec("eni-web", "10.0.1.10", 41890, "10.0.2.20", 5432)
        .at(T)
        .account("1")
        .v2()
        .replacen(&format!(" {} ACCEPT", T + 60), " 99999999999 ACCEPT", 1);
    assert!(far.contains(" 99999999999 ACCEPT"), "{far}");
    let r = run(&[("f.log", text(&[good(1), far]))], &[]);
    assert!(r.success(), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("skipped (bad time): logs/f.log:2: end 99999999999 (5138-11-16T09:46:39Z)")
            && r.stderr.contains("longer than any capture interval"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("1 used as evidence"), "{}", r.stderr);
    // The evidence ends with the good record's end, not in the year 5138.
    let report = std::fs::read_to_string(r.path("sgpair-report.md")).unwrap();
    let evidence = report
        .lines()
        .find(|l| l.starts_with("- **Evidence:**"))
        .unwrap_or_else(|| panic!("an evidence line:\n{report}"));
    assert!(
        evidence.contains("to 2026-11-22T00:01:00Z in 1 source"),
        "{evidence}"
    );
}

/// A UTF-8 byte-order mark before the header line (an editor's, a Windows
/// export's), plain or gzip: the header is still the header. Here its
/// columns are in another order than v2's, so a header read as a record
/// would leave every line in the wrong layout.
#[test]
fn a_byte_order_mark_before_the_header_is_not_part_of_it() {
    let v2: Vec<&str> = HEADER.split(' ').collect();
    // account-id first, version second.
    let mut order = v2.clone();
    order.swap(0, 1);
    let swap = |line: String| {
        let mut f: Vec<String> = line.split(' ').map(String::from).collect();
        f.swap(0, 1);
        f.join(" ")
    };
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(text(&[order.join(" "), swap(good(1)), swap(good(2))]));
    let r = run(
        &[
            ("plain.log", bytes.clone()),
            ("packed.log.gz", gzip(&bytes)),
        ],
        &[],
    );
    assert!(r.success(), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("read 4 records from 2 streams: 4 used as evidence"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("skipped ("), "{}", r.stderr);
}

/// The web → db inventory of `good`'s records, web's interface in
/// `web_groups` (a JSON list's items), as JSON after `prefix`.
fn web_db_inventory(prefix: &str, web_groups: &str) -> String {
    format!(
        "{prefix}{{\"network_interfaces\": [{{\"id\": \"eni-web\", \"addresses\": \
         [\"10.0.1.10\"], \"security_groups\": [{web_groups}]}}, {{\"id\": \"eni-db\", \
         \"addresses\": [\"10.0.2.20\"], \"security_groups\": [\"sg-db\"]}}], \
         \"security_groups\": [{{\"id\": \"sg-web\", \"name\": \"web\"}}, \
         {{\"id\": \"sg-db\", \"name\": \"db\"}}]}}"
    )
}

/// `infer` over one good record with `inventory` (JSON text).
fn infer_with_inventory(inventory: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.log"), text(&[good(1)])).unwrap();
    std::fs::write(dir.path().join("inventory.json"), inventory).unwrap();
    sgpair([
        "infer",
        "--logs",
        "f.log",
        "--inventory",
        "inventory.json",
        "--since",
        "7d",
        "--until",
        UNTIL,
    ])
    .cwd(dir.path())
    .run_with(dir)
}

/// An inventory saved with a byte-order mark is read as without one.
#[test]
fn an_inventory_with_a_byte_order_mark_is_read() {
    let r = infer_with_inventory(&web_db_inventory("\u{feff}", "\"sg-web\""));
    assert!(r.success(), "{}", r.stderr);
    assert!(tfvars(&r).unwrap().contains("web-to-db-tcp-5432"));
}

/// An interface that lists a group the inventory does not describe (a
/// stale snapshot, another account's group): the run goes on and says
/// which group, on which interface, and what to do.
#[test]
fn a_group_the_inventory_does_not_describe_is_named_with_its_interface() {
    let r = infer_with_inventory(&web_db_inventory("", "\"sg-web\", \"sg-gone\""));
    assert!(r.success(), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "note: the inventory does not describe 1 group its interfaces list: sg-gone (on eni-web); their rules are unknown"
        ),
        "{}",
        r.stderr
    );
}

/// A line past 1 MiB is no record: skipped to its end without being held
/// whole (a 4 MB gzip of a gigabyte of one line took 2 GB), counted with
/// its place; the lines after it keep their numbers. One of 1.5 MiB, which
/// a block may hold whole, and one of 3 MiB, which it cannot, alike.
#[test]
fn a_line_longer_than_a_mebibyte_is_skipped_with_its_place() {
    let lines = vec![
        good(1),
        "A".repeat(3 << 20),
        good(2),
        "B".repeat(3 << 19),
        good(3),
        "C".repeat(3 << 20),
    ];
    let r = run(&[("long.log.gz", gzip(&text(&lines)))], &[]);
    assert!(r.success(), "{}", r.stderr);
    for line in [2, 4, 6] {
        assert!(
            r.stderr.contains(&format!(
                "skipped (line too long): logs/long.log.gz:{line}: a line longer than 1048576 bytes"
            )),
            "line {line}: {}",
            r.stderr
        );
    }
    assert!(
        r.stderr.contains("read 6 records from 1 stream: 3 used as evidence, 0 rejected (not evidence), 3 skipped (line too long: 3)"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_empty_file_and_a_blank_file_are_read_as_nothing() {
    let r = run(
        &[
            ("empty.log", vec![]),
            ("blank.log", b"\n\n  \n".to_vec()),
            ("z.log", text(&[good(1)])),
        ],
        &[],
    );
    assert!(r.success(), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("read 1 record from 3 streams: 1 used as evidence"),
        "{}",
        r.stderr
    );
}

/// No accepted record in the window: the run fails and leaves the proposal
/// of the run before untouched (an empty one, applied, would close every
/// rule it replaced), and says why for each way a window comes out empty.
#[test]
fn a_run_without_evidence_fails_and_keeps_the_last_proposal() {
    let before = "# the last run's proposal\nrules = { kept = {} }\n";
    let outside = rec("eni-web", "10.0.1.10", 40001, "10.0.2.20", 5432)
        .at(UNTIL_T - 30 * 86_400)
        .account("1")
        .counts(5, 500)
        .v2();
    let rejected = rec("eni-web", "10.0.1.10", 40002, "10.0.2.20", 5432)
        .at(T)
        .account("1")
        .counts(5, 500)
        .reject()
        .v2();
    for (files, says) in [
        (vec![("empty.log", vec![])], "no record was read at all"),
        (
            vec![("junk.log", b"not a flow log\n".to_vec())],
            "skipped: logs/junk.log:1:",
        ),
        (
            vec![("mix.log", text(&[rejected.clone(), outside.clone()]))],
            "the window holds rejected records only; 1 record lies outside the window",
        ),
        (
            vec![("old.log", text(&[outside]))],
            "1 record lies outside the window (those read run from 2026-10-26T00:00:00Z to \
             2026-10-26T00:01:00Z): check --since and --until",
        ),
        (
            vec![("rej.log", text(&[rejected]))],
            "the window holds rejected records only",
        ),
    ] {
        let r = run_with(
            |logs| {
                for (name, bytes) in &files {
                    std::fs::write(logs.join(name), bytes).unwrap();
                }
                std::fs::write(logs.parent().unwrap().join("rules.auto.tfvars"), before).unwrap();
            },
            &[],
        );
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        assert!(
            r.stderr
                .contains("error: no evidence: not one accepted record in the window")
                && r.stderr.contains(says)
                && r.stderr.contains("--allow-empty"),
            "{says}: {}",
            r.stderr
        );
        assert_eq!(tfvars(&r).as_deref(), Some(before), "{says}");
        assert!(!r.path("sgpair-report.md").exists(), "{says}: no report");
    }
}

/// An inventory of another account, region or time knows none of the
/// interfaces that captured the logs: no group is known, so the run fails
/// and keeps the last proposal; one interface it knows is enough to go on.
#[test]
fn an_inventory_that_knows_none_of_the_logs_interfaces_fails_the_run() {
    let before = "# the last run's proposal\nrules = { kept = {} }\n";
    let stranger = rec("eni-stranger", "10.9.1.10", 40000, "10.9.2.20", 5432)
        .at(T)
        .account("1")
        .counts(5, 500)
        .v2();
    let r = run_with(
        |logs| {
            std::fs::write(logs.join("s.log"), text(std::slice::from_ref(&stranger))).unwrap();
            std::fs::write(logs.parent().unwrap().join("rules.auto.tfvars"), before).unwrap();
        },
        &[],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "error: the inventory (inventory.json) does not know the interface that \
             captured the logs (eni-stranger): it holds 2 other interfaces"
        ) && r.stderr.contains("--allow-empty"),
        "{}",
        r.stderr
    );
    assert_eq!(tfvars(&r).as_deref(), Some(before));

    let r = run(
        &[("s.log", text(std::slice::from_ref(&stranger)))],
        &["--allow-empty"],
    );
    assert!(r.success(), "{}", r.stderr);
    assert!(tfvars(&r).unwrap().contains("rules = {}"));

    let r = run(&[("s.log", text(&[stranger, good(1)]))], &[]);
    assert!(r.success(), "{}", r.stderr);
    assert!(tfvars(&r).unwrap().contains("web-to-db-tcp-5432"));
}

/// `--allow-empty`: the same empty window writes its empty proposal.
#[test]
fn allow_empty_writes_the_empty_proposal() {
    let r = run(&[("empty.log", vec![])], &["--allow-empty"]);
    assert!(r.success(), "{}", r.stderr);
    let written = tfvars(&r).expect("the empty proposal");
    let body = hcl::from_str::<hcl::Body>(&written).expect("tfvars parse as HCL");
    let rules = body
        .attributes()
        .find(|a| a.key.as_str() == "rules")
        .expect("a rules attribute");
    assert_eq!(
        rules.expr,
        hcl::Expression::Object(hcl::Object::new()),
        "{written}"
    );
    assert!(r.stderr.contains("0 used as evidence"), "{}", r.stderr);
}

#[test]
fn a_bad_window_or_format_is_a_usage_error_before_any_reading() {
    let dir = tempfile::tempdir().unwrap();
    let out = sgpair([
        "infer",
        "--logs",
        "z.log",
        "--inventory",
        "inventory.json",
        "--since",
        "a week",
    ])
    .cwd(dir.path())
    .run();
    let stderr = &out.stderr;
    // A bad value is a usage error (exit code 2), in clap's words.
    assert_eq!(out.code, Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'a week' for '--since <SINCE>'") && stderr.contains("7d"),
        "{stderr}"
    );
    let r = run(
        &[("z.log", text(&[good(1)]))],
        &["--log-format", "srcaddr dstaddr"],
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the format lacks srcport, dstport, protocol, start, action"),
        "{}",
        r.stderr
    );
    assert!(tfvars(&r).is_none());
}

#[test]
fn a_broken_inventory_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.log"), text(&[good(1)])).unwrap();
    std::fs::write(
        dir.path().join("inventory.json"),
        "{\n  \"network_interfaces\": [\n    {\"id\": 7}\n  ]\n}",
    )
    .unwrap();
    let out = sgpair(["infer", "--logs", "f.log", "--inventory", "inventory.json"])
        .cwd(dir.path())
        .run();
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(stderr.contains("inventory.json:3:"), "{stderr}");
}

/// A file that is listed but gone when its turn comes. A dangling link is
/// listed and then fails to open as a file deleted between the listing and
/// the reading does, named as a dangling link (src/pipeline.rs tests a
/// deleted file and a file truncated while open, with real files and no
/// link).
#[cfg(unix)]
#[test]
fn a_listed_file_that_is_gone_when_read_fails_the_run_or_is_missing() {
    let setup = |logs: &std::path::Path| {
        std::fs::write(logs.join("a.log"), text(&[good(1)])).unwrap();
        std::os::unix::fs::symlink(logs.join("deleted.log"), logs.join("b.log")).unwrap();
    };
    let r = run_with(setup, &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot open logs/b.log: it is a symbolic link to ")
            && r.stderr
                .contains("/logs/deleted.log, which does not exist (a dangling link)"),
        "{}",
        r.stderr
    );
    assert!(tfvars(&r).is_none(), "no output from incomplete evidence");

    let r = run_with(setup, &["--allow-partial"]);
    assert!(r.success(), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning: incomplete evidence (--allow-partial): cannot open logs/b.log"),
        "{}",
        r.stderr
    );
    assert!(tfvars(&r).unwrap().contains("web-to-db-tcp-5432"));
}

/// A FIFO in a `--logs` folder is skipped and counted with what it is:
/// opened, it waited for ever for a writer.
#[cfg(unix)]
#[test]
fn a_fifo_in_a_logs_folder_is_skipped_and_counted() {
    let r = run_with(
        |logs| {
            std::fs::write(logs.join("a.log"), text(&[good(1)])).unwrap();
            let made = std::process::Command::new("mkfifo")
                .arg(logs.join("b.pipe"))
                .status();
            assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        },
        &[],
    );
    assert!(r.success(), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "skipped (not a file): logs/b.pipe:0: a FIFO (named pipe) in a --logs folder, not a \
             file of flow logs"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("1 used as evidence"), "{}", r.stderr);
}

#[test]
fn allow_partial_keeps_what_was_read_and_says_what_is_missing() {
    let lines: Vec<String> = (0..2000).map(good).collect();
    let mut gz = gzip(&text(&lines));
    gz.truncate(gz.len() / 2);
    let other = format!(
        "2 1 eni-web 10.0.1.10 10.0.2.20 41000 6379 6 5 500 {T} {} ACCEPT OK",
        T + 60
    );
    let r = run(
        &[("cut.log.gz", gz), ("whole.log", text(&[other]))],
        &["--allow-partial"],
    );
    assert!(r.success(), "{}", r.stderr);
    assert_eq!(
        r.stderr
            .matches("warning: incomplete evidence (--allow-partial): logs/cut.log.gz:")
            .count(),
        1,
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("; INCOMPLETE: 1 source could not be read in full"),
        "{}",
        r.stderr
    );
    // The place says how far the file was read: its records up to there,
    // and the other file's one, are the records read.
    let upto: u64 = r
        .stderr
        .split("cannot read further (read up to line ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the place read up to is said: {}", r.stderr));
    assert!(
        r.stderr
            .contains(&format!("read {} records from 2 streams", upto + 1)),
        "{}",
        r.stderr
    );
    let report = r.file("sgpair-report.md");
    assert!(
        report.contains(
            "- **Incomplete evidence:** 1 source could not be read in full (--allow-partial)"
        ),
        "{report}"
    );
    // The lines decoded before the break are evidence, and so is the other file.
    let t = tfvars(&r).unwrap();
    assert!(
        t.contains("web-to-db-tcp-5432") && t.contains("web-to-db-tcp-6379"),
        "{t}"
    );
    let used: u64 = r
        .stderr
        .split("records from 2 streams: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(used > 100, "most of the cut file was read: {}", r.stderr);
}
