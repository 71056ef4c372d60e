//! Traffic no proposed rule covers: what needs other controls, what looks
//! like abuse, what the logs could not orient, and what was rejected.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::aggregate::{Rejected, Undecided};
use crate::analysis::Analysis;
use crate::emit::report::document::{Block, Markup, Row, Section, para, table};
use crate::emit::report::sections::{endpoint, group_label, human_bytes, start_days};
use crate::inventory::Inventory;
use crate::present::{names, service};
use crate::synthesize::{External, ExternalKind, Suspicious};
use crate::window::days;

/// Rows of the undecided list before "and N more".
const MAX_UNDECIDED_ROWS: usize = 50;

/// Destination services listed in the rejected-traffic table.
const MAX_REJECTED_ROWS: usize = 20;

/// Remote addresses shown per external row.
const MAX_REMOTES_SHOWN: usize = 5;

/// Connections that need CIDR rules, prefix lists or other controls, per kind.
pub(super) fn external(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Traffic that cannot be a security-group rule";
    let kinds: BTreeSet<ExternalKind> = a.proposal.external.iter().map(|e| e.kind).collect();
    if kinds.is_empty() {
        return Section::new("external", H, vec![para("None found.")]);
    }
    let mut blocks = Vec::new();
    for kind in kinds {
        let rows: Vec<Row> = a
            .proposal
            .external
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| Row::plain(external_row(m, &a.inventory, e)))
            .collect();
        let cols = [
            "Local side",
            "Direction",
            "Remote",
            "=Service",
            ">Remotes",
            "Remote addresses",
            ">Connections",
            ">Bytes",
            "=Seen",
        ];
        blocks.push(Block::Sub(Section::new(
            external_id(kind),
            kind.title(),
            vec![para(kind.advice()), table("external", &cols, rows)],
        )));
    }
    Section::new("external", H, blocks)
}

/// The HTML id of a kind's subsection.
fn external_id(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::InternetEgress => "external-internet-egress",
        ExternalKind::InternetIngress => "external-internet-ingress",
        ExternalKind::AwsService => "external-aws-service",
        ExternalKind::UnknownVpcAddress => "external-unknown-vpc-address",
        ExternalKind::AbsentInterface => "external-absent-interface",
        ExternalKind::UnknownOwner => "external-unknown-owner",
        ExternalKind::TransitGateway => "external-transit-gateway",
        ExternalKind::PrivateNetwork => "external-private-network",
        ExternalKind::NoSecurityGroup => "external-no-security-group",
        ExternalKind::LoadBalancerWithoutGroups => "external-load-balancer-without-groups",
        ExternalKind::InternetRelayed => "external-internet-relayed",
    }
}

fn external_row(m: &dyn Markup, inv: &Inventory, e: &External) -> Vec<String> {
    let groups: Vec<String> = e
        .local_groups
        .iter()
        .map(|g| group_label(m, inv, g))
        .collect();
    // An interface the inventory lacks has groups no one knows, not none.
    let unknown = e.local.ends_with(crate::endpoint::NOT_IN_INVENTORY);
    let local = if groups.is_empty() && unknown {
        m.text(&e.local)
    } else if groups.is_empty() {
        format!("{} (no groups)", m.text(&e.local))
    } else {
        format!("{} in {}", m.text(&e.local), groups.join(", "))
    };
    let shown: Vec<String> = e
        .remotes
        .iter()
        .take(MAX_REMOTES_SHOWN)
        .map(IpAddr::to_string)
        .collect();
    let more = e.remote_count.saturating_sub(shown.len());
    let mut remotes = shown.join(", ");
    if more > 0 {
        remotes.push_str(&format!(" and {more} more"));
    }
    let direction = if e.kind == ExternalKind::InternetRelayed {
        "relays"
    } else if e.local_is_client {
        "outbound"
    } else {
        "inbound"
    };
    vec![
        local,
        direction.into(),
        m.text(&e.remote_kind),
        service::of_port(e.port, e.proto),
        e.remote_count.to_string(),
        remotes,
        e.connections.to_string(),
        human_bytes(e.bytes),
        days(e.first, e.last),
    ]
}

/// Aggregates that look like abuse, worst first.
pub(super) fn suspicious(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Suspicious traffic (never turned into rules)";
    if a.proposal.suspicious.is_empty() {
        return Section::new("suspicious", H, vec![para("None found.")]);
    }
    let rows: Vec<Row> = a
        .proposal
        .suspicious
        .iter()
        .map(|s| Row::plain(suspicious_row(m, s)))
        .collect();
    let cols = [
        "=Severity",
        "Reason",
        "Client",
        "Server",
        "=Service",
        ">Connections",
        ">Bytes",
        "=Seen",
    ];
    Section::new(
        "suspicious",
        H,
        vec![
            para("Investigate these before allowing anything like them."),
            table("suspicious", &cols, rows),
        ],
    )
}

