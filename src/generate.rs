//! `sgpair generate`: synthetic VPC flow logs of a chosen size, with the
//! inventory that explains them, for benchmarks and demonstrations.
//!
//! The environment is a VPC with `--enis` interfaces in seven roles: load
//! balancers, web, app, database and cache servers, one monitoring host and
//! one bastion. Traffic follows a fixed service graph (internet → ALB 443,
//! ALB → web 8080, web → app 8443, app → db 5432, app → cache 6379, monitoring
//! → every interface 9100 and ping, statsd → monitoring UDP 8125, bastion →
//! every interface 22, app → an external API 443). Every connection interval
//! is logged as the real service logs it: request and response at each
//! interface in the VPC (four records between two interfaces, two with the
//! internet), from an ephemeral client port. Internet scanners are rejected;
//! idle interfaces log NODATA, and rarely SKIPDATA.
//!
//! The output is deterministic: the same arguments give the same bytes.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::inventory::{
    Cidr, FORMAT_VERSION, FlowLog, Inventory, NetworkInterface, SecurityGroup, SgRule, Subnet, Vpc,
};
use crate::parse::format::DEFAULT_V2;

/// Arguments of `sgpair generate`.
#[derive(clap::Args, Debug, Clone)]
pub struct GenerateArgs {
    /// The flow-log file to write (v2 default format, one record a line).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Lines to write (records, NODATA and SKIPDATA lines).
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub records: u64,

    /// Network interfaces in the environment (8 to 1680).
    #[arg(long, default_value_t = 50, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(8..=MAX_ENIS as u64))]
    pub enis: usize,

    /// Compress with gzip, as S3 delivers flow logs.
    #[arg(long)]
    pub gzip: bool,

    /// Start with the header line S3 delivery writes (the field names).
    #[arg(long)]
    pub header: bool,

    /// Seed of the pseudo-random choices: the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Start of the logged period (RFC 3339); records spread over `--hours`.
    #[arg(long, default_value = "2026-11-24T00:00:00Z", value_name = "TIME",
          value_parser = start_arg)]
    pub start: String,

    /// Length of the logged period in hours (at least 1).
    #[arg(long, default_value_t = 24, value_name = "H",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub hours: u32,

    /// Also write the environment's inventory, for `infer --inventory`.
    #[arg(long, value_name = "FILE")]
    pub inventory_out: Option<PathBuf>,
}

/// The most interfaces `generate` lays out (240 per role, 7 roles).
const MAX_ENIS: usize = 240 * 7;

/// `--start`: checked while the arguments are parsed (a usage error, exit 2).
fn start_arg(s: &str) -> std::result::Result<String, String> {
    humantime::parse_rfc3339_weak(s)
        .map(|_| s.to_string())
        .map_err(|_| "expected an RFC 3339 time such as 2026-11-24T00:00:00Z".to_string())
}

const ACCOUNT: &str = "123456789012";
const VPC_ID: &str = "vpc-0a5e1b2c3d4e5f607";
/// The flow logs' aggregation interval (the default, ten minutes).
const INTERVAL: i64 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Alb,
    Web,
    App,
    Db,
    Cache,
    Monitoring,
    Bastion,
}

impl Role {
    const ALL: [Role; 7] = [
        Role::Alb,
        Role::Web,
        Role::App,
        Role::Db,
        Role::Cache,
        Role::Monitoring,
        Role::Bastion,
    ];

    fn name(self) -> &'static str {
        match self {
            Role::Alb => "alb",
            Role::Web => "web",
            Role::App => "app",
            Role::Db => "db",
            Role::Cache => "cache",
            Role::Monitoring => "monitoring",
            Role::Bastion => "bastion",
        }
    }

    fn group(self) -> String {
        format!("sg-0{:016x}", Rng::new(0x5e00 + self as u64).next())
    }

    fn subnet(self) -> u8 {
        self as u8 + 1
    }
}

/// One interface of the generated environment.
#[derive(Debug, Clone)]
struct Eni {
    id: String,
    addr: Ipv4Addr,
    role: Role,
}

