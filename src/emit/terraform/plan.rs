//! What the Terraform folder holds besides the module's input, as plain
//! data: the existing rules to import instead of duplicating, and the
//! egress rules the group-to-group module cannot express.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use crate::emit::tfvars::View;
use crate::inventory::{Cidr, Inventory, SgRule, protocol_number};
use crate::present::names::{self, GroupNames};
use crate::reduce::{ICMP, ICMP_ANY, ICMPV6, TCP, UDP};
use crate::resolve::{balancer_subnets, is_network_load_balancer, vpc_resolvers};
use crate::synthesize::{External, ExternalKind};

/// Which half of a module entry (or which resource) an existing rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Half {
    /// The ingress rule on the target group.
    Ingress,
    /// The egress rule on the source group.
    Egress,
}

/// An existing rule that a resource of the folder stands for: imported,
/// so that the apply adopts it instead of failing on a duplicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The group the rule is on.
    pub group: String,
    /// The other group (module entries) or the destination (egress.tf).
    pub peer: String,
    pub half: Half,
    /// `tcp 5432`, as said in comments and the report.
    pub service: String,
    /// The tfvars key of the module entry, or the egress.tf resource name.
    pub key: String,
    /// Whether the resource is the module's (else a resource of egress.tf).
    pub in_module: bool,
    /// The existing rule's id (`sgr-...`); `None` when the inventory does
    /// not hold ids (a file written by hand or an old tool): not importable.
    pub rule_id: Option<String>,
}

/// Where an egress.tf rule lets traffic go.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Destination {
    /// A managed prefix list (gateway endpoints' AWS-managed lists, or a
    /// customer-managed one).
    PrefixList { id: String, name: String },
    /// The subnets of a destination in the VPC that has no group (a network
    /// load balancer created without groups).
    Subnet { cidr: Cidr, of: String },
    /// The internet: `0.0.0.0/0` or `::/0`, never per address.
    Internet { cidr: Cidr },
}

/// Why an egress.tf rule exists: the traffic it lets through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    /// The interfaces that sent it (ids).
    pub interfaces: BTreeSet<String>,
    /// The destinations' addresses (a sample where `all_listed` is false).
    pub remotes: BTreeSet<IpAddr>,
    /// Whether `remotes` holds every destination seen (synthesis keeps ten
    /// addresses per interface and service).
    pub all_listed: bool,
    /// Whether the counts include the other address family's connections
    /// (synthesis counts a service's connections over both).
    pub both_families: bool,
    pub connections: u64,
    pub first: i64,
    pub last: i64,
}

/// A plain `aws_vpc_security_group_egress_rule` of egress.tf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressRule {
    /// The resource name (stable: group, destination, protocol, port).
    pub name: String,
    pub group: String,
    pub proto: u8,
    /// Ports (for ICMP: type and code); `None` for protocols without ports.
    pub ports: Option<(i32, i32)>,
    pub destination: Destination,
    pub observed: Observed,
}

/// Egress that open egress carries today and egress.tf does not: said in
/// the report with the reason, so nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotWritten {
    pub interface: String,
    pub destination: String,
    pub proto: u8,
    pub port: u16,
    pub reason: &'static str,
}

/// Everything the folder's generated files say.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub imports: Vec<Import>,
    pub egress: Vec<EgressRule>,
    pub not_written: Vec<NotWritten>,
}

impl Plan {
    /// The imports that can be written (an id is known).
    pub fn importable(&self) -> impl Iterator<Item = &Import> {
        self.imports.iter().filter(|i| i.rule_id.is_some())
    }
}

