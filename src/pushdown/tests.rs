use super::csv::CsvReader;
use super::ddl::{TableSpec, create_table};
use super::layout::{Key, layout};
use super::sql::{self, Partition, Table};
use crate::parse::Format;
use crate::window::Window;

fn spec(parquet: bool) -> TableSpec {
    TableSpec {
        name: "vpc_flow_logs".into(),
        location: "s3://flow-logs/central".into(),
        accounts: vec!["123456789012".into(), "210987654321".into()],
        regions: vec!["us-east-1".into()],
        parquet,
        first_day: "2026/01/01".into(),
    }
}

#[test]
fn the_ddl_has_the_flow_logs_columns_in_order_and_projects_the_day() {
    let f = Format::from_names("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags").unwrap();
    let ddl = create_table(&spec(false), &f).unwrap();
    let cols: Vec<&str> = ddl.lines().filter(|l| l.starts_with("  `")).collect();
    assert_eq!(cols.len(), 15);
    assert_eq!(cols[0], "  `version` int,");
    assert_eq!(cols[11], "  `end` bigint,");
    assert_eq!(cols[14], "  `tcp_flags` int");
    assert!(ddl.contains("LOCATION 's3://flow-logs/central/AWSLogs/'"));
    assert!(ddl.contains("PARTITIONED BY (`accid` string, `log_region` string, `day` string)"));
    assert!(ddl.contains("'projection.accid.values' = '123456789012,210987654321'"));
    assert!(ddl.contains("'projection.log_region.values' = 'us-east-1'"));
    assert!(ddl.contains("'storage.location.template' = 's3://flow-logs/central/AWSLogs/${accid}/vpcflowlogs/${log_region}/${day}'"));
    assert!(ddl.contains("'skip.header.line.count' = '1'"));
    assert!(ddl.contains("FIELDS TERMINATED BY ' '"));
    let parquet = create_table(&spec(true), &f).unwrap();
    assert!(parquet.contains("ParquetHiveSerDe") && !parquet.contains("skip.header"));
}

#[test]
fn the_ddl_refuses_what_it_cannot_paste() {
    let f = Format::default_v2();
    let mut s = spec(false);
    s.location = "s3://b/x' DROP".into();
    assert!(create_table(&s, &f).unwrap_err().contains("location"));
    let mut s = spec(false);
    s.name = "a.b".into();
    assert!(create_table(&s, &f).is_err());
    let mut s = spec(false);
    s.regions = vec!["us-east-1','x".into()];
    assert!(create_table(&s, &f).unwrap_err().contains("region"));
    let mut s = spec(false);
    s.accounts.clear();
    assert!(create_table(&s, &f).unwrap_err().contains("account"));
}

fn keys(list: &[(&str, &str)]) -> Vec<Key> {
    list.iter()
        .map(|(n, k)| Key {
            name: n.to_string(),
            kind: k.to_string(),
        })
        .collect()
}

