//! Who held an address in a VPC at a time: the logs' spans, then the
//! inventory, then peered VPCs; else a class of address.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use super::classes::forwards;
use super::classes::service_name;
use super::*;
use crate::aggregate::Evidence;
use crate::endpoint::TgwEnd;
use crate::history::History;
use crate::id::{Groups, Id};
use crate::inventory::{Cidr, Inventory, NetworkInterface};

/// Address lookups over one inventory and one window's evidence.
pub struct Resolver<'a> {
    pub inventory: &'a Inventory,
    /// The inventory's interfaces by id, built once per run: resolving a
    /// copy looks interfaces up by id, never by scanning the inventory.
    pub(super) by_id: FxHashMap<&'a str, &'a NetworkInterface>,
    /// Each interface's id and groups as the ends share them: one copy per
    /// interface, however many connections it has.
    shared: FxHashMap<&'a str, (Id, Groups)>,
    /// Trunk interface id → its branches, in inventory order.
    branches: FxHashMap<&'a str, Vec<&'a NetworkInterface>>,
    /// (VPC, address) → the inventory's interfaces that hold it now.
    owners: FxHashMap<(&'a str, IpAddr), Vec<&'a NetworkInterface>>,
    /// Address → the VPCs in which an interface of the inventory holds it.
    owner_vpcs: FxHashMap<IpAddr, Vec<&'a str>>,
    /// Delegated prefixes: (VPC, block, interface).
    prefixes: Vec<(&'a str, Cidr, &'a NetworkInterface)>,
    /// (VPC, address) → (interface, first, last) from the logs.
    pub(super) held: FxHashMap<IpAddr, Vec<(String, Span)>>,
    /// VPC → the VPCs peered with it, and those on a transit gateway with it.
    pub(super) peers: BTreeMap<&'a str, Vec<&'a str>>,
    tgw_neighbours: BTreeMap<&'a str, Vec<&'a str>>,
    services: &'a BTreeMap<IpAddr, String>,
    /// VPC resolver addresses (the VPC's base + 2).
    resolvers: Vec<IpAddr>,
    /// The VPC of an interface the inventory lists without one: the
    /// inventory's only VPC, else none.
    default_vpc: &'a str,
    /// What the history recorded of interfaces (empty without `--history`).
    pub(super) history: &'a History,
}

/// An interface held an address from the first to the last time.
type Span = (String, i64, i64);

/// A connection's addresses, service port and protocol.
pub(super) type Flow = (IpAddr, IpAddr, u16, u8);

/// The history of a run without `--history`.
pub(super) static NO_HISTORY: History = History::EMPTY;

/// The VPC of an interface the inventory lists without one.
pub(super) const NO_VPC: &str = "";

impl<'a> Resolver<'a> {
    pub fn new(inventory: &'a Inventory, evidence: &'a Evidence) -> Self {
        Self::with_history(inventory, evidence, &NO_HISTORY)
    }

