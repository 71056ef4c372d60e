//! A central log-archive bucket, end to end: three accounts' flow logs in
//! two regions, in the plain layout in one bucket and the Hive layout in
//! another, with days outside the window and a load balancer's logs beside
//! them. `--account` and `--log-region` read only their objects and list
//! no other account's or region's folders; without them every account is
//! read; one listing at a time finds what many at once find. Through the
//! `sgpair` binary against moto server (see `aws.rs`).

use std::collections::BTreeSet;
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;

use crate::estate::accounts_seen;
use crate::support::aws_env::*;
use crate::support::fault_proxy::{Action, FaultProxy, Reply};
use crate::support::flows::{V2, connection, gzip, lines};
use crate::support::model::{Estate, rfc3339, s3_client};
use crate::support::{Out, read};

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const ACCOUNTS: [&str; 3] = [A, B, C];
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// The bucket of each layout.
const PLAIN: &str = "archive-plain";
const HIVE: &str = "archive-hive";

/// The archive in moto, and the end of the window every run here uses (so
/// that runs can be compared byte for byte).
struct Archive {
    moto: Moto,
    until: i64,
    until_rfc3339: String,
}

/// The two interfaces whose records one object holds: one object per
/// bucket, account and region, each with its own interfaces.
fn interfaces(hive: bool, account: &str, region: &str) -> [String; 2] {
    let tag = format!(
        "{}{}{}",
        if hive { "h" } else { "p" },
        &account[..1],
        if region == "us-east-1" {
            "use1"
        } else {
            "euw1"
        }
    );
    [format!("eni-{tag}c"), format!("eni-{tag}s")]
}

/// Four records (one connection, both ends) as a gzip text object with a header.
fn object(n: u8, hive: bool, account: &str, region: &str, start: i64) -> Vec<u8> {
    let [client, server] = interfaces(hive, account, region);
    let recs: Vec<_> = connection(
        (Some(&client), &format!("10.{n}.1.10"), 40_000),
        (Some(&server), &format!("10.{n}.2.20"), 5432),
        start,
        true,
    )
    .into_iter()
    .map(|r| r.account(account))
    .collect();
    gzip(lines(&recs, V2, true).as_bytes())
}

/// What a reader counts as malformed, if it ever read it.
fn bogus() -> Vec<u8> {
    gzip(b"this object is outside what was asked for and must not be read\n")
}

/// The object key AWS writes for `account` and `region` on the day of `t`.
fn key(hive: bool, account: &str, region: &str, t: i64, name: &str) -> String {
    let day = day_path(t, hive);
    let file = format!("{account}_vpcflowlogs_{region}_fl-1_{name}.log.gz");
    if hive {
        format!(
            "AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/{day}hour=05/{file}"
        )
    } else {
        format!("AWSLogs/{account}/vpcflowlogs/{region}/{day}{file}")
    }
}

async fn archive() -> Archive {
    let moto = Moto::start();
    let s3 = s3_client(&moto.config().await);
    let until = now();
    let t = until - 3600;
    let mut n = 0;
    for (bucket, hive) in [(PLAIN, false), (HIVE, true)] {
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        let mut put = Vec::new();
        for account in ACCOUNTS {
            for region in REGIONS {
                n += 1;
                put.push((
                    key(hive, account, region, t, "now"),
                    object(n, hive, account, region, t),
                ));
                // Ten days ago: outside a one-day window.
                put.push((key(hive, account, region, t - 10 * 86_400, "old"), bogus()));
            }
        }
        // Another service's logs in the same account folder, in the window.
        put.push((
            format!(
                "AWSLogs/{A}/elasticloadbalancing/us-east-1/{}{A}_elasticloadbalancing_us-east-1_app.lb_x.log.gz",
                day_path(t, false)
            ),
            bogus(),
        ));
        put_all(&s3, bucket, put).await;
    }
    Archive {
        moto,
        until,
        until_rfc3339: rfc3339(until),
    }
}

impl Archive {
    /// `sgpair infer --json` over both buckets through `endpoint`, in `dir`.
    /// The inventory names no account, so nothing limits the listing
    /// unless `extra` does.
    fn infer(&self, endpoint: &str, dir: &Path, extra: &[&str]) -> Out {
        Estate::new().write(&dir.join("inventory.json"));
        self.infer_with(endpoint, dir, extra)
    }

