//! End-to-end tests of the live AWS paths: the real aws-sdk clients inside the
//! `sgpair` binary against moto server (an AWS API emulator) on 127.0.0.1,
//! reached through AWS_ENDPOINT_URL. The test starts its own moto_server;
//! without it (pip install "moto[server]") the test fails and says so.
//!
//! Only with the `aws` cargo feature (on by default); the Parquet object test
//! needs the `parquet` feature too.
#![cfg(feature = "aws")]

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_ec2::config::Credentials;
use aws_sdk_ec2::types::{
    FlowLogsResourceType, IpPermission, LogDestinationType, PrivateIpAddressSpecification,
    TrafficType, UserIdGroupPair,
};
use aws_sdk_s3::primitives::ByteStream;

/// A moto server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start moto_server ({e}): install it with `pip install \"moto[server]\"` (.ci/run does)")
            });
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not open port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, endpoint }
    }

    async fn config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await
    }

    /// Runs the sgpair binary against this emulator.
    fn sgpair(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sgpair"))
            .args(args)
            .current_dir(dir)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("the sgpair binary runs")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the emulated account holds.
struct Env {
    web_sg: String,
    db_sg: String,
    mon_sg: String,
    agents_sg: String,
    web_eni: String,
    db_eni: String,
}

const FORMAT: &str = "${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${tcp-flags} ${flow-direction}";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Records of one TCP connection as both interfaces log it (custom FORMAT order).
fn connection(
    client: (&str, &str, u16),
    server: (&str, &str, u16),
    start: i64,
) -> Vec<(String, String)> {
    let (ceni, caddr, cport) = client;
    let (seni, saddr, sport) = server;
    let rec = |eni: &str, src: &str, sp: u16, dst: &str, dp: u16, flags: u16, dir: &str| {
        format!(
            "5 {eni} {src} {dst} {sp} {dp} 6 10 840 {start} {} ACCEPT OK {flags} {dir}",
            start + 60
        )
    };
    vec![
        (
            ceni.into(),
            rec(ceni, caddr, cport, saddr, sport, 2, "egress"),
        ),
        (
            ceni.into(),
            rec(ceni, saddr, sport, caddr, cport, 18, "ingress"),
        ),
        (
            seni.into(),
            rec(seni, caddr, cport, saddr, sport, 2, "ingress"),
        ),
        (
            seni.into(),
            rec(seni, saddr, sport, caddr, cport, 18, "egress"),
        ),
    ]
}

async fn build(config: &SdkConfig) -> (Env, Vec<(String, String)>) {
    build_named(config, "web").await
}

async fn build_named(config: &SdkConfig, web_name: &'static str) -> (Env, Vec<(String, String)>) {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let subnet = |cidr: &'static str| {
        let (ec2, vpc_id) = (ec2.clone(), vpc_id.clone());
        async move {
            let s = ec2
                .create_subnet()
                .vpc_id(vpc_id)
                .cidr_block(cidr)
                .send()
                .await
                .unwrap();
            s.subnet().unwrap().subnet_id().unwrap().to_string()
        }
    };
    let (app, data) = (subnet("10.0.1.0/24").await, subnet("10.0.2.0/24").await);
    let group = |name: &'static str| {
        let (ec2, vpc_id) = (ec2.clone(), vpc_id.clone());
        async move {
            let g = ec2
                .create_security_group()
                .group_name(name)
                .description(format!("{name} tier"))
                .vpc_id(vpc_id)
                .send()
                .await
                .unwrap();
            g.group_id().unwrap().to_string()
        }
    };
    let (web_sg, db_sg, mon_sg, agents_sg) = (
        group(web_name).await,
        group("db").await,
        group("monitoring").await,
        group("monitoring-agents").await,
    );
    let eni = |subnet: String, ips: Vec<&'static str>, groups: Vec<String>, desc: &'static str| {
        let ec2 = ec2.clone();
        async move {
            let mut req = ec2
                .create_network_interface()
                .subnet_id(subnet)
                .description(desc)
                .set_groups(Some(groups));
            for (i, ip) in ips.iter().enumerate() {
                req = req.private_ip_addresses(
                    PrivateIpAddressSpecification::builder()
                        .private_ip_address(*ip)
                        .primary(i == 0)
                        .build(),
                );
            }
            let n = req.send().await.unwrap();
            n.network_interface()
                .unwrap()
                .network_interface_id()
                .unwrap()
                .to_string()
        }
    };
    let web_eni = eni(
        app.clone(),
        vec!["10.0.1.10", "10.0.1.11"],
        vec![web_sg.clone(), agents_sg.clone()],
        "web-1",
    )
    .await;
    let db_eni = eni(
        data.clone(),
        vec!["10.0.2.20"],
        vec![db_sg.clone(), agents_sg.clone()],
        "db-1",
    )
    .await;
    let mon_eni = eni(
        app.clone(),
        vec!["10.0.1.30"],
        vec![mon_sg.clone()],
        "monitoring",
    )
    .await;
    ec2.authorize_security_group_ingress()
        .group_id(&db_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&web_sg).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    ec2.create_flow_logs()
        .resource_ids(&vpc_id)
        .resource_type(FlowLogsResourceType::Vpc)
        .traffic_type(TrafficType::All)
        .log_destination_type(LogDestinationType::CloudWatchLogs)
        .log_group_name("/vpc/flow-logs")
        .deliver_logs_permission_arn("arn:aws:iam::123456789012:role/flow-logs")
        .log_format(FORMAT)
        .send()
        .await
        .unwrap();

    // An hour ago: web → db (from the secondary address), monitoring → both on 9100.
    let t = now() - 3600;
    let mut records = connection(
        (&web_eni, "10.0.1.11", 45000),
        (&db_eni, "10.0.2.20", 5432),
        t,
    );
    records.extend(connection(
        (&web_eni, "10.0.1.10", 45001),
        (&db_eni, "10.0.2.20", 5432),
        t + 60,
    ));
    records.extend(connection(
        (&mon_eni, "10.0.1.30", 50000),
        (&web_eni, "10.0.1.10", 9100),
        t,
    ));
    records.extend(connection(
        (&mon_eni, "10.0.1.30", 50001),
        (&db_eni, "10.0.2.20", 9100),
        t,
    ));
    (
        Env {
            web_sg,
            db_sg,
            mon_sg,
            agents_sg,
            web_eni,
            db_eni,
        },
        records,
    )
}