/// The generated environment: its interfaces by role.
struct Env {
    enis: Vec<Eni>,
    by_role: BTreeMap<Role, Vec<usize>>,
    internet_clients: Vec<Ipv4Addr>,
    external_apis: Vec<Ipv4Addr>,
}

impl Env {
    fn new(n: usize) -> Env {
        let share = |div: usize| (n / div).max(1);
        let mut counts = vec![
            (Role::Monitoring, 1),
            (Role::Bastion, 1),
            (Role::Alb, share(25)),
            (Role::Db, share(10)),
            (Role::Cache, share(12)),
            (Role::Web, share(5)),
        ];
        let used: usize = counts.iter().map(|(_, c)| c).sum();
        counts.push((Role::App, n - used));
        let mut enis = Vec::new();
        let mut by_role: BTreeMap<Role, Vec<usize>> = BTreeMap::new();
        for (role, count) in counts {
            for k in 0..count {
                let i = enis.len();
                by_role.entry(role).or_default().push(i);
                enis.push(Eni {
                    id: format!("eni-0{:016x}", Rng::new(i as u64).next()),
                    addr: Ipv4Addr::new(10, 0, role.subnet(), 10 + k as u8),
                    role,
                });
            }
        }
        // Documentation ranges: public addresses that belong to nobody.
        let internet_clients = [[192u8, 0, 2], [198, 51, 100], [203, 0, 113]]
            .iter()
            .flat_map(|p| (1..=254u8).map(move |h| Ipv4Addr::new(p[0], p[1], p[2], h)))
            .collect();
        let external_apis = (1..=3).map(|h| Ipv4Addr::new(198, 18, 7, h)).collect();
        Env {
            enis,
            by_role,
            internet_clients,
            external_apis,
        }
    }

    fn role(&self, r: Role) -> &[usize] {
        &self.by_role[&r]
    }

    fn inventory(&self, start: i64) -> Inventory {
        let cidr = |s: &str| s.parse::<Cidr>().expect("a valid block");
        let egress_all = SgRule {
            rule_id: None,
            protocol: "-1".into(),
            from_port: None,
            to_port: None,
            cidr: Some(cidr("0.0.0.0/0")),
            referenced_group_id: None,
            prefix_list_id: None,
            description: String::new(),
        };
        let subnet_id = |r: Role| format!("subnet-0{:016x}", 0x5b + r as u64);
        let mut inv = Inventory {
            format_version: FORMAT_VERSION,
            account_id: Some(ACCOUNT.into()),
            region: Some("us-east-1".into()),
            captured_at: Some(humantime::format_rfc3339(to_time(start)).to_string()),
            vpcs: vec![Vpc {
                id: VPC_ID.into(),
                owner_id: None,
                cidrs: vec![cidr("10.0.0.0/16")],
            }],
            subnets: Role::ALL
                .iter()
                .map(|r| Subnet {
                    id: subnet_id(*r),
                    vpc_id: VPC_ID.into(),
                    cidrs: vec![cidr(&format!("10.0.{}.0/24", r.subnet()))],
                })
                .collect(),
            network_interfaces: self
                .enis
                .iter()
                .enumerate()
                .map(|(i, e)| NetworkInterface {
                    id: e.id.clone(),
                    vpc_id: Some(VPC_ID.into()),
                    subnet_id: Some(subnet_id(e.role)),
                    addresses: vec![IpAddr::V4(e.addr)],
                    prefixes: Vec::new(),
                    trunk_interface_id: None,
                    security_groups: vec![e.role.group()],
                    description: format!("{}-{}", e.role.name(), i),
                    interface_type: "interface".into(),
                    requester_managed: false,
                    instance_id: Some(format!("i-0{:016x}", 0x1_0000 + i as u64)),
                    tags: BTreeMap::from([(
                        "Name".to_string(),
                        format!("{}-{}", e.role.name(), i),
                    )]),
                })
                .collect(),
            security_groups: Role::ALL
                .iter()
                .map(|r| SecurityGroup {
                    id: r.group(),
                    name: r.name().into(),
                    vpc_id: Some(VPC_ID.into()),
                    description: format!("{} tier", r.name()),
                    tags: BTreeMap::new(),
                    ingress: Vec::new(),
                    egress: vec![egress_all.clone()],
                })
                .collect(),
            prefix_lists: Vec::new(),
            flow_logs: vec![FlowLog {
                id: "fl-0a5e1b2c3d4e5f607".into(),
                resource_id: VPC_ID.into(),
                log_format: None,
                log_group: None,
                destination: Some("arn:aws:s3:::flow-logs".into()),
                traffic_type: Some("ALL".into()),
            }],
            peerings: Vec::new(),
            transit_gateway_attachments: Vec::new(),
        };
        inv.sort();
        inv
    }
}

