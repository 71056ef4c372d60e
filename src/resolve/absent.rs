//! The interfaces in the logs that the inventory lacks.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::classes::is_private;
use super::context::Context;
use super::resolver::NO_VPC;
use super::*;
use crate::aggregate::Connection;
use crate::history::History;

/// Interfaces in the logs that the inventory lacks: as capturing interfaces
/// and as ends that the logs tied to an address.
pub(super) fn absent(
    rows: &[Connection],
    contexts: &[Context],
    history: &History,
) -> Vec<AbsentInterface> {
    let mut out: BTreeMap<String, AbsentInterface> = BTreeMap::new();
    let mut peers: BTreeMap<String, BTreeSet<IpAddr>> = BTreeMap::new();
    for (c, ctx) in rows.iter().zip(contexts) {
        let mut note = |id: &str, why: AbsentWhy, addr: Option<IpAddr>, peer: Option<IpAddr>| {
            let a = out
                .entry(id.to_string())
                .or_insert_with(|| AbsentInterface {
                    id: id.to_string(),
                    why,
                    vpc: c.vpc.as_deref().filter(|v| *v != NO_VPC).map(String::from),
                    account: c.account.as_deref().map(String::from),
                    addresses: Vec::new(),
                    first: c.first,
                    last: c.last,
                    connections: 0,
                    peers: Vec::new(),
                    peer_count: 0,
                    deleted_at: None,
                    groups: Vec::new(),
                });
            a.why = a.why.min(why);
            a.first = a.first.min(c.first);
            a.last = a.last.max(c.last);
            a.connections = a.connections.saturating_add(c.connections);
            if let Some(addr) = addr
                && !a.addresses.contains(&addr)
            {
                a.addresses.push(addr);
            }
            let p = peers.entry(id.to_string()).or_default();
            p.extend(peer);
        };
        if let (Some(e), Some(why)) = (ctx.interface(c), ctx.why) {
            let peer = match ctx.local {
                Some(l) if l == c.client => Some(c.server),
                Some(_) => Some(c.client),
                // Its own address is not known: a VPC's interface logs its
                // private address, so where one end alone is private the
                // other is the peer; else neither end is named.
                None => match (is_private(&c.client), is_private(&c.server)) {
                    (true, false) => Some(c.server),
                    (false, true) => Some(c.client),
                    _ => None,
                },
            };
            note(e, why, ctx.local, peer);
        }
        for (end, ip, other) in [
            (&c.client_end, c.client, c.server),
            (&c.server_end, c.server, c.client),
        ] {
            // An end the inventory lacks: absent, or known from the history.
            let historic = matches!(end, Endpoint::Eni { .. })
                && end
                    .interface()
                    .is_some_and(|id| history.deleted(id).is_some());
            if (matches!(end, Endpoint::Absent { .. }) || historic)
                && let Some(id) = end.interface()
                && ctx.interface(c) != Some(id)
            {
                let why = if history.deleted(id).is_some() {
                    AbsentWhy::Deleted
                } else {
                    AbsentWhy::Unknown
                };
                note(id, why, Some(ip), Some(other));
            }
        }
    }
    out.into_values()
        .map(|mut a| {
            let p = peers.remove(&a.id).unwrap_or_default();
            a.peer_count = p.len();
            a.peers = p.into_iter().take(5).collect();
            a.addresses.sort();
            a.deleted_at = history.deleted(&a.id);
            a.groups = history
                .groups_at(&a.id, a.first, a.first, None)
                .filter(|_| history.created(&a.id).is_some())
                .unwrap_or_default();
            a
        })
        .collect()
}
