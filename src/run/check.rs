//! `sgpair check`: read new flow logs as a run does, then replay them
//! against a proposal (its tfvars, and the rules it removes).

use std::path::PathBuf;

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};

use super::config::Config;
use super::connection::Aws;
use super::empty::{self, Purpose};
use super::{history, inventory_of, read, scope_of};
use crate::analysis::analyze_with;
use crate::audit::replay::{Added, Checked, RemovedRule, replay};
use crate::inventory::Inventory;
use crate::present::first_and_more;
use crate::proposal::{self, Entry};
use crate::stats::count;
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

pub fn check(cfg: &CheckConfig) -> Result<Checked> {
    let entries = proposal::load(&cfg.tfvars)?;
    // What one apply of the folder creates beside the module's rules.
    let folder = cfg
        .tfvars
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut resources = proposal::load_folder(folder)?;
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
    let mut warnings = std::mem::take(&mut resources.warnings);
    warnings.extend(fit(
        cfg,
        &entries,
        &removed,
        (folder, &resources),
        &inventory,
    )?);
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
    let added = Added {
        entries: &entries,
        resources: &resources.groups,
        files: &resources.files,
    };
    let replay = replay(&analysis, added, &removed, cfg.group.as_deref());
    if let (Some(g), Some(seen)) = (&cfg.group, &replay.seen) {
        empty::refuse_unseen_group(
            g,
            seen,
            !analysis.stats.interfaces.is_empty(),
            &run.window,
            run.allow_empty,
        )?;
    }
    Ok(Checked {
        replay,
        window: run.window,
        fill: analysis.stats.fill(&run.window),
        stats: analysis.stats,
        warnings,
    })
}

/// Whether the proposal and the report are this inventory's: a tfvars or a
/// report of another environment names groups this one does not have, and
/// replaying it would pass (its entries allow nothing here, its removed
/// rules remove nothing) while checking nothing. Refused when none of the
/// groups one of them names is in the inventory; when only some are
/// missing (a group deleted since, another account's half of a rule), the
/// check goes on and says which. The rule resources of the tfvars'
/// folder are only ever warned about: the tfvars beside them says whether
/// the folder is this environment's.
fn fit(
    cfg: &CheckConfig,
    entries: &[Entry],
    removed: &[RemovedRule],
    (folder, resources): (&std::path::Path, &proposal::Resources),
    inventory: &Inventory,
) -> Result<Vec<String>> {
    let inv = if cfg.run.inventory.is_empty() {
        "the inventory read from EC2".to_string()
    } else {
        let files: Vec<String> = cfg
            .run
            .inventory
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        format!("the inventory ({})", files.join(", "))
    };
    let mut warnings = Vec::new();
    let tfvars_groups = entries
        .iter()
        .flat_map(|e| [e.source_sg.as_str(), e.target_sg.as_str()]);
    let removed_groups = removed.iter().map(|r| r.group_id.as_str());
    let resource_groups = resources.groups.iter().map(|g| g.id.as_str());
    let inputs = [
        (
            cfg.tfvars.as_path(),
            "rules",
            "their rules allow nothing here",
            tfvars_groups.collect::<Vec<_>>(),
            true,
        ),
        (
            cfg.removed.as_deref().unwrap_or(std::path::Path::new("")),
            "removed rules",
            "their rules remove nothing here",
            removed_groups.collect(),
            true,
        ),
        (
            folder,
            "rule resources",
            "their rules allow nothing here",
            resource_groups.collect(),
            false,
        ),
    ];
    for (path, what, so, named, refusable) in inputs {
        let named: BTreeSet<&str> = named.into_iter().collect();
        let unknown: Vec<&str> = named
            .iter()
            .copied()
            .filter(|g| inventory.group(g).is_none())
            .collect();
        if unknown.is_empty() {
            continue;
        }
        let list = listed(&unknown);
        if refusable && unknown.len() == named.len() {
            bail!(
                "{}: none of the {} its {what} name ({list}) is in {inv}: a file of another environment? Give the one `sgpair infer` made from this inventory",
                path.display(),
                count(named.len() as u64, "group"),
            );
        }
        warnings.push(format!(
            "{}: {} of the {} its {what} name ({list}) {} not in {inv}: {so}",
            path.display(),
            unknown.len(),
            count(named.len() as u64, "group"),
            if unknown.len() == 1 { "is" } else { "are" },
        ));
    }
    Ok(warnings)
}

/// Up to five ids, then how many more.
fn listed(ids: &[&str]) -> String {
    first_and_more(ids.iter().map(|s| s.to_string()), 5).join(", ")
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