fn suspicious_row(m: &dyn Markup, s: &Suspicious) -> Vec<String> {
    vec![
        m.severity(s.severity),
        m.text(&s.reason),
        match &s.via {
            Some(via) => format!(
                "{} {} through {}",
                m.text(&s.client_label),
                s.client,
                m.text(via)
            ),
            None => format!("{} {}", m.text(&s.client_label), s.client),
        },
        format!("{} {}", m.text(&s.server_label), s.server),
        service::of_port(s.port, s.proto),
        s.connections.to_string(),
        human_bytes(s.bytes),
        days(s.first, s.last),
    ]
}

/// Aggregates whose initiator is unknown: no rule, and how to decide.
pub(super) fn undecided(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Undecided initiator";
    let all = &a.evidence.undecided;
    if all.is_empty() {
        return Section::new(
            "undecided",
            H,
            vec![para("None: the initiator of every aggregate was decided.")],
        );
    }
    let rows: Vec<Row> = all
        .iter()
        .take(MAX_UNDECIDED_ROWS)
        .map(|u| Row::plain(undecided_row(m, u)))
        .collect();
    let mut blocks = vec![
        para(format!(
            "For these aggregates neither TCP flags, a known service, fan-in, nor port ranges decided which side started the connections, so they are not counted as connections and no rule is proposed for them. For TCP, add {} to the flow-log format to decide them; ICMP and UDP exchanges seen both ways at once between two single peers stay undecided, and need a rule written by hand if they are wanted.",
            m.code("tcp-flags")
        )),
        table(
            "undecided",
            &["Endpoints", "=Protocol", ">Records", ">Bytes", "=Seen"],
            rows,
        ),
    ];
    if all.len() > MAX_UNDECIDED_ROWS {
        blocks.push(para(format!(
            "and {} more.",
            all.len() - MAX_UNDECIDED_ROWS
        )));
    }
    Section::new("undecided", H, blocks)
}

fn undecided_row(m: &dyn Markup, u: &Undecided) -> Vec<String> {
    vec![
        format!(
            "{} ↔ {}",
            endpoint(m, u.a, u.a_port, u.proto),
            endpoint(m, u.b, u.b_port, u.proto)
        ),
        names::protocol(u.proto),
        u.records.to_string(),
        human_bytes(u.bytes),
        days(u.first, u.last),
    ]
}

/// Rejected records: never evidence, summarised per destination service.
pub(super) fn rejected(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Rejected traffic";
    let top = rejected_by_records(a);
    if top.is_empty() {
        return Section::new("rejected", H, vec![para("None found.")]);
    }
    let shown = top.len().min(MAX_REJECTED_ROWS);
    let rows: Vec<Row> = top[..shown]
        .iter()
        .map(|r| Row::plain(rejected_row(m, r)))
        .collect();
    Section::new(
        "rejected",
        H,
        vec![
            para(format!(
                "{} records were rejected (by a security group or a network ACL); they are never evidence for a rule. {} destination services; the top {shown} by records:",
                a.stats.rejected,
                top.len(),
            )),
            table(
                "rejected",
                &[
                    "Destination",
                    "=Service",
                    ">Records",
                    ">Distinct sources",
                    "Example sources",
                    "Reject reasons",
                    "=Seen",
                ],
                rows,
            ),
        ],
    )
}

/// Rejected services, most records first (stable: ties keep the evidence order).
pub(in crate::emit::report) fn rejected_by_records(a: &Analysis) -> Vec<&Rejected> {
    let mut all: Vec<&Rejected> = a.evidence.rejected.iter().collect();
    all.sort_by_key(|r| std::cmp::Reverse(r.records));
    all
}

fn rejected_row(m: &dyn Markup, r: &Rejected) -> Vec<String> {
    let sources: Vec<String> = r.sources.iter().map(IpAddr::to_string).collect();
    let reasons: Vec<String> = r.reasons.iter().map(|s| m.text(s)).collect();
    vec![
        r.dst.to_string(),
        service::of_port(r.dstport, r.proto),
        r.records.to_string(),
        r.distinct_sources.to_string(),
        sources.join(", "),
        if reasons.is_empty() {
            "-".into()
        } else {
            reasons.join(", ")
        },
        start_days(r.first, r.last),
    ]
}
