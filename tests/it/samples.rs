//! Real flow logs from public test suites (tests/fixtures/third-party, see
//! NOTICE.md there) through parse → reduce → aggregate → resolve → synthesize.

use std::sync::Arc;

use sgpair::aggregate::{Aggregator, Evidence};
use sgpair::analysis::analyze;
use sgpair::pipeline::{ReadOptions, read_stream};
use sgpair::sources::files;
use sgpair::stats::Stats;
use sgpair::window::Window;

use crate::support::{Estate, repo};

fn read(name: &str) -> (Evidence, Stats) {
    let path = repo().join("tests/fixtures/third-party").join(name);
    let stream = files::open(&path, Arc::default()).expect("fixture opens");
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    let opts = ReadOptions::new(Window::ALL);
    read_stream(stream, &opts, &mut agg, &mut stats, &|| {}).expect("fixture reads");
    (agg.finish(), stats)
}

#[test]
fn splunk_cloudwatch_records_all_parse_and_split_into_accept_and_reject() {
    let (ev, stats) = read("cloudwatchlogs_vpcflowlog_lambdaprocessed.sample");
    assert_eq!(stats.records, 5000);
    assert_eq!(stats.used, 4860, "{stats:?}");
    assert_eq!(stats.rejected, 140);
    assert_eq!(stats.skipped_total(), 0, "{:?}", stats.skipped);
    assert_eq!(
        stats.notes.len(),
        1,
        "the default format is assumed and said: {:?}",
        stats.notes
    );
    // The RDP brute force: 49 internet addresses against 172.31.20.44:3389
    // (`awk '$7==3389 {print $4}' | sort -u | wc -l` on the file).
    let rdp: Vec<_> = ev.connections.iter().filter(|c| c.port == 3389).collect();
    assert_eq!(rdp.len(), 49);
    assert!(rdp.iter().all(|c| c.server.to_string() == "172.31.20.44"));
    // DNS between the two private hosts is oriented to port 53.
    assert!(
        ev.connections
            .iter()
            .any(|c| c.port == 53 && c.server.to_string() == "172.16.1.32")
    );
}

#[test]
fn rdp_from_the_internet_is_flagged_not_turned_into_a_rule() {
    let (ev, stats) = read("cloudwatchlogs_vpcflowlog_lambdaprocessed.sample");
    let inv = Estate::new()
        .vpc("vpc-1", &["172.31.0.0/16", "172.16.0.0/16"])
        .eni("eni-63c18886", "vpc-1", &["172.31.20.44"], &["sg-rdp"])
        .eni("eni-b1578161", "vpc-1", &["172.16.1.167"], &["sg-client"])
        .eni("eni-b1578162", "vpc-1", &["172.16.1.32"], &["sg-dc"])
        .build();
    let a = analyze(Window::ALL, stats, ev, inv);
    assert!(
        a.proposal
            .suspicious
            .iter()
            .any(|s| s.reason.contains("RDP")),
        "{:?}",
        a.proposal.suspicious
    );
    assert!(a.proposal.rules.iter().all(|r| r.from_port != 3389));
    // The private DNS and SMB traffic becomes rules from the client's group to the server's.
    let rules: Vec<_> = a
        .proposal
        .rules
        .iter()
        .map(|r| {
            (
                r.source_sg.as_str(),
                r.target_sg.as_str(),
                r.proto,
                r.from_port,
            )
        })
        .collect();
    assert!(rules.contains(&("sg-client", "sg-dc", 17, 53)), "{rules:?}");
    assert!(rules.contains(&("sg-client", "sg-dc", 6, 445)), "{rules:?}");
}

#[test]
fn loki_s3_object_with_header_is_read_through_gzip() {
    let (ev, stats) = read("vpcflowlog.log.gz");
    assert_eq!(stats.records, 3);
    assert_eq!(stats.used, 3);
    assert!(
        stats.notes.is_empty(),
        "a header was present: {:?}",
        stats.notes
    );
    let https: Vec<_> = ev.connections.iter().filter(|c| c.port == 443).collect();
    assert_eq!(https.len(), 1, "request and response are one connection");
    assert_eq!(https[0].client.to_string(), "10.26.1.153");
    assert_eq!(https[0].records, 2);
}

