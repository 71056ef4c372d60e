//! An inventory in code ([`Estate`]), built from the library's own types:
//! handed to the library as it is, or written to a file for the binary.
//!
//! Every `use sgpair::...` of the support module is in this file: when the
//! library moves a type, this is where the support module follows it.

use std::path::Path;

#[cfg(feature = "aws")]
pub use sgpair::aws::s3_client;
use sgpair::inventory::{FORMAT_VERSION, Peering, PrefixList, SgRule, Subnet, TgwAttachment, Vpc};
pub use sgpair::inventory::{Inventory, NetworkInterface, SecurityGroup};
#[cfg(feature = "aws")]
pub use sgpair::window::{day, rfc3339};

/// An estate being described: VPCs, subnets, security groups, network
/// interfaces, peerings and transit-gateway attachments. Each method adds
/// one and returns the builder; `with` changes the interface added last.
pub struct Estate {
    inv: Inventory,
}

impl Default for Estate {
    fn default() -> Self {
        Self::new()
    }
}

impl Estate {
    pub fn new() -> Self {
        Estate {
            inv: Inventory {
                format_version: FORMAT_VERSION,
                ..Default::default()
            },
        }
    }

    /// The account and region the inventory was taken in.
    pub fn account(&mut self, id: &str, region: &str) -> &mut Self {
        self.inv.account_id = Some(id.into());
        self.inv.region = Some(region.into());
        self
    }

    pub fn vpc(&mut self, id: &str, cidrs: &[&str]) -> &mut Self {
        self.inv.vpcs.push(Vpc {
            id: id.into(),
            owner_id: None,
            cidrs: cidrs.iter().map(|c| cidr(c)).collect(),
        });
        self
    }

    pub fn subnet(&mut self, id: &str, vpc: &str, cidrs: &[&str]) -> &mut Self {
        self.inv.subnets.push(Subnet {
            id: id.into(),
            vpc_id: vpc.into(),
            cidrs: cidrs.iter().map(|c| cidr(c)).collect(),
        });
        self
    }

    /// A group as AWS creates one: no ingress, all egress.
    pub fn group(&mut self, id: &str, name: &str, vpc: &str) -> &mut Self {
        self.inv.security_groups.push(SecurityGroup {
            vpc_id: Some(vpc.into()),
            egress: vec![rule("-1", None, None, Some("0.0.0.0/0"), None)],
            ..SecurityGroup::new(id, name)
        });
        self
    }

    /// An ingress rule on `group` from the group `peer`, on a TCP port.
    pub fn ingress(&mut self, group: &str, peer: &str, port: u16) -> &mut Self {
        let g = self
            .inv
            .security_groups
            .iter_mut()
            .find(|g| g.id == group)
            .unwrap_or_else(|| panic!("no group {group} was added"));
        let port = Some(i32::from(port));
        g.ingress.push(rule("tcp", port, port, None, Some(peer)));
        self
    }

