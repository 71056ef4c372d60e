//! The audit as one self-contained HTML page: summary, a diagram of the
//! proposed rules, the findings, the before/after counts and the rules.
//!
//! The page loads nothing: CSS and the small hover script are inline, the
//! diagram is an inline SVG laid out here, and a Content-Security-Policy
//! forbids every fetch, so it works offline and leaks nothing when opened.
//! Like the other reports it is a pure function of the [`Analysis`] and its
//! [`Audit`]: the same input gives byte-identical output.
//!
//! Every string from AWS or the logs (names, ids, subjects, evidence) goes
//! through [`escape::html`], in text and in attribute values alike; the
//! script reads the page, it never builds markup from data.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::audit::Audit;
use crate::emit::escape;
use crate::emit::names;
use crate::emit::report;
use crate::emit::summary::{BEFORE_AFTER_NOTE, Summary};
use crate::inventory::Inventory;
use crate::pipeline::Analysis;
use crate::synthesize::{ExternalKind, Severity};
use crate::window::{day, rfc3339};

/// The hover script. Its SHA-256 is [`SCRIPT_SHA256`]: the page's CSP allows
/// this script and no other. After an edit, `tests/html.rs` fails with the
/// hash Chromium expects (or: `printf %s "$SCRIPT" | openssl dgst -sha256
/// -binary | base64`).
const SCRIPT: &str = include_str!("html.js");
const SCRIPT_SHA256: &str = "toKHR9ZApGwYR1hRVvCkBH9Dxk5MHg30q9PTyWMEIec=";

const STYLE: &str = include_str!("html.css");

