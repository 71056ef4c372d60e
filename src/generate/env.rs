//! The generated environment: one VPC, interfaces in seven roles, and the
//! inventory that explains them.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use crate::inventory::{
    Cidr, FORMAT_VERSION, FlowLog, Inventory, NetworkInterface, SecurityGroup, SgRule, Subnet, Vpc,
};

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Role {
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

    pub(super) fn group(self) -> String {
        format!("sg-0{:016x}", Rng::new(0x5e00 + self as u64).next())
    }

    fn subnet(self) -> u8 {
        self as u8 + 1
    }
}

/// One interface of the generated environment.
#[derive(Debug, Clone)]
pub(super) struct Eni {
    pub(super) id: String,
    pub(super) addr: Ipv4Addr,
    pub(super) role: Role,
}

/// The generated environment: its interfaces by role.
pub(super) struct Env {
    pub(super) enis: Vec<Eni>,
    by_role: BTreeMap<Role, Vec<usize>>,
    pub(super) internet_clients: Vec<Ipv4Addr>,
    pub(super) external_apis: Vec<Ipv4Addr>,
}

impl Env {
    pub(super) fn new(n: usize) -> Env {
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

    pub(super) fn role(&self, r: Role) -> &[usize] {
        &self.by_role[&r]
    }

    pub(super) fn inventory(&self, start: i64) -> Inventory {
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
            accounts: Vec::new(),
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
                    owner_id: None,
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