    /// Tags on `group` (its owner, the tool that manages it).
    pub fn group_tags(&mut self, group: &str, tags: &[(&str, &str)]) -> &mut Self {
        let g = self
            .inv
            .security_groups
            .iter_mut()
            .find(|g| g.id == group)
            .unwrap_or_else(|| panic!("no group {group} was added"));
        g.tags
            .extend(tags.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }

    /// A managed prefix list (a gateway endpoint's AWS-managed list, or a
    /// customer-managed one).
    pub fn prefix_list(&mut self, id: &str, name: &str, cidrs: &[&str]) -> &mut Self {
        self.inv.prefix_lists.push(PrefixList {
            id: id.into(),
            name: name.into(),
            cidrs: cidrs.iter().map(|c| cidr(c)).collect(),
        });
        self
    }

    /// Gives the last rule of `group` (ingress or egress) the id EC2 would
    /// (`DescribeSecurityGroupRules`).
    pub fn rule_id(&mut self, group: &str, egress: bool, id: &str) -> &mut Self {
        let g = self
            .inv
            .security_groups
            .iter_mut()
            .find(|g| g.id == group)
            .unwrap_or_else(|| panic!("no group {group} was added"));
        let rules = if egress {
            &mut g.egress
        } else {
            &mut g.ingress
        };
        rules.last_mut().expect("a rule to name").rule_id = Some(id.into());
        self
    }

    /// An interface of type `interface`.
    pub fn eni(&mut self, id: &str, vpc: &str, addrs: &[&str], groups: &[&str]) -> &mut Self {
        let addrs = addrs
            .iter()
            .map(|a| {
                a.parse()
                    .unwrap_or_else(|e| panic!("{a} is not an address: {e}"))
            })
            .collect();
        self.inv.network_interfaces.push(NetworkInterface {
            vpc_id: Some(vpc.into()),
            ..NetworkInterface::new(id, addrs, groups)
        });
        self
    }

    /// A NAT gateway's interface, as EC2 lists it: no groups, managed by AWS.
    pub fn nat(&mut self, id: &str, vpc: &str, addr: &str) -> &mut Self {
        self.eni(id, vpc, &[addr], &[]).with(|e| {
            e.description = format!("Interface for NAT Gateway {id}");
            e.interface_type = "nat_gateway".into();
            e.requester_managed = true;
        })
    }

    /// A network load balancer's interface in one subnet, as EC2 lists it:
    /// managed by AWS, described `ELB net/NAME/ID`, with the load balancer's
    /// groups (none for one created without, as before 2023).
    pub fn nlb(
        &mut self,
        id: &str,
        vpc: &str,
        subnet: &str,
        addr: &str,
        groups: &[&str],
    ) -> &mut Self {
        self.eni(id, vpc, &[addr], groups).with(|e| {
            e.description = "ELB net/web/50dc6c495c0c9188".into();
            e.interface_type = "network_load_balancer".into();
            e.requester_managed = true;
            e.subnet_id = Some(subnet.into());
        })
    }

    /// Changes the interface added last.
    pub fn with(&mut self, change: impl FnOnce(&mut NetworkInterface)) -> &mut Self {
        change(
            self.inv
                .network_interfaces
                .last_mut()
                .expect("an interface was added"),
        );
        self
    }

    /// The interface `id`, to change.
    pub fn eni_mut(&mut self, id: &str) -> &mut NetworkInterface {
        self.inv
            .network_interfaces
            .iter_mut()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("no interface {id} was added"))
    }

    pub fn peering(&mut self, id: &str, requester: &str, accepter: &str) -> &mut Self {
        self.inv.peerings.push(Peering {
            id: id.into(),
            requester_vpc_id: requester.into(),
            accepter_vpc_id: accepter.into(),
        });
        self
    }

    /// A VPC's attachment to a transit gateway.
    pub fn tgw(&mut self, attachment: &str, tgw: &str, vpc: &str) -> &mut Self {
        self.inv.transit_gateway_attachments.push(TgwAttachment {
            id: attachment.into(),
            transit_gateway_id: tgw.into(),
            vpc_id: vpc.into(),
        });
        self
    }

    /// The inventory, for the library.
    pub fn build(&self) -> Inventory {
        self.inv.clone()
    }

    /// The inventory as a file, for `--inventory`.
    pub fn write(&self, path: &Path) {
        let text = serde_json::to_string_pretty(&self.inv).expect("an inventory serializes");
        std::fs::write(path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

fn cidr<T: std::str::FromStr>(text: &str) -> T
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .unwrap_or_else(|e| panic!("{text} is not a CIDR: {e}"))
}

fn rule(
    protocol: &str,
    from_port: Option<i32>,
    to_port: Option<i32>,
    cidr_text: Option<&str>,
    peer: Option<&str>,
) -> SgRule {
    SgRule {
        rule_id: None,
        protocol: protocol.into(),
        from_port,
        to_port,
        cidr: cidr_text.map(cidr),
        referenced_group_id: peer.map(String::from),
        prefix_list_id: None,
        description: String::new(),
    }
}
