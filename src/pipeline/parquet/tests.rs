//! Typed rows take the checks of text lines: the same evidence and the same
//! counts, each skip at its row number; nulls, wrong column types and values
//! out of range are counted as malformed with the file and the row.

use polars::prelude::{Column, DataFrame, ParquetCompression, ParquetWriter};

use super::*;
use crate::sources::parquet::ParquetFile;

const NAME: &str = "flows.parquet";

/// The v2 fields with the types AWS writes them in (Parquet INT_32, INT_64
/// or STRING); `-` is a null.
fn aws_columns(lines: &[&'static str]) -> Vec<Column> {
    let names = crate::parse::format::DEFAULT_V2.split(' ');
    let rows: Vec<Vec<&'static str>> = lines.iter().map(|l| l.split(' ').collect()).collect();
    names
        .enumerate()
        .map(|(i, name)| {
            let name = name.replace('-', "_");
            let cell = |r: &Vec<&'static str>| Some(r[i]).filter(|v| *v != "-");
            match name.as_str() {
                "version" | "srcport" | "dstport" | "protocol" => Column::new(
                    name.into(),
                    rows.iter()
                        .map(|r| cell(r).map(|v| v.parse::<i32>().unwrap()))
                        .collect::<Vec<_>>(),
                ),
                "packets" | "bytes" | "start" | "end" => Column::new(
                    name.into(),
                    rows.iter()
                        .map(|r| cell(r).map(|v| v.parse::<i64>().unwrap()))
                        .collect::<Vec<_>>(),
                ),
                _ => Column::new(
                    name.into(),
                    rows.iter()
                        .map(|r| cell(r).map(str::to_string))
                        .collect::<Vec<_>>(),
                ),
            }
        })
        .collect()
}

/// A Parquet file of these columns, `group` rows per row group.
fn parquet(columns: Vec<Column>, group: usize) -> Vec<u8> {
    let mut df = DataFrame::new_infer_height(columns).unwrap();
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .with_compression(ParquetCompression::Zstd(None))
        .with_row_group_size(Some(group))
        .finish(&mut df)
        .unwrap();
    buf
}

/// Every row group of a Parquet file through a [`RowLayout`], in order.
fn read_rows(bytes: Vec<u8>) -> (String, Stats, usize) {
    let file = ParquetFile::from_bytes(NAME.into(), bytes).unwrap();
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    let opts = ReadOptions::new(Window::ALL);
    let layout = RowLayout::new(NAME, &file.columns(), &opts, &mut stats).unwrap();
    for g in 0..file.row_groups() {
        let batch = file.read(g, layout.columns()).unwrap();
        layout.read(&batch, &mut agg, &mut stats);
    }
    (format!("{:?}", agg.finish()), stats, file.row_groups())
}

/// The same lines as text, under a header-given v2 layout.
fn read_text(lines: &[&str]) -> (String, Stats) {
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    let opts = ReadOptions::new(Window::ALL);
    let mut format = Format::default_v2();
    format.origin = FormatOrigin::Header;
    let mut reader = LineReader::new(NAME.into(), &opts, Some(format), &mut stats);
    for (i, l) in lines.iter().enumerate() {
        reader.line(l.as_bytes(), i as u64 + 1, &mut agg, &mut stats);
    }
    reader.flush(&mut stats);
    (format!("{:?}", agg.finish()), stats)
}

/// Good records, NODATA and SKIPDATA, and one of each malformed value a
/// typed column can hold.
const LINES: &[&str] = &[
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 40001 5432 6 10 840 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-b 10.0.2.20 10.0.1.10 5432 40001 6 10 1840 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-a 203.0.113.9 10.0.1.10 51000 22 6 1 40 1795000100 1795000160 REJECT OK",
    "2 123456789012 eni-a - - - - - - - 1795000000 1795000060 - NODATA",
    "2 123456789012 eni-b - - - - - - - 1795000000 1795000060 - SKIPDATA",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 70000 5432 6 10 840 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 -1 5432 6 10 840 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 40001 5432 300 10 840 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 40001 5432 6 10 840 999999999999999 999999999999999 ACCEPT OK",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 40001 5432 6 10 840 1795000060 1795000000 ACCEPT OK",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 40001 5432 6 9007199254740993 840 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-a - 10.0.2.20 40001 5432 6 10 840 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.999 40001 5432 6 10 840 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 40001 5432 6 10 840 1795000000 1795000060 MAYBE OK",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 40001 5432 6 10 840 1795000000 1795000060 ACCEPT LOST",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 8 300 1 1 84 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-a 10.0.1.10 10.0.2.20 40001 5432 6 10 - 1795000000 - ACCEPT OK",
    "2 123456789012 eni-c 2001:db8::1 2001:db8::2 40002 443 6 3 300 1795000000 1795000060 ACCEPT OK",
    "2 123456789012 eni-c 10.0.3.3 10.0.3.3 40003 443 6 3 300 1795000000 1795000060 ACCEPT OK",
];

#[test]
fn typed_rows_give_what_their_text_lines_give() {
    let (text, text_stats) = read_text(LINES);
    for group in [1, 4, LINES.len()] {
        let (rows, stats, groups) = read_rows(parquet(aws_columns(LINES), group));
        // polars' writer may merge a short last group into the one before.
        assert!(groups > 1 || group == LINES.len(), "{groups} row groups");
        assert_eq!(rows, text, "evidence, {group} rows a group");
        assert_eq!(stats.records, LINES.len() as u64);
        assert_eq!(stats.records, text_stats.records);
        assert_eq!(
            (stats.used, stats.rejected),
            (text_stats.used, text_stats.rejected)
        );
        assert_eq!(stats.skipped, text_stats.skipped, "{group} rows a group");
        assert_eq!(stats.examples, text_stats.examples, "{group} rows a group");
        assert_eq!(stats.streams, text_stats.streams);
        assert_eq!(stats.interfaces, text_stats.interfaces);
        assert_eq!(stats.notes, text_stats.notes);
        assert_eq!(stats.files, 1);
    }
    // The places are row numbers, from 1 in the file.
    let (_, stats, _) = read_rows(parquet(aws_columns(LINES), 4));
    let bad_port = &stats.examples["bad port"];
    assert_eq!(
        bad_port[0],
        "flows.parquet:6: srcport is \"70000\", which is not valid"
    );
    assert_eq!(
        bad_port[1],
        "flows.parquet:7: srcport is \"-1\", which is not valid"
    );
    assert_eq!(
        stats.examples["missing field"],
        vec!["flows.parquet:12: srcaddr is '-' in a record with traffic"]
    );
}

/// Text columns come two ways: as keys into a dictionary of their values
/// (each address in it read once), or each row's text (a writer falls back
/// to that when a chunk's values are mostly distinct). Both give the text
/// lines' evidence and counts, the bad address included.
#[test]
fn dictionary_and_plain_text_columns_read_alike() {
    // 300 rows: every source address distinct (polars writes that column
    // plain), a few destinations (written as a dictionary), one of them not
    // an address, one an IPv6 address and one missing.
    let lines: Vec<String> = (0..300)
        .map(|i| {
            let dst = match i % 10 {
                7 => "10.0.2.999",
                8 => "2001:db8::2",
                9 => "-",
                d => ["10.0.2.20", "10.0.2.21", "10.0.2.22"][d % 3],
            };
            format!(
                "2 123456789012 eni-{} 10.1.{}.{} {dst} {} 5432 6 10 840 1795000000 1795000060 ACCEPT OK",
                i % 4,
                i / 250,
                i % 250,
                40000 + i
            )
        })
        .collect();
    let lines: Vec<&'static str> = lines
        .into_iter()
        .map(|l| &*Box::leak(l.into_boxed_str()))
        .collect();
    let bytes = parquet(aws_columns(&lines), lines.len());
    let (text, text_stats) = read_text(&lines);
    let (rows, stats, _) = read_rows(bytes.clone());
    assert_eq!(rows, text);
    assert_eq!(stats.skipped, text_stats.skipped);
    assert_eq!(stats.examples, text_stats.examples);
    assert_eq!(
        stats.used,
        300 - 60,
        "the bad, IPv6 and missing are counted"
    );

    // Which way each address column came.
    let file = ParquetFile::from_bytes(NAME.into(), bytes).unwrap();
    let mut stats = Stats::default();
    let opts = ReadOptions::new(Window::ALL);
    let layout = RowLayout::new(NAME, &file.columns(), &opts, &mut stats).unwrap();
    let batch = file.read(0, layout.columns()).unwrap();
    let names = file.columns();
    let column = |name: &str| {
        let at = layout.columns().iter().position(|(c, _)| names[*c] == name);
        at.unwrap()
    };
    let (src, dst) = (column("srcaddr"), column("dstaddr"));
    for (row, line) in lines.iter().enumerate() {
        let want = line.split(' ').nth(4).unwrap();
        match (batch.value(src, row), batch.value(dst, row)) {
            (Value::Text(s), Value::Addr(a, d)) => {
                assert_eq!(s, line.split(' ').nth(3).unwrap().as_bytes());
                assert_eq!((a.to_string().as_str(), d), (want, want.as_bytes()));
            }
            (Value::Text(_), Value::Text(d)) => {
                assert!(want == "10.0.2.999" || want == "2001:db8::2", "{want}");
                assert_eq!(d, want.as_bytes());
            }
            (Value::Text(_), Value::Null) => assert_eq!(want, "-"),
            other => panic!("row {row}: {other:?}"),
        }
    }
}

/// One accepted TCP record's columns, except `name`, which is `column`.
fn one_record_with(name: &str, column: Column) -> Vec<Column> {
    let line = &LINES[..1];
    let mut columns = aws_columns(line);
    let at = columns
        .iter()
        .position(|c| c.name().as_str() == name)
        .unwrap();
    columns[at] = column;
    columns
}

#[test]
fn a_column_of_another_type_is_read_as_its_text() {
    // Floats and booleans are read as polars prints them, then checked as text.
    let (_, stats, _) = read_rows(parquet(
        one_record_with("protocol", Column::new("protocol".into(), [6.0f64])),
        1,
    ));
    assert_eq!(stats.used, 0);
    assert_eq!(
        stats.examples["bad number"],
        vec!["flows.parquet:1: protocol is \"6.0\", which is not valid"]
    );
    let (_, stats, _) = read_rows(parquet(
        one_record_with("action", Column::new("action".into(), [true])),
        1,
    ));
    assert_eq!(
        stats.examples["bad action or status"],
        vec!["flows.parquet:1: action is \"true\", which is not valid"]
    );
    // Numbers kept as text (flowlogs-reader writes them so) parse as text does;
    // "None" and "" are missing values.
    let (_, stats, _) = read_rows(parquet(
        one_record_with("srcport", Column::new("srcport".into(), ["40001"])),
        1,
    ));
    assert_eq!((stats.used, stats.skipped_total()), (1, 0), "{stats:?}");
    let (_, stats, _) = read_rows(parquet(
        one_record_with("dstport", Column::new("dstport".into(), ["None"])),
        1,
    ));
    assert_eq!(
        stats.examples["missing field"],
        vec!["flows.parquet:1: dstport is '-' in a record with traffic"]
    );
    // Small and unsigned integers are whole numbers too.
    let (_, stats, _) = read_rows(parquet(
        one_record_with("protocol", Column::new("protocol".into(), [6u32])),
        1,
    ));
    assert_eq!((stats.used, stats.skipped_total()), (1, 0), "{stats:?}");
    // An id written as a number is its text.
    let (evidence, stats, _) = read_rows(parquet(
        one_record_with(
            "account_id",
            Column::new("account_id".into(), [123456789012i64]),
        ),
        1,
    ));
    assert_eq!(stats.used, 1);
    assert!(evidence.contains("123456789012"), "{evidence}");
}

#[test]
fn nulls_are_missing_values() {
    let nulls = |name: &str| {
        let (_, stats, _) = read_rows(parquet(
            one_record_with(name, Column::new(name.into(), [None::<i64>])),
            1,
        ));
        stats
    };
    // Required: the record is malformed, at its row.
    let stats = nulls("start");
    assert_eq!(
        stats.examples["missing field"],
        vec!["flows.parquet:1: start is '-' in a record with traffic"]
    );
    // Optional: the record is used (no bytes counted; end is the start).
    let stats = nulls("bytes");
    assert_eq!((stats.used, stats.skipped_total()), (1, 0), "{stats:?}");
    // A row of nulls only is an empty interval, as a line of dashes is.
    let columns: Vec<Column> = aws_columns(&LINES[..1])
        .iter()
        .map(|c| Column::full_null(c.name().clone(), 1, c.dtype()))
        .collect();
    let (_, stats, _) = read_rows(parquet(columns, 1));
    assert_eq!(stats.skipped.get("nodata"), Some(&1), "{stats:?}");
}

#[test]
fn a_file_without_a_flow_log_column_is_skipped_with_its_columns() {
    let columns = vec![
        Column::new("colour".into(), ["red"]),
        Column::new("size".into(), [3i32]),
    ];
    let file = ParquetFile::from_bytes(NAME.into(), parquet(columns, 1)).unwrap();
    let mut stats = Stats::default();
    let layout = RowLayout::new(
        NAME,
        &file.columns(),
        &ReadOptions::new(Window::ALL),
        &mut stats,
    );
    assert!(layout.is_none());
    assert_eq!(stats.files, 1);
    assert_eq!(
        stats.examples["unusable format"],
        vec!["flows.parquet:0: no column is a flow-log field (columns: colour, size)"]
    );
}

#[test]
fn a_layout_without_a_needed_field_counts_every_row_at_its_place() {
    let columns: Vec<Column> = aws_columns(&LINES[..5])
        .into_iter()
        .filter(|c| c.name().as_str() != "action")
        .collect();
    let (_, stats, _) = read_rows(parquet(columns, 2));
    assert_eq!(stats.records, 5);
    assert_eq!(stats.skipped.get("unusable format"), Some(&5));
    assert!(
        stats.examples["unusable format"][0]
            .starts_with("flows.parquet:1: the format lacks action")
    );
    assert!(
        stats
            .notes
            .iter()
            .any(|n| n.starts_with("flows.parquet: the format lacks action")),
        "{:?}",
        stats.notes
    );
}

#[test]
fn only_the_columns_of_used_fields_are_decoded() {
    let file = ParquetFile::from_bytes(NAME.into(), parquet(aws_columns(LINES), 4)).unwrap();
    let mut stats = Stats::default();
    let layout = RowLayout::new(
        NAME,
        &file.columns(),
        &ReadOptions::new(Window::ALL),
        &mut stats,
    )
    .unwrap();
    let names = file.columns();
    let decoded: Vec<&str> = layout
        .columns()
        .iter()
        .map(|(c, _)| names[*c].as_str())
        .collect();
    // version is never read; account_id is (the record's account).
    assert!(!decoded.contains(&"version"), "{decoded:?}");
    assert_eq!(decoded.len(), names.len() - 1, "{decoded:?}");
    assert!(layout.columns().iter().all(|(c, want)| {
        let number = [
            "srcport", "dstport", "protocol", "packets", "bytes", "start", "end",
        ];
        (*want == Want::Number) == number.contains(&names[*c].as_str())
    }));
}

/// Every row group of `bytes` read as [`read_rows`] does, the first failure
/// returned; a panic that escapes the reader is caught and reported.
fn read_all(bytes: Vec<u8>) -> Result<(), String> {
    std::panic::catch_unwind(|| -> anyhow::Result<()> {
        let file = ParquetFile::from_bytes(NAME.into(), bytes)?;
        let mut agg = Aggregator::new();
        let mut stats = Stats::default();
        let opts = ReadOptions::new(Window::ALL);
        let Some(layout) = RowLayout::new(NAME, &file.columns(), &opts, &mut stats) else {
            return Ok(());
        };
        for g in 0..file.row_groups() {
            let batch = file.read(g, layout.columns())?;
            layout.read(&batch, &mut agg, &mut stats);
        }
        Ok(())
    })
    .map_err(|_| "a panic escaped the reader".to_string())?
    .map_err(|e| format!("{e:#}"))
}

#[test]
fn every_corrupt_byte_is_an_error_naming_the_file_never_a_panic() {
    // Two row groups of three rows: headers, pages, footer, all small.
    let lines: Vec<&'static str> = LINES[..3].iter().cycle().take(6).copied().collect();
    let bytes = parquet(aws_columns(&lines), 3);
    assert_eq!(read_all(bytes.clone()), Ok(()));
    let mut errors = 0;
    // Each byte in turn: its bits flipped at even places (a negative count,
    // a size past the chunk, a broken Thrift header, compressed data that
    // does not inflate), 0x7f at odd ones (a large varint byte).
    for at in 0..bytes.len() {
        let mut b = bytes.clone();
        b[at] = if at % 2 == 0 { b[at] ^ 0xff } else { 0x7f };
        if let Err(e) = read_all(b) {
            errors += 1;
            assert!(!e.contains("a panic escaped"), "byte {at}: {e}");
            assert!(e.starts_with("flows.parquet: "), "byte {at}: {e}");
            // A row group's failure says which, and its rows.
            if e.contains("cannot decode column") {
                assert!(
                    e.starts_with("flows.parquet: row group 1 of 2 (rows 1..3): ")
                        || e.starts_with("flows.parquet: row group 2 of 2 (rows 4..6): "),
                    "byte {at}: {e}"
                );
            }
        }
    }
    // Many corruptions are caught (a byte of a value may change the value
    // instead, and statistics are not read).
    assert!(
        errors > bytes.len() / 4,
        "{errors} errors of {}",
        bytes.len()
    );
}
