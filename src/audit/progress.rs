//! With `--state`: what changed since the last run (rules added, removed,
//! widened, narrowed), the rules removed because their last evidence is
//! older than `--keep`, and each group's readiness to close its open egress.
//!
//! A group is ready when, for `--soak`, the state shows no connection that
//! only its open egress carries: one its egress rules allow today, that no
//! rule the change keeps or adds allows (a proposed rule, or with
//! `--terraform` a rule of the folder's files; suspicious flows aside: the
//! change blocks them on purpose). The soak counts only
//! time some run read: days no run folded in (a job that did not run) are
//! holes, and quiet is not proven by not looking.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analysis::Analysis;
use crate::audit::Direction;
use crate::audit::before_after::{Additions, Proposed, suspicious_keys};
use crate::audit::matching::{Groups, added_rules, matching_rules, sides};
use crate::audit::usage::{Kept, is_open_egress};
use crate::id::Id;
use crate::inventory::SecurityGroup;
use crate::present::{names, service};
use crate::state::{Continuity, Observed, StateRule};
use crate::window::Window;

/// How one proposed rule differs from the last run's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Widened,
    Narrowed,
    /// Neither range holds the other.
    Moved,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Widened => "widened",
            ChangeKind::Narrowed => "narrowed",
            ChangeKind::Moved => "moved",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// The tfvars key (the same across runs for the same groups, protocol
    /// and first port).
    pub key: String,
    pub source_sg: String,
    pub target_sg: String,
    /// The service before and after, as the reports spell it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// The last record of its evidence (for a removed rule: as the last
    /// run saw it; none when compared with a tfvars file).
    pub last_seen: Option<i64>,
    /// A removed rule whose last evidence is older than `--keep`.
    pub expired: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Nothing only open egress carries for `--soak`: close it.
    Ready,
    /// Nothing only open egress carries, but the evidence spans less than `--soak`.
    Soaking,
    /// Something only open egress carries was seen within `--soak`.
    Waiting,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ready => "ready to close",
            Status::Soaking => "soaking",
            Status::Waiting => "not ready",
        }
    }
}

/// One group with open egress, and whether it can be closed.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub group_id: String,
    pub group_name: String,
    pub status: Status,
    /// When it is (or will be, if nothing else comes) ready.
    pub ready_at: i64,
    /// Connections only open egress carried, in the whole state.
    pub open_egress_only: u64,
    /// The last of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_open_egress_only: Option<i64>,
    /// The flows behind them (at most 5): `10.0.1.5 → 203.0.113.7 443/tcp`.
    pub examples: Vec<String>,
}

/// What the state adds to the audit.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// False on the run that creates the state file.
    pub had_state: bool,
    /// Without `--state`: the existing tfvars compared with (no readiness then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_with: Option<String>,
    pub keep_seconds: i64,
    pub soak_seconds: i64,
    /// The span the evidence covers, from the state and this run.
    pub evidence_since: i64,
    pub evidence_until: i64,
    /// The spans of that time some run read, and the holes between them,
    /// which no run read (they count for nothing towards `--soak`).
    pub observed: Vec<Window>,
    pub not_observed: Vec<Window>,
    /// Connections (per capturing interface) older than `--keep`, forgotten.
    pub expired_connections: usize,
    /// Added, removed (expired or not), widened, narrowed; by kind, then key.
    pub changes: Vec<Change>,
    /// Groups with open egress the evidence shows, ready first.
    pub readiness: Vec<Readiness>,
}

pub(super) fn progress(
    a: &Analysis,
    kept: &Kept,
    added: &[SecurityGroup],
    c: &Continuity,
) -> Progress {
    let observed = observed(a, c);
    Progress {
        had_state: c.had_state,
        compared_with: c.compared_with.clone(),
        keep_seconds: c.keep,
        soak_seconds: c.soak,
        evidence_since: a.window.since,
        evidence_until: a.window.until,
        observed: windows(observed.spans()),
        not_observed: windows(&observed.gaps()),
        expired_connections: c.expired,
        changes: if c.had_state {
            changes(a, c)
        } else {
            Vec::new()
        },
        readiness: if c.compared_with.is_none() {
            readiness(a, kept, added, c, &observed)
        } else {
            Vec::new()
        },
    }
}

/// The time observed: the state's spans, or the whole window where there
/// are none (a tfvars compared with, or a test's continuity).
fn observed(a: &Analysis, c: &Continuity) -> Observed {
    if c.observed.spans().is_empty() {
        Observed::of(a.window.since, a.window.until)
    } else {
        c.observed.clone()
    }
}

fn windows(spans: &[(i64, i64)]) -> Vec<Window> {
    spans
        .iter()
        .map(|&(since, until)| Window { since, until })
        .collect()
}