async fn put_cloudwatch(config: &SdkConfig, records: &[(String, String)]) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    logs.create_log_group()
        .log_group_name("/vpc/flow-logs")
        .send()
        .await
        .unwrap();
    let mut enis: Vec<&str> = records.iter().map(|(e, _)| e.as_str()).collect();
    enis.sort();
    enis.dedup();
    for eni in enis {
        let stream = format!("{eni}-all");
        logs.create_log_stream()
            .log_group_name("/vpc/flow-logs")
            .log_stream_name(&stream)
            .send()
            .await
            .unwrap();
        let mut events: Vec<InputLogEvent> = records
            .iter()
            .filter(|(e, _)| e == eni)
            .map(|(_, m)| {
                let start: i64 = m.split(' ').nth(9).unwrap().parse().unwrap();
                InputLogEvent::builder()
                    .timestamp(start * 1000)
                    .message(m)
                    .build()
                    .unwrap()
            })
            .collect();
        events.sort_by_key(|e| e.timestamp());
        logs.put_log_events()
            .log_group_name("/vpc/flow-logs")
            .log_stream_name(&stream)
            .set_log_events(Some(events))
            .send()
            .await
            .unwrap();
    }
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

fn day_path(t: i64, hive: bool) -> String {
    let d = sgpair::window::day(t);
    let (y, m, dd) = (&d[0..4], &d[5..7], &d[8..10]);
    if hive {
        format!("year={y}/month={m}/day={dd}/")
    } else {
        format!("{y}/{m}/{dd}/")
    }
}

async fn put_s3(config: &SdkConfig, records: &[(String, String)]) {
    let s3 = sgpair::aws::s3_client(config);
    s3.create_bucket().bucket("flow-logs").send().await.unwrap();
    let header = FORMAT.replace("${", "").replace('}', "");
    let body: String = std::iter::once(header.clone())
        .chain(records.iter().map(|(_, m)| m.clone()))
        .collect::<Vec<_>>()
        .join("\n");
    let t = now() - 3600;
    let plain = format!(
        "vpc/AWSLogs/123456789012/vpcflowlogs/us-east-1/{}123456789012_vpcflowlogs_us-east-1_fl-1_20261125T0000Z_abcd1234.log.gz",
        day_path(t, false)
    );
    s3.put_object()
        .bucket("flow-logs")
        .key(plain)
        .body(ByteStream::from(gzip(&body)))
        .send()
        .await
        .unwrap();
    // Ten days ago: outside a one-day window, so never listed nor read.
    let old = format!(
        "vpc/AWSLogs/123456789012/vpcflowlogs/us-east-1/{}123456789012_vpcflowlogs_us-east-1_fl-1_old_abcd1234.log.gz",
        day_path(t - 10 * 86_400, false)
    );
    let bogus =
        format!("{header}\nthis line would be counted as malformed if the object were read\n");
    s3.put_object()
        .bucket("flow-logs")
        .key(old)
        .body(ByteStream::from(gzip(&bogus)))
        .send()
        .await
        .unwrap();
}

