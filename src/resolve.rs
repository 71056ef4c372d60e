//! Stage 5: resolve. Every address of the evidence to a network interface and
//! its security groups, or to a class of address that no security-group
//! reference can name (another VPC address, an AWS service, the internet).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::aggregate::Evidence;
use crate::inventory::{Cidr, Inventory, NetworkInterface};

/// What an address is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Endpoint {
    /// A known interface. `learned` when only the flow logs tied the address to it.
    Eni {
        id: String,
        groups: Vec<String>,
        learned: bool,
    },
    /// Inside a known VPC, but no interface in the inventory has it (deleted,
    /// or the inventory is older than the logs).
    VpcUnknown {
        vpc: String,
    },
    /// An AWS service range (prefix list, or `pkt-*-aws-service` in the logs).
    AwsService {
        service: String,
    },
    /// Private or shared address space outside every known VPC (peering, VPN, on premises).
    Private,
    Internet,
}

impl Endpoint {
    pub fn label(&self) -> String {
        match self {
            Endpoint::Eni { id, .. } => id.clone(),
            Endpoint::VpcUnknown { vpc } => format!("unknown address in {vpc}"),
            Endpoint::AwsService { service } => format!("AWS service {service}"),
            Endpoint::Private => "private network outside the known VPCs".into(),
            Endpoint::Internet => "internet".into(),
        }
    }

    pub fn groups(&self) -> Option<&[String]> {
        match self {
            Endpoint::Eni { groups, .. } if !groups.is_empty() => Some(groups),
            _ => None,
        }
    }
}

/// Address lookups over one inventory and one window's evidence.
pub struct Resolver<'a> {
    pub inventory: &'a Inventory,
    by_addr: BTreeMap<IpAddr, &'a NetworkInterface>,
    by_id: BTreeMap<&'a str, &'a NetworkInterface>,
    learned: &'a BTreeMap<IpAddr, String>,
    services: &'a BTreeMap<IpAddr, String>,
    /// VPC resolver addresses (the VPC's base + 2).
    resolvers: Vec<IpAddr>,
}

impl<'a> Resolver<'a> {
    pub fn new(inventory: &'a Inventory, evidence: &'a Evidence) -> Self {
        let mut by_addr = BTreeMap::new();
        let mut by_id = BTreeMap::new();
        for eni in &inventory.network_interfaces {
            by_id.insert(eni.id.as_str(), eni);
            for a in &eni.addresses {
                by_addr.insert(*a, eni);
            }
        }
        let resolvers = inventory
            .vpcs
            .iter()
            .flat_map(|v| v.cidrs.iter())
            .filter_map(|c| match c.addr {
                IpAddr::V4(a) => Some(IpAddr::V4((u32::from(a) + 2).into())),
                IpAddr::V6(_) => None,
            })
            .chain([
                "169.254.169.253".parse().expect("literal"),
                "fd00:ec2::253".parse().expect("literal"),
            ])
            .collect();
        Resolver {
            inventory,
            by_addr,
            by_id,
            learned: &evidence.learned_addresses,
            services: &evidence.aws_services,
            resolvers,
        }
    }

    pub fn interface(&self, id: &str) -> Option<&'a NetworkInterface> {
        self.by_id.get(id).copied()
    }

    /// The Amazon-provided DNS resolver of a VPC, which flow logs never record.
    pub fn is_vpc_resolver(&self, ip: &IpAddr) -> bool {
        self.resolvers.contains(ip)
    }

    pub fn resolve(&self, ip: IpAddr) -> Endpoint {
        if let Some(eni) = self.by_addr.get(&ip) {
            return Endpoint::Eni {
                id: eni.id.clone(),
                groups: eni.security_groups.clone(),
                learned: false,
            };
        }
        if let Some(eni) = self
            .learned
            .get(&ip)
            .and_then(|id| self.by_id.get(id.as_str()))
        {
            return Endpoint::Eni {
                id: eni.id.clone(),
                groups: eni.security_groups.clone(),
                learned: true,
            };
        }
        if let Some(vpc) = self
            .inventory
            .vpcs
            .iter()
            .find(|v| v.cidrs.iter().any(|c| c.contains(&ip)))
        {
            return Endpoint::VpcUnknown {
                vpc: vpc.id.clone(),
            };
        }
        if let Some(pl) = self
            .inventory
            .prefix_lists
            .iter()
            .find(|p| p.cidrs.iter().any(|c| c.contains(&ip)))
        {
            return Endpoint::AwsService {
                service: service_name(&pl.name),
            };
        }
        if let Some(svc) = self.services.get(&ip) {
            return Endpoint::AwsService {
                service: svc.clone(),
            };
        }
        if is_private(&ip) {
            Endpoint::Private
        } else {
            Endpoint::Internet
        }
    }
}