fn changes(a: &Analysis, c: &Continuity) -> Vec<Change> {
    let keys = names::rule_keys(&a.proposal.rules, &a.inventory);
    let now: BTreeMap<&str, &crate::synthesize::Rule> = keys
        .iter()
        .map(String::as_str)
        .zip(&a.proposal.rules)
        .collect();
    let before: BTreeMap<&str, &StateRule> = c
        .previous_rules
        .iter()
        .map(|r| (r.key.as_str(), r))
        .collect();
    let mut out = Vec::new();
    for (key, r) in &now {
        let after = Some(service::of_rule(r));
        let change = |kind, before| Change {
            kind,
            key: key.to_string(),
            source_sg: r.source_sg.clone(),
            target_sg: r.target_sg.clone(),
            before,
            after: after.clone(),
            last_seen: Some(r.evidence.last),
            expired: false,
        };
        match before.get(key) {
            None => out.push(change(ChangeKind::Added, None)),
            Some(p) if (p.from_port, p.to_port) != (r.from_port, r.to_port) => {
                let holds = |outer: (i32, i32), inner: (i32, i32)| {
                    outer.0 < 0 || (inner.0 >= 0 && outer.0 <= inner.0 && inner.1 <= outer.1)
                };
                let (old, new) = ((p.from_port, p.to_port), (r.from_port, r.to_port));
                let kind = if holds(new, old) {
                    ChangeKind::Widened
                } else if holds(old, new) {
                    ChangeKind::Narrowed
                } else {
                    ChangeKind::Moved
                };
                out.push(change(
                    kind,
                    Some(service::spell(p.proto, p.from_port, p.to_port)),
                ));
            }
            Some(_) => {}
        }
    }
    for (key, p) in &before {
        if !now.contains_key(key) {
            out.push(Change {
                kind: ChangeKind::Removed,
                key: key.to_string(),
                source_sg: p.source_sg.clone(),
                target_sg: p.target_sg.clone(),
                before: Some(service::spell(p.proto, p.from_port, p.to_port)),
                after: None,
                last_seen: c.compared_with.is_none().then_some(p.last),
                expired: c.compared_with.is_none() && p.last < c.cutoff,
            });
        }
    }
    out.sort_by(|x, y| (x.kind, &x.key).cmp(&(y.kind, &y.key)));
    out
}

/// Per group with open egress: connections only that rule carries.
fn readiness(
    a: &Analysis,
    kept: &Kept,
    added: &[SecurityGroup],
    c: &Continuity,
    observed: &Observed,
) -> Vec<Readiness> {
    let inv = &a.inventory;
    let by_id = Groups::new(inv);
    let resources = added_rules(added, inv);
    let adds = Additions::new(&resources, Proposed::of_rules(&a.proposal.rules));
    let suspicious = suspicious_keys(a);
    let open: BTreeSet<&str> = inv
        .security_groups
        .iter()
        .filter(|g| g.egress.iter().any(is_open_egress))
        .map(|g| g.id.as_str())
        .collect();
    // Groups seen on either end of the evidence.
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    // Group → (connections, last, examples).
    let mut only: BTreeMap<String, (u64, i64, BTreeSet<String>)> = BTreeMap::new();
    for conn in &a.evidence.connections {
        for e in [&conn.client_end, &conn.server_end] {
            seen.extend(e.groups().unwrap_or(&[]).iter().map(Id::as_str));
        }
        if suspicious.contains(&(conn.client, conn.server, conn.port, conn.proto)) {
            continue;
        }
        for (side, _) in sides(conn) {
            if side.direction != Direction::Egress {
                continue;
            }
            let mut by_open: Vec<String> = Vec::new();
            let mut after = false;
            for (g, i, r) in matching_rules(&by_id, &side, conn) {
                if is_open_egress(r) {
                    by_open.push(g.to_string());
                }
                after |= kept.kept(g, side.direction, i, r);
            }
            after |= adds.allow(&side, conn);
            if after {
                continue;
            }
            for g in by_open {
                let e = only.entry(g).or_insert((0, i64::MIN, BTreeSet::new()));
                e.0 = e.0.saturating_add(conn.connections);
                e.1 = e.1.max(conn.last);
                if e.2.len() < 5 {
                    e.2.insert(format!(
                        "{} → {} {}",
                        conn.client,
                        conn.server,
                        service::of_port(conn.port, conn.proto)
                    ));
                }
            }
        }
    }
    let (since, until) = (a.window.since, a.window.until);
    let mut out: Vec<Readiness> = open
        .intersection(&seen)
        .map(|g| {
            let hit = only.get(*g);
            let quiet_since = hit.map_or(since, |h| h.1.max(since));
            // Ready once --soak of observed time has passed since; else,
            // if every day from now on is read, when the rest will have.
            let (status, ready_at) = match observed.reached(quiet_since, c.soak) {
                Some(t) if t <= until => (Status::Ready, t),
                _ => {
                    let quiet = observed.within(quiet_since, until);
                    let status = if hit.is_some() {
                        Status::Waiting
                    } else {
                        Status::Soaking
                    };
                    (status, until.saturating_add(c.soak.saturating_sub(quiet)))
                }
            };
            Readiness {
                group_id: g.to_string(),
                group_name: inv.group(g).map(|s| s.name.clone()).unwrap_or_default(),
                status,
                ready_at,
                open_egress_only: hit.map_or(0, |h| h.0),
                last_open_egress_only: hit.map(|h| h.1),
                examples: hit
                    .map(|h| h.2.iter().cloned().collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by(|x, y| {
        (x.status, x.ready_at, &x.group_id).cmp(&(y.status, y.ready_at, &y.group_id))
    });
    out
}
