//! A whole run as one library call: [`run`] does an `infer` or an `audit`
//! from a [`Config`] to an [`Outcome`] (the files written, the analysis, the
//! audit, what to tell the user), so a test can make a run in-process and
//! `main` only parses flags, prints and exits.
//!
//! - `config.rs`: the run as plain data;
//! - `empty.rs`: a run or check with nothing to go on (no evidence, in the
//!   run, in its own window under `--state` or for an `--out-dir` account;
//!   an inventory that knows none of the logs' interfaces; a `check
//!   --group` of a group the logs never saw) refused before anything is
//!   written or reported;
//! - `read.rs`: every source's evidence, under the partial-failure policy;
//! - `check.rs`: `sgpair check`, new logs replayed against a proposal;
//! - `outputs.rs`: the files written;
//! - `quota.rs`: the proposal fitted under the rules-per-group quota (and
//!   the groups-per-interface quota its remedies name);
//! - `state.rs`: `--state`, the evidence folded in before and written after;
//! - `terraform.rs`: the `--terraform` folder (files kept where they are the user's);
//! - `live.rs` / `offline.rs`: the AWS connection, or its absence in a build
//!   without the `aws` feature (the only place that feature splits a run).

mod check;
mod config;
#[cfg_attr(feature = "aws", path = "live.rs")]
#[cfg_attr(not(feature = "aws"), path = "offline.rs")]
mod connection;
mod empty;
mod outputs;
mod quota;
mod read;
mod state;
mod terraform;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::SystemTime;

use anyhow::{Context, Result};

pub use check::{CheckConfig, check};
pub use config::{
    Athena, AwsSettings, Config, HistorySource, Outputs, RoleTemplate, Sources, StateSettings,
    Terraform, Tfvars, check_account,
};
pub use connection::is_usage_error;
#[cfg(feature = "aws")]
pub use connection::{athena_ddl, flow_log_format};
pub use outputs::folder_inside_logs;
pub use quota::OverQuota;

use self::empty::Purpose;
use crate::analysis::{Analysis, analyze_alongside};
use crate::audit::{Audit, audit_with, measure_of};
use crate::emit;
use crate::history::{self, History};
use crate::inventory::Inventory;
use crate::partial::Partial;
use crate::sources::s3::Scope;
use crate::stats::{Stats, count};
use crate::synthesize::{Choices, Severity};
use crate::window::Window;
use connection::Aws;

/// What a run produced.
pub struct Outcome {
    pub analysis: Analysis,
    /// The audit every report of the run shares.
    pub audit: Audit,
    /// The files written, in order.
    pub written: Vec<String>,
    /// The emitters' warnings (e.g. a key that had to be shortened).
    pub warnings: Vec<String>,
    /// The JSON report, when the run was asked for it (`--json`).
    pub json: Option<String>,
    /// `--fail-on`: how many findings are at or above the severity.
    pub tripped: Option<(usize, Severity)>,
}

