//! `--state FILE`: the evidence that accumulates from run to run. The file
//! keeps the aggregation (every connection's sums with its first and last
//! record, before orientation is settled; never the records), what the
//! last run proposed, and the accounts, regions and VPCs it was written
//! for. A run folds the stored aggregation into its own before the
//! orientation pass, resolution and synthesis, so two runs over two windows
//! through one state give what one run over both windows gives.
//!
//! The file is gzip'd JSON with a `format` and a `version`; a file of
//! another format, of a newer version or of another scope is refused with
//! the reason and what to do. Version 2 added the spans of time its runs
//! observed (`observed`); a version 1 file is still read, its span taken as
//! observed throughout (it never said otherwise), and rewritten as version 2.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::aggregate::Stored;
use crate::inventory::Inventory;
use crate::window::Window;

mod observed;
#[cfg(test)]
mod tests;

pub use observed::{Observed, Unheld};

/// What `format` says in every state file.
pub const FORMAT: &str = "sgpair-state";

/// The layout's version; a file of a newer one is refused. Version 1 had
/// no `observed` spans.
pub const VERSION: u32 = 2;

/// What a state file is written for: a run over another set is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub vpcs: Vec<String>,
}

impl Scope {
    /// The accounts, region and VPCs of the run's inventory.
    pub fn of(inv: &Inventory) -> Scope {
        let accounts = inv
            .covered_accounts()
            .iter()
            .map(|a| a.to_string())
            .collect();
        let regions = inv.region.iter().cloned().collect();
        let mut vpcs: BTreeSet<String> = inv.vpcs.iter().map(|v| v.id.clone()).collect();
        vpcs.extend(
            inv.network_interfaces
                .iter()
                .filter_map(|e| e.vpc_id.clone()),
        );
        vpcs.extend(inv.security_groups.iter().filter_map(|g| g.vpc_id.clone()));
        Scope {
            accounts,
            regions,
            vpcs: vpcs.into_iter().collect(),
        }
    }

    fn describe(&self) -> String {
        let list = |v: &[String]| {
            if v.is_empty() {
                "none named".to_string()
            } else {
                v.join(", ")
            }
        };
        format!(
            "accounts {}; regions {}; VPCs {}",
            list(&self.accounts),
            list(&self.regions),
            list(&self.vpcs)
        )
    }
}

/// A rule the run proposed, as the next run compares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRule {
    /// The tfvars key.
    pub key: String,
    pub source_sg: String,
    pub target_sg: String,
    pub proto: u8,
    pub from_port: i32,
    pub to_port: i32,
    /// The first and last record of its evidence.
    pub first: i64,
    pub last: i64,
}

/// One state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format: String,
    pub version: u32,
    pub scope: Scope,
    /// The span the evidence covers: the earliest window's start (or the
    /// `--keep` cutoff, once evidence expired) to the latest window's end.
    pub since: i64,
    pub until: i64,
    /// The windows the runs folded in, joined: the time actually observed
    /// within `since..until` (a day no run read is a hole).
    pub observed: Observed,
    /// The rules the run that wrote the file proposed.
    pub rules: Vec<StateRule>,
    pub evidence: Stored,
    /// Read from a version 1 file, whose holes (if any) are not known.
    #[serde(skip)]
    pub from_version_1: bool,
}

/// Version 1's layout: version 2 without `observed`.
#[derive(Deserialize)]
struct Version1 {
    scope: Scope,
    since: i64,
    until: i64,
    rules: Vec<StateRule>,
    evidence: Stored,
}

impl State {
    pub fn new(scope: Scope, observed: Observed, rules: Vec<StateRule>, evidence: Stored) -> State {
        let (since, until) = observed.bounds().unwrap_or((0, 0));
        State {
            format: FORMAT.to_string(),
            version: VERSION,
            scope,
            since,
            until,
            observed,
            rules,
            evidence,
            from_version_1: false,
        }
    }

