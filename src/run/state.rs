//! `--state FILE` in a run: the stored aggregation folded into the run's
//! before the orientation pass (so the merge is the same one the engine's
//! workers use, and exact), the evidence older than `--keep` forgotten, and
//! after the outputs the new state written atomically.

use anyhow::{Result, anyhow};

use super::config::StateSettings;
use crate::aggregate::{Aggregator, Stored};
use crate::analysis::Analysis;
use crate::inventory::Inventory;
use crate::present::names;
use crate::state::{Continuity, Scope, State, StateRule};
use crate::window::Window;

/// What the run carries from the state to the file it writes.
pub(super) struct Carried {
    /// The span of the evidence: the state's and the run's windows joined,
    /// from the `--keep` cutoff at the earliest.
    pub window: Window,
    pub continuity: Continuity,
    scope: Scope,
    stored: Stored,
}

/// Reads the state (if the file exists), checks it was written for this
/// run's accounts, regions and VPCs, folds it into `agg`, and forgets what
/// is older than `--keep`.
pub(super) fn fold(
    s: &StateSettings,
    read_window: Window,
    inv: &Inventory,
    agg: &mut Aggregator,
) -> Result<Carried> {
    let scope = Scope::of(inv);
    let previous = State::load(&s.path)?;
    let mut window = read_window;
    let mut continuity = Continuity {
        keep: s.keep,
        soak: s.soak,
        read_window,
        ..Continuity::default()
    };
    if let Some(prev) = previous {
        prev.check_scope(&scope, &s.path)?;
        let theirs = Aggregator::from_stored(&prev.evidence)
            .map_err(|e| anyhow!("the state file {} cannot be used: {e}", s.path.display()))?;
        agg.merge(theirs);
        window.since = window.since.min(prev.since);
        window.until = window.until.max(prev.until);
        continuity.had_state = true;
        continuity.previous_until = Some(prev.until);
        continuity.previous_rules = prev.rules;
    }
    let cutoff = window.until.saturating_sub(s.keep);
    continuity.cutoff = cutoff;
    continuity.expired = agg.expire(cutoff);
    window.since = window.since.max(cutoff).min(window.until);
    Ok(Carried {
        window,
        continuity,
        scope,
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
    let state = State::new(c.scope, c.window.since, c.window.until, rules, c.stored);
    state.to_bytes()
}
