//! Network load balancers: which connections one forwarded keeping the
//! client's address, and the paths client → load balancer → target.
//!
//! A load balancer's interface is an end where the connection uses its own
//! address: the client's leg to a listener and, with client IP preservation
//! off, its own leg to the target. With preservation on, it forwards the
//! client's packets to the target with their source unchanged: neither end
//! is its own. The client never sent to the target's address (its egress
//! went to the listener), the load balancer's egress lets the packets out,
//! and a target's rule that references the load balancer's group admits
//! them (AWS, "Update the security groups for your Network Load Balancer").
//! So such a leg carries the load balancer ([`Connection::balancer`]), and
//! is paired with the client's leg to a listener of the same load balancer
//! (same client address, overlapping time) into a [`BalancedPath`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::resolver::Resolver;
use crate::aggregate::Connection;
use crate::endpoint::Endpoint;
use crate::inventory::{Cidr, Inventory, NetworkInterface};

/// Connections through a network load balancer that kept the clients'
/// addresses, from one client end to one target: the clients, the load
/// balancer with the listeners they reached it on, and the target.
#[derive(Debug, Clone, Serialize)]
pub struct BalancedPath {
    pub client_end: Endpoint,
    /// The clients' addresses: the first few, and how many.
    pub clients: Vec<IpAddr>,
    pub client_count: usize,
    /// The load balancer's interface that forwarded the connections.
    pub balancer: String,
    /// `net/NAME/ID` from the interface's description, where EC2 gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balancer_name: Option<String>,
    /// The load balancer's groups at the time: empty when it has none.
    pub balancer_groups: Vec<String>,
    /// The ports of the clients' legs to the load balancer's listeners in
    /// the same spans; empty when no such leg was logged.
    pub listeners: Vec<u16>,
    pub target: IpAddr,
    pub target_end: Endpoint,
    pub port: u16,
    pub proto: u8,
    pub connections: u64,
    pub first: i64,
    pub last: i64,
}

/// A client's leg to a listener: (load balancer, listener port, first, last).
type Front<'a> = (&'a str, u16, i64, i64);

/// Client addresses kept per path.
const CLIENTS_KEPT: usize = 10;

/// A network load balancer's interface (EC2 `InterfaceType`).
pub fn is_network_load_balancer(e: &NetworkInterface) -> bool {
    e.interface_type == "network_load_balancer"
}

/// The load balancer's interface of this id, if the inventory holds one.
pub fn network_load_balancer<'i>(inv: &'i Inventory, id: &str) -> Option<&'i NetworkInterface> {
    inv.network_interfaces
        .iter()
        .find(|e| e.id == id && is_network_load_balancer(e))
}

/// `net/web/50dc6c495c0c9188` from `ELB net/web/50dc6c495c0c9188`.
pub fn balancer_name(e: &NetworkInterface) -> Option<&str> {
    e.description
        .strip_prefix("ELB ")
        .filter(|n| n.starts_with("net/"))
}

/// The interfaces of the load balancer `e` belongs to: one per subnet, all
/// described alike; `e` alone when EC2 gave no description.
fn siblings<'i>(
    inv: &'i Inventory,
    e: &'i NetworkInterface,
) -> impl Iterator<Item = &'i NetworkInterface> + 'i {
    let name = balancer_name(e);
    inv.network_interfaces
        .iter()
        .filter(move |o| o.id == e.id || (name.is_some() && balancer_name(o) == name))
}

/// The CIDRs of the subnets the load balancer of interface `id` is in:
/// where its own packets come from, for a rule it cannot be named in.
pub fn balancer_subnets(inv: &Inventory, id: &str) -> Vec<Cidr> {
    let Some(e) = network_load_balancer(inv, id) else {
        return Vec::new();
    };
    let subnets: BTreeSet<&str> = siblings(inv, e)
        .filter_map(|s| s.subnet_id.as_deref())
        .collect();
    let mut out: Vec<Cidr> = inv
        .subnets
        .iter()
        .filter(|s| subnets.contains(s.id.as_str()))
        .flat_map(|s| s.cidrs.iter().copied())
        .collect();
    out.sort_by_key(|c| c.to_string());
    out.dedup();
    out
}