#[test]
fn the_documented_layouts_partition_columns_are_recognised() {
    let none = |_: &str| None;
    // AWS's table with partition projection over the plain prefix.
    let l = layout(
        &keys(&[("accid", "string"), ("region", "string"), ("day", "string")]),
        &|c: &str| (c == "day").then(|| "yyyy/MM/dd".to_string()),
    )
    .unwrap();
    assert_eq!(l.day, Some(Partition::Day("\"day\"".into())));
    assert_eq!(l.account.as_deref(), Some("\"accid\""));
    assert_eq!(l.region.as_deref(), Some("\"region\""));
    // AWS's Hive layout (Parquet or text).
    let l = layout(
        &keys(&[
            ("aws-account-id", "string"),
            ("aws-service", "string"),
            ("aws-region", "string"),
            ("year", "string"),
            ("month", "string"),
            ("day", "string"),
            ("hour", "string"),
        ]),
        &none,
    )
    .unwrap();
    assert_eq!(
        l.day,
        Some(Partition::Hive {
            year: "\"year\"".into(),
            month: "\"month\"".into(),
            day: "\"day\"".into()
        })
    );
    assert_eq!(l.account.as_deref(), Some("\"aws-account-id\""));
    assert_eq!(l.region.as_deref(), Some("\"aws-region\""));
    // sgpair athena-table's.
    let l = layout(
        &keys(&[
            ("accid", "string"),
            ("log_region", "string"),
            ("day", "string"),
        ]),
        &none,
    )
    .unwrap();
    assert_eq!(l.region.as_deref(), Some("\"log_region\""));
    // AWS's table partitioned by a date; one without account or region.
    let l = layout(&keys(&[("date", "date")]), &none).unwrap();
    assert_eq!(l.day, Some(Partition::Date("\"date\"".into())));
    assert_eq!((l.account, l.region), (None, None));
    let q = sql::timeline(
        &Table::new(
            "\"t\"".into(),
            Format::default_v2()
                .columns
                .iter()
                .flatten()
                .copied()
                .collect(),
            l.day.clone().unwrap(),
        ),
        &Window {
            since: 1_795_000_000,
            until: 1_795_086_400,
        },
    )
    .unwrap();
    assert!(
        q.sql
            .contains("\"date\" BETWEEN CAST(? AS date) AND CAST(? AS date)")
    );
    assert_eq!(q.params[..2], ["'2026-11-17'", "'2026-11-20'"]);
    // Integer year, month, day: not the VPC layout's strings, not filtered.
    let ints = keys(&[("year", "int"), ("month", "int"), ("day", "int")]);
    assert_eq!(layout(&ints, &none).unwrap().day, None);
    // No day: the caller refuses, or reads all with --athena-full-scan.
    assert_eq!(layout(&keys(&[("dt", "string")]), &none).unwrap().day, None);
    // A day projected in a format the filter does not write.
    let e = layout(&keys(&[("day", "string")]), &|_: &str| {
        Some("yyyy-MM-dd".to_string())
    })
    .unwrap_err();
    assert!(e.contains("yyyy-MM-dd"), "{e}");
    // Only the documented names are used, and quoted.
    assert!(sql::quote_column("day\"; --").is_err());
    assert_eq!(sql::quote_column("AWS-Region").unwrap(), "\"aws-region\"");
}

#[test]
fn accounts_and_regions_filter_on_partitions_else_on_columns_else_fail() {
    let w = Window::ALL;
    let mut t = Table::new(
        "\"t\"".into(),
        Format::default_v2()
            .columns
            .iter()
            .flatten()
            .copied()
            .collect(),
        Partition::Day("\"day\"".into()),
    );
    t.accounts = vec!["123456789012".into(), "o'brien".into()];
    // v2 has account-id: the records' column.
    let q = sql::connections(&t, &w).unwrap();
    assert!(q.sql.contains("AND account_id IN (?, ?)"), "{}", q.sql);
    assert_eq!(q.params[2..4], ["'123456789012'", "'o''brien'"]);
    assert!(!q.sql.contains("123456789012"));
    assert_eq!(q.sql.matches('?').count(), q.params.len());
    // v2 has no region: no way to filter.
    t.regions = vec!["eu-west-1".into()];
    let e = sql::timeline(&t, &w).unwrap_err();
    assert!(e.contains("--log-region") && e.contains("region"), "{e}");
    // Partition columns: those, and the values as parameters.
    t.account_column = Some("\"aws-account-id\"".into());
    t.region_column = Some("\"aws-region\"".into());
    let q = sql::timeline(&t, &w).unwrap();
    assert!(
        q.sql
            .contains("\"day\" BETWEEN ? AND ? AND \"aws-account-id\" IN (?, ?) AND \"aws-region\" IN (?) AND (start")
    );
    assert_eq!(q.params[4], "'eu-west-1'");
    assert_eq!(q.sql.matches('?').count(), q.params.len());
    // No account-id field and no partition: a clear error.
    let mut t = Table::new(
        "\"t\"".into(),
        Format::from_names("srcaddr dstaddr srcport dstport protocol start action bytes")
            .unwrap()
            .columns
            .iter()
            .flatten()
            .copied()
            .collect(),
        Partition::FullScan,
    );
    t.accounts = vec!["123456789012".into()];
    let e = sql::connections(&t, &w).unwrap_err();
    assert!(e.contains("--account") && e.contains("account-id"), "{e}");
}

