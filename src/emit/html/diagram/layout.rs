//! Where the diagram's boxes go: one per security group in the proposed
//! rules, in layers (clients left, servers right) ordered to reduce
//! crossings, with the internet and AWS services in columns at the sides;
//! and which arrows join them.

use std::collections::{BTreeMap, BTreeSet};

use super::{COL_GAP, Edge, MARGIN, NODE_H, NODE_W, Node, Pt, ROW_H};
use crate::analysis::Analysis;
use crate::inventory::Members;
use crate::present::service;
use crate::synthesize::ExternalKind;

/// Services listed on an external edge before "+N".
const EXTERNAL_SERVICES: usize = 3;

/// Boxes and arrows: groups in layers (clients left, servers right), the
/// internet inbound in a column on the left, internet outbound and AWS
/// services in a column on the right. `ids`: the groups in the rules.
pub(super) fn layout<'a>(
    a: &'a Analysis,
    keys: &[String],
    ids: BTreeSet<&'a str>,
) -> (Vec<Node>, Vec<Edge>) {
    let inv = &a.inventory;
    let rules = &a.proposal.rules;
    // Names and members looked up once per group, not per comparison or
    // per external entry (a scan each, on a large estate). Reversed, so an
    // id listed twice keeps its first name, as `Inventory::group` finds.
    let names: BTreeMap<&str, &str> = inv
        .security_groups
        .iter()
        .rev()
        .map(|g| (g.id.as_str(), g.name.as_str()))
        .collect();
    let name_of = |id: &str| names.get(id).map(|n| n.to_string()).unwrap_or_default();
    let members = Members::of(inv);
    let mut groups: Vec<&str> = ids.into_iter().collect();
    groups.sort_by_cached_key(|id| (name_of(id).to_lowercase(), id.to_string()));
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
    let members_of = |id: &str| members.of_group(id).len();
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
            let members = members_of(id);
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

/// Longest-path layers of a directed graph; cycles are broken at the edges a
/// depth-first search (in index order) finds going back. Self-loops ignored.
pub(in crate::emit::html) fn layers(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
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
