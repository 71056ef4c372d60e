use super::*;
use crate::parse::Format;

fn row(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect()
}

fn v2() -> Insights {
    Insights::new(&Format::default_v2()).unwrap()
}

#[test]
fn the_query_parses_every_column_and_groups_by_what_the_parser_reads() {
    let f = Format::from_names(
        "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end \
         action log-status tcp-flags subnet-id",
    )
    .unwrap();
    let q = Insights::new(&f).unwrap().query(100, 200);
    let lines: Vec<&str> = q.lines().collect();
    assert_eq!(
        lines[0],
        "parse @message \"* * * * * * * * * * * * * * *\" as unused_0, interface_id, srcaddr, \
         dstaddr, srcport, dstport, protocol, packets, bytes, start_time, end_time, action, \
         log_status, tcp_flags, unused_14"
    );
    // A record longer than a capture interval is left out, as Athena's SQL
    // leaves it out and the parser skips it (`window::MAX_INTERVAL`).
    assert_eq!(
        lines[1],
        "| filter start_time >= 100 and start_time < 200 and end_time - start_time <= 3600"
    );
    let (stats, by) = lines[2].split_once(" by ").unwrap();
    assert_eq!(
        stats,
        "| stats count(*) as n_records, sum(packets) as sum_packets, sum(bytes) as sum_bytes, \
         min(start_time) as min_start, max(start_time) as max_start, max(end_time) as max_end"
    );
    // Every field the parser reads that the format has, but the counters
    // and times; never one it does not read (version, subnet-id).
    let by: Vec<&str> = by.split(", ").collect();
    assert_eq!(
        by,
        [
            "interface_id",
            "srcaddr",
            "dstaddr",
            "srcport",
            "dstport",
            "protocol",
            "action",
            "log_status",
            "tcp_flags"
        ]
    );
}

#[test]
fn a_row_stands_for_its_records() {
    let q = v2();
    let (mut agg, mut stats, mut span) = (Aggregator::new(), Stats::default(), Span::default());
    // Three records of 10.0.0.1:40000 → 10.0.0.2:443, as Insights prints numbers.
    let r = row(&[
        ("account_id", "123456789012"),
        ("interface_id", "eni-1"),
        ("srcaddr", "10.0.0.1"),
        ("dstaddr", "10.0.0.2"),
        ("srcport", "40000"),
        ("dstport", "443"),
        ("protocol", "6"),
        ("action", "ACCEPT"),
        ("log_status", "OK"),
        ("n_records", "3"),
        ("sum_packets", "30.0"),
        ("sum_bytes", "4.5e+03"),
        ("min_start", "1000"),
        ("max_start", "1200.0"),
        ("max_end", "1260"),
    ]);
    q.fold(&r, ("q", 1), &mut agg, &mut stats, &mut span)
        .unwrap();
    assert_eq!((stats.records, stats.used), (3, 3));
    assert_eq!((span.records, span.first, span.last), (3, 1000, 1260));
    let e = agg.finish();
    assert_eq!(e.connections.len(), 1);
    let c = &e.connections[0];
    assert_eq!(c.port, 443);
    assert_eq!(c.client.to_string(), "10.0.0.1");
    assert_eq!((c.records, c.bytes, c.packets), (3, 4500, 30));
    assert_eq!((c.first, c.last), (1000, 1260));
    assert_eq!(c.account.as_deref(), Some("123456789012"));
}