#[test]
fn queries_filter_on_the_partitions_and_pass_values_as_parameters() {
    let w = Window {
        since: 1_795_000_000,
        until: 1_795_086_400,
    };
    let t = |partition| {
        Table::new(
            "\"t\"".into(),
            Format::default_v2()
                .columns
                .iter()
                .flatten()
                .copied()
                .collect(),
            partition,
        )
    };
    let q = sql::connections(&t(Partition::Day("day".into())), &w).unwrap();
    assert!(q.sql.contains("day BETWEEN ? AND ?"));
    assert_eq!(q.params[2], w.since.to_string());
    assert_eq!(q.params[3], w.until.to_string());
    assert!(!q.sql.contains(&w.since.to_string()));
    // A day before the window: records are filed under the hour they were written.
    assert_eq!(q.params[0], "'2026/11/17'");
    let h = sql::timeline(
        &t(Partition::Hive {
            year: "year".into(),
            month: "month".into(),
            day: "day".into(),
        }),
        &w,
    )
    .unwrap();
    assert!(h.sql.contains("concat(year, month, day) BETWEEN ? AND ?"));
    assert_eq!(h.params[0], "'20261117'");
    assert_eq!(h.sql.matches('?').count(), h.params.len());
    assert_eq!(q.sql.matches('?').count(), q.params.len());
}

#[test]
fn the_key_columns_are_the_reducers() {
    let q = sql::connections(
        &Table::new(
            "\"t\"".into(),
            Format::default_v2()
                .columns
                .iter()
                .flatten()
                .copied()
                .collect(),
            Partition::FullScan,
        ),
        &Window::ALL,
    )
    .unwrap();
    let key = crate::reduce::rules::KEY.join(", ");
    assert!(
        q.sql
            .contains(&format!("GROUP BY coalesce(eni, ''), {key}, cport"))
    );
    assert!(q.sql.contains(&format!("FROM f GROUP BY kind, ek, {key}")));
}

#[test]
fn csv_reads_quoted_values_nulls_and_newlines() {
    let text = "\"a\",\"b\",c\n\"x \"\"y\"\"\",,\"\"\n\"multi\nline\",1,2\r\n";
    let mut r = CsvReader::new(text.as_bytes());
    assert_eq!(
        r.next_record().unwrap().unwrap(),
        vec![Some("a".into()), Some("b".into()), Some("c".into())]
    );
    assert_eq!(
        r.next_record().unwrap().unwrap(),
        vec![Some("x \"y\"".into()), None, Some(String::new())]
    );
    assert_eq!(
        r.next_record().unwrap().unwrap(),
        vec![
            Some("multi\nline".into()),
            Some("1".into()),
            Some("2".into())
        ]
    );
    assert_eq!(r.next_record().unwrap(), None);
    assert!(CsvReader::new("\"open".as_bytes()).next_record().is_err());
}