    /// [`Archive::infer`] with the `inventory.json` already in `dir`. Its
    /// inventories hold no interface (these tests are about what is listed
    /// and read), so the run is told to write its outputs all the same.
    fn infer_with(&self, endpoint: &str, dir: &Path, extra: &[&str]) -> Out {
        let mut args = vec![
            "infer",
            "--allow-empty",
            "--s3",
            "s3://archive-plain",
            "--s3",
            "s3://archive-hive/",
            "--inventory",
            "inventory.json",
            "--since",
            "1d",
            "--until",
            &self.until_rfc3339,
            "--json",
        ];
        args.extend_from_slice(extra);
        sgpair_at(endpoint, dir, &args, &[])
    }
}

/// Puts each `(key, body)` into `bucket`.
async fn put_all(s3: &aws_sdk_s3::Client, bucket: &str, objects: Vec<(String, Vec<u8>)>) {
    for (key, body) in objects {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap();
    }
}

/// A proxy that passes everything on, S3 listings as pages of one entry:
/// every listing has to follow its pages.
fn pages_of_one(moto: &Moto) -> FaultProxy {
    FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, _| match req.op.as_str() {
            "s3:ListObjectsV2" => Action::ForwardTarget(format!("{}&max-keys=1", req.target)),
            _ => Action::Forward,
        }),
    )
}

