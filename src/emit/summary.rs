//! The summary model: the headline numbers of a run, computed once from the
//! [`Analysis`] and its [`Audit`] and rendered by each report (Markdown and
//! JSON in [`crate::emit::report`], HTML in [`crate::emit::html`]).
//!
//! Counts the audit already holds (connections, proposed rules, coverage,
//! the before/after table) are read from its [`BeforeAfter`], never counted
//! again. Wording and markup stay with each rendering, except the phrases
//! both say word for word, which are here.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::analysis::Analysis;
use crate::audit::{Audit, BeforeAfter, SHORT_WINDOW_DAYS};
use crate::present::count;
use crate::stats::Fill;
use crate::synthesize::Severity;
use crate::window::rfc3339;

/// What the after state of the before/after table is.
pub(crate) const BEFORE_AFTER_NOTE: &str = "After the change: today's rules minus open egress and unused rules, plus the proposed mutual rules. What it would no longer allow is listed under the findings (\"would break\"), except suspicious traffic, which it blocks on purpose.";

/// [`BEFORE_AFTER_NOTE`] where the `--terraform` folder's files create
/// rules beside the module's (egress.tf), which the same apply creates.
pub(crate) const BEFORE_AFTER_NOTE_TERRAFORM: &str = "After the change: today's rules minus open egress and unused rules, plus the proposed mutual rules and the rules the Terraform folder's files create beside them (egress.tf), as sgpair check replays them. What it would no longer allow is listed under the findings (\"would break\"), except suspicious traffic, which it blocks on purpose.";

/// The headline numbers. Serialised as the JSON report's `summary`: the
/// field names and their order are that contract.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary<'a> {
    pub window_days: f64,
    pub short_window: bool,
    pub files: u64,
    pub records: u64,
    pub used: u64,
    pub rejected: u64,
    pub skipped: u64,
    /// Accepted connections in the window.
    pub connections: u64,
    /// Proposed mutual rules.
    pub rules: usize,
    /// The audit's counts; in the JSON only the coverage,
    /// `{"covered": .., "grouped": ..}`.
    #[serde(rename = "coverage", serialize_with = "coverage_counts")]
    pub before_after: &'a BeforeAfter,
    /// Covered over grouped connections, in percent; `None` when nothing was grouped.
    pub coverage_percent: Option<f64>,
    pub other_controls_connections: u64,
    pub same_interface_connections: u64,
    /// Suspicious aggregates.
    pub suspicious: usize,
    /// Aggregates whose initiator was not decided (not counted as connections).
    pub undecided: usize,
    pub optimal: bool,
    /// The aggregates (client, server, service port, protocol) the
    /// connections fall into.
    pub aggregates: usize,
    /// Connections of the suspicious aggregates.
    pub suspicious_connections: u64,
    /// Flow records of the undecided aggregates.
    pub undecided_records: u64,
    #[serde(skip)]
    pub findings: FindingCounts,
    /// What the evidence covers against the window.
    #[serde(skip)]
    pub fill: Fill,
    /// Proposed rules the module's input cannot express (`--module-version
    /// 1`: TCP only), not in the tfvars, in no other count or coverage.
    pub rules_left_out: usize,
}

