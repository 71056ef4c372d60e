//! Where AWS puts flow-log objects, and which folders a listing visits.
//!
//! Below the flow log's own prefix (any folders, or none), AWS writes
//! - `AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/[{hh}/]`, or
//! - `AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={yyyy}/month={mm}/day={dd}/[hour={hh}/]`
//!   with Hive-compatible prefixes.
//!
//! A CloudWatch Logs export task (`aws logs create-export-task`) writes a
//! log group's streams below its own prefix (default `exportedlogs`) as
//! `{task id}/{log stream}/000000.gz`, ...: no date folders, so a task's
//! folder (named by its id, a UUID) is listed whole and the window keeps
//! its records.
//!
//! A central log-archive bucket holds every account's folders (and other
//! services' beside `vpcflowlogs`). Inside this layout the walk knows the
//! way: it lists an account's `vpcflowlogs` folder without listing the
//! account's folder, goes straight to the given accounts without listing
//! `AWSLogs/`, and from a region folder to the window's day partitions
//! without listing the region. Above it (the flow log's prefix, or a copy in
//! some other arrangement) it lists each folder until one holds year folders.

use std::collections::BTreeSet;

use crate::window::{Date, FIRST_TIME, LAST_TIME, Window, date_of_day};

/// The accounts and regions a listing reads (`--account`, `--log-region`);
/// an empty set is all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub accounts: BTreeSet<String>,
    pub regions: BTreeSet<String>,
    /// Given by `--account` and `--log-region`, not taken from the
    /// inventory: only then is a folder they cannot narrow worth a note.
    pub from_flags: bool,
}

impl Scope {
    /// No limit: every account and region.
    pub fn is_all(&self) -> bool {
        self.accounts.is_empty() && self.regions.is_empty()
    }

    fn has_account(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.contains(account)
    }

    fn has_region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.contains(region)
    }

    /// Whether a folder at `place` can hold flow logs of the scope.
    fn admits(&self, place: &Place) -> bool {
        match *place {
            Place::Account { account, .. } | Place::Service { account, .. } => {
                self.has_account(account)
            }
            Place::Region {
                account, region, ..
            } => self.has_account(account) && self.has_region(region),
            Place::Other | Place::AwsLogs => true,
        }
    }
}

impl std::fmt::Display for Scope {
    /// `accounts 111111111111, 222222222222; regions us-east-1`, or `every account and region`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
        match (self.accounts.is_empty(), self.regions.is_empty()) {
            (true, true) => write!(f, "every account and region"),
            (false, true) => write!(f, "accounts {}", list(&self.accounts)),
            (true, false) => write!(f, "regions {}", list(&self.regions)),
            (false, false) => write!(
                f,
                "accounts {}; regions {}",
                list(&self.accounts),
                list(&self.regions)
            ),
        }
    }
}

/// `--account`: an AWS account id, twelve digits, as the folders name it.
pub fn account_id(s: &str) -> Result<String, String> {
    if is_account(s) {
        Ok(s.to_string())
    } else {
        Err("an AWS account id is twelve digits, e.g. 123456789012".into())
    }
}

