//! The shared config and credentials files (`~/.aws/config`,
//! `~/.aws/credentials`, or where the environment points), read for the
//! profiles they define, so that a `--profile` they lack is named as such.

use std::error::Error as StdError;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use super::*;

/// The shared config and credentials files, where the SDK reads them:
/// `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config`
/// and `~/.aws/credentials`.
#[derive(Debug, Clone)]
pub struct SharedFiles {
    pub config: Option<PathBuf>,
    pub credentials: Option<PathBuf>,
    /// Text of each file, `None` when it cannot be read (missing).
    config_text: Option<String>,
    credentials_text: Option<String>,
}

impl SharedFiles {
    pub fn locate() -> SharedFiles {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        let path = |var: &str, default: &str| match std::env::var_os(var) {
            Some(p) if !p.is_empty() => Some(expand_home(Path::new(&p), home.as_deref())),
            _ => home.as_ref().map(|h| h.join(".aws").join(default)),
        };
        let config = path("AWS_CONFIG_FILE", "config");
        let credentials = path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let read = |p: &Option<PathBuf>| p.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
        SharedFiles {
            config_text: read(&config),
            credentials_text: read(&credentials),
            config,
            credentials,
        }
    }

    /// The profiles the two files define, sorted, without duplicates.
    pub fn profiles(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .config_text
            .iter()
            .flat_map(|t| profile_sections(t, true))
            .chain(
                self.credentials_text
                    .iter()
                    .flat_map(|t| profile_sections(t, false)),
            )
            .map(|s| s.name)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Whether the config file's section for `profile` uses IAM Identity
    /// Center (SSO): `sso_session` or `sso_start_url`.
    pub fn uses_sso(&self, profile: &str) -> bool {
        self.config_text.iter().any(|t| {
            profile_sections(t, true)
                .iter()
                .any(|s| s.name == profile && s.keys.iter().any(|k| k.starts_with("sso_")))
        })
    }

    /// `--profile NAME` (or `AWS_PROFILE`) must name a profile of the shared
    /// files; the SDK would otherwise fail on the first call with an error
    /// that looks like a network fault.
    pub fn check_profile(&self, opts: &AwsOptions) -> Result<(), UnknownProfile> {
        // Keys in the environment come first in the chain: a stale
        // AWS_PROFILE does not stop them (an explicit --profile still counts).
        let env_keys = std::env::var_os("AWS_ACCESS_KEY_ID").is_some_and(|v| !v.is_empty());
        let (name, from_flag) = match (&opts.profile, std::env::var("AWS_PROFILE")) {
            (Some(p), _) => (p.clone(), true),
            (None, Ok(p)) if !p.is_empty() && !env_keys => (p, false),
            // The default profile may be absent: the chain then goes on to
            // the environment, containers and instance roles.
            _ => return Ok(()),
        };
        let known = self.profiles();
        if known.contains(&name) {
            return Ok(());
        }
        Err(UnknownProfile {
            name,
            from_flag,
            files: self.describe(),
            known,
        })
    }

    /// `/x/config (missing), /x/credentials` for messages.
    pub(super) fn describe(&self) -> String {
        let one = |p: &Option<PathBuf>, text: &Option<String>, what: &str| match (p, text) {
            (Some(p), Some(_)) => p.display().to_string(),
            (Some(p), None) if p.exists() => format!("{} (unreadable)", p.display()),
            (Some(p), None) => format!("{} (missing)", p.display()),
            (None, _) => format!("no {what} file (HOME is not set)"),
        };
        format!(
            "{}, {}",
            one(&self.config, &self.config_text, "config"),
            one(&self.credentials, &self.credentials_text, "credentials")
        )
    }
}

/// A `~/` at the start of a path from the environment, as the SDK expands it.
pub(super) fn expand_home(p: &Path, home: Option<&Path>) -> PathBuf {
    match (p.strip_prefix("~"), home) {
        (Ok(rest), Some(h)) => h.join(rest),
        _ => p.to_path_buf(),
    }
}

/// One profile section of a shared file: its name and the keys it sets.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Section {
    pub(super) name: String,
    pub(super) keys: Vec<String>,
}

/// The profile sections of a shared config file (`[default]`, `[profile
/// NAME]`) or credentials file (`[NAME]`), as the SDK reads them: other
/// sections (`[sso-session x]`, `[services x]`) are not profiles.
pub(super) fn profile_sections(text: &str, config_file: bool) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut in_profile = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            in_profile = false;
            let Some(end) = rest.find(']') else { continue };
            let header: Vec<&str> = rest[..end].split_whitespace().collect();
            let name = match (config_file, header.as_slice()) {
                (true, ["default"]) | (true, ["profile", "default"]) => "default",
                (true, ["profile", name]) => *name,
                (false, [name]) => *name,
                _ => continue,
            };
            in_profile = true;
            match out.iter().position(|s| s.name == name) {
                // A repeated section adds to the first, as the SDK merges them.
                Some(i) => {
                    let s = out.remove(i);
                    out.push(s);
                }
                None => out.push(Section {
                    name: name.to_string(),
                    keys: Vec::new(),
                }),
            }
            continue;
        }
        if in_profile
            && let Some((key, _)) = line.split_once('=')
            && let Some(s) = out.last_mut()
        {
            s.keys.push(key.trim().to_ascii_lowercase());
        }
    }
    out
}

/// `--profile NAME` (or `AWS_PROFILE`) names no profile of the shared files.
#[derive(Debug, Clone)]
pub struct UnknownProfile {
    pub name: String,
    /// Given with `--profile` (a usage error) rather than `AWS_PROFILE`.
    pub from_flag: bool,
    pub(super) files: String,
    known: Vec<String>,
}

impl std::fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = if self.from_flag {
            format!("--profile {}", self.name)
        } else {
            format!("AWS_PROFILE={}", self.name)
        };
        write!(
            f,
            "{given}: no profile named {:?} in the shared AWS files ({})",
            self.name, self.files
        )?;
        if self.known.is_empty() {
            write!(f, "; they define no profile")?;
        } else {
            write!(f, "; profiles there: {}", self.known.join(", "))?;
        }
        write!(
            f,
            "\n  fix: name one of those with --profile, create it (aws configure --profile {n}, or aws configure sso --profile {n}), or run offline with --inventory FILE and --logs PATH",
            n = self.name
        )
    }
}

impl StdError for UnknownProfile {}
