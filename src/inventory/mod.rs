//! The inventory: which network interfaces exist, which addresses they own,
//! which security groups they carry, and what rules those groups hold today.
//!
//! This is the format of `--inventory FILE` (JSON) and what `sgpair inventory`
//! writes from the EC2 API. Every list may be empty; unknown keys are refused,
//! so a typo does not silently drop data. See `docs/inventory.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::reduce::{ICMP, ICMP_ANY, ICMPV6, TCP, UDP};

#[cfg(feature = "aws")]
pub mod ec2;
mod estate;

pub use estate::UNKNOWN_ACCOUNT;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Format version of this file (currently 1).
    #[serde(default = "format_version")]
    pub format_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// RFC 3339 time the snapshot was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    #[serde(default)]
    pub vpcs: Vec<Vpc>,
    #[serde(default)]
    pub subnets: Vec<Subnet>,
    #[serde(default)]
    pub network_interfaces: Vec<NetworkInterface>,
    #[serde(default)]
    pub security_groups: Vec<SecurityGroup>,
    #[serde(default)]
    pub prefix_lists: Vec<PrefixList>,
    #[serde(default)]
    pub flow_logs: Vec<FlowLog>,
    /// Active VPC peering connections: a peer VPC's addresses are looked up
    /// after the capturing VPC's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peerings: Vec<Peering>,
    /// VPC attachments of transit gateways (state `available`): VPCs on one
    /// transit gateway reach each other, but security-group references
    /// across it work only for inbound rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transit_gateway_attachments: Vec<TgwAttachment>,
    /// The accounts of a combined estate (`estate.rs`); empty for one
    /// snapshot, whose account is `account_id`. Never in a file.
    #[serde(skip)]
    pub accounts: Vec<String>,
}

