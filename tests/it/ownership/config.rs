//! `--history config`: ownership over time from AWS Config's recorded
//! configuration items of the interfaces. The estates are files, as in the
//! tests above; the configuration recorder is moto's, and the items (moto
//! records none of interfaces) are served by the fault proxy in AWS's shape
//! (`support/aws_config.rs`). Each run gives the outputs a CloudTrail
//! history of the same changes gives.

use super::*;
use crate::support::aws_config::{Recorded, record};
use crate::support::aws_env::{Moto, against};
use crate::support::fault_proxy::FaultProxy;

const DB: &str = "sg-0000000000000db1";
const APP: &str = "sg-00000000000a0001";

/// Seconds since the epoch of an RFC 3339 time.
fn at(time: &str) -> i64 {
    humantime::parse_rfc3339(time)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `infer --json -q --history config` over the estate's logs, and `extra`,
/// with AWS Config behind `proxy`.
fn with_config(e: &Scenario, proxy: &FaultProxy, extra: &[&str]) -> Run {
    e.run_with(
        &[&["--json", "-q", "--history", "config"], extra].concat(),
        |cmd| against(cmd, &proxy.endpoint),
    )
}

/// The same run with a CloudTrail history file of `records` instead.
fn with_cloudtrail(e: &Scenario, records: &[Json]) -> Run {
    let history = e.dir.path().join("cloudtrail.json");
    std::fs::write(&history, lookup_events(records)).unwrap();
    run(e, &["--history", history.to_str().unwrap()])
}

/// The interfaces `GetResourceConfigHistory` was asked about, once per call.
fn histories_asked(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .seen()
        .iter()
        .filter(|s| s.request.op == "config:GetResourceConfigHistory")
        .map(|s| {
            let body: Json = serde_json::from_slice(&s.request.body).unwrap();
            body["resourceId"].as_str().unwrap().to_string()
        })
        .collect()
}

/// A moto server whose configuration recorder records every type.
async fn recording_moto() -> Moto {
    let moto = Moto::start();
    record(&moto.config().await, None).await;
    moto
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_interface_whose_groups_config_recorded_gets_them() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group(DB, "db", "vpc-1")
        .group(APP, "app", "vpc-1")
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &[DB]);
    let mut lines = Vec::new();
    for port in [40001u16, 40002, 40003] {
        lines.push(v2("eni-task", "10.0.1.10", port, "10.0.2.20", 5432));
        lines.push(v2("eni-task", "10.0.2.20", 5432, "10.0.1.10", port));
        lines.push(v2("eni-db", "10.0.1.10", port, "10.0.2.20", 5432));
    }
    log(&e, "flows.log", V2, &lines);
    let moto = recording_moto().await;
    let mut items = Recorded::new();
    items
        .state(
            "eni-db",
            at("2026-11-01T00:00:00Z"),
            "vpc-1",
            &["10.0.2.20"],
            &[DB],
        )
        .state(
            "eni-task",
            at("2026-11-18T22:00:00Z"),
            "vpc-1",
            &["10.0.1.10"],
            &[APP],
        )
        .deleted("eni-task", at("2026-11-19T06:00:00Z"));
    let proxy = FaultProxy::start(&moto.endpoint, items.rule());

    let with = with_config(&e, &proxy, &[]);
    with.ok();
    assert_eq!(
        with.proposed(),
        vec![rule(APP, DB, 5432)],
        "the deleted task's group, from Config"
    );
    assert_eq!(
        with.absent(),
        vec![("eni-task".to_string(), "deleted".to_string())]
    );
    assert_eq!(
        with.json()["attribution"]["absent"][0]["groups"],
        json!([APP])
    );
    assert!(
        with.report()
            .contains("deleted 2026-11-19T06:00:00Z (history)"),
        "{}",
        with.report()
    );
    // One batch for both interfaces; the history of the deleted one only
    // (the db's latest state is older than the window): one seven-day page.
    assert_eq!(proxy.count("config:BatchGetResourceConfig"), 1);
    assert_eq!(histories_asked(&proxy), ["eni-task"]);

    let trail = with_cloudtrail(
        &e,
        &[
            created(
                "eni-task",
                "vpc-1",
                "10.0.1.10",
                APP,
                "2026-11-18T22:00:00Z",
            ),
            deleted("eni-task", "2026-11-19T06:00:00Z"),
        ],
    );
    assert_eq!(
        with.tfvars(),
        trail.tfvars(),
        "the same tfvars as from CloudTrail"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_change_config_recorded_mid_window_gives_each_connection_the_groups_of_its_time() {
    let (old, new) = ("sg-0000000000000010", "sg-0000000000000020");
    let e = regrouped_estate(old, new, DB);
    let moto = recording_moto().await;
    let mut items = Recorded::new();
    items
        // Discovered in October with a second address; the state the
        // window starts in is November's.
        .state(
            "eni-app",
            at("2026-10-01T00:00:00Z"),
            "vpc-1",
            &["10.0.1.10", "10.0.1.12"],
            &[old],
        )
        .state(
            "eni-app",
            at("2026-11-01T00:00:00Z"),
            "vpc-1",
            &["10.0.1.10"],
            &[old],
        )
        .state(
            "eni-app",
            at("2026-11-21T00:00:00Z"),
            "vpc-1",
            &["10.0.1.10"],
            &[new],
        )
        .state(
            "eni-db",
            at("2026-11-01T00:00:00Z"),
            "vpc-1",
            &["10.0.2.20"],
            &[DB],
        );
    let proxy = FaultProxy::start(&moto.endpoint, items.rule());

    let known = with_config(&e, &proxy, &[]);
    known.ok();
    assert_eq!(
        known.proposed(),
        vec![rule(old, DB, 5432), rule(new, DB, 6432)],
        "Monday's connection is the old group's, Friday's the new one's"
    );
    // Newest first, seven days a call, back to the state of November 1st
    // (two empty weeks between), and not past it to October's.
    assert_eq!(histories_asked(&proxy), ["eni-app"; 4]);

    let trail = with_cloudtrail(
        &e,
        &[
            created("eni-app", "vpc-1", "10.0.1.10", old, "2026-11-01T00:00:00Z"),
            regrouped("eni-app", new, "2026-11-21T00:00:00Z"),
        ],
    );
    assert_eq!(
        known.tfvars(),
        trail.tfvars(),
        "the same tfvars as from CloudTrail"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn config_that_does_not_record_interfaces_is_an_error_that_says_so() {
    let mut e = estate();
    e.inv
        .vpc("vpc-1", &["10.0.0.0/16"])
        .group(DB, "db", "vpc-1")
        .eni("eni-db", "vpc-1", &["10.0.2.20"], &[DB]);
    log(
        &e,
        "flows.log",
        V2,
        &[v2("eni-db", "10.0.1.10", 40001, "10.0.2.20", 5432)],
    );

    // No configuration recorder at all.
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto.endpoint, Recorded::new().rule());
    let none = with_config(&e, &proxy, &[]);
    none.exits(1);
    assert!(
        none.stderr
            .contains("AWS Config has no configuration recorder"),
        "{}",
        none.stderr
    );
    assert!(!none.path("rules.auto.tfvars").exists(), "nothing written");

    // A recorder of buckets only.
    record(&moto.config().await, Some(&["AWS::S3::Bucket"])).await;
    let buckets = with_config(&e, &proxy, &[]);
    buckets.exits(1);
    for said in [
        "reading the interfaces' history from AWS Config",
        "AWS Config does not record network interfaces here",
        "(default) leaves out AWS::EC2::NetworkInterface",
        "--history cloudtrail",
    ] {
        assert!(buckets.stderr.contains(said), "{said}: {}", buckets.stderr);
    }
    assert!(
        !buckets.path("rules.auto.tfvars").exists(),
        "nothing written"
    );
    assert_eq!(
        proxy.count("config:BatchGetResourceConfig")
            + proxy.count("config:GetResourceConfigHistory"),
        0,
        "no history asked of a recorder that keeps none"
    );

    // With --allow-partial the history is missing, and the run says so.
    let partial = with_config(&e, &proxy, &["--allow-partial"]);
    partial.ok();
    let missing = &partial.json()["stats"]["missing"];
    assert!(
        missing[0]
            .as_str()
            .is_some_and(|m| m.starts_with("--history config: ")
                && m.contains("does not record network interfaces")),
        "{missing:#}"
    );
    assert!(
        partial.report().contains("Incomplete evidence"),
        "{}",
        partial.report()
    );
}