/// `com.amazonaws.us-east-1.s3` → `S3`.
fn service_name(prefix_list: &str) -> String {
    prefix_list
        .rsplit('.')
        .next()
        .unwrap_or(prefix_list)
        .to_ascii_uppercase()
}

const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "127.0.0.0/8",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
];

pub fn is_private(ip: &IpAddr) -> bool {
    PRIVATE
        .iter()
        .any(|c| c.parse::<Cidr>().expect("literal").contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{PrefixList, Vpc};

    fn inv() -> Inventory {
        Inventory {
            format_version: 1,
            vpcs: vec![Vpc {
                id: "vpc-1".into(),
                cidrs: vec!["10.0.0.0/16".parse().unwrap()],
            }],
            network_interfaces: vec![NetworkInterface {
                vpc_id: Some("vpc-1".into()),
                ..NetworkInterface::new(
                    "eni-web",
                    vec!["10.0.1.10".parse().unwrap(), "10.0.1.11".parse().unwrap()],
                    &["sg-web"],
                )
            }],
            prefix_lists: vec![PrefixList {
                id: "pl-63a5400a".into(),
                name: "com.amazonaws.us-east-1.s3".into(),
                cidrs: vec!["52.216.0.0/15".parse().unwrap()],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn classifies_every_kind_of_address() {
        let inv = inv();
        let mut ev = Evidence::default();
        ev.aws_services
            .insert("3.5.0.1".parse().unwrap(), "DYNAMODB".into());
        let r = Resolver::new(&inv, &ev);
        let eni = Endpoint::Eni {
            id: "eni-web".into(),
            groups: vec!["sg-web".into()],
            learned: false,
        };
        assert_eq!(r.resolve("10.0.1.10".parse().unwrap()), eni);
        assert_eq!(
            r.resolve("10.0.1.11".parse().unwrap()),
            eni,
            "secondary address"
        );
        assert_eq!(
            r.resolve("10.0.9.9".parse().unwrap()),
            Endpoint::VpcUnknown {
                vpc: "vpc-1".into()
            }
        );
        assert_eq!(
            r.resolve("52.217.1.1".parse().unwrap()),
            Endpoint::AwsService {
                service: "S3".into()
            }
        );
        assert_eq!(
            r.resolve("3.5.0.1".parse().unwrap()),
            Endpoint::AwsService {
                service: "DYNAMODB".into()
            }
        );
        assert_eq!(r.resolve("192.168.1.1".parse().unwrap()), Endpoint::Private);
        assert_eq!(r.resolve("8.8.8.8".parse().unwrap()), Endpoint::Internet);
        assert_eq!(
            r.resolve("2001:db8::1".parse().unwrap()),
            Endpoint::Internet
        );
        assert!(r.is_vpc_resolver(&"10.0.0.2".parse().unwrap()));
    }

    #[test]
    fn addresses_learned_from_flow_direction_resolve_to_their_interface() {
        let inv = inv();
        let mut ev = Evidence::default();
        ev.learned_addresses
            .insert("10.0.1.99".parse().unwrap(), "eni-web".into());
        let r = Resolver::new(&inv, &ev);
        assert!(matches!(
            r.resolve("10.0.1.99".parse().unwrap()),
            Endpoint::Eni { learned: true, .. }
        ));
    }
}