    /// The state in `path`, or `None` when there is no file yet (the first run).
    pub fn load(path: &Path) -> Result<Option<State>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read the state file {}", path.display()));
            }
        };
        State::from_bytes(&bytes)
            .with_context(|| format!("the state file {} cannot be used", path.display()))
            .map(Some)
    }

    /// Parses a state file's bytes (gzip'd JSON).
    pub fn from_bytes(bytes: &[u8]) -> Result<State> {
        if !bytes.starts_with(&[0x1f, 0x8b]) {
            bail!("it is not a state file that sgpair wrote (not gzip)");
        }
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut text)
            .context("it is not whole (gzip)")?;
        #[derive(Deserialize)]
        struct Head {
            format: Option<String>,
            version: Option<u32>,
        }
        let head: Head = serde_json::from_slice(&text).context("it is not a state file (JSON)")?;
        if head.format.as_deref() != Some(FORMAT) {
            bail!(
                "it is not a state file that sgpair wrote (format {:?})",
                head.format
            );
        }
        let state = match head.version {
            Some(VERSION) => {
                let s: State = serde_json::from_slice(&text)
                    .context(format!("its content does not fit version {VERSION}"))?;
                let ends = s.observed.bounds().unwrap_or((s.since, s.until));
                if s.since > s.until {
                    bail!("its span starts after it ends");
                }
                if ends != (s.since, s.until) {
                    bail!("its observed spans do not match its span");
                }
                s
            }
            Some(1) => {
                let v1: Version1 =
                    serde_json::from_slice(&text).context("its content does not fit version 1")?;
                if v1.since > v1.until {
                    bail!("its span starts after it ends");
                }
                State {
                    from_version_1: true,
                    ..State::new(
                        v1.scope,
                        Observed::of(v1.since, v1.until),
                        v1.rules,
                        v1.evidence,
                    )
                }
            }
            Some(v) if v > VERSION => bail!(
                "it is of version {v}, written by a newer sgpair (this one reads versions 1 and {VERSION}): upgrade sgpair"
            ),
            v => bail!("it is of version {v:?}, which this sgpair does not read"),
        };
        Ok(state)
    }

    /// The file's bytes: compact JSON, gzip'd.
    pub fn to_bytes(&self) -> Vec<u8> {
        let json =
            serde_json::to_vec(self).expect("the state holds only strings, numbers and lists");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        gz.write_all(&json).expect("writing to memory");
        gz.finish().expect("writing to memory")
    }

    /// Refuses a state written for other accounts, regions or VPCs. An
    /// inventory that gained VPCs (a new, empty one) keeps the state: what
    /// it holds still means what it meant, and the file is rewritten for
    /// the larger set. One that lost a VPC, or covers other accounts or
    /// regions, would mix evidence of two places.
    pub fn check_scope(&self, scope: &Scope, path: &Path) -> Result<()> {
        let grown = self.scope.accounts == scope.accounts
            && self.scope.regions == scope.regions
            && self.scope.vpcs.iter().all(|v| scope.vpcs.contains(v));
        if grown {
            return Ok(());
        }
        bail!(
            "the state file {} was written for {}, and this run's inventory covers {}: give each account, region and VPC set its own state file (or remove this one to start over)",
            path.display(),
            self.scope.describe(),
            scope.describe()
        )
    }
}

/// What the run's report says about the state: the last run's rules to
/// compare with, and the settings of the evidence's age.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Continuity {
    /// Whether a state file was read (false on the first run).
    pub had_state: bool,
    /// Without `--state`: the existing tfvars the rules are compared with
    /// (its rules' evidence times are unknown: `first` and `last` are 0).
    pub compared_with: Option<String>,
    /// The rules the last run proposed.
    pub previous_rules: Vec<StateRule>,
    /// The end of the last run's window.
    pub previous_until: Option<i64>,
    /// `--keep` and `--soak`, in seconds.
    pub keep: i64,
    pub soak: i64,
    /// Evidence older than this was forgotten (the window's end less `--keep`).
    pub cutoff: i64,
    /// Connections (per capturing interface) forgotten this run.
    pub expired: usize,
    /// The window this run read (the analysis's spans the state's too).
    pub read_window: Window,
    /// The time the evidence observed, this run's window included: the
    /// analysis's span less the holes no run read.
    pub observed: Observed,
}
