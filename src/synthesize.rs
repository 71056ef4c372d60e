//! Stage 6: synthesize. The minimal least-privilege set of mutual
//! security-group rules that allows every observed connection between two
//! interfaces with security groups, and nothing that no connection needs.
//!
//! Per protocol and port, each observed (client interface, server interface)
//! pair must be covered by a rule (source group of the client, target group of
//! the server). A rule also allows every other member pair of its two groups;
//! those unobserved pairs are the cost. The choice minimises that cost, then
//! the number of rules: exhaustively when there are few candidate group pairs,
//! greedily (weighted set cover, then pruning) when there are many. Contiguous
//! ports of one group pair then merge into a range.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::aggregate::{Connection, Evidence, Method};
use crate::reduce::{ICMP, ICMP_ANY, ICMPV6, TCP, UDP};
use crate::resolve::{Endpoint, Resolver};

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

/// Suspicious ports, by protocol: (first, last, severity, what).
const SUSPICIOUS_ANYWHERE: &[(u16, u16, Severity, &str)] = &[
    (
        6660,
        6669,
        Severity::High,
        "IRC, a common botnet command channel",
    ),
    (
        6697,
        6697,
        Severity::High,
        "IRC over TLS, a common botnet command channel",
    ),
    (
        14433,
        14433,
        Severity::High,
        "a cryptocurrency mining-pool port",
    ),
    (
        14444,
        14444,
        Severity::High,
        "a cryptocurrency mining-pool port",
    ),
    (
        45560,
        45560,
        Severity::High,
        "a cryptocurrency mining-pool port",
    ),
    (
        45700,
        45700,
        Severity::High,
        "a cryptocurrency mining-pool port",
    ),
];

const SUSPICIOUS_TO_INTERNET: &[(u16, u16, Severity, &str)] = &[
    (
        25,
        25,
        Severity::Medium,
        "outbound SMTP: spam or exfiltration by mail",
    ),
    (
        3333,
        3333,
        Severity::High,
        "a cryptocurrency mining-pool (stratum) port",
    ),
    (
        4444,
        4444,
        Severity::High,
        "a mining-pool or reverse-shell port",
    ),
    (
        5555,
        5555,
        Severity::Medium,
        "a cryptocurrency mining-pool port",
    ),
    (
        7777,
        7777,
        Severity::Medium,
        "a cryptocurrency mining-pool port",
    ),
    (9001, 9001, Severity::High, "a Tor relay port"),
    (9030, 9030, Severity::High, "a Tor directory port"),
    (9050, 9051, Severity::High, "a Tor client (SOCKS) port"),
    (9150, 9150, Severity::High, "a Tor Browser port"),
];

const ADMIN_PORTS: &[(u16, &str)] = &[
    (22, "SSH"),
    (23, "Telnet"),
    (3389, "RDP"),
    (5985, "WinRM"),
    (5986, "WinRM"),
    (5900, "VNC"),
];

fn suspicious(
    c: &Connection,
    client: &Endpoint,
    server: &Endpoint,
    r: &Resolver<'_>,
) -> Option<(Severity, String)> {
    let port_proto = c.proto == TCP || c.proto == UDP;
    if !port_proto {
        return None;
    }
    for (lo, hi, sev, what) in SUSPICIOUS_ANYWHERE {
        if c.proto == TCP && (*lo..=*hi).contains(&c.port) {
            return Some((*sev, format!("port {}: {what}", c.port)));
        }
    }
    let to_outside = matches!(server, Endpoint::Internet);
    if to_outside && matches!(client, Endpoint::Eni { .. }) {
        for (lo, hi, sev, what) in SUSPICIOUS_TO_INTERNET {
            if c.proto == TCP && (*lo..=*hi).contains(&c.port) {
                return Some((*sev, format!("port {} to the internet: {what}", c.port)));
            }
        }
    }
    if c.port == 53
        && !matches!(server, Endpoint::Eni { .. })
        && !r.is_vpc_resolver(&c.server)
        && matches!(client, Endpoint::Eni { .. })
    {
        return Some((
            Severity::Medium,
            "DNS to a resolver other than the VPC's: possible DNS tunnelling or resolver bypass"
                .into(),
        ));
    }
    if matches!(client, Endpoint::Internet)
        && matches!(server, Endpoint::Eni { .. })
        && c.proto == TCP
        && let Some((_, name)) = ADMIN_PORTS.iter().find(|(p, _)| *p == c.port)
    {
        return Some((
            Severity::High,
            format!("{name} (port {}) accepted from the internet", c.port),
        ));
    }
    None
}

