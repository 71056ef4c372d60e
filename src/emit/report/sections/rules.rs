//! The proposed rules, keyed as in the tfvars, and what the reader should
//! know of them: interfaces that carry pods, avoided groups still needed,
//! the group pairs that allow as much, and the paths through network load
//! balancers with the rules that allow each leg.

use rustc_hash::FxHashMap;

use crate::analysis::Analysis;
use crate::emit::escape;
use crate::emit::report::document::{Block, Markup, Row, Section, para, table};
use crate::emit::report::sections::{group_label, human_bytes, key_cell, methods};
use crate::id::Id;
use crate::present::time::first_and_last_day;
use crate::present::{count, names, service};
use crate::reduce::{TCP, UDP};
use crate::resolve::BalancedPath;
use crate::synthesize::{ExternalKind, Rule};
use crate::window::days;

/// The rules table, keyed as in `rules.auto.tfvars`.
pub(super) fn rules(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Proposed rules";
    let rules = &a.proposal.rules;
    if rules.is_empty() {
        let blocks = std::iter::once(para("No rules proposed."))
            .chain(left_out(a, m))
            .chain(balanced(a, m, &[]))
            .collect();
        return Section::new("rules", H, blocks);
    }
    let keys = names::rule_keys(rules, &a.inventory);
    let rows: Vec<Row> = rules
        .iter()
        .zip(&keys)
        .map(|(r, k)| {
            let e = &r.evidence;
            let (first, last) = first_and_last_day(e.first, e.last);
            Row {
                attrs: format!(" data-key=\"{}\"", escape::html(k)),
                cells: vec![
                    key_cell(m, k),
                    group_label(m, &a.inventory, &r.source_sg),
                    group_label(m, &a.inventory, &r.target_sg),
                    m.text(&service::of_rule(r)),
                    e.connections.to_string(),
                    human_bytes(e.bytes),
                    first,
                    last,
                    e.client_enis.len().to_string(),
                    e.server_enis.len().to_string(),
                    format!("{} of {}", e.observed_pairs, e.allowed_pairs),
                    m.text(&methods(e)),
                ],
            }
        })
        .collect();
    let cols = [
        "Key",
        "Source group",
        "Target group",
        "=Service",
        ">Connections",
        ">Bytes",
        "=First",
        "=Last",
        ">Client ENIs",
        ">Server ENIs",
        ">Pairs observed of allowed",
        "Initiator decided by",
    ];
    Section::new(
        "rules",
        H,
        vec![
            para(format!(
                "Keys as in {}. Each rule lets members of the source group reach members of the target group on the service. \"Pairs observed of allowed\": interface pairs seen talking, of those the rule allows.",
                m.code("rules.auto.tfvars")
            )),
            table("rules", &cols, rows),
        ]
        .into_iter()
        .chain(left_out(a, m))
        .chain(pods(a, m, &keys))
        .chain(avoided(a, m))
        .chain(alternatives(a, m))
        .chain(balanced(a, m, &keys))
        .collect(),
    )
}

/// The proposed rules the tfvars does not hold (`--module-version 1` takes
/// TCP only), with their evidence and why.
fn left_out(a: &Analysis, m: &dyn Markup) -> Vec<Block> {
    let l = &a.proposal.left_out;
    if l.is_empty() {
        return Vec::new();
    }
    let rows: Vec<Row> = l
        .iter()
        .map(|x| {
            let r = &x.rule;
            Row::plain(vec![
                key_cell(m, &x.key),
                group_label(m, &a.inventory, &r.source_sg),
                group_label(m, &a.inventory, &r.target_sg),
                m.text(&service::of_rule(r)),
                r.evidence.connections.to_string(),
                m.text(&x.reason),
            ])
        })
        .collect();
    vec![
        para(format!(
            "Left out of {}: {} the module's input cannot express. They are in no count, coverage or \"after the change\" above, so their connections would be refused once the change is applied (see the findings); add them by hand, or use module 2.",
            m.code("rules.auto.tfvars"),
            count(l.len() as u64, "proposed rule")
        )),
        table(
            "left-out",
            &[
                "Key",
                "Source group",
                "Target group",
                "=Service",
                ">Connections",
                "Why",
            ],
            rows,
        ),
    ]
}

/// Addresses on one interface beyond which it is taken to carry pods or
/// tasks (EKS VPC CNI secondary addresses), not one host.
const POD_ADDRESSES: usize = 4;

