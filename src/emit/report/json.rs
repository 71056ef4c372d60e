//! The report as JSON for machines: pretty-printed, stable field names, a
//! `format_version`. The same content as the Markdown.

use serde::Serialize;

use crate::aggregate::{Gap, Rejected, Undecided};
use crate::analysis::Analysis;
use crate::audit::Audit;
use crate::emit::Command;
use crate::emit::report::sections::rejected_by_records;
use crate::emit::summary::Summary;
use crate::emit::terraform::{self, Destination, Half, Written};
use crate::present::{names, service};
use crate::resolve::Attribution;
use crate::stats::{Fill, Stats};
use crate::synthesize::{Alternatives, CrossAccount, External, Rule, RuleEvidence, Suspicious};
use crate::window::rfc3339;

/// Version of the JSON layout; bumped when a field changes meaning or goes away.
pub const FORMAT_VERSION: u32 = 1;

/// The JSON report: pretty-printed, stable field names, `"format_version": 1`,
/// and the `command` that made it (`infer` or `audit`).
/// `audit` is [`crate::audit::audit`] of `a`.
pub fn json(a: &Analysis, audit: &Audit, command: Command) -> String {
    json_with(a, audit, command, &[])
}

/// [`json`] with the `--terraform` folders the run wrote (`terraform`: per
/// folder its files, the rules imported instead of duplicated, egress.tf's
/// rules and the egress it could not write).
pub fn json_with(a: &Analysis, audit: &Audit, command: Command, folders: &[Written]) -> String {
    let mut report = JsonReport::of(a, audit, command);
    report.terraform = folders.iter().map(JsonFolder::of).collect();
    let mut out = serde_json::to_string_pretty(&report)
        .expect("the report holds only strings, numbers and lists");
    out.push('\n');
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    /// The command that made the document: `infer` or `audit` (`check`'s
    /// has its own keys).
    command: &'static str,
    summary: Summary<'a>,
    window: JsonWindow,
    rules: Vec<JsonRule<'a>>,
    external: Vec<WithService<'a, External>>,
    suspicious: Vec<WithService<'a, Suspicious>>,
    undecided: &'a [Undecided],
    rejected: Vec<WithService<'a, Rejected>>,
    gaps: &'a [Gap],
    /// What the records of the window span per source, the warnings when
    /// they do not fill it, and the interfaces that fell silent.
    evidence_per_source: Fill,
    /// Interfaces the logs show and the inventory lacks; what resolution merged.
    attribution: &'a Attribution,
    /// Group pairs that allow exactly as much as the chosen ones, and why they lost.
    alternatives: &'a [Alternatives],
    /// Rules between groups of two accounts, with the account that applies each half.
    #[serde(skip_serializing_if = "<[CrossAccount]>::is_empty")]
    cross_account: &'a [CrossAccount],
    /// Proposed rules the module's input cannot express (`--module-version
    /// 1`), not in the tfvars, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    left_out: Vec<JsonLeftOut<'a>>,
    audit: &'a Audit,
    /// The `--terraform` folders written (none without the flag).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    terraform: Vec<JsonFolder<'a>>,
    /// Interfaces no flow log covers; null when the inventory lists no flow logs.
    blind_spots: Option<Vec<&'a str>>,
    stats: &'a Stats,
}

/// The window as every JSON document of sgpair gives it.
#[derive(Serialize)]
pub(crate) struct JsonWindow {
    since: i64,
    until: i64,
    since_rfc3339: String,
    until_rfc3339: String,
    days: f64,
}

impl JsonWindow {
    pub(crate) fn of(w: &crate::window::Window) -> JsonWindow {
        JsonWindow {
            since: w.since,
            until: w.until,
            since_rfc3339: rfc3339(w.since),
            until_rfc3339: rfc3339(w.until),
            days: w.days(),
        }
    }
}

#[derive(Serialize)]
struct JsonRule<'a> {
    key: String,
    source_sg: &'a str,
    source_name: Option<&'a str>,
    target_sg: &'a str,
    target_name: Option<&'a str>,
    protocol: String,
    from_port: i32,
    to_port: i32,
    service: String,
    evidence: &'a RuleEvidence,
}

#[derive(Serialize)]
struct JsonLeftOut<'a> {
    #[serde(flatten)]
    rule: JsonRule<'a>,
    reason: &'a str,
}

/// An existing record plus its service spelled as in the Markdown.
#[derive(Serialize)]
struct WithService<'a, T: Serialize> {
    #[serde(flatten)]
    item: &'a T,
    service: String,
}