/// The whole page. `audit` is [`crate::audit::audit`] of `a`.
pub fn render(a: &Analysis, audit: &Audit) -> String {
    let s = Summary::of(a, audit);
    let keys = names::rule_keys(&a.proposal.rules, &a.inventory);
    let range = format!("{}..{}", day(a.window.since), day(a.window.until));
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{SCRIPT_SHA256}'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"sgpair {}\">\n\
         <title>sgpair audit, {range}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = write!(
        out,
        "<header>\n<h1>sgpair audit</h1>\n<p class=\"sub\">Least-privilege, mutual security-group rules from VPC Flow Logs, and today's rules against the evidence. {range}.</p>\n</header>\n<main>\n"
    );
    out.push_str(&summary(a, &s));
    out.push_str(&diagram_section(a, &keys));
    out.push_str(&findings(audit, &s));
    out.push_str(&before_after(&s));
    out.push_str(&rules(a, &keys));
    let _ = write!(
        out,
        "</main>\n<footer>Written by sgpair {}. This page is self-contained: it loads nothing from the network.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

// ---------------------------------------------------------------------------
// Helpers.

fn esc(s: &str) -> String {
    escape::html(s)
}

/// `<b>web</b> <code>sg-0123</code>`, or the id alone for a group without a name.
fn group_label(inv: &Inventory, id: &str) -> String {
    match inv.group(id) {
        Some(g) if !g.name.is_empty() => {
            format!(
                "<span class=\"sg\"><b>{}</b> <code>{}</code></span>",
                esc(&g.name),
                esc(id)
            )
        }
        _ => format!("<code>{}</code>", esc(id)),
    }
}

fn severity_badge(s: Severity) -> String {
    let l = report::severity_label(s);
    format!("<span class=\"sev {l}\">{l}</span>")
}

/// A table. A column name starting with `>` is numbers (right-aligned), with
/// `=` short values kept on one line. Cells are markup already (escaped by
/// the caller); the first string of a row goes into its `<tr>` (attributes).
fn table(class: &str, columns: &[&'static str], rows: &[(String, Vec<String>)]) -> String {
    let split = |c: &'static str| -> (&'static str, &'static str) {
        if let Some(name) = c.strip_prefix('>') {
            (" class=\"num\"", name)
        } else if let Some(name) = c.strip_prefix('=') {
            (" class=\"nowrap\"", name)
        } else {
            ("", c)
        }
    };
    let cols: Vec<(&str, &str)> = columns.iter().map(|c| split(c)).collect();
    let mut out = format!("<div class=\"scroll\"><table class=\"{class}\">\n<thead><tr>");
    for (attr, name) in &cols {
        let _ = write!(out, "<th{attr}>{name}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (attrs, cells) in rows {
        let _ = write!(out, "<tr{attrs}>");
        for ((attr, _), cell) in cols.iter().zip(cells) {
            let _ = write!(out, "<td{attr}>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
    out
}

// ---------------------------------------------------------------------------
// Sections.

fn summary(a: &Analysis, s: &Summary) -> String {
    let mut out =
        String::from("<section id=\"summary\">\n<h2>Summary</h2>\n<dl class=\"facts\">\n");
    let mut fact = |k: &str, v: String| {
        let _ = writeln!(out, "<dt>{k}</dt><dd>{v}</dd>");
    };
    fact(
        "Window",
        format!(
            "{} to {} ({:.1} days)",
            rfc3339(a.window.since),
            rfc3339(a.window.until),
            s.window_days
        ),
    );
    fact("Records", esc(&a.stats.summary()));
    fact(
        "Connections observed",
        format!(
            "{} in {} client/server/service aggregates",
            s.connections, s.aggregates
        ),
    );
    fact(
        "Rules proposed",
        format!(
            "{} mutual rules (each one egress and one ingress rule in AWS)",
            s.rules
        ),
    );
    fact("Coverage", s.coverage());
    let f = s.findings;
    fact(
        "Findings",
        format!(
            "<span class=\"sev high\">{} high</span> <span class=\"sev medium\">{} medium</span> <span class=\"sev low\">{} low</span>",
            f.high, f.medium, f.low
        ),
    );
    out.push_str("</dl>\n");
    if s.short_window {
        out.push_str("<p class=\"warn\">Short window: under 7 days of logs. Rare traffic (weekly jobs, backups, failovers) may be missing, and so would the rules it needs.</p>\n");
    }
    out.push_str("</section>\n");
    out
}

fn diagram_section(a: &Analysis, keys: &[String]) -> String {
    format!(
        "<section id=\"diagram\">\n<h2>Proposed rules</h2>\n<p class=\"note\">One box per security group in a proposed rule, one arrow per rule: from the group whose members open the connection to the group that serves it, labelled with the service. A loop is a rule within one group. Dashed grey: traffic to or from the internet and AWS services, which no group-to-group rule can express. Hover over a group or a row of the rules table to pick out its rules.</p>\n<div class=\"diagram\">\n{}</div>\n</section>\n",
        diagram(a, keys)
    )
}

fn findings(audit: &Audit, s: &Summary) -> String {
    const H: &str = "<section id=\"findings\">\n<h2>Findings</h2>\n";
    if audit.findings.is_empty() {
        return format!("{H}<p>None.</p>\n</section>\n");
    }
    let rows: Vec<(String, Vec<String>)> = audit
        .findings
        .iter()
        .map(|f| {
            (
                format!(
                    " class=\"{}\" data-fingerprint=\"{}\"",
                    report::severity_label(f.severity),
                    esc(&f.fingerprint)
                ),
                vec![
                    severity_badge(f.severity),
                    format!("<code>{}</code> {}", f.rule_id, esc(f.kind.title())),
                    esc(&f.subject),
                    esc(&f.evidence),
                    esc(&f.fix),
                ],
            )
        })
        .collect();
    format!(
        "{H}<p>{}, most severe first. Fingerprints (in the JSON and SARIF output) stay the same from run to run.</p>\n{}</section>\n",
        s.findings,
        table(
            "findings",
            &["=Severity", "Finding", "Subject", "Evidence", "Fix"],
            &rows
        )
    )
}

fn before_after(s: &Summary) -> String {
    let rows: Vec<(String, Vec<String>)> = s
        .before_after_rows()
        .into_iter()
        .map(|(label, count)| (String::new(), vec![label.to_string(), count]))
        .collect();
    format!(
        "<section id=\"before-after\">\n<h2>Before and after</h2>\n<p>{BEFORE_AFTER_NOTE}</p>\n{}</section>\n",
        table("before-after", &["", ">Count"], &rows)
    )
}

fn rules(a: &Analysis, keys: &[String]) -> String {
    const H: &str = "<section id=\"rules\">\n<h2>Proposed rules, in detail</h2>\n";
    if a.proposal.rules.is_empty() {
        return format!("{H}<p>No rules proposed.</p>\n</section>\n");
    }
    let inv = &a.inventory;
    let rows: Vec<(String, Vec<String>)> = a
        .proposal
        .rules
        .iter()
        .zip(keys)
        .map(|(r, k)| {
            let e = &r.evidence;
            (
                format!(" data-key=\"{}\"", esc(k)),
                vec![
                    format!("<code>{}</code>", esc(k)),
                    group_label(inv, &r.source_sg),
                    group_label(inv, &r.target_sg),
                    esc(&names::service(r)),
                    e.connections.to_string(),
                    report::human_bytes(e.bytes),
                    report::days(e.first, e.last),
                    e.client_enis.len().to_string(),
                    e.server_enis.len().to_string(),
                    format!("{} of {}", e.observed_pairs, e.allowed_pairs),
                    esc(&report::methods(e)),
                ],
            )
        })
        .collect();
    format!(
        "{H}<p>Keys as in <code>rules.auto.tfvars</code>. Each rule lets members of the source group reach members of the target group on the service. \"Pairs\": interface pairs seen talking, of those the rule allows.</p>\n{}</section>\n",
        table(
            "rules",
            &[
                "Key",
                "Source group",
                "Target group",
                "=Service",
                ">Connections",
                ">Bytes",
                "=Seen",
                ">Client ENIs",
                ">Server ENIs",
                ">Pairs",
                "Initiator decided by",
            ],
            &rows
        )
    )
}

// ---------------------------------------------------------------------------
// The diagram.

const NODE_W: f64 = 190.0;
const NODE_H: f64 = 50.0;
/// Horizontal room between two columns of boxes: edge labels live there.
const COL_GAP: f64 = 150.0;
const ROW_H: f64 = 92.0;
const MARGIN: f64 = 24.0;
/// Room right of the last column for loops and their labels.
const LOOP_ROOM: f64 = 110.0;
/// Distance between parallel edges of one pair of groups.
const SPREAD: f64 = 30.0;
/// Characters of a group name shown in its box (the full name is its tooltip).
const NAME_CHARS: usize = 22;
/// Bends tried for an edge that would cross a box: ± this many steps of this size.
const BEND_STEPS: usize = 24;
const BEND_STEP: f64 = 10.0;
/// Services listed on an external edge before "+N".
const EXTERNAL_SERVICES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Pt {
    x: f64,
    y: f64,
}

impl Pt {
    fn add(self, o: Pt, k: f64) -> Pt {
        Pt {
            x: self.x + o.x * k,
            y: self.y + o.y * k,
        }
    }
}

/// One box: a security group or an external destination.
struct Node {
    /// `data-node`: the group id, or `internet-in`, `internet-out`, `aws`.
    key: String,
    /// Set for security groups.
    sg: Option<String>,
    name: String,
    sub: String,
    tooltip: String,
    col: usize,
    at: Pt,
}

/// An arrow between two boxes (indices into the node list).
struct Edge {
    from: usize,
    to: usize,
    /// `data-rule` for a proposed rule; `None` for external traffic.
    rule: Option<String>,
    label: String,
    tooltip: String,
    width: f64,
}

/// Longest-path layers of a directed graph; cycles are broken at the edges a
/// depth-first search (in index order) finds going back. Self-loops ignored.
fn layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut adj: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for &(s, t) in edges {
        if s != t {
            adj[s].insert(t);
        }
    }
    // 0 new, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let mut post = Vec::with_capacity(n);
    let mut dag: Vec<Vec<usize>> = vec![Vec::new(); n];
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        // Iterative DFS: (node, successors not yet looked at).
        let mut stack: Vec<(usize, Vec<usize>)> =
            vec![(root, adj[root].iter().rev().copied().collect())];
        state[root] = 1;
        while let Some((u, rest)) = stack.last_mut() {
            let u = *u;
            match rest.pop() {
                Some(v) => match state[v] {
                    0 => {
                        dag[u].push(v);
                        state[v] = 1;
                        stack.push((v, adj[v].iter().rev().copied().collect()));
                    }
                    2 => dag[u].push(v),
                    _ => {} // back edge: dropped
                },
                None => {
                    state[u] = 2;
                    post.push(u);
                    stack.pop();
                }
            }
        }
    }
    let mut layer = vec![0usize; n];
    for &u in post.iter().rev() {
        for &v in &dag[u] {
            layer[v] = layer[v].max(layer[u] + 1);
        }
    }
    layer
}

/// Orders the boxes of each column to reduce crossings: one sweep by the mean
/// position of predecessors, one back by successors. Ties keep name order.
fn order_columns(cols: &mut [Vec<usize>], edges: &[(usize, usize)], n: usize) {
    let centred = |cols: &[Vec<usize>]| {
        let mut pos = vec![0.0f64; n];
        for c in cols {
            let mid = (c.len() as f64 - 1.0) / 2.0;
            for (i, &v) in c.iter().enumerate() {
                pos[v] = i as f64 - mid;
            }
        }
        pos
    };
    let col_of = {
        let mut col = vec![0usize; n];
        for (ci, c) in cols.iter().enumerate() {
            for &v in c {
                col[v] = ci;
            }
        }
        col
    };
    for downward in [true, false] {
        let idx: Vec<usize> = if downward {
            (1..cols.len()).collect()
        } else {
            (0..cols.len().saturating_sub(1)).rev().collect()
        };
        for ci in idx {
            let pos = centred(cols);
            let key = |v: usize| -> f64 {
                let near: Vec<f64> = edges
                    .iter()
                    .filter_map(|&(s, t)| {
                        let other = if downward {
                            (t == v && col_of[s] < ci).then_some(s)
                        } else {
                            (s == v && col_of[t] > ci).then_some(t)
                        };
                        other.map(|o| pos[o])
                    })
                    .collect();
                if near.is_empty() {
                    pos[v]
                } else {
                    near.iter().sum::<f64>() / near.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize)> = cols[ci].iter().map(|&v| (key(v), v)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            cols[ci] = keyed.into_iter().map(|(_, v)| v).collect();
        }
    }
}

/// Where the ray from a box's centre towards `toward` leaves the box.
fn boundary(c: Pt, toward: Pt) -> Pt {
    let (dx, dy) = (toward.x - c.x, toward.y - c.y);
    let (hw, hh) = (NODE_W / 2.0 + 2.0, NODE_H / 2.0 + 2.0);
    let tx = if dx == 0.0 {
        f64::INFINITY
    } else {
        hw / dx.abs()
    };
    let ty = if dy == 0.0 {
        f64::INFINITY
    } else {
        hh / dy.abs()
    };
    let t = tx.min(ty);
    if !t.is_finite() {
        return c;
    }
    Pt {
        x: c.x + dx * t,
        y: c.y + dy * t,
    }
}

/// The quadratic curve from box `s` to box `t` bent by `bend` along `normal`:
/// (start, control, end).
fn curve(s: Pt, t: Pt, normal: Pt, bend: f64) -> (Pt, Pt, Pt) {
    let mid = Pt {
        x: (s.x + t.x) / 2.0,
        y: (s.y + t.y) / 2.0,
    };
    let c = mid.add(normal, bend);
    let start = boundary(s, if c == s { t } else { c });
    let end = boundary(t, if c == t { s } else { c });
    (start, c, end)
}

fn quad(p0: Pt, c: Pt, p1: Pt, t: f64) -> Pt {
    let u = 1.0 - t;
    Pt {
        x: u * u * p0.x + 2.0 * u * t * c.x + t * t * p1.x,
        y: u * u * p0.y + 2.0 * u * t * c.y + t * t * p1.y,
    }
}

/// Whether the curve passes through a box other than its two ends.
fn hits_other_box(p0: Pt, c: Pt, p1: Pt, nodes: &[Node], ends: (usize, usize)) -> bool {
    (1..20).any(|i| {
        let p = quad(p0, c, p1, i as f64 / 20.0);
        nodes.iter().enumerate().any(|(k, n)| {
            k != ends.0
                && k != ends.1
                && (p.x - n.at.x).abs() < NODE_W / 2.0 + 6.0
                && (p.y - n.at.y).abs() < NODE_H / 2.0 + 6.0
        })
    })
}

/// Roughly half the width of a label at 12px.
fn label_half_width(label: &str) -> f64 {
    label.chars().count() as f64 * 3.6 + 4.0
}

/// A point of the curve for its label (`half_width` wide each way): near
/// the middle, off the boxes and off the labels `placed` so far. (The middle
/// of an edge that spans two columns is in the column between.)
fn label_spot(curve: (Pt, Pt, Pt), nodes: &[Node], placed: &[(Pt, f64)], half_width: f64) -> Pt {
    const TRIES: [f64; 11] = [
        0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.12, 0.88,
    ];
    let (p0, c, p1) = curve;
    TRIES
        .iter()
        .map(|&t| quad(p0, c, p1, t))
        .find(|p| {
            nodes.iter().all(|n| {
                (p.x - n.at.x).abs() > NODE_W / 2.0 + half_width
                    || (p.y - n.at.y).abs() > NODE_H / 2.0 + 10.0
            }) && placed
                .iter()
                .all(|(q, w)| (p.x - q.x).abs() > half_width + w + 4.0 || (p.y - q.y).abs() > 15.0)
        })
        .unwrap_or_else(|| quad(p0, c, p1, 0.5))
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// Boxes and arrows: groups in layers (clients left, servers right), the
/// internet inbound in a column on the left, internet outbound and AWS
/// services in a column on the right.
fn layout(a: &Analysis, keys: &[String]) -> (Vec<Node>, Vec<Edge>) {
    let inv = &a.inventory;
    let rules = &a.proposal.rules;
    // Groups in the rules, in name order.
    let ids: BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| [r.source_sg.as_str(), r.target_sg.as_str()])
        .collect();
    let name_of = |id: &str| inv.group(id).map(|g| g.name.clone()).unwrap_or_default();
    let mut groups: Vec<&str> = ids.into_iter().collect();
    groups.sort_by_key(|id| (name_of(id).to_lowercase(), id.to_string()));
    let index: BTreeMap<&str, usize> = groups.iter().enumerate().map(|(i, g)| (*g, i)).collect();
    let rule_edges: Vec<(usize, usize)> = rules
        .iter()
        .map(|r| (index[r.source_sg.as_str()], index[r.target_sg.as_str()]))
        .collect();
    let layer = layers(groups.len(), &rule_edges);

    // External traffic of the groups in the diagram: (node key, group, inbound) → services.
    let mut external: BTreeMap<(&str, usize, bool), (BTreeSet<String>, u64)> = BTreeMap::new();
    for e in &a.proposal.external {
        let node = match e.kind {
            ExternalKind::InternetIngress => "internet-in",
            ExternalKind::InternetEgress => "internet-out",
            ExternalKind::AwsService => "aws",
            _ => continue,
        };
        for g in &e.local_groups {
            if let Some(&gi) = index.get(g.as_str()) {
                let x = external.entry((node, gi, !e.local_is_client)).or_default();
                x.0.insert(report::service(e.port, e.proto));
                x.1 += e.connections;
            }
        }
    }
    let ext_used: BTreeSet<&str> = external.keys().map(|k| k.0).collect();
    let left = usize::from(ext_used.contains("internet-in"));
    let group_cols = layer.iter().max().map_or(0, |m| m + 1);
    let right_col = left + group_cols;

    let mut nodes: Vec<Node> = groups
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let name = name_of(id);
            let members = inv
                .network_interfaces
                .iter()
                .filter(|e| e.security_groups.iter().any(|g| g == id))
                .count();
            Node {
                key: id.to_string(),
                sg: Some(id.to_string()),
                name: if name.is_empty() {
                    id.to_string()
                } else {
                    name.clone()
                },
                sub: id.to_string(),
                tooltip: format!(
                    "{}{id}: {members} {}",
                    if name.is_empty() {
                        String::new()
                    } else {
                        format!("{name}, ")
                    },
                    if members == 1 {
                        "interface"
                    } else {
                        "interfaces"
                    }
                ),
                col: left + layer[i],
                at: Pt { x: 0.0, y: 0.0 },
            }
        })
        .collect();
    for (key, name, sub, col) in [
        ("internet-in", "Internet", "inbound", 0),
        ("internet-out", "Internet", "outbound", right_col),
        ("aws", "AWS services", "public endpoints", right_col),
    ] {
        if ext_used.contains(key) {
            nodes.push(Node {
                key: key.into(),
                sg: None,
                name: name.into(),
                sub: sub.into(),
                tooltip: format!("{name} ({sub}): needs CIDR or prefix-list rules, see the report"),
                col,
                at: Pt { x: 0.0, y: 0.0 },
            });
        }
    }
    let node_index = |key: &str| nodes.iter().position(|n| n.key == key);

    let mut edges: Vec<Edge> = rules
        .iter()
        .zip(keys)
        .zip(&rule_edges)
        .map(|((r, k), &(s, t))| {
            let svc = names::service(r);
            Edge {
                from: s,
                to: t,
                rule: Some(k.clone()),
                tooltip: format!(
                    "{k}: {} to {} on {svc}, {} connections",
                    nodes[s].name, nodes[t].name, r.evidence.connections
                ),
                label: svc,
                width: 1.4 + (r.evidence.connections.max(1) as f64).log10().min(4.0) * 0.6,
            }
        })
        .collect();
    for ((node, gi, inbound), (services, connections)) in &external {
        let Some(x) = node_index(node) else { continue };
        let (from, to) = if *inbound { (x, *gi) } else { (*gi, x) };
        let mut label: Vec<&str> = services
            .iter()
            .take(EXTERNAL_SERVICES)
            .map(String::as_str)
            .collect();
        let more = services.len().saturating_sub(EXTERNAL_SERVICES);
        let more_label = format!("+{more}");
        if more > 0 {
            label.push(&more_label);
        }
        let all: Vec<&str> = services.iter().map(String::as_str).collect();
        edges.push(Edge {
            from,
            to,
            rule: None,
            label: label.join(", "),
            tooltip: format!(
                "{} to {}: {} ({connections} connections)",
                nodes[from].name,
                nodes[to].name,
                all.join(", ")
            ),
            width: 1.2,
        });
    }

    // Columns, ordered; then coordinates.
    let ncols = nodes.iter().map(|n| n.col + 1).max().unwrap_or(0);
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); ncols];
    for (i, n) in nodes.iter().enumerate() {
        cols[n.col].push(i);
    }
    let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (e.from, e.to)).collect();
    order_columns(&mut cols, &pairs, nodes.len());
    let rows = cols.iter().map(Vec::len).max().unwrap_or(0);
    for (ci, c) in cols.iter().enumerate() {
        let top = MARGIN + NODE_H / 2.0 + (rows - c.len()) as f64 * ROW_H / 2.0;
        for (ri, &v) in c.iter().enumerate() {
            nodes[v].at = Pt {
                x: MARGIN + NODE_W / 2.0 + ci as f64 * (NODE_W + COL_GAP),
                y: top + ri as f64 * ROW_H,
            };
        }
    }
    (nodes, edges)
}

