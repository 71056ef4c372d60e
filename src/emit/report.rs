//! The report: Markdown for people, JSON for machines, same content; the
//! HTML page (`html.rs`) renders the same sections.
//!
//! The sections are built once, as a small document model ([`Section`]:
//! paragraphs, lists, tables) whose text is already marked up by a
//! [`Markup`] (Markdown or HTML escaping), so the Markdown and the HTML
//! cannot drift apart: they hold the same facts, tables and figures.
//!
//! Every rendering is a pure function of the [`Analysis`] and its [`Audit`]
//! (computed once by the caller, [`crate::audit::audit`]): no clock, no
//! hash-map order, so the same input gives byte-identical output. Every string
//! that comes from AWS or from the logs goes through [`Markup::text`]
//! ([`escape::markdown`] or [`escape::html`]); numbers and addresses are
//! printed as they are.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::aggregate::{Gap, Rejected, Undecided};
use crate::analysis::Analysis;
use crate::audit::{Audit, Direction};
use crate::emit::escape;
use crate::emit::summary::{BEFORE_AFTER_NOTE, Summary};
use crate::inventory::Inventory;
use crate::present::names;
use crate::present::service;
use crate::present::time::first_and_last_day;
use crate::reduce::{TCP, UDP};
use crate::resolve::{AbsentWhy, Attribution};
use crate::stats::{Fill, Stats};
use crate::synthesize::{Alternatives, External, ExternalKind, RuleEvidence, Severity, Suspicious};
use crate::window::{day, days, rfc3339};

/// Version of the JSON layout; bumped when a field changes meaning or goes away.
pub const FORMAT_VERSION: u32 = 1;

/// Rows of the undecided list before "and N more".
const MAX_UNDECIDED_ROWS: usize = 50;
/// Destination services listed in the rejected-traffic table.
const MAX_REJECTED_ROWS: usize = 20;
/// Remote addresses shown per external row.
const MAX_REMOTES_SHOWN: usize = 5;

/// The Markdown report: the summary, then one section per kind of finding.
/// `audit` is [`crate::audit::audit`] of `a`.
pub fn markdown(a: &Analysis, audit: &Audit) -> String {
    let s = Summary::of(a, audit);
    let m = Md;
    let mut parts = vec![summary_md(a, &s)];
    parts.extend(sections(a, audit, &s, &m).iter().map(|x| x.markdown(2)));
    let mut out = parts.join("\n\n");
    out.push('\n');
    out
}

/// The JSON report: pretty-printed, stable field names, `"format_version": 1`.
/// `audit` is [`crate::audit::audit`] of `a`.
pub fn json(a: &Analysis, audit: &Audit) -> String {
    let mut out = serde_json::to_string_pretty(&JsonReport::of(a, audit))
        .expect("the report holds only strings, numbers and lists");
    out.push('\n');
    out
}

// ---------------------------------------------------------------------------
// Facts shared by every rendering (the numbers are [`Summary`]).

/// `1.5 MiB`: bytes in binary units, one decimal above 1 KiB.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The days of record starts (both ends inclusive: rejected traffic).
fn start_days(first: i64, last: i64) -> String {
    let (f, l) = (day(first), day(last));
    if f == l { f } else { format!("{f}..{l}") }
}

/// A full time, or `unknown`.
fn time_or_unknown(t: Option<i64>) -> String {
    t.map_or_else(|| "unknown".into(), rfc3339)
}