/// The plan of one folder: its rules (keys as in its tfvars) and the
/// external traffic of its groups.
pub(crate) fn plan(view: &View<'_>, external: &[&External]) -> Plan {
    let inv: &Inventory = &view.inventory;
    let keys = names::rule_keys(&view.rules, inv);
    let mut imports = Vec::new();
    for (rule, key) in view.rules.iter().zip(&keys) {
        let service = service(rule.proto, Some((rule.from_port, rule.to_port)));
        for (half, group, peer) in [
            (Half::Ingress, &rule.target_sg, &rule.source_sg),
            (Half::Egress, &rule.source_sg, &rule.target_sg),
        ] {
            let Some(g) = inv.group(group) else { continue };
            let rules = match half {
                Half::Ingress => &g.ingress,
                Half::Egress => &g.egress,
            };
            let found = rules.iter().find(|r| {
                r.referenced_group_id.as_deref() == Some(peer.as_str())
                    && same_service(r, rule.proto, Some((rule.from_port, rule.to_port)))
            });
            if let Some(r) = found {
                imports.push(Import {
                    group: group.clone(),
                    peer: peer.clone(),
                    half,
                    service: service.clone(),
                    key: key.clone(),
                    in_module: true,
                    rule_id: r.rule_id.clone(),
                });
            }
        }
    }
    let (egress, not_written) = egress_rules(inv, external);
    for e in &egress {
        let Some(g) = inv.group(&e.group) else {
            continue;
        };
        let found = g.egress.iter().find(|r| {
            same_service(r, e.proto, e.ports)
                && match &e.destination {
                    Destination::PrefixList { id, .. } => r.prefix_list_id.as_deref() == Some(id),
                    Destination::Subnet { cidr, .. } | Destination::Internet { cidr } => {
                        r.cidr.as_ref() == Some(cidr)
                    }
                }
        });
        if let Some(r) = found {
            imports.push(Import {
                group: e.group.clone(),
                peer: destination_label(&e.destination),
                half: Half::Egress,
                service: service(e.proto, e.ports),
                key: e.name.clone(),
                in_module: false,
                rule_id: r.rule_id.clone(),
            });
        }
    }
    Plan {
        imports,
        egress,
        not_written,
    }
}

/// `tcp 5432`, `tcp 8080-8082`, `icmp type 8`, `icmp`, `protocol 47`.
pub fn service(proto: u8, ports: Option<(i32, i32)>) -> String {
    let p = names::protocol(proto);
    match (proto, ports) {
        (TCP | UDP, Some((f, t))) if f == t => format!("{p} {f}"),
        (TCP | UDP, Some((f, t))) => format!("{p} {f}-{t}"),
        (ICMP | ICMPV6, Some((f, _))) if f >= 0 => format!("{p} type {f}"),
        (ICMP | ICMPV6, _) => p,
        _ => format!("protocol {p}"),
    }
}

/// `prefix list pl-02cd2c6b (com.amazonaws.us-east-1.dynamodb)`,
/// `10.20.0.0/24 (subnet of load balancer ...)`, `0.0.0.0/0 (internet)`.
pub fn destination_label(d: &Destination) -> String {
    match d {
        Destination::PrefixList { id, name } => format!("prefix list {id} ({name})"),
        Destination::Subnet { cidr, of } => format!("{cidr} ({of})"),
        Destination::Internet { cidr } => format!("{cidr} (internet)"),
    }
}

/// Whether an existing rule has exactly this protocol and these ports
/// (a wider or narrower rule is another rule: it is not adopted).
fn same_service(r: &SgRule, proto: u8, ports: Option<(i32, i32)>) -> bool {
    if protocol_number(&r.protocol) != Some(proto) {
        return false;
    }
    match ports {
        Some((f, t)) => r.from_port == Some(f) && r.to_port == Some(t),
        None => r.from_port.unwrap_or(-1) == -1 && r.to_port.unwrap_or(-1) == -1,
    }
}

/// The rule's ports for an external connection's service: TCP and UDP the
/// port, ICMP the type (every code), other protocols none.
fn ports_of(proto: u8, port: u16) -> Option<(i32, i32)> {
    match proto {
        TCP | UDP => Some((i32::from(port), i32::from(port))),
        ICMP | ICMPV6 if port > 255 || port == ICMP_ANY => Some((-1, -1)),
        ICMP | ICMPV6 => Some((i32::from(port), -1)),
        _ => None,
    }
}

