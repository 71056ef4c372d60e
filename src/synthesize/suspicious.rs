//! Traffic that looks like abuse (reported, never a rule), and why a flow
//! that is not between two grouped interfaces cannot be a rule.

use super::*;
use crate::aggregate::Connection;
use crate::reduce::{TCP, UDP};
use crate::resolve::{Endpoint, Resolver};

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