    /// A resolver that also knows the interfaces' history.
    pub fn with_history(
        inventory: &'a Inventory,
        evidence: &'a Evidence,
        history: &'a History,
    ) -> Self {
        let mut by_id = FxHashMap::default();
        let mut branches: FxHashMap<&str, Vec<&NetworkInterface>> = FxHashMap::default();
        let mut owners: FxHashMap<(&str, IpAddr), Vec<&NetworkInterface>> = FxHashMap::default();
        let mut owner_vpcs: FxHashMap<IpAddr, Vec<&str>> = FxHashMap::default();
        let mut prefixes = Vec::new();
        let default_vpc = match inventory.vpcs.as_slice() {
            [one] => one.id.as_str(),
            _ => NO_VPC,
        };
        let mut shared = FxHashMap::default();
        for eni in &inventory.network_interfaces {
            by_id.insert(eni.id.as_str(), eni);
            shared.insert(
                eni.id.as_str(),
                (
                    Id::from(&eni.id),
                    Groups::from(eni.security_groups.as_slice()),
                ),
            );
            if let Some(trunk) = eni.trunk_interface_id.as_deref() {
                branches.entry(trunk).or_default().push(eni);
            }
            let vpc = eni.vpc_id.as_deref().unwrap_or(default_vpc);
            for a in &eni.addresses {
                owners.entry((vpc, *a)).or_default().push(eni);
                owner_vpcs.entry(*a).or_default().push(vpc);
            }
            for p in &eni.prefixes {
                prefixes.push((vpc, *p, eni));
            }
        }
        let resolvers = vpc_resolvers(inventory);
        let mut r = Resolver {
            inventory,
            by_id,
            shared,
            branches,
            owners,
            owner_vpcs,
            prefixes,
            held: FxHashMap::default(),
            peers: inventory
                .vpcs
                .iter()
                .map(|v| (v.id.as_str(), inventory.peers_of(&v.id)))
                .collect(),
            tgw_neighbours: inventory
                .vpcs
                .iter()
                .map(|v| (v.id.as_str(), inventory.tgw_neighbours_of(&v.id)))
                .collect(),
            services: &evidence.aws_services,
            resolvers,
            default_vpc,
            history,
        };
        for h in &evidence.held {
            // `flow-direction` names the local address of an interface that
            // owns one end; at a forwarding interface (a NAT gateway's
            // inside leg) it names someone else's, which the inventory tells.
            let forwarded = r
                .interface(&h.interface_id)
                .is_some_and(|e| forwards(e) && r.own(e, h.addr).is_none());
            if !forwarded && let Some(vpc) = r.vpc_of_interface(&h.interface_id, None) {
                r.hold(&vpc, h.addr, &h.interface_id, h.first, h.last);
            }
        }
        r
    }

    /// The VPC an interface of the inventory is in.
    pub(super) fn vpc_of(&self, e: &'a NetworkInterface) -> &'a str {
        e.vpc_id.as_deref().unwrap_or(self.default_vpc)
    }

    pub fn interface(&self, id: &str) -> Option<&'a NetworkInterface> {
        self.by_id.get(id).copied()
    }

    /// The Amazon-provided DNS resolver of a VPC, which flow logs never record.
    pub fn is_vpc_resolver(&self, ip: &IpAddr) -> bool {
        self.resolvers.contains(ip)
    }

    pub(super) fn hold(&mut self, vpc: &str, addr: IpAddr, eni: &str, first: i64, last: i64) {
        let spans = self.held.entry(addr).or_default();
        match spans
            .iter_mut()
            .find(|(v, (e, _, _))| *v == vpc && e == eni)
        {
            Some((_, s)) => {
                s.1 = s.1.min(first);
                s.2 = s.2.max(last);
            }
            None => spans.push((vpc.to_string(), (eni.to_string(), first, last))),
        }
    }