/// `--log-region`: a region as the folders name it (`us-east-1`).
pub fn region_name(s: &str) -> Result<String, String> {
    if is_region(s) {
        Ok(s.to_string())
    } else {
        Err("a region name is lower-case letters, digits and hyphens, e.g. us-east-1".into())
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_region(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.ends_with(|c: char| c.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Where a folder (a key prefix ending in `/`) sits in AWS's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place<'a> {
    /// Outside the layout: the flow log's own prefix, or anything else.
    Other,
    /// `AWSLogs/`.
    AwsLogs,
    /// `AWSLogs/{account}/`.
    Account { account: &'a str, hive: bool },
    /// `AWSLogs/{account}/vpcflowlogs/`.
    Service { account: &'a str, hive: bool },
    /// `AWSLogs/{account}/vpcflowlogs/{region}/`: its children are years.
    Region {
        account: &'a str,
        region: &'a str,
        hive: bool,
    },
}

/// The place of `folder`, judged by its path below the last `AWSLogs`.
pub(super) fn place(folder: &str) -> Place<'_> {
    let Some(path) = folder.strip_suffix('/') else {
        return Place::Other;
    };
    let segments: Vec<&str> = path.split('/').collect();
    let Some(at) = segments.iter().rposition(|s| *s == "AWSLogs") else {
        return Place::Other;
    };
    let rest = &segments[at + 1..];
    let Some(first) = rest.first() else {
        return Place::AwsLogs;
    };
    let (account, hive) = match first.strip_prefix("aws-account-id=") {
        Some(a) => (a, true),
        None => (*first, false),
    };
    if !is_account(account) {
        return Place::Other;
    }
    match rest.len() {
        1 => Place::Account { account, hive },
        2 if rest[1] == service(hive) => Place::Service { account, hive },
        3 if rest[1] == service(hive) => {
            let region = if hive {
                rest[2].strip_prefix("aws-region=")
            } else {
                Some(rest[2])
            };
            match region {
                Some(region) if is_region(region) => Place::Region {
                    account,
                    region,
                    hive,
                },
                _ => Place::Other,
            }
        }
        _ => Place::Other,
    }
}

/// The account whose flow logs `key` (an object's key) is among: the
/// `{account}` of `AWSLogs/{account}/vpcflowlogs/...` (or its Hive
/// spelling) below the key's last `AWSLogs`; `None` outside that layout.
pub(super) fn key_account(key: &str) -> Option<&str> {
    let at = key.rfind("AWSLogs/")?;
    let rest = &key[at..];
    let mut segments = rest.split('/');
    let service_folder = [segments.next()?, segments.next()?, segments.next()?];
    segments.next()?; // something below the service folder
    let folder = &rest[..service_folder.iter().map(|s| s.len() + 1).sum::<usize>()];
    match place(folder) {
        Place::Service { account, .. } => Some(account),
        _ => None,
    }
}

/// The folder of the flow logs below an account's folder.
fn service(hive: bool) -> &'static str {
    if hive {
        "aws-service=vpcflowlogs"
    } else {
        "vpcflowlogs"
    }
}

/// One listing call (with all its pages).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Job {
    /// The sub-folders of a folder (the `/` delimiter).
    Folders(String),
    /// Every object below a day partition.
    Objects(String),
    /// Every object below a CloudWatch Logs export task's folder.
    Export(String),
}

/// Folders outside AWS's layout are listed at most this many levels below
/// the location's prefix, so that a prefix with no flow logs below it ends.
pub(super) const MAX_DEPTH: usize = 6;

/// The walk below one location's prefix (`root`), for one scope and window.
pub(super) struct Walk<'a> {
    pub root: &'a str,
    pub scope: &'a Scope,
    pub window: &'a Window,
}

impl Walk<'_> {
    /// The first listings: those of the folder the location names.
    pub fn start(&self) -> Vec<Job> {
        self.visit(self.root.to_string())
    }

    /// The listings that come after `folder`'s sub-folders were listed.
    pub fn listed(&self, folder: &str, children: Vec<String>) -> Vec<Job> {
        match place(folder) {
            Place::Other => {
                let style = children.iter().find_map(|c| year_style(last_segment(c)));
                match style {
                    Some(hive) => objects(day_prefixes(folder, hive, self.window)),
                    None => children.into_iter().flat_map(|c| self.visit(c)).collect(),
                }
            }
            // Only accounts (or a nested AWSLogs): no other folder there
            // holds VPC flow logs.
            Place::AwsLogs => children
                .into_iter()
                .filter(|c| matches!(place(c), Place::Account { .. } | Place::AwsLogs))
                .flat_map(|c| self.visit(c))
                .collect(),
            Place::Service { .. } | Place::Account { .. } | Place::Region { .. } => children
                .into_iter()
                .filter(|c| matches!(place(c), Place::Region { .. }))
                .flat_map(|c| self.visit(c))
                .collect(),
        }
    }

    /// What reaching `folder` takes: inside AWS's layout the next folder is
    /// known and needs no call; elsewhere the folder is listed.
    fn visit(&self, folder: String) -> Vec<Job> {
        let place = place(&folder);
        if !self.scope.admits(&place) {
            return Vec::new();
        }
        match place {
            Place::AwsLogs if !self.scope.accounts.is_empty() => self
                .scope
                .accounts
                .iter()
                .flat_map(|a| {
                    [false, true].map(|hive| {
                        let account = if hive {
                            format!("aws-account-id={a}")
                        } else {
                            a.clone()
                        };
                        Job::Folders(format!("{folder}{account}/{}/", service(hive)))
                    })
                })
                .collect(),
            Place::Account { hive, .. } => {
                vec![Job::Folders(format!("{folder}{}/", service(hive)))]
            }
            Place::Region { hive, .. } => objects(day_prefixes(&folder, hive, self.window)),
            Place::Other if is_export_task(last_segment(&folder)) => vec![Job::Export(folder)],
            Place::Other if self.depth(&folder) >= MAX_DEPTH => Vec::new(),
            Place::Other | Place::AwsLogs | Place::Service { .. } => vec![Job::Folders(folder)],
        }
    }

    /// Levels below the location's prefix.
    fn depth(&self, folder: &str) -> usize {
        folder
            .strip_prefix(self.root)
            .unwrap_or(folder)
            .matches('/')
            .count()
    }
}

fn objects(prefixes: Vec<String>) -> Vec<Job> {
    prefixes.into_iter().map(Job::Objects).collect()
}

/// The last name of a folder path (`a/b/` → `b`).
fn last_segment(folder: &str) -> &str {
    folder
        .strip_suffix('/')
        .unwrap_or(folder)
        .rsplit('/')
        .next()
        .unwrap_or("")
}

/// The day partitions of one region folder that fall inside the window (the
/// day of `until` included). Day numbers, not strings: any window gives a
/// finite list, clipped to the days a record can have (1970..=9999).
pub(super) fn day_prefixes(base: &str, hive: bool, window: &Window) -> Vec<String> {
    let first = window.since.max(FIRST_TIME).div_euclid(86_400);
    let last = window.until.min(LAST_TIME).div_euclid(86_400);
    (first..=last)
        .map(|n| {
            let Date { year, month, day } = date_of_day(n);
            if hive {
                format!("{base}year={year:04}/month={month:02}/day={day:02}/")
            } else {
                format!("{base}{year:04}/{month:02}/{day:02}/")
            }
        })
        .collect()
}

/// A CloudWatch Logs export task's id, which names its folder: a UUID
/// (`8-4-4-4-12` hexadecimal digits).
pub(super) fn is_export_task(segment: &str) -> bool {
    let groups: Vec<&str> = segment.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A folder whose children are years: the region level of either layout.
pub(super) fn year_style(segment: &str) -> Option<bool> {
    let is_year = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    if is_year(segment) {
        Some(false)
    } else if segment.strip_prefix("year=").is_some_and(is_year) {
        Some(true)
    } else {
        None
    }
}

/// A key the readers take: what flow-log delivery writes (`.log.gz`,
/// `.log`, `.parquet`), any `.gz`, and a name without an extension (what
/// Firehose writes of a subscription's delivery: gzip members without a
/// `.gz`). What the object holds is told by its first bytes when read.
pub(super) fn is_flow_log(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    key.ends_with(".log")
        || key.ends_with(".gz")
        || key.ends_with(".parquet")
        || (!name.is_empty() && !name.contains('.'))
}