fn to_time(t: i64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.max(0) as u64)
}

/// xorshift64*: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, never zero.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next() >> 32) * u128::from(n)) >> 32) as u64
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len() as u64) as usize]
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

/// One endpoint of a generated flow: an interface of the VPC or an outside address.
#[derive(Clone, Copy)]
enum End {
    Eni(usize),
    Outside(Ipv4Addr),
}

/// Writes lines into a reusable buffer, then to the output.
struct LineWriter<W: Write> {
    out: W,
    line: Vec<u8>,
    written: u64,
    limit: u64,
}

impl<W: Write> LineWriter<W> {
    fn full(&self) -> bool {
        self.written >= self.limit
    }

    fn num(&mut self, v: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut v = v;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.line.extend_from_slice(&digits[i..]);
        self.line.push(b' ');
    }

    fn word(&mut self, w: &str) {
        self.line.extend_from_slice(w.as_bytes());
        self.line.push(b' ');
    }

    fn addr(&mut self, a: Ipv4Addr) {
        for (k, o) in a.octets().iter().enumerate() {
            if k > 0 {
                self.line.push(b'.');
            }
            self.num(u64::from(*o));
            self.line.pop();
        }
        self.line.push(b' ');
    }

    fn finish(&mut self) -> Result<()> {
        if self.full() {
            self.line.clear();
            return Ok(());
        }
        if self.line.last() == Some(&b' ') {
            self.line.pop();
        }
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .context("cannot write the flow log")?;
        self.line.clear();
        self.written += 1;
        Ok(())
    }

    /// One ACCEPT or REJECT record logged at `eni`.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        eni: &str,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        sport: u16,
        dport: u16,
        proto: u8,
        packets: u64,
        bytes: u64,
        start: i64,
        accept: bool,
    ) -> Result<()> {
        self.word("2");
        self.word(ACCOUNT);
        self.word(eni);
        self.addr(src);
        self.addr(dst);
        self.num(u64::from(sport));
        self.num(u64::from(dport));
        self.num(u64::from(proto));
        self.num(packets);
        self.num(bytes);
        self.num(start as u64);
        self.num((start + INTERVAL - 1) as u64);
        self.word(if accept { "ACCEPT" } else { "REJECT" });
        self.word("OK");
        self.finish()
    }

    /// A NODATA or SKIPDATA line for `eni`.
    fn status(&mut self, eni: &str, start: i64, status: &str) -> Result<()> {
        self.word("2");
        self.word(ACCOUNT);
        self.word(eni);
        for _ in 0..7 {
            self.word("-");
        }
        self.num(start as u64);
        self.num((start + INTERVAL - 1) as u64);
        self.word("-");
        self.word(status);
        self.finish()
    }
}

/// Runs `sgpair generate`.
pub fn run(args: &GenerateArgs) -> Result<()> {
    if args.enis < 8 {
        bail!(
            "--enis {}: at least 8 interfaces (one per role and a second app server)",
            args.enis
        );
    }
    if args.enis > MAX_ENIS {
        bail!("--enis {}: at most {MAX_ENIS} interfaces", args.enis);
    }
    let start = humantime::parse_rfc3339_weak(&args.start)
        .with_context(|| format!("--start {:?}: expected an RFC 3339 time", args.start))?
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let env = Env::new(args.enis);
    let file =
        File::create(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let buffered = BufWriter::with_capacity(1 << 20, file);
    let summary = if args.gzip {
        let gz = GzEncoder::new(buffered, Compression::default());
        let (gz, summary) = write_lines(&env, args, start, gz)?;
        gz.finish()
            .and_then(|mut w| w.flush())
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        summary
    } else {
        let (mut w, summary) = write_lines(&env, args, start, buffered)?;
        w.flush()
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        summary
    };
    if let Some(path) = &args.inventory_out {
        let text = serde_json::to_string_pretty(&env.inventory(start))
            .context("cannot serialise the inventory")?
            + "\n";
        crate::emit::write_atomic(path, text.as_bytes())?;
    }
    let size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "wrote {}: {} lines ({} bytes), {} interfaces, {} connection intervals, {} rejected, {} NODATA, {} SKIPDATA{}",
        args.out.display(),
        summary.lines,
        size,
        args.enis,
        summary.connections,
        summary.rejected,
        summary.nodata,
        summary.skipdata,
        args.inventory_out
            .as_ref()
            .map(|p| format!("; inventory in {}", p.display()))
            .unwrap_or_default()
    );
    Ok(())
}

