//! The sections of the report after its summary, built once in the
//! document model for every rendering: what the audit found
//! ([`audit`]), the proposed rules ([`rules`]), the traffic no rule
//! covers ([`traffic`]), and what the evidence is and lacks ([`evidence`]).
//! With the cells they share.

mod accounts;
mod audit;
mod evidence;
mod progress;
mod rules;
mod terraform;
mod traffic;

use std::net::{IpAddr, SocketAddr};

use crate::analysis::Analysis;
use crate::audit::Audit;
use crate::emit::report::document::{Markup, Section};
use crate::emit::summary::Summary;
use crate::emit::terraform::Written;
use crate::inventory::Inventory;
use crate::reduce::{TCP, UDP};
use crate::synthesize::RuleEvidence;
use crate::window::{day, rfc3339};

pub(super) use traffic::rejected_by_records;

/// Every section after the summary, in order: what the Markdown holds, and
/// the HTML after its diagram.
pub(crate) fn sections(a: &Analysis, audit: &Audit, s: &Summary, m: &dyn Markup) -> Vec<Section> {
    // With --state, what changed since the last run comes first.
    let mut out = audit
        .progress
        .as_ref()
        .map(|p| progress::sections(a, p, m))
        .unwrap_or_default();
    out.extend([
        audit::findings(audit, s, m),
        audit::before_after(s),
        rules::rules(a, m),
    ]);
    out.extend(accounts::accounts(a, m));
    out.extend([
        traffic::external(a, m),
        traffic::suspicious(a, m),
        traffic::undecided(a, m),
        traffic::rejected(a, m),
        evidence::evidence_per_source(s, m),
        evidence::gaps(a, m),
        audit::existing_rules(audit, m),
        evidence::skipped(&a.stats, m),
    ]);
    out
}

/// [`sections`] of a run that wrote Terraform folders (`--terraform`):
/// what the folders hold and how to roll them out comes after the proposed
/// rules (and the accounts' files). The Markdown and the HTML page both.
pub(crate) fn sections_with(
    a: &Analysis,
    audit: &Audit,
    s: &Summary,
    m: &dyn Markup,
    folders: &[Written],
) -> Vec<Section> {
    let mut all = sections(a, audit, s, m);
    if let Some(t) = terraform::terraform(a, folders, m) {
        let at = all
            .iter()
            .position(|x| x.id == "external")
            .unwrap_or(all.len());
        all.insert(at, t);
    }
    all
}

/// `web (sg-0123)`, or the bare id for a group the inventory does not name;
/// `web (sg-0123, vpc-0a1b)` where the inventory holds several VPCs (copies
/// of one stack name their groups alike).
pub(super) fn group_label(m: &dyn Markup, inv: &Inventory, id: &str) -> String {
    let vpc = inv
        .group(id)
        .and_then(|g| g.vpc_id.as_deref())
        .filter(|_| inv.vpcs.len() > 1);
    match (inv.group(id), vpc) {
        (Some(g), Some(v)) if !g.name.is_empty() => {
            format!("{} ({}, {})", m.text(&g.name), m.text(id), m.text(v))
        }
        (Some(g), None) if !g.name.is_empty() => format!("{} ({})", m.text(&g.name), m.text(id)),
        (_, Some(v)) => format!("{} ({})", m.text(id), m.text(v)),
        _ => m.text(id),
    }
}

/// A rule key in a code span when it is a plain slug (always, from
/// [`names::rule_keys`]), else escaped text.
pub(super) fn key_cell(m: &dyn Markup, key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        m.code(key)
    } else {
        m.text(key)
    }
}

/// `10.0.0.1:443` or `[2001:db8::1]:443` for port protocols, the address otherwise.
pub(super) fn endpoint(m: &dyn Markup, ip: IpAddr, port: u16, proto: u8) -> String {
    match proto {
        TCP | UDP => m.text(&SocketAddr::new(ip, port).to_string()),
        _ => ip.to_string(),
    }
}

/// `1.5 MiB`: bytes in binary units, one decimal above 1 KiB.
pub(super) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// The days of record starts (both ends inclusive: rejected traffic).
pub(super) fn start_days(first: i64, last: i64) -> String {
    let (f, l) = (day(first), day(last));
    if f == l { f } else { format!("{f}..{l}") }
}

/// A full time, or `unknown`.
pub(super) fn time_or_unknown(t: Option<i64>) -> String {
    t.map_or_else(|| "unknown".into(), rfc3339)
}

/// `tcp-flags 4, fan-in 2`: how the initiator of a rule's connections was decided.
pub(super) fn methods(e: &RuleEvidence) -> String {
    e.initiator
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
