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
//! meet in one connection.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::aggregate::{Connection, Evidence};
pub use crate::endpoint::Endpoint;
use crate::history::History;
use crate::inventory::{Cidr, Inventory, NetworkInterface};

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
                "Deleted, as CloudTrail recorded: where the history also holds its creation, its traffic is attributed to the groups it had; otherwise its groups are unknown."
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
}

/// Address lookups over one inventory and one window's evidence.
pub struct Resolver<'a> {
    pub inventory: &'a Inventory,
    by_id: BTreeMap<&'a str, &'a NetworkInterface>,
    /// (VPC, address) → the inventory's interfaces that hold it now.
    owners: BTreeMap<(&'a str, IpAddr), Vec<&'a NetworkInterface>>,
    /// Delegated prefixes: (VPC, block, interface).
    prefixes: Vec<(&'a str, Cidr, &'a NetworkInterface)>,
    /// (VPC, address) → (interface, first, last) from the logs.
    held: FxHashMap<IpAddr, Vec<(String, Span)>>,
    /// VPC → the VPCs peered with it, and those on a transit gateway with it.
    peers: BTreeMap<&'a str, Vec<&'a str>>,
    tgw_neighbours: BTreeMap<&'a str, Vec<&'a str>>,
    services: &'a BTreeMap<IpAddr, String>,
    /// VPC resolver addresses (the VPC's base + 2).
    resolvers: Vec<IpAddr>,
    /// The VPC of an interface the inventory lists without one: the
    /// inventory's only VPC, else none.
    default_vpc: &'a str,
    /// What CloudTrail recorded of interfaces (empty without `--history`).
    history: &'a History,
}

/// An interface held an address from the first to the last time.
type Span = (String, i64, i64);

/// A connection's addresses, service port and protocol.
type Flow = (IpAddr, IpAddr, u16, u8);

/// The history of a run without `--history`.
static NO_HISTORY: History = History::EMPTY;