/// `NAT gateway eni-...`, `load balancer eni-...`: a forwarding interface
/// as a reader knows it.
pub fn forwarder_label(inv: &crate::inventory::Inventory, id: &str) -> String {
    let kind = inv
        .network_interfaces
        .iter()
        .find(|e| e.id == id)
        .map(|e| match e.interface_type.as_str() {
            "nat_gateway" => "NAT gateway ",
            "network_load_balancer" => "load balancer ",
            "gateway_load_balancer" | "gateway_load_balancer_endpoint" => "Gateway Load Balancer ",
            "transit_gateway" => "transit gateway attachment ",
            _ => "",
        })
        .unwrap_or("");
    format!("{kind}{id}")
}

fn external_kind(client: &Endpoint, server: &Endpoint) -> ExternalKind {
    let kinds = [client, server];
    if kinds
        .iter()
        .any(|e| matches!(e, Endpoint::AwsService { .. }))
    {
        return ExternalKind::AwsService;
    }
    if kinds.iter().any(|e| {
        matches!(
            e,
            Endpoint::Ambiguous { .. } | Endpoint::Regrouped { .. } | Endpoint::Unresolved
        )
    }) {
        return ExternalKind::UnknownOwner;
    }
    if kinds.iter().any(|e| matches!(e, Endpoint::Absent { .. })) {
        return ExternalKind::AbsentInterface;
    }
    if kinds
        .iter()
        .any(|e| matches!(e, Endpoint::ThroughTgw { .. }))
    {
        return ExternalKind::TransitGateway;
    }
    if kinds
        .iter()
        .any(|e| matches!(e, Endpoint::VpcUnknown { .. }))
    {
        return ExternalKind::UnknownVpcAddress;
    }
    if matches!(server, Endpoint::Internet) {
        return ExternalKind::InternetEgress;
    }
    if matches!(client, Endpoint::Internet) {
        return ExternalKind::InternetIngress;
    }
    if kinds.iter().any(|e| matches!(e, Endpoint::Private)) {
        return ExternalKind::PrivateNetwork;
    }
    ExternalKind::NoSecurityGroup
}

/// A connection between two interfaces that both carry security groups.
struct Grouped<'a> {
    conn: &'a Connection,
    client: u32,
    server: u32,
    client_groups: Vec<String>,
    server_groups: Vec<String>,
}

/// Service identity of a rule before port merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Service {
    proto: u8,
    port: u16,
}

/// What a team chose to steer the group choice (`--avoid-group`).
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// Group ids kept out of every rule unless nothing else allows a connection.
    pub avoid: BTreeSet<String>,
}

pub fn synthesize(evidence: &Evidence, r: &Resolver<'_>) -> Proposal {
    synthesize_with(evidence, r, &Choices::default())
}