/// `tcp-flags 4, fan-in 2`: how the initiator of a rule's connections was decided.
pub(crate) fn methods(e: &RuleEvidence) -> String {
    e.initiator
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

// ---------------------------------------------------------------------------
// The document model.

/// How text becomes markup: escaping of data, code spans, severity labels.
pub(crate) trait Markup {
    /// Text from AWS, the logs or the user (names, ids, messages), escaped.
    fn text(&self, s: &str) -> String;
    /// A code span around plain text (flags, commands, keys).
    fn code(&self, s: &str) -> String;
    /// A severity: a word in Markdown, a badge in HTML.
    fn severity(&self, s: Severity) -> String;
}

/// Markdown markup.
pub(crate) struct Md;

impl Markup for Md {
    fn text(&self, s: &str) -> String {
        escape::markdown(s)
    }
    fn code(&self, s: &str) -> String {
        format!("`{s}`")
    }
    fn severity(&self, s: Severity) -> String {
        severity_label(s).into()
    }
}

/// A section of the report: a heading over blocks. Text in it is markup.
pub(crate) struct Section {
    /// The HTML id (`findings`, `rules`, ...).
    pub id: &'static str,
    pub title: String,
    pub blocks: Vec<Block>,
}

pub(crate) enum Block {
    Para(String),
    /// Items of a bulleted list.
    List(Vec<String>),
    Table(Table),
    /// A subsection, one heading level down.
    Sub(Section),
}

/// A table. A column name starting with `>` is numbers (right-aligned), `=`
/// short values kept on one line (in HTML).
pub(crate) struct Table {
    /// The HTML class.
    pub class: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Row>,
}

pub(crate) struct Row {
    /// Attributes of the HTML `<tr>` (already escaped), or empty.
    pub attrs: String,
    pub cells: Vec<String>,
}

impl Row {
    fn plain(cells: Vec<String>) -> Row {
        Row {
            attrs: String::new(),
            cells,
        }
    }
}

impl Section {
    fn new(id: &'static str, title: impl Into<String>, blocks: Vec<Block>) -> Section {
        Section {
            id,
            title: title.into(),
            blocks,
        }
    }

    /// The section as Markdown, its heading at `level` (`##` for 2).
    pub fn markdown(&self, level: usize) -> String {
        let mut parts = vec![format!("{} {}", "#".repeat(level), self.title)];
        for b in &self.blocks {
            parts.push(match b {
                Block::Para(p) => p.clone(),
                Block::List(items) => items
                    .iter()
                    .map(|i| format!("- {i}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Block::Table(t) => md_table(t),
                Block::Sub(s) => s.markdown(level + 1),
            });
        }
        parts.join("\n\n")
    }
}

/// A Markdown table. A column name starting with `>` is right-aligned.
fn md_table(t: &Table) -> String {
    let names: Vec<&str> = t
        .columns
        .iter()
        .map(|c| c.trim_start_matches(['>', '=']))
        .collect();
    let rule: Vec<&str> = t
        .columns
        .iter()
        .map(|c| if c.starts_with('>') { "---:" } else { "---" })
        .collect();
    let mut lines = vec![
        format!("| {} |", names.join(" | ")),
        format!("| {} |", rule.join(" | ")),
    ];
    lines.extend(
        t.rows
            .iter()
            .map(|r| format!("| {} |", r.cells.join(" | "))),
    );
    lines.join("\n")
}

fn table(class: &'static str, columns: &[&'static str], rows: Vec<Row>) -> Block {
    Block::Table(Table {
        class,
        columns: columns.to_vec(),
        rows,
    })
}

fn para(s: impl Into<String>) -> Block {
    Block::Para(s.into())
}

/// `web (sg-0123)`, or the bare id for a group the inventory does not name;
/// `web (sg-0123, vpc-0a1b)` where the inventory holds several VPCs (copies
/// of one stack name their groups alike).
fn group_label(m: &dyn Markup, inv: &Inventory, id: &str) -> String {
    let vpc = inv
        .group(id)
        .and_then(|g| g.vpc_id.as_deref())
        .filter(|_| inv.vpcs.len() > 1);
    match (inv.group(id), vpc) {
        (Some(g), Some(v)) if !g.name.is_empty() => {
            format!("{} ({}, {})", m.text(&g.name), m.text(id), m.text(v))
        }
        (Some(g), None) if !g.name.is_empty() => format!("{} ({})", m.text(&g.name), m.text(id)),
        (_, Some(v)) => format!("{} ({})", m.text(id), m.text(v)),
        _ => m.text(id),
    }
}

/// A rule key in a code span when it is a plain slug (always, from
/// [`names::rule_keys`]), else escaped text.
fn key_cell(m: &dyn Markup, key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        m.code(key)
    } else {
        m.text(key)
    }
}

/// `10.0.0.1:443` or `[2001:db8::1]:443` for port protocols, the address otherwise.
fn endpoint(m: &dyn Markup, ip: IpAddr, port: u16, proto: u8) -> String {
    match proto {
        TCP | UDP => m.text(&SocketAddr::new(ip, port).to_string()),
        _ => ip.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Sections.

/// Title and the facts a reader needs first.
fn summary_md(a: &Analysis, s: &Summary) -> String {
    let mut lines = vec!["# sgpair report".to_string(), String::new()];
    for (label, value) in s.facts(a) {
        lines.push(format!("- **{label}:** {}.", escape::markdown(&value)));
    }
    lines.join("\n")
}

/// Every section after the summary, in order: what the Markdown holds, and
/// the HTML after its diagram.
pub(crate) fn sections(a: &Analysis, audit: &Audit, s: &Summary, m: &dyn Markup) -> Vec<Section> {
    vec![
        findings(audit, s, m),
        before_after(s),
        rules(a, m),
        external(a, m),
        suspicious(a, m),
        undecided(a, m),
        rejected(a, m),
        evidence_per_source(s, m),
        gaps(a, m),
        existing_rules(audit, m),
        skipped(&a.stats, m),
    ]
}

/// Findings, most severe first, each with its evidence and fix.
fn findings(audit: &Audit, s: &Summary, m: &dyn Markup) -> Section {
    const H: &str = "Findings";
    if audit.findings.is_empty() {
        return Section::new("findings", H, vec![para("None.")]);
    }
    let rows: Vec<Row> = audit
        .findings
        .iter()
        .map(|f| Row {
            attrs: format!(
                " class=\"{}\" data-fingerprint=\"{}\"",
                severity_label(f.severity),
                escape::html(&f.fingerprint)
            ),
            cells: vec![
                m.severity(f.severity),
                format!("{} {}", f.rule_id, f.kind.title()),
                m.text(&f.subject),
                m.text(&f.evidence),
                m.text(&f.fix),
            ],
        })
        .collect();
    Section::new(
        "findings",
        H,
        vec![
            para(format!(
                "{}. Fingerprints in the JSON and SARIF output stay the same from run to run.",
                s.findings
            )),
            table(
                "findings",
                &["=Severity", "Finding", "Subject", "Evidence", "Fix"],
                rows,
            ),
        ],
    )
}

/// Rules today against the proposal.
fn before_after(s: &Summary) -> Section {
    let rows: Vec<Row> = s
        .before_after_rows()
        .into_iter()
        .map(|(label, count)| Row::plain(vec![label.to_string(), count]))
        .collect();
    Section::new(
        "before-after",
        "Before and after",
        vec![
            para(BEFORE_AFTER_NOTE),
            table("before-after", &["", ">Count"], rows),
        ],
    )
}

/// Every existing rule with what it carried.
fn existing_rules(audit: &Audit, m: &dyn Markup) -> Section {
    const H: &str = "Existing rules against the evidence";
    if audit.rules.is_empty() {
        return Section::new(
            "existing-rules",
            H,
            vec![para("The inventory lists no rules.")],
        );
    }
    let rows: Vec<Row> = audit
        .rules
        .iter()
        .map(|r| {
            let ports = match (r.from_port, r.to_port) {
                (Some(f), Some(t)) if f == t => format!("{f}"),
                (Some(f), Some(t)) => format!("{f}-{t}"),
                _ => "all".into(),
            };
            Row::plain(vec![
                format!("{} ({})", m.text(&r.group_name), m.text(&r.group_id)),
                match r.direction {
                    Direction::Ingress => "ingress".into(),
                    Direction::Egress => "egress".into(),
                },
                format!("{} {}", m.text(&r.protocol), ports),
                m.text(&r.peer),
                r.connections.to_string(),
                match (r.first, r.last) {
                    (Some(f), Some(l)) => days(f, l),
                    _ => "-".into(),
                },
                m.text(&r.summary),
                if r.removed {
                    "remove".into()
                } else {
                    "keep".into()
                },
            ])
        })
        .collect();
    Section::new(
        "existing-rules",
        H,
        vec![table(
            "existing",
            &[
                "Group",
                "Direction",
                "Ports",
                "Peer",
                ">Connections",
                "=Seen",
                "Use",
                "After",
            ],
            rows,
        )],
    )
}

/// The rules table, keyed as in `rules.auto.tfvars`.
fn rules(a: &Analysis, m: &dyn Markup) -> Section {
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

/// Connections that need CIDR rules, prefix lists or other controls, per kind.
fn external(a: &Analysis, m: &dyn Markup) -> Section {
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
    }
}

fn external_row(m: &dyn Markup, inv: &Inventory, e: &External) -> Vec<String> {
    let groups: Vec<String> = e
        .local_groups
        .iter()
        .map(|g| group_label(m, inv, g))
        .collect();
    let local = if groups.is_empty() {
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
    vec![
        local,
        if e.local_is_client {
            "outbound".into()
        } else {
            "inbound".into()
        },
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
fn suspicious(a: &Analysis, m: &dyn Markup) -> Section {
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
fn undecided(a: &Analysis, m: &dyn Markup) -> Section {
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
fn rejected(a: &Analysis, m: &dyn Markup) -> Section {
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
fn rejected_by_records(a: &Analysis) -> Vec<&Rejected> {
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

/// What the records of the window span, per source; the interfaces that fell
/// silent before the window's end.
fn evidence_per_source(s: &Summary, m: &dyn Markup) -> Section {
    let fill: &Fill = &s.fill;
    let mut blocks = vec![para(format!(
        "The records of the window, per source (the window is evidence only where they reach): {}.",
        m.text(&s.evidence_span())
    ))];
    if !fill.warnings.is_empty() {
        blocks.push(para("The window is not filled:"));
        blocks.push(Block::List(
            fill.warnings.iter().map(|w| m.text(w)).collect(),
        ));
    }
    let rows: Vec<Row> = fill
        .sources
        .iter()
        .map(|x| {
            Row::plain(vec![
                m.text(&x.source),
                x.streams.to_string(),
                x.records.to_string(),
                x.first.map_or_else(|| "-".into(), rfc3339),
                x.last.map_or_else(|| "-".into(), rfc3339),
            ])
        })
        .collect();
    if !rows.is_empty() {
        blocks.push(table(
            "sources",
            &[
                "Source",
                ">Streams",
                ">Records in the window",
                "=First record starts",
                "=Last record ends",
            ],
            rows,
        ));
    }
    let silent = if fill.silent.is_empty() {
        vec![para(
            "None: every interface with records has one within a day of the window's end.",
        )]
    } else {
        vec![
            para(
                "The last record of these interfaces ends more than a day before the window's end: the host stopped or was replaced, its traffic stopped, or its flow log did. Whatever they did after it is not in the evidence.",
            ),
            table(
                "silent",
                &[
                    "Interface",
                    ">Records in the window",
                    "=First record starts",
                    "=Last record ends",
                ],
                fill.silent
                    .iter()
                    .map(|i| {
                        Row::plain(vec![
                            m.text(&i.interface_id),
                            i.records.to_string(),
                            rfc3339(i.first),
                            rfc3339(i.last),
                        ])
                    })
                    .collect(),
            ),
        ]
    };
    blocks.push(Block::Sub(Section::new(
        "silent",
        "Interfaces that fell silent",
        silent,
    )));
    Section::new("evidence-per-source", "Evidence per source", blocks)
}

/// SKIPDATA: intervals whose records the interface lost.
fn gaps(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Gaps in the evidence";
    let mut blocks = if a.evidence.gaps.is_empty() {
        vec![para("None: no SKIPDATA records.")]
    } else {
        let rows: Vec<Row> = a
            .evidence
            .gaps
            .iter()
            .map(|g| Row::plain(gap_row(m, g)))
            .collect();
        vec![
            para(
                "SKIPDATA records mark capture intervals whose flow records were lost; traffic in them is missing from the evidence, and rules may be missing with it.",
            ),
            table(
                "gaps",
                &["Interface", ">Intervals", "=First", "=Last"],
                rows,
            ),
        ]
    };
    blocks.push(Block::Sub(blind_spots(a, m)));
    blocks.push(Block::Sub(absent(a, m)));
    Section::new("gaps", H, blocks)
}

/// Interfaces the logs show and the inventory lacks, and what resolution
/// could not attribute.
fn absent(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Interfaces missing from the inventory";
    let at = &a.attribution;
    let mut blocks = Vec::new();
    if at.absent.is_empty() {
        blocks.push(para(
            "None: every interface in the logs is in the inventory.",
        ));
    } else {
        let rows: Vec<Row> = at
            .absent
            .iter()
            .map(|x| {
                let peers = x
                    .peers
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                let more = x.peer_count.saturating_sub(x.peers.len());
                let groups = x
                    .groups
                    .iter()
                    .map(|g| group_label(m, &a.inventory, g))
                    .collect::<Vec<_>>()
                    .join(", ");
                Row::plain(vec![
                    m.text(&x.id),
                    match x.why {
                        AbsentWhy::OtherAccount => format!(
                            "another account ({})",
                            m.text(x.account.as_deref().unwrap_or("?"))
                        ),
                        AbsentWhy::OtherVpc => format!(
                            "a VPC not covered ({})",
                            m.text(x.vpc.as_deref().unwrap_or("?"))
                        ),
                        AbsentWhy::Deleted => match x.deleted_at {
                            Some(t) if !groups.is_empty() => {
                                format!("deleted {} (CloudTrail); had {groups}", rfc3339(t))
                            }
                            Some(t) => format!("deleted {} (CloudTrail)", rfc3339(t)),
                            None => "deleted (CloudTrail)".into(),
                        },
                        AbsentWhy::Unknown => "deleted, or newer than the inventory".into(),
                    },
                    x.addresses
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    days(x.first, x.last),
                    x.connections.to_string(),
                    if more > 0 {
                        format!("{peers} and {more} more")
                    } else {
                        peers
                    },
                ])
            })
            .collect();
        let whys: BTreeSet<AbsentWhy> = at.absent.iter().map(|x| x.why).collect();
        blocks.push(para(format!(
            "The flow logs show these interfaces, but the inventory does not hold them: unless the history ({}) gives the groups they had, no rule is proposed for their traffic.",
            m.code("--history")
        )));
        blocks.push(table(
            "absent",
            &[
                "Interface",
                "Why not in the inventory",
                "Addresses",
                "=Seen",
                ">Connections",
                "Talked to",
            ],
            rows,
        ));
        blocks.push(Block::List(
            whys.iter().map(|w| w.advice().to_string()).collect(),
        ));
    }
    if at.ambiguous_connections > 0 {
        blocks.push(para(format!(
            "{} connections have an end whose owner or groups at the time are not known (an address that passed between interfaces, groups that changed during the connection): listed under \"{}\", never turned into rules.",
            at.ambiguous_connections,
            ExternalKind::UnknownOwner.title()
        )));
    }
    if at.through_nat > 0 {
        blocks.push(para(format!(
            "{} connections went through a NAT gateway: they are attributed to the host behind it (its address in the gateway's records), once.",
            at.through_nat
        )));
    }
    Section::new("absent", H, blocks)
}

/// Interfaces that no flow log covers: their traffic cannot be seen at all.
fn blind_spots(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Interfaces without flow logs";
    let blocks = match a.inventory.blind_spots() {
        None => vec![para(format!(
            "Unknown: the inventory lists no flow logs ({} records them).",
            m.code("sgpair inventory")
        ))],
        Some(b) if b.is_empty() => vec![para("None: every interface is covered by a flow log.")],
        Some(b) => {
            let rows: Vec<Row> = b
                .iter()
                .map(|e| {
                    Row::plain(vec![
                        m.text(&e.id),
                        m.text(&e.interface_type),
                        m.text(&e.description),
                    ])
                })
                .collect();
            vec![
                para(
                    "No flow log covers these interfaces (by interface, subnet or VPC), so traffic through them is invisible here; a rule they need may be missing.",
                ),
                table("blind", &["Interface", "Type", "Description"], rows),
            ]
        }
    };
    Section::new("blind-spots", H, blocks)
}

fn gap_row(m: &dyn Markup, g: &Gap) -> Vec<String> {
    vec![
        m.text(&g.interface_id),
        g.intervals.to_string(),
        time_or_unknown(g.first),
        time_or_unknown(g.last),
    ]
}

/// Skip reasons with counts, their first places, and the notes.
fn skipped(stats: &Stats, m: &dyn Markup) -> Section {
    const H: &str = "Skipped records";
    if stats.skipped.is_empty() && stats.notes.is_empty() {
        return Section::new(
            "skipped",
            H,
            vec![para("None: every record was used or rejected.")],
        );
    }
    let mut blocks = Vec::new();
    if stats.skipped.is_empty() {
        blocks.push(para("No record was skipped."));
    } else {
        let rows: Vec<Row> = stats
            .skipped
            .iter()
            .map(|(k, v)| Row::plain(vec![m.text(k), v.to_string()]))
            .collect();
        blocks.push(table("skipped", &["Reason", ">Records"], rows));
    }
    let examples: Vec<String> = stats
        .examples
        .iter()
        .flat_map(|(k, v)| {
            v.iter()
                .map(move |e| format!("{}: {}", m.text(k), m.text(e)))
        })
        .collect();
    if !examples.is_empty() {
        blocks.push(para("Where (first places per reason):"));
        blocks.push(Block::List(examples));
    }
    if !stats.notes.is_empty() {
        blocks.push(para("Notes:"));
        blocks.push(Block::List(stats.notes.iter().map(|n| m.text(n)).collect()));
    }
    Section::new("skipped", H, blocks)
}

// ---------------------------------------------------------------------------
// JSON.

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    summary: Summary<'a>,
    window: JsonWindow,
    rules: Vec<JsonRule<'a>>,
    external: Vec<WithService<'a, External>>,
    suspicious: Vec<WithService<'a, Suspicious>>,
    undecided: &'a [Undecided],
    rejected: Vec<WithService<'a, Rejected>>,
    gaps: &'a [Gap],
    /// What the records of the window span per source, the warnings when
    /// they do not fill it, and the interfaces that fell silent.
    evidence_per_source: Fill,
    /// Interfaces the logs show and the inventory lacks; what resolution merged.
    attribution: &'a Attribution,
    /// Group pairs that allow exactly as much as the chosen ones, and why they lost.
    alternatives: &'a [Alternatives],
    audit: &'a Audit,
    /// Interfaces no flow log covers; null when the inventory lists no flow logs.
    blind_spots: Option<Vec<&'a str>>,
    stats: &'a Stats,
}

#[derive(Serialize)]
struct JsonWindow {
    since: i64,
    until: i64,
    since_rfc3339: String,
    until_rfc3339: String,
    days: f64,
}

#[derive(Serialize)]
struct JsonRule<'a> {
    key: String,
    source_sg: &'a str,
    source_name: Option<&'a str>,
    target_sg: &'a str,
    target_name: Option<&'a str>,
    protocol: String,
    from_port: i32,
    to_port: i32,
    service: String,
    evidence: &'a RuleEvidence,
}

/// An existing record plus its service spelled as in the Markdown.
#[derive(Serialize)]
struct WithService<'a, T: Serialize> {
    #[serde(flatten)]
    item: &'a T,
    service: String,
}

impl<'a> JsonReport<'a> {
    fn of(a: &'a Analysis, audit: &'a Audit) -> Self {
        let w = a.window;
        let summary = Summary::of(a, audit);
        JsonReport {
            format_version: FORMAT_VERSION,
            evidence_per_source: summary.fill.clone(),
            summary,
            window: JsonWindow {
                since: w.since,
                until: w.until,
                since_rfc3339: rfc3339(w.since),
                until_rfc3339: rfc3339(w.until),
                days: w.days(),
            },
            rules: json_rules(a),
            external: a
                .proposal
                .external
                .iter()
                .map(|e| WithService {
                    item: e,
                    service: service::of_port(e.port, e.proto),
                })
                .collect(),
            suspicious: a
                .proposal
                .suspicious
                .iter()
                .map(|s| WithService {
                    item: s,
                    service: service::of_port(s.port, s.proto),
                })
                .collect(),
            undecided: &a.evidence.undecided,
            rejected: rejected_by_records(a)
                .into_iter()
                .map(|r| WithService {
                    item: r,
                    service: service::of_port(r.dstport, r.proto),
                })
                .collect(),
            gaps: &a.evidence.gaps,
            attribution: &a.attribution,
            alternatives: &a.proposal.alternatives,
            audit,
            blind_spots: a
                .inventory
                .blind_spots()
                .map(|b| b.iter().map(|e| e.id.as_str()).collect()),
            stats: &a.stats,
        }
    }
}

fn json_rules(a: &Analysis) -> Vec<JsonRule<'_>> {
    let keys = names::rule_keys(&a.proposal.rules, &a.inventory);
    let name = |id: &str| -> Option<&str> { a.inventory.group(id).map(|g| g.name.as_str()) };
    a.proposal
        .rules
        .iter()
        .zip(keys)
        .map(|(r, key)| JsonRule {
            key,
            source_sg: &r.source_sg,
            source_name: name(&r.source_sg),
            target_sg: &r.target_sg,
            target_name: name(&r.target_sg),
            protocol: names::protocol(r.proto),
            from_port: r.from_port,
            to_port: r.to_port,
            service: service::of_rule(r),
            evidence: &r.evidence,
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::aggregate::{Connection, Evidence, Method};
    use crate::analysis::analyze;
    use crate::endpoint::Endpoint;
    use crate::inventory::{NetworkInterface, PrefixList, SecurityGroup, Vpc};
    use crate::reduce::{ICMP, ICMP_ANY};
    use crate::window::Window;

    /// 2026-11-25T00:00:00Z.
    const UNTIL: i64 = 1_795_564_800;
    const DAY: i64 = 86_400;

    pub(crate) const HOSTILE: &str = "a|b\n<script>alert(1)</script> [x](http://evil) ${x}";

    /// [`super::markdown`] with the audit of `a`, as `main` calls it.
    fn markdown(a: &Analysis) -> String {
        super::markdown(a, &crate::audit::audit(a))
    }

    /// [`super::json`] with the audit of `a`, as `main` calls it.
    fn json(a: &Analysis) -> String {
        super::json(a, &crate::audit::audit(a))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn eni(id: &str, addr: &str, groups: &[&str], kind: &str) -> NetworkInterface {
        NetworkInterface {
            vpc_id: Some("vpc-1".into()),
            interface_type: kind.into(),
            ..NetworkInterface::new(id, vec![ip(addr)], groups)
        }
    }

    fn sg(id: &str, name: &str) -> SecurityGroup {
        SecurityGroup {
            vpc_id: Some("vpc-1".into()),
            ..SecurityGroup::new(id, name)
        }
    }

    /// alb → web on 8080-8081, web → db on 5432, monitoring → db by ICMP; a
    /// transit-gateway interface without groups.
    fn inventory() -> Inventory {
        Inventory {
            format_version: 1,
            vpcs: vec![Vpc {
                id: "vpc-1".into(),
                owner_id: None,
                cidrs: vec!["10.0.0.0/16".parse().unwrap()],
            }],
            prefix_lists: vec![PrefixList {
                id: "pl-63a5400a".into(),
                name: "com.amazonaws.us-east-1.s3".into(),
                cidrs: vec!["52.216.0.0/15".parse().unwrap()],
            }],
            network_interfaces: vec![
                eni("eni-alb", "10.0.0.5", &["sg-alb"], "interface"),
                eni("eni-web1", "10.0.1.10", &["sg-web"], "interface"),
                eni("eni-web2", "10.0.1.11", &["sg-web"], "interface"),
                eni("eni-db", "10.0.2.20", &["sg-db"], "interface"),
                eni("eni-mon", "10.0.3.30", &["sg-mon"], "interface"),
                eni("eni-tgw", "10.0.0.200", &[], "transit_gateway"),
            ],
            security_groups: vec![
                sg("sg-alb", "alb"),
                sg("sg-web", "web"),
                sg("sg-db", "db"),
                sg("sg-mon", "monitoring"),
            ],
            ..Default::default()
        }
    }

    struct C {
        client: &'static str,
        server: &'static str,
        port: u16,
        proto: u8,
        connections: u64,
        method: Method,
    }

    fn c(
        client: &'static str,
        server: &'static str,
        port: u16,
        proto: u8,
        connections: u64,
        method: Method,
    ) -> C {
        C {
            client,
            server,
            port,
            proto,
            connections,
            method,
        }
    }

    fn connection(c: &C, i: i64) -> Connection {
        Connection {
            client: ip(c.client),
            server: ip(c.server),
            port: c.port,
            proto: c.proto,
            connections: c.connections,
            records: c.connections * 2,
            bytes: c.connections * 1_500 + 7,
            packets: c.connections * 4,
            first: UNTIL - 7 * DAY + 3_600 + i * 997,
            last: UNTIL - DAY * (i % 3 + 1),
            method: c.method,
            logged_at: vec![],
            client_end: Endpoint::Unresolved,
            server_end: Endpoint::Unresolved,
            via: None,
            vpc: None,
            account: None,
        }
    }

    fn connections() -> Vec<Connection> {
        use Method::*;
        let list = [
            // Rules.
            c("10.0.0.5", "10.0.1.10", 8080, TCP, 40, TcpFlags),
            c("10.0.0.5", "10.0.1.11", 8080, TCP, 35, FanIn),
            c("10.0.0.5", "10.0.1.10", 8081, TCP, 5, TcpFlags),
            c("10.0.1.10", "10.0.2.20", 5432, TCP, 100, KnownService),
            c("10.0.1.11", "10.0.2.20", 5432, TCP, 80, TcpFlags),
            c("10.0.3.30", "10.0.2.20", ICMP_ANY, ICMP, 12, OneWay),
            // Other controls.
            c("10.0.1.10", "93.184.216.34", 443, TCP, 9, TcpFlags),
            c("198.51.100.7", "10.0.0.5", 443, TCP, 700, FanIn),
            c("203.0.113.50", "10.0.0.5", 443, TCP, 300, FanIn),
            c("10.0.1.10", "52.216.10.1", 443, TCP, 3, TcpFlags),
            c("10.0.1.10", "10.0.9.9", 5432, TCP, 2, PortRange),
            c("10.0.2.20", "192.168.1.10", 9000, TCP, 1, TcpFlags),
            c("10.0.1.10", "10.0.0.200", 8443, TCP, 6, TcpFlags),
            // Suspicious, one of them between two grouped interfaces.
            c("10.0.1.11", "203.0.113.9", 6667, TCP, 2, TcpFlags),
            c("10.0.1.10", "10.0.2.20", 6667, TCP, 1, TcpFlags),
            c("198.51.100.7", "10.0.1.10", 22, TCP, 4, TcpFlags),
            c("10.0.1.10", "8.8.8.8", 53, UDP, 20, PortRange),
        ];
        list.iter()
            .enumerate()
            .map(|(i, x)| connection(x, i as i64))
            .collect()
    }

    fn undecided(a: &str, a_port: u16, b: &str, b_port: u16, proto: u8) -> Undecided {
        Undecided {
            a: ip(a),
            a_port,
            b: ip(b),
            b_port,
            proto,
            records: 4,
            bytes: 2_048,
            first: UNTIL - 3 * DAY,
            last: UNTIL - 2 * DAY,
        }
    }

    fn rejected(
        dst: &str,
        port: u16,
        records: u64,
        sources: &[&str],
        reasons: &[&str],
    ) -> Rejected {
        Rejected {
            dst: ip(dst),
            dstport: port,
            proto: TCP,
            records,
            distinct_sources: sources.len() * 5,
            sources: sources.iter().map(|s| ip(s)).collect(),
            first: UNTIL - 6 * DAY,
            last: UNTIL - DAY / 2,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn evidence() -> Evidence {
        Evidence {
            connections: connections(),
            undecided: vec![
                undecided("10.0.1.10", 40_000, "10.0.2.20", 50_000, UDP),
                undecided("10.0.3.30", 0, "10.0.1.11", 0, 47),
                undecided("2600:1f18::10", 5_000, "2600:1f18::20", 6_000, UDP),
            ],
            // Deliberately not sorted: the report sorts by records.
            rejected: vec![
                rejected("10.0.2.20", 5432, 15, &["10.0.1.12"], &["BPA"]),
                rejected(
                    "10.0.0.5",
                    22,
                    40,
                    &["45.1.1.1", "45.1.1.2", "45.1.1.3", "45.1.1.4", "45.1.1.5"],
                    &[],
                ),
                rejected("10.0.1.10", 3389, 5, &["45.9.9.9"], &[]),
            ],
            gaps: vec![
                Gap {
                    interface_id: "eni-db".into(),
                    intervals: 1,
                    first: None,
                    last: None,
                },
                Gap {
                    interface_id: "eni-web1".into(),
                    intervals: 3,
                    first: Some(UNTIL - 4 * DAY),
                    last: Some(UNTIL - 4 * DAY + 1_800),
                },
            ],
            held: Vec::new(),
            aws_services: BTreeMap::new(),
        }
    }

    fn stats() -> Stats {
        let mut s = Stats {
            files: 2,
            records: 1_000,
            used: 900,
            rejected: 60,
            ..Default::default()
        };
        for _ in 0..20 {
            s.skip("nodata");
        }
        for _ in 0..15 {
            s.skip("outside the window");
        }
        for _ in 0..3 {
            s.skip("skipdata");
        }
        s.skip_at("bad port", "flows/a.log.gz", 17, "srcport is \"70000\"");
        s.skip_at("bad port", "flows/a.log.gz", 42, "dstport is \"x\"");
        s.notes.push(
            "flows/b.log: no header line and no --log-format: the default v2 format was assumed"
                .into(),
        );
        s
    }

    /// Three rules, every kind of external traffic, suspicious flows and
    /// findings: shared with the HTML and SARIF tests.
    pub(crate) fn fixture() -> Analysis {
        let window = Window {
            since: UNTIL - 7 * DAY,
            until: UNTIL,
        };
        analyze(window, stats(), evidence(), inventory())
    }

    /// Lines of consecutive table rows, per table, in document order.
    fn tables(md: &str) -> Vec<Vec<&str>> {
        let mut out: Vec<Vec<&str>> = Vec::new();
        let mut in_table = false;
        for line in md.lines() {
            if line.starts_with('|') {
                if !in_table {
                    out.push(Vec::new());
                }
                out.last_mut().unwrap().push(line);
                in_table = true;
            } else {
                in_table = false;
            }
        }
        out
    }

    /// `|` not escaped by an odd run of backslashes.
    fn unescaped_pipes(line: &str) -> usize {
        let mut n = 0;
        let mut backslashes = 0;
        for ch in line.chars() {
            if ch == '|' && backslashes % 2 == 0 {
                n += 1;
            }
            backslashes = if ch == '\\' { backslashes + 1 } else { 0 };
        }
        n
    }

    /// The table under a `## ` heading.
    fn section_table<'a>(md: &'a str, heading: &str) -> Vec<&'a str> {
        let start = md.find(heading).expect("heading present");
        let rest = &md[start + heading.len()..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        tables(&rest[..end]).into_iter().next().unwrap_or_default()
    }

    #[test]
    fn the_fixture_exercises_every_section() {
        let a = fixture();
        assert_eq!(a.proposal.rules.len(), 3);
        let kinds: BTreeSet<ExternalKind> = a.proposal.external.iter().map(|e| e.kind).collect();
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        assert_eq!(a.proposal.suspicious.len(), 4);
        assert!(a.proposal.optimal);
    }

    #[test]
    fn markdown_snapshot() {
        insta::assert_snapshot!(markdown(&fixture()));
    }

    #[test]
    fn json_snapshot() {
        insta::assert_snapshot!(json(&fixture()));
    }

    #[test]
    fn two_renders_are_byte_identical() {
        let (a, b) = (fixture(), fixture());
        assert_eq!(markdown(&a).as_bytes(), markdown(&b).as_bytes());
        assert_eq!(json(&a).as_bytes(), json(&b).as_bytes());
        assert_eq!(markdown(&a), markdown(&a));
    }

    #[test]
    fn sections_come_in_order_with_keys_matching_the_tfvars() {
        let a = fixture();
        let md = markdown(&a);
        let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
        assert_eq!(
            headings,
            vec![
                "## Findings",
                "## Before and after",
                "## Proposed rules",
                "## Traffic that cannot be a security-group rule",
                "## Suspicious traffic (never turned into rules)",
                "## Undecided initiator",
                "## Rejected traffic",
                "## Evidence per source",
                "## Gaps in the evidence",
                "## Existing rules against the evidence",
                "## Skipped records",
            ]
        );
        let rows = section_table(&md, "## Proposed rules");
        for (key, row) in names::rule_keys(&a.proposal.rules, &a.inventory)
            .iter()
            .zip(&rows[2..])
        {
            assert!(row.starts_with(&format!("| `{key}` |")), "{row}");
        }
        // The busiest rejected service comes first, whatever the input order.
        let rejected = section_table(&md, "## Rejected traffic");
        assert!(
            rejected[2].starts_with("| 10.0.0.5 | 22/tcp | 40 |"),
            "{}",
            rejected[2]
        );
    }

    #[test]
    fn hostile_strings_cannot_break_tables_or_inject_html() {
        let mut a = fixture();
        let web = a
            .inventory
            .security_groups
            .iter_mut()
            .find(|g| g.id == "sg-web")
            .unwrap();
        web.name = HOSTILE.into();
        a.stats.notes.push(HOSTILE.into());
        a.stats.skip_at(HOSTILE, HOSTILE, 1, HOSTILE);
        a.evidence.rejected[0].reasons.push(HOSTILE.into());
        a.evidence.gaps[0].interface_id = HOSTILE.into();
        a.proposal.suspicious[0].client_label = HOSTILE.into();
        a.proposal.external[0].local = HOSTILE.into();

        let md = markdown(&a);
        assert!(!md.contains("<script>"), "{md}");
        assert!(!md.contains("[x]("), "a live link: {md}");
        assert!(md.contains("&lt;script&gt;"));

        let rules = section_table(&md, "## Proposed rules");
        assert_eq!(rules.len(), 2 + a.proposal.rules.len(), "{rules:#?}");
        assert!(rules.iter().any(|r| r.contains("a\\|b &lt;script&gt;")));
        let header = unescaped_pipes(rules[0]);
        for row in &rules {
            assert_eq!(unescaped_pipes(row), header, "{row}");
        }
        // Every other table too: as many cells in each row as in its header.
        for t in tables(&md) {
            let header = unescaped_pipes(t[0]);
            for row in &t {
                assert_eq!(unescaped_pipes(row), header, "{row}");
            }
        }

        let v: serde_json::Value = serde_json::from_str(&json(&a)).unwrap();
        let names: Vec<&str> = v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| [&r["source_name"], &r["target_name"]])
            .filter_map(|n| n.as_str())
            .collect();
        assert!(names.contains(&HOSTILE), "{names:?}");
        assert_eq!(v["stats"]["notes"][1], HOSTILE);
    }

    #[test]
    fn coverage_is_computed_from_the_data() {
        // The audit counts both sides; the Markdown, the JSON and the HTML say them.
        let coverage = |a: &Analysis| {
            let audit = crate::audit::audit(a);
            let b = &audit.before_after;
            let percent = Summary::of(a, &audit).coverage_percent;
            (b.covered_by_proposal, b.grouped_connections, percent)
        };
        let html = |a: &Analysis| {
            crate::emit::html::render(a, &crate::audit::audit(a), crate::emit::Command::Infer)
        };
        let mut a = fixture();
        // 40 + 35 + 5 (alb → web), 100 + 80 (web → db), 12 (monitoring → db);
        // the suspicious web → db on 6667 is not counted.
        assert_eq!(coverage(&a), (272, 272, Some(100.0)));
        assert!(markdown(&a).contains("cover 100.0% (272 of 272)"));
        assert!(html(&a).contains("<dd>the rules cover 100.0% (272 of 272) of the connections"));

        // Without the ICMP rule, its 12 connections are uncovered.
        a.proposal.rules.retain(|r| r.proto != ICMP);
        assert_eq!(a.proposal.rules.len(), 2);
        let (covered, grouped, percent) = coverage(&a);
        assert_eq!((covered, grouped), (260, 272));
        assert!((percent.unwrap() - 260.0 * 100.0 / 272.0).abs() < 1e-9);
        assert!(markdown(&a).contains("cover 95.6% (260 of 272)"));
        assert!(html(&a).contains("<dd>the rules cover 95.6% (260 of 272) of the connections"));

        // A grouped connection no rule covers raises the denominator.
        let mut extra = connection(&c_("10.0.3.30", "10.0.1.10", 9100, TCP, 28), 0);
        {
            let r = crate::resolve::Resolver::new(&a.inventory, &a.evidence);
            extra.client_end = r.resolve(extra.client);
            extra.server_end = r.resolve(extra.server);
        }
        a.evidence.connections.push(extra);
        assert_eq!(coverage(&a).1, 300);
        let v: serde_json::Value = serde_json::from_str(&json(&a)).unwrap();
        assert_eq!(v["summary"]["coverage"]["grouped"], 300);
        assert_eq!(v["summary"]["coverage"]["covered"], 260);
        // The same counts as the audit's before/after, in the same JSON.
        let b = &v["audit"]["before_after"];
        assert_eq!(b["grouped_connections"], 300);
        assert_eq!(b["covered_by_proposal"], 260);

        // Nothing grouped: no percentage at all.
        a.evidence.connections.clear();
        a.proposal.rules.clear();
        assert_eq!(coverage(&a), (0, 0, None));
        assert!(markdown(&a).contains("no connection between two interfaces"));
        assert!(html(&a).contains("<dd>no connection between two interfaces"));
        assert!(json(&a).contains("\"coverage_percent\": null"));
    }

    fn c_(client: &'static str, server: &'static str, port: u16, proto: u8, n: u64) -> C {
        c(client, server, port, proto, n, Method::TcpFlags)
    }

    #[test]
    fn json_is_versioned_and_machine_readable() {
        let a = fixture();
        let v: serde_json::Value = serde_json::from_str(&json(&a)).unwrap();
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["window"]["since_rfc3339"], "2026-11-18T00:00:00Z");
        assert_eq!(v["window"]["until"], UNTIL);
        assert_eq!(v["rules"].as_array().unwrap().len(), 3);
        let keys = names::rule_keys(&a.proposal.rules, &a.inventory);
        assert_eq!(v["rules"][0]["key"], keys[0].as_str());
        assert_eq!(v["rules"][0]["protocol"], "tcp");
        assert_eq!(v["summary"]["suspicious"], 4);
        assert_eq!(v["summary"]["undecided"], 3);
        assert_eq!(v["summary"]["optimal"], true);
        assert_eq!(v["external"][0]["service"], "443/tcp");
        // Same order as the Markdown table: most rejected records first.
        assert_eq!(v["rejected"][0]["records"], 40);
        assert_eq!(v["rejected"][0]["service"], "22/tcp");
        assert!(json(&a).ends_with("}\n"));
    }

    #[test]
    fn a_short_window_and_empty_sections_are_said_in_one_line() {
        let a = analyze(
            Window {
                since: UNTIL - 2 * DAY,
                until: UNTIL,
            },
            Stats::default(),
            Evidence::default(),
            Inventory::default(),
        );
        let md = markdown(&a);
        assert!(md.contains("(2.0 days, end exclusive)"), "{md}");
        assert!(md.contains("**Short window:**"), "{md}");
        assert!(
            md.contains("## Proposed rules\n\nNo rules proposed.\n"),
            "{md}"
        );
        assert!(md.contains("## Suspicious traffic (never turned into rules)\n\nNone found.\n"));
        assert!(md.contains("## Skipped records\n\nNone"));
        // Only the findings (the short window itself) and the before/after counts.
        assert_eq!(tables(&md).len(), 2, "{md}");
        assert!(md.contains("SGP010 Window too short to trust"), "{md}");
        assert!(!markdown(&fixture()).contains("Short window"));
    }

    #[test]
    fn the_undecided_list_stops_at_fifty_rows() {
        let mut a = fixture();
        a.evidence.undecided = (0..53)
            .map(|i| undecided("10.0.1.10", 40_000 + i, "10.0.2.20", 50_000, UDP))
            .collect();
        let md = markdown(&a);
        let t = section_table(&md, "## Undecided initiator");
        assert_eq!(t.len(), 2 + 50);
        assert!(md.contains("\n\nand 3 more.\n"), "{md}");
    }

    #[test]
    fn small_formats() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(
            endpoint(&Md, ip("2600:1f18::1"), 443, TCP),
            "\\[2600:1f18::1\\]:443"
        );
        assert_eq!(days(UNTIL, UNTIL + 60), "2026-11-25");
        // Ends are exclusive: an interval that ends at midnight ends the day before.
        assert_eq!(days(UNTIL - DAY, UNTIL), "2026-11-24");
        assert_eq!(days(UNTIL - DAY, UNTIL + 1), "2026-11-24..2026-11-25");
        assert_eq!(start_days(UNTIL - DAY, UNTIL), "2026-11-24..2026-11-25");
    }
}
