//! What the audit found: the findings, the before/after counts, and every
//! existing rule against the evidence.

use crate::audit::{Audit, Direction};
use crate::emit::escape;
use crate::emit::report::document::{Markup, Row, Section, para, table};
use crate::emit::severity;
use crate::emit::summary::Summary;
use crate::window::days;

/// Findings, most severe first, each with its evidence and fix.
pub(super) fn findings(audit: &Audit, s: &Summary, m: &dyn Markup) -> Section {
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
                severity::label(f.severity),
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
pub(super) fn before_after(s: &Summary) -> Section {
    let rows: Vec<Row> = s
        .before_after_rows()
        .into_iter()
        .map(|(label, count)| Row::plain(vec![label.to_string(), count]))
        .collect();
    Section::new(
        "before-after",
        "Before and after",
        vec![
            para(s.before_after_note()),
            table("before-after", &["", ">Count"], rows),
        ],
    )
}

/// Every existing rule with what it carried.
pub(super) fn existing_rules(audit: &Audit, m: &dyn Markup) -> Section {
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