pub fn synthesize_with(evidence: &Evidence, r: &Resolver<'_>, choices: &Choices) -> Proposal {
    let inv = r.inventory;
    // Interfaces by index, and group members.
    // The interfaces: the inventory's, then those only the history knows
    // (deleted in the window, their groups from CloudTrail), with groups.
    let mut ifaces: Vec<(&str, &[String])> = inv
        .network_interfaces
        .iter()
        .map(|e| (e.id.as_str(), e.security_groups.as_slice()))
        .collect();
    let mut eni_index: FxHashMap<&str, u32> = ifaces
        .iter()
        .enumerate()
        .map(|(i, (e, _))| (*e, i as u32))
        .collect();
    for c in &evidence.connections {
        for end in [&c.client_end, &c.server_end] {
            if let Endpoint::Eni { id, groups, .. } = end
                && !eni_index.contains_key(id.as_str())
            {
                eni_index.insert(id, ifaces.len() as u32);
                ifaces.push((id, groups));
            }
        }
    }
    let eni_ids: Vec<&str> = ifaces.iter().map(|(e, _)| *e).collect();
    let mut members: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (i, (_, groups)) in ifaces.iter().enumerate() {
        for g in *groups {
            members.entry(g.as_str()).or_default().push(i as u32);
        }
    }
    // A connection's end is a member of the groups it had then (the history
    // may give it others than today's).
    for c in &evidence.connections {
        for end in [&c.client_end, &c.server_end] {
            if let Endpoint::Eni { id, groups, .. } = end {
                let i = eni_index[id.as_str()];
                for g in groups {
                    let m = members.entry(g.as_str()).or_default();
                    if !m.contains(&i) {
                        m.push(i);
                    }
                }
            }
        }
    }
    // Groups shared across roles: their members carry different other groups.
    let shared: BTreeSet<&str> = members
        .iter()
        .filter(|(g, ms)| {
            let roles: BTreeSet<Vec<&String>> = ms
                .iter()
                .map(|m| {
                    ifaces[*m as usize]
                        .1
                        .iter()
                        .filter(|x| x.as_str() != **g)
                        .collect()
                })
                .collect();
            roles.len() > 1
        })
        .map(|(g, _)| *g)
        .collect();

    let mut proposal = Proposal {
        optimal: true,
        ..Default::default()
    };
    // Per service: the connections with both ends resolved to grouped interfaces.
    let mut by_service: BTreeMap<Service, Vec<Grouped<'_>>> = BTreeMap::new();
    let mut external: BTreeMap<(ExternalKind, String, String, u16, u8, bool), External> =
        BTreeMap::new();

    for c in &evidence.connections {
        let (ce, se) = (c.client_end.clone(), c.server_end.clone());
        if let Some((severity, reason)) = suspicious(c, &ce, &se, r) {
            proposal.suspicious.push(Suspicious {
                severity,
                reason,
                client: c.client,
                client_label: ce.label(),
                via: c.via.as_ref().map(|v| forwarder_label(inv, v)),
                server: c.server,
                server_label: se.label(),
                port: c.port,
                proto: c.proto,
                connections: c.connections,
                bytes: c.bytes,
                first: c.first,
                last: c.last,
            });
            continue;
        }
        match (&ce, &se, ce.groups(), se.groups()) {
            (Endpoint::Eni { id: cid, .. }, Endpoint::Eni { id: sid, .. }, Some(cg), Some(sg)) => {
                if cid == sid {
                    proposal.same_interface += c.connections;
                    continue;
                }
                let (Some(&ci), Some(&si)) =
                    (eni_index.get(cid.as_str()), eni_index.get(sid.as_str()))
                else {
                    continue;
                };
                by_service
                    .entry(Service {
                        proto: c.proto,
                        port: c.port,
                    })
                    .or_default()
                    .push(Grouped {
                        conn: c,
                        client: ci,
                        server: si,
                        client_groups: cg.to_vec(),
                        server_groups: sg.to_vec(),
                    });
            }
            _ => {
                let kind = external_kind(&ce, &se);
                // The local side is the one with an interface, else the client.
                let local_is_client =
                    matches!(ce, Endpoint::Eni { .. }) || !matches!(se, Endpoint::Eni { .. });
                let (local, remote, remote_ip) = if local_is_client {
                    (&ce, &se, c.server)
                } else {
                    (&se, &ce, c.client)
                };
                let local_label = local.label();
                let mut remote_kind = match remote {
                    Endpoint::Eni { .. } => "interface without security groups".to_string(),
                    other => other.label(),
                };
                if let Some(via) = &c.via {
                    remote_kind = format!("{remote_kind} through {}", forwarder_label(inv, via));
                }
                let e = external
                    .entry((
                        kind,
                        local_label.clone(),
                        remote_kind.clone(),
                        c.port,
                        c.proto,
                        local_is_client,
                    ))
                    .or_insert_with(|| External {
                        kind,
                        local: local_label,
                        local_groups: local.groups().map(<[String]>::to_vec).unwrap_or_default(),
                        remote_kind,
                        port: c.port,
                        proto: c.proto,
                        local_is_client,
                        remotes: Vec::new(),
                        remote_count: 0,
                        connections: 0,
                        bytes: 0,
                        first: c.first,
                        last: c.last,
                    });
                e.remote_count += 1;
                if e.remotes.len() < 10 {
                    e.remotes.push(remote_ip);
                }
                e.connections += c.connections;
                e.bytes += c.bytes;
                e.first = e.first.min(c.first);
                e.last = e.last.max(c.last);
            }
        }
    }
    proposal.external = external.into_values().collect();
    proposal.suspicious.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then((a.proto, a.port, a.client, a.server).cmp(&(b.proto, b.port, b.client, b.server)))
    });

    // Choose group pairs per service.
    let mut chosen: BTreeMap<(String, String, u8), BTreeMap<u16, RuleEvidence>> = BTreeMap::new();
    for (svc, conns) in &by_service {
        let observed: BTreeSet<(u32, u32)> = conns.iter().map(|g| (g.client, g.server)).collect();
        let observed: Vec<(u32, u32)> = observed.into_iter().collect();
        let mut candidates: BTreeSet<(String, String)> = BTreeSet::new();
        for g in conns {
            let pairs: Vec<(&String, &String)> = g
                .client_groups
                .iter()
                .flat_map(|a| g.server_groups.iter().map(move |b| (a, b)))
                .collect();
            let free: Vec<&(&String, &String)> = pairs
                .iter()
                .filter(|(a, b)| !choices.avoid.contains(*a) && !choices.avoid.contains(*b))
                .collect();
            if free.is_empty() {
                // Only an avoided group allows this connection: it stays, said.
                for (a, b) in &pairs {
                    for x in [a, b] {
                        if choices.avoid.contains(*x) {
                            proposal
                                .avoided_but_needed
                                .insert(((*x).clone(), svc.proto, svc.port));
                        }
                    }
                    candidates.insert(((*a).clone(), (*b).clone()));
                }
            } else {
                for (a, b) in free {
                    candidates.insert(((*a).clone(), (*b).clone()));
                }
            }
        }
        let candidates: Vec<(String, String)> = candidates.into_iter().collect();
        let sets: Vec<CandidateSet> = candidates
            .iter()
            .map(|(a, b)| {
                let referenced = inv
                    .group(b)
                    .is_some_and(|g| g.references(a, false, svc.proto, svc.port))
                    || inv
                        .group(a)
                        .is_some_and(|g| g.references(b, true, svc.proto, svc.port));
                CandidateSet {
                    referenced,
                    shared: [a, b]
                        .iter()
                        .filter(|g| shared.contains(g.as_str()))
                        .count() as u32,
                    ..CandidateSet::new(&members[a.as_str()], &members[b.as_str()], &observed)
                }
            })
            .collect();
        let (pick, optimal, alternatives) = choose(&sets, observed.len());
        proposal.optimal &= optimal;
        let picked: Vec<&(String, String)> = pick.iter().map(|i| &candidates[*i]).collect();
        if !alternatives.is_empty() {
            let pairs = |ix: &[usize]| -> Vec<(String, String)> {
                ix.iter().map(|i| candidates[*i].clone()).collect()
            };
            proposal.alternatives.push(Alternatives {
                proto: svc.proto,
                port: svc.port,
                chosen: pairs(&pick),
                others: alternatives
                    .iter()
                    .map(|(ix, why)| (pairs(ix), *why))
                    .collect(),
            });
        }

        // Assign each connection to the first picked rule that covers it.
        let mut ev: BTreeMap<usize, (RuleEvidence, FxHashSet<(u32, u32)>)> = BTreeMap::new();
        for Grouped {
            conn: c,
            client: ci,
            server: si,
            client_groups: cg,
            server_groups: sg,
        } in conns
        {
            let Some(slot) = picked
                .iter()
                .position(|(a, b)| cg.contains(a) && sg.contains(b))
            else {
                unreachable!("the choice covers every observed pair");
            };
            let (e, pairs) = ev
                .entry(slot)
                .or_insert_with(|| (RuleEvidence::empty(c.first, c.last), FxHashSet::default()));
            e.add(c, eni_ids[*ci as usize], eni_ids[*si as usize]);
            pairs.insert((*ci, *si));
        }
        for (slot, (mut e, pairs)) in ev {
            let (a, b) = picked[slot];
            let set = &sets[pick[slot]];
            e.allowed_pairs = set.allowed;
            e.observed_pairs = pairs.len() as u64;
            chosen
                .entry((a.clone(), b.clone(), svc.proto))
                .or_default()
                .insert(svc.port, e);
        }
    }

    // Merge contiguous ports of one group pair into ranges.
    for ((src, dst, proto), ports) in chosen {
        let has_ports = proto == TCP || proto == UDP;
        let mut run: Vec<(u16, RuleEvidence)> = Vec::new();
        let flush = |run: &mut Vec<(u16, RuleEvidence)>, out: &mut Vec<Rule>| {
            if run.is_empty() {
                return;
            }
            let (lo, hi) = (run[0].0, run[run.len() - 1].0);
            let mut it = run.drain(..);
            let (_, mut e) = it.next().expect("non-empty");
            for (_, other) in it {
                e.merge(other);
            }
            let (from_port, to_port) = if has_ports {
                (i32::from(lo), i32::from(hi))
            } else if proto == ICMP || proto == ICMPV6 {
                if lo == ICMP_ANY {
                    (-1, -1)
                } else {
                    (i32::from(lo), -1)
                }
            } else {
                (-1, -1)
            };
            out.push(Rule {
                source_sg: src.clone(),
                target_sg: dst.clone(),
                proto,
                from_port,
                to_port,
                evidence: e,
            });
        };
        for (port, e) in ports {
            let contiguous = has_ports
                && run
                    .last()
                    .is_some_and(|(p, _)| u32::from(*p) + 1 == u32::from(port));
            if !contiguous {
                flush(&mut run, &mut proposal.rules);
            }
            run.push((port, e));
        }
        flush(&mut run, &mut proposal.rules);
    }
    proposal
}