    /// The spans of the interfaces the logs show holding `ip` in `vpc`.
    fn spans<'s>(&'s self, vpc: &'s str, ip: IpAddr) -> impl Iterator<Item = &'s Span> + 's {
        self.held
            .get(&ip)
            .into_iter()
            .flatten()
            .filter(move |(v, _)| v == vpc)
            .map(|(_, s)| s)
    }

    /// The VPC an interface's records are resolved in: the inventory's, else
    /// the one its records logged when the inventory holds that VPC.
    pub(super) fn vpc_of_interface(&self, id: &str, logged: Option<&str>) -> Option<String> {
        match self.by_id.get(id) {
            Some(e) => Some(self.vpc_of(e).to_string()),
            None => logged
                .filter(|v| self.inventory.vpcs.iter().any(|x| x.id == *v))
                .map(String::from),
        }
    }

    /// Whether an address is the interface's own: one of its addresses, in
    /// one of its delegated prefixes, or one of its branches' (a trunk).
    /// Returns the interface that holds it (the branch on a trunk).
    pub(super) fn own(
        &self,
        eni: &'a NetworkInterface,
        ip: IpAddr,
    ) -> Option<&'a NetworkInterface> {
        if eni.addresses.contains(&ip) || eni.prefixes.iter().any(|p| p.contains(&ip)) {
            return Some(eni);
        }
        self.branches
            .get(eni.id.as_str())?
            .iter()
            .find(|b| b.addresses.contains(&ip))
            .copied()
    }

    /// An interface of the inventory with the groups it had over
    /// `first..=last` (today's, unless the history says they changed).
    pub(super) fn eni(
        &self,
        e: &NetworkInterface,
        learned: bool,
        first: i64,
        last: i64,
    ) -> Endpoint {
        let (id, now) = match self.shared.get(e.id.as_str()) {
            Some((id, groups)) => (id.clone(), groups.clone()),
            None => (Id::from(&e.id), Groups::from(e.security_groups.as_slice())),
        };
        match self
            .history
            .shared_groups_at(&e.id, first, last, Some(&now))
        {
            Some(groups) => Endpoint::Eni {
                id,
                groups,
                learned,
            },
            None => Endpoint::Regrouped { id },
        }
    }

    /// The interface of an id seen in the logs over `first..=last`: the
    /// inventory's, else the history's (a deleted interface whose creation
    /// it recorded), else absent.
    pub fn by_log(&self, id: &str, first: i64, last: i64) -> Endpoint {
        match self.by_id.get(id) {
            Some(e) => self.eni(e, true, first, last),
            None => match self.history.shared_groups_at(id, first, last, None) {
                Some(groups) if self.history.created(id).is_some() => Endpoint::Eni {
                    id: id.into(),
                    groups,
                    learned: true,
                },
                _ => Endpoint::Absent { id: id.into() },
            },
        }
    }

    /// Who held `ip` in `vpc` over `first..=last`: `None` when nobody the
    /// logs or the inventory know of did.
    fn holder(&self, vpc: &str, ip: IpAddr, first: i64, last: i64) -> Option<Endpoint> {
        let during: BTreeSet<&str> = self
            .spans(vpc, ip)
            .filter(|(_, f, l)| *f <= last && first <= *l)
            .map(|(e, _, _)| e.as_str())
            .collect();
        match during.len() {
            0 => {}
            1 => {
                let id = during.into_iter().next().expect("one");
                return Some(match self.by_id.get(id) {
                    // An inventory address: as the inventory says; else the logs taught it.
                    Some(e) => self.eni(e, !e.addresses.contains(&ip), first, last),
                    None => self.by_log(id, first, last),
                });
            }
            _ => {
                return Some(Endpoint::Ambiguous { vpc: vpc.into() });
            }
        }
        let mut now: Vec<&NetworkInterface> =
            self.owners.get(&(vpc, ip)).cloned().unwrap_or_default();
        if now.is_empty() {
            now = self
                .prefixes
                .iter()
                .filter(|(v, c, _)| *v == vpc && c.contains(&ip))
                .map(|(_, _, e)| *e)
                .collect();
        }
        // A branch holds its address, not its trunk.
        if now.len() > 1 {
            now.retain(|e| e.interface_type != "trunk");
        }
        match now.as_slice() {
            [] => None,
            [e] => {
                // The logs show who held the address at other times (another
                // interface, or today's owner whose own copies miss this
                // connection): who had it then is not known.
                Some(if self.spans(vpc, ip).next().is_some() {
                    Endpoint::Ambiguous { vpc: vpc.into() }
                } else {
                    self.eni(e, false, first, last)
                })
            }
            _ => Some(Endpoint::Ambiguous { vpc: vpc.into() }),
        }
    }

    /// The far end of a copy captured in `vpc` (`None`: a VPC the inventory
    /// does not cover, so only classes of address apply).
    pub fn lookup(&self, vpc: Option<&str>, ip: IpAddr, first: i64, last: i64) -> Endpoint {
        if let Some(vpc) = vpc {
            if let Some(e) = self.holder(vpc, ip, first, last) {
                return e;
            }
            for peer in self.peers.get(vpc).map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(e @ Endpoint::Eni { .. }) = self.holder(peer, ip, first, last) {
                    return e;
                }
            }
            for other in self
                .tgw_neighbours
                .get(vpc)
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                if let Some(Endpoint::Eni { id, groups, .. }) = self.holder(other, ip, first, last)
                {
                    return Endpoint::ThroughTgw(Box::new(TgwEnd {
                        id,
                        vpc: (*other).into(),
                        groups,
                    }));
                }
            }
            if let Some(v) = self
                .inventory
                .vpcs
                .iter()
                .find(|v| v.id == vpc && v.cidrs.iter().any(|c| c.contains(&ip)))
            {
                return Endpoint::VpcUnknown {
                    vpc: v.id.as_str().into(),
                };
            }
        }
        self.classify(ip)
    }

    /// An address no interface of the capturing context holds.
    fn classify(&self, ip: IpAddr) -> Endpoint {
        if let Some(pl) = self
            .inventory
            .prefix_lists
            .iter()
            .find(|p| p.cidrs.iter().any(|c| c.contains(&ip)))
        {
            return Endpoint::AwsService {
                service: service_name(&pl.name).into(),
            };
        }
        if let Some(svc) = self.services.get(&ip) {
            return Endpoint::AwsService {
                service: svc.as_str().into(),
            };
        }
        // Another VPC's address (not peered with the capturing one) is
        // reached through a transit gateway or VPN: a private network here.
        if is_private(&ip) {
            Endpoint::Private
        } else {
            Endpoint::Internet
        }
    }

    /// The address resolved without a capturing context: for rejected
    /// traffic and other summaries that carry no interface. Unique owners
    /// only; an address of several VPCs is ambiguous.
    pub fn resolve(&self, ip: IpAddr) -> Endpoint {
        let vpcs: BTreeSet<&str> = self
            .owner_vpcs
            .get(&ip)
            .into_iter()
            .flatten()
            .copied()
            .chain(
                self.prefixes
                    .iter()
                    .filter(|(_, c, _)| c.contains(&ip))
                    .map(|(v, _, _)| *v),
            )
            .collect();
        match vpcs.len() {
            0 => match self.only_vpc_with(&ip) {
                Some(v) => self.lookup(Some(v), ip, i64::MIN, i64::MAX),
                None => self.classify(ip),
            },
            1 => self.lookup(vpcs.first().copied(), ip, i64::MIN, i64::MAX),
            _ => Endpoint::Ambiguous {
                vpc: vpcs.into_iter().collect::<Vec<_>>().join(", ").into(),
            },
        }
    }
}