/// The VPC of an interface the inventory lists without one.
const NO_VPC: &str = "";

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
        let mut by_id = BTreeMap::new();
        let mut owners: BTreeMap<(&str, IpAddr), Vec<&NetworkInterface>> = BTreeMap::new();
        let mut prefixes = Vec::new();
        let default_vpc = match inventory.vpcs.as_slice() {
            [one] => one.id.as_str(),
            _ => NO_VPC,
        };
        for eni in &inventory.network_interfaces {
            by_id.insert(eni.id.as_str(), eni);
            let vpc = eni.vpc_id.as_deref().unwrap_or(default_vpc);
            for a in &eni.addresses {
                owners.entry((vpc, *a)).or_default().push(eni);
            }
            for p in &eni.prefixes {
                prefixes.push((vpc, *p, eni));
            }
        }
        let resolvers = inventory
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
            .collect();
        let mut r = Resolver {
            inventory,
            by_id,
            owners,
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
                r.hold(vpc, h.addr, &h.interface_id, h.first, h.last);
            }
        }
        r
    }

    /// The VPC an interface of the inventory is in.
    fn vpc_of(&self, e: &'a NetworkInterface) -> &'a str {
        e.vpc_id.as_deref().unwrap_or(self.default_vpc)
    }

    pub fn interface(&self, id: &str) -> Option<&'a NetworkInterface> {
        self.by_id.get(id).copied()
    }

    /// The Amazon-provided DNS resolver of a VPC, which flow logs never record.
    pub fn is_vpc_resolver(&self, ip: &IpAddr) -> bool {
        self.resolvers.contains(ip)
    }

    fn hold(&mut self, vpc: String, addr: IpAddr, eni: &str, first: i64, last: i64) {
        let spans = self.held.entry(addr).or_default();
        match spans
            .iter_mut()
            .find(|(v, (e, _, _))| *v == vpc && e == eni)
        {
            Some((_, s)) => {
                s.1 = s.1.min(first);
                s.2 = s.2.max(last);
            }
            None => spans.push((vpc, (eni.to_string(), first, last))),
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
    fn vpc_of_interface(&self, id: &str, logged: Option<&str>) -> Option<String> {
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
    fn own(&self, eni: &'a NetworkInterface, ip: IpAddr) -> Option<&'a NetworkInterface> {
        if eni.addresses.contains(&ip) || eni.prefixes.iter().any(|p| p.contains(&ip)) {
            return Some(eni);
        }
        self.inventory.network_interfaces.iter().find(|b| {
            b.trunk_interface_id.as_deref() == Some(eni.id.as_str()) && b.addresses.contains(&ip)
        })
    }

    /// An interface of the inventory with the groups it had over
    /// `first..=last` (today's, unless the history says they changed).
    fn eni(&self, e: &NetworkInterface, learned: bool, first: i64, last: i64) -> Endpoint {
        match self
            .history
            .groups_at(&e.id, first, last, Some(&e.security_groups))
        {
            Some(groups) => Endpoint::Eni {
                id: e.id.clone(),
                groups,
                learned,
            },
            None => Endpoint::Regrouped { id: e.id.clone() },
        }
    }

    /// The interface of an id seen in the logs over `first..=last`: the
    /// inventory's, else the history's (a deleted interface whose creation
    /// it recorded), else absent.
    fn by_log(&self, id: &str, first: i64, last: i64) -> Endpoint {
        match self.by_id.get(id) {
            Some(e) => self.eni(e, true, first, last),
            None => match self.history.groups_at(id, first, last, None) {
                Some(groups) if self.history.created(id).is_some() => Endpoint::Eni {
                    id: id.to_string(),
                    groups,
                    learned: true,
                },
                _ => Endpoint::Absent { id: id.to_string() },
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
                return Some(Endpoint::Ambiguous {
                    vpc: vpc.to_string(),
                });
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
                    Endpoint::Ambiguous {
                        vpc: vpc.to_string(),
                    }
                } else {
                    self.eni(e, false, first, last)
                })
            }
            _ => Some(Endpoint::Ambiguous {
                vpc: vpc.to_string(),
            }),
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
                    return Endpoint::ThroughTgw {
                        id,
                        vpc: other.to_string(),
                        groups,
                    };
                }
            }
            if let Some(v) = self
                .inventory
                .vpcs
                .iter()
                .find(|v| v.id == vpc && v.cidrs.iter().any(|c| c.contains(&ip)))
            {
                return Endpoint::VpcUnknown { vpc: v.id.clone() };
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
                service: service_name(&pl.name),
            };
        }
        if let Some(svc) = self.services.get(&ip) {
            return Endpoint::AwsService {
                service: svc.clone(),
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
            .owners
            .keys()
            .filter(|(_, a)| *a == ip)
            .map(|(v, _)| *v)
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
                vpc: vpcs.into_iter().collect::<Vec<_>>().join(", "),
            },
        }
    }
}

/// Resolves every captured copy and merges the copies of one connection.
/// `evidence.connections` is replaced by the merged, resolved connections.
pub fn attribute(evidence: &mut Evidence, inventory: &Inventory) -> Attribution {
    attribute_with(evidence, inventory, &NO_HISTORY)
}

