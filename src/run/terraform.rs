//! `--terraform DIR`: the folder (or one per account) written, each file
//! atomically; the files that are the user's are kept, and said. A file
//! sgpair wrote is rewritten to match this run even when the run has
//! nothing for it; a user's file that this run has nothing for is named as
//! possibly stale, since the user may have written it for an older proposal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::config::Terraform;
use crate::analysis::Analysis;
use crate::emit::{Staged, terraform as tf};
use crate::proposal::Resources;

/// One `--terraform` folder of this run: where it goes, what it holds, and
/// what is in place there now, read once for both the audit and the write.
pub(super) struct Planned {
    pub dir: PathBuf,
    pub folder: tf::Folder,
    /// The files in place that stay as they are (the user's).
    kept: Vec<&'static str>,
    /// sgpair's egress.tf in place holds rules this run's, its header
    /// alone, takes away.
    emptied: bool,
}

/// Renders the folders (one, or one per account), written by [`write`]
/// once the audit is done: the audit's after state holds the rules their
/// files create ([`after_state`]).
pub(super) fn render(
    t: &Terraform,
    per_account: bool,
    analysis: &Analysis,
) -> Result<Vec<Planned>> {
    let folders = if per_account {
        tf::render_per_account(analysis, &t.module_name)
    } else {
        vec![tf::render(analysis, &t.module_name)]
    };
    folders
        .into_iter()
        .map(|folder| {
            let dir = match &folder.account {
                Some(account) => super::outputs::account_folder(&t.dir, account)?,
                None => t.dir.clone(),
            };
            let mut kept = Vec::new();
            let mut emptied = false;
            for file in &folder.files {
                let existing = existing(&dir.join(file.name), file.kind)?;
                if keep(existing.as_deref(), file.kind) {
                    kept.push(file.name);
                } else if file.name == "egress.tf" && file.empty {
                    // Rules that go away are removed from AWS by the next
                    // apply: said, unlike imports that go away (the rule
                    // stays either way).
                    emptied = existing.is_some_and(|t| holds_blocks(&t));
                }
            }
            Ok(Planned {
                dir,
                folder,
                kept,
                emptied,
            })
        })
        .collect()
}

/// The rules the folders' rule resources create once written, as `sgpair
/// check` reads them from the folder: every `*.tf` file there, sgpair's
/// as this run writes them, a team's as they are (a file of sgpair's name
/// that is the team's is kept, so read as it is).
pub(super) fn after_state(planned: &[Planned]) -> Result<Resources> {
    let mut texts = Vec::new();
    let mut warnings = Vec::new();
    for p in planned {
        let mut files: BTreeMap<PathBuf, String> = BTreeMap::new();
        if p.dir.is_dir() {
            let (on_disk, w) = crate::proposal::folder_texts(&p.dir)?;
            files.extend(on_disk);
            warnings.extend(w);
        }
        for file in p.folder.files.iter().filter(|f| f.name.ends_with(".tf")) {
            if !p.kept.contains(&file.name) {
                files.insert(p.dir.join(file.name), file.text.clone());
            }
        }
        texts.extend(files);
    }
    let mut out = crate::proposal::from_texts(&texts);
    out.warnings.splice(0..0, warnings);
    Ok(out)
}

/// Stages the rendered folders' files (the folders are made now, the
/// files put in place with the run's other outputs); the paths and the
/// warnings (files kept, a module block of another name) go to the
/// caller's lists.
pub(super) fn write(
    t: &Terraform,
    per_account: bool,
    planned: Vec<Planned>,
    staged: &mut Staged,
    paths: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<tf::Written>> {
    let mut out = Vec::new();
    let written: Vec<String> = planned
        .iter()
        .filter_map(|p| p.folder.account.clone())
        .collect();
    for Planned {
        dir,
        folder,
        kept,
        emptied,
    } in planned
    {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        for file in folder.files.iter().filter(|f| !kept.contains(&f.name)) {
            let path = dir.join(file.name);
            staged.add(&path, file.text.as_bytes(), "--terraform")?;
            paths.push(path.display().to_string());
        }
        let prefix = folder
            .account
            .as_ref()
            .map_or(String::new(), |a| format!("account {a}: "));
        warnings.extend(folder.warnings.iter().map(|w| format!("{prefix}{w}")));
        // A scaffold file kept is the expected state of every run after the
        // first (the report lists it among the user's): no warning.
        let users = folder
            .files
            .iter()
            .filter(|f| kept.contains(&f.name) && f.kind != tf::Kind::Scaffold)
            .map(|f| f.name);
        for name in users {
            let why = match name {
                "imports.tf" if folder.empty(name) => {
                    "it is not sgpair's (no generated header), and this run has nothing to import: its import blocks may now address keys rules.auto.tfvars no longer holds (terraform plan then fails); check it, or move it aside"
                }
                "egress.tf" if folder.empty(name) => {
                    "it is not sgpair's (no generated header), and this run saw no egress beyond group-to-group rules: its rules may now be stale; check it, or move it aside"
                }
                _ => "it is not sgpair's (no generated header); move it aside to get sgpair's",
            };
            warnings.push(format!("kept {} as it is: {why}", dir.join(name).display()));
        }
        if emptied {
            warnings.push(format!(
                "rewrote {}: this run saw no egress beyond group-to-group rules, so it holds no rule now; an apply removes the rules the last one created",
                dir.join("egress.tf").display()
            ));
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
    if per_account {
        warnings.extend(super::outputs::earlier_account_folders(
            &t.dir,
            &written,
            "rules.auto.tfvars".as_ref(),
            "--terraform",
        ));
    }
    Ok(out)
}

/// The text of the file in place, where the decision needs it: a file
/// that is sgpair's when it starts with its header. Other kinds only
/// need to know it exists (an empty string then).
fn existing(path: &Path, kind: tf::Kind) -> Result<Option<String>> {
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(match kind {
        tf::Kind::GeneratedUnlessUsers => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        tf::Kind::Generated | tf::Kind::Scaffold => String::new(),
    }))
}

/// Whether a file in place (its text from [`existing`]) stays as it is.
fn keep(existing: Option<&str>, kind: tf::Kind) -> bool {
    let Some(text) = existing else {
        return false;
    };
    match kind {
        tf::Kind::Generated => false,
        tf::Kind::Scaffold => true,
        tf::Kind::GeneratedUnlessUsers => !text.starts_with(tf::GENERATED),
    }
}

/// Whether a file sgpair wrote holds a resource: what a run that rewrites
/// it as its header alone takes away.
fn holds_blocks(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("resource \""))
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
