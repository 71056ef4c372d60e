//! End-to-end tests of the live AWS paths: the real aws-sdk clients inside the
//! `sgpair` binary against moto server (an AWS API emulator) on 127.0.0.1,
//! reached through AWS_ENDPOINT_URL. The test starts its own moto_server;
//! without it (scripts/test installs it, see README) the test fails and says so.
//!
//! Only with the `aws` cargo feature (on by default); the Parquet object test
//! needs the `parquet` feature too.
use aws_sdk_s3::primitives::ByteStream;

use crate::support::aws_env::*;
use crate::support::read;
use crate::support::terraform::{plan_against, stand_in};

/// The records as a Parquet object, with AWS's underscored column names.
#[cfg(feature = "parquet")]
fn parquet(records: &[(String, String)]) -> Vec<u8> {
    parquet_in_groups(records, None)
}

/// [`parquet`] in row groups of `group` rows (`None`: polars' default).
#[cfg(feature = "parquet")]
fn parquet_in_groups(records: &[(String, String)], group: Option<usize>) -> Vec<u8> {
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
    ParquetWriter::new(&mut buf)
        .with_row_group_size(group)
        .finish(&mut df)
        .unwrap();
    buf
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_and_cloudwatch_logs_from_the_api() {
    let (moto, env) = account("web", Delivery::CloudWatch).await;
    let dir = tempfile::tempdir().unwrap();

    // The snapshot holds every address, group, rule and the flow log's format.
    let stderr = moto
        .sgpair(dir.path(), &["inventory", "--out", "inventory.json"])
        .ok()
        .stderr
        .clone();
    assert!(stderr.contains("wrote inventory.json"), "{stderr}");
    let inv: sgpair::inventory::Inventory =
        serde_json::from_str(&read(dir.path().join("inventory.json"))).unwrap();
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
    let db_eni = inv
        .network_interfaces
        .iter()
        .find(|e| e.id == env.db_eni)
        .unwrap();
    assert_eq!(
        db_eni.addresses,
        vec!["10.0.2.20".parse::<std::net::IpAddr>().unwrap()]
    );
    let mut groups = vec![env.db_sg.clone(), env.agents_sg.clone()];
    groups.sort();
    assert_eq!(db_eni.security_groups, groups);
    let db = inv.group(&env.db_sg).unwrap();
    let from_web = db
        .ingress
        .iter()
        .find(|r| {
            r.referenced_group_id.as_deref() == Some(env.web_sg.as_str())
                && r.from_port == Some(5432)
        })
        .expect("db's ingress from web");
    // Every rule keeps its id (DescribeSecurityGroupRules), which
    // --terraform's imports.tf adopts.
    for g in &inv.security_groups {
        for r in g.ingress.iter().chain(&g.egress) {
            assert!(
                r.rule_id
                    .as_deref()
                    .is_some_and(|id| id.starts_with("sgr-")),
                "{}: {r:?}",
                g.id
            );
        }
    }
    let db_rule_id = from_web.rule_id.clone().unwrap();
    assert_eq!(inv.log_format_for_group(LOG_GROUP), Some(FORMAT));
    assert!(
        inv.vpcs
            .iter()
            .any(|v| v.cidrs.iter().any(|c| c.to_string() == "10.0.0.0/16"))
    );

    // infer with the inventory from EC2 and the logs from CloudWatch; the
    // field order comes from DescribeFlowLogs (no header, no --log-format).
    let stderr = moto.infer_logs(dir.path(), &[]).ok().stderr.clone();
    assert!(
        stderr.contains("read 16 records from 3 streams: 16 used as evidence"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("default v2 format was assumed"),
        "{stderr}"
    );
    assert_eq!(rules(dir.path()), expected(&env));
    // The evidence per source: the log group, its three streams together.
    let report = read(dir.path().join("sgpair-report.md"));
    assert!(
        report.contains(&format!("| log group {LOG_GROUP} | 3 | 16 |")),
        "{report}"
    );

    // The same offline, from the snapshot.
    let stderr = moto
        .infer_logs(
            dir.path(),
            &["--inventory", "inventory.json", "--concurrency", "1"],
        )
        .ok()
        .stderr
        .clone();
    assert!(stderr.contains("16 used as evidence"), "{stderr}");
    assert_eq!(rules(dir.path()), expected(&env));

    // The Terraform folder adopts the existing web -> db half by its id.
    moto.infer_logs(
        dir.path(),
        &["--inventory", "inventory.json", "--terraform", "tf"],
    )
    .ok();
    let imports = read(dir.path().join("tf/imports.tf"));
    assert!(
        imports.contains(&format!("  id = \"{db_rule_id}\"\n")),
        "{imports}"
    );
    // Terraform itself adopts it from the emulator: the import reads the
    // rule by its id at the module's address, and nothing is duplicated.
    let checked = stand_in(&dir.path().join("tf"));
    let plan = plan_against(checked.path(), &moto.endpoint);
    assert!(
        plan.contains(&format!("# (imported from \"{db_rule_id}\")")),
        "{plan}"
    );
    assert!(plan.contains("Plan: 1 to import,"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_delivery_lists_only_the_window_and_reads_gzip_text() {
    let (moto, env) = account("web", Delivery::S3).await;
    let dir = tempfile::tempdir().unwrap();
    let stderr = moto
        .sgpair(
            dir.path(),
            &["infer", "--s3", "s3://flow-logs/vpc", "--since", "1d"],
        )
        .ok()
        .stderr
        .clone();
    assert!(
        stderr.contains("read 16 records from 1 stream: 16 used as evidence"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("malformed") && !stderr.contains("wrong field count"),
        "{stderr}"
    );
    assert_eq!(rules(dir.path()), expected(&env));
    // The evidence per source: the S3 location given, its one object.
    let report = read(dir.path().join("sgpair-report.md"));
    assert!(
        report.contains("| s3://flow-logs/vpc/ | 1 | 16 |"),
        "{report}"
    );
}

/// A subscription filter's delivery through Firehose to S3: an object
/// without an extension, under Firehose's year/month/day/hour folders,
/// holding gzip members one after another, each a CloudWatch Logs document
/// of one log stream's events. Listed, told by its first bytes and read as
/// events (it was not listed at all, and a `.gz` one read as lines), with
/// the rules of the account's traffic.
#[tokio::test(flavor = "multi_thread")]
async fn s3_a_firehose_object_of_a_subscription_is_read_by_what_it_holds() {
    let moto = Moto::start();
    let config = moto.config().await;
    let (env, records) = build(&config).await;
    let s3 = new_bucket(&config, "firehose").await;
    let mut streams: std::collections::BTreeMap<&str, Vec<serde_json::Value>> = Default::default();
    for (n, (stream, message)) in records.iter().enumerate() {
        streams
            .entry(stream.as_str())
            .or_default()
            .push(serde_json::json!({
                "id": format!("{n:056}"), "timestamp": 1, "message": message,
            }));
    }
    let mut object = Vec::new();
    for (stream, events) in &streams {
        // The keys in the order CloudWatch Logs writes them (`json!` sorts them).
        let doc = format!(
            r#"{{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/vpc/flows","logStream":"{stream}","subscriptionFilters":["to-s3"],"logEvents":{}}}"#,
            serde_json::Value::from(events.clone())
        );
        object.extend(crate::support::flows::gzip(doc.as_bytes()));
    }
    let t = now() - 3600;
    let key = format!(
        "cwl/{}{:02}/flows-1-2026-11-24-00-00-00-0a1b2c3d",
        day_path(t, false),
        t.rem_euclid(86_400) / 3600
    );
    s3.put_object()
        .bucket("firehose")
        .key(key)
        .body(ByteStream::from(object))
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = moto.sgpair(
        dir.path(),
        &[
            "infer",
            "--s3",
            "s3://firehose/cwl",
            "--since",
            "1d",
            "--log-format",
            FORMAT,
        ],
    );
    let stderr = run.ok().stderr.clone();
    let n = records.len();
    assert!(
        stderr.contains(&format!(
            "read {n} records from {} streams: {n} used as evidence",
            streams.len()
        )),
        "{stderr}"
    );
    assert_eq!(rules(dir.path()), expected(&env));
}

/// The key S3 delivery gives a Parquet object of the day of `t`, in the
/// Hive layout.
#[cfg(feature = "parquet")]
fn hive_parquet_key(t: i64) -> String {
    format!(
        "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/{}hour=00/123456789012_vpcflowlogs_us-east-1_fl-1_20261125T0000Z_abcd1234.log.parquet",
        day_path(t, true)
    )
}

#[cfg(feature = "parquet")]
#[tokio::test(flavor = "multi_thread")]
async fn s3_hive_partitions_with_parquet_objects() {
    let moto = Moto::start();
    let config = moto.config().await;
    let (env, records) = build(&config).await;
    let s3 = new_bucket(&config, "flow-parquet").await;
    let t = now() - 3600;
    let key = hive_parquet_key(t);
    s3.put_object()
        .bucket("flow-parquet")
        .key(key)
        .body(ByteStream::from(parquet(&records)))
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stderr = moto
        .sgpair(
            dir.path(),
            &["infer", "--s3", "s3://flow-parquet", "--since", "1d"],
        )
        .ok()
        .stderr
        .clone();
    assert!(
        stderr.contains("read 16 records from 1 stream: 16 used as evidence"),
        "{stderr}"
    );
    assert_eq!(rules(dir.path()), expected(&env));
}

/// A corrupt Parquet object fails the run naming the object, the row group
/// and the column (the S3 path decodes as a local file does).
#[cfg(feature = "parquet")]
#[tokio::test(flavor = "multi_thread")]
async fn s3_a_corrupt_parquet_object_names_the_object_and_the_row_group() {
    let moto = Moto::start();
    let config = moto.config().await;
    let (_, records) = build(&config).await;
    let s3 = new_bucket(&config, "flow-parquet").await;
    let t = now() - 3600;
    let key = hive_parquet_key(t);
    // 16 records in row groups of 4; row group 2's srcaddr page header broken.
    let mut bytes = parquet_in_groups(&records, Some(4));
    let meta = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes)).unwrap();
    assert_eq!(meta.row_groups.len(), 4);
    let chunk = meta.row_groups[1]
        .columns_under_root_iter("srcaddr")
        .unwrap()
        .next()
        .unwrap();
    let start = chunk.byte_range().start as usize;
    bytes[start..start + 8].fill(0xff);
    s3.put_object()
        .bucket("flow-parquet")
        .key(&key)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = moto.sgpair(
        dir.path(),
        &["infer", "--s3", "s3://flow-parquet", "--since", "1d"],
    );
    out.exits(1);
    assert!(
        out.stderr.contains(&format!(
            "s3://flow-parquet/{key}: row group 2 of 4 (rows 5..8): cannot decode column srcaddr: page 1: "
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(!dir.path().join("rules.auto.tfvars").exists(), "no output");
}

/// A group name from AWS is data: template syntax, quotes, Markdown and HTML
/// in it change nothing in the tfvars or the report.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_group_names_from_the_api_stay_data() {
    const HOSTILE: &str = "web ${var.x} %{if} \"q\" [x](http://e) <b>|</b>";
    let (moto, env) = account(HOSTILE, Delivery::CloudWatch).await;
    let dir = tempfile::tempdir().unwrap();
    moto.infer_logs(dir.path(), &[]).ok();
    let text = read(dir.path().join("rules.auto.tfvars"));
    // Evaluating the file as HCL with no variables fails on any live template.
    let evaluated: serde_json::Value =
        hcl::eval::from_str(&text, &hcl::eval::Context::new()).expect("no live template");
    let rules = evaluated["rules"].as_object().unwrap();
    assert_eq!(rules.len(), expected(&env).len());
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
    let report = read(dir.path().join("sgpair-report.md"));
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
    let (moto, env) = account("web", Delivery::CloudWatch).await;
    let dir = tempfile::tempdir().unwrap();
    let stderr = moto
        .sgpair(
            dir.path(),
            &[
                "infer",
                "--log-group",
                LOG_GROUP,
                "--log-group",
                "/no/such/group",
                "--since",
                "1d",
                "--allow-partial",
            ],
        )
        .ok()
        .stderr
        .clone();
    assert!(
        stderr
            .contains("warning: incomplete evidence (--allow-partial): log group /no/such/group:"),
        "{stderr}"
    );
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
    assert_eq!(rules(dir.path()), expected(&env));
    report_says_incomplete(dir.path());
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
    assert!(!out.success());
    let stderr = &out.stderr;
    assert!(
        stderr.contains("logs:DescribeLogStreams on /no/such/group"),
        "{stderr}"
    );
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
    assert!(stderr.contains("check the name and the region"), "{stderr}");
    assert!(!dir.path().join("rules.auto.tfvars").exists());
}

/// Every output with hostile strings from the API: a group name and an
/// interface description with a newline that would start a Markdown heading,
/// template syntax, markup, a table pipe and non-ASCII. Each format keeps
/// them as data.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_strings_stay_data_in_hcl_markdown_html_sarif_and_json() {
    const HOSTILE: &str =
        "web\n## injected ${var.x} %{if true}x%{endif} \"q\" <script>alert(1)</script> | zürich ✓";
    const HOSTILE_ENI: &str = "batch\n# owned | <img src=x onerror=alert(2)> ${x} `code`";
    let (moto, env) = account(HOSTILE, Delivery::CloudWatch).await;
    // An interface in a VPC without a flow log: its description is listed
    // among the blind spots.
    let ec2 = aws_sdk_ec2::Client::new(&moto.config().await);
    let vpc = new_vpc(&ec2, "10.9.0.0/16").await;
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.9.1.0/24")
        .send()
        .await
        .unwrap();
    ec2.create_network_interface()
        .subnet_id(subnet.subnet().unwrap().subnet_id().unwrap())
        .description(HOSTILE_ENI)
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = moto.infer_logs(
        dir.path(),
        &["--html", "r.html", "--sarif", "r.sarif", "--json"],
    );
    out.ok();
    let file = |name: &str| read(dir.path().join(name));

    // HCL: no live template, and the description is one line of AWS's set.
    let evaluated: serde_json::Value =
        hcl::eval::from_str(&file("rules.auto.tfvars"), &hcl::eval::Context::new())
            .expect("no live template");
    let web_db = evaluated["rules"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["source_sg_id"] == env.web_sg.as_str())
        .unwrap()
        .clone();
    let description = web_db["description"].as_str().unwrap();
    assert!(
        !description.contains('\n') && !description.contains('<'),
        "{description}"
    );
    assert!(
        description.contains("${var.x}"),
        "kept as text: {description}"
    );

    // Markdown: no heading, no tag, no table cell broken by the pipe.
    let md = file("sgpair-report.md");
    assert!(!md.contains("\n## injected"), "a heading was injected");
    assert!(!md.contains("<script>"), "a tag was injected");
    assert!(
        md.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| zürich ✓"),
        "{md}"
    );
    assert!(!md.contains("\n# owned") && !md.contains("<img"), "{md}");
    let blind_spot = md
        .lines()
        .find(|l| l.contains("batch"))
        .expect("the interface is listed among the blind spots");
    assert!(
        blind_spot.starts_with('|') && blind_spot.contains("\\| &lt;img"),
        "{blind_spot}"
    );

    // HTML: the name is text, never markup.
    let html = file("r.html");
    assert!(!html.contains("<script>alert(1)"), "a script was injected");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    // SARIF and the JSON report on stdout: valid JSON whose strings carry
    // the name unchanged.
    let encoded = serde_json::to_string(HOSTILE).unwrap();
    let encoded = encoded.trim_matches('"');
    let sarif: serde_json::Value = serde_json::from_str(&file("r.sarif")).expect("valid JSON");
    assert!(
        sarif.to_string().contains(encoded),
        "the name is in the findings as data"
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("valid JSON");
    assert!(json.to_string().contains(encoded));
}

/// Two copies of one stack: two VPCs of one CIDR (10.0.0.0/16) with groups
/// of the same names, as moto creates them. Each VPC's traffic gets its own
/// VPC's groups, also after the second stack's web interface is deleted and
/// its address given to a new interface in another group.
#[tokio::test(flavor = "multi_thread")]
async fn two_vpcs_of_one_cidr_and_a_reused_address_from_the_api() {
    let moto = Moto::start();
    let config = moto.config().await;
    let (first, mut records) = build_named(&config, "web").await;
    let (second, more) = build_named(&config, "web").await;
    records.extend(more);
    // The second stack's web interface goes; a batch host takes its addresses.
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let subnet = ec2
        .describe_network_interfaces()
        .network_interface_ids(&second.web_eni)
        .send()
        .await
        .unwrap()
        .network_interfaces()[0]
        .subnet_id()
        .unwrap()
        .to_string();
    ec2.delete_network_interface()
        .network_interface_id(&second.web_eni)
        .send()
        .await
        .unwrap();
    ec2.create_network_interface()
        .subnet_id(subnet)
        .private_ip_address("10.0.1.10")
        .groups(&second.mon_sg)
        .send()
        .await
        .unwrap();
    put_cloudwatch(&config, &records).await;

    let dir = tempfile::tempdir().unwrap();
    moto.infer_logs(dir.path(), &["--json", "-q"]).ok();
    let got = rules(dir.path());
    // The first stack as before, on its own groups.
    for want in expected(&first) {
        assert!(got.contains(&want), "{want:?} missing from {got:?}");
    }
    // No rule crosses the stacks: both groups of each are one stack's.
    let stack = |g: &String| {
        let of = |e: &Env| [&e.web_sg, &e.db_sg, &e.mon_sg, &e.agents_sg].contains(&g);
        match (of(&first), of(&second)) {
            (true, false) => "first",
            (false, true) => "second",
            _ => panic!("{g} is no stack's group"),
        }
    };
    for (s, t, port) in &got {
        assert_eq!(
            stack(s),
            stack(t),
            "{s} -> {t} {port} crosses the stacks: {got:?}"
        );
    }
    // The second stack: monitoring → db between interfaces that exist, and
    // nothing for the deleted web interface: its address's owner today (a
    // host in monitoring's group, created after) did not hold it then, as
    // the web interface's own copies show.
    let second_rules: Vec<_> = got
        .iter()
        .filter(|(s, _, _)| stack(s) == "second")
        .cloned()
        .collect();
    // One rule: monitoring to the database, by the db's role group or the
    // agents group (with the web interface gone, the two allow the same).
    assert!(
        matches!(second_rules.as_slice(), [(s, t, 9100)]
            if *s == second.mon_sg && (*t == second.db_sg || *t == second.agents_sg)),
        "the second stack's rules: {second_rules:?}"
    );
    let report = read(dir.path().join("sgpair-report.md"));
    assert!(
        report.contains(&second.web_eni)
            && report.contains("Interfaces missing from the inventory"),
        "the deleted interface is listed: {report}"
    );
}
