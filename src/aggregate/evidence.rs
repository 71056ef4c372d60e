//! What aggregation gives: one connection per capturing interface and key,
//! rejected traffic, gaps in the logs, and who held which address when.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::endpoint::Endpoint;
use crate::id::Id;

/// How the initiator of a connection was decided, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// SYN / SYN-ACK in `tcp-flags`, or the ICMP type.
    TcpFlags,
    /// The same server port was proven a service by TCP flags in other records.
    KnownService,
    /// The server port saw more distinct client ports than the other side.
    FanIn,
    /// ICMP both ways in the same second: the side that exchanged ICMP with
    /// more peers (a monitoring host pinging many) started it.
    FanOut,
    /// Only one direction of an ICMP or port-less exchange was logged.
    OneWay,
    /// Well-known < registered < ephemeral port ranges.
    PortRange,
}

impl Method {
    /// Every method, best first (the order of their ranks).
    pub const ALL: [Method; 6] = [
        Method::TcpFlags,
        Method::KnownService,
        Method::FanIn,
        Method::FanOut,
        Method::OneWay,
        Method::PortRange,
    ];

    /// Its place in [`Method::ALL`]: when two copies of a connection merge,
    /// the lower rank stands.
    pub fn rank(self) -> u8 {
        self as u8
    }

    pub fn from_label(label: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.label() == label)
    }

    pub fn label(self) -> &'static str {
        match self {
            Method::TcpFlags => "tcp-flags",
            Method::KnownService => "known-service",
            Method::FanIn => "fan-in",
            Method::FanOut => "fan-out",
            Method::OneWay => "one-way",
            Method::PortRange => "port-range",
        }
    }
}

/// A rejected flow, summarised per destination service.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    pub dst: IpAddr,
    /// The destination port; for ICMP the type, or
    /// [`crate::reduce::ICMP_ANY`] where the log carries none (as a
    /// connection's `port`).
    pub dstport: u16,
    pub proto: u8,
    pub records: u64,
    pub distinct_sources: usize,
    /// Up to a few example sources, sorted.
    pub sources: Vec<IpAddr>,
    pub first: i64,
    pub last: i64,
    pub reasons: Vec<String>,
}

/// A SKIPDATA gap on one interface.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub interface_id: String,
    pub intervals: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// One observed connection between two addresses: the unit of evidence.
/// Out of [`Aggregator::finish`] it is what one interface captured; after
/// [`crate::resolve::attribute`] it is the connection, its copies merged and
/// both ends resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub client: IpAddr,
    pub server: IpAddr,
    /// The VPC of the capturing interface(s): where the addresses mean something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc: Option<Id>,
    /// The account the capturing interface belongs to, where logged.
    #[serde(skip)]
    pub account: Option<Id>,
    /// The service port; for ICMP the type, [`ICMP_ANY`] when not logged.
    pub port: u16,
    pub proto: u8,
    /// Distinct connections: SYNs at one interface, or distinct client ports.
    pub connections: u64,
    pub records: u64,
    pub bytes: u64,
    pub packets: u64,
    pub first: i64,
    pub last: i64,
    pub method: Method,
    /// Interfaces whose logs carried it.
    pub logged_at: Vec<Id>,
    /// The ends, once resolved (`Unresolved` until then).
    pub client_end: Endpoint,
    pub server_end: Endpoint,
    /// A forwarding interface the connection crossed (NAT gateway, load
    /// balancer, endpoint): neither end, but it logged the connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<Id>,
    /// The network load balancer that forwarded it keeping the client's
    /// address, with its groups then (resolve sets it): its egress, not the
    /// client's, let the packets to the server, whose ingress may admit
    /// them by its group. Boxed: most connections have none, and the
    /// aggregation holds one per capturing interface and key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balancer: Option<Box<Endpoint>>,
    /// Both ends on the internet: the interface that relayed it (a NAT
    /// instance, proxy or firewall), with its groups then (resolve sets
    /// it). Its ingress admitted the client and its egress let the packets
    /// on to the server: the audit matches those rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay: Option<Box<Endpoint>>,
}

/// Traffic whose initiator the evidence cannot decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undecided {
    pub a: IpAddr,
    pub a_port: u16,
    pub b: IpAddr,
    pub b_port: u16,
    pub proto: u8,
    pub records: u64,
    pub bytes: u64,
    pub first: i64,
    pub last: i64,
}

/// Everything the window holds, ready for resolution.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    pub connections: Vec<Connection>,
    pub undecided: Vec<Undecided>,
    pub rejected: Vec<Rejected>,
    pub gaps: Vec<Gap>,
    /// Addresses an interface was seen to own (from `flow-direction`), with
    /// when: an address can pass from one interface to another in a window.
    pub held: Vec<Held>,
    /// Addresses the logs named as AWS service addresses (`pkt-*-aws-service`).
    pub aws_services: BTreeMap<IpAddr, String>,
}

/// An interface held an address from `first` to `last` (record times).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    pub interface_id: String,
    pub addr: IpAddr,
    pub first: i64,
    pub last: i64,
}
