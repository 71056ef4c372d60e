//! The proposed rules, keyed as in the tfvars, and what the reader should
//! know of them: interfaces that carry pods, avoided groups still needed,
//! and the group pairs that allow as much.

use crate::analysis::Analysis;
use crate::emit::escape;
use crate::emit::report::document::{Block, Markup, Row, Section, para, table};
use crate::emit::report::sections::{group_label, human_bytes, key_cell, methods};
use crate::present::time::first_and_last_day;
use crate::present::{names, service};

/// The rules table, keyed as in `rules.auto.tfvars`.
pub(super) fn rules(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Proposed rules";
    let rules = &a.proposal.rules;
    if rules.is_empty() {
        return Section::new("rules", H, vec![para("No rules proposed.")]);
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
        .chain(pods(a, m, &keys))
        .chain(avoided(a, m))
        .chain(alternatives(a, m))
        .collect(),
    )
}

/// Addresses on one interface beyond which it is taken to carry pods or
/// tasks (EKS VPC CNI secondary addresses), not one host.
const POD_ADDRESSES: usize = 4;

/// Rules whose interfaces carry pods: a group on a node allows every pod on it.
fn pods(a: &Analysis, m: &dyn Markup, keys: &[String]) -> Option<Block> {
    let carries_pods = |id: &String| {
        a.inventory
            .network_interfaces
            .iter()
            .find(|e| &e.id == id)
            .is_some_and(|e| !e.prefixes.is_empty() || e.addresses.len() > POD_ADDRESSES)
    };
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