impl RuleEvidence {
    fn empty(first: i64, last: i64) -> Self {
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

    fn add(&mut self, c: &Connection, client_eni: &str, server_eni: &str) {
        self.connections += c.connections;
        self.records += c.records;
        self.bytes += c.bytes;
        self.first = self.first.min(c.first);
        self.last = self.last.max(c.last);
        insert_sorted(&mut self.client_enis, client_eni);
        insert_sorted(&mut self.server_enis, server_eni);
        *self.initiator.entry(label(c.method)).or_default() += c.connections;
    }

    fn merge(&mut self, o: RuleEvidence) {
        self.connections += o.connections;
        self.records += o.records;
        self.bytes += o.bytes;
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

fn label(m: Method) -> &'static str {
    m.label()
}

fn insert_sorted(v: &mut Vec<String>, s: &str) {
    if let Err(i) = v.binary_search_by(|x| x.as_str().cmp(s)) {
        v.insert(i, s.to_string());
    }
}

/// What one candidate group pair would cover and cost for one service.
#[derive(Debug, Clone)]
struct CandidateSet {
    /// Indices into the observed pairs it covers.
    covers: Vec<usize>,
    /// Unobserved interface pairs it would allow.
    extra: FxHashSet<(u32, u32)>,
    /// All interface pairs it allows.
    allowed: u64,
    /// Members of both groups: among equals, narrower groups are preferred,
    /// since the rule then follows fewer future members.
    members: usize,
    /// An existing rule already references this pair for the service:
    /// intent people wrote down, preferred among equals.
    referenced: bool,
    /// How many of the two groups are shared across roles (their members
    /// carry different other groups): such a group grants every future
    /// member what it allows, so it is avoided among equals.
    shared: u32,
}

/// Past this many unobserved pairs per candidate, the cost is counted, not listed.
const MAX_LISTED_EXTRA: usize = 200_000;

impl CandidateSet {
    fn new(src: &[u32], dst: &[u32], observed: &[(u32, u32)]) -> Self {
        let obs: FxHashSet<(u32, u32)> = observed.iter().copied().collect();
        let covers = observed
            .iter()
            .enumerate()
            .filter(|(_, (c, s))| src.contains(c) && dst.contains(s))
            .map(|(i, _)| i)
            .collect();
        let mut extra = FxHashSet::default();
        let mut allowed = 0u64;
        for &a in src {
            for &b in dst {
                if a == b {
                    continue;
                }
                allowed += 1;
                if !obs.contains(&(a, b)) && extra.len() < MAX_LISTED_EXTRA {
                    extra.insert((a, b));
                }
            }
        }
        CandidateSet {
            covers,
            extra,
            allowed,
            members: src.len() + dst.len(),
            referenced: false,
            shared: 0,
        }
    }
}

/// Exhaustive search up to this many candidates (2^n subsets).
const EXHAUSTIVE_MAX: usize = 12;

/// Why one choice beat another that allows exactly as much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TieBreak {
    /// Existing rules reference more of the chosen pairs.
    ExistingRule,
    /// The chosen pairs use fewer groups shared across roles.
    NotShared,
    /// The choice needs fewer rules.
    FewerRules,
    /// The chosen groups have fewer members.
    NarrowerGroups,
    /// Nothing told them apart: the first in group-id order.
    Order,
}

impl TieBreak {
    pub fn reason(self) -> &'static str {
        match self {
            TieBreak::ExistingRule => "an existing rule already references the chosen pair",
            TieBreak::NotShared => {
                "the alternative uses a group shared across roles, which would grant every future member"
            }
            TieBreak::FewerRules => "the chosen pairs need fewer rules",
            TieBreak::NarrowerGroups => "the chosen groups have fewer members",
            TieBreak::Order => "nothing else told them apart (group-id order)",
        }
    }
}

