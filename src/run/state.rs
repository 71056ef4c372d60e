//! `--state FILE` in a run: the stored aggregation folded into the run's
//! before the orientation pass (so the merge is the same one the engine's
//! workers use, and exact), the evidence older than `--keep` forgotten, and
//! after the outputs the new state written atomically.

use anyhow::{Result, anyhow, bail};

use super::config::StateSettings;
use crate::aggregate::{Aggregator, Stored};
use crate::analysis::Analysis;
use crate::inventory::Inventory;
use crate::present::names;
use crate::state::{Continuity, Observed, Scope, State, StateRule, Unheld};
use crate::window::{Window, rfc3339};

/// The state as read before the sources: what it holds, and the part of
/// the run's window it does not hold yet, which is all the run reads.
pub(super) struct Opened {
    previous: Option<State>,
    scope: Scope,
    /// The window to read: the run's, less what the state already holds.
    pub read_window: Window,
    /// What the run says about it (a window cut short, an old file).
    pub notes: Vec<String>,
}

/// Reads the state (if the file exists), checks it was written for this
/// run's accounts, regions and VPCs, and decides what of `window` to read:
/// a window the state already holds would have its records summed twice
/// (a retried daily job, or `--since 1d` runs a little less than a day
/// apart), so only the part no run folded is read, and a window the state
/// holds whole is refused before anything is read or written.
pub(super) fn open(s: &StateSettings, window: Window, inv: &Inventory) -> Result<Opened> {
    let scope = Scope::of(inv);
    let previous = State::load(&s.path)?;
    let mut notes = Vec::new();
    let mut read_window = window;
    if let Some(prev) = &previous {
        prev.check_scope(&scope, &s.path)?;
        let held = spans(prev.observed.spans());
        match prev.observed.unheld(window) {
            Unheld::All => {}
            Unheld::Part(w) => {
                notes.push(format!(
                    "--state: the state file {} already holds part of this run's window ({held}); only {} was read, so that no record is counted twice",
                    s.path.display(),
                    span(w.since, w.until)
                ));
                read_window = w;
            }
            Unheld::None => bail!(
                "the state file {} already holds this run's window {} (it holds {held}): folded again, its records would be counted twice. Nothing was read or written; the outputs of the run that folded it stand. To read these logs again, use a new state file",
                s.path.display(),
                span(window.since, window.until)
            ),
            Unheld::Split(parts) => bail!(
                "the state file {} already holds part of this run's window {} (it holds {held}), between the parts it lacks ({}): run once for each part, with its --since and --until",
                s.path.display(),
                span(window.since, window.until),
                spans(&parts)
            ),
        }
        if prev.from_version_1 {
            notes.push(format!(
                "--state: {} was written by an earlier sgpair (state version 1), which did not record which days its runs read: its span {} is taken as observed throughout; it is rewritten as version {}",
                s.path.display(),
                span(prev.since, prev.until),
                crate::state::VERSION
            ));
        }
    }
    Ok(Opened {
        previous,
        scope,
        read_window,
        notes,
    })
}

/// `a..b` in RFC 3339, as the window's messages write it.
fn span(since: i64, until: i64) -> String {
    format!("{}..{}", rfc3339(since), rfc3339(until))
}

fn spans(v: &[(i64, i64)]) -> String {
    let all: Vec<String> = v.iter().map(|&(a, b)| span(a, b)).collect();
    all.join(", ")
}

/// The holes in the time the state observed, for stderr: the report says
/// it too, but a daily job's log is where a missed day should show.
pub(super) fn holes_warning(observed: &Observed) -> Option<String> {
    let gaps = observed.gaps();
    (!gaps.is_empty()).then(|| {
        format!(
            "--state: the evidence was not observed over {}: no run read it, so it counts for nothing towards --soak",
            spans(&gaps)
        )
    })
}

/// What the run carries from the state to the file it writes.
pub(super) struct Carried {
    /// The span of the evidence: the state's and the run's windows joined,
    /// from the `--keep` cutoff at the earliest.
    pub window: Window,
    pub continuity: Continuity,
    scope: Scope,
    observed: Observed,
    stored: Stored,
}

/// Folds the opened state into `agg` (read over `o.read_window`), adds
/// that window to the time observed, and forgets what is older than
/// `--keep`.
pub(super) fn fold(s: &StateSettings, o: Opened, agg: &mut Aggregator) -> Result<Carried> {
    let read_window = o.read_window;
    let mut window = read_window;
    let mut observed = Observed::default();
    let mut continuity = Continuity {
        keep: s.keep,
        soak: s.soak,
        read_window,
        ..Continuity::default()
    };
    if let Some(prev) = o.previous {
        let theirs = Aggregator::from_stored(&prev.evidence)
            .map_err(|e| anyhow!("the state file {} cannot be used: {e}", s.path.display()))?;
        agg.merge(theirs);
        window.since = window.since.min(prev.since);
        window.until = window.until.max(prev.until);
        observed = prev.observed;
        continuity.had_state = true;
        continuity.previous_until = Some(prev.until);
        continuity.previous_rules = prev.rules;
    }
    observed.add(read_window.since, read_window.until);
    let cutoff = window.until.saturating_sub(s.keep);
    continuity.cutoff = cutoff;
    continuity.expired = agg.expire(cutoff);
    window.since = window.since.max(cutoff).min(window.until);
    observed.forget_before(cutoff);
    continuity.observed = observed.clone();
    Ok(Carried {
        window,
        continuity,
        scope: o.scope,
        observed,
        stored: agg.to_stored(),
    })
}

/// Without `--state`: the rules of the tfvars file this run replaces, to
/// say what changed (`None` when there is none, or per-account files).
/// A file that cannot be read as tfvars is a note, not an error: it is
/// about to be replaced.
pub(super) fn from_output(cfg: &super::Config, notes: &mut Vec<String>) -> Option<Continuity> {
    let t = cfg.tfvars.as_ref().filter(|t| t.per_account.is_none())?;
    if cfg.state.is_some() || !t.path.is_file() {
        return None;
    }
    let entries = match crate::proposal::load(&t.path) {
        Ok(e) => e,
        Err(e) => {
            notes.push(format!("{e:#}; not compared with this run's rules"));
            return None;
        }
    };
    Some(Continuity {
        had_state: true,
        compared_with: Some(t.path.display().to_string()),
        previous_rules: entries
            .into_iter()
            .map(|e| StateRule {
                key: e.key,
                source_sg: e.source_sg,
                target_sg: e.target_sg,
                proto: e.proto.unwrap_or(0),
                from_port: e.from_port,
                to_port: e.to_port,
                first: 0,
                last: 0,
            })
            .collect(),
        read_window: cfg.window,
        ..Continuity::default()
    })
}

/// The new state's bytes: the folded evidence and this run's rules.
pub(super) fn render(c: Carried, a: &Analysis) -> Vec<u8> {
    let keys = names::rule_keys(&a.proposal.rules, &a.inventory);
    let rules = a
        .proposal
        .rules
        .iter()
        .zip(keys)
        .map(|(r, key)| StateRule {
            key,
            source_sg: r.source_sg.clone(),
            target_sg: r.target_sg.clone(),
            proto: r.proto,
            from_port: r.from_port,
            to_port: r.to_port,
            first: r.evidence.first,
            last: r.evidence.last,
        })
        .collect();
    let state = State::new(c.scope, c.observed, rules, c.stored);
    state.to_bytes()
}
