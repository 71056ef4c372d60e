//! Traffic that looks like abuse (reported, never a rule), and why a flow
//! that is not between two grouped interfaces cannot be a rule.

use std::borrow::Cow;
use std::net::IpAddr;

use super::*;
use crate::aggregate::Connection;
use crate::inventory::Inventory;
use crate::reduce::{TCP, UDP};
use crate::resolve::{
    Endpoint, Resolver, balancer_name, balancer_subnets, is_network_load_balancer,
};

/// Suspicious ports, by protocol: (first, last, severity, what). The
/// finding catalogue's SGP007 lists these tables' ports (a test holds it to
/// them).
pub(super) const SUSPICIOUS_ANYWHERE: &[(u16, u16, Severity, &str)] = &[
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

pub(super) const SUSPICIOUS_TO_INTERNET: &[(u16, u16, Severity, &str)] = &[
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

/// Services that must not face the internet: remote shells and desktops,
/// and Windows file sharing (SMB, what worms such as WannaCry spread by).
pub(super) const ADMIN_PORTS: &[(u16, &str)] = &[
    (22, "SSH"),
    (23, "Telnet"),
    (445, "SMB"),
    (3389, "RDP"),
    (5985, "WinRM"),
    (5986, "WinRM"),
    (5900, "VNC"),
];

pub(super) fn suspicious(
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
pub fn forwarder_label(inv: &Inventory, id: &str) -> String {
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

/// A connection a load balancer without groups forwarded keeping the
/// client's address: no group pair can express it.
pub(super) fn forwarded_without_groups(c: &Connection) -> bool {
    c.balancer
        .as_ref()
        .is_some_and(|b| b.is_definite() && b.groups().is_none())
}

/// How a connection that cannot be a rule is listed.
pub(super) struct Sides<'a> {
    pub kind: ExternalKind,
    /// Whether the local side initiated (egress) or served (ingress).
    pub local_is_client: bool,
    /// The side inside the environment: an interface (with groups, where
    /// both ends are interfaces), else the client; between two internet
    /// addresses, the interface that logged it.
    pub local: Cow<'a, Endpoint>,
    pub remote_ip: IpAddr,
    /// What the other side is, as the report says it.
    pub remote_kind: String,
}

/// The listing of a connection between `client` and `server` (the ends that
/// govern its rules) that no group pair can allow.
pub(super) fn external_sides<'a>(
    c: &Connection,
    client: &'a Endpoint,
    server: &'a Endpoint,
    r: &Resolver<'_>,
) -> Sides<'a> {
    let inv = r.inventory;
    if forwarded_without_groups(c) && server.groups().is_some() {
        // The server admits the client itself: its ingress is the rule.
        let who = match (client, client.groups()) {
            (_, Some(g)) => format!("members of {}", g.join(", ")),
            (Endpoint::Eni { .. }, None) => "an interface without security groups".into(),
            (other, None) => other.label(),
        };
        let lb = c.via.as_deref().unwrap_or_default();
        return Sides {
            kind: ExternalKind::LoadBalancerWithoutGroups,
            local_is_client: false,
            local: Cow::Borrowed(server),
            remote_ip: c.client,
            remote_kind: format!(
                "{who} through {}, client address kept",
                balancer_label(r, lb)
            ),
        };
    }
    if let (Endpoint::Internet, Endpoint::Internet, Some(at)) =
        (client, server, c.logged_at.first())
    {
        // Neither end is the interface that logged it: it relayed.
        return Sides {
            kind: ExternalKind::InternetRelayed,
            local_is_client: false,
            local: Cow::Owned(r.by_log(at, c.first, c.last)),
            remote_ip: c.server,
            remote_kind: "internet to internet".into(),
        };
    }
    let kind = external_kind(client, server);
    // The local side is an interface: one the inventory holds first, else
    // one it lacks (deleted, another account's), else the client.
    let local_is_client = match (client, server) {
        (Endpoint::Eni { .. }, Endpoint::Eni { .. }) => {
            client.groups().is_some() || server.groups().is_none()
        }
        (Endpoint::Eni { .. }, _) => true,
        (_, Endpoint::Eni { .. }) => false,
        _ => client.interface().is_some() || server.interface().is_none(),
    };
    let (local, remote, remote_ip) = if local_is_client {
        (client, server, c.server)
    } else {
        (server, client, c.client)
    };
    let lb = remote
        .interface()
        .filter(|_| kind == ExternalKind::NoSecurityGroup)
        .and_then(|id| r.interface(id))
        .filter(|e| is_network_load_balancer(e));
    if let Some(lb) = lb {
        let subnets: Vec<String> = balancer_subnets(inv, &lb.id)
            .iter()
            .map(ToString::to_string)
            .collect();
        let subnets = match subnets.as_slice() {
            [] => "subnets not in the inventory".to_string(),
            s => format!("subnets {}", s.join(", ")),
        };
        return Sides {
            kind: ExternalKind::LoadBalancerWithoutGroups,
            local_is_client,
            local: Cow::Borrowed(local),
            remote_ip,
            remote_kind: format!("{} without groups ({subnets})", balancer_label(r, &lb.id)),
        };
    }
    let mut remote_kind = match remote {
        Endpoint::Eni { .. } => "interface without security groups".to_string(),
        other => other.label(),
    };
    if let Some(via) = &c.via {
        remote_kind = format!("{remote_kind} through {}", forwarder_label(inv, via));
    }
    Sides {
        kind,
        local_is_client,
        local: Cow::Borrowed(local),
        remote_ip,
        remote_kind,
    }
}

/// `load balancer eni-... (net/web/...)`.
fn balancer_label(r: &Resolver<'_>, id: &str) -> String {
    let lb = r.interface(id).filter(|e| is_network_load_balancer(e));
    match lb.and_then(balancer_name) {
        Some(name) => format!("load balancer {id} ({name})"),
        None => format!("load balancer {id}"),
    }
}

pub(super) fn external_kind(client: &Endpoint, server: &Endpoint) -> ExternalKind {
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
    if kinds.iter().any(|e| matches!(e, Endpoint::ThroughTgw(_))) {
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