/// Reads the sources, resolves, synthesizes, audits and writes the outputs.
pub fn run(cfg: &Config) -> Result<Outcome> {
    let aws = if cfg.needs_aws() {
        Some(Aws::connect(&cfg.aws)?)
    } else {
        None
    };
    let mut missing = Vec::new();
    let inventory = inventory_of(cfg, aws.as_ref(), &mut missing)?;
    let scope = scope_of(cfg, &inventory);
    // With --state, the run reads only what the state does not hold yet:
    // from here on, the window is that part.
    let mut opened = match &cfg.state {
        Some(s) => Some(state::open(s, cfg.window, &inventory)?),
        None => None,
    };
    let narrowed;
    let cfg = match &opened {
        Some(o) if o.read_window != cfg.window => {
            narrowed = Config {
                window: o.read_window,
                ..cfg.clone()
            };
            &narrowed
        }
        _ => cfg,
    };
    let mut clock = Stages::start();
    let mut read = read::evidence(cfg, &scope, aws.as_ref(), &inventory)?;
    clock.done("read");
    read.stats.missing.extend(missing);
    if let Some(o) = &mut opened {
        read.stats.notes.append(&mut o.notes);
    }
    if let Some(note) = undescribed_note(&inventory) {
        read.stats.notes.push(note);
    }
    let choices = Choices {
        avoid: avoided_groups(&cfg.avoid_groups, &inventory)?,
        ..Choices::default()
    };
    let history = history(cfg, aws.as_ref(), &inventory, &mut read.stats)?;
    let carried = match (&cfg.state, opened) {
        (Some(s), Some(o)) => Some(state::fold(s, o, &mut read.agg)?),
        _ => None,
    };
    let evidence = read.agg.finish();
    clock.done("finish");
    // `infer` writes a proposal; `audit` the reports only.
    let purpose = if cfg.tfvars.is_some() {
        Purpose::Outputs
    } else {
        Purpose::Audit
    };
    // The evidence's span: the run's window, joined to the state's.
    let window = carried.as_ref().map_or(cfg.window, |c| c.window);
    // Every refusal before the analysis: a run that fails spends nothing
    // on resolution and rules.
    empty::refuse(&evidence, &read.stats, &window, purpose, cfg.allow_empty)?;
    if carried.is_some() {
        empty::refuse_gap(&read.stats, &cfg.window, cfg.allow_empty)?;
    }
    empty::refuse_unknown(
        &read.stats,
        &inventory,
        &history,
        &cfg.inventory,
        purpose,
        cfg.allow_empty,
    )?;
    if cfg.tfvars.as_ref().is_some_and(|t| t.per_account.is_some()) {
        empty::refuse_silent_accounts(&evidence, &inventory, &window, cfg.allow_empty)?;
    }
    // What today's rules carried (the quota fit and the audit read it),
    // measured while the rules are synthesized.
    let (mut analysis, used) = analyze_alongside(
        window,
        read.stats,
        evidence,
        inventory,
        &choices,
        &history,
        crate::parallel::workers(cfg.threads),
        measure_of,
    );
    clock.done("analyze");
    analysis.continuity = match &carried {
        Some(c) => Some(c.continuity.clone()),
        None => state::from_output(cfg, &mut analysis.stats.notes),
    };
    if let Some(t) = &cfg.tfvars {
        // What the module's input cannot hold is set aside before the quota
        // fit and the audit: neither counts a rule that is not written.
        crate::emit::tfvars::set_aside(&mut analysis, t.version);
        let limits = quota::limits(
            (cfg.rule_quota, cfg.groups_per_interface),
            aws.as_ref(),
            &mut analysis.stats.notes,
        );
        quota::apply(&mut analysis, limits, &used)?;
    }
    // The --terraform folders, rendered now: the rules their files create
    // (egress.tf) are in the audit's after state, as `check` reads them.
    let planned = match &cfg.tfvars {
        Some(
            t @ config::Tfvars {
                terraform: Some(tf),
                ..
            },
        ) => terraform::render(tf, t.per_account.is_some(), &analysis)?,
        _ => Vec::new(),
    };
    let after = terraform::after_state(&planned)?;
    // Once per run: every report and the summary on stderr share it.
    let audit = audit_with(&analysis, &used, &after.groups);
    clock.done("audit");
    // Every output is written to a temporary file first, and put in place
    // only once all are written and none replaces an input: a failed run
    // leaves earlier outputs as they were.
    let mut staged = emit::Staged::default();
    let mut written = outputs::stage(cfg, &analysis, &audit, planned, &mut staged)?;
    written.warnings.extend(after.warnings);
    if let (Some(s), Some(c)) = (&cfg.state, carried) {
        staged.add(&s.path, &state::render(c, &analysis), "--state")?;
        written.paths.push(s.path.display().to_string());
    }
    outputs::refuse_replacing_inputs(cfg, &staged)?;
    staged.commit()?;
    clock.done("write");
    let tripped = cfg.fail_on.and_then(|level| {
        let n = audit
            .findings
            .iter()
            .filter(|f| f.severity >= level)
            .count();
        (n > 0).then_some((n, level))
    });
    let mut warnings = written.warnings;
    if let Some(c) = &analysis.continuity {
        warnings.extend(state::holes_warning(&c.observed));
    }
    Ok(Outcome {
        analysis,
        audit,
        written: written.paths,
        warnings,
        json: written.json,
        tripped,
    })
}

/// The time each stage of a run took, logged at debug level
/// (`RUST_LOG=sgpair=debug`): where a slow run spends its time.
struct Stages(std::time::Instant);

impl Stages {
    fn start() -> Stages {
        Stages(std::time::Instant::now())
    }

    /// Logs the time since the last stage ended, and (on Linux) the
    /// process's resident memory now and at its peak so far.
    fn done(&mut self, stage: &str) {
        let now = std::time::Instant::now();
        let ms = now
            .duration_since(std::mem::replace(&mut self.0, now))
            .as_millis() as u64;
        let (rss_mb, peak_mb) = crate::memory::resident_mb();
        tracing::debug!(stage, ms, rss_mb, peak_mb, "stage done");
    }
}