/// The chosen candidates, whether the choice is proven optimal, and the
/// choices that allow exactly as much but lost on a tie-break.
type Choice = (Vec<usize>, bool, Vec<(Vec<usize>, TieBreak)>);

/// Alternatives named per service.
const MAX_ALTERNATIVES: usize = 2;

/// Picks candidate indices that cover every observed pair with the fewest
/// unobserved pairs; among equals, pairs existing rules reference, then
/// groups not shared across roles, then the fewest rules, then narrower
/// groups. Returns whether it is proven optimal (exhaustive search).
fn choose(sets: &[CandidateSet], n_observed: usize) -> Choice {
    let small = sets.iter().map(|s| s.extra.len()).sum::<usize>() <= 20_000;
    if sets.len() <= EXHAUSTIVE_MAX && small && n_observed <= 128 {
        let full: u128 = if n_observed >= 128 {
            u128::MAX
        } else {
            (1u128 << n_observed) - 1
        };
        let masks: Vec<u128> = sets
            .iter()
            .map(|s| s.covers.iter().fold(0u128, |m, i| m | 1 << i))
            .collect();
        // (unobserved pairs, pairs existing rules reference (more first),
        // groups shared across roles, rules, members, subset)
        let mut covering: Vec<(usize, std::cmp::Reverse<u32>, u32, u32, usize, u32)> = Vec::new();
        for subset in 1u32..(1u32 << sets.len()) {
            let mut cov = 0u128;
            for (i, m) in masks.iter().enumerate() {
                if subset & (1 << i) != 0 {
                    cov |= m;
                }
            }
            if cov != full {
                continue;
            }
            let picked = || {
                sets.iter()
                    .enumerate()
                    .filter(move |(i, _)| subset & (1 << i) != 0)
                    .map(|(_, s)| s)
            };
            let mut union: FxHashSet<(u32, u32)> = FxHashSet::default();
            for s in picked() {
                union.extend(s.extra.iter().copied());
            }
            covering.push((
                union.len(),
                std::cmp::Reverse(picked().filter(|s| s.referenced).count() as u32),
                picked().map(|s| s.shared).sum(),
                subset.count_ones(),
                picked().map(|s| s.members).sum(),
                subset,
            ));
        }
        covering.sort_unstable();
        let best = covering[0];
        let indices = |subset: u32| -> Vec<usize> {
            (0..sets.len()).filter(|i| subset & (1 << i) != 0).collect()
        };
        // Subsets that allow exactly as much and are not a superset of the
        // choice (adding a rule is never an alternative).
        let alternatives = covering[1..]
            .iter()
            .filter(|c| c.0 == best.0 && c.5 & best.5 != best.5)
            .take(MAX_ALTERNATIVES)
            .map(|c| {
                let why = if c.1 != best.1 {
                    TieBreak::ExistingRule
                } else if c.2 != best.2 {
                    TieBreak::NotShared
                } else if c.3 != best.3 {
                    TieBreak::FewerRules
                } else if c.4 != best.4 {
                    TieBreak::NarrowerGroups
                } else {
                    TieBreak::Order
                };
                (indices(c.5), why)
            })
            .collect();
        return (indices(best.5), true, alternatives);
    }
    (greedy(sets, n_observed), false, Vec::new())
}