/// The inline SVG: `<svg id="sgpair-diagram">`, boxes with `data-sg`, rule
/// arrows with `data-rule`.
fn diagram(a: &Analysis, keys: &[String]) -> String {
    let (nodes, edges) = layout(a, keys);
    let ncols = nodes.iter().map(|n| n.col + 1).max().unwrap_or(0);
    let rows = nodes
        .iter()
        .fold(BTreeMap::<usize, usize>::new(), |mut m, n| {
            *m.entry(n.col).or_default() += 1;
            m
        })
        .into_values()
        .max()
        .unwrap_or(0);
    let has_loops = edges.iter().any(|e| e.from == e.to);
    let width = if ncols == 0 {
        NODE_W * 2.0
    } else {
        2.0 * MARGIN
            + ncols as f64 * NODE_W
            + (ncols - 1) as f64 * COL_GAP
            + if has_loops { LOOP_ROOM } else { 0.0 }
    };
    let height = if rows == 0 {
        NODE_H + 2.0 * MARGIN
    } else {
        2.0 * MARGIN + NODE_H + (rows - 1) as f64 * ROW_H
    };
    // Shrinks to the page's width (CSS), but not below 60%: a larger
    // diagram scrolls rather than becoming unreadable.
    let mut out = format!(
        "<svg id=\"sgpair-diagram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" style=\"min-width: {}px\" role=\"img\" aria-labelledby=\"sgpair-diagram-title\">\n\
         <title id=\"sgpair-diagram-title\">{} security groups, {} proposed rules</title>\n\
         <defs>\n\
         <marker id=\"sgpair-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrow\"/></marker>\n\
         <marker id=\"sgpair-arrow-ext\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrow-ext\"/></marker>\n\
         </defs>\n",
        (width * 0.6).round(),
        nodes.iter().filter(|n| n.sg.is_some()).count(),
        edges.iter().filter(|e| e.rule.is_some()).count(),
        w = f(width),
        h = f(height),
    );
    if nodes.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" class=\"empty\">No rules proposed.</text>",
            f(MARGIN),
            f(MARGIN + NODE_H / 2.0)
        );
    }

    // Edges first, boxes on top. Parallel edges of one pair of boxes (either
    // direction) fan out around the straight line between them.
    let mut by_pair: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    let mut loops: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, e) in edges.iter().enumerate() {
        if e.from == e.to {
            loops.entry(e.from).or_default().push(i);
        } else {
            by_pair
                .entry((e.from.min(e.to), e.from.max(e.to)))
                .or_default()
                .push(i);
        }
    }
    // Curves first, one bend per pair of boxes; then labels, the rules'
    // before external traffic, each off the boxes and the labels before it.
    let mut curves: Vec<Option<(Pt, Pt, Pt)>> = vec![None; edges.len()];
    for ((lo, hi), list) in &by_pair {
        let (a, b) = (nodes[*lo].at, nodes[*hi].at);
        let len = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt().max(1.0);
        let normal = Pt {
            x: -(b.y - a.y) / len,
            y: (b.x - a.x) / len,
        };
        // The bundle's bend: the smallest that clears the other boxes.
        let extra = (0..=BEND_STEPS)
            .flat_map(|i| [i as f64 * BEND_STEP, -(i as f64) * BEND_STEP])
            .find(|&bend| {
                let (p0, c, p1) = curve(a, b, normal, bend);
                !hits_other_box(p0, c, p1, &nodes, (*lo, *hi))
            })
            .unwrap_or(0.0);
        let m = list.len() as f64;
        for (k, &ei) in list.iter().enumerate() {
            let e = &edges[ei];
            // Along the pair's normal whichever way the edge points, so
            // edges in opposite directions do not overlap either.
            let bend = extra + (k as f64 - (m - 1.0) / 2.0) * SPREAD;
            curves[ei] = Some(curve(nodes[e.from].at, nodes[e.to].at, normal, bend));
        }
    }
    let mut edge_svg: Vec<String> = vec![String::new(); edges.len()];
    let mut placed: Vec<(Pt, f64)> = Vec::new();
    for (n, list) in &loops {
        let at = nodes[*n].at;
        let x0 = at.x + NODE_W / 2.0;
        let m = list.len() as f64;
        for (k, &ei) in list.iter().enumerate() {
            let e = &edges[ei];
            let reach = 38.0 + 18.0 * k as f64;
            let spread = 12.0 + 4.0 * k as f64;
            let d = format!(
                "M{},{} C{},{} {},{} {},{}",
                f(x0),
                f(at.y - spread / 2.0),
                f(x0 + reach),
                f(at.y - spread - 14.0),
                f(x0 + reach),
                f(at.y + spread + 14.0),
                f(x0 + 2.0),
                f(at.y + spread / 2.0)
            );
            // Labels stacked right of the outermost loop (left-aligned).
            let label = Pt {
                x: x0 + 38.0 + 18.0 * (m - 1.0) + 8.0,
                y: at.y + (k as f64 - (m - 1.0) / 2.0) * 15.0,
            };
            let hw = label_half_width(&e.label);
            placed.push((label.add(Pt { x: 1.0, y: 0.0 }, hw), hw));
            edge_svg[ei] = edge_markup(&nodes, e, &d, label);
        }
    }
    let mut order: Vec<usize> = (0..edges.len()).filter(|&i| curves[i].is_some()).collect();
    order.sort_by_key(|&i| (edges[i].rule.is_none(), i));
    for ei in order {
        let e = &edges[ei];
        let (start, ctrl, end) = curves[ei].expect("filtered");
        let hw = label_half_width(&e.label);
        let label = label_spot((start, ctrl, end), &nodes, &placed, hw);
        placed.push((label, hw));
        let d = format!(
            "M{},{} Q{},{} {},{}",
            f(start.x),
            f(start.y),
            f(ctrl.x),
            f(ctrl.y),
            f(end.x),
            f(end.y)
        );
        edge_svg[ei] = edge_markup(&nodes, e, &d, label);
    }
    // External traffic underneath, then the rules in rule order.
    let (rule_svg, ext_svg): (Vec<_>, Vec<_>) = edge_svg
        .into_iter()
        .zip(&edges)
        .partition(|(_, e)| e.rule.is_some());
    for (s, _) in ext_svg.into_iter().chain(rule_svg) {
        out.push_str(&s);
    }
    for n in &nodes {
        let (x, y) = (n.at.x - NODE_W / 2.0, n.at.y - NODE_H / 2.0);
        let (class, sg) = match &n.sg {
            Some(id) => ("node", format!(" data-sg=\"{}\"", esc(id))),
            None => ("node ext", String::new()),
        };
        let _ = writeln!(
            out,
            "<g class=\"{class}\" data-node=\"{}\"{sg} tabindex=\"0\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\"/><text x=\"{}\" y=\"{}\" class=\"name\">{}</text><text x=\"{}\" y=\"{}\" class=\"id\">{}</text></g>",
            esc(&n.key),
            esc(&n.tooltip),
            f(x),
            f(y),
            f(NODE_W),
            f(NODE_H),
            f(n.at.x),
            f(n.at.y - 4.0),
            esc(&truncate(&n.name, NAME_CHARS)),
            f(n.at.x),
            f(n.at.y + 13.0),
            esc(&truncate(&n.sub, NAME_CHARS + 4)),
        );
    }
    out.push_str("</svg>\n");
    out
}

