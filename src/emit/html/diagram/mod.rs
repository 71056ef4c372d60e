//! The diagram of the HTML page: security groups as boxes in layers
//! (clients left, servers right), one arrow per proposed rule, and dashed
//! grey arrows for the traffic of those groups to and from the internet and
//! AWS services. Laid out here (no script, no library) and written as an
//! inline SVG whose every string from AWS is escaped.
//!
//! Laid out in [`layout`], its arrows routed in [`route`], written in [`svg`].

mod layout;
mod route;
mod svg;

use crate::analysis::Analysis;

#[cfg(test)]
pub(super) use layout::layers;
#[cfg(test)]
pub(super) use svg::truncate;

/// The size of a box.
pub(super) const NODE_W: f64 = 190.0;
pub(super) const NODE_H: f64 = 50.0;

/// Horizontal room between two columns of boxes: edge labels live there.
const COL_GAP: f64 = 150.0;

/// Vertical distance between the centres of two boxes of a column.
const ROW_H: f64 = 92.0;

/// Room around the boxes, inside the SVG.
const MARGIN: f64 = 24.0;

/// Characters of a group name shown in its box (the full name is its tooltip).
pub(super) const NAME_CHARS: usize = 22;

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

/// The diagram of the proposed rules of `a`, keyed by `keys`.
pub(super) fn diagram(a: &Analysis, keys: &[String]) -> String {
    let (nodes, edges) = layout::layout(a, keys);
    svg::svg(&nodes, &edges)
}

/// A coordinate or length as the SVG writes it: one decimal.
fn f(v: f64) -> String {
    format!("{v:.1}")
}
