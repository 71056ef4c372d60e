//! `sgpair check`: read new flow logs as a run does, then replay them
//! against a proposal (its tfvars, and the rules it removes).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::config::Config;
use super::connection::Aws;
use super::empty::{self, Purpose};
use super::{history, inventory_of, read, scope_of};
use crate::analysis::analyze_with;
use crate::audit::replay::{RemovedRule, Replay, replay};
use crate::proposal;
use crate::synthesize::Choices;

/// One `check`: the sources as `infer` reads them (`run`; its outputs are
/// not written), and the proposal.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub run: Config,
    /// The proposal's Terraform variables.
    pub tfvars: PathBuf,
    /// The JSON report of the `infer` that made the proposal: its
    /// `audit.rules` marked `removed`.
    pub removed: Option<PathBuf>,
    /// `--group`: check this group alone.
    pub group: Option<String>,
}

pub fn check(cfg: &CheckConfig) -> Result<Replay> {
    let entries = proposal::load(&cfg.tfvars)?;
    let removed = match &cfg.removed {
        Some(p) => removed_rules(p)?,
        None => Vec::new(),
    };
    let run = &cfg.run;
    let aws = if run.needs_aws() {
        Some(Aws::connect(&run.aws)?)
    } else {
        None
    };
    let mut missing = Vec::new();
    let inventory = inventory_of(run, aws.as_ref(), &mut missing)?;
    if let Some(g) = &cfg.group
        && inventory.group(g).is_none()
    {
        bail!("--group {g}: the inventory has no security group of this id");
    }
    let scope = scope_of(run, &inventory);
    let mut read = read::evidence(run, &scope, aws.as_ref(), &inventory)?;
    read.stats.missing.extend(missing);
    let history = history(run, aws.as_ref(), &inventory, &mut read.stats)?;
    let evidence = read.agg.finish();
    empty::refuse(
        &evidence,
        &read.stats,
        &run.window,
        Purpose::Check,
        run.allow_empty,
    )?;
    empty::refuse_unknown(
        &read.stats,
        &inventory,
        &history,
        &run.inventory,
        Purpose::Check,
        run.allow_empty,
    )?;
    // The proposal is the one given: the analysis only sorts the
    // connections (the replay sets suspicious flows aside).
    let analysis = analyze_with(
        run.window,
        read.stats,
        evidence,
        inventory,
        &Choices {
            classify_only: true,
            ..Choices::default()
        },
        &history,
        crate::parallel::workers(run.threads),
    );
    let replay = replay(&analysis, &entries, &removed, cfg.group.as_deref());
    if let (Some(g), Some(seen)) = (&cfg.group, &replay.seen) {
        empty::refuse_unseen_group(
            g,
            seen,
            !analysis.stats.interfaces.is_empty(),
            &run.window,
            run.allow_empty,
        )?;
    }
    Ok(replay)
}

/// The removed rules of a JSON report (`infer --json`).
fn removed_rules(path: &std::path::Path) -> Result<Vec<RemovedRule>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the report {}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not the JSON report of `sgpair infer --json`",
            path.display()
        )
    })?;
    let Some(rules) = json.pointer("/audit/rules").and_then(|r| r.as_array()) else {
        bail!(
            "{} has no audit.rules: give the JSON report `sgpair infer --json` printed",
            path.display()
        );
    };
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.get("removed").and_then(serde_json::Value::as_bool) == Some(true))
        .map(|(i, r)| {
            serde_json::from_value(r.clone())
                .with_context(|| format!("{}: audit.rules[{i}] is not a rule", path.display()))
        })
        .collect()
}
