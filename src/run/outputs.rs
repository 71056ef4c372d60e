//! The files a run writes (each atomically: a temporary file renamed into
//! place), and the JSON report for stdout.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::config::{Config, HistorySource, Tfvars, check_account};
use crate::analysis::Analysis;
use crate::audit::Audit;
use crate::emit::{self, Staged};
use crate::inventory::UNKNOWN_ACCOUNT;
use crate::usage::UsageError;

/// What was written, and the emitters' warnings.
pub(super) struct Written {
    /// The paths, in the order written.
    pub paths: Vec<String>,
    pub warnings: Vec<String>,
    /// The JSON report, when asked for (`--json`).
    pub json: Option<String>,
}

/// Writes every output of the run to a temporary file in `staged` (the
/// caller adds the state, checks, then commits): nothing is in place yet.
/// `planned`: the `--terraform` folders, rendered before the audit.
pub(super) fn stage(
    cfg: &Config,
    analysis: &Analysis,
    audit: &Audit,
    planned: Vec<super::terraform::Planned>,
    staged: &mut Staged,
) -> Result<Written> {
    let mut warnings = emit::tfvars::left_out_warnings(analysis);
    let mut paths = Vec::new();
    match cfg.tfvars.as_ref().map(|t| (t, &t.per_account)) {
        Some((t, Some(dir))) => {
            let name = t
                .path
                .file_name()
                .map_or_else(|| "rules.auto.tfvars".into(), |n| n.to_os_string());
            let mut written = Vec::new();
            for (account, text, w) in emit::tfvars::render_per_account(analysis, t.version) {
                let folder = account_folder(dir, &account)?;
                written.push(account.clone());
                std::fs::create_dir_all(&folder)
                    .with_context(|| format!("cannot create the folder {}", folder.display()))?;
                let path = folder.join(&name);
                staged.add(&path, text.as_bytes(), "--out-dir")?;
                paths.push(path.display().to_string());
                warnings.extend(w.into_iter().map(|w| format!("account {account}: {w}")));
            }
            warnings.extend(earlier_account_folders(dir, &written, &name, "--out-dir"));
        }
        // The --terraform folder writes its own rules.auto.tfvars; --out
        // is written besides only where it names another file.
        Some((t, None))
            if t.terraform
                .as_ref()
                .is_some_and(|tf| tf.dir.join("rules.auto.tfvars") == t.path) => {}
        Some((t, None)) => {
            let (tfvars, w) = emit::tfvars::render(analysis, t.version);
            warnings.extend(w);
            staged.add(&t.path, tfvars.as_bytes(), "--out")?;
            paths.push(t.path.display().to_string());
        }
        None => {}
    }
    let folders = match cfg.tfvars.as_ref() {
        Some(
            t @ Tfvars {
                terraform: Some(tf),
                ..
            },
        ) => super::terraform::write(
            tf,
            t.per_account.is_some(),
            planned,
            staged,
            &mut paths,
            &mut warnings,
        )?,
        _ => Vec::new(),
    };
    let out = &cfg.outputs;
    staged.add(
        &out.report,
        emit::report::markdown_with(analysis, audit, &folders).as_bytes(),
        "--report",
    )?;
    paths.push(out.report.display().to_string());
    let command = if cfg.tfvars.is_some() {
        emit::Command::Infer
    } else {
        emit::Command::Audit
    };
    if let Some(path) = &out.html {
        staged.add(
            path,
            emit::html::render_with(analysis, audit, command, &folders).as_bytes(),
            "--html",
        )?;
        paths.push(path.display().to_string());
    }
    if let Some(path) = &out.sarif {
        // Results point at the inventory: the file the groups come from.
        // Several snapshots (an estate): the first, without line numbers.
        let text = match cfg.inventory.as_slice() {
            [one] => std::fs::read_to_string(one).ok(),
            _ => None,
        };
        let artifact = emit::sarif::Artifact {
            path: cfg
                .inventory
                .first()
                .map_or_else(|| "inventory.json".to_string(), |p| p.display().to_string()),
            text: text.as_deref(),
        };
        staged.add(
            path,
            emit::sarif::render(analysis, audit, &artifact).as_bytes(),
            "--sarif",
        )?;
        paths.push(path.display().to_string());
    }
    let json = out
        .json
        .then(|| emit::report::json_with(analysis, audit, command, &folders));
    Ok(Written {
        paths,
        warnings,
        json,
    })
}