/// Rules whose interfaces carry pods: a group on a node allows every pod on it.
fn pods(a: &Analysis, m: &dyn Markup, keys: &[String]) -> Option<Block> {
    // Whether each interface carries pods, by id, decided once: a rule's
    // evidence names up to every interface of its groups, and scanning the
    // inventory per name made this rules x interfaces x inventory. The
    // first interface of an id decides, as a scan would.
    let mut pods_by_id: FxHashMap<&str, bool> = FxHashMap::default();
    for e in &a.inventory.network_interfaces {
        pods_by_id
            .entry(e.id.as_str())
            .or_insert(!e.prefixes.is_empty() || e.addresses.len() > POD_ADDRESSES);
    }
    let carries_pods = |id: &String| pods_by_id.get(id.as_str()).copied().unwrap_or(false);
    let hits: Vec<String> = a
        .proposal
        .rules
        .iter()
        .zip(keys)
        .filter(|(r, _)| {
            r.evidence.client_enis.iter().any(carries_pods)
                || r.evidence.server_enis.iter().any(carries_pods)
        })
        .map(|(_, k)| key_cell(m, k))
        .collect();
    (!hits.is_empty()).then(|| {
        para(format!(
            "Granularity: {} involve interfaces that carry pods (delegated prefixes or more than {POD_ADDRESSES} addresses on one node): a node's group allows every pod on the node, not only the one seen. Narrow it with security groups for pods (a branch interface per pod) or a Kubernetes NetworkPolicy.",
            hits.join(", ")
        ))
    })
}

/// Avoided groups (`--avoid-group`) that a rule still needs.
fn avoided(a: &Analysis, m: &dyn Markup) -> Option<Block> {
    let needed = &a.proposal.avoided_but_needed;
    if needed.is_empty() {
        return None;
    }
    let list: Vec<String> = needed
        .iter()
        .map(|(g, proto, port)| {
            format!(
                "{} for {}",
                group_label(m, &a.inventory, g),
                service::of_port(*port, *proto)
            )
        })
        .collect();
    Some(para(format!(
        "Avoided groups still used: nothing but an avoided group allows these connections, so the rules keep it: {}. Give those interfaces a dedicated group to drop it.",
        list.join("; ")
    )))
}

