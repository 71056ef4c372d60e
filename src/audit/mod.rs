//! The audit: today's security-group rules against the evidence. Every
//! existing rule gets its usage in the window; findings say what is risky,
//! dead, one-sided, or would break when the proposal replaces today's rules.
//!
//! The "after" state of the before/after comparison is: today's rules, minus
//! open egress (all protocols to `0.0.0.0/0` or `::/0`) and every rule unused
//! in the window, plus the proposed mutual rules and, with `--terraform`,
//! the rules the folder's resources create (`egress.tf`: the egress the
//! module cannot express), which the same apply creates.
//!
//! In files of one job: which of today's rules a connection passes through
//! (`matching`), what each rule carried and whether the change keeps it
//! (`usage`), what the change would still allow (`before_after`), the
//! findings, one builder per kind (`findings`), and what each kind of
//! finding is, in one table ([`catalogue`]); with `--state`, what changed
//! since the last run and which groups can close open egress (`progress`);
//! for `sgpair check`, new logs replayed against a proposal (`replay`);
//! the rules-per-group quota against the proposal (`quota`).

mod before_after;
pub mod catalogue;
mod findings;
mod matching;
pub mod progress;
pub mod quota;
pub mod replay;
mod usage;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::inventory::SecurityGroup;
use crate::synthesize::Severity;

pub use catalogue::{Entry, FindingKind};
pub use findings::fingerprint;
pub use progress::Progress;
pub use usage::{RuleUse, measure, measure_of};

/// Windows shorter than this many days may miss rare (weekly) traffic: a
/// finding (SGP010) and a warning of the reports' summary.
pub const SHORT_WINDOW_DAYS: f64 = 7.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Ingress,
    Egress,
}

/// One existing rule and what it carried in the window.
#[derive(Debug, Clone, Serialize)]
pub struct RuleUsage {
    pub group_id: String,
    pub group_name: String,
    pub direction: Direction,
    pub rule_id: Option<String>,
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    /// The peer: a CIDR, `sg-...` or `pl-...`.
    pub peer: String,
    pub description: String,
    pub connections: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Distinct services used: (port or ICMP type, protocol), at most 32
    /// listed.
    pub used_services: Vec<(u16, u8)>,
    pub used_service_count: usize,
    /// Distinct peer addresses seen through the rule.
    pub used_peers: usize,
    /// The lowest of them (at most 5), for a CIDR peer.
    pub used_peer_examples: Vec<String>,
    /// "unused", "1024-65535 allowed, only 8443 used", "0.0.0.0/0 allowed, 3 destinations used".
    pub summary: String,
    /// Removed in the proposed state (open egress or unused).
    pub removed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub rule_id: &'static str,
    pub severity: Severity,
    /// Stable across runs: the kind and what it is about, hashed.
    pub fingerprint: String,
    /// What it is about, in words (`sg-... egress -1 to 0.0.0.0/0`).
    pub subject: String,
    pub groups: Vec<String>,
    pub enis: Vec<String>,
    pub evidence: String,
    pub fix: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BeforeAfter {
    /// Existing rules (ingress and egress entries).
    pub rules_today: usize,
    /// Proposed mutual rules (each is an egress and an ingress rule in AWS).
    pub rules_proposed: usize,
    /// Existing rules removed: open egress and rules unused in the window.
    pub rules_to_remove: usize,
    /// Rules the Terraform folder's resources create beside the module's
    /// entries (`egress.tf`), in the after state too; 0 without `--terraform`.
    pub rules_in_terraform_files: usize,
    /// Connections between two interfaces with groups (suspicious excluded).
    pub grouped_connections: u64,
    pub covered_by_proposal: u64,
    /// Accepted connections in the window, and those the after state allows.
    pub observed_connections: u64,
    pub allowed_after: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Audit {
    pub rules: Vec<RuleUsage>,
    pub findings: Vec<Finding>,
    pub before_after: BeforeAfter,
    /// With `--state`: changes since the last run, groups' readiness.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

impl Audit {
    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// How many findings have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// The audit of an analysis: the usage of every existing rule, the
/// before/after counts, and the findings, most severe first.
pub fn audit(a: &Analysis) -> Audit {
    audit_with(a, &measure(a), &[])
}

/// [`audit`] with the rules' use already [`measure`]d on `a`; `added`: the
/// rules the change creates beside the proposal's module entries (per
/// group, those rules only: the `--terraform` folder's resources), which
/// the after state holds too.
pub fn audit_with(a: &Analysis, used: &RuleUse, added: &[SecurityGroup]) -> Audit {
    let inv = &a.inventory;
    // The after state needs to know which rules carried traffic.
    let used = &used.0;
    let kept = usage::Kept::new(inv, used);
    let flows = before_after::compare(a, &kept, added);
    let rows = usage::rows(inv, used, &kept);
    if flows.blocked_suspicious > 0 {
        tracing::info!(
            blocked_suspicious = flows.blocked_suspicious,
            "suspicious connections the change blocks"
        );
    }
    let findings = findings::all(a, &rows.rules, &flows);
    let before_after = BeforeAfter {
        rules_today: rows.today,
        rules_proposed: a.proposal.rules.len(),
        rules_to_remove: rows.removed,
        rules_in_terraform_files: before_after::rules_in(added),
        grouped_connections: before_after::grouped_total(a),
        covered_by_proposal: a
            .proposal
            .rules
            .iter()
            .map(|r| r.evidence.connections)
            .sum(),
        observed_connections: flows.observed,
        allowed_after: flows.allowed_after,
    };
    let progress = a
        .continuity
        .as_ref()
        .map(|c| progress::progress(a, &kept, added, c));
    Audit {
        rules: rows.rules,
        findings,
        before_after,
        progress,
    }
}
