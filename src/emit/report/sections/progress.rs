//! With `--state`: what changed since the last run, and which groups can
//! close their open egress (`crate::audit::progress`).

use crate::analysis::Analysis;
use crate::audit::progress::{ChangeKind, Progress, Status};
use crate::emit::report::document::{Markup, Row, Section, para, table};
use crate::emit::report::sections::{group_label, key_cell};
use crate::present::count;
use crate::window::{Window, day, days, rfc3339};

/// Whole days in `secs`, for `--keep`/`--soak` as the user gave them.
fn in_days(secs: i64) -> String {
    if secs % 86_400 == 0 {
        format!("{}d", secs / 86_400)
    } else {
        format!("{:.1}d", secs as f64 / 86_400.0)
    }
}

/// A span as days when it starts and ends at midnight (a daily job's
/// windows), else to the second.
fn span(w: &Window) -> String {
    if w.since % 86_400 == 0 && w.until % 86_400 == 0 {
        days(w.since, w.until)
    } else {
        format!("{}..{}", rfc3339(w.since), rfc3339(w.until))
    }
}

/// The holes in the evidence, named: time no run read, which the soak does
/// not count (empty when there are none).
fn holes(p: &Progress) -> String {
    if p.not_observed.is_empty() {
        return String::new();
    }
    let named: Vec<String> = p.not_observed.iter().map(span).collect();
    format!(
        " Warning: not observed: {} ({} of the span): no run read {}, so {} counts for nothing towards --soak; fold {} in with --since and --until, or expect the groups to take longer to be ready.",
        named.join(", "),
        in_days(p.not_observed.iter().map(|w| w.until - w.since).sum()),
        if named.len() == 1 { "it" } else { "them" },
        if named.len() == 1 { "it" } else { "they" },
        if named.len() == 1 {
            "its logs"
        } else {
            "their logs"
        },
    )
}

/// Both sections, the changes first: the report opens with them.
pub(super) fn sections(a: &Analysis, p: &Progress, m: &dyn Markup) -> Vec<Section> {
    if p.compared_with.is_some() {
        return vec![changes(a, p, m)];
    }
    vec![changes(a, p, m), readiness(a, p, m)]
}

fn changes(a: &Analysis, p: &Progress, m: &dyn Markup) -> Section {
    const H: &str = "Since the last run";
    let span = match &p.compared_with {
        Some(path) => format!(
            "Compared with the rules of {} as it was before this run (without --state, the evidence is this run's window).",
            m.text(path)
        ),
        None => format!(
            "The evidence spans {} (the state file and this run; evidence last seen more than --keep {} ago is forgotten{}).{}",
            days(p.evidence_since, p.evidence_until),
            in_days(p.keep_seconds),
            match p.expired_connections {
                0 => String::new(),
                // One per interface that logged a connection, as the
                // state stores them (a connection both ends logged: two).
                n => format!(": {} this run", count(n as u64, "stored connection")),
            },
            holes(p)
        ),
    };
    if !p.had_state {
        return Section::new(
            "since-last-run",
            H,
            vec![para(format!(
                "No state file yet: this run starts it, and the next run says what changed. {span}"
            ))],
        );
    }
    if p.changes.is_empty() {
        return Section::new(
            "since-last-run",
            H,
            vec![para(format!("No rule changed. {span}"))],
        );
    }
    let count = |k: ChangeKind| p.changes.iter().filter(|c| c.kind == k).count();
    let counts: Vec<String> = [
        ChangeKind::Added,
        ChangeKind::Removed,
        ChangeKind::Widened,
        ChangeKind::Narrowed,
        ChangeKind::Moved,
    ]
    .into_iter()
    .filter(|k| count(*k) > 0)
    .map(|k| format!("{} {}", count(k), k.label()))
    .collect();
    let rows = p
        .changes
        .iter()
        .map(|c| {
            let ports = match (&c.before, &c.after) {
                (Some(b), Some(a)) => format!("{} → {}", m.text(b), m.text(a)),
                (Some(b), None) | (None, Some(b)) => m.text(b),
                (None, None) => String::new(),
            };
            let seen = match c.last_seen {
                Some(t) if c.expired => format!(
                    "{} (older than --keep {}: proposed for removal)",
                    day(t),
                    in_days(p.keep_seconds)
                ),
                Some(t) => day(t),
                None => "unknown".to_string(),
            };
            Row::plain(vec![
                c.kind.label().to_string(),
                key_cell(m, &c.key),
                group_label(m, &a.inventory, &c.source_sg),
                group_label(m, &a.inventory, &c.target_sg),
                ports,
                seen,
            ])
        })
        .collect();
    Section::new(
        "since-last-run",
        H,
        vec![
            para(format!("{}. {span}", counts.join(", "))),
            table(
                "changes",
                &["=Change", "Key", "From", "To", "Service", "Last seen"],
                rows,
            ),
        ],
    )
}

fn readiness(a: &Analysis, p: &Progress, m: &dyn Markup) -> Section {
    const H: &str = "Closing open egress";
    let intro = format!(
        "A group is ready to close its open egress when the evidence shows no connection that only open egress carries (no rule the change keeps or adds allows it) for --soak {} of observed time{}.",
        in_days(p.soak_seconds),
        if p.not_observed.is_empty() {
            ""
        } else {
            " (the time no run read, named above, is not counted)"
        }
    );
    if p.readiness.is_empty() {
        return Section::new(
            "readiness",
            H,
            vec![para(format!(
                "{intro} No group the evidence shows has open egress."
            ))],
        );
    }
    let rows = p
        .readiness
        .iter()
        .map(|r| {
            let when = match r.status {
                Status::Ready => "now".to_string(),
                _ => format!("{} if nothing else comes", day(r.ready_at)),
            };
            let last = r.last_open_egress_only.map_or_else(
                || "none".to_string(),
                |t| {
                    format!(
                        "{}, last {}: {}",
                        count(r.open_egress_only, "connection"),
                        day(t),
                        m.text(&r.examples.join("; "))
                    )
                },
            );
            Row::plain(vec![
                group_label(m, &a.inventory, &r.group_id),
                r.status.label().to_string(),
                when,
                last,
            ])
        })
        .collect();
    Section::new(
        "readiness",
        H,
        vec![
            para(intro),
            table(
                "readiness",
                &["Group", "=Status", "=Ready", "Only open egress carried"],
                rows,
            ),
        ],
    )
}