#[derive(Default)]
struct Summary {
    lines: u64,
    connections: u64,
    rejected: u64,
    nodata: u64,
    skipdata: u64,
}

fn write_lines<W: Write>(
    env: &Env,
    args: &GenerateArgs,
    start: i64,
    out: W,
) -> Result<(W, Summary)> {
    let mut rng = Rng::new(args.seed);
    let mut w = LineWriter {
        out,
        line: Vec::with_capacity(256),
        written: 0,
        limit: args.records,
    };
    if args.header {
        w.out
            .write_all(format!("{DEFAULT_V2}\n").as_bytes())
            .context("cannot write the flow log")?;
    }
    let mut summary = Summary::default();
    // About 3.6 lines per event: spread the events evenly over the period.
    let events = (args.records as f64 / 3.6).ceil().max(1.0);
    let span = i64::from(args.hours.max(1)) * 3600;
    let step = span as f64 / events;
    let all: Vec<usize> = (0..env.enis.len()).collect();
    let mut k = 0u64;
    while !w.full() {
        let t = start + (k as f64 * step) as i64;
        let t = (t - t.rem_euclid(60)).min(start + span - INTERVAL);
        k += 1;
        let roll = rng.below(1000);
        // Per mille of events: the service graph, then rejects and status lines.
        let (client, server, port, proto): (End, End, u16, u8) = match roll {
            0..=249 => (
                End::Outside(rng.pick(&env.internet_clients)),
                End::Eni(rng.pick(env.role(Role::Alb))),
                443,
                6,
            ),
            250..=449 => (
                End::Eni(rng.pick(env.role(Role::Alb))),
                End::Eni(rng.pick(env.role(Role::Web))),
                8080,
                6,
            ),
            450..=619 => (
                End::Eni(rng.pick(env.role(Role::Web))),
                End::Eni(rng.pick(env.role(Role::App))),
                8443,
                6,
            ),
            620..=739 => (
                End::Eni(rng.pick(env.role(Role::App))),
                End::Eni(rng.pick(env.role(Role::Db))),
                5432,
                6,
            ),
            740..=859 => (
                End::Eni(rng.pick(env.role(Role::App))),
                End::Eni(rng.pick(env.role(Role::Cache))),
                6379,
                6,
            ),
            860..=894 => {
                let mon = env.role(Role::Monitoring)[0];
                (End::Eni(mon), End::Eni(other(&mut rng, &all, mon)), 9100, 6)
            }
            895..=899 => {
                let b = env.role(Role::Bastion)[0];
                (End::Eni(b), End::Eni(other(&mut rng, &all, b)), 22, 6)
            }
            900..=929 => (
                End::Eni(rng.pick(env.role(Role::App))),
                End::Outside(rng.pick(&env.external_apis)),
                443,
                6,
            ),
            930..=954 => {
                let mon = env.role(Role::Monitoring)[0];
                (
                    End::Eni(other(&mut rng, &all, mon)),
                    End::Eni(mon),
                    8125,
                    17,
                )
            }
            955..=964 => {
                let mon = env.role(Role::Monitoring)[0];
                (End::Eni(mon), End::Eni(other(&mut rng, &all, mon)), 0, 1)
            }
            965..=989 => {
                // An internet scanner, rejected at the interface's security group.
                let target = rng.pick(&all);
                let e = &env.enis[target];
                let src = rng.pick(&env.internet_clients);
                let dport = rng.pick(&[22u16, 23, 445, 3389, 5900]);
                let sport = rng.range(1024, 65535) as u16;
                w.record(&e.id, src, e.addr, sport, dport, 6, 1, 44, t, false)?;
                summary.rejected += 1;
                continue;
            }
            990..=998 => {
                w.status(&env.enis[rng.pick(&all)].id, t, "NODATA")?;
                summary.nodata += 1;
                continue;
            }
            _ => {
                w.status(&env.enis[rng.pick(&all)].id, t, "SKIPDATA")?;
                summary.skipdata += 1;
                continue;
            }
        };
        summary.connections += 1;
        let addr = |e: End| match e {
            End::Eni(i) => env.enis[i].addr,
            End::Outside(a) => a,
        };
        let (c, s) = (addr(client), addr(server));
        let (cport, sport) = if proto == 1 {
            (0, 0)
        } else {
            (rng.range(32768, 60999) as u16, port)
        };
        let packets = rng.range(2, 400);
        let req_bytes = packets * rng.range(60, 400);
        let resp_bytes = packets * rng.range(60, 1400);
        // Logged at the client's interface, then at the server's: request, response.
        for e in [client, server] {
            let End::Eni(i) = e else { continue };
            let id = &env.enis[i].id;
            w.record(id, c, s, cport, sport, proto, packets, req_bytes, t, true)?;
            if proto == 17 {
                // statsd: fire and forget, no response.
                continue;
            }
            w.record(id, s, c, sport, cport, proto, packets, resp_bytes, t, true)?;
        }
    }
    summary.lines = w.written;
    Ok((w.out, summary))
}