/// Per S3 location: (objects read, records in the window).
fn per_source(out: &Out) -> Vec<(String, u64, u64)> {
    out.json()["evidence_per_source"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap().to_string(),
                s["streams"].as_u64().unwrap(),
                s["records"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The interfaces whose records were used (none is in the inventory).
fn interfaces_used(out: &Out) -> BTreeSet<String> {
    out.json()["attribution"]["absent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

fn expected_interfaces(accounts: &[&str], regions: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for hive in [false, true] {
        for a in accounts {
            for r in regions {
                out.extend(interfaces(hive, a, r));
            }
        }
    }
    out
}

/// Every line read was a record, and every record was used: nothing
/// outside the window, of another service, or malformed was read.
fn only_records(out: &Out, records: u64) {
    let stats = &out.json()["stats"];
    assert_eq!(stats["records"], records, "{stats:#}");
    assert_eq!(stats["used"], records, "{stats:#}");
    assert_eq!(stats["skipped"], serde_json::json!({}), "{stats:#}");
}

/// The prefixes of the ListObjectsV2 requests the proxy saw (decoded).
fn listed_prefixes(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .seen()
        .iter()
        .filter(|s| s.request.op == "s3:ListObjectsV2")
        .map(|s| {
            let query = s.request.target.split_once('?').map_or("", |(_, q)| q);
            let prefix = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("prefix="))
                .unwrap_or("");
            let bucket = s.request.target.trim_start_matches('/');
            let bucket = bucket.split(['/', '?']).next().unwrap_or("");
            format!("{bucket}/{}", decode(prefix))
        })
        .collect()
}

/// `%XX` escapes of a query value.
fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_and_regions_limit_what_is_listed_and_read_in_both_layouts() {
    let archive = archive().await;
    let proxy = pages_of_one(&archive.moto);
    let dir = tempfile::tempdir().unwrap();
    let out = archive.infer(
        &proxy.endpoint,
        dir.path(),
        &["--account", A, "--account", C, "--log-region", "eu-west-1"],
    );
    out.ok();
    // Two objects per bucket (A and C in eu-west-1), four records each.
    assert_eq!(
        per_source(&out),
        vec![
            ("s3://archive-hive/".to_string(), 2, 8),
            ("s3://archive-plain/".to_string(), 2, 8),
        ]
    );
    only_records(&out, 16);
    assert_eq!(
        interfaces_used(&out),
        expected_interfaces(&[A, C], &["eu-west-1"])
    );

    // Listed: each bucket's top, then A's and C's flow-log folders of both
    // layouts (never AWSLogs/ itself, B, or us-east-1), then the two days
    // of the window in eu-west-1; in pages of one, so some twice or more.
    let listed = listed_prefixes(&proxy);
    let distinct: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    let day = |hive, account, t| {
        let k = key(hive, account, "eu-west-1", t, "x");
        k[..k.rfind('/').unwrap() + 1].replace("hour=05/", "")
    };
    let until = archive.until;
    let mut expected = BTreeSet::new();
    for (bucket, hive) in [(PLAIN, false), (HIVE, true)] {
        expected.insert(format!("{bucket}/"));
        for account in [A, C] {
            expected.insert(format!("{bucket}/AWSLogs/{account}/vpcflowlogs/"));
            expected.insert(format!(
                "{bucket}/AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/"
            ));
            expected.insert(format!("{bucket}/{}", day(hive, account, until - 86_400)));
            expected.insert(format!("{bucket}/{}", day(hive, account, until)));
        }
    }
    let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(distinct, expected, "{listed:#?}");
    assert!(
        listed.len() > distinct.len(),
        "no listing had a second page"
    );
    assert!(
        proxy
            .seen()
            .iter()
            .any(|s| s.request.op == "s3:ListObjectsV2" && s.request.has_token)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_scope_every_account_is_read_the_same_one_listing_at_a_time_or_many() {
    let archive = archive().await;
    let many = tempfile::tempdir().unwrap();
    let all = archive.infer(&archive.moto.endpoint, many.path(), &[]);
    all.ok();
    assert_eq!(
        per_source(&all),
        vec![
            ("s3://archive-hive/".to_string(), 6, 24),
            ("s3://archive-plain/".to_string(), 6, 24),
        ]
    );
    only_records(&all, 48);
    assert_eq!(
        interfaces_used(&all),
        expected_interfaces(&ACCOUNTS, &REGIONS)
    );

    // One request at a time, every listing in pages of one entry: the same
    // report, byte for byte, and the same rules.
    let proxy = pages_of_one(&archive.moto);
    let one = tempfile::tempdir().unwrap();
    let sequential = archive.infer(&proxy.endpoint, one.path(), &["--concurrency", "1"]);
    sequential.ok();
    assert_eq!(sequential.stdout, all.stdout);
    assert_eq!(
        read(one.path().join("rules.auto.tfvars")),
        read(many.path().join("rules.auto.tfvars"))
    );
    // An account alone, in every region: its objects, the others' not listed.
    let b = tempfile::tempdir().unwrap();
    let proxy = pages_of_one(&archive.moto);
    let only_b = archive.infer(&proxy.endpoint, b.path(), &["--account", B]);
    only_b.ok();
    only_records(&only_b, 16);
    assert_eq!(
        interfaces_used(&only_b),
        expected_interfaces(&[B], &REGIONS)
    );
    assert!(
        listed_prefixes(&proxy)
            .iter()
            .all(|p| !p.contains(A) && !p.contains(C)),
        "{:#?}",
        listed_prefixes(&proxy)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_listing_names_the_call_and_the_prefix() {
    let archive = archive().await;
    let denied = format!("prefix=AWSLogs/aws-account-id={C}/aws-service=vpcflowlogs/");
    let proxy = FaultProxy::start(
        &archive.moto.endpoint,
        Box::new(move |req, _| {
            if req.op == "s3:ListObjectsV2" && decode(&req.target).contains(&denied) {
                Action::Reply(Reply::s3(403, "AccessDenied", "Access Denied"))
            } else {
                Action::Forward
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = archive.infer(&proxy.endpoint, dir.path(), &["--log-region", "us-east-1"]);
    out.exits(1);
    assert!(
        out.stderr.contains(&format!(
            "s3:ListObjectsV2 on s3://archive-hive/AWSLogs/aws-account-id={C}/aws-service=vpcflowlogs/"
        )) && out.stderr.contains("AccessDenied"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("rules.auto.tfvars").exists());
}

#[test]
fn the_scope_flags_are_checked_and_need_an_s3_location() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            vec!["--s3", "s3://b", "--account", "12345"],
            "an AWS account id is twelve digits",
        ),
        (
            vec!["--s3", "s3://b", "--log-region", "us-east-1/x"],
            "a region name is lower-case letters",
        ),
        (vec!["--logs", "x.log", "--account", A], "--s3"),
    ] {
        let mut all = vec!["infer"];
        all.extend(args);
        let out = sgpair_at("http://127.0.0.1:9", dir.path(), &all, &[]);
        out.exits(2);
        assert!(out.stderr.contains(says), "{}", out.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_flags_the_listing_keeps_to_the_inventory_s_account_and_region() {
    let archive = archive().await;
    let dir = tempfile::tempdir().unwrap();
    Estate::new()
        .account(A, "us-east-1")
        .write(&dir.path().join("inventory.json"));
    let proxy = pages_of_one(&archive.moto);
    let run = archive.infer_with(&proxy.endpoint, dir.path(), &[]);
    run.ok();
    assert_eq!(
        interfaces_used(&run),
        expected_interfaces(&[A], &["us-east-1"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn records_without_account_id_belong_to_the_account_their_key_names() {
    let moto = Moto::start();
    let bucket = "archive-custom-format";
    let s3 = new_bucket(&moto.config().await, bucket).await;
    let until = now();
    let t = until - 3600;
    // A custom format without account-id: only the key says whose it is.
    let format = V2.replace("account-id ", "");
    for (n, account) in [(1, A), (2, C)] {
        let [client, server] = interfaces(false, account, "us-east-1");
        let recs = connection(
            (Some(&client), &format!("10.{n}.1.10"), 40_000),
            (Some(&server), &format!("10.{n}.2.20"), 5432),
            t,
            true,
        );
        let body = gzip(lines(&recs, &format, true).as_bytes());
        let at = key(false, account, "us-east-1", t, "now");
        put_all(&s3, bucket, vec![(at, body)]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    // A has an inventory, C has none.
    Estate::new()
        .account(A, "us-east-1")
        .write(&dir.path().join("inventory.json"));
    // The inventory holds no interface: --allow-empty.
    let args = [
        "infer",
        "--json",
        "-q",
        "--allow-empty",
        "--s3",
        &format!("s3://{bucket}"),
        "--account",
        A,
        "--account",
        C,
        "--inventory",
        "inventory.json",
        "--since",
        "1d",
        "--until",
        &rfc3339(until),
    ];
    let run = sgpair_at(&moto.endpoint, dir.path(), &args, &[]);
    run.ok();
    assert_eq!(
        accounts_seen(run.json()),
        vec![(A.to_string(), true, 4), (C.to_string(), false, 4)],
        "C's records are counted as C's, never resolved against A's inventory"
    );
}

/// A log group's flow logs exported to S3 (`aws logs create-export-task`):
/// below the task's prefix, a folder per task named by its id, a folder
/// per log stream, gzip objects of lines each behind its event's time, no
/// date folders. `--s3` at the prefix lists each task's folder whole and
/// reads every stream's records; the bucket's write-test object beside the
/// tasks is not read.
#[tokio::test(flavor = "multi_thread")]
async fn a_cloudwatch_logs_export_is_read_from_its_task_folders() {
    const TASK: &str = "0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b";
    let moto = Moto::start();
    let s3 = new_bucket(&moto.config().await, "exports").await;
    let until = now();
    let t = until - 3600;
    let recs = connection(
        (Some("eni-exportc"), "10.9.1.10", 40_000),
        (Some("eni-exports"), "10.9.2.20", 5432),
        t,
        true,
    );
    let stamp = rfc3339(t).replace('Z', ".000Z");
    let mut put = vec![(
        "exportedlogs/aws-logs-write-test".to_string(),
        b"Permission Check Successful".to_vec(),
    )];
    for (stream, at_client) in [("eni-exportc-all", true), ("eni-exports-all", false)] {
        let mine: Vec<_> = recs
            .iter()
            .filter(|r| r.at_client == at_client)
            .cloned()
            .collect();
        let text: String = lines(&mine, V2, false)
            .lines()
            .map(|l| format!("{stamp} {l}\n"))
            .collect();
        put.push((
            format!("exportedlogs/{TASK}/{stream}/000000.gz"),
            gzip(text.as_bytes()),
        ));
    }
    put_all(&s3, "exports", put).await;
    // The inventory names its account and region, which scope the
    // listing: an export, which has no account folders, is read whole
    // without a warning; one the flags scope is warned about.
    let dir = tempfile::tempdir().unwrap();
    Estate::new()
        .account(A, "us-east-1")
        .write(&dir.path().join("inventory.json"));
    let until = rfc3339(until);
    let infer = |extra: &[&str]| {
        let mut args = vec![
            "infer",
            "--allow-empty",
            "--s3",
            "s3://exports/exportedlogs",
            "--inventory",
            "inventory.json",
            "--since",
            "1d",
            "--until",
            &until,
            "--json",
        ];
        args.extend_from_slice(extra);
        sgpair_at(&moto.endpoint, dir.path(), &args, &[])
    };
    let out = infer(&[]);
    out.ok();
    assert_eq!(
        per_source(&out),
        vec![("s3://exports/exportedlogs/".to_string(), 2, 4)]
    );
    only_records(&out, 4);
    assert_eq!(
        interfaces_used(&out),
        ["eni-exportc", "eni-exports"].map(String::from).into()
    );
    let narrow = format!(
        "note: s3://exports/exportedlogs/{TASK}/: a CloudWatch Logs export task, which has no account or region folders: --account and --log-region do not narrow it, so all of it is read"
    );
    assert!(!out.stderr.contains(&narrow), "{}", out.stderr);
    let flagged = infer(&["--account", A]);
    flagged.ok();
    assert_eq!(per_source(&flagged), per_source(&out));
    assert!(flagged.stderr.contains(&narrow), "{}", flagged.stderr);
}
