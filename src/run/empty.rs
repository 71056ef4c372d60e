//! A run that has nothing to go on fails before it writes or says anything:
//! - no accepted record in its evidence ([`refuse`]);
//! - with `--state`, none in this run's own window ([`refuse_gap`]): folded
//!   in, the gap would age the stored evidence as if the network had been
//!   quiet;
//! - an inventory that knows none of the interfaces that captured the logs
//!   ([`refuse_unknown`]);
//! - with `--out-dir`, a covered account without a record of its own
//!   ([`refuse_silent_accounts`]);
//! - `check --group`: a group without an accepted connection, none of
//!   whose interfaces captured a record ([`refuse_unseen_group`]).
//!
//! A proposal made from nothing allows nothing, and applied over rules that
//! carry traffic it would close them all; a `check` of no traffic passes
//! whatever the rules, and would call a group ready to close its open
//! egress. Each is far more often a wrong `--since`, source, inventory or
//! build (or a delivery that broke) than a network that was silent, so the
//! error says which it looks like; `--allow-empty` goes on anyway.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::aggregate::Evidence;
use crate::audit::replay::GroupSeen;
use crate::history::History;
use crate::inventory::Inventory;
use crate::present::count;
use crate::stats::Stats;
use crate::window::{Window, rfc3339};

/// Examples of skipped records, and notes, the error quotes at most.
const EXAMPLES: usize = 3;

/// What the run was for: what the error says it did not do, and why that
/// matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// `infer`: the proposal and the reports.
    Outputs,
    /// `audit`: the reports.
    Audit,
    /// `check`: the replay against a proposal.
    Check,
    /// `infer --state`: this run's window folded into the stored evidence.
    State,
}

impl Purpose {
    fn not_done(self) -> &'static str {
        match self {
            Purpose::Outputs | Purpose::Audit => "nothing was written",
            Purpose::Check => "nothing was checked",
            Purpose::State => "nothing was written and the state is as it was",
        }
    }

    fn why(self) -> &'static str {
        match self {
            Purpose::Outputs => {
                "a proposal from no traffic allows nothing, and applied it would close every \
                 rule it replaces"
            }
            Purpose::Audit => {
                "an audit of no traffic would find every rule unused, and every one of them \
                 removable"
            }
            Purpose::Check => {
                "a check of no traffic passes whatever the rules, and would call a group ready \
                 to close its open egress"
            }
            Purpose::State => {
                "folded into the state, a window without records would age the stored \
                 evidence as if the network had been quiet, and call groups ready to close \
                 their open egress"
            }
        }
    }

    fn anyway(self) -> &'static str {
        match self {
            Purpose::Outputs | Purpose::Audit => "--allow-empty writes the outputs anyway",
            Purpose::Check => "--allow-empty checks anyway",
            Purpose::State => "--allow-empty folds the window in anyway",
        }
    }
}

/// `Err` when `evidence` (this run's records and any `--state` carried)
/// holds no accepted traffic and `allow_empty` is off.
pub(super) fn refuse(
    evidence: &Evidence,
    stats: &Stats,
    window: &Window,
    purpose: Purpose,
    allow_empty: bool,
) -> Result<()> {
    let accepted = !evidence.connections.is_empty() || !evidence.undecided.is_empty();
    if accepted || allow_empty {
        return Ok(());
    }
    bail!("{}", message(stats, window, purpose));
}

/// `Err` when `--state` carries evidence but this run's own window (`stats`)
/// gave no accepted record: a gap in the logs (a broken delivery) must not
/// pass for a quiet network.
pub(super) fn refuse_gap(stats: &Stats, window: &Window, allow_empty: bool) -> Result<()> {
    if stats.used > 0 || allow_empty {
        return Ok(());
    }
    bail!("{}", message(stats, window, Purpose::State));
}