fn edge_markup(nodes: &[Node], e: &Edge, d: &str, label: Pt) -> String {
    let (class, data, marker) = match &e.rule {
        Some(k) => ("edge", format!(" data-rule=\"{}\"", esc(k)), "sgpair-arrow"),
        None => (
            "edge ext",
            " data-external-edge=\"\"".to_string(),
            "sgpair-arrow-ext",
        ),
    };
    let anchor = if e.from == e.to { "start" } else { "middle" };
    format!(
        "<g class=\"{class}\"{data} data-from=\"{}\" data-to=\"{}\"><title>{}</title><path d=\"{d}\" stroke-width=\"{}\" marker-end=\"url(#{marker})\"/><text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text></g>\n",
        esc(&nodes[e.from].key),
        esc(&nodes[e.to].key),
        esc(&e.tooltip),
        f(e.width),
        f(label.x),
        f(label.y + 4.0),
        esc(&e.label),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::report::tests::{HOSTILE, fixture};
    use crate::inventory::{Cidr, SgRule};
    use crate::reduce::{ICMP, TCP};
    use crate::synthesize::Rule;

    const SCRIPT_NAME: &str = "<script>alert(1)</script>";
    const ATTR_NAME: &str = "\" onmouseover=\"x";
    const HOSTILE_ID: &str = "sg-\"><img src=x onerror=alert(2)>";

    /// [`super::render`] with the audit of `a`, as `main` calls it.
    fn render(a: &Analysis) -> String {
        super::render(a, &crate::audit::audit(a))
    }

    /// One start tag: its name and attributes, as written.
    #[derive(Debug)]
    struct Tag {
        name: String,
        attrs: Vec<(String, String)>,
    }

    /// The start tags of a page this module wrote: every attribute value must
    /// be double-quoted, and text holds no `<` (the contents of `<script>` and
    /// `<style>` are skipped). Panics on anything else: a broken attribute.
    fn tags(page: &str) -> Vec<Tag> {
        let mut out = Vec::new();
        let mut rest = page;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            if rest.starts_with('/') || rest.starts_with('!') {
                rest = &rest[rest.find('>').expect("closed") + 1..];
                continue;
            }
            let end_name = rest
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .expect("tag name ends");
            let name = rest[..end_name].to_string();
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                "bad tag name {name:?} at {:?}",
                &rest[..rest.len().min(80)]
            );
            rest = &rest[end_name..];
            let mut attrs = Vec::new();
            loop {
                rest = rest.trim_start();
                if let Some(r) = rest.strip_prefix("/>").or_else(|| rest.strip_prefix('>')) {
                    rest = r;
                    break;
                }
                let eq = rest.find('=').expect("attribute has a value");
                let an = rest[..eq].to_string();
                assert!(
                    an.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'),
                    "bad attribute name {an:?}"
                );
                rest = rest[eq + 1..]
                    .strip_prefix('"')
                    .unwrap_or_else(|| panic!("unquoted value of {an}"));
                let close = rest.find('"').expect("value closed");
                let value = &rest[..close];
                assert!(!value.contains(['<', '>']), "{an}={value:?}");
                attrs.push((an, value.to_string()));
                rest = &rest[close + 1..];
            }
            if name == "script" || name == "style" {
                rest = &rest[rest.find(&format!("</{name}>")).expect("raw text closed")..];
            }
            out.push(Tag { name, attrs });
        }
        out
    }

    fn attr<'t>(t: &'t Tag, name: &str) -> Option<&'t str> {
        t.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `<svg id="sgpair-diagram">` element and its contents.
    fn svg(page: &str) -> &str {
        let start = page.find("<svg id=\"sgpair-diagram\"").expect("diagram");
        let end = page[start..].find("</svg>").expect("closed") + start;
        &page[start..end + 6]
    }

    fn keys(a: &Analysis) -> Vec<String> {
        names::rule_keys(&a.proposal.rules, &a.inventory)
    }

    fn rule(s: &str, t: &str, proto: u8, from: i32, to: i32) -> Rule {
        let mut r = fixture().proposal.rules[0].clone();
        r.source_sg = s.into();
        r.target_sg = t.into();
        r.proto = proto;
        r.from_port = from;
        r.to_port = to;
        r
    }

    /// Group names, a group id, an interface description and open egress
    /// (whose finding names the group) from a hostile inventory.
    fn hostile() -> Analysis {
        let mut a = fixture();
        let inv = &mut a.inventory;
        for g in &mut inv.security_groups {
            match g.id.as_str() {
                "sg-web" => g.name = SCRIPT_NAME.into(),
                "sg-db" => g.name = ATTR_NAME.into(),
                "sg-alb" => g.name = HOSTILE.into(),
                _ => {}
            }
            g.egress.push(SgRule {
                rule_id: None,
                protocol: "-1".into(),
                from_port: None,
                to_port: None,
                cidr: Some("0.0.0.0/0".parse::<Cidr>().unwrap()),
                referenced_group_id: None,
                prefix_list_id: None,
                description: SCRIPT_NAME.into(),
            });
        }
        // Rename sg-mon everywhere it appears.
        let rename = |s: &mut String| {
            if s == "sg-mon" {
                *s = HOSTILE_ID.into();
            }
        };
        for g in &mut inv.security_groups {
            rename(&mut g.id);
        }
        for e in &mut inv.network_interfaces {
            e.security_groups.iter_mut().for_each(rename);
        }
        for r in &mut a.proposal.rules {
            rename(&mut r.source_sg);
            rename(&mut r.target_sg);
        }
        a
    }

    #[test]
    fn hostile_strings_stay_text_in_every_place() {
        let a = hostile();
        let page = render(&a);
        // Nothing raw: no second script, no injected element or handler.
        assert_eq!(page.matches("<script").count(), 1, "one script, ours");
        for raw in [
            SCRIPT_NAME,
            "<img",
            "onmouseover=\"",
            "</script> [x]",
            HOSTILE_ID,
        ] {
            assert!(!page.contains(raw), "{raw:?} is in the page raw");
        }
        // Every tag parses with quoted attributes, and no attribute is a handler.
        let all = tags(&page);
        for t in &all {
            for (n, _) in &t.attrs {
                assert!(!n.starts_with("on"), "{n} on <{}>", t.name);
            }
        }
        assert!(!all.iter().any(|t| t.name == "img"));
        // The names are there as text: in the boxes, the tooltips, the tables and the findings.
        let script_text = escape::html(SCRIPT_NAME);
        let attr_text = escape::html(ATTR_NAME);
        let d = svg(&page);
        let cut = escape::html(&truncate(SCRIPT_NAME, NAME_CHARS));
        assert!(d.contains(&format!("class=\"name\">{cut}</text>")), "{d}");
        assert!(d.contains(&format!(
            "<title>{script_text}, sg-web: 2 interfaces</title>"
        )));
        assert!(d.contains(&format!(">{attr_text}</text>")));
        let rules = &page[page.find("<section id=\"rules\">").unwrap()..];
        assert!(rules.contains(&format!("<b>{script_text}</b>")));
        assert!(rules.contains(&format!("<b>{attr_text}</b>")));
        let findings = &page[page.find("<section id=\"findings\">").unwrap()
            ..page.find("<section id=\"before-after\">").unwrap()];
        assert!(
            findings.contains(&format!("sg-web ({script_text}) egress to 0.0.0.0/0")),
            "open egress names the group"
        );
        // The hostile id is an attribute value (data-sg, data-from) and text, escaped.
        let id = escape::html(HOSTILE_ID);
        let node = all
            .iter()
            .find(|t| attr(t, "data-sg") == Some(id.as_str()))
            .expect("the renamed group has its box");
        assert_eq!(attr(node, "data-node"), Some(id.as_str()));
        assert!(
            all.iter()
                .any(|t| attr(t, "data-from") == Some(id.as_str()))
        );
        // The hostile name of the alb group made its way into a key only as a slug.
        for k in keys(&a) {
            assert!(
                k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "{k}"
            );
        }
    }

    #[test]
    fn one_box_per_group_in_the_rules_and_one_arrow_per_rule() {
        let mut a = fixture();
        // A second rule between web and db, one back from db to web, and one within web.
        a.proposal.rules.push(rule("sg-web", "sg-db", ICMP, -1, -1));
        a.proposal
            .rules
            .push(rule("sg-db", "sg-web", TCP, 9000, 9000));
        a.proposal
            .rules
            .push(rule("sg-web", "sg-web", TCP, 8443, 8443));
        let page = render(&a);
        let d = svg(&page);
        let all = tags(d);
        let boxes: Vec<&str> = all.iter().filter_map(|t| attr(t, "data-sg")).collect();
        assert_eq!(boxes, vec!["sg-alb", "sg-db", "sg-mon", "sg-web"]);
        let arrows: Vec<&Tag> = all
            .iter()
            .filter(|t| attr(t, "data-rule").is_some())
            .collect();
        assert_eq!(arrows.len(), a.proposal.rules.len());
        let keys = keys(&a);
        for ((r, k), t) in a.proposal.rules.iter().zip(&keys).zip(&arrows) {
            assert_eq!(attr(t, "data-rule"), Some(k.as_str()));
            assert_eq!(attr(t, "data-from"), Some(r.source_sg.as_str()), "{k}");
            assert_eq!(attr(t, "data-to"), Some(r.target_sg.as_str()), "{k}");
            // Labelled with the service.
            let g = &d[d.find(&format!("data-rule=\"{k}\"")).unwrap()..];
            let g = &g[..g.find("</g>").unwrap()];
            assert!(
                g.contains(&format!(">{}</text>", escape::html(&names::service(r)))),
                "{g}"
            );
            // The loop is a cubic curve, the others quadratic.
            let path = g.split("<path d=\"").nth(1).unwrap();
            assert_eq!(
                path.starts_with("M") && path.contains(" C"),
                r.source_sg == r.target_sg,
                "{g}"
            );
        }
        // External destinations: present, grey, no data-sg and no data-rule.
        for ext in ["internet-in", "internet-out", "aws"] {
            let t = all
                .iter()
                .find(|t| attr(t, "data-node") == Some(ext))
                .unwrap_or_else(|| panic!("{ext} box"));
            assert_eq!(attr(t, "class"), Some("node ext"));
            assert!(attr(t, "data-sg").is_none());
        }
        let ext_edges = all
            .iter()
            .filter(|t| attr(t, "data-external-edge").is_some())
            .count();
        assert!(ext_edges >= 3, "{ext_edges}");
        // The rules table links rows to arrows by key.
        let rows: Vec<String> = tags(&page)
            .iter()
            .filter_map(|t| attr(t, "data-key").map(str::to_string))
            .collect();
        assert_eq!(rows, keys);
    }

    /// Box centres from the SVG, by `data-node`.
    fn centres(d: &str) -> BTreeMap<String, (f64, f64)> {
        let mut out = BTreeMap::new();
        let all = tags(d);
        for (i, t) in all.iter().enumerate() {
            if let Some(k) = attr(t, "data-node").filter(|_| t.name == "g") {
                let r = all[i + 1..].iter().find(|t| t.name == "rect").unwrap();
                let num = |n: &str| attr(r, n).unwrap().parse::<f64>().unwrap();
                out.insert(
                    k.to_string(),
                    (
                        num("x") + num("width") / 2.0,
                        num("y") + num("height") / 2.0,
                    ),
                );
            }
        }
        out
    }

    #[test]
    fn clients_sit_left_of_servers_and_boxes_do_not_overlap() {
        let a = fixture();
        let c = centres(svg(&render(&a)));
        // alb → web → db; monitoring → db; internet inbound far left, outbound far right.
        assert!(c["internet-in"].0 < c["sg-alb"].0);
        assert!(c["sg-alb"].0 < c["sg-web"].0);
        assert!(c["sg-web"].0 < c["sg-db"].0);
        assert!(c["sg-mon"].0 < c["sg-db"].0);
        assert!(c["sg-db"].0 < c["internet-out"].0);
        let v: Vec<&(f64, f64)> = c.values().collect();
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                let apart = (v[i].0 - v[j].0).abs() >= NODE_W || (v[i].1 - v[j].1).abs() >= NODE_H;
                assert!(apart, "{:?} and {:?} overlap", v[i], v[j]);
            }
        }
    }

    #[test]
    fn layers_follow_the_rules_and_survive_cycles() {
        assert_eq!(layers(3, &[(0, 1), (1, 2)]), vec![0, 1, 2]);
        assert_eq!(layers(3, &[(0, 2), (1, 2), (0, 1)]), vec![0, 1, 2]);
        // A cycle is cut at one edge; a self-loop is ignored.
        let l = layers(3, &[(0, 1), (1, 2), (2, 0), (1, 1)]);
        assert_eq!(l, vec![0, 1, 2]);
        assert_eq!(layers(2, &[]), vec![0, 0]);
    }

    #[test]
    fn two_renders_are_byte_identical() {
        assert_eq!(render(&fixture()).as_bytes(), render(&fixture()).as_bytes());
        assert_eq!(render(&hostile()), render(&hostile()));
    }

    #[test]
    fn the_page_loads_nothing_and_says_what_it_found() {
        let a = fixture();
        let page = render(&a);
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(page.ends_with("</html>\n"));
        // No fetch of any kind: the only URL is the SVG namespace.
        assert_eq!(page.matches("://").count(), 1);
        assert!(page.contains("<svg id=\"sgpair-diagram\" xmlns=\"http://www.w3.org/2000/svg\""));
        for t in tags(&page) {
            for (n, _) in &t.attrs {
                assert!(
                    !["src", "href", "srcset", "action"].contains(&n.as_str()),
                    "{n}"
                );
            }
        }
        assert!(page.contains("default-src 'none'"));
        assert!(page.contains(&format!("script-src 'sha256-{SCRIPT_SHA256}'")));
        // Summary, sections, and counts that match the audit.
        let audit = crate::audit::audit(&a);
        assert!(page.contains(
            "<dt>Window</dt><dd>2026-11-18T00:00:00Z to 2026-11-25T00:00:00Z (7.0 days)</dd>"
        ));
        assert!(page.contains("<dt>Rules proposed</dt><dd>3 mutual rules"));
        assert!(page.contains(&format!(
            "<span class=\"sev high\">{} high</span> <span class=\"sev medium\">{} medium</span> <span class=\"sev low\">{} low</span>",
            audit.count(Severity::High),
            audit.count(Severity::Medium),
            audit.count(Severity::Low)
        )));
        let sections: Vec<String> = tags(&page)
            .iter()
            .filter(|t| t.name == "section")
            .filter_map(|t| attr(t, "id").map(str::to_string))
            .collect();
        assert_eq!(
            sections,
            ["summary", "diagram", "findings", "before-after", "rules"]
        );
        let finding_rows = tags(&page)
            .iter()
            .filter(|t| attr(t, "data-fingerprint").is_some())
            .count();
        assert_eq!(finding_rows, audit.findings.len());
        assert!(page.contains(&format!(
            "<td>Rules today (ingress and egress entries)</td><td class=\"num\">{}</td>",
            audit.before_after.rules_today
        )));
    }

    #[test]
    fn an_empty_analysis_still_has_a_diagram() {
        let mut a = fixture();
        a.proposal = Default::default();
        let page = render(&a);
        let d = svg(&page);
        assert!(!d.contains("data-sg="));
        assert!(d.contains("No rules proposed."));
        assert!(page.contains("<h2>Proposed rules, in detail</h2>\n<p>No rules proposed.</p>"));
    }

    #[test]
    fn long_names_are_cut_in_the_box_and_whole_in_the_tooltip() {
        let mut a = fixture();
        let long = "a-very-long-security-group-name-for-the-web-tier";
        a.inventory
            .security_groups
            .iter_mut()
            .find(|g| g.id == "sg-web")
            .unwrap()
            .name = long.into();
        let d = render(&a);
        let d = svg(&d);
        assert!(d.contains(&format!("<title>{long}, sg-web: 2 interfaces</title>")));
        assert!(d.contains(">a-very-long-security-…</text>"), "{d}");
    }
}
