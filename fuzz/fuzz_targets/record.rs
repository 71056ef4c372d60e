//! Any bytes as a flow-log stream: through parse, reduce and aggregate, with
//! and without a header, never a panic, and every line accounted for.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use sgpair::aggregate::Aggregator;
use sgpair::parse::{Format, Parser};
use sgpair::pipeline::{ReadOptions, read_stream};
use sgpair::sources::{Kind, Stream};
use sgpair::stats::Stats;
use sgpair::window::Window;

const RICH: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path reject-reason";

fuzz_target!(|data: &[u8]| {
    // One record under two layouts.
    for fmt in [
        Format::default_v2(),
        Format::from_names(RICH).expect("rich format"),
    ] {
        let parser = Parser::new(&fmt).expect("valid format");
        for line in data.split(|b| *b == b'\n') {
            let _ = parser.parse(line);
        }
    }
    // The whole stream: headers, JSON lines, window, reduce, aggregate.
    let opts = ReadOptions {
        window: Window {
            since: 0,
            until: i64::MAX,
        },
        log_format: None,
        allow_partial: false,
    };
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
});
