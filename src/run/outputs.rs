//! The files a run writes (each atomically: a temporary file renamed into
//! place), and the JSON report for stdout.

use anyhow::{Context, Result};

use super::config::{Config, Tfvars};
use crate::analysis::Analysis;
use crate::audit::Audit;
use crate::emit;

/// What was written, and the emitters' warnings.
pub(super) struct Written {
    /// The paths, in the order written.
    pub paths: Vec<String>,
    pub warnings: Vec<String>,
    /// The JSON report, when asked for (`--json`).
    pub json: Option<String>,
}

pub(super) fn write(cfg: &Config, analysis: &Analysis, audit: &Audit) -> Result<Written> {
    let mut warnings = emit::tfvars::left_out_warnings(analysis);
    let mut paths = Vec::new();
    match cfg.tfvars.as_ref().map(|t| (t, &t.per_account)) {
        Some((t, Some(dir))) => {
            let name = t
                .path
                .file_name()
                .map_or_else(|| "rules.auto.tfvars".into(), |n| n.to_os_string());
            for (account, text, w) in emit::tfvars::render_per_account(analysis, t.version) {
                let folder = dir.join(&account);
                std::fs::create_dir_all(&folder)
                    .with_context(|| format!("cannot create the folder {}", folder.display()))?;
                let path = folder.join(&name);
                emit::write_atomic(&path, text.as_bytes())?;
                paths.push(path.display().to_string());
                warnings.extend(w.into_iter().map(|w| format!("account {account}: {w}")));
            }
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
            emit::write_atomic(&t.path, tfvars.as_bytes())?;
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
            analysis,
            &mut paths,
            &mut warnings,
        )?,
        _ => Vec::new(),
    };
    let out = &cfg.outputs;
    emit::write_atomic(
        &out.report,
        emit::report::markdown_with(analysis, audit, &folders).as_bytes(),
    )?;
    paths.push(out.report.display().to_string());
    if let Some(path) = &out.html {
        let command = if cfg.tfvars.is_some() {
            emit::Command::Infer
        } else {
            emit::Command::Audit
        };
        emit::write_atomic(
            path,
            emit::html::render_with(analysis, audit, command, &folders).as_bytes(),
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
        emit::write_atomic(
            path,
            emit::sarif::render(analysis, audit, &artifact).as_bytes(),
        )?;
        paths.push(path.display().to_string());
    }
    let json = out
        .json
        .then(|| emit::report::json_with(analysis, audit, &folders));
    Ok(Written {
        paths,
        warnings,
        json,
    })
}
