//! The checks behind the fuzz targets (`fuzz/`): any bytes through the
//! record path, any text through the header detector. They live in the
//! library so that `tests/fuzz_regressions.rs` replays every saved input
//! (`fuzz/regressions/`) with exactly the same checks in an ordinary
//! `cargo test`. Each function panics when an invariant breaks.

use std::io::Cursor;

use crate::aggregate::Aggregator;
use crate::parse::{Format, Parser, looks_like_header};
use crate::pipeline::{ReadOptions, read_stream};
use crate::sources::{Kind, Stream};
use crate::stats::Stats;
use crate::window::Window;

/// Every field AWS logs, in one layout.
const RICH: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path reject-reason";

/// Any bytes as a flow-log stream: each line parsed under two layouts, then
/// the whole stream through headers, JSON lines, window, reduce and
/// aggregate. Never a panic, and every line accounted for.
pub fn record(data: &[u8]) {
    for fmt in [
        Format::default_v2(),
        Format::from_names(RICH).expect("rich format"),
    ] {
        let parser = Parser::new(&fmt).expect("valid format");
        for line in data.split(|b| *b == b'\n') {
            let _ = parser.parse(line);
        }
    }
    let opts = ReadOptions::new(Window::ALL);
    let stream = Stream {
        name: "fuzz".into(),
        size: 0,
        reader: Box::new(Cursor::new(data.to_vec())),
        kind: Kind::Text,
    };
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    read_stream(stream, &opts, &mut agg, &mut stats, &|| {}).expect("in-memory reads do not fail");
    let lines = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .count() as u64;
    assert!(
        stats.records <= lines,
        "{} records from {lines} lines",
        stats.records
    );
    assert_eq!(
        stats.used + stats.rejected + stats.skipped_total(),
        stats.records,
        "every record is used, rejected or skipped"
    );
    let _ = agg.finish();
}

/// Any text as a header line or a `--log-format`: detection, layout and
/// parser construction never panic, and a validated layout always builds a
/// parser.
pub fn header(data: &[u8]) {
    let _ = looks_like_header(data);
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(fmt) = Format::from_names(text)
    {
        let valid = fmt.validate().is_ok();
        assert_eq!(
            valid,
            Parser::new(&fmt).is_ok(),
            "validate and Parser::new agree"
        );
        if let Ok(p) = Parser::new(&fmt) {
            // A line of dashes of the right width is NODATA-like, never a panic.
            let dashes = vec!["-"; fmt.columns.len()].join(" ");
            let _ = p.parse(dashes.as_bytes());
        }
    }
}