impl<'a> Resolver<'a> {
    /// The one VPC of the inventory whose blocks hold `ip`, if exactly one does.
    pub(super) fn only_vpc_with(&self, ip: &IpAddr) -> Option<&'a str> {
        let mut vs = self
            .inventory
            .vpcs
            .iter()
            .filter(|v| v.cidrs.iter().any(|c| c.contains(ip)));
        match (vs.next(), vs.next()) {
            (Some(v), None) => Some(v.id.as_str()),
            _ => None,
        }
    }

    /// (interface, address) pairs that `flow-direction` taught.
    pub(super) fn learned_pairs(&self) -> Vec<(&str, IpAddr)> {
        self.held
            .iter()
            .flat_map(|(a, spans)| spans.iter().map(move |(_, (e, _, _))| (e.as_str(), *a)))
            .collect()
    }
}

/// The VPC resolver's addresses: the base of each VPC's IPv4 blocks plus
/// two, and the link-local Route 53 Resolver addresses.
pub fn vpc_resolvers(inventory: &Inventory) -> Vec<IpAddr> {
    inventory
        .vpcs
        .iter()
        .flat_map(|v| v.cidrs.iter())
        .filter_map(|c| match c.addr {
            IpAddr::V4(a) => Some(IpAddr::V4((u32::from(a).wrapping_add(2)).into())),
            IpAddr::V6(_) => None,
        })
        .chain([
            "169.254.169.253".parse().expect("literal"),
            "fd00:ec2::253".parse().expect("literal"),
        ])
        .collect()
}
