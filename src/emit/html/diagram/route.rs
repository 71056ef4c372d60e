//! The diagram's arrows: a curve per rule between two boxes, bent around
//! the boxes in its way and fanned out from its parallels, a loop for a
//! rule within one group, and a spot for each label off the boxes and the
//! labels placed before it.

use std::collections::BTreeMap;

use super::{Edge, NODE_H, NODE_W, Node, Pt, f};

/// Distance between parallel edges of one pair of groups.
const SPREAD: f64 = 30.0;
/// Bends tried for an edge that would cross a box: ± this many steps of this size.
const BEND_STEPS: usize = 24;
const BEND_STEP: f64 = 10.0;

/// An arrow as drawn: its SVG path data and where its label goes.
pub(super) struct Drawn {
    pub d: String,
    pub label: Pt,
}

/// Every edge's path and label spot, by edge index. Loops first, then the
/// rules' curves, then external traffic's: a label looks for room among
/// those placed before it.
pub(super) fn route(nodes: &[Node], edges: &[Edge]) -> Vec<Drawn> {
    // Parallel edges of one pair of boxes (either direction) fan out
    // around the straight line between them.
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
                !hits_other_box(p0, c, p1, nodes, (*lo, *hi))
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
    let mut out: Vec<Drawn> = edges
        .iter()
        .map(|_| Drawn {
            d: String::new(),
            label: Pt { x: 0.0, y: 0.0 },
        })
        .collect();
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
            out[ei] = Drawn { d, label };
        }
    }
    let mut order: Vec<usize> = (0..edges.len()).filter(|&i| curves[i].is_some()).collect();
    order.sort_by_key(|&i| (edges[i].rule.is_none(), i));
    for ei in order {
        let e = &edges[ei];
        let (start, ctrl, end) = curves[ei].expect("filtered");
        let hw = label_half_width(&e.label);
        let label = label_spot((start, ctrl, end), nodes, &placed, hw);
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
        out[ei] = Drawn { d, label };
    }
    out
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
