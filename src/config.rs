//! `sgpair.toml`: the choices a team keeps from run to run, so that every
//! run (a colleague's, CI's) steers the group choice alike. Found in the
//! current folder, or given with `--config FILE`. Flags add to it (lists)
//! or override it (single values). Paths in it are relative to its folder.
//!
//! ```toml
//! # Groups kept out of every rule unless nothing else allows a connection.
//! avoid_groups = ["baseline", "sg-0123456789abcdef0"]
//! # The interfaces' history (see --history): lookup-events files, or
//! # "cloudtrail" (its event history) or "config" (AWS Config) to ask.
//! history = ["create.json", "delete.json", "config"]
//! # The inventory snapshot (see --inventory); in an estate, one per
//! # account and region: a list.
//! inventory = ["inventories/111111111111-eu-west-1.json", "inventories/222222222222-eu-west-1.json"]
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::history;

/// The file looked for in the current folder when `--config` is not given.
pub const FILE_NAME: &str = "sgpair.toml";

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Group ids or names for `--avoid-group`.
    #[serde(default)]
    pub avoid_groups: Vec<String>,
    /// `--history` files, or the services to ask (`cloudtrail`, `config`).
    #[serde(default)]
    pub history: Vec<PathBuf>,
    /// `--inventory` files: one path, or a list (an estate's snapshots).
    #[serde(default, deserialize_with = "one_or_many")]
    pub inventory: Vec<PathBuf>,
    /// Where the file was read from (not a key of it).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl Config {
    /// Reads a config file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config {}", path.display()))?;
        let mut c: Config = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!(":{line}:{col}")
                })
                .unwrap_or_default();
            anyhow::anyhow!(
                "{}{at}: not a valid sgpair config: {}",
                path.display(),
                e.message()
            )
        })?;
        // Paths in the file are relative to its folder; a history entry
        // that names a service (`cloudtrail`, `config`) is not a path.
        let base = path.parent().unwrap_or(Path::new(""));
        let services = c
            .history
            .iter_mut()
            .filter(|p| !history::SERVICES.iter().any(|s| p.as_os_str() == *s));
        for p in services.chain(c.inventory.iter_mut()) {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    /// `--config FILE`, else `sgpair.toml` in `cwd` when there is one, else nothing.
    pub fn find(given: Option<&Path>, cwd: &Path) -> Result<Config> {
        match given {
            Some(p) => Config::load(p),
            None => {
                let p = cwd.join(FILE_NAME);
                if p.is_file() {
                    Config::load(&p)
                } else {
                    Ok(Config::default())
                }
            }
        }
    }
}

/// A value that is one path or a list of paths.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(PathBuf),
        Many(Vec<PathBuf>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(p) => vec![p],
        OneOrMany::Many(v) => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_paths_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(
            &p,
            "avoid_groups = [\"baseline\"]\nhistory = [\"trail.json\", \"config\", \"cloudtrail\"]\ninventory = \"/abs/inv.json\"\n",
        )
        .unwrap();
        let c = Config::find(None, dir.path()).unwrap();
        assert_eq!(c.avoid_groups, vec!["baseline".to_string()]);
        assert_eq!(
            c.history,
            vec![
                dir.path().join("trail.json"),
                PathBuf::from("config"),
                PathBuf::from("cloudtrail")
            ],
            "a service's name is not a path"
        );
        assert_eq!(c.inventory, vec![PathBuf::from("/abs/inv.json")]);
        std::fs::write(&p, "avoid_groups = [\"a\"]\navoid_group = \"typo\"\n").unwrap();
        let err = format!("{:#}", Config::load(&p).unwrap_err());
        assert!(err.contains("sgpair.toml:2:1"), "{err}");
        assert!(err.contains("avoid_group"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(Config::find(None, empty.path()).unwrap(), Config::default());
    }

    #[test]
    fn an_estate_lists_its_inventories_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(
            &p,
            "inventory = [\"inv/111111111111-eu-west-1.json\", \"/abs/b.json\"]\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(
            c.inventory,
            vec![
                dir.path().join("inv/111111111111-eu-west-1.json"),
                PathBuf::from("/abs/b.json")
            ]
        );
        std::fs::write(&p, "inventory = 3\n").unwrap();
        let err = format!("{:#}", Config::load(&p).unwrap_err());
        assert!(err.contains("sgpair.toml:1:13"), "{err}");
    }
}