/// The load balancer that forwarded a copy captured at `forwarder` over
/// `first..=last`, with its groups then; `None` for any other forwarder.
pub(super) fn balancer_at(
    r: &Resolver<'_>,
    forwarder: &str,
    first: i64,
    last: i64,
) -> Option<Endpoint> {
    r.interface(forwarder)
        .filter(|e| is_network_load_balancer(e))
        .map(|e| r.eni(e, false, first, last))
}

/// The merged connections a load balancer forwarded, per client end and
/// target, with the listeners the same clients reached that load balancer
/// on in the same span.
pub(super) fn paths(conns: &[Connection], inv: &Inventory) -> Vec<BalancedPath> {
    if conns.iter().all(|c| c.balancer.is_none()) {
        return Vec::new();
    }
    // Each load balancer interface, and the load balancer it belongs to
    // (its name; its own id without one).
    let nlbs: FxHashMap<&str, (&NetworkInterface, &str)> = inv
        .network_interfaces
        .iter()
        .filter(|e| is_network_load_balancer(e))
        .map(|e| (e.id.as_str(), (e, balancer_name(e).unwrap_or(&e.id))))
        .collect();
    // The legs to a load balancer's own address, by client and protocol.
    let mut fronts: FxHashMap<(IpAddr, u8), Vec<Front<'_>>> = FxHashMap::default();
    for c in conns {
        if let Some((_, lb)) = c.server_end.interface().and_then(|id| nlbs.get(id)) {
            fronts
                .entry((c.client, c.proto))
                .or_default()
                .push((lb, c.port, c.first, c.last));
        }
    }
    type Key<'c> = (&'c Endpoint, &'c str, &'c Endpoint, IpAddr, u16, u8);
    let mut out: BTreeMap<Key<'_>, (BalancedPath, BTreeSet<IpAddr>)> = BTreeMap::new();
    for c in conns {
        let Some(lb) = c.balancer.as_deref() else {
            continue;
        };
        let Some(&(eni, name)) = lb.interface().and_then(|id| nlbs.get(id)) else {
            continue;
        };
        let listeners = fronts
            .get(&(c.client, c.proto))
            .into_iter()
            .flatten()
            .filter(|(to, _, first, last)| *to == name && *first <= c.last && c.first <= *last)
            .map(|(_, port, _, _)| *port);
        let key = (
            &c.client_end,
            eni.id.as_str(),
            &c.server_end,
            c.server,
            c.port,
            c.proto,
        );
        let (p, clients) = out.entry(key).or_insert_with(|| {
            (
                BalancedPath {
                    client_end: c.client_end.clone(),
                    clients: Vec::new(),
                    client_count: 0,
                    balancer: eni.id.clone(),
                    balancer_name: balancer_name(eni).map(String::from),
                    balancer_groups: lb
                        .groups()
                        .map(|g| g.iter().map(|g| g.to_string()).collect())
                        .unwrap_or_default(),
                    listeners: Vec::new(),
                    target: c.server,
                    target_end: c.server_end.clone(),
                    port: c.port,
                    proto: c.proto,
                    connections: 0,
                    first: c.first,
                    last: c.last,
                },
                BTreeSet::new(),
            )
        });
        for l in listeners {
            if let Err(i) = p.listeners.binary_search(&l) {
                p.listeners.insert(i, l);
            }
        }
        clients.insert(c.client);
        p.connections = p.connections.saturating_add(c.connections);
        p.first = p.first.min(c.first);
        p.last = p.last.max(c.last);
    }
    out.into_values()
        .map(|(mut p, clients)| {
            p.client_count = clients.len();
            p.clients = clients.into_iter().take(CLIENTS_KEPT).collect();
            p
        })
        .collect()
}