/// A row's times bound many records (each within a capture interval, which
/// the query's filter checks): the span from its first start to its last
/// end is longer than one, and the row is still evidence up to that end.
#[test]
fn a_row_whose_records_span_hours_is_evidence_up_to_its_last_end() {
    let q = v2();
    let (mut agg, mut stats, mut span) = (Aggregator::new(), Stats::default(), Span::default());
    let r = row(&[
        ("interface_id", "eni-1"),
        ("srcaddr", "10.0.0.1"),
        ("dstaddr", "10.0.0.2"),
        ("srcport", "40000"),
        ("dstport", "443"),
        ("protocol", "6"),
        ("action", "ACCEPT"),
        ("log_status", "OK"),
        ("n_records", "2"),
        ("min_start", "1000"),
        ("max_start", "9000"),
        ("max_end", "9060"),
    ]);
    q.fold(&r, ("q", 1), &mut agg, &mut stats, &mut span)
        .unwrap();
    assert_eq!((stats.records, stats.used), (2, 2), "{:?}", stats.skipped);
    assert_eq!((span.first, span.last), (1000, 9060));
    let c = &agg.finish().connections[0];
    assert_eq!((c.first, c.last), (1000, 9060));
}

#[test]
fn rows_that_are_not_records_are_counted_with_their_records() {
    let q = v2();
    let (mut agg, mut stats, mut span) = (Aggregator::new(), Stats::default(), Span::default());
    let nodata = row(&[
        ("interface_id", "eni-1"),
        ("srcaddr", "-"),
        ("dstaddr", "-"),
        ("action", "-"),
        ("log_status", "NODATA"),
        ("n_records", "4"),
        ("min_start", "1000"),
        ("max_start", "1000"),
        ("max_end", "1600"),
    ]);
    q.fold(&nodata, ("q", 1), &mut agg, &mut stats, &mut span)
        .unwrap();
    let bad = row(&[
        ("interface_id", "eni-1"),
        ("srcaddr", "10.0.0.300"),
        ("dstaddr", "10.0.0.2"),
        ("srcport", "1"),
        ("dstport", "2"),
        ("protocol", "6"),
        ("action", "ACCEPT"),
        ("log_status", "OK"),
        ("n_records", "5"),
        ("min_start", "1000"),
        ("max_start", "1000"),
        ("max_end", "1060"),
    ]);
    q.fold(&bad, ("query q-7", 2), &mut agg, &mut stats, &mut span)
        .unwrap();
    assert_eq!(stats.records, 9);
    assert_eq!(stats.skipped.get("nodata"), Some(&4));
    let (kind, n) = stats.skipped.iter().find(|(k, _)| *k != "nodata").unwrap();
    assert_eq!(*n, 5, "{kind}");
    let ex = &stats.examples[kind][0];
    assert!(
        ex.starts_with("query q-7:2: ") && ex.contains("10.0.0.300"),
        "{ex}"
    );
    assert_eq!(span.records, 0, "no record of the window was used");
}

#[test]
fn a_row_without_its_count_or_with_a_fractional_one_is_an_error() {
    let q = v2();
    let (mut agg, mut stats, mut span) = (Aggregator::new(), Stats::default(), Span::default());
    let e = q
        .fold(
            &row(&[("srcaddr", "10.0.0.1")]),
            ("q", 1),
            &mut agg,
            &mut stats,
            &mut span,
        )
        .unwrap_err();
    assert!(e.contains("no `n_records`"), "{e}");
    let e = q
        .fold(
            &row(&[("n_records", "2.5")]),
            ("q", 1),
            &mut agg,
            &mut stats,
            &mut span,
        )
        .unwrap_err();
    assert!(e.contains("not a count"), "{e}");
}

#[test]
fn numbers_are_read_as_insights_prints_them() {
    assert_eq!(whole("12"), Some(12));
    assert_eq!(whole("12.0"), Some(12));
    assert_eq!(whole("1.2e+06"), Some(1_200_000));
    assert_eq!(whole("1.5"), None);
    assert_eq!(whole("-1"), None);
    assert_eq!(whole("NaN"), None);
    assert_eq!(whole("1e300"), None, "past 2^53 a float is no count");
}

#[test]
fn the_cost_is_half_a_cent_per_gb() {
    assert!((cost_usd(2e9) - 0.01).abs() < 1e-12);
}