/// The egress rules for the external traffic that group rules cannot
/// carry, one per group, destination and service; what cannot be written
/// with the reason.
fn egress_rules(inv: &Inventory, external: &[&External]) -> (Vec<EgressRule>, Vec<NotWritten>) {
    let resolvers: BTreeSet<IpAddr> = vpc_resolvers(inv).into_iter().collect();
    // (destination, proto, port) -> interface -> its groups and what it sent.
    type Need = BTreeMap<String, (Vec<String>, Observed)>;
    let mut needs: BTreeMap<(Destination, u8, u16), Need> = BTreeMap::new();
    let mut not_written = Vec::new();
    for e in external {
        if !e.local_is_client || e.local_groups.is_empty() {
            continue;
        }
        let remotes: Vec<IpAddr> = e
            .remotes
            .iter()
            .copied()
            .filter(|ip| !resolvers.contains(ip))
            .collect();
        if remotes.is_empty() {
            // Only the VPC resolver: open egress is not needed for it.
            continue;
        }
        let dests = match e.kind {
            ExternalKind::InternetEgress => internet(&remotes),
            ExternalKind::AwsService => match prefix_list(inv, &remotes) {
                Some(d) => vec![d],
                None => {
                    not_written.push(skipped(
                        e,
                        "an AWS service at addresses no prefix list of the inventory holds: \
                         reach it through an interface endpoint (its group can be a rule target) \
                         or allow its published ranges yourself",
                    ));
                    continue;
                }
            },
            ExternalKind::LoadBalancerWithoutGroups | ExternalKind::NoSecurityGroup => {
                let d = subnets(inv, &e.local, &remotes);
                if d.is_empty() {
                    not_written.push(skipped(
                        e,
                        "the destination's subnet is not in the inventory: refresh the inventory",
                    ));
                    continue;
                }
                d
            }
            _ => continue,
        };
        for d in dests {
            // A rule of one address family shows that family's addresses;
            // the counts are the service's, over both (`both_families`).
            let family = match &d {
                Destination::Internet { cidr } | Destination::Subnet { cidr, .. } => {
                    Some(cidr.addr.is_ipv4())
                }
                Destination::PrefixList { .. } => None,
            };
            let mine: Vec<IpAddr> = remotes
                .iter()
                .copied()
                .filter(|ip| family.is_none_or(|v4| ip.is_ipv4() == v4))
                .collect();
            let need = needs.entry((d, e.proto, e.port)).or_default();
            let (_, seen) = need
                .entry(e.local.clone())
                .or_insert_with(|| (e.local_groups.clone(), Observed::default()));
            add(seen, e, &mine);
            seen.both_families |= family.is_some() && mine.len() < remotes.len();
        }
    }
    let names = GroupNames::new(inv);
    let members = members(inv);
    let mut out = Vec::new();
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    for ((dest, proto, port), need) in needs {
        for (group, observed) in cover(&need, &members) {
            let base = resource_name(&format!(
                "{}-to-{}-{}",
                names.slug(&group),
                destination_slug(&dest),
                service_slug(proto, port)
            ));
            let n = used.entry(base.clone()).or_default();
            *n += 1;
            let name = if *n == 1 { base } else { format!("{base}-{n}") };
            out.push(EgressRule {
                name,
                group,
                proto,
                ports: ports_of(proto, port),
                destination: dest.clone(),
                observed,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    (out, not_written)
}

fn skipped(e: &External, reason: &'static str) -> NotWritten {
    NotWritten {
        interface: e.local.clone(),
        destination: e.remote_kind.clone(),
        proto: e.proto,
        port: e.port,
        reason,
    }
}

fn add(seen: &mut Observed, e: &External, remotes: &[IpAddr]) {
    if seen.interfaces.is_empty() {
        seen.first = e.first;
        seen.last = e.last;
        seen.all_listed = true;
    }
    seen.interfaces.insert(e.local.clone());
    seen.remotes.extend(remotes.iter().copied());
    seen.all_listed &= e.remote_count <= e.remotes.len();
    seen.connections = seen.connections.saturating_add(e.connections);
    seen.first = seen.first.min(e.first);
    seen.last = seen.last.max(e.last);
}

/// `0.0.0.0/0` where an IPv4 destination was seen, `::/0` where an IPv6 one.
fn internet(remotes: &[IpAddr]) -> Vec<Destination> {
    let mut out = Vec::new();
    if remotes.iter().any(IpAddr::is_ipv4) {
        out.push(Destination::Internet {
            cidr: "0.0.0.0/0".parse().expect("literal"),
        });
    }
    if remotes.iter().any(IpAddr::is_ipv6) {
        out.push(Destination::Internet {
            cidr: "::/0".parse().expect("literal"),
        });
    }
    out
}

/// The prefix list holding the destinations (the first, by id, that holds one).
fn prefix_list(inv: &Inventory, remotes: &[IpAddr]) -> Option<Destination> {
    let mut lists: Vec<_> = inv
        .prefix_lists
        .iter()
        .filter(|p| {
            remotes
                .iter()
                .any(|ip| p.cidrs.iter().any(|c| c.contains(ip)))
        })
        .collect();
    lists.sort_by(|a, b| a.id.cmp(&b.id));
    lists.first().map(|p| Destination::PrefixList {
        id: p.id.clone(),
        name: p.name.clone(),
    })
}

/// The subnets of the destinations in the sender's VPC: a load balancer's
/// every subnet (it answers from any), else the interface's own; only the
/// address families seen.
fn subnets(inv: &Inventory, local: &str, remotes: &[IpAddr]) -> Vec<Destination> {
    let vpc = inv
        .network_interfaces
        .iter()
        .find(|e| e.id == local)
        .and_then(|e| e.vpc_id.clone());
    let mut out = BTreeSet::new();
    for ip in remotes {
        let Some(holder) = inv.network_interfaces.iter().find(|e| {
            e.addresses.contains(ip) && (vpc.is_none() || e.vpc_id == vpc || e.vpc_id.is_none())
        }) else {
            continue;
        };
        let (cidrs, of) = if is_network_load_balancer(holder) {
            (
                balancer_subnets(inv, &holder.id),
                format!("a subnet of load balancer {}", holder.id),
            )
        } else {
            let cidrs = inv
                .subnets
                .iter()
                .filter(|s| Some(&s.id) == holder.subnet_id.as_ref())
                .flat_map(|s| s.cidrs.iter().copied())
                .collect();
            (cidrs, format!("the subnet of {}", holder.id))
        };
        for cidr in cidrs {
            if cidr.addr.is_ipv4() == ip.is_ipv4() {
                out.insert(Destination::Subnet {
                    cidr,
                    of: of.clone(),
                });
            }
        }
    }
    out.into_iter().collect()
}

/// How many interfaces of the inventory carry each group.
fn members(inv: &Inventory) -> BTreeMap<&str, usize> {
    let mut out = BTreeMap::new();
    for e in &inv.network_interfaces {
        for g in &e.security_groups {
            *out.entry(g.as_str()).or_default() += 1;
        }
    }
    out
}

/// The groups that get the rule: greedily, the group that covers the most
/// interfaces still needing it, then the one with the fewest members that
/// did not need it (least privilege), then the lowest id. Each group's
/// share of the evidence goes with it.
fn cover(
    need: &BTreeMap<String, (Vec<String>, Observed)>,
    members: &BTreeMap<&str, usize>,
) -> Vec<(String, Observed)> {
    let mut left: BTreeSet<&str> = need.keys().map(String::as_str).collect();
    let mut out = Vec::new();
    while !left.is_empty() {
        let mut best: Option<(usize, usize, &str)> = None;
        let groups: BTreeSet<&str> = left
            .iter()
            .flat_map(|i| need[*i].0.iter().map(String::as_str))
            .collect();
        for g in groups {
            let covers = left
                .iter()
                .filter(|i| need[**i].0.iter().any(|x| x == g))
                .count();
            let extra = members.get(g).copied().unwrap_or(0).saturating_sub(covers);
            let better = match best {
                None => true,
                Some((c, x, _)) => covers > c || (covers == c && extra < x),
            };
            if better {
                best = Some((covers, extra, g));
            }
        }
        let Some((_, _, g)) = best else { break };
        let mut observed = Observed {
            all_listed: true,
            ..Observed::default()
        };
        let covered: Vec<&str> = left
            .iter()
            .copied()
            .filter(|i| need[*i].0.iter().any(|x| x == g))
            .collect();
        for i in covered {
            let o = &need[i].1;
            if observed.interfaces.is_empty() {
                observed.first = o.first;
                observed.last = o.last;
            }
            observed.interfaces.extend(o.interfaces.iter().cloned());
            observed.remotes.extend(o.remotes.iter().copied());
            observed.all_listed &= o.all_listed;
            observed.both_families |= o.both_families;
            observed.connections = observed.connections.saturating_add(o.connections);
            observed.first = observed.first.min(o.first);
            observed.last = observed.last.max(o.last);
            left.remove(i);
        }
        out.push((g.to_string(), observed));
    }
    out
}

/// A Terraform resource name starts with a letter (or `_`): a group slug
/// that starts with a digit (a group without a name is its id's tail) is
/// prefixed with `sg-`.
pub(super) fn resource_name(slug: &str) -> String {
    if slug.starts_with(|c: char| c.is_ascii_alphabetic()) {
        slug.to_string()
    } else {
        format!("sg-{slug}")
    }
}

fn destination_slug(d: &Destination) -> String {
    match d {
        Destination::PrefixList { id, .. } => names::slug(id),
        Destination::Subnet { cidr, .. } => format!("subnet-{}", names::slug(&cidr.to_string())),
        Destination::Internet { cidr } if cidr.addr.is_ipv4() => "internet-ipv4".into(),
        Destination::Internet { .. } => "internet-ipv6".into(),
    }
}

fn service_slug(proto: u8, port: u16) -> String {
    match ports_of(proto, port) {
        Some((f, _)) if matches!(proto, TCP | UDP) => format!("{}-{f}", names::protocol(proto)),
        Some((f, _)) if f >= 0 => format!("{}-{f}", names::protocol(proto)),
        Some(_) => format!("{}-all", names::protocol(proto)),
        None => format!("proto-{proto}"),
    }
}
