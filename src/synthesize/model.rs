//! What synthesis gives: rules with their evidence, flows that cannot be
//! rules, suspicious flows, and the proposal that holds them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use super::*;
use crate::aggregate::Connection;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub source_sg: String,
    pub target_sg: String,
    /// IANA protocol number.
    pub proto: u8,
    /// Port range; for ICMP the type (from) and code (to, -1 = all); -1/-1 when ports do not apply.
    pub from_port: i32,
    pub to_port: i32,
    pub evidence: RuleEvidence,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleEvidence {
    pub connections: u64,
    pub records: u64,
    pub bytes: u64,
    pub first: i64,
    pub last: i64,
    pub client_enis: Vec<String>,
    pub server_enis: Vec<String>,
    /// How the initiator of the connections was decided, with counts.
    pub initiator: BTreeMap<&'static str, u64>,
    /// Interface pairs the rule allows, and how many of them were observed.
    pub allowed_pairs: u64,
    pub observed_pairs: u64,
}

/// Why a connection cannot become a security-group-to-security-group rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExternalKind {
    InternetEgress,
    InternetIngress,
    AwsService,
    UnknownVpcAddress,
    /// An interface the logs show and the inventory lacks (its groups unknown).
    AbsentInterface,
    /// An address whose owner at the connection's time is not known.
    UnknownOwner,
    /// Two groups of VPCs joined by a transit gateway.
    TransitGateway,
    PrivateNetwork,
    NoSecurityGroup,
    /// A leg to, from or through a network load balancer without groups.
    LoadBalancerWithoutGroups,
    /// Both ends on the internet: the interface that logged it relayed it.
    InternetRelayed,
}

impl ExternalKind {
    pub fn title(self) -> &'static str {
        match self {
            ExternalKind::InternetEgress => "Egress to the internet",
            ExternalKind::InternetIngress => "Ingress from the internet",
            ExternalKind::AwsService => "AWS service addresses",
            ExternalKind::UnknownVpcAddress => "VPC addresses missing from the inventory",
            ExternalKind::AbsentInterface => "Interfaces missing from the inventory",
            ExternalKind::UnknownOwner => "Ends whose owner or groups at the time are not known",
            ExternalKind::TransitGateway => "Group pairs across a transit gateway",
            ExternalKind::PrivateNetwork => "Private networks outside the known VPCs",
            ExternalKind::NoSecurityGroup => "Interfaces without security groups",
            ExternalKind::LoadBalancerWithoutGroups => {
                "Paths through a network load balancer without security groups"
            }
            ExternalKind::InternetRelayed => "Between internet addresses, through an interface",
        }
    }

    pub fn advice(self) -> &'static str {
        match self {
            ExternalKind::InternetEgress => {
                "Needs an egress rule to a CIDR (or a route through a proxy or NAT with its own controls); the module only writes group-to-group rules. Review each destination before allowing it."
            }
            ExternalKind::InternetIngress => {
                "Needs an ingress rule from a CIDR, or better a load balancer in front; check that each port is meant to be public."
            }
            ExternalKind::AwsService => {
                "Use an egress rule to the service's managed prefix list (gateway endpoint) or route through an interface endpoint, whose group can be a rule target."
            }
            ExternalKind::UnknownVpcAddress => {
                "The address is inside a VPC but no interface in the inventory owns it: the interface was deleted or the inventory is older than the logs. Refresh the inventory and run again."
            }
            ExternalKind::AbsentInterface => {
                "The flow logs show this interface but the inventory does not hold it (deleted, newer than the inventory, or in an account or VPC the inventory does not cover), so its groups are unknown. See \"Interfaces missing from the inventory\"; refresh the inventory, or take the other account's."
            }
            ExternalKind::UnknownOwner => {
                "The address passed from one interface to another during the window (Auto Scaling, ECS, Lambda, EKS reuse addresses), or the interface's groups changed during the connection, and nothing says which applied then; sgpair does not guess. Turn on flow logs for the interfaces at both ends (their own copies tell), add flow-direction to the log format, or give the interfaces' history (--history)."
            }
            ExternalKind::TransitGateway => {
                "The two ends are in VPCs joined by a transit gateway. A security-group reference across it works only in an inbound rule, and only where the transit gateway has security group referencing turned on; the module writes both halves of a rule, so sgpair does not propose the pair. Write the ingress rule on the server's group referencing the client's group, and on the client's group an egress rule to the server's subnet CIDR."
            }
            ExternalKind::PrivateNetwork => {
                "Peered VPC, VPN or Direct Connect traffic: allow it with a CIDR rule or a reference to the peer's group."
            }
            ExternalKind::NoSecurityGroup => {
                "The interface carries no security group (NAT gateway, transit gateway attachment, ...); control this path on the other side or with network ACLs."
            }
            ExternalKind::LoadBalancerWithoutGroups => {
                "The load balancer was created without security groups (they can be given only at creation), so no group-to-group rule can name it and sgpair proposes none for these legs. The clients' groups need an egress rule to the load balancer's subnet CIDRs on the listener port. The targets' groups need an ingress rule on the target port: from the load balancer's subnet CIDRs where it replaces the client's address (client IP preservation off), from the clients (their group, or their CIDRs) where it keeps it. The clients never send to the targets' addresses, so no rule from the clients' group to the targets' group is proposed: the module writes both halves of a rule, and the egress half would allow what was never needed. A load balancer recreated with a security group can be named in both."
            }
            ExternalKind::InternetRelayed => {
                "Neither end is an address of a VPC: the interface that logged the traffic relayed it between two internet addresses (a NAT instance, proxy or firewall with source/destination checks off), or the interface holds one of the addresses without sgpair knowing it (an interface the inventory lacks: its public IPv6 address is not known). No group-to-group rule expresses this, and sgpair proposes none. Check that the interface is meant to relay this traffic; its own groups must allow both legs (ingress from the sources, egress to the destinations)."
            }
        }
    }
}