/// One line of the summary: a label and plain text (not yet escaped), the
/// same in the terminal, the Markdown and the HTML.
pub type Fact = (&'static str, String);

impl<'a> Summary<'a> {
    /// `audit` is [`crate::audit::audit`] of `a`.
    pub fn of(a: &Analysis, audit: &'a Audit) -> Summary<'a> {
        let b = &audit.before_after;
        Summary {
            window_days: a.window.days(),
            short_window: a.window.days() < SHORT_WINDOW_DAYS,
            files: a.stats.files,
            records: a.stats.records,
            used: a.stats.used,
            rejected: a.stats.rejected,
            skipped: a.stats.skipped_total(),
            connections: b.observed_connections,
            rules: b.rules_proposed,
            before_after: b,
            coverage_percent: percent(b.covered_by_proposal, b.grouped_connections),
            other_controls_connections: a.proposal.external.iter().map(|e| e.connections).sum(),
            same_interface_connections: a.proposal.same_interface,
            suspicious: a.proposal.suspicious.len(),
            undecided: a.evidence.undecided.len(),
            optimal: a.proposal.optimal,
            aggregates: a.evidence.connections.len(),
            suspicious_connections: a.proposal.suspicious.iter().map(|s| s.connections).sum(),
            undecided_records: a.evidence.undecided.iter().map(|u| u.records).sum(),
            findings: FindingCounts::of(audit),
            // The sources are this run's: measured against the window it read.
            fill: a.fill(),
            rules_left_out: a.proposal.left_out.len(),
        }
    }

    /// The summary, fact by fact, in the words README defines (flow
    /// record, connection, aggregate): the terminal prints these lines, the
    /// Markdown and the HTML reports open with them.
    pub fn facts(&self, a: &Analysis) -> Vec<Fact> {
        let mut v: Vec<Fact> = vec![(
            "Window",
            format!(
                "{}..{} ({:.1} days, end exclusive)",
                rfc3339(a.window.since),
                rfc3339(a.window.until),
                self.window_days
            ),
        )];
        if self.short_window {
            v.push((
                "Short window",
                "under 7 days of logs; rare traffic (weekly jobs, backups, failovers) may be missing, and so would the rules it needs".into(),
            ));
        }
        v.push(("Evidence", self.evidence_span()));
        if !self.fill.warnings.is_empty() {
            v.push((
                "Window not filled",
                format!(
                    "{} (see Evidence per source)",
                    self.fill.warnings.join("; ")
                ),
            ));
        }
        if !self.fill.silent.is_empty() {
            v.push(("Silent interfaces", self.silent_interfaces()));
        }
        v.push(("Records", a.stats.summary()));
        if !a.stats.missing.is_empty() {
            v.push((
                "Incomplete evidence",
                format!(
                    "{} could not be read in full (--allow-partial); rules their traffic needs may be missing: {}",
                    count(a.stats.missing.len() as u64, "source"),
                    a.stats.missing.join("; ")
                ),
            ));
        }
        v.push((
            "Connections observed",
            format!(
                "{} in {}",
                count(self.connections, "connection"),
                count(self.aggregates as u64, "aggregate")
            ),
        ));
        v.push((
            "Rules proposed",
            format!(
                "{} (each one egress and one ingress rule in AWS)",
                count(self.rules as u64, "mutual rule")
            ),
        ));
        if let Some(left_out) = left_out(a) {
            v.push(("Left out of the tfvars", left_out));
        }
        v.push((
            "Coverage",
            match self.coverage_percent {
                Some(_) => format!("the rules cover {}", self.coverage()),
                None => self.coverage(),
            },
        ));
        v.push((
            "Needs other controls",
            format!(
                "{} that no group-to-group rule can express (internet, AWS services, other networks)",
                count(self.other_controls_connections, "connection")
            ),
        ));
        if self.same_interface_connections > 0 {
            v.push((
                "Within one interface",
                format!(
                    "{} between two addresses of the same interface; no group is crossed",
                    count(self.same_interface_connections, "connection")
                ),
            ));
        }
        v.push((
            "Suspicious",
            format!(
                "{} ({}), never turned into rules",
                count(self.suspicious as u64, "aggregate"),
                count(self.suspicious_connections, "connection")
            ),
        ));
        v.push((
            "Undecided initiator",
            format!(
                "{} ({}), not counted as connections; no rule proposed for them",
                count(self.undecided as u64, "aggregate"),
                count(self.undecided_records, "record")
            ),
        ));
        v.push(("Findings", self.findings.to_string()));
        v.push((
            "Minimal",
            if self.optimal {
                "yes, every service's choice of group pairs was proven minimal by exhaustive search".into()
            } else {
                "not proven; some services had too many candidate group pairs for an exhaustive search, and a greedy choice was made (it may allow a few more interface pairs than necessary)".into()
            },
        ));
        v
    }

    /// `2026-11-18T00:00:05Z..2026-11-25T00:00:00Z in 1 source`: what the
    /// records of the window span.
    pub fn evidence_span(&self) -> String {
        let n = self.fill.sources.len();
        let sources = count(n as u64, "source");
        match (self.fill.first, self.fill.last) {
            (Some(f), Some(l)) => {
                format!("records from {} to {} in {sources}", rfc3339(f), rfc3339(l))
            }
            _ if n == 0 => "no source was read".into(),
            _ => format!("no record in the window in {sources}"),
        }
    }

    /// `2 interfaces, last record more than a day before the window's end: eni-a (2026-11-22T10:00:00Z), ...`
    pub fn silent_interfaces(&self) -> String {
        const SHOWN: usize = 5;
        let s = &self.fill.silent;
        let list = crate::present::first_and_more(
            s.iter()
                .map(|i| format!("{} (last record ends {})", i.interface_id, rfc3339(i.last))),
            SHOWN,
        );
        format!(
            "{} {} whose last record ends more than a day before the window's end: {}",
            s.len(),
            if s.len() == 1 {
                "interface"
            } else {
                "interfaces"
            },
            list.join(", ")
        )
    }

    /// `95.6% (260 of 272) of the connections between ...`: the share of
    /// grouped connections the proposed rules cover, with both counts.
    pub fn coverage(&self) -> String {
        let b = self.before_after;
        match self.coverage_percent {
            Some(p) => format!(
                "{p:.1}% ({} of {}) of the connections between two interfaces with security groups (suspicious traffic excluded)",
                b.covered_by_proposal, b.grouped_connections
            ),
            None => "no connection between two interfaces with security groups was observed".into(),
        }
    }

    /// What the before/after table's after state is.
    pub fn before_after_note(&self) -> &'static str {
        if self.before_after.rules_in_terraform_files > 0 {
            BEFORE_AFTER_NOTE_TERRAFORM
        } else {
            BEFORE_AFTER_NOTE
        }
    }

    /// The before/after table: a label and a count per row (the Terraform
    /// folder's own rules only where it has some). Plain text that needs
    /// no escaping.
    pub fn before_after_rows(&self) -> Vec<(&'static str, String)> {
        let b = self.before_after;
        let of = |n: u64, d: u64| {
            let p = percent(n, d).map_or_else(|| "-".to_string(), |p| format!("{p:.1}%"));
            format!("{n} of {d} ({p})")
        };
        let mut rows = vec![
            (
                "Rules today (ingress and egress entries)",
                b.rules_today.to_string(),
            ),
            (
                "Rules proposed (mutual: one egress and one ingress rule each)",
                b.rules_proposed.to_string(),
            ),
        ];
        if b.rules_in_terraform_files > 0 {
            rows.push((
                "Rules the Terraform folder's files add (egress.tf)",
                b.rules_in_terraform_files.to_string(),
            ));
        }
        rows.extend([
            (
                "Rules to remove (open egress, unused in the window)",
                b.rules_to_remove.to_string(),
            ),
            (
                "Connections between grouped interfaces covered by the proposal",
                of(b.covered_by_proposal, b.grouped_connections),
            ),
            (
                "Observed connections still allowed after the change",
                of(b.allowed_after, b.observed_connections),
            ),
        ]);
        rows
    }
}

/// What a run read, for stderr: the notes, the first places of each kind
/// of skipped record, `warnings`, the sources missing under
/// `--allow-partial`, and the one-line counts. `infer`, `audit` and
/// `check` all begin their account with it.
pub fn read_lines(stats: &crate::stats::Stats, warnings: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(stats.notes.iter().map(|n| format!("note: {n}")));
    for (reason, places) in &stats.examples {
        out.extend(places.iter().map(|p| format!("skipped ({reason}): {p}")));
    }
    out.extend(warnings.iter().map(|w| format!("warning: {w}")));
    out.extend(
        stats
            .missing
            .iter()
            .map(|m| format!("warning: incomplete evidence (--allow-partial): {m}")),
    );
    out.push(stats.summary());
    out
}

/// The summary the terminal prints after a run, in the reports' words:
/// `Label: value` for each fact of the reports' summary (the records line
/// is [`crate::stats::Stats::summary`], printed on its own), then the
/// warnings about the window, each as `warning: ...`.
pub fn terminal_summary(a: &Analysis, audit: &Audit) -> Vec<String> {
    let s = Summary::of(a, audit);
    let mut lines: Vec<String> = s
        .facts(a)
        .into_iter()
        .filter(|(label, _)| {
            !matches!(
                *label,
                "Records" | "Window not filled" | "Silent interfaces" | "Incomplete evidence"
            )
        })
        .map(|(label, value)| format!("{label}: {value}"))
        .collect();
    lines.extend(
        s.fill
            .warnings
            .iter()
            .map(|w| format!("warning: the window is not filled: {w}")),
    );
    if !s.fill.silent.is_empty() {
        lines.push(format!("warning: {}", s.silent_interfaces()));
    }
    lines
}

/// `1 proposed rule that module 1 cannot express: key (53/udp); ...`: what
/// the tfvars does not hold, and what that means once applied.
fn left_out(a: &Analysis) -> Option<String> {
    const SHOWN: usize = 5;
    let l = &a.proposal.left_out;
    if l.is_empty() {
        return None;
    }
    let list = crate::present::first_and_more(
        l.iter()
            .map(|x| format!("{} ({})", x.key, crate::present::service::of_rule(&x.rule))),
        SHOWN,
    );
    let connections: u64 = l.iter().map(|x| x.rule.evidence.connections).sum();
    Some(format!(
        "{} that module 1 (--module-version 1, TCP only) cannot express: {}; not counted above nor as coverage, so the change would not allow their {} (see the findings); use --module-version 2, or add them by hand",
        count(l.len() as u64, "proposed rule"),
        list.join(", "),
        count(connections, "connection")
    ))
}

/// `n` over `d` in percent; `None` when `d` is 0.
fn percent(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 * 100.0 / d as f64)
}