/// The records as a Parquet object, with AWS's underscored column names.
#[cfg(feature = "parquet")]
fn parquet(records: &[(String, String)]) -> Vec<u8> {
    use polars::prelude::{Column, DataFrame, ParquetWriter};
    let names: Vec<String> = FORMAT
        .replace("${", "")
        .replace('}', "")
        .replace('-', "_")
        .split(' ')
        .map(String::from)
        .collect();
    let rows: Vec<Vec<&str>> = records
        .iter()
        .map(|(_, m)| m.split(' ').collect())
        .collect();
    let text = [
        "interface_id",
        "srcaddr",
        "dstaddr",
        "action",
        "log_status",
        "flow_direction",
    ];
    let columns: Vec<Column> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            if text.contains(&name.as_str()) {
                Column::new(
                    name.as_str().into(),
                    rows.iter()
                        .map(|r| r[i].to_string())
                        .collect::<Vec<String>>(),
                )
            } else {
                Column::new(
                    name.as_str().into(),
                    rows.iter()
                        .map(|r| r[i].parse::<i64>().unwrap())
                        .collect::<Vec<i64>>(),
                )
            }
        })
        .collect();
    let mut df = DataFrame::new_infer_height(columns).unwrap();
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df).unwrap();
    buf
}

fn rules(dir: &Path) -> Vec<(String, String, i64)> {
    let text = std::fs::read_to_string(dir.join("rules.auto.tfvars")).unwrap();
    let v: serde_json::Value = hcl::from_str(&text).unwrap();
    let mut out: Vec<(String, String, i64)> = v["rules"]
        .as_object()
        .unwrap()
        .values()
        .map(|r| {
            (
                r["source_sg_id"].as_str().unwrap().to_string(),
                r["target_sg_id"].as_str().unwrap().to_string(),
                r["from_port"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn expected(env: &Env) -> Vec<(String, String, i64)> {
    let mut v = vec![
        (env.web_sg.clone(), env.db_sg.clone(), 5432),
        (env.mon_sg.clone(), env.agents_sg.clone(), 9100),
    ];
    v.sort();
    v
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "sgpair failed: {stderr}");
    stderr
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_and_cloudwatch_logs_from_the_api() {
    let moto = Moto::start();
    let config = moto.config().await;
    let (env, records) = build(&config).await;
    put_cloudwatch(&config, &records).await;
    let dir = tempfile::tempdir().unwrap();

    // The snapshot holds every address, group, rule and the flow log's format.
    let stderr = ok(&moto.sgpair(dir.path(), &["inventory", "--out", "inventory.json"]));
    assert!(stderr.contains("wrote inventory.json"), "{stderr}");
    let inv: sgpair::inventory::Inventory =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("inventory.json")).unwrap())
            .unwrap();
    let web = inv
        .network_interfaces
        .iter()
        .find(|e| e.id == env.web_eni)
        .unwrap();
    assert_eq!(
        web.addresses,
        vec![
            "10.0.1.10".parse::<std::net::IpAddr>().unwrap(),
            "10.0.1.11".parse().unwrap()
        ]
    );
    let mut groups = vec![env.web_sg.clone(), env.agents_sg.clone()];
    groups.sort();
    assert_eq!(web.security_groups, groups);
    let db = inv.group(&env.db_sg).unwrap();
    assert!(db.ingress.iter().any(|r| r.referenced_group_id.as_deref()
        == Some(env.web_sg.as_str())
        && r.from_port == Some(5432)));
    assert_eq!(inv.log_format_for_group("/vpc/flow-logs"), Some(FORMAT));
    assert!(
        inv.vpcs
            .iter()
            .any(|v| v.cidrs.iter().any(|c| c.to_string() == "10.0.0.0/16"))
    );

    // infer with the inventory from EC2 and the logs from CloudWatch; the
    // field order comes from DescribeFlowLogs (no header, no --log-format).
    let stderr = ok(&moto.sgpair(
        dir.path(),
        &["infer", "--log-group", "/vpc/flow-logs", "--since", "1d"],
    ));
    assert!(
        stderr.contains("read 16 records from 3 sources: 16 used as evidence"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("default v2 format was assumed"),
        "{stderr}"
    );
    assert_eq!(rules(dir.path()), expected(&env));

    // The same offline, from the snapshot.
    let stderr = ok(&moto.sgpair(
        dir.path(),
        &[
            "infer",
            "--log-group",
            "/vpc/flow-logs",
            "--since",
            "1d",
            "--inventory",
            "inventory.json",
            "--concurrency",
            "1",
        ],
    ));
    assert!(stderr.contains("16 used as evidence"), "{stderr}");
    assert_eq!(rules(dir.path()), expected(&env));
    let _ = env.db_eni;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_delivery_lists_only_the_window_and_reads_gzip_text() {
    let moto = Moto::start();
    let config = moto.config().await;
    let (env, records) = build(&config).await;
    put_s3(&config, &records).await;
    let dir = tempfile::tempdir().unwrap();
    let stderr = ok(&moto.sgpair(
        dir.path(),
        &["infer", "--s3", "s3://flow-logs/vpc", "--since", "1d"],
    ));
    assert!(
        stderr.contains("read 16 records from 1 source: 16 used as evidence"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("malformed") && !stderr.contains("wrong field count"),
        "{stderr}"
    );
    assert_eq!(rules(dir.path()), expected(&env));
}

#[cfg(feature = "parquet")]
#[tokio::test(flavor = "multi_thread")]
async fn s3_hive_partitions_with_parquet_objects() {
    let moto = Moto::start();
    let config = moto.config().await;
    let (env, records) = build(&config).await;
    let s3 = sgpair::aws::s3_client(&config);
    s3.create_bucket()
        .bucket("flow-parquet")
        .send()
        .await
        .unwrap();
    let t = now() - 3600;
    let key = format!(
        "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/{}hour=00/123456789012_vpcflowlogs_us-east-1_fl-1_20261125T0000Z_abcd1234.log.parquet",
        day_path(t, true)
    );
    s3.put_object()
        .bucket("flow-parquet")
        .key(key)
        .body(ByteStream::from(parquet(&records)))
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stderr = ok(&moto.sgpair(
        dir.path(),
        &["infer", "--s3", "s3://flow-parquet", "--since", "1d"],
    ));
    assert!(
        stderr.contains("read 16 records from 1 source: 16 used as evidence"),
        "{stderr}"
    );
    assert_eq!(rules(dir.path()), expected(&env));
}

/// A group name from AWS is data: template syntax, quotes, Markdown and HTML
/// in it change nothing in the tfvars or the report.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_group_names_from_the_api_stay_data() {
    const HOSTILE: &str = "web ${var.x} %{if} \"q\" [x](http://e) <b>|</b>";
    let moto = Moto::start();
    let config = moto.config().await;
    let (env, records) = build_named(&config, HOSTILE).await;
    put_cloudwatch(&config, &records).await;
    let dir = tempfile::tempdir().unwrap();
    ok(&moto.sgpair(
        dir.path(),
        &["infer", "--log-group", "/vpc/flow-logs", "--since", "1d"],
    ));
    let text = std::fs::read_to_string(dir.path().join("rules.auto.tfvars")).unwrap();
    // Evaluating the file as HCL with no variables fails on any live template.
    let evaluated: serde_json::Value =
        hcl::eval::from_str(&text, &hcl::eval::Context::new()).expect("no live template");
    let rules = evaluated["rules"].as_object().unwrap();
    assert_eq!(rules.len(), 2);
    let web_db = rules
        .values()
        .find(|r| r["source_sg_id"] == env.web_sg.as_str())
        .unwrap();
    let description = web_db["description"].as_str().unwrap();
    // Kept as text; `%`, quotes, `<`, `>` and `|` are outside AWS's description set.
    assert_eq!(
        description,
        "sgpair: web ${var.x} {if} q [x](http://e) b /b to db 5432/tcp"
    );
    let report = std::fs::read_to_string(dir.path().join("sgpair-report.md")).unwrap();
    assert!(
        !report.contains("<b>") && !report.contains("[x](http://e)"),
        "{report}"
    );
    assert!(
        report.contains("&lt;b&gt;\\|&lt;/b&gt;"),
        "escaped: {report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_partial_goes_on_past_a_missing_log_group_and_says_so() {
    let moto = Moto::start();
    let config = moto.config().await;
    let (env, records) = build(&config).await;
    put_cloudwatch(&config, &records).await;
    let dir = tempfile::tempdir().unwrap();
    let stderr = ok(&moto.sgpair(
        dir.path(),
        &[
            "infer",
            "--log-group",
            "/vpc/flow-logs",
            "--log-group",
            "/no/such/group",
            "--since",
            "1d",
            "--allow-partial",
        ],
    ));
    assert!(
        stderr
            .contains("warning: incomplete evidence (--allow-partial): log group /no/such/group:"),
        "{stderr}"
    );
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
    assert_eq!(rules(dir.path()), expected(&env));
    let report = std::fs::read_to_string(dir.path().join("sgpair-report.md")).unwrap();
    assert!(
        report.contains("**Incomplete evidence:** 1 source could not be read"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_log_group_names_the_call_and_writes_nothing() {
    let moto = Moto::start();
    let config = moto.config().await;
    let _ = build(&config).await;
    let dir = tempfile::tempdir().unwrap();
    let out = moto.sgpair(
        dir.path(),
        &["infer", "--log-group", "/no/such/group", "--since", "1d"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("logs:DescribeLogStreams on /no/such/group"),
        "{stderr}"
    );
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
    assert!(stderr.contains("check the name and the region"), "{stderr}");
    assert!(!dir.path().join("rules.auto.tfvars").exists());
}
