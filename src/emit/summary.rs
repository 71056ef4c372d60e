//! The summary model: the headline numbers of a run, computed once from the
//! [`Analysis`] and its [`Audit`] and rendered by each report (Markdown and
//! JSON in `report.rs`, HTML in `html.rs`).
//!
//! Counts the audit already holds (connections, proposed rules, coverage,
//! the before/after table) are read from its [`BeforeAfter`], never counted
//! again. Wording and markup stay with each rendering, except the phrases
//! both say word for word, which are here.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::audit::{Audit, BeforeAfter};
use crate::pipeline::Analysis;
use crate::synthesize::Severity;

/// Windows shorter than this many days may miss rare (weekly) traffic.
pub(crate) const SHORT_WINDOW_DAYS: f64 = 7.0;

/// What the after state of the before/after table is.
pub(crate) const BEFORE_AFTER_NOTE: &str = "After the change: today's rules minus open egress and unused rules, plus the proposed mutual rules. What it would no longer allow is listed under the findings (\"would break\"), except suspicious traffic, which it blocks on purpose.";

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
    pub suspicious: usize,
    pub undecided: usize,
    pub optimal: bool,
    /// The client/server/service aggregates the connections fall into.
    #[serde(skip)]
    pub aggregates: usize,
    #[serde(skip)]
    pub findings: FindingCounts,
}

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
            findings: FindingCounts::of(audit),
        }
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

    /// The before/after table: a label and a count per row. Plain text that
    /// needs no escaping.
    pub fn before_after_rows(&self) -> [(&'static str, String); 5] {
        let b = self.before_after;
        let of = |n: u64, d: u64| {
            let p = percent(n, d).map_or_else(|| "-".to_string(), |p| format!("{p:.1}%"));
            format!("{n} of {d} ({p})")
        };
        [
            (
                "Rules today (ingress and egress entries)",
                b.rules_today.to_string(),
            ),
            (
                "Rules proposed (mutual: one egress and one ingress rule each)",
                b.rules_proposed.to_string(),
            ),
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
        ]
    }
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
    use crate::emit::report::tests::fixture;

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
        assert!(v.get("aggregates").is_none() && v.get("findings").is_none());
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
        };
        let au = Audit {
            before_after: b,
            ..Default::default()
        };
        let s = Summary::of(&fixture(), &au);
        let rows = s.before_after_rows();
        let values: Vec<&str> = rows.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["5", "1", "4", "0 of 0 (-)", "40 of 47 (85.1%)"]);
        assert_eq!(s.coverage_percent, None);
        assert!(s.coverage().starts_with("no connection"));
    }
}