/// `sgpair inventory`: the inventory read from EC2, written to `out`.
pub fn inventory(settings: &AwsSettings, out: &Path) -> Result<Inventory> {
    let inv = connection::snapshot(settings)?;
    write_inventory(&inv, out)?;
    Ok(inv)
}

#[cfg(feature = "aws")]
/// `sgpair inventory --account ID... --out-dir DIR`: each account's
/// inventory through `--role-arn`, written to `DIR/<account>-<region>.json`.
/// Every account is read before anything is written; a failure names its
/// account.
pub fn inventories(
    settings: &AwsSettings,
    accounts: &[String],
    dir: &Path,
    concurrency: usize,
) -> Result<Vec<(std::path::PathBuf, Inventory)>> {
    let role = settings
        .role
        .as_ref()
        .context("--account needs --role-arn: the role sgpair assumes in each account")?;
    let aws = Aws::connect(settings)?;
    let mut out = Vec::new();
    for (account, got) in aws.inventories(accounts, role, concurrency) {
        let inv = got?;
        let region = inv.region.clone().unwrap_or_else(|| "no-region".into());
        out.push((dir.join(format!("{account}-{region}.json")), inv));
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    // All or none: a failed write leaves every earlier snapshot as it was.
    let mut staged = emit::Staged::default();
    for (path, inv) in &out {
        staged.add(path, &inventory_json(inv)?, "--out-dir")?;
    }
    staged.commit()?;
    Ok(out)
}

fn write_inventory(inv: &Inventory, out: &Path) -> Result<()> {
    emit::write_atomic(out, &inventory_json(inv)?)
}

fn inventory_json(inv: &Inventory) -> Result<Vec<u8>> {
    let text = serde_json::to_string_pretty(inv).context("cannot serialise the inventory")? + "\n";
    Ok(text.into_bytes())
}

impl Outcome {
    /// What the run tells the user on stderr (unless `--quiet`): notes,
    /// skipped lines with their places, warnings, the counts, the summary in
    /// the reports' words, and the files written.
    pub fn stderr_lines(&self) -> Vec<String> {
        let mut out = emit::read_lines(&self.analysis.stats, &self.warnings);
        // The reports' summary, in their words (README, "Words").
        out.extend(emit::terminal_summary(&self.analysis, &self.audit));
        out.push(format!("wrote {}", self.written.join(", ")));
        out
    }
}

/// What the run says of the groups interfaces list that the inventory does
/// not describe (at most five named, with their interfaces): without their
/// rules, what they allow is not counted, and the audit may find traffic no
/// rule allows.
fn undescribed_note(inventory: &Inventory) -> Option<String> {
    let groups = inventory.undescribed_groups();
    if groups.is_empty() {
        return None;
    }
    let named = crate::present::first_and_more(
        groups.iter().map(|(g, enis)| {
            let more = enis.len().saturating_sub(3);
            let mut on = enis.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            if more > 0 {
                on.push_str(&format!(" and {more} more"));
            }
            format!("{g} (on {on})")
        }),
        5,
    );
    Some(format!(
        "the inventory does not describe {} its interfaces list: {}; their rules are unknown, so nothing they allow is counted. Take a fresh snapshot (sgpair inventory), or add the inventory of the account that owns them (a shared VPC)",
        count(groups.len() as u64, "group"),
        named.join(", ")
    ))
}

/// The run's inventory: the snapshots given (combined, one per account and
/// region), else each `--account` read through `--role-arn` (an account
/// whose role cannot be assumed fails the run, or with `--allow-partial` is
/// listed in `missing` and its records are not resolved), else EC2's with
/// the run's own credentials.
fn inventory_of(cfg: &Config, aws: Option<&Aws>, missing: &mut Vec<String>) -> Result<Inventory> {
    if !cfg.inventory.is_empty() {
        let parts = cfg
            .inventory
            .iter()
            .map(|p| Ok((p.display().to_string(), Inventory::load(p)?)))
            .collect::<Result<Vec<_>>>()?;
        return Inventory::combine(parts);
    }
    let aws = connected(aws)?;
    let Some(role) = &cfg.aws.role else {
        return aws
            .inventory()
            .context("reading the inventory from EC2 (or give a snapshot with --inventory FILE)");
    };
    let accounts: Vec<String> = cfg.sources.scope.accounts.iter().cloned().collect();
    let partial = Partial {
        allow: cfg.allow_partial,
    };
    let mut parts = Vec::new();
    for (account, got) in aws.inventories(&accounts, role, cfg.concurrency) {
        if let Some(inv) = partial.settle(got, "", |m| missing.push(m))? {
            parts.push((format!("account {account}"), inv));
        }
    }
    if parts.is_empty() {
        anyhow::bail!(
            "no account's inventory could be read: {}",
            missing.join("; ")
        );
    }
    // Each part names its account, so an account that could not be read is
    // not covered: its records are counted, never resolved.
    Inventory::combine(parts)
}

/// The accounts and regions the S3 listing reads: `--account` and
/// `--log-region`, else the accounts (and the one region) of the inventory.
fn scope_of(cfg: &Config, inv: &Inventory) -> Scope {
    let given = &cfg.sources.scope;
    if !given.is_all() {
        return given.clone();
    }
    Scope {
        accounts: inv
            .covered_accounts()
            .iter()
            .map(|a| a.to_string())
            .collect(),
        regions: inv.region.iter().cloned().collect(),
        from_flags: false,
    }
}

/// The connection a run that needs one has (`Config::needs_aws`).
fn connected(aws: Option<&Aws>) -> Result<&Aws> {
    aws.context("internal error: AWS is needed but no connection was made")
}

/// `--avoid-group` values as group ids: an id, or a name that names exactly one group.
fn avoided_groups(values: &[String], inv: &Inventory) -> Result<BTreeSet<String>> {
    values
        .iter()
        .map(|v| {
            if inv.group(v).is_some() {
                return Ok(v.clone());
            }
            let named: Vec<&str> = inv
                .security_groups
                .iter()
                .filter(|g| g.name == *v)
                .map(|g| g.id.as_str())
                .collect();
            match named.as_slice() {
                [one] => Ok(one.to_string()),
                [] => anyhow::bail!(
                    "--avoid-group {v:?}: no security group of the inventory has this id or name"
                ),
                many => anyhow::bail!(
                    "--avoid-group {v:?}: {} groups have this name ({}); give the id",
                    many.len(),
                    many.join(", ")
                ),
            }
        })
        .collect()
}

/// The interfaces' history from every `--history` source, merged. An AWS
/// source that fails fails the run or, with `--allow-partial`, is missing.
fn history(
    cfg: &Config,
    aws: Option<&Aws>,
    inventory: &Inventory,
    stats: &mut Stats,
) -> Result<History> {
    let partial = Partial {
        allow: cfg.allow_partial,
    };
    let mut history = History::default();
    for source in &cfg.history {
        let got = match source {
            // A file that cannot be read is the run's error, partial or not.
            HistorySource::File(path) => Ok(History::load(path)?),
            HistorySource::CloudTrail => cloudtrail(cfg.window, connected(aws)?, stats),
            HistorySource::Config => {
                // The interfaces the run resolves: those the logs show and
                // those the inventory holds.
                let mut ids: BTreeSet<String> = stats.interfaces.keys().cloned().collect();
                ids.extend(inventory.network_interfaces.iter().map(|e| e.id.clone()));
                connected(aws)?
                    .config_history(ids.into_iter().collect(), cfg.window, cfg.concurrency)
                    .context("reading the interfaces' history from AWS Config")
            }
        };
        let missing = &mut stats.missing;
        let prefix = format!("--history {}: ", source.label());
        let Some(mut h) = partial.settle(got, &prefix, |m| missing.push(m))? else {
            continue;
        };
        stats.notes.append(&mut h.notes);
        if h.malformed > 0 {
            let more = h.malformed.saturating_sub(h.malformed_places.len() as u64);
            let mut places = h.malformed_places.join("; ");
            if more > 0 {
                places.push_str(&format!("; and {more} more"));
            }
            stats.notes.push(format!(
                "{}: {} malformed, not used: {places}; export the events again (aws cloudtrail lookup-events), or remove the broken ones",
                source.label(),
                count(h.malformed, "event")
            ));
        }
        if h.skipped > 0 {
            stats.notes.push(format!(
                "{}: {} not used: only interface changes that succeeded are",
                source.label(),
                count(h.skipped, "event")
            ));
        }
        history.merge(h);
    }
    Ok(history)
}

/// `--history cloudtrail`: the window's events, as far back as CloudTrail keeps them.
fn cloudtrail(window: Window, aws: &Aws, stats: &mut Stats) -> Result<History> {
    let oldest = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
        - history::LOOKUP_DAYS * 86_400;
    let since = window.since.max(oldest);
    if since > window.since {
        stats.notes.push(format!(
            "--history cloudtrail: CloudTrail keeps {} days of events; the window's start before that has no history",
            history::LOOKUP_DAYS
        ));
    }
    aws.history(since, window.until.max(since)).context(
        "reading the interfaces' history from CloudTrail (or give lookup-events files with --history FILE)",
    )
}