#[test]
fn splunk_probe_sample_keeps_icmp_and_smb() {
    let (ev, stats) = read("vpc-flow-log.sample");
    assert_eq!(stats.records, 10);
    assert_eq!(stats.used + stats.rejected, 10);
    assert!(ev.connections.iter().any(|c| c.proto == 1));
    assert!(
        ev.connections
            .iter()
            .any(|c| c.port == 445 && c.server.to_string() == "10.95.0.50")
    );
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_rows_are_records_with_underscored_column_names() {
    // The rows of flowlogs-reader's test file (its test_serial_parquet):
    // one accepted flow 198.51.100.1:443 -> 192.0.2.1:49152, then NODATA rows.
    let (ev, stats) = read("flows.parquet");
    assert_eq!(stats.records, 3);
    assert_eq!(stats.used, 1);
    assert_eq!(stats.skipped.get("nodata"), Some(&2), "{:?}", stats.skipped);
    assert!(stats.notes.is_empty(), "{:?}", stats.notes);
    let c = &ev.connections[0];
    assert_eq!(
        (c.server.to_string(), c.port, c.client.to_string()),
        ("198.51.100.1".into(), 443, "192.0.2.1".into())
    );
    assert_eq!((c.packets, c.bytes), (10, 840));
    assert_eq!(c.logged_at, vec!["eni-102010ab".to_string()]);
}

#[cfg(not(feature = "parquet"))]
#[test]
fn without_the_parquet_feature_a_parquet_file_is_skipped_with_the_reason() {
    let (ev, stats) = read("flows.parquet");
    assert_eq!(stats.files, 1);
    assert_eq!(stats.records, 0, "never read as text");
    assert_eq!(stats.skipped.get("unsupported file"), Some(&1));
    let place = &stats.examples["unsupported file"][0];
    assert!(
        place.contains("flows.parquet:0: a Parquet file") && place.contains("`parquet` feature"),
        "{place}"
    );
    assert!(ev.connections.is_empty());
}

#[test]
fn an_interface_the_inventory_lacks_is_the_local_side_of_its_inbound_traffic() {
    // eni-94dc1fdd (10.95.0.50, another account) received SMB and ICMP from
    // six and four internet addresses: listed from the interface, inbound,
    // each remote address once, never its own.
    let (ev, stats) = read("vpc-flow-log.sample");
    let a = analyze(Window::ALL, stats, ev, Estate::new().build());
    let smb = a
        .proposal
        .external
        .iter()
        .find(|e| e.port == 445)
        .expect("the SMB traffic is listed");
    assert_eq!(smb.local, "eni-94dc1fdd (not in the inventory)");
    assert_eq!(smb.remote_kind, "internet");
    assert!(!smb.local_is_client, "inbound: the internet initiated");
    let remotes: Vec<String> = smb.remotes.iter().map(ToString::to_string).collect();
    assert_eq!(remotes.len(), 6, "{remotes:?}");
    assert_eq!(smb.remote_count, 6);
    assert!(
        remotes.iter().all(|r| r.starts_with("113.161.184.")),
        "{remotes:?}"
    );
    let mut distinct = remotes.clone();
    distinct.dedup();
    assert_eq!(distinct, remotes);
}

#[test]
fn an_interface_the_inventory_lacks_talked_to_the_other_end_not_itself() {
    // eni-0050644426037aa0f (10.26.1.153) to 3.239.232.29:443, in no VPC
    // the inventory holds: its own address is the private end.
    let (ev, stats) = read("vpcflowlog.log.gz");
    let a = analyze(Window::ALL, stats, ev, Estate::new().build());
    let x = a
        .attribution
        .absent
        .iter()
        .find(|x| x.id == "eni-0050644426037aa0f")
        .expect("listed as missing");
    let peers: Vec<String> = x.peers.iter().map(ToString::to_string).collect();
    assert_eq!(peers, ["3.239.232.29"]);
    let own: Vec<String> = x.addresses.iter().map(ToString::to_string).collect();
    assert_eq!(own, ["10.26.1.153"]);
    let https = a.proposal.external.iter().find(|e| e.port == 443).unwrap();
    assert_eq!(https.local, "eni-0050644426037aa0f (not in the inventory)");
    assert!(https.local_is_client);
    // The report's reason is the JSON's (`unknown`), and says what it may be.
    let md = sgpair::emit::report::markdown(&a, &sgpair::audit::audit(&a));
    assert!(
        md.contains("| eni-0050644426037aa0f | unknown: its records name no VPC"),
        "{md}"
    );
}
