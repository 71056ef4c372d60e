//! The diagram as inline SVG: its size, the arrows (external traffic
//! underneath, then the rules) and the boxes on top. Every string from AWS
//! is escaped, in text and attributes alike.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::route::route;
use super::{COL_GAP, Edge, MARGIN, NAME_CHARS, NODE_H, NODE_W, Node, Pt, ROW_H, f};
use crate::emit::escape;

fn esc(s: &str) -> String {
    escape::html(s)
}

/// Room right of the last column for loops and their labels.
const LOOP_ROOM: f64 = 110.0;

/// The inline SVG: `<svg id="sgpair-diagram">`, boxes with `data-sg`, rule
/// arrows with `data-rule`.
pub(super) fn svg(nodes: &[Node], edges: &[Edge]) -> String {
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

    // External traffic underneath, then the rules in rule order.
    let edge_svg: Vec<String> = route(nodes, edges)
        .iter()
        .zip(edges)
        .map(|(drawn, e)| edge_markup(nodes, e, &drawn.d, drawn.label))
        .collect();
    let (rule_svg, ext_svg): (Vec<_>, Vec<_>) = edge_svg
        .into_iter()
        .zip(edges)
        .partition(|(_, e)| e.rule.is_some());
    for (s, _) in ext_svg.into_iter().chain(rule_svg) {
        out.push_str(&s);
    }
    for n in nodes {
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

pub(in crate::emit::html) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