/// What the run read, why none of it is evidence, and what to do.
fn message(stats: &Stats, window: &Window, purpose: Purpose) -> String {
    let mut m = format!(
        "no evidence: not one accepted record in the window {}..{}, so {} ({}).\n{}",
        rfc3339(window.since),
        rfc3339(window.until),
        purpose.not_done(),
        purpose.why(),
        stats.summary()
    );
    let examples = stats.examples.values().flatten().take(EXAMPLES);
    for e in examples {
        m.push_str(&format!("\n  skipped: {e}"));
    }
    for missing in &stats.missing {
        m.push_str(&format!("\n  not read: {missing}"));
    }
    let outside = stats
        .skipped
        .get("outside the window")
        .copied()
        .unwrap_or(0);
    // The likely causes, each that applies: a wrong --since can leave a
    // few rejected records in the window and the rest outside it.
    let mut causes = Vec::new();
    if stats.records == 0 && stats.skipped_total() == 0 {
        causes.push(
            "no record was read at all: check that --logs, --log-group or --s3 name the flow logs"
                .to_string(),
        );
    }
    if stats.rejected > 0 {
        causes.push("the window holds rejected records only".to_string());
    }
    if outside > 0 {
        let lie = match stats.outside.range() {
            Some((first, last)) => format!(
                " (those read run from {} to {})",
                rfc3339(first),
                rfc3339(last)
            ),
            None => String::new(),
        };
        causes.push(format!(
            "{} outside the window{lie}: check --since and --until against the logs' dates",
            if outside == 1 {
                "1 record lies".to_string()
            } else {
                format!("{outside} records lie")
            }
        ));
    }
    if causes.is_empty() {
        // An assumed format is the likely cause when every line was skipped.
        for note in stats.notes.iter().take(EXAMPLES) {
            m.push_str(&format!("\n  note: {note}"));
        }
        causes.push("every record was skipped, for the reasons above".to_string());
    }
    let hint = causes.join("; ");
    m.push_str(&format!("\n{hint}; {}.", purpose.anyway()));
    m
}

/// Interfaces the error names, at most.
const NAMED: usize = 5;

/// `a, b, c, d, e and 2 more`: the first [`NAMED`] of `len` ids.
fn named<'a>(ids: impl Iterator<Item = &'a str>, len: usize) -> String {
    let first: Vec<&str> = ids.take(NAMED).collect();
    match len.saturating_sub(NAMED) {
        0 => first.join(", "),
        more => format!("{} and {more} more", first.join(", ")),
    }
}

