//! The diagram of the HTML page: security groups as boxes in layers
//! (clients left, servers right), one arrow per proposed rule, and dashed
//! grey arrows for the traffic of those groups to and from the internet and
//! AWS services. Laid out here (no script, no library) and written as an
//! inline SVG whose every string from AWS is escaped.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::analysis::Analysis;
use crate::emit::escape;
use crate::present::service;
use crate::synthesize::ExternalKind;

fn esc(s: &str) -> String {
    escape::html(s)
}

pub(super) const NODE_W: f64 = 190.0;
pub(super) const NODE_H: f64 = 50.0;
/// Horizontal room between two columns of boxes: edge labels live there.
const COL_GAP: f64 = 150.0;
const ROW_H: f64 = 92.0;
const MARGIN: f64 = 24.0;
/// Room right of the last column for loops and their labels.
const LOOP_ROOM: f64 = 110.0;
/// Distance between parallel edges of one pair of groups.
const SPREAD: f64 = 30.0;
/// Characters of a group name shown in its box (the full name is its tooltip).
pub(super) const NAME_CHARS: usize = 22;
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
    /// The connections the arrow stands for (`data-connections`).
    connections: u64,
    label: String,
    tooltip: String,
    width: f64,
}

/// Longest-path layers of a directed graph; cycles are broken at the edges a
/// depth-first search (in index order) finds going back. Self-loops ignored.
pub(super) fn layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
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

pub(super) fn truncate(s: &str, n: usize) -> String {
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

    // External traffic of the groups in the diagram: (node key, group,
    // inbound) → services, connections. Each connection is drawn once: at the
    // narrowest of its interface's groups in the diagram (fewest members, then
    // name order), never once per group of an interface in several.
    let members_of = |id: &str| {
        inv.network_interfaces
            .iter()
            .filter(|e| e.security_groups.iter().any(|g| g == id))
            .count()
    };
    let mut external: BTreeMap<(&str, usize, bool), (BTreeSet<String>, u64)> = BTreeMap::new();
    for e in &a.proposal.external {
        let node = match e.kind {
            ExternalKind::InternetIngress => "internet-in",
            ExternalKind::InternetEgress => "internet-out",
            ExternalKind::AwsService => "aws",
            _ => continue,
        };
        let at = e
            .local_groups
            .iter()
            .filter_map(|g| index.get(g.as_str()).map(|&gi| (members_of(g), gi)))
            .min();
        if let Some((_, gi)) = at {
            let x = external.entry((node, gi, !e.local_is_client)).or_default();
            x.0.insert(service::of_port(e.port, e.proto));
            x.1 += e.connections;
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
            let svc = service::of_rule(r);
            Edge {
                from: s,
                to: t,
                rule: Some(k.clone()),
                tooltip: format!(
                    "{k}: {} to {} on {svc}, {} connections",
                    nodes[s].name, nodes[t].name, r.evidence.connections
                ),
                label: svc,
                connections: r.evidence.connections,
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
            connections: *connections,
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
pub(super) fn diagram(a: &Analysis, keys: &[String]) -> String {
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
        "<g class=\"{class}\"{data} data-from=\"{}\" data-to=\"{}\" data-connections=\"{}\"><title>{}</title><path d=\"{d}\" stroke-width=\"{}\" marker-end=\"url(#{marker})\"/><text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text></g>\n",
        esc(&nodes[e.from].key),
        esc(&nodes[e.to].key),
        e.connections,
        esc(&e.tooltip),
        f(e.width),
        f(label.x),
        f(label.y + 4.0),
        esc(&e.label),
    )
}
