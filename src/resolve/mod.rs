//! Stage 5: resolve. Every captured copy of a connection gets its two ends:
//! an interface with its security groups, or a class of address that no
//! security-group reference can name. An address means something only in the
//! VPC that captured it and at the time it was captured, so:
//!
//! - the capturing interface is the local end only where the address is one
//!   of its own (its addresses, its delegated prefixes; on a trunk, the branch
//!   that holds it); where neither end is, it forwarded the connection (NAT
//!   gateway, load balancer, endpoint) and both ends are looked up;
//! - the other end is looked up in the capturing interface's VPC, then in the
//!   VPCs peered with it, by who held the address *when*: the logs tell which
//!   interface held it over which span (its own copies, `flow-direction`),
//!   the inventory who holds it now; an address that changed hands during the
//!   connection is ambiguous, not guessed;
//! - an interface the inventory does not hold, or a record of a VPC or account
//!   it does not cover, is never resolved against it.
//!
//! Then the copies (both interfaces, a NAT gateway's two legs) merge into one
//! connection per pair of resolved ends: two VPCs with one address plan never
//! meet in one connection. A connection a network load balancer forwarded
//! keeping the client's address carries the load balancer, and is paired with
//! the client's leg to its listener (client → load balancer → target).
//!
//! - `resolver.rs`: who held an address in a VPC at a time ([`Resolver`]);
//! - `context.rs`: where each copy was captured, and by what kind of interface;
//! - `absent.rs`: the interfaces in the logs that the inventory lacks;
//! - `merge.rs`: the copies of one connection made one;
//! - `balancer.rs`: network load balancers, and the paths through them;
//! - `classes.rs`: what an address no interface holds is.

mod absent;
mod balancer;
mod classes;
mod context;
mod merge;
mod resolver;

use std::net::IpAddr;

use serde::Serialize;

use crate::aggregate::{Connection, Evidence};
pub use crate::endpoint::Endpoint;
use crate::history::History;
use crate::id::Id;
use crate::inventory::Inventory;
use absent::absent;
pub use balancer::{
    BalancedPath, balancer_name, balancer_subnets, is_network_load_balancer, network_load_balancer,
};
use balancer::{balancer_at, paths};
pub use classes::is_private;
use context::contexts;
use merge::merge;
use resolver::{NO_HISTORY, NO_VPC};
pub use resolver::{Resolver, vpc_resolvers};

/// Why an interface in the logs is not in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AbsentWhy {
    /// Its records name an account the inventory is not of.
    OtherAccount,
    /// Its records name a VPC the inventory does not hold.
    OtherVpc,
    /// The history (`--history`) recorded its deletion.
    Deleted,
    /// In a covered VPC (or nothing says otherwise): deleted since, or newer
    /// than the inventory.
    Unknown,
}

impl AbsentWhy {
    pub fn advice(self) -> &'static str {
        match self {
            AbsentWhy::OtherAccount => {
                "Its records are of another account: read that account's inventory too; until then its traffic is not resolved."
            }
            AbsentWhy::OtherVpc => {
                "Its records are of a VPC the inventory does not hold: take the inventory in that VPC's region or account."
            }
            AbsentWhy::Deleted => {
                "Deleted, as its history recorded (--history: CloudTrail or AWS Config): where the history also holds its state before (its creation, or a state Config recorded), its traffic is attributed to the groups it had; otherwise its groups are unknown."
            }
            AbsentWhy::Unknown => {
                "Deleted during or after the window (Auto Scaling, ECS, Lambda, EKS), or created after the inventory was taken: refresh the inventory; a short-lived interface's groups are those of its launch template, task or function."
            }
        }
    }
}

/// An interface that the logs show and the inventory does not hold.
#[derive(Debug, Clone, Serialize)]
pub struct AbsentInterface {
    pub id: String,
    pub why: AbsentWhy,
    /// The VPC and account its records named, where they did.
    pub vpc: Option<String>,
    pub account: Option<String>,
    pub addresses: Vec<IpAddr>,
    pub first: i64,
    pub last: i64,
    pub connections: u64,
    /// Peers it talked to: the first few, and how many.
    pub peers: Vec<IpAddr>,
    pub peer_count: usize,
    /// When it was deleted, and the groups it had, where the history says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

/// What resolution could not attribute, and what it merged.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Attribution {
    pub absent: Vec<AbsentInterface>,
    /// Connections with an end whose owner at the time is not known.
    pub ambiguous_connections: u64,
    /// Captured copies merged into another copy of the same connection.
    pub merged_copies: u64,
    /// Copies captured by an interface in no VPC the inventory covers, whose
    /// other copy (at the covered end) carried them.
    pub uncovered_copies: u64,
    /// Connections a NAT gateway carried, attributed to the host behind it.
    pub through_nat: u64,
    /// Connections a network load balancer forwarded keeping the client's
    /// address: client → load balancer (listeners) → target.
    pub through_load_balancer: Vec<BalancedPath>,
    /// Per account the records name (`account-id`): how much it logged, and
    /// whether the inventory covers it (a record of an account it does not
    /// cover is never resolved against it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountSeen>,
}