/// `Err` when interfaces captured this run's records and the inventory
/// (with the interfaces' history) knows none of them: every group would be
/// unknown, so the proposal could hold no rule of theirs.
pub(super) fn refuse_unknown(
    stats: &Stats,
    inventory: &Inventory,
    history: &History,
    inventory_files: &[PathBuf],
    purpose: Purpose,
    allow_empty: bool,
) -> Result<()> {
    let logged = &stats.interfaces;
    if logged.is_empty() || allow_empty {
        return Ok(());
    }
    let ids: HashSet<&str> = inventory
        .network_interfaces
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    let known = |id: &str| ids.contains(id) || !history.events(id).is_empty();
    if logged.keys().any(|id| known(id)) {
        return Ok(());
    }
    let from = match inventory_files {
        [] => "the inventory read from EC2".to_string(),
        files => format!(
            "the inventory ({})",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    bail!(
        "{from} {} that captured the logs ({}): it holds {}, so no group of the logs' \
         traffic is known and {}. It is likely of another account, region or time: read it for \
         the account and region the logs come from (`sgpair inventory`), or give --history for \
         interfaces deleted since; {}.",
        match logged.len() {
            1 => "does not know the interface".to_string(),
            n => format!("knows none of the {n} interfaces"),
        },
        named(logged.keys().map(String::as_str), logged.len()),
        count(inventory.network_interfaces.len() as u64, "other interface"),
        purpose.not_done(),
        purpose.anyway(),
    )
}

/// `Err` when the outputs are per account (`--out-dir`) and an account the
/// inventory covers logged no accepted record that became evidence: its
/// folder would get `rules = {}`, and applied that closes every rule it
/// replaced. An account's delivery that broke is the usual cause. Records
/// that name no account cannot be told apart, so then there is no check.
pub(super) fn refuse_silent_accounts(
    evidence: &Evidence,
    inventory: &Inventory,
    window: &Window,
    allow_empty: bool,
) -> Result<()> {
    let conns = &evidence.connections;
    if allow_empty || conns.iter().any(|c| c.account.is_none()) {
        return Ok(());
    }
    let seen: BTreeSet<&str> = conns.iter().filter_map(|c| c.account.as_deref()).collect();
    let silent: Vec<&str> = inventory
        .covered_accounts()
        .into_iter()
        .filter(|a| !seen.contains(a))
        .collect();
    if silent.is_empty() {
        return Ok(());
    }
    let (accounts, them) = match silent.as_slice() {
        [one] => (format!("account {one}"), "its"),
        _ => (format!("accounts {}", silent.join(", ")), "their"),
    };
    bail!(
        "no evidence for {accounts}: not one accepted record of {them} interfaces in the window \
         {}..{}, so nothing was written ({them} folder would get rules = {{}}, which applied \
         closes every rule it replaced). Check {them} flow-log delivery, or leave the account out \
         of the run ({them} --inventory, or --account for --s3); --allow-empty writes {them} \
         empty proposal anyway.",
        rfc3339(window.since),
        rfc3339(window.until),
    )
}

/// `Err` when `check --group` saw nothing of its group: no accepted
/// connection has the group at an end, and none of its interfaces captured
/// a record in the window (`captured`: whether the sources name capturing
/// interfaces at all; Athena's and Logs Insights' rows do not). The check
/// would pass whatever the rules, and call the group ready to close its
/// open egress, when the likely cause is flow logs that do not cover its
/// subnets or VPC. A group some of whose interfaces were logged is quiet,
/// not unseen, and a group that holds no interface has nothing to block:
/// both pass.
pub(super) fn refuse_unseen_group(
    group: &str,
    seen: &GroupSeen,
    captured: bool,
    window: &Window,
    allow_empty: bool,
) -> Result<()> {
    if allow_empty || seen.connections > 0 || !seen.logged.is_empty() || seen.interfaces.is_empty()
    {
        return Ok(());
    }
    let n = seen.interfaces.len();
    let interfaces = format!(
        "{n} interface{} ({})",
        if n == 1 { "" } else { "s" },
        named(seen.interfaces.iter().map(String::as_str), n),
    );
    let logged = if captured {
        format!("none of its {interfaces} captured a record in the window")
    } else {
        format!(
            "the sources name no capturing interface (Athena or Logs Insights rows, or a format \
             without interface-id), so whether its {interfaces} captured records cannot be told"
        )
    };
    bail!(
        "no evidence for group {group}: not one accepted connection in the window {}..{} has it \
         at an end, and {logged}, so nothing was checked for it ({}). The flow logs may not \
         cover its subnets or VPC: check that they do, or check it over a window its \
         interfaces were logged in; {}.",
        rfc3339(window.since),
        rfc3339(window.until),
        Purpose::Check.why(),
        Purpose::Check.anyway(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Window = Window {
        since: 1_795_392_000,
        until: 1_795_478_400,
    };

    fn seen(connections: u64, interfaces: &[&str], logged: &[&str]) -> GroupSeen {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        GroupSeen {
            connections,
            interfaces: owned(interfaces),
            logged: owned(logged),
        }
    }

    #[test]
    fn a_group_seen_logged_or_without_interfaces_passes() {
        let pass = |s: GroupSeen| refuse_unseen_group("sg-1", &s, true, &W, false);
        assert!(
            pass(seen(3, &["eni-a"], &[])).is_ok(),
            "connections at its ends"
        );
        assert!(
            pass(seen(0, &["eni-a", "eni-b"], &["eni-b"])).is_ok(),
            "quiet"
        );
        assert!(pass(seen(0, &[], &[])).is_ok(), "nothing to block");
        let unseen = seen(0, &["eni-a"], &[]);
        assert!(refuse_unseen_group("sg-1", &unseen, true, &W, true).is_ok());
    }

    #[test]
    fn a_group_unseen_fails_naming_its_interfaces_or_why_it_cannot_tell() {
        let ids: Vec<String> = (1..=7).map(|i| format!("eni-{i}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let unseen = seen(0, &ids, &[]);
        let e = refuse_unseen_group("sg-1", &unseen, true, &W, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("no evidence for group sg-1: not one accepted connection in the window 2026-11-23T00:00:00Z..2026-11-24T00:00:00Z")
                && e.contains(
                    "none of its 7 interfaces (eni-1, eni-2, eni-3, eni-4, eni-5 and 2 more) captured a record"
                )
                && e.ends_with("--allow-empty checks anyway."),
            "{e}"
        );
        let e = refuse_unseen_group("sg-1", &seen(0, &["eni-a"], &[]), false, &W, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the sources name no capturing interface")
                && e.contains("whether its 1 interface (eni-a) captured records cannot be told"),
            "{e}"
        );
    }
}
