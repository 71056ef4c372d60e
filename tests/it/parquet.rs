//! Parquet flow logs through the binary: a file of several row groups gives
//! the outputs of its text twin byte for byte, whatever the number of
//! workers, and skipped rows are listed at their row numbers in the file.

use std::path::Path;

use crate::support::parquet::parquet;
use crate::support::run::{Run, infer, repo};
use crate::support::{Estate, read, rec, sgpair, v2_lines};

/// `sgpair infer` over the file `flows` in `dir`, with `--threads`, the JSON
/// report on stdout.
fn infer_flows(dir: &Path, threads: &str) -> Run {
    let run = infer(
        dir,
        &[Path::new("flows")],
        &dir.join("inventory.json"),
        &["--threads", threads, "--json"],
    );
    run.ok();
    run
}

#[test]
fn a_parquet_file_gives_the_outputs_of_its_text_twin() {
    let text = tempfile::tempdir().unwrap();
    sgpair([
        "generate",
        "--out",
        "flows",
        "--records",
        "20000",
        "--enis",
        "12",
        "--seed",
        "3",
        // A header line: the text twin declares its layout as the Parquet
        // file's column names do (no note that a default was assumed).
        "--header",
        "--inventory-out",
        "inventory.json",
    ])
    .cwd(text.path())
    .run()
    .ok();
    let text_file = read(text.path().join("flows"));
    let (header, lines) = text_file.split_once('\n').unwrap();
    assert!(header.starts_with("version account-id"), "{header}");
    let table = tempfile::tempdir().unwrap();
    // 2500 rows a group: eight row groups, read by several workers at once.
    std::fs::write(table.path().join("flows"), parquet(lines, 2500)).unwrap();
    std::fs::copy(
        text.path().join("inventory.json"),
        table.path().join("inventory.json"),
    )
    .unwrap();

    let want = infer_flows(text.path(), "2");
    assert!(
        want.stderr.contains("read 20000 records from 1 stream"),
        "{}",
        want.stderr
    );
    for threads in ["1", "3"] {
        let got = infer_flows(table.path(), threads);
        assert_eq!(got.tfvars(), want.tfvars(), "{threads} threads");
        assert_eq!(got.report(), want.report(), "{threads} threads");
        assert_eq!(
            got.stdout, want.stdout,
            "the JSON report, {threads} threads"
        );
        // Everything said but where the outputs went (each run its own folder).
        let said = |r: &Run| {
            r.stderr
                .lines()
                .filter(|l| !l.starts_with("wrote "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(said(&got), said(&want), "{threads} threads");
    }
}

#[test]
fn skipped_rows_are_listed_at_their_row_numbers() {
    // 23 records in row groups of 4; rows 3, 10 and 21 have a port out of
    // range, row 14 a source address that is none.
    let recs: Vec<_> = (0..23u16)
        .map(|i| match i + 1 {
            3 | 10 | 21 => rec("eni-a", "10.0.1.10", 0, "10.0.2.20", 5432),
            _ => rec("eni-a", "10.0.1.10", 40000 + i, "10.0.2.20", 5432),
        })
        .collect();
    let text = v2_lines(&recs)
        .lines()
        .enumerate()
        .map(|(i, l)| match i + 1 {
            3 | 10 | 21 => l.replacen(" 0 5432 ", " 70000 5432 ", 1),
            14 => l.replacen("10.0.1.10", "10.0.1.999", 1),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flows.parquet"), parquet(&text, 4)).unwrap();
    let inv = dir.path().join("inventory.json");
    Estate::new()
        .vpc("vpc-1", &["10.0.0.0/16"])
        .eni("eni-a", "vpc-1", &["10.0.1.10"], &["sg-app"])
        .eni("eni-b", "vpc-1", &["10.0.2.20"], &["sg-db"])
        .write(&inv);
    for threads in ["1", "3"] {
        let run = infer(
            dir.path(),
            &[Path::new("flows.parquet")],
            &inv,
            &["--threads", threads],
        );
        run.ok();
        let skipped: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("skipped ("))
            .collect();
        assert_eq!(
            skipped,
            [
                "skipped (bad address): flows.parquet:14: srcaddr is \"10.0.1.999\", which is not valid",
                "skipped (bad port): flows.parquet:3: srcport is \"70000\", which is not valid",
                "skipped (bad port): flows.parquet:10: srcport is \"70000\", which is not valid",
                "skipped (bad port): flows.parquet:21: srcport is \"70000\", which is not valid",
            ],
            "{threads} threads\n{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("read 23 records from 1 stream: 19 used as evidence"),
            "{}",
            run.stderr
        );
    }
}

/// 12 records of one connection (ports 40000..) as a Parquet file of three
/// row groups of four rows, the inventory beside it.
fn three_row_groups(dir: &Path) -> Vec<u8> {
    let recs: Vec<_> = (0..12u16)
        .map(|i| rec("eni-a", "10.0.1.10", 40000 + i, "10.0.2.20", 5432))
        .collect();
    Estate::new()
        .vpc("vpc-1", &["10.0.0.0/16"])
        .eni("eni-a", "vpc-1", &["10.0.1.10"], &["sg-app"])
        .eni("eni-b", "vpc-1", &["10.0.2.20"], &["sg-db"])
        .write(&dir.join("inventory.json"));
    parquet(&v2_lines(&recs), 4)
}

/// `sgpair infer` over `flows.parquet` in `dir`, with `extra`.
fn infer_file(dir: &Path, extra: &[&str]) -> Run {
    infer(
        dir,
        &[Path::new("flows.parquet")],
        &dir.join("inventory.json"),
        extra,
    )
}

#[test]
fn a_corrupt_row_group_is_an_error_naming_the_file_and_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = three_row_groups(dir.path());
    // The page header of row group 3's srcport column, overwritten.
    let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes)).unwrap();
    assert_eq!(meta.row_groups.len(), 3);
    let chunk = meta.row_groups[2]
        .columns_under_root_iter("srcport")
        .unwrap()
        .next()
        .unwrap();
    let start = chunk.byte_range().start as usize;
    bytes[start..start + 8].fill(0xff);
    std::fs::write(dir.path().join("flows.parquet"), &bytes).unwrap();

    for threads in ["1", "3"] {
        let run = infer_file(dir.path(), &["--threads", threads]);
        run.exits(1);
        assert!(
            run.stderr.contains(
                "flows.parquet: row group 3 of 3 (rows 9..12): cannot decode column srcport: page 1: "
            ),
            "{threads} threads\n{}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(!run.path("rules.auto.tfvars").exists(), "no output");
    }
    // --allow-partial: the other row groups are evidence, the file is
    // reported incomplete.
    let run = infer_file(dir.path(), &["--allow-partial"]);
    run.ok();
    assert!(
        run.stderr.contains(
            "warning: incomplete evidence (--allow-partial): flows.parquet: row group 3 of 3 (rows 9..12)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("read 8 records from 1 stream: 8 used as evidence"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_truncated_parquet_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = three_row_groups(dir.path());
    // Cut in the middle: the footer (the file's index) is gone, the magic
    // bytes at the start still say Parquet.
    bytes.truncate(bytes.len() / 2);
    std::fs::write(dir.path().join("flows.parquet"), &bytes).unwrap();
    let run = infer_file(dir.path(), &[]);
    run.exits(1);
    assert!(
        run.stderr
            .contains("flows.parquet: not a readable Parquet file"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// Whole numbers in 8- and 16-bit integer columns (AWS writes INT32 and
/// INT64; other writers use smaller types) are read as numbers, with the
/// outputs of the records as text; a column of a type sgpair cannot read
/// (DECIMAL) is an error naming the file, the column, its type and what was
/// expected, not polars' internals. Fixtures: tests/fixtures/parquet/make.py.
#[test]
fn small_integer_columns_are_read_and_an_unreadable_type_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = repo().join("tests/fixtures/parquet");
    let inventory = repo().join("sample-logs/inventory.json");
    let sample =
        read(repo().join("sample-logs/flow-logs/cloudwatch/eni-05bfd15c7d9ac1e2b-all.log"));
    let twin: String = sample.lines().take(50).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("twin.log"), twin).unwrap();
    let counts = |run: &Run| {
        run.stderr
            .lines()
            .find(|l| l.starts_with("read "))
            .unwrap_or_else(|| panic!("a count of records:\n{}", run.stderr))
            .to_string()
    };

    let text = infer(dir.path(), &[Path::new("twin.log")], &inventory, &[]);
    text.ok();
    let small = infer(
        dir.path(),
        &[&fixtures.join("small-ints.parquet")],
        &inventory,
        &[],
    );
    small.ok();
    assert_eq!(counts(&small), counts(&text));
    assert!(
        counts(&small).contains("read 50 records"),
        "{}",
        counts(&small)
    );
    assert_eq!(
        read(small.path("rules.auto.tfvars")),
        read(text.path("rules.auto.tfvars"))
    );

    let decimal = infer(
        dir.path(),
        &[&fixtures.join("decimal.parquet")],
        &inventory,
        &[],
    );
    decimal.exits(1);
    assert!(
        decimal.stderr.contains(
            "decimal.parquet: row group 1 of 1 (rows 1..50): cannot decode column dstport: its \
             type is Decimal(10, 0), which sgpair cannot read; expected whole numbers"
        ),
        "{}",
        decimal.stderr
    );
    assert!(!decimal.stderr.contains("panicked"), "{}", decimal.stderr);
}