/// Services where other group pairs allow exactly as much: what they are
/// and why the chosen ones won.
fn alternatives(a: &Analysis, m: &dyn Markup) -> Option<Block> {
    if a.proposal.alternatives.is_empty() {
        return None;
    }
    let pairs = |ps: &[(String, String)]| -> String {
        ps.iter()
            .map(|(s, t)| {
                format!(
                    "{} → {}",
                    group_label(m, &a.inventory, s),
                    group_label(m, &a.inventory, t)
                )
            })
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let rows: Vec<Row> = a
        .proposal
        .alternatives
        .iter()
        .flat_map(|alt| {
            alt.others.iter().map(move |(other, why)| {
                Row::plain(vec![
                    service::of_port(alt.port, alt.proto),
                    pairs(&alt.chosen),
                    pairs(other),
                    why.reason().to_string(),
                ])
            })
        })
        .collect();
    Some(Block::Sub(Section::new(
        "alternatives",
        "Why these groups",
        vec![
            para(format!(
                "Other group pairs allow the observed connections exactly as tightly; the tie-breaks, in order: a pair an existing rule already references, groups not shared across roles, fewer rules, narrower groups. Steer the choice with {}.",
                m.code("--avoid-group")
            )),
            table(
                "alternatives",
                &["=Service", "Chosen", "Alternative", "Why the chosen won"],
                rows,
            ),
        ],
    )))
}

/// Connections a network load balancer forwarded keeping the client's
/// address: client → load balancer (listeners) → target, and the proposed
/// rules that allow each leg.
fn balanced(a: &Analysis, m: &dyn Markup, keys: &[String]) -> Option<Block> {
    let paths = &a.attribution.through_load_balancer;
    if paths.is_empty() {
        return None;
    }
    let rows: Vec<Row> = paths
        .iter()
        .take(MAX_PATH_ROWS)
        .map(|p| {
            let lb = match &p.balancer_name {
                Some(n) => format!("{} ({})", m.text(&p.balancer), m.text(n)),
                None => m.text(&p.balancer),
            };
            let listeners = if p.listeners.is_empty() {
                "no listener leg logged".to_string()
            } else {
                let ports: Vec<String> = p
                    .listeners
                    .iter()
                    .map(|l| service::of_port(*l, p.proto))
                    .collect();
                ports.join(", ")
            };
            Row::plain(vec![
                clients(m, p),
                format!("{lb} on {listeners}"),
                format!("{} {}", m.text(&p.target_end.label()), p.target),
                service::of_port(p.port, p.proto),
                p.connections.to_string(),
                days(p.first, p.last),
                allowed_by(a, m, keys, p),
            ])
        })
        .collect();
    let mut text = "These connections went through a network load balancer that kept the client's address (client IP preservation): the client sent to a listener of the load balancer, which sent the client's packets on to the target. Where the load balancer has groups, the client's group gets its egress to the load balancer's group on the listener port, and the target's group admits the load balancer's group on the target port (AWS honours that reference with the client's address kept). No rule from the client's group to the target's group is proposed for them: the client never sends to the target's address.".to_string();
    if paths.iter().any(|p| p.balancer_groups.is_empty()) {
        text.push_str(&format!(
            " A load balancer without groups can be named in no rule: see \"{}\".",
            ExternalKind::LoadBalancerWithoutGroups.title()
        ));
    }
    let more = (paths.len() > MAX_PATH_ROWS).then(|| {
        para(format!(
            "and {} more (the JSON report lists every one).",
            paths.len() - MAX_PATH_ROWS
        ))
    });
    Some(Block::Sub(Section::new(
        "load-balanced",
        "Through network load balancers",
        [
            para(text),
            table(
                "load-balanced",
                &[
                    "Client",
                    "Load balancer",
                    "Target",
                    "=Service",
                    ">Connections",
                    "=Seen",
                    "Allowed by",
                ],
                rows,
            ),
        ]
        .into_iter()
        .chain(more)
        .collect(),
    )))
}

/// Paths through load balancers listed before "and N more".
const MAX_PATH_ROWS: usize = 50;

/// Client addresses shown per path.
const MAX_CLIENTS_SHOWN: usize = 3;

/// `eni-client 10.0.1.10`, `internet 203.0.113.5, 203.0.113.9 and 4 more`.
fn clients(m: &dyn Markup, p: &BalancedPath) -> String {
    let shown: Vec<String> = p
        .clients
        .iter()
        .take(MAX_CLIENTS_SHOWN)
        .map(ToString::to_string)
        .collect();
    let more = p.client_count.saturating_sub(shown.len());
    let mut out = format!("{} {}", m.text(&p.client_end.label()), shown.join(", "));
    if more > 0 {
        out.push_str(&format!(" and {more} more"));
    }
    out
}

/// The keys of the proposed rules that allow a path's two legs, or why none can.
fn allowed_by(a: &Analysis, m: &dyn Markup, keys: &[String], p: &BalancedPath) -> String {
    if p.balancer_groups.is_empty() {
        return "none: the load balancer has no groups".into();
    }
    let client = p.client_end.groups().unwrap_or(&[]);
    let target = p.target_end.groups().unwrap_or(&[]);
    let lb: Vec<&str> = p.balancer_groups.iter().map(String::as_str).collect();
    let client: Vec<&str> = client.iter().map(Id::as_str).collect();
    let target: Vec<&str> = target.iter().map(Id::as_str).collect();
    let leg = |from: &[&str], to: &[&str], ports: &[u16]| -> Vec<String> {
        a.proposal
            .rules
            .iter()
            .zip(keys)
            .filter(|(r, _)| {
                from.contains(&r.source_sg.as_str())
                    && to.contains(&r.target_sg.as_str())
                    && ports.iter().any(|port| covers(r, p.proto, *port))
            })
            .map(|(_, k)| key_cell(m, k))
            .collect()
    };
    let say = |keys: Vec<String>| {
        if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        }
    };
    let front = if client.is_empty() {
        format!("none ({} has no groups)", m.text(&p.client_end.label()))
    } else {
        say(leg(&client, &lb, &p.listeners))
    };
    format!(
        "to the load balancer: {front}; to the target: {}",
        say(leg(&lb, &target, &[p.port]))
    )
}

/// Whether a rule allows `proto` on `port`.
fn covers(r: &Rule, proto: u8, port: u16) -> bool {
    r.proto == proto
        && match proto {
            TCP | UDP => (r.from_port..=r.to_port).contains(&i32::from(port)),
            _ => r.from_port < 0 || r.from_port == i32::from(port),
        }
}