fn greedy(sets: &[CandidateSet], n_observed: usize) -> Vec<usize> {
    let mut covered = vec![false; n_observed];
    let mut n_covered = 0;
    let mut granted: FxHashSet<(u32, u32)> = FxHashSet::default();
    let mut picked: Vec<usize> = Vec::new();
    while n_covered < n_observed {
        let mut best: Option<(usize, usize, usize)> = None; // (index, new extra, new cover)
        let members = |i: usize| sets[i].members;
        for (i, s) in sets.iter().enumerate() {
            if picked.contains(&i) {
                continue;
            }
            let cov = s.covers.iter().filter(|c| !covered[**c]).count();
            if cov == 0 {
                continue;
            }
            let extra = s.extra.iter().filter(|p| !granted.contains(p)).count();
            let better = match best {
                None => true,
                // lower extra per covered pair, then more coverage
                Some((bi, be, bc)) => {
                    let (l, r) = (extra * bc, be * cov);
                    l < r || (l == r && (cov > bc || (cov == bc && members(i) < members(bi))))
                }
            };
            if better {
                best = Some((i, extra, cov));
            }
        }
        let (i, _, _) = best.expect("every observed pair has a candidate");
        for c in &sets[i].covers {
            if !covered[*c] {
                covered[*c] = true;
                n_covered += 1;
            }
        }
        granted.extend(sets[i].extra.iter().copied());
        picked.push(i);
    }
    // Drop rules whose pairs the others already cover, last picked first.
    for k in (0..picked.len()).rev() {
        let without: Vec<usize> = picked
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != k)
            .map(|(_, i)| *i)
            .collect();
        let mut cov = vec![false; n_observed];
        for i in &without {
            for c in &sets[*i].covers {
                cov[*c] = true;
            }
        }
        if cov.iter().all(|c| *c) {
            picked = without;
        }
    }
    picked.sort_unstable();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Inventory, NetworkInterface, SecurityGroup};

    fn eni(id: &str, addr: &str, groups: &[&str]) -> NetworkInterface {
        NetworkInterface {
            vpc_id: Some("vpc-1".into()),
            ..NetworkInterface::new(id, vec![addr.parse().unwrap()], groups)
        }
    }

    fn sg(id: &str) -> SecurityGroup {
        SecurityGroup {
            vpc_id: Some("vpc-1".into()),
            ..SecurityGroup::new(id, id.trim_start_matches("sg-"))
        }
    }

    fn conn(client: &str, server: &str, port: u16, proto: u8) -> Connection {
        Connection {
            client: client.parse().unwrap(),
            server: server.parse().unwrap(),
            port,
            proto,
            connections: 3,
            records: 6,
            bytes: 1000,
            packets: 10,
            first: 100,
            last: 200,
            method: Method::TcpFlags,
            logged_at: vec![],
            client_end: Endpoint::Unresolved,
            server_end: Endpoint::Unresolved,
            via: None,
            vpc: None,
            account: None,
        }
    }

    /// alb → web:80 on two web hosts; every host is in the shared monitoring group.
    fn env() -> Inventory {
        Inventory {
            format_version: 1,
            network_interfaces: vec![
                eni("eni-alb", "10.0.0.5", &["sg-alb"]),
                eni("eni-web1", "10.0.1.10", &["sg-web", "sg-mon-agents"]),
                eni("eni-web2", "10.0.1.11", &["sg-web", "sg-mon-agents"]),
                eni("eni-db", "10.0.2.20", &["sg-db", "sg-mon-agents"]),
                eni("eni-mon", "10.0.3.30", &["sg-mon"]),
            ],
            security_groups: ["sg-alb", "sg-web", "sg-db", "sg-mon", "sg-mon-agents"]
                .iter()
                .map(|s| sg(s))
                .collect(),
            vpcs: vec![crate::inventory::Vpc {
                id: "vpc-1".into(),
                owner_id: None,
                cidrs: vec!["10.0.0.0/16".parse().unwrap()],
            }],
            ..Default::default()
        }
    }

    fn run(conns: Vec<Connection>) -> Proposal {
        let inv = env();
        let mut ev = Evidence {
            connections: conns,
            ..Default::default()
        };
        crate::resolve::attribute(&mut ev, &inv);
        let r = Resolver::new(&inv, &ev);
        synthesize(&ev, &r)
    }

    fn rules(p: &Proposal) -> Vec<(String, String, u8, i32, i32)> {
        p.rules
            .iter()
            .map(|r| {
                (
                    r.source_sg.clone(),
                    r.target_sg.clone(),
                    r.proto,
                    r.from_port,
                    r.to_port,
                )
            })
            .collect()
    }

    #[test]
    fn multi_group_interfaces_get_the_narrowest_target() {
        let p = run(vec![
            conn("10.0.0.5", "10.0.1.10", 80, TCP),
            conn("10.0.0.5", "10.0.1.11", 80, TCP),
        ]);
        assert_eq!(
            rules(&p),
            vec![("sg-alb".into(), "sg-web".into(), TCP, 80, 80)]
        );
        let e = &p.rules[0].evidence;
        assert_eq!(e.connections, 6);
        assert_eq!(e.server_enis, vec!["eni-web1", "eni-web2"]);
        assert_eq!((e.allowed_pairs, e.observed_pairs), (2, 2));
        assert!(p.optimal);
    }

    #[test]
    fn a_scrape_of_every_member_uses_the_role_groups_not_the_shared_one() {
        // The agents group allows exactly the scraped hosts too, in one rule;
        // but it is shared across roles (web and db members), so every future
        // member would be reachable: among equals the role groups win.
        let p = run(vec![
            conn("10.0.3.30", "10.0.1.10", 9100, TCP),
            conn("10.0.3.30", "10.0.1.11", 9100, TCP),
            conn("10.0.3.30", "10.0.2.20", 9100, TCP),
        ]);
        assert_eq!(
            rules(&p),
            vec![
                ("sg-mon".into(), "sg-db".into(), TCP, 9100, 9100),
                ("sg-mon".into(), "sg-web".into(), TCP, 9100, 9100)
            ]
        );
        let alt = &p.alternatives[0];
        assert_eq!(
            alt.others[0],
            (
                vec![("sg-mon".to_string(), "sg-mon-agents".to_string())],
                TieBreak::NotShared
            )
        );
    }

    #[test]
    fn contiguous_ports_merge_and_gaps_do_not() {
        let p = run(vec![
            conn("10.0.1.10", "10.0.2.20", 8080, TCP),
            conn("10.0.1.10", "10.0.2.20", 8081, TCP),
            conn("10.0.1.10", "10.0.2.20", 8082, TCP),
            conn("10.0.1.10", "10.0.2.20", 8090, TCP),
        ]);
        assert_eq!(
            rules(&p),
            vec![
                ("sg-web".into(), "sg-db".into(), TCP, 8080, 8082),
                ("sg-web".into(), "sg-db".into(), TCP, 8090, 8090)
            ]
        );
        assert_eq!(p.rules[0].evidence.connections, 9);
    }

    #[test]
    fn external_and_suspicious_traffic_never_become_rules() {
        let p = run(vec![
            conn("10.0.1.10", "93.184.216.34", 443, TCP),
            conn("198.51.100.7", "10.0.0.5", 443, TCP),
            conn("10.0.1.10", "10.0.9.9", 5432, TCP),
            conn("10.0.1.10", "203.0.113.9", 6667, TCP),
            conn("10.0.1.10", "10.0.2.20", 6667, TCP),
            conn("10.0.1.10", "8.8.8.8", 53, UDP),
            conn("198.51.100.7", "10.0.1.10", 22, TCP),
        ]);
        assert!(p.rules.is_empty(), "{:?}", rules(&p));
        let kinds: Vec<ExternalKind> = p.external.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ExternalKind::InternetEgress,
                ExternalKind::InternetIngress,
                ExternalKind::UnknownVpcAddress
            ]
        );
        assert_eq!(p.suspicious.len(), 4);
        assert!(p.suspicious.iter().any(|s| s.reason.contains("DNS")));
        assert!(p.suspicious.iter().any(|s| s.reason.contains("SSH")));
    }

    #[test]
    fn icmp_without_type_allows_all_types() {
        let p = run(vec![conn("10.0.3.30", "10.0.2.20", ICMP_ANY, ICMP)]);
        assert_eq!(
            rules(&p),
            vec![("sg-mon".into(), "sg-db".into(), ICMP, -1, -1)]
        );
        let p = run(vec![conn("10.0.3.30", "10.0.2.20", 8, ICMP)]);
        assert_eq!(
            rules(&p),
            vec![("sg-mon".into(), "sg-db".into(), ICMP, 8, -1)]
        );
    }

    #[test]
    fn greedy_matches_exhaustive_on_a_small_case() {
        let members_a = vec![0u32, 1];
        let members_b = vec![2u32, 3];
        let observed = vec![(0, 2), (1, 3)];
        let sets = vec![
            CandidateSet::new(&members_a, &members_b, &observed),
            CandidateSet::new(&[0], &[2], &observed),
            CandidateSet::new(&[1], &[3], &observed),
        ];
        let (pick, optimal, _) = choose(&sets, 2);
        assert!(optimal);
        assert_eq!(
            pick,
            vec![1, 2],
            "two exact rules beat one rule with two unobserved pairs"
        );
        assert_eq!(greedy(&sets, 2), vec![1, 2]);
    }
}