/// [`attribute`] knowing the interfaces' history (`--history`).
pub fn attribute_with(
    evidence: &mut Evidence,
    inventory: &Inventory,
    history: &History,
) -> Attribution {
    let rows = std::mem::take(&mut evidence.connections);
    let mut attribution = Attribution::default();
    let resolved = {
        let mut r = Resolver::with_history(inventory, evidence, history);
        let contexts = contexts(&r, &rows);
        // Each copy's own end teaches who held the address then.
        for (c, ctx) in rows.iter().zip(&contexts) {
            if let (Some(vpc), Some(eni), Some(local)) = (&ctx.vpc, &ctx.interface, ctx.local) {
                r.hold(vpc.clone(), local, eni, c.first, c.last);
            }
        }
        let out: Vec<Connection> = rows
            .into_iter()
            .zip(&contexts)
            .map(|(mut c, ctx)| {
                let (first, last) = (c.first, c.last);
                let vpc = ctx.vpc.as_deref();
                let end = |ip: IpAddr| -> Endpoint {
                    if ctx.local == Some(ip)
                        && let Some(e) = ctx.interface.as_deref()
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
                c.client_end = end(c.client);
                c.server_end = end(c.server);
                c.vpc = ctx.vpc.clone().filter(|v| v != NO_VPC).or(c.vpc.take());
                if ctx.forwarding {
                    c.via = ctx.interface.clone();
                }
                c
            })
            .collect();
        attribution.absent = absent(&out, &contexts, history);
        // Copies captured outside every covered VPC, for the merge.
        out.into_iter()
            .zip(&contexts)
            .map(|(c, ctx)| (c, ctx.vpc.is_none() && ctx.interface.is_some()))
            .collect()
    };
    evidence.connections = merge(resolved, inventory, &mut attribution);
    attribution.ambiguous_connections = evidence
        .connections
        .iter()
        .filter(|c| !c.client_end.is_definite() || !c.server_end.is_definite())
        .map(|c| c.connections)
        .sum();
    attribution
}

/// Interface types that carry other hosts' connections: at them, an address
/// that is not their own is never theirs.
fn forwards(e: &NetworkInterface) -> bool {
    matches!(
        e.interface_type.as_str(),
        "nat_gateway"
            | "network_load_balancer"
            | "gateway_load_balancer"
            | "gateway_load_balancer_endpoint"
            | "transit_gateway"
    )
}

/// Where a captured copy was captured, as far as the inventory and the
/// records tell.
#[derive(Debug, Clone, Default)]
struct Context {
    /// The capturing interface.
    interface: Option<String>,
    /// The VPC the copy is resolved in; `None`: not covered by the inventory.
    vpc: Option<String>,
    /// The capturing interface's own address in this copy.
    local: Option<IpAddr>,
    /// The capturing interface holds neither end: it forwarded the connection.
    forwarding: bool,
    /// Why an interface the inventory lacks is not covered.
    why: Option<AbsentWhy>,
    /// No interface and no VPC: resolved by address alone (unique owners).
    global: bool,
}

fn contexts(r: &Resolver<'_>, rows: &[Connection]) -> Vec<Context> {
    // Per interface the inventory lacks: the addresses in every one of its
    // copies (its own address, when it has one), and what `flow-direction` taught.
    let mut seen: BTreeMap<&str, (usize, BTreeMap<IpAddr, usize>)> = BTreeMap::new();
    for c in rows {
        if let [e] = c.logged_at.as_slice()
            && r.interface(e).is_none()
        {
            let s = seen.entry(e.as_str()).or_default();
            s.0 += 1;
            *s.1.entry(c.client).or_default() += 1;
            if c.server != c.client {
                *s.1.entry(c.server).or_default() += 1;
            }
        }
    }
    let mut learned: BTreeMap<&str, BTreeSet<IpAddr>> = BTreeMap::new();
    for h in &r.learned_pairs() {
        learned.entry(h.0).or_default().insert(h.1);
    }
    let common = |e: &str| -> Option<IpAddr> {
        let (n, addrs) = seen.get(e)?;
        let mut all = addrs.iter().filter(|(_, k)| *k == n).map(|(a, _)| *a);
        match (all.next(), all.next()) {
            (Some(a), None) => Some(a),
            _ => None,
        }
    };
    let only_vpc_with = |ip: &IpAddr| r.only_vpc_with(ip).map(String::from);
    let account = r.inventory.account_id.as_deref();
    // First the copies of interfaces the inventory holds (and of none).
    let mut out: Vec<Option<Context>> = rows
        .iter()
        .map(|c| {
            let Some(e) = c.logged_at.first().filter(|_| c.logged_at.len() == 1) else {
                // No interface: in the VPC the record logged, else the one
                // VPC that holds an end, else by address alone.
                let vpc = c
                    .vpc
                    .clone()
                    .or_else(|| [c.client, c.server].iter().find_map(only_vpc_with));
                return Some(Context {
                    global: vpc.is_none(),
                    vpc,
                    ..Context::default()
                });
            };
            let eni = r.interface(e)?;
            // Its own address; else one the logs showed it held (the
            // inventory is older than the address), unless it forwards.
            let local = [c.client, c.server]
                .into_iter()
                .find(|ip| r.own(eni, *ip).is_some())
                .or_else(|| {
                    let mine = learned.get(e.as_str()).filter(|_| !forwards(eni))?;
                    [c.client, c.server]
                        .into_iter()
                        .find(|ip| mine.contains(ip))
                });
            Some(Context {
                interface: Some(e.clone()),
                vpc: Some(r.vpc_of(eni).to_string()),
                local,
                forwarding: local.is_none(),
                why: None,
                global: false,
            })
        })
        .collect();
    // Copies that an interface of the inventory captured, by connection: an
    // interface the inventory lacks that captured the same connection at the
    // same time is the other end, in the same VPC.
    let mut covered: BTreeMap<Flow, Vec<(usize, IpAddr)>> = BTreeMap::new();
    for (i, (c, ctx)) in rows.iter().zip(&out).enumerate() {
        if let Some(Context {
            vpc: Some(_),
            local: Some(l),
            ..
        }) = ctx
        {
            covered
                .entry((c.client, c.server, c.port, c.proto))
                .or_default()
                .push((i, *l));
        }
    }
    let twin = |c: &Connection| -> Option<(String, IpAddr)> {
        let found: BTreeSet<(String, IpAddr)> = covered
            .get(&(c.client, c.server, c.port, c.proto))?
            .iter()
            .filter(|(i, _)| rows[*i].first <= c.last && c.first <= rows[*i].last)
            .filter_map(|(i, l)| {
                let other = if *l == c.client { c.server } else { c.client };
                Some((out[*i].as_ref()?.vpc.clone()?, other))
            })
            .collect();
        match found.len() {
            1 => found.into_iter().next(),
            _ => None,
        }
    };
    let mut twins: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let found: Vec<Option<(String, IpAddr)>> = rows
        .iter()
        .zip(&out)
        .map(|(c, ctx)| {
            if ctx.is_some() {
                return None;
            }
            let t = twin(c)?;
            twins
                .entry(c.logged_at[0].as_str())
                .or_default()
                .insert(t.0.clone());
            Some(t)
        })
        .collect();
    for ((c, ctx), t) in rows.iter().zip(out.iter_mut()).zip(found) {
        if ctx.is_some() {
            continue;
        }
        let e = &c.logged_at[0];
        let mine = learned.get(e.as_str());
        let created = r.history.created(e);
        let local = [c.client, c.server]
            .into_iter()
            .find(|ip| {
                mine.is_some_and(|m| m.contains(ip))
                    || created.is_some_and(|(_, addrs)| addrs.contains(ip))
            })
            .or_else(|| t.as_ref().map(|t| t.1))
            .or_else(|| common(e).filter(|a| *a == c.client || *a == c.server));
        let other_account = matches!((c.account.as_deref(), account), (Some(a), Some(b)) if a != b);
        let (vpc, why) = if other_account {
            (None, AbsentWhy::OtherAccount)
        } else if let Some(v) = c.vpc.as_deref().or(created.and_then(|(v, _)| v)) {
            match r.vpc_of_interface(e, Some(v)) {
                Some(v) => (Some(v), AbsentWhy::Unknown),
                None => (None, AbsentWhy::OtherVpc),
            }
        } else {
            // Nothing logged its VPC: the VPC of the covered interfaces it
            // talked to (when they are all of one), else the one VPC of the
            // inventory whose blocks hold its own address.
            let by_twin = twins.get(e.as_str()).and_then(|v| match v.len() {
                1 => v.first().cloned(),
                _ => None,
            });
            (
                by_twin.or_else(|| local.as_ref().and_then(only_vpc_with)),
                AbsentWhy::Unknown,
            )
        };
        let why = match why {
            AbsentWhy::Unknown if r.history.deleted(e).is_some() => AbsentWhy::Deleted,
            w => w,
        };
        *ctx = Some(Context {
            interface: Some(e.clone()),
            vpc,
            local,
            forwarding: false,
            why: Some(why),
            global: false,
        });
    }
    out.into_iter().map(Option::unwrap_or_default).collect()
}

impl<'a> Resolver<'a> {
    /// The one VPC of the inventory whose blocks hold `ip`, if exactly one does.
    fn only_vpc_with(&self, ip: &IpAddr) -> Option<&'a str> {
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
    fn learned_pairs(&self) -> Vec<(&str, IpAddr)> {
        self.held
            .iter()
            .flat_map(|(a, spans)| spans.iter().map(move |(_, (e, _, _))| (e.as_str(), *a)))
            .collect()
    }
}

/// Interfaces in the logs that the inventory lacks: as capturing interfaces
/// and as ends that the logs tied to an address.
fn absent(rows: &[Connection], contexts: &[Context], history: &History) -> Vec<AbsentInterface> {
    let mut out: BTreeMap<String, AbsentInterface> = BTreeMap::new();
    let mut peers: BTreeMap<String, BTreeSet<IpAddr>> = BTreeMap::new();
    for (c, ctx) in rows.iter().zip(contexts) {
        let mut note = |id: &str, why: AbsentWhy, addr: Option<IpAddr>, peer: IpAddr| {
            let a = out
                .entry(id.to_string())
                .or_insert_with(|| AbsentInterface {
                    id: id.to_string(),
                    why,
                    vpc: c.vpc.clone().filter(|v| v != NO_VPC),
                    account: c.account.clone(),
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
            a.connections += c.connections;
            if let Some(addr) = addr
                && !a.addresses.contains(&addr)
            {
                a.addresses.push(addr);
            }
            peers.entry(id.to_string()).or_default().insert(peer);
        };
        if let (Some(e), Some(why)) = (&ctx.interface, ctx.why) {
            let peer = if ctx.local == Some(c.client) {
                c.server
            } else {
                c.client
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
                && ctx.interface.as_deref() != Some(id)
            {
                let why = if history.deleted(id).is_some() {
                    AbsentWhy::Deleted
                } else {
                    AbsentWhy::Unknown
                };
                note(id, why, Some(ip), other);
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

/// The copies of one connection (same VPC, addresses, service and resolved
/// ends) become one; copies that could not tell an end (an ambiguous owner,
/// a capturing interface outside the covered VPCs, a NAT gateway's outside
/// leg) join the copy that could, where there is one.
/// What makes two copies one connection: VPC, addresses, service, resolved
/// ends. Two interfaces are the same ends wherever the copy was captured
/// (interface ids are unique across VPCs), so the copies of a connection
/// between peered VPCs, or across a transit gateway, are one.
type Key = (String, IpAddr, IpAddr, u16, u8, EndKey, EndKey);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum EndKey {
    Interface(String),
    Other(Endpoint),
}

impl EndKey {
    fn of(e: &Endpoint) -> EndKey {
        match e.interface() {
            Some(id) if e.is_definite() => EndKey::Interface(id.to_string()),
            _ => EndKey::Other(e.clone()),
        }
    }

    fn interface(&self) -> Option<&str> {
        match self {
            EndKey::Interface(id) => Some(id),
            EndKey::Other(e) => e.interface(),
        }
    }
}

fn key_of(c: &Connection) -> Key {
    let (ce, se) = (EndKey::of(&c.client_end), EndKey::of(&c.server_end));
    let both = matches!((&ce, &se), (EndKey::Interface(_), EndKey::Interface(_)));
    (
        if both {
            String::new()
        } else {
            c.vpc.clone().unwrap_or_default()
        },
        c.client,
        c.server,
        c.port,
        c.proto,
        ce,
        se,
    )
}

/// Adds a copy; returns whether it joined one already there.
fn put(by_key: &mut BTreeMap<Key, Connection>, c: Connection) -> bool {
    match by_key.entry(key_of(&c)) {
        std::collections::btree_map::Entry::Occupied(mut o) => {
            fold(o.get_mut(), &c);
            true
        }
        std::collections::btree_map::Entry::Vacant(v) => {
            v.insert(c);
            false
        }
    }
}

/// `rows`: each copy, and whether it was captured outside every covered VPC.
fn merge(rows: Vec<(Connection, bool)>, inv: &Inventory, att: &mut Attribution) -> Vec<Connection> {
    let mut by_key: BTreeMap<Key, Connection> = BTreeMap::new();
    let mut deferred = Vec::new();
    for (c, uncovered) in rows {
        if uncovered || !c.client_end.is_definite() || !c.server_end.is_definite() {
            deferred.push((c, uncovered));
            continue;
        }
        if put(&mut by_key, c) {
            att.merged_copies += 1;
        }
    }
    // A copy that could not tell an end joins the one copy of the same
    // addresses and service that could and agrees on the other end.
    let mut by_flow: FxHashMap<Flow, Vec<Key>> = FxHashMap::default();
    if !deferred.is_empty() {
        for k in by_key.keys() {
            by_flow
                .entry((k.1, k.2, k.3, k.4))
                .or_default()
                .push(k.clone());
        }
    }
    for (mut c, uncovered) in deferred {
        let twins: Vec<&Key> = by_flow
            .get(&(c.client, c.server, c.port, c.proto))
            .into_iter()
            .flatten()
            .filter(|k| {
                if uncovered {
                    // The covered copy names the capturing interface as an end.
                    let e = c.logged_at.first().map(String::as_str);
                    e.is_some() && (k.5.interface() == e || k.6.interface() == e)
                } else {
                    (k.0.is_empty() || k.0 == c.vpc.clone().unwrap_or_default())
                        && (k.5 == EndKey::of(&c.client_end) || k.6 == EndKey::of(&c.server_end))
                }
            })
            .collect();
        if let [k] = twins.as_slice() {
            let k = (*k).clone();
            fold(by_key.get_mut(&k).expect("listed"), &c);
            if uncovered {
                att.uncovered_copies += 1;
            } else {
                att.merged_copies += 1;
            }
            continue;
        }
        if uncovered {
            c.vpc = None;
        }
        put(&mut by_key, c);
    }
    // A NAT gateway's outside leg (its own address to the far end) is the
    // inside leg it carried (the host behind it, via the gateway): one
    // connection, the host's.
    let nat = |e: &Endpoint| {
        e.interface()
            .and_then(|id| inv.network_interfaces.iter().find(|n| n.id == id))
            .is_some_and(|n| n.interface_type == "nat_gateway")
    };
    let outside: Vec<Key> = by_key
        .iter()
        .filter(|(_, c)| nat(&c.client_end) && !matches!(c.server_end, Endpoint::Eni { .. }))
        .map(|(k, _)| k.clone())
        .collect();
    // The inside legs by gateway and far end, in key order.
    let mut inside_legs: BTreeMap<(&str, IpAddr, u16, u8), Key> = BTreeMap::new();
    if !outside.is_empty() {
        for (k, c) in &by_key {
            if let Some(via) = c.via.as_deref() {
                inside_legs
                    .entry((via, c.server, c.port, c.proto))
                    .or_insert_with(|| k.clone());
            }
        }
    }
    let inside_legs: BTreeMap<(String, IpAddr, u16, u8), Key> = inside_legs
        .into_iter()
        .map(|((v, a, p, q), k)| ((v.to_string(), a, p, q), k))
        .collect();
    for k in outside {
        let Some(gw) = k.5.interface() else { continue };
        let first = inside_legs
            .get(&(gw.to_string(), k.2, k.3, k.4))
            .filter(|i| i.1 != k.1);
        if let Some(first) = first {
            let leg = by_key.remove(&k).expect("listed");
            // The records count once more; bytes and connections are the host's.
            let m = by_key.get_mut(first).expect("listed");
            m.records += leg.records;
            for e in leg.logged_at {
                if !m.logged_at.contains(&e) {
                    m.logged_at.push(e);
                }
            }
            m.logged_at.sort();
        }
    }
    let mut out: Vec<Connection> = by_key.into_values().collect();
    att.through_nat = out
        .iter()
        .filter(|c| c.via.as_deref().is_some_and(|v| nat_id(inv, v)))
        .map(|c| c.connections)
        .sum();
    out.sort_by(|a, b| {
        (
            a.proto,
            a.port,
            a.server,
            a.client,
            &a.vpc,
            &a.client_end,
            &a.server_end,
        )
            .cmp(&(
                b.proto,
                b.port,
                b.server,
                b.client,
                &b.vpc,
                &b.client_end,
                &b.server_end,
            ))
    });
    out
}

fn nat_id(inv: &Inventory, id: &str) -> bool {
    inv.network_interfaces
        .iter()
        .any(|n| n.id == id && n.interface_type == "nat_gateway")
}

/// Two copies of one connection: records add up; what each interface saw of
/// the same packets (bytes, packets, connections) counts once.
fn fold(m: &mut Connection, c: &Connection) {
    m.records += c.records;
    m.bytes = m.bytes.max(c.bytes);
    m.packets = m.packets.max(c.packets);
    m.connections = m.connections.max(c.connections);
    m.first = m.first.min(c.first);
    m.last = m.last.max(c.last);
    m.method = m.method.min(c.method);
    for e in &c.logged_at {
        if !m.logged_at.contains(e) {
            m.logged_at.push(e.clone());
        }
    }
    m.logged_at.sort();
    if m.via.is_none() {
        m.via = c.via.clone();
    }
    if m.account.is_none() {
        m.account = c.account.clone();
    }
}

/// `com.amazonaws.us-east-1.s3` → `S3`.
fn service_name(prefix_list: &str) -> String {
    prefix_list
        .rsplit('.')
        .next()
        .unwrap_or(prefix_list)
        .to_ascii_uppercase()
}

const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "127.0.0.0/8",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
];

pub fn is_private(ip: &IpAddr) -> bool {
    PRIVATE
        .iter()
        .any(|c| c.parse::<Cidr>().expect("literal").contains(ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{PrefixList, Vpc};

    fn inv() -> Inventory {
        Inventory {
            format_version: 1,
            vpcs: vec![Vpc {
                id: "vpc-1".into(),
                owner_id: None,
                cidrs: vec!["10.0.0.0/16".parse().unwrap()],
            }],
            network_interfaces: vec![NetworkInterface {
                vpc_id: Some("vpc-1".into()),
                ..NetworkInterface::new(
                    "eni-web",
                    vec!["10.0.1.10".parse().unwrap(), "10.0.1.11".parse().unwrap()],
                    &["sg-web"],
                )
            }],
            prefix_lists: vec![PrefixList {
                id: "pl-63a5400a".into(),
                name: "com.amazonaws.us-east-1.s3".into(),
                cidrs: vec!["52.216.0.0/15".parse().unwrap()],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn classifies_every_kind_of_address() {
        let inv = inv();
        let mut ev = Evidence::default();
        ev.aws_services
            .insert("3.5.0.1".parse().unwrap(), "DYNAMODB".into());
        let r = Resolver::new(&inv, &ev);
        let eni = Endpoint::Eni {
            id: "eni-web".into(),
            groups: vec!["sg-web".into()],
            learned: false,
        };
        assert_eq!(r.resolve("10.0.1.10".parse().unwrap()), eni);
        assert_eq!(
            r.resolve("10.0.1.11".parse().unwrap()),
            eni,
            "secondary address"
        );
        assert_eq!(
            r.resolve("10.0.9.9".parse().unwrap()),
            Endpoint::VpcUnknown {
                vpc: "vpc-1".into()
            }
        );
        assert_eq!(
            r.resolve("52.217.1.1".parse().unwrap()),
            Endpoint::AwsService {
                service: "S3".into()
            }
        );
        assert_eq!(
            r.resolve("3.5.0.1".parse().unwrap()),
            Endpoint::AwsService {
                service: "DYNAMODB".into()
            }
        );
        assert_eq!(r.resolve("192.168.1.1".parse().unwrap()), Endpoint::Private);
        assert_eq!(r.resolve("8.8.8.8".parse().unwrap()), Endpoint::Internet);
        assert_eq!(
            r.resolve("2001:db8::1".parse().unwrap()),
            Endpoint::Internet
        );
        assert!(r.is_vpc_resolver(&"10.0.0.2".parse().unwrap()));
    }

    #[test]
    fn addresses_learned_from_flow_direction_resolve_to_their_interface() {
        let inv = inv();
        let mut ev = Evidence::default();
        ev.held.push(crate::aggregate::Held {
            interface_id: "eni-web".into(),
            addr: "10.0.1.99".parse().unwrap(),
            first: 0,
            last: 100,
        });
        let r = Resolver::new(&inv, &ev);
        assert!(matches!(
            r.resolve("10.0.1.99".parse().unwrap()),
            Endpoint::Eni { learned: true, .. }
        ));
    }

    fn conn(eni: &str, client: &str, server: &str, port: u16, first: i64) -> Connection {
        Connection {
            client: client.parse().unwrap(),
            server: server.parse().unwrap(),
            vpc: None,
            account: None,
            port,
            proto: crate::reduce::TCP,
            connections: 1,
            records: 2,
            bytes: 100,
            packets: 2,
            first,
            last: first + 60,
            method: crate::aggregate::Method::TcpFlags,
            logged_at: vec![eni.to_string()],
            client_end: Endpoint::Unresolved,
            server_end: Endpoint::Unresolved,
            via: None,
        }
    }

    fn two_vpcs() -> Inventory {
        let vpc = |id: &str| crate::inventory::Vpc {
            id: id.into(),
            owner_id: None,
            cidrs: vec!["10.0.0.0/16".parse().unwrap()],
        };
        let eni = |id: &str, vpc: &str, addr: &str, sg: &str| NetworkInterface {
            vpc_id: Some(vpc.into()),
            ..NetworkInterface::new(id, vec![addr.parse().unwrap()], &[sg])
        };
        Inventory {
            vpcs: vec![vpc("vpc-dev"), vpc("vpc-prod")],
            network_interfaces: vec![
                eni("eni-dev-app", "vpc-dev", "10.0.1.10", "sg-dev-app"),
                eni("eni-dev-db", "vpc-dev", "10.0.2.20", "sg-dev-db"),
                eni("eni-prod-app", "vpc-prod", "10.0.1.10", "sg-prod-app"),
                eni("eni-prod-db", "vpc-prod", "10.0.2.20", "sg-prod-db"),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn one_address_plan_in_two_vpcs_never_meets() {
        let inv = two_vpcs();
        let mut ev = Evidence::default();
        for eni in ["eni-dev-app", "eni-dev-db", "eni-prod-app", "eni-prod-db"] {
            ev.connections
                .push(conn(eni, "10.0.1.10", "10.0.2.20", 5432, 100));
        }
        let att = attribute(&mut ev, &inv);
        assert_eq!(ev.connections.len(), 2, "{:#?}", ev.connections);
        let ends: Vec<(Option<&str>, Option<&str>, Option<&str>)> = ev
            .connections
            .iter()
            .map(|c| {
                (
                    c.vpc.as_deref(),
                    c.client_end.interface(),
                    c.server_end.interface(),
                )
            })
            .collect();
        assert_eq!(
            ends,
            vec![
                (Some("vpc-dev"), Some("eni-dev-app"), Some("eni-dev-db")),
                (Some("vpc-prod"), Some("eni-prod-app"), Some("eni-prod-db")),
            ]
        );
        assert_eq!(att.merged_copies, 2);
        assert!(att.absent.is_empty());
    }

    #[test]
    fn a_reused_address_belongs_to_whoever_held_it_then() {
        let mut inv = two_vpcs();
        // Today 10.0.1.10 in vpc-dev is a new interface in another group.
        inv.network_interfaces[0].id = "eni-dev-new".into();
        inv.network_interfaces[0].security_groups = vec!["sg-dev-batch".into()];
        let mut ev = Evidence::default();
        // Monday: the old interface (now deleted) talked to the database.
        ev.connections
            .push(conn("eni-dev-old", "10.0.1.10", "10.0.2.20", 5432, 100));
        ev.connections
            .push(conn("eni-dev-db", "10.0.1.10", "10.0.2.20", 5432, 100));
        // Thursday: the new interface holds the address and talks to it too.
        ev.connections
            .push(conn("eni-dev-new", "10.0.1.10", "10.0.2.20", 5432, 9000));
        let att = attribute(&mut ev, &inv);
        let clients: Vec<(&str, i64)> = ev
            .connections
            .iter()
            .map(|c| (c.client_end.interface().unwrap(), c.first))
            .collect();
        assert!(
            clients.contains(&("eni-dev-new", 9000)),
            "the new owner's own copy: {clients:?}"
        );
        assert!(
            !clients.contains(&("eni-dev-new", 100)),
            "Monday's traffic is not the new interface's: {clients:?}"
        );
        assert_eq!(att.absent.len(), 1, "{:?}", att.absent);
        assert_eq!(att.absent[0].id, "eni-dev-old");
        assert_eq!(
            att.absent[0].addresses,
            vec!["10.0.1.10".parse::<IpAddr>().unwrap()]
        );
    }
}
