//! The emulated AWS account the end-to-end AWS tests share: a moto server on
//! loopback, a small VPC (web, db, monitoring) with its flow log, and the
//! records of its traffic, put into CloudWatch Logs or S3. Used by the
//! `aws` and `aws_faults` tests.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_ec2::config::Credentials;
use aws_sdk_ec2::types::{
    FlowLogsResourceType, IpPermission, LogDestinationType, PrivateIpAddressSpecification,
    TrafficType, UserIdGroupPair,
};
use aws_sdk_s3::primitives::ByteStream;

use super::flows::{connection as records, gzip};
use super::model::{day, s3_client};
use super::outputs::{read, v2_rules};
use super::run::{Out, Sgpair, sgpair};

/// A moto server on a free loopback port, stopped when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
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
                panic!("cannot start moto_server from PATH ({e}): scripts/test installs it into a virtual environment (${{SGPAIR_TOOLS:-~/.cache/sgpair-tools}}/venv) and puts it on PATH; or pip-install \"moto[server]\" into a virtual environment yourself")
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

    pub async fn config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await
    }

    /// Runs the sgpair binary against this emulator.
    pub fn sgpair(&self, dir: &Path, args: &[&str]) -> Out {
        sgpair_at(&self.endpoint, dir, args, &[])
    }

    /// `sgpair infer` over the last day of the account's log group, and `extra`.
    pub fn infer_logs(&self, dir: &Path, extra: &[&str]) -> Out {
        let mut args = vec!["infer", "--log-group", LOG_GROUP, "--since", "1d"];
        args.extend_from_slice(extra);
        self.sgpair(dir, &args)
    }
}

/// Runs the sgpair binary against an emulator (or a proxy in front of it) at
/// `endpoint`, in `dir`, with test credentials and extra environment variables.
pub fn sgpair_at(endpoint: &str, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    against(sgpair(args).cwd(dir), endpoint).envs(env).run()
}

/// A run set up to reach the emulator (or a proxy in front of it) at
/// `endpoint` in us-east-1, with test credentials and nothing of the test's
/// own AWS settings.
pub fn against(cmd: Sgpair, endpoint: &str) -> Sgpair {
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_MAX_ATTEMPTS")
        .env_remove("AWS_RETRY_MODE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the emulated account holds.
pub struct Env {
    pub web_sg: String,
    pub db_sg: String,
    pub mon_sg: String,
    pub agents_sg: String,
    pub web_eni: String,
    pub db_eni: String,
    pub mon_eni: String,
}

/// The log group the account's flow log delivers to.
pub const LOG_GROUP: &str = "/vpc/flow-logs";

pub const FORMAT: &str = "${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${tcp-flags} ${flow-direction}";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Records of one TCP connection as both interfaces log it, in FORMAT's
/// order: (interface, record).
pub fn connection(
    client: (&str, &str, u16),
    server: (&str, &str, u16),
    start: i64,
) -> Vec<(String, String)> {
    let (ceni, caddr, cport) = client;
    let (seni, saddr, sport) = server;
    records(
        (Some(ceni), caddr, cport),
        (Some(seni), saddr, sport),
        start,
        true,
    )
    .into_iter()
    .map(|r| {
        let r = r.directed().counts(10, 840);
        (r.eni.clone(), r.render(FORMAT))
    })
    .collect()
}

pub async fn build(config: &SdkConfig) -> (Env, Vec<(String, String)>) {
    build_named(config, "web").await
}

pub async fn build_named(
    config: &SdkConfig,
    web_name: &'static str,
) -> (Env, Vec<(String, String)>) {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let vpc_id = new_vpc(&ec2, "10.0.0.0/16").await;
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
        .log_group_name(LOG_GROUP)
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
            mon_eni,
        },
        records,
    )
}

pub async fn put_cloudwatch(config: &SdkConfig, records: &[(String, String)]) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    logs.create_log_group()
        .log_group_name(LOG_GROUP)
        .send()
        .await
        .unwrap();
    let mut enis: Vec<&str> = records.iter().map(|(e, _)| e.as_str()).collect();
    enis.sort();
    enis.dedup();
    for eni in enis {
        let stream = format!("{eni}-all");
        logs.create_log_stream()
            .log_group_name(LOG_GROUP)
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
            .log_group_name(LOG_GROUP)
            .log_stream_name(&stream)
            .set_log_events(Some(events))
            .send()
            .await
            .unwrap();
    }
}

pub fn day_path(t: i64, hive: bool) -> String {
    let d = day(t);
    let (y, m, dd) = (&d[0..4], &d[5..7], &d[8..10]);
    if hive {
        format!("year={y}/month={m}/day={dd}/")
    } else {
        format!("{y}/{m}/{dd}/")
    }
}

/// A new S3 bucket `name` in the emulator, and the client that made it.
pub async fn new_bucket(config: &SdkConfig, name: &str) -> aws_sdk_s3::Client {
    let s3 = s3_client(config);
    s3.create_bucket().bucket(name).send().await.unwrap();
    s3
}

/// A new VPC of `cidr` in the emulator: its id.
pub async fn new_vpc(ec2: &aws_sdk_ec2::Client, cidr: &str) -> String {
    let vpc = ec2.create_vpc().cidr_block(cidr).send().await.unwrap();
    vpc.vpc().unwrap().vpc_id().unwrap().to_string()
}

pub async fn put_s3(config: &SdkConfig, records: &[(String, String)]) {
    let s3 = new_bucket(config, "flow-logs").await;
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
        .body(ByteStream::from(gzip(body.as_bytes())))
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
        .body(ByteStream::from(gzip(bogus.as_bytes())))
        .send()
        .await
        .unwrap();
}

/// (source group, target group, first port) of the rules that a run in
/// `dir` wrote, sorted.
pub fn rules(dir: &Path) -> Vec<(String, String, i64)> {
    let mut out: Vec<(String, String, i64)> = v2_rules(&read(dir.join("rules.auto.tfvars")))
        .into_iter()
        .map(|r| (r.source, r.target, r.from_port))
        .collect();
    out.sort();
    out
}

/// The account's rules: web → db, and monitoring → web and db by their
/// role groups (the agents group that both carry is shared across roles and
/// no existing rule names it, so among equals the role groups win).
pub fn expected(env: &Env) -> Vec<(String, String, i64)> {
    let mut v = vec![
        (env.web_sg.clone(), env.db_sg.clone(), 5432),
        (env.mon_sg.clone(), env.web_sg.clone(), 9100),
        (env.mon_sg.clone(), env.db_sg.clone(), 9100),
    ];
    v.sort();
    v
}

/// Where an account's flow logs are delivered.
pub enum Delivery {
    CloudWatch,
    S3,
}

/// A fresh emulator holding the account (its web group named `web_name`)
/// and the records of its traffic, delivered to `delivery`.
pub async fn account(web_name: &'static str, delivery: Delivery) -> (Moto, Env) {
    let moto = Moto::start();
    let config = moto.config().await;
    let (env, records) = build_named(&config, web_name).await;
    match delivery {
        Delivery::CloudWatch => put_cloudwatch(&config, &records).await,
        Delivery::S3 => put_s3(&config, &records).await,
    }
    (moto, env)
}

/// The report of a run with `--allow-partial` names the one missing source.
pub fn report_says_incomplete(dir: &Path) {
    let report = read(dir.join("sgpair-report.md"));
    assert!(
        report.contains("**Incomplete evidence:** 1 source could not be read"),
        "{report}"
    );
}