impl<'a> JsonReport<'a> {
    fn of(a: &'a Analysis, audit: &'a Audit, command: Command) -> Self {
        let w = a.window;
        let summary = Summary::of(a, audit);
        JsonReport {
            format_version: FORMAT_VERSION,
            command: command.name(),
            evidence_per_source: summary.fill.clone(),
            summary,
            window: JsonWindow::of(&w),
            rules: json_rules(a),
            external: a
                .proposal
                .external
                .iter()
                .map(|e| WithService {
                    item: e,
                    service: service::of_port(e.port, e.proto),
                })
                .collect(),
            suspicious: a
                .proposal
                .suspicious
                .iter()
                .map(|s| WithService {
                    item: s,
                    service: service::of_port(s.port, s.proto),
                })
                .collect(),
            undecided: &a.evidence.undecided,
            rejected: rejected_by_records(a)
                .into_iter()
                .map(|r| WithService {
                    item: r,
                    service: service::of_port(r.dstport, r.proto),
                })
                .collect(),
            gaps: &a.evidence.gaps,
            attribution: &a.attribution,
            alternatives: &a.proposal.alternatives,
            cross_account: &a.proposal.cross_account,
            left_out: a
                .proposal
                .left_out
                .iter()
                .map(|l| JsonLeftOut {
                    rule: json_rule(a, &l.rule, l.key.clone()),
                    reason: &l.reason,
                })
                .collect(),
            audit,
            terraform: Vec::new(),
            blind_spots: a
                .inventory
                .blind_spots()
                .map(|b| b.iter().map(|e| e.id.as_str()).collect()),
            stats: &a.stats,
        }
    }
}

fn json_rules(a: &Analysis) -> Vec<JsonRule<'_>> {
    let keys = names::rule_keys(&a.proposal.rules, &a.inventory);
    a.proposal
        .rules
        .iter()
        .zip(keys)
        .map(|(r, key)| json_rule(a, r, key))
        .collect()
}

fn json_rule<'a>(a: &'a Analysis, r: &'a Rule, key: String) -> JsonRule<'a> {
    let name = |id: &str| -> Option<&'a str> { a.inventory.group(id).map(|g| g.name.as_str()) };
    JsonRule {
        key,
        source_sg: &r.source_sg,
        source_name: name(&r.source_sg),
        target_sg: &r.target_sg,
        target_name: name(&r.target_sg),
        protocol: names::protocol(r.proto),
        from_port: r.from_port,
        to_port: r.to_port,
        service: service::of_rule(r),
        evidence: &r.evidence,
    }
}

/// One `--terraform` folder as written.
#[derive(Serialize)]
struct JsonFolder<'a> {
    dir: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    module: &'a str,
    /// The files the run wrote there, and those that existed and stayed.
    written: Vec<&'a str>,
    kept: &'a [&'static str],
    /// Existing rules a resource of the folder stands for: adopted by an
    /// `import` block where the rule's id is known (`rule_id`), else to be
    /// removed or imported by hand before the apply.
    imports: Vec<JsonImport<'a>>,
    /// egress.tf's rules: what group-to-group rules cannot carry.
    egress: Vec<JsonEgress<'a>>,
    /// Egress open egress carries today that egress.tf does not, and why.
    not_written: Vec<JsonNotWritten<'a>>,
}

#[derive(Serialize)]
struct JsonImport<'a> {
    address: String,
    rule_id: Option<&'a str>,
    group: &'a str,
    peer: &'a str,
    direction: &'static str,
    service: &'a str,
}

#[derive(Serialize)]
struct JsonEgress<'a> {
    resource: &'a str,
    group: &'a str,
    protocol: u8,
    from_port: Option<i32>,
    to_port: Option<i32>,
    destination: String,
    /// The addresses the traffic went to (a sample when synthesis kept one).
    observed: String,
}

#[derive(Serialize)]
struct JsonNotWritten<'a> {
    interface: &'a str,
    destination: &'a str,
    protocol: u8,
    port: u16,
    reason: &'static str,
}

impl<'a> JsonFolder<'a> {
    fn of(w: &'a Written) -> Self {
        let f = &w.folder;
        let kept = |name: &str| w.kept.contains(&name);
        JsonFolder {
            dir: &w.dir,
            account: f.account.as_deref(),
            module: &f.module,
            written: f
                .files
                .iter()
                .map(|file| file.name)
                .filter(|n| !kept(n))
                .collect(),
            kept: &w.kept,
            imports: f
                .plan
                .imports
                .iter()
                .map(|i| JsonImport {
                    address: terraform::address(i, &f.module, str::to_string),
                    rule_id: i.rule_id.as_deref(),
                    group: &i.group,
                    peer: &i.peer,
                    direction: match i.half {
                        Half::Ingress => "ingress",
                        Half::Egress => "egress",
                    },
                    service: &i.service,
                })
                .collect(),
            egress: f
                .plan
                .egress
                .iter()
                .map(|e| JsonEgress {
                    resource: &e.name,
                    group: &e.group,
                    protocol: e.proto,
                    from_port: e.ports.map(|p| p.0),
                    to_port: e.ports.map(|p| p.1),
                    destination: match &e.destination {
                        Destination::PrefixList { id, .. } => id.clone(),
                        Destination::Subnet { cidr, .. } | Destination::Internet { cidr } => {
                            cidr.to_string()
                        }
                    },
                    observed: terraform::destinations(&e.observed),
                })
                .collect(),
            not_written: f
                .plan
                .not_written
                .iter()
                .map(|n| JsonNotWritten {
                    interface: &n.interface,
                    destination: &n.destination,
                    protocol: n.proto,
                    port: n.port,
                    reason: n.reason,
                })
                .collect(),
        }
    }
}