/// What the logs hold of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSeen {
    pub account: String,
    pub covered: bool,
    /// Records (one per line), over every captured copy.
    pub records: u64,
    /// Captured copies of connections.
    pub copies: u64,
}

/// The accounts of the records, with what the inventory covers: empty for
/// one account whose records are all covered.
fn accounts_seen(rows: &[Connection], inventory: &Inventory) -> Vec<AccountSeen> {
    let mut by: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for c in rows {
        if let Some(a) = c.account.as_deref() {
            let e = by.entry(a).or_default();
            e.0 = e.0.saturating_add(c.records);
            e.1 += 1;
        }
    }
    let seen: Vec<AccountSeen> = by
        .into_iter()
        .map(|(a, (records, copies))| AccountSeen {
            account: a.to_string(),
            covered: inventory.covers_account(a),
            records,
            copies,
        })
        .collect();
    // Said only where it tells something: an estate, or an account left out.
    if inventory.accounts.len() > 1 || seen.iter().any(|s| !s.covered) {
        seen
    } else {
        Vec::new()
    }
}

/// Resolves every captured copy and merges the copies of one connection.
/// `evidence.connections` is replaced by the merged, resolved connections.
pub fn attribute(evidence: &mut Evidence, inventory: &Inventory) -> Attribution {
    attribute_with(
        evidence,
        inventory,
        &NO_HISTORY,
        crate::parallel::workers(None),
    )
}

/// [`attribute`] knowing the interfaces' history (`--history`), resolving
/// on `threads` threads (the copies are resolved independently; the result
/// does not depend on the number).
pub fn attribute_with(
    evidence: &mut Evidence,
    inventory: &Inventory,
    history: &History,
    threads: usize,
) -> Attribution {
    let rows = std::mem::take(&mut evidence.connections);
    let mut attribution = Attribution {
        accounts: accounts_seen(&rows, inventory),
        ..Attribution::default()
    };
    let resolved = {
        let mut r = Resolver::with_history(inventory, evidence, history);
        let contexts = contexts(&r, &rows);
        // Each copy's own end teaches who held the address then.
        for (c, ctx) in rows.iter().zip(&contexts) {
            if let (Some(vpc), Some(eni), Some(local)) = (&ctx.vpc, ctx.interface(c), ctx.local) {
                r.hold(vpc, local, eni, c.first, c.last);
            }
        }
        let mut out = rows;
        let r = &r;
        crate::parallel::each_mut(threads, &mut out, &contexts, |c, ctx| {
            let (first, last) = (c.first, c.last);
            let vpc = ctx.vpc.as_deref();
            let at = ctx.interface(c);
            let end = |ip: IpAddr| -> Endpoint {
                if ctx.local == Some(ip)
                    && let Some(e) = at
                {
                    return match r.by_id.get(e) {
                        Some(eni) => r
                            .own(eni, ip)
                            .map(|o| r.eni(o, false, first, last))
                            .unwrap_or_else(|| r.by_log(e, first, last)),
                        None => r.by_log(e, first, last),
                    };
                }
                if ctx.global {
                    r.resolve(ip)
                } else {
                    r.lookup(vpc, ip, first, last)
                }
            };
            let (client_end, server_end) = (end(c.client), end(c.server));
            let via = at
                .filter(|_| ctx.forwarding)
                .map(|e| (Id::from(e), balancer_at(r, e, first, last)));
            // Internet to internet through an interface the inventory
            // knows: its rules let the packets in and on.
            if let (Endpoint::Internet, Endpoint::Internet, Some(e)) =
                (&client_end, &server_end, at.filter(|_| ctx.forwarding))
            {
                c.relay = Some(Box::new(r.by_log(e, first, last)));
            }
            c.client_end = client_end;
            c.server_end = server_end;
            if let Some(v) = vpc.filter(|v| *v != NO_VPC)
                && c.vpc.as_deref() != Some(v)
            {
                c.vpc = Some(v.into());
            }
            if let Some((e, balancer)) = via {
                c.via = Some(e);
                c.balancer = balancer.map(Box::new);
            }
        });
        attribution.absent = absent(&out, &contexts, history);
        // Copies captured outside every covered VPC, for the merge.
        let uncovered: Vec<bool> = contexts
            .iter()
            .map(|ctx| ctx.vpc.is_none() && ctx.captured)
            .collect();
        (out, uncovered)
    };
    // The contexts are freed: their pages go back before the merge's index
    // takes its own (the copies and the index are the run's peak).
    crate::memory::give_back();
    evidence.connections = merge(resolved.0, &resolved.1, inventory, &mut attribution);
    attribution.through_load_balancer = paths(&evidence.connections, inventory);
    attribution.ambiguous_connections = evidence
        .connections
        .iter()
        .filter(|c| !c.client_end.is_definite() || !c.server_end.is_definite())
        .map(|c| c.connections)
        .sum();
    attribution
}

#[cfg(test)]
mod tests;
