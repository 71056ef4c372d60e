use super::csv::CsvReader;
use super::ddl::{TableSpec, create_table};
use super::sql::{self, Partition, Table};
use crate::parse::Format;
use crate::window::Window;

fn spec(parquet: bool) -> TableSpec {
    TableSpec {
        name: "vpc_flow_logs".into(),
        location: "s3://flow-logs/central".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
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
    assert!(
        ddl.contains(
            "LOCATION 's3://flow-logs/central/AWSLogs/123456789012/vpcflowlogs/us-east-1/'"
        )
    );
    assert!(ddl.contains("'storage.location.template' = 's3://flow-logs/central/AWSLogs/123456789012/vpcflowlogs/us-east-1/${day}'"));
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
}

#[test]
fn queries_filter_on_the_partitions_and_pass_values_as_parameters() {
    let w = Window {
        since: 1_795_000_000,
        until: 1_795_086_400,
    };
    let t = |partition| Table {
        name: "\"t\"".into(),
        fields: Format::default_v2()
            .columns
            .iter()
            .flatten()
            .copied()
            .collect(),
        partition,
    };
    let q = sql::connections(&t(Partition::Day("day".into())), &w);
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
    );
    assert!(h.sql.contains("concat(year, month, day) BETWEEN ? AND ?"));
    assert_eq!(h.params[0], "'20261117'");
    assert_eq!(h.sql.matches('?').count(), h.params.len());
    assert_eq!(q.sql.matches('?').count(), q.params.len());
}

#[test]
fn the_key_columns_are_the_reducers() {
    let q = sql::connections(
        &Table {
            name: "\"t\"".into(),
            fields: Format::default_v2()
                .columns
                .iter()
                .flatten()
                .copied()
                .collect(),
            partition: Partition::FullScan,
        },
        &Window::ALL,
    );
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
    let t = Table {
        name: "\"flow_logs\"".into(),
        fields: Format::from_names("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id tcp-flags flow-direction pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service")
            .unwrap()
            .columns
            .iter()
            .flatten()
            .copied()
            .collect(),
        partition: Partition::Day("day".into()),
    };
    for q in [
        sql::connections(&t, &Window::ALL),
        sql::timeline(&t, &Window::ALL),
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