/// The JSON report's `coverage` object: the before/after coverage counts
/// under the names the JSON has always given them.
fn coverage_counts<S: Serializer>(b: &&BeforeAfter, s: S) -> Result<S::Ok, S::Error> {
    let mut o = s.serialize_struct("Coverage", 2)?;
    o.serialize_field("covered", &b.covered_by_proposal)?;
    o.serialize_field("grouped", &b.grouped_connections)?;
    o.end()
}

/// Findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FindingCounts {
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

impl FindingCounts {
    pub fn of(audit: &Audit) -> FindingCounts {
        FindingCounts {
            high: audit.count(Severity::High),
            medium: audit.count(Severity::Medium),
            low: audit.count(Severity::Low),
        }
    }
}

/// `3 high, 1 medium, 19 low`.
impl fmt::Display for FindingCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} high, {} medium, {} low",
            self.high, self.medium, self.low
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::audit;
    use crate::emit::test_support::fixture;

    #[test]
    fn the_numbers_are_the_analysis_and_the_audit() {
        let a = fixture();
        let au = audit(&a);
        let s = Summary::of(&a, &au);
        let connections: u64 = a.evidence.connections.iter().map(|c| c.connections).sum();
        assert_eq!((s.connections, s.aggregates), (connections, 17));
        assert_eq!(s.rules, a.proposal.rules.len());
        let f = s.findings;
        assert_eq!(f.high + f.medium + f.low, au.findings.len());
        assert_eq!(f.to_string(), "3 high, 1 medium, 19 low");
        assert!(!s.short_window);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v["coverage"],
            serde_json::json!({"covered": 272, "grouped": 272})
        );
        assert_eq!(v["aggregates"], 17);
        assert!(v.get("findings").is_none() && v.get("fill").is_none());
        // The facts say the same numbers in the README's words.
        let facts: std::collections::BTreeMap<&str, String> = s.facts(&a).into_iter().collect();
        assert_eq!(
            facts["Connections observed"],
            format!("{connections} connections in 17 aggregates")
        );
        assert_eq!(
            facts["Suspicious"],
            format!(
                "4 aggregates ({} connections), never turned into rules",
                s.suspicious_connections
            )
        );
        assert_eq!(facts["Findings"], "3 high, 1 medium, 19 low");
    }

    #[test]
    fn before_after_rows_say_both_counts_and_the_share() {
        let b = BeforeAfter {
            rules_today: 5,
            rules_proposed: 1,
            rules_to_remove: 4,
            grouped_connections: 0,
            covered_by_proposal: 0,
            observed_connections: 47,
            allowed_after: 40,
            rules_in_terraform_files: 0,
        };
        let au = Audit {
            before_after: b.clone(),
            ..Default::default()
        };
        let s = Summary::of(&fixture(), &au);
        let rows = s.before_after_rows();
        let values: Vec<&str> = rows.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["5", "1", "4", "0 of 0 (-)", "40 of 47 (85.1%)"]);
        assert_eq!(s.coverage_percent, None);
        assert!(s.coverage().starts_with("no connection"));
        assert_eq!(s.before_after_note(), BEFORE_AFTER_NOTE);

        // The --terraform folder's own rules: a row of theirs, and the
        // after state says it holds them.
        let au = Audit {
            before_after: BeforeAfter {
                rules_in_terraform_files: 2,
                ..b
            },
            ..Default::default()
        };
        let s = Summary::of(&fixture(), &au);
        let rows = s.before_after_rows();
        assert_eq!(
            rows[2],
            (
                "Rules the Terraform folder's files add (egress.tf)",
                "2".to_string()
            )
        );
        assert_eq!(rows.len(), 6);
        assert_eq!(s.before_after_note(), BEFORE_AFTER_NOTE_TERRAFORM);
        // Plain text, as the HTML page shows it too: no Markdown code span.
        for note in [BEFORE_AFTER_NOTE, BEFORE_AFTER_NOTE_TERRAFORM] {
            assert!(!note.contains('`'), "{note}");
        }
    }
}