fn format_version() -> u32 {
    FORMAT_VERSION
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    pub id: String,
    /// The account that owns the VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// IPv4 and IPv6 blocks associated with the VPC.
    #[serde(default)]
    pub cidrs: Vec<Cidr>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    #[serde(default)]
    pub cidrs: Vec<Cidr>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkInterface {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// Every private address: primary, secondary, and IPv6.
    #[serde(default)]
    pub addresses: Vec<IpAddr>,
    /// Delegated IPv4 and IPv6 prefixes (EKS VPC CNI prefix mode): every
    /// address inside them belongs to this interface (a pod on the node).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<Cidr>,
    /// For a branch interface (security groups for pods, ECS task trunking):
    /// the trunk interface whose flow-log records carry its traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trunk_interface_id: Option<String>,
    /// Security-group ids attached to the interface.
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub description: String,
    /// EC2 `InterfaceType`: interface, network_load_balancer, vpc_endpoint, nat_gateway, lambda, ...
    #[serde(default = "default_interface_type")]
    pub interface_type: String,
    #[serde(default)]
    pub requester_managed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

fn default_interface_type() -> String {
    "interface".into()
}

impl NetworkInterface {
    /// An interface of type `interface` with these addresses and groups, the
    /// other fields empty.
    pub fn new(id: &str, addresses: Vec<IpAddr>, groups: &[&str]) -> Self {
        NetworkInterface {
            id: id.into(),
            vpc_id: None,
            subnet_id: None,
            addresses,
            prefixes: Vec::new(),
            trunk_interface_id: None,
            security_groups: groups.iter().map(|g| g.to_string()).collect(),
            description: String::new(),
            interface_type: default_interface_type(),
            requester_managed: false,
            instance_id: None,
            tags: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    /// The account that owns the group (EC2 `OwnerId`): in a shared VPC,
    /// the participant that created it, not the VPC's owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub ingress: Vec<SgRule>,
    #[serde(default)]
    pub egress: Vec<SgRule>,
}

impl SecurityGroup {
    /// A group without rules.
    pub fn new(id: &str, name: &str) -> Self {
        SecurityGroup {
            id: id.into(),
            name: name.into(),
            owner_id: None,
            vpc_id: None,
            description: String::new(),
            tags: BTreeMap::new(),
            ingress: Vec::new(),
            egress: Vec::new(),
        }
    }
}

/// One existing rule, as `DescribeSecurityGroupRules` returns it: exactly
/// one of the peer fields is set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SgRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or a protocol number.
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<Cidr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referenced_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_list_id: Option<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrefixList {
    pub id: String,
    /// e.g. `com.amazonaws.us-east-1.s3`.
    pub name: String,
    #[serde(default)]
    pub cidrs: Vec<Cidr>,
}

/// A VPC peering connection in the `active` state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Peering {
    pub id: String,
    pub requester_vpc_id: String,
    pub accepter_vpc_id: String,
}

/// A VPC attached to a transit gateway.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TgwAttachment {
    pub id: String,
    pub transit_gateway_id: String,
    pub vpc_id: String,
}

/// A flow log and what it covers (VPC, subnet or interface).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowLog {
    pub id: String,
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// ALL, ACCEPT or REJECT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_type: Option<String>,
}

impl Inventory {
    /// Reads and checks an inventory file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Inventory> {
        let inv: Inventory = read_json(path, "the inventory", "is not valid")?;
        inv.check()
            .with_context(|| format!("{}: the inventory is inconsistent", path.display()))?;
        Ok(inv)
    }

    /// The groups interfaces list that the inventory does not describe,
    /// each with the interfaces that list it (both sorted): their rules are
    /// unknown, so nothing they allow is counted. Another account's groups
    /// (a shared VPC) or a snapshot older than the interfaces' last change.
    pub fn undescribed_groups(&self) -> Vec<(&str, Vec<&str>)> {
        let described: BTreeSet<&str> =
            self.security_groups.iter().map(|g| g.id.as_str()).collect();
        let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for e in &self.network_interfaces {
            for g in &e.security_groups {
                if !described.contains(g.as_str()) {
                    out.entry(g.as_str()).or_default().push(e.id.as_str());
                }
            }
        }
        out.into_iter()
            .map(|(g, mut enis)| {
                enis.sort_unstable();
                (g, enis)
            })
            .collect()
    }

    /// Consistency checks that serde cannot express.
    pub fn check(&self) -> Result<()> {
        if self.format_version != FORMAT_VERSION {
            anyhow::bail!(
                "format_version {} is not supported (this sgpair reads {FORMAT_VERSION})",
                self.format_version
            );
        }
        let mut seen = BTreeSet::new();
        for g in &self.security_groups {
            if !seen.insert(g.id.as_str()) {
                anyhow::bail!("security group {} is listed twice", g.id);
            }
        }
        let mut enis = BTreeSet::new();
        for e in &self.network_interfaces {
            if !enis.insert(e.id.as_str()) {
                anyhow::bail!("network interface {} is listed twice", e.id);
            }
            // Twice would count its connections twice in every measure of
            // the group's use.
            let mut groups = BTreeSet::new();
            if let Some(g) = e
                .security_groups
                .iter()
                .find(|g| !groups.insert(g.as_str()))
            {
                anyhow::bail!("network interface {} lists security group {g} twice", e.id);
            }
        }
        for g in &self.security_groups {
            for (direction, rules) in [("ingress", &g.ingress), ("egress", &g.egress)] {
                for (i, r) in rules.iter().enumerate() {
                    r.check().map_err(|e| {
                        let id = r
                            .rule_id
                            .as_deref()
                            .map_or(String::new(), |id| format!(" ({id})"));
                        anyhow::anyhow!(
                            "security group {}, {direction} rule {}{id}: {e}",
                            g.id,
                            i + 1
                        )
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Sorts every list by id, so that snapshots of one account are stable.
    pub fn sort(&mut self) {
        self.vpcs.sort_by(|a, b| a.id.cmp(&b.id));
        self.subnets.sort_by(|a, b| a.id.cmp(&b.id));
        self.network_interfaces.sort_by(|a, b| a.id.cmp(&b.id));
        self.security_groups.sort_by(|a, b| a.id.cmp(&b.id));
        for g in &mut self.security_groups {
            g.ingress.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
            g.egress.sort_by(|a, b| a.rule_id.cmp(&b.rule_id));
        }
        self.prefix_lists.sort_by(|a, b| a.id.cmp(&b.id));
        self.flow_logs.sort_by(|a, b| a.id.cmp(&b.id));
        self.peerings.sort_by(|a, b| a.id.cmp(&b.id));
        self.transit_gateway_attachments
            .sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// VPCs that share a transit gateway with `vpc` (not `vpc` itself), sorted.
    pub fn tgw_neighbours_of(&self, vpc: &str) -> Vec<&str> {
        let tgws: BTreeSet<&str> = self
            .transit_gateway_attachments
            .iter()
            .filter(|a| a.vpc_id == vpc)
            .map(|a| a.transit_gateway_id.as_str())
            .collect();
        let mut out: Vec<&str> = self
            .transit_gateway_attachments
            .iter()
            .filter(|a| tgws.contains(a.transit_gateway_id.as_str()) && a.vpc_id != vpc)
            .map(|a| a.vpc_id.as_str())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// VPCs whose addresses a record captured in `vpc` may reach by their
    /// own address: the active peerings of `vpc`, sorted.
    pub fn peers_of(&self, vpc: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .peerings
            .iter()
            .filter_map(|p| {
                if p.requester_vpc_id == vpc {
                    Some(p.accepter_vpc_id.as_str())
                } else if p.accepter_vpc_id == vpc {
                    Some(p.requester_vpc_id.as_str())
                } else {
                    None
                }
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The flow logs' `LogFormat` for a CloudWatch log group, if one delivers there.
    pub fn log_format_for_group(&self, group: &str) -> Option<&str> {
        self.flow_logs
            .iter()
            .find(|f| f.log_group.as_deref() == Some(group))
            .and_then(|f| f.log_format.as_deref())
    }

    /// Whether a flow log on this resource (interface, subnet or VPC) records
    /// accepted traffic (a REJECT-only flow log does not).
    fn logs_accepted_traffic(&self, resource_id: &str) -> bool {
        self.flow_logs
            .iter()
            .any(|f| f.resource_id == resource_id && f.traffic_type.as_deref() != Some("REJECT"))
    }

    /// Interfaces that no flow log covers (by interface, subnet or VPC), when
    /// the inventory lists flow logs at all.
    pub fn blind_spots(&self) -> Option<Vec<&NetworkInterface>> {
        if self.flow_logs.is_empty() {
            return None;
        }
        let covered = |id: &str| self.logs_accepted_traffic(id);
        Some(
            self.network_interfaces
                .iter()
                .filter(|e| {
                    !(covered(&e.id)
                        || e.subnet_id.as_deref().is_some_and(covered)
                        || e.vpc_id.as_deref().is_some_and(covered))
                })
                .collect(),
        )
    }

    /// Subnets that no flow log covers (by subnet or VPC), when the
    /// inventory lists flow logs at all.
    pub fn subnets_without_flow_logs(&self) -> Option<Vec<&Subnet>> {
        if self.flow_logs.is_empty() {
            return None;
        }
        let covered = |id: &str| self.logs_accepted_traffic(id);
        Some(
            self.subnets
                .iter()
                .filter(|s| !(covered(&s.id) || covered(&s.vpc_id)))
                .collect(),
        )
    }

    pub fn group(&self, id: &str) -> Option<&SecurityGroup> {
        self.security_groups.iter().find(|g| g.id == id)
    }
}

/// Each group's member interfaces, in the inventory's order, each once:
/// gathered once by whoever asks for many groups' members (a scan of every
/// interface per group is quadratic on a large estate).
pub struct Members<'i>(FxHashMap<&'i str, Vec<&'i NetworkInterface>>);

impl<'i> Members<'i> {
    pub fn of(inv: &'i Inventory) -> Members<'i> {
        let mut by_group: FxHashMap<&str, Vec<&NetworkInterface>> = FxHashMap::default();
        for e in &inv.network_interfaces {
            for g in &e.security_groups {
                let m = by_group.entry(g.as_str()).or_default();
                // Once, even for a list that names a group twice.
                if !m.last().is_some_and(|last| std::ptr::eq(*last, e)) {
                    m.push(e);
                }
            }
        }
        Members(by_group)
    }

    /// The interfaces that have `group`.
    pub fn of_group(&self, group: &str) -> &[&'i NetworkInterface] {
        self.0.get(group).map_or(&[], Vec::as_slice)
    }
}

/// Reads a JSON file the user gave (`what`: "the inventory"); a parse error
/// names the file, line and column, then `invalid` ("is not valid").
pub fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
    invalid: &str,
) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    // A UTF-8 byte-order mark (an editor's, PowerShell's `Out-File`) is no
    // part of the JSON; the columns then count as the reader sees them.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: {what} {invalid}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// A rule's protocol as a number: `None` for all protocols (`-1`).
pub fn protocol_number(p: &str) -> Option<u8> {
    // Asked for every rule a connection meets: compared in place, not
    // lowercased into a new string.
    let is = |name: &str| p.eq_ignore_ascii_case(name);
    if p == "-1" || is("all") {
        None
    } else if is("tcp") {
        Some(TCP)
    } else if is("udp") {
        Some(UDP)
    } else if is("icmp") {
        Some(ICMP)
    } else if is("icmpv6") {
        Some(ICMPV6)
    } else {
        p.parse().ok()
    }
}

impl SgRule {
    /// The ranges EC2 itself enforces, so that no later stage meets a value
    /// it cannot print or compare: the protocol is a name sgpair knows or a
    /// number 0..=255; a TCP or UDP port is 0..=65535 (or -1, every port)
    /// with `from_port <= to_port`; an ICMP type and code are 0..=255 (or
    /// -1, every type or code); any other protocol's ports are -1..=65535.
    pub fn check(&self) -> Result<(), String> {
        let proto = match self.protocol.to_ascii_lowercase().as_str() {
            "-1" | "all" => None,
            "tcp" => Some(TCP),
            "udp" => Some(UDP),
            "icmp" => Some(ICMP),
            "icmpv6" => Some(ICMPV6),
            n => Some(n.parse::<u8>().map_err(|_| {
                format!(
                    "protocol {:?} is neither tcp, udp, icmp, icmpv6, -1 (all) nor a protocol number 0..=255",
                    self.protocol
                )
            })?),
        };
        let (max, what) = match proto {
            Some(ICMP | ICMPV6) => (255, "an ICMP type or code: 0..=255, or -1 for every one"),
            _ => (65_535, "a port: 0..=65535, or -1 for every port"),
        };
        for (field, v) in [("from_port", self.from_port), ("to_port", self.to_port)] {
            if let Some(v) = v
                && !(-1..=max).contains(&v)
            {
                return Err(format!("{field} {v} is not {what}"));
            }
        }
        if let (Some(TCP | UDP), Some(from), Some(to)) = (proto, self.from_port, self.to_port)
            && from >= 0
            && to < from
        {
            return Err(format!("from_port {from} is above to_port {to}"));
        }
        Ok(())
    }

    /// Whether the rule's protocol and ports cover a connection's service.
    pub fn covers(&self, proto: u8, port: u16) -> bool {
        self.covers_protocol(protocol_number(&self.protocol), proto, port)
    }

    /// [`SgRule::covers`] with the rule's protocol already read
    /// ([`protocol_number`] of its `protocol`), for loops that ask a rule
    /// about many connections.
    pub fn covers_protocol(&self, protocol: Option<u8>, proto: u8, port: u16) -> bool {
        let Some(rp) = protocol else {
            return true; // all protocols
        };
        if rp != proto {
            return false;
        }
        let (from, to) = (self.from_port.unwrap_or(-1), self.to_port.unwrap_or(-1));
        match proto {
            TCP | UDP => {
                if from < 0 {
                    return true;
                }
                (from..=to.max(from)).contains(&i32::from(port))
            }
            // ICMP: from is the type (-1 all). A type the log did not carry is
            // given the benefit of the doubt: it was accepted.
            ICMP | ICMPV6 => from < 0 || port == ICMP_ANY || from == i32::from(port),
            _ => true,
        }
    }
}

impl SecurityGroup {
    /// Whether an existing rule of this group references `peer` for the
    /// service, in the direction given (ingress from it, egress to it).
    pub fn references(&self, peer: &str, egress: bool, proto: u8, port: u16) -> bool {
        let rules = if egress { &self.egress } else { &self.ingress };
        rules
            .iter()
            .any(|r| r.referenced_group_id.as_deref() == Some(peer) && r.covers(proto, port))
    }
}

/// An IPv4 or IPv6 block, `10.0.0.0/16` or `2600:1f18::/56`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    pub addr: IpAddr,
    pub len: u8,
}

impl Cidr {
    pub fn contains(&self, ip: &IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                // Total for any length (parsing keeps it within 0..=32).
                let mask = u32::MAX
                    .checked_shl(32u32.saturating_sub(u32::from(self.len)))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(*ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128u32.saturating_sub(u32::from(self.len)))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(*ip) & mask
            }
            _ => false,
        }
    }

    /// The whole address space of one family.
    pub fn is_everything(&self) -> bool {
        self.len == 0
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, l) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("{s:?} is not an address block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = if l.is_empty() {
            max
        } else {
            l.parse::<u8>()
                .ok()
                .filter(|l| *l <= max)
                .ok_or_else(|| format!("{s:?} has a bad prefix length"))?
        };
        Ok(Cidr { addr, len })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
