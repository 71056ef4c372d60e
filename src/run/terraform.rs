//! `--terraform DIR`: the folder (or one per account) written, each file
//! atomically; the files that are the user's are kept, and said.

use std::path::Path;

use anyhow::{Context, Result};

use super::config::Terraform;
use crate::analysis::Analysis;
use crate::emit::{Staged, terraform as tf};

/// Renders the folders and stages their files (the folders are made
/// now, the files put in place with the run's other outputs); the paths and the warnings
/// (files kept, a module block of another name) go to the caller's lists.
pub(super) fn write(
    t: &Terraform,
    per_account: bool,
    analysis: &Analysis,
    staged: &mut Staged,
    paths: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<tf::Written>> {
    let folders = if per_account {
        tf::render_per_account(analysis, &t.module_name)
    } else {
        vec![tf::render(analysis, &t.module_name)]
    };
    let mut out = Vec::new();
    for folder in folders {
        let dir = match &folder.account {
            Some(account) => super::outputs::account_folder(&t.dir, account)?,
            None => t.dir.clone(),
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        let mut kept = Vec::new();
        for file in &folder.files {
            let path = dir.join(file.name);
            if keep(&path, file.kind)? {
                kept.push(file.name);
                continue;
            }
            staged.add(&path, file.text.as_bytes(), "--terraform")?;
            paths.push(path.display().to_string());
        }
        let prefix = folder
            .account
            .as_ref()
            .map_or(String::new(), |a| format!("account {a}: "));
        warnings.extend(folder.warnings.iter().map(|w| format!("{prefix}{w}")));
        for name in &kept {
            let why = if *name == "imports.tf" || *name == "egress.tf" {
                "it is not sgpair's (no generated header); move it aside to get sgpair's"
            } else {
                "sgpair writes main.tf, variables.tf and versions.tf only where missing"
            };
            warnings.push(format!("kept {} as it is: {why}", dir.join(name).display()));
        }
        if kept.contains(&"main.tf") && !calls_module(&dir, &t.module_name) {
            warnings.push(format!(
                "{}: no .tf file declares module \"{}\", which imports.tf addresses; give --module-name with your module block's name",
                dir.display(),
                t.module_name
            ));
        }
        out.push(tf::Written {
            dir: dir.display().to_string(),
            kept,
            folder,
        });
    }
    Ok(out)
}

/// Whether an existing file stays as it is.
fn keep(path: &Path, kind: tf::Kind) -> Result<bool> {
    if !path.exists() {
        return Ok(false);
    }
    Ok(match kind {
        tf::Kind::Generated => false,
        tf::Kind::Scaffold => true,
        tf::Kind::GeneratedUnlessUsers => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            !text.starts_with(tf::GENERATED)
        }
    })
}

/// Whether a `.tf` file of the folder declares `module "NAME"`.
fn calls_module(dir: &Path, name: &str) -> bool {
    let needle = format!("module \"{name}\"");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "tf"))
        .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(&needle)))
}