/// Each query reads the table once: every `WITH` clause is read by exactly
/// one later step (Trino evaluates a clause at each reference, and Athena
/// bills each read of the files).
#[test]
fn each_query_reads_the_table_once() {
    let t = Table::new(
        "\"flow_logs\"".into(),
        Format::from_names("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id tcp-flags flow-direction pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service")
            .unwrap()
            .columns
            .iter()
            .flatten()
            .copied()
            .collect(),
        Partition::Day("day".into()),
    );
    for q in [
        sql::connections(&t, &Window::ALL).unwrap(),
        sql::timeline(&t, &Window::ALL).unwrap(),
    ] {
        let names: Vec<&str> = q
            .sql
            .lines()
            .filter_map(|l| l.strip_suffix(" AS ("))
            .map(|l| l.trim_start_matches("WITH "))
            .collect();
        assert!(names.len() > 5, "{names:?}");
        let words: Vec<&str> = q
            .sql
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        let reads = |name: &str| {
            words
                .windows(2)
                .filter(|p| (p[0] == "FROM" || p[0] == "JOIN") && p[1] == name)
                .count()
        };
        assert_eq!(reads("\"flow_logs\""), 1, "the table, once");
        for n in &names {
            assert_eq!(reads(n), 1, "{n} is read by one step:\n{}", q.sql);
        }
    }
}

/// A `rejected` row of the timeline query: a summed rejection, the reason
/// optional; a bad source is an error naming the column.
#[test]
fn a_rejected_row_is_a_summed_rejection() {
    use super::rows::{Header, Row};
    use crate::aggregate::PushedFact;
    let text = "kind,interface,addr,name,source,port,proto,first,last,n\n\
                rejected,,10.0.0.5,,203.0.113.9,22,6,100,160,3\n\
                rejected,,10.0.0.5,ACCESS_DENIED,203.0.113.9,22,6,50,50,1\n\
                rejected,,10.0.0.5,,nowhere,22,6,50,50,1\n";
    let mut r = CsvReader::new(text.as_bytes());
    let h = Header::new(&r.next_record().unwrap().unwrap()).unwrap();
    let mut row = || h.row(&r.next_record().unwrap().unwrap());
    let want = |reason: Option<&str>, records, first, last| {
        Row::Fact(PushedFact::Rejected {
            src: "203.0.113.9".parse().unwrap(),
            dst: "10.0.0.5".parse().unwrap(),
            dstport: 22,
            proto: 6,
            reason: reason.map(String::from),
            records,
            first,
            last,
        })
    };
    assert_eq!(row().unwrap(), want(None, 3, 100, 160));
    assert_eq!(row().unwrap(), want(Some("ACCESS_DENIED"), 1, 50, 50));
    assert!(row().unwrap_err().contains("`source`"));
}

/// The timeline's `nodata` row and its `gap` rows count as skipped records
/// of the window, as a local read counts NODATA and SKIPDATA: a run's
/// summary adds them to what it read.
#[test]
fn nodata_and_gap_rows_are_counted_as_skipped() {
    use crate::aggregate::Aggregator;
    use crate::stats::Stats;
    let text = "kind,interface,addr,name,source,port,proto,first,last,n\n\
                nodata,,,,,,,100,700,4\n\
                gap,eni-1,,,,,,100,700,2\n\
                gap,eni-2,,,,,,200,800,1\n\
                rejected,,10.0.0.5,,203.0.113.9,22,6,100,160,3\n";
    let mut agg = Aggregator::new();
    let read = super::read_csv(text.as_bytes(), "timeline.csv", &mut agg).unwrap();
    assert_eq!(
        (read.rows, read.nodata, read.skipdata, read.rejected),
        (4, 4, 3, 3)
    );
    let mut stats = Stats::default();
    read.count(&mut stats);
    assert_eq!((stats.records, stats.used, stats.rejected), (10, 0, 3));
    assert_eq!(
        stats.skipped.into_iter().collect::<Vec<_>>(),
        [("nodata".to_string(), 4), ("skipdata".to_string(), 3)]
    );
    // A nodata row without its count is an error, never a guess.
    let bad = "kind,n\nnodata,\n";
    let err = super::read_csv(bad.as_bytes(), "t.csv", &mut agg).unwrap_err();
    assert!(format!("{err:#}").contains("`n` is empty"), "{err:#}");
}
