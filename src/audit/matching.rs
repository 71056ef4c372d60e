//! Which of today's rules allow a connection: the client's egress and the
//! server's ingress, for each end whose groups are known.

use std::borrow::Cow;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use crate::aggregate::Connection;
use crate::audit::Direction;
use crate::id::Id;
use crate::inventory::{Inventory, SecurityGroup, SgRule, protocol_number};
use crate::resolve::Endpoint;

/// An inventory with its groups by id, for the loops that look up the
/// groups of every connection's ends ([`Inventory::group`] reads the list).
pub(super) struct Groups<'i> {
    pub inv: &'i Inventory,
    by_id: FxHashMap<&'i str, Group<'i>>,
}

/// A group with its two rule lists read once.
struct Group<'i> {
    sg: &'i SecurityGroup,
    ingress: Rules<'i>,
    egress: Rules<'i>,
}

/// One of a group's rule lists, read once for every connection side the
/// group governs: each rule's protocol (reading its name each time was a
/// fifth of the matching), and the rules by the group they reference, so
/// that a side is matched against the rules that name one of the other
/// end's groups (a group can hold hundreds, one per client group), not
/// against every rule of the list.
struct Rules<'i> {
    list: &'i [SgRule],
    protocols: Vec<Option<u8>>,
    /// Rules whose peer is a group (and no CIDR), by that group.
    by_group: FxHashMap<&'i str, Vec<usize>>,
    /// The others: a CIDR, a prefix list, or no peer.
    other: Vec<usize>,
}

impl<'i> Rules<'i> {
    fn of(list: &'i [SgRule]) -> Rules<'i> {
        let mut by_group: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut other = Vec::new();
        for (i, r) in list.iter().enumerate() {
            match (&r.cidr, &r.referenced_group_id) {
                (None, Some(g)) => by_group.entry(g.as_str()).or_default().push(i),
                _ => other.push(i),
            }
        }
        Rules {
            list,
            protocols: list.iter().map(|r| protocol_number(&r.protocol)).collect(),
            by_group,
            other,
        }
    }

    /// The rules that may allow the other end of `side`: those without a
    /// group peer, and those that name one of its groups (each rule once).
    fn for_side<'a>(&'a self, side: &'a Side<'_>) -> impl Iterator<Item = usize> + 'a {
        let others = &side.other_groups;
        let named = others
            .iter()
            .enumerate()
            .filter(move |(k, o)| !others[..*k].contains(o))
            .filter_map(move |(_, o)| self.by_group.get(o.as_ref()))
            .flatten();
        self.other.iter().chain(named).copied()
    }
}

impl<'i> Groups<'i> {
    pub fn new(inv: &'i Inventory) -> Groups<'i> {
        let mut by_id = FxHashMap::default();
        for g in &inv.security_groups {
            // The first of a repeated id, as `Inventory::group` finds it.
            by_id.entry(g.id.as_str()).or_insert_with(|| Group {
                sg: g,
                ingress: Rules::of(&g.ingress),
                egress: Rules::of(&g.egress),
            });
        }
        Groups { inv, by_id }
    }
}

/// The rules a change creates beside the module's entries (its Terraform
/// folder's rule resources: `egress.tf`) as an inventory of their own: per
/// group only those rules, with today's prefix lists, so that they are
/// matched as today's rules are ([`Groups::new`] over it).
pub(super) fn added_rules(groups: &[SecurityGroup], today: &Inventory) -> Inventory {
    Inventory {
        security_groups: groups.to_vec(),
        prefix_lists: if groups.is_empty() {
            Vec::new()
        } else {
            today.prefix_lists.clone()
        },
        ..Inventory::default()
    }
}

/// The groups of a resolved end, none when they are not known.
pub(super) fn groups(e: &Endpoint) -> &[Id] {
    e.groups().unwrap_or(&[])
}

/// Which side of a connection the rules of one interface govern.
pub(super) struct Side<'e> {
    pub groups: &'e [Id],
    pub direction: Direction,
    pub other_ip: IpAddr,
    /// The groups a rule of this side may reference to allow the other end.
    pub other_groups: Cow<'e, [Id]>,
}

/// The rule sets that govern a connection: the client's egress and the
/// server's ingress, for each end that carries groups; with each, the
/// address of the other end. Through a load balancer that kept the client's
/// address, the load balancer's egress governs instead of the client's, and
/// the server admits the client by its address or group, or the load
/// balancer by its group. Relayed between two internet addresses, the
/// relaying interface's ingress admits the client and its egress sends on
/// to the server.
pub(super) fn sides(c: &Connection) -> Vec<(Side<'_>, IpAddr)> {
    let (ce, se) = (&c.client_end, &c.server_end);
    let sender = c.balancer.as_deref().unwrap_or(ce);
    let mut v = Vec::new();
    if let Some(relay) = c.relay.as_deref().filter(|r| r.groups().is_some()) {
        for (direction, other_ip) in [
            (Direction::Ingress, c.client),
            (Direction::Egress, c.server),
        ] {
            v.push((
                Side {
                    groups: groups(relay),
                    direction,
                    other_ip,
                    other_groups: Cow::Borrowed(&[]),
                },
                other_ip,
            ));
        }
    }
    if sender.groups().is_some() {
        v.push((
            Side {
                groups: groups(sender),
                direction: Direction::Egress,
                other_ip: c.server,
                other_groups: Cow::Borrowed(groups(se)),
            },
            c.server,
        ));
    }
    if se.groups().is_some() {
        let admitted = match c.balancer.as_deref() {
            Some(b) => Cow::Owned([groups(ce), groups(b)].concat()),
            None => Cow::Borrowed(groups(ce)),
        };
        v.push((
            Side {
                groups: groups(se),
                direction: Direction::Ingress,
                other_ip: c.client,
                other_groups: admitted,
            },
            c.client,
        ));
    }
    v
}

/// Today's rules of one side's groups that allow a connection: (group, index
/// in the group's ingress or egress list, rule). Each such rule once, in no
/// set order (every caller sums or tests them).
pub(super) fn matching_rules<'i: 's, 's>(
    groups: &'s Groups<'i>,
    side: &'s Side<'_>,
    c: &'s Connection,
) -> impl Iterator<Item = (&'i str, usize, &'i SgRule)> + 's {
    let inv = groups.inv;
    side.groups
        .iter()
        .filter_map(|g| groups.by_id.get(g.as_ref()))
        .flat_map(move |g| {
            let rules = match side.direction {
                Direction::Ingress => &g.ingress,
                Direction::Egress => &g.egress,
            };
            rules
                .for_side(side)
                .filter(move |&i| {
                    let r = &rules.list[i];
                    r.covers_protocol(rules.protocols[i], c.proto, c.port)
                        && peer_matches(r, inv, &side.other_ip, &side.other_groups)
                })
                .map(move |i| (g.sg.id.as_str(), i, &rules.list[i]))
        })
}

/// Whether the rule's peer is the other end of a connection.
fn peer_matches(rule: &SgRule, inv: &Inventory, other_ip: &IpAddr, other_groups: &[Id]) -> bool {
    if let Some(c) = rule.cidr {
        return c.contains(other_ip);
    }
    if let Some(g) = &rule.referenced_group_id {
        return other_groups.iter().any(|o| o == g);
    }
    if let Some(p) = &rule.prefix_list_id {
        return inv
            .prefix_lists
            .iter()
            .any(|pl| &pl.id == p && pl.cidrs.iter().any(|c| c.contains(other_ip)));
    }
    false
}