/// Connections that cannot be security-group rules, grouped per local side and service.
#[derive(Debug, Clone, Serialize)]
pub struct External {
    pub kind: ExternalKind,
    /// The side inside the environment (an interface id), or its class.
    pub local: String,
    pub local_groups: Vec<String>,
    /// What the other side is.
    pub remote_kind: String,
    pub port: u16,
    pub proto: u8,
    /// Whether the local side initiated (egress) or served (ingress).
    pub local_is_client: bool,
    pub remotes: Vec<IpAddr>,
    pub remote_count: usize,
    pub connections: u64,
    pub bytes: u64,
    pub first: i64,
    pub last: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// Traffic that looks like abuse: reported, never turned into a rule.
#[derive(Debug, Clone, Serialize)]
pub struct Suspicious {
    pub severity: Severity,
    pub reason: String,
    pub client: IpAddr,
    pub client_label: String,
    /// The forwarding interface it crossed (`NAT gateway eni-...`), where it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    pub server: IpAddr,
    pub server_label: String,
    pub port: u16,
    pub proto: u8,
    pub connections: u64,
    pub bytes: u64,
    pub first: i64,
    pub last: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Proposal {
    pub rules: Vec<Rule>,
    pub external: Vec<External>,
    pub suspicious: Vec<Suspicious>,
    /// Connections between two addresses of one interface: no group is crossed.
    pub same_interface: u64,
    /// Whether every port's choice was proven minimal (exhaustive search).
    pub optimal: bool,
    /// Avoided groups (`--avoid-group`) that a rule still uses because
    /// nothing else allows a connection: (group, protocol, port).
    pub avoided_but_needed: BTreeSet<(String, u8, u16)>,
    /// Services where other group pairs allow exactly as much as the chosen
    /// ones: the alternatives and why they lost.
    pub alternatives: Vec<Alternatives>,
    /// Rules between groups of two accounts (peering, a shared VPC): not in
    /// any account's `rules.auto.tfvars`; each half is applied by the
    /// account that owns its group.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cross_account: Vec<CrossAccount>,
    /// Rules the chosen module input cannot express (`--module-version 1`
    /// takes TCP only): set aside before the audit, so that no count,
    /// coverage or "after the change" holds them, and said instead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
}

/// A proposed rule that the tfvars does not hold, with its key (as it
/// would have been) and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOut {
    pub key: String,
    pub rule: Rule,
    pub reason: String,
}

/// A rule whose groups two accounts own: `source_account` adds the egress
/// half on the source group, `target_account` the ingress half on the
/// target group, each referencing the other's group as `account/sg-id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossAccount {
    pub rule: Rule,
    pub source_account: String,
    pub target_account: String,
}

/// Group pairs that allow the observed connections of one service exactly
/// as tightly as the chosen ones.
#[derive(Debug, Clone, Serialize)]
pub struct Alternatives {
    pub proto: u8,
    pub port: u16,
    /// (source group, target group) of the chosen rules.
    pub chosen: Vec<(String, String)>,
    /// Each alternative's pairs and the tie-break it lost on.
    pub others: Vec<(Vec<(String, String)>, TieBreak)>,
}

/// What a team chose to steer the group choice (`--avoid-group`).
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// Group ids kept out of every rule unless nothing else allows a connection.
    pub avoid: BTreeSet<String>,
    /// Sort the connections (suspicious, external, between groups) and
    /// choose no rule: `sgpair check` replays the proposal it is given,
    /// and only needs to know which flows are suspicious.
    pub classify_only: bool,
}

impl RuleEvidence {
    pub(super) fn empty(first: i64, last: i64) -> Self {
        RuleEvidence {
            connections: 0,
            records: 0,
            bytes: 0,
            first,
            last,
            client_enis: Vec::new(),
            server_enis: Vec::new(),
            initiator: BTreeMap::new(),
            allowed_pairs: 0,
            observed_pairs: 0,
        }
    }

    /// A connection's sums. Its interfaces are the rule's observed pairs',
    /// listed once the rule's connections are all in.
    pub(super) fn add(&mut self, c: &Connection) {
        self.connections = self.connections.saturating_add(c.connections);
        self.records = self.records.saturating_add(c.records);
        self.bytes = self.bytes.saturating_add(c.bytes);
        self.first = self.first.min(c.first);
        self.last = self.last.max(c.last);
        *self.initiator.entry(label(c.method)).or_default() += c.connections;
    }

    pub(super) fn merge(&mut self, o: RuleEvidence) {
        self.connections = self.connections.saturating_add(o.connections);
        self.records = self.records.saturating_add(o.records);
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        for e in &o.client_enis {
            insert_sorted(&mut self.client_enis, e);
        }
        for e in &o.server_enis {
            insert_sorted(&mut self.server_enis, e);
        }
        for (k, v) in o.initiator {
            *self.initiator.entry(k).or_default() += v;
        }
        self.allowed_pairs = self.allowed_pairs.max(o.allowed_pairs);
        self.observed_pairs = self.observed_pairs.max(o.observed_pairs);
    }
}