/// `records` generated lines (no header) in memory, as `generate` writes
/// them: for benchmarks and tests. Starts at 2026-11-24T00:00:00Z, one hour.
pub fn sample(records: u64, enis: usize, seed: u64) -> Vec<u8> {
    let env = Env::new(enis.max(8));
    let args = GenerateArgs {
        out: PathBuf::new(),
        records,
        enis: enis.max(8),
        gzip: false,
        header: false,
        seed,
        start: String::new(),
        hours: 1,
        inventory_out: None,
    };
    let (lines, _) = write_lines(&env, &args, SAMPLE_START, Vec::new()).expect("writing to memory");
    lines
}

/// 2026-11-24T00:00:00Z, the start of [`sample`]'s lines.
pub const SAMPLE_START: i64 = 1_795_478_400;

/// Any interface but `not`.
fn other(rng: &mut Rng, all: &[usize], not: usize) -> usize {
    loop {
        let i = rng.pick(all);
        if i != not {
            return i;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_cover_the_interfaces_and_addresses_are_distinct() {
        let env = Env::new(50);
        assert_eq!(env.enis.len(), 50);
        assert_eq!(env.role(Role::Alb).len(), 2);
        assert_eq!(env.role(Role::Web).len(), 10);
        let mut addrs: Vec<_> = env.enis.iter().map(|e| e.addr).collect();
        addrs.sort();
        addrs.dedup();
        assert_eq!(addrs.len(), 50);
        let inv = env.inventory(0);
        inv.check().unwrap();
        assert_eq!(inv.network_interfaces.len(), 50);
        assert_eq!(inv.security_groups.len(), 7);
    }

    #[test]
    fn the_same_seed_gives_the_same_lines() {
        let env = Env::new(8);
        let args = GenerateArgs {
            out: PathBuf::new(),
            records: 500,
            enis: 8,
            gzip: false,
            header: false,
            seed: 7,
            start: String::new(),
            hours: 1,
            inventory_out: None,
        };
        let (a, s) = write_lines(&env, &args, 1_795_478_400, Vec::new()).unwrap();
        let (b, _) = write_lines(&env, &args, 1_795_478_400, Vec::new()).unwrap();
        assert_eq!(a, b);
        assert_eq!(s.lines, 500);
        assert_eq!(a.iter().filter(|b| **b == b'\n').count(), 500);
        let text = String::from_utf8(a).unwrap();
        assert!(text.lines().all(|l| l.split(' ').count() == 14), "{text}");
    }
}
