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

/// The most security groups the diagram draws, and the most proposed
/// rules. Past either it no longer reads as a picture: a box per group and
/// an arrow per rule, and a group every other one calls (DNS, metrics)
/// draws an arrow from each, so 120 groups with 500 rules (`mesh-flows.py
/// --services 120`) are a tangle already. Its cost grows past them too:
/// routing checks each arrow's bends against every box (1,000 groups and
/// 5,233 rules took 0.8 s to write, 120 and 500 a few ms). The table of
/// proposed rules lists every rule either way.
pub(super) const MAX_GROUPS: usize = 150;
pub(super) const MAX_RULES: usize = 400;

/// A proposal too large to draw: its groups and rules.
#[derive(Debug)]
pub(super) struct TooLarge {
    pub(super) groups: usize,
    pub(super) rules: usize,
}

/// The diagram of the proposed rules of `a`, keyed by `keys`; none past
/// [`MAX_GROUPS`] groups or [`MAX_RULES`] rules.
pub(super) fn diagram(a: &Analysis, keys: &[String]) -> Result<String, TooLarge> {
    let rules = &a.proposal.rules;
    // Groups in the rules, in id order: counted here, laid out below.
    let ids: std::collections::BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| [r.source_sg.as_str(), r.target_sg.as_str()])
        .collect();
    if ids.len() > MAX_GROUPS || rules.len() > MAX_RULES {
        return Err(TooLarge {
            groups: ids.len(),
            rules: rules.len(),
        });
    }
    let (nodes, edges) = layout::layout(a, keys, ids);
    Ok(svg::svg(&nodes, &edges))
}

/// A coordinate or length as the SVG writes it: one decimal.
fn f(v: f64) -> String {
    format!("{v:.1}")
}