/// The folder of one account's files under `dir` (`--out-dir`,
/// `--terraform`): named after the account, which must be an AWS account
/// id (12 digits) or sgpair's name for groups of no known account. The id
/// comes from the inventory and the logs: anything else (`../..`, an
/// absolute path) would put files outside `dir`.
pub(super) fn account_folder(dir: &Path, account: &str) -> Result<PathBuf> {
    if check_account(account).is_err() && account != UNKNOWN_ACCOUNT {
        bail!(
            "the account id {account:?} is not 12 digits: sgpair names a folder under {} after each account and will not make one of it (nothing was written); correct the account id in the inventory (account_id, owner_id) or in the flow logs",
            dir.display()
        );
    }
    Ok(dir.join(account))
}

/// A warning for each account folder under `dir` (`--out-dir`,
/// `--terraform`) that holds `file` from an earlier run and that this run
/// did not write (`written`): an account no longer in its inventories or
/// its evidence. Its files stay as they were, an earlier window's rules,
/// which an apply there keeps; sgpair says so rather than delete them (the
/// account may be managed from elsewhere now).
pub(super) fn earlier_account_folders(
    dir: &Path,
    written: &[String],
    file: &std::ffi::OsStr,
    flag: &str,
) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut earlier: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| check_account(n).is_ok() || n == UNKNOWN_ACCOUNT)
        .filter(|n| !written.contains(n) && dir.join(n).join(file).is_file())
        .collect();
    earlier.sort();
    earlier
        .into_iter()
        .map(|account| {
            format!(
                "{flag}: {} is an earlier run's, left as it was: this run wrote nothing for account {account} (remove the folder if that account's groups are no longer managed from here)",
                dir.join(&account).join(file).display()
            )
        })
        .collect()
}

/// Refuses a run whose outputs would replace a file named as an input: a
/// flow-log file, an inventory, a history file or saved query results. The
/// state file is read and written by design, and is not among them. A file
/// inside a `--logs` folder is not checked: a folder in which a run writes
/// its outputs (`--logs .`) holds the last run's outputs, read as logs
/// and skipped, and replacing them is what the run is for.
pub(super) fn refuse_replacing_inputs(cfg: &Config, staged: &Staged) -> Result<()> {
    let mut inputs: Vec<(PathBuf, &str)> = Vec::new();
    inputs.extend(cfg.sources.logs.iter().map(|p| (p.clone(), "--logs")));
    inputs.extend(cfg.inventory.iter().map(|p| (p.clone(), "--inventory")));
    inputs.extend(
        cfg.sources
            .athena_results
            .iter()
            .map(|p| (p.clone(), "--athena-results")),
    );
    for h in &cfg.history {
        if let HistorySource::File(p) = h {
            inputs.push((p.clone(), "--history"));
        }
    }
    for (input, flag) in inputs {
        let Ok(read) = std::fs::canonicalize(&input) else {
            continue;
        };
        if let Some((_, shown, what)) = staged.targets().find(|(target, _, _)| *target == read) {
            return Err(UsageError(format!(
                "{what} names {}, which this run reads ({flag}): writing it would replace the input; give {what} another file (nothing was written)",
                shown.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// The `--logs` folder that `dir` (a folder of outputs: `--terraform`,
/// `--out-dir`) is or lies inside, if any. Such a folder's files would be
/// read as flow logs by the next run over that folder (counted as
/// malformed lines, and the folder's name kept in the command line that
/// runs every day), so the run is refused before anything is read. A
/// folder that does not exist yet is placed by the nearest folder above it
/// that does, links followed, so `logs/../logs/tf` and a link into the
/// logs are caught too.
pub fn folder_inside_logs<'a>(dir: &Path, logs: &'a [PathBuf]) -> Option<&'a Path> {
    let dir = emit::resolved(dir)?;
    logs.iter()
        .filter(|l| l.is_dir())
        .find(|l| std::fs::canonicalize(l).is_ok_and(|l| dir.starts_with(l)))
        .map(PathBuf::as_path)
}
