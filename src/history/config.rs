//! AWS Config's record of network interfaces (`--history config`): each
//! configuration item (an interface's whole state, captured when it
//! changed) made into the events CloudTrail would have given, and whether
//! Config's recorders record interfaces, as they change, over the window.
//! Plain data in and out; `config_api.rs` makes the calls.

use std::net::IpAddr;

use anyhow::{Result, bail};
use serde_json::Value;

use super::{Change, InterfaceEvent, addrs, sorted};
use crate::window::rfc3339;

/// The resource type Config records interfaces as.
pub const RESOURCE_TYPE: &str = "AWS::EC2::NetworkInterface";

/// The IAM actions `--history config` uses, for README and error messages.
pub const IAM_ACTIONS: &[&str] = &[
    "config:DescribeConfigurationRecorders",
    "config:DescribeConfigurationRecorderStatus",
    "config:BatchGetResourceConfig",
    "config:GetResourceConfigHistory",
];

/// One configuration item, as much of it as the history needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `configurationItemCaptureTime`, seconds since the epoch.
    pub time: i64,
    /// `configurationItemStatus`: `OK`, `ResourceDiscovered`,
    /// `ResourceDeleted`, `ResourceNotRecorded`, `ResourceDeletedNotRecorded`.
    pub status: String,
    /// `configuration`: the interface as EC2's DescribeNetworkInterfaces
    /// gives it, as a JSON string (none for a deleted interface).
    pub configuration: Option<String>,
}

impl Item {
    /// An item that says the interface's whole state (not a deletion nor
    /// a change Config did not record).
    pub fn has_state(&self) -> bool {
        matches!(self.status.as_str(), "OK" | "ResourceDiscovered")
            && self.configuration.as_deref().and_then(state).is_some()
    }
}

/// What one configuration says of an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    vpc: Option<String>,
    addresses: Vec<IpAddr>,
    groups: Vec<String>,
}

/// The VPC, addresses and groups of a configuration; `None` when it is not
/// an interface's (not JSON, not an object, no `groups` list).
fn state(configuration: &str) -> Option<State> {
    let v: Value = serde_json::from_str(configuration).ok()?;
    let groups = v
        .get("groups")?
        .as_array()?
        .iter()
        .filter_map(|g| g.get("groupId")?.as_str().map(String::from))
        .collect();
    let list = |key: &str, field: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.get(field)?.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut addresses = list("privateIpAddresses", "privateIpAddress");
    addresses.extend(list("ipv6Addresses", "ipv6Address"));
    addresses.extend(
        v.get("privateIpAddress")
            .and_then(Value::as_str)
            .map(String::from),
    );
    Some(State {
        vpc: v.get("vpcId").and_then(Value::as_str).map(String::from),
        addresses: addrs(addresses),
        groups: sorted(groups),
    })
}

/// An interface's items, oldest first, as events: the first state recorded
/// is a creation (the interface as it was from then on), later ones the
/// changes of groups and addresses since the one before, a deletion a
/// deletion. An item Config did not record, or one that cannot be read,
/// leaves the groups unknown until the next whole state. Also how many
/// items could not be read.
pub fn events(interface: &str, items: &[Item]) -> (Vec<InterfaceEvent>, u64) {
    let mut out = Vec::new();
    let mut unreadable = 0;
    let mut before: Option<State> = None;
    for item in items {
        let mut push = |change| {
            out.push(InterfaceEvent {
                time: item.time,
                interface: interface.to_string(),
                change,
            })
        };
        match item.status.as_str() {
            "ResourceDeleted" | "ResourceDeletedNotRecorded" => {
                push(Change::Deleted);
                before = None;
            }
            "ResourceNotRecorded" => {
                push(Change::Unrecorded);
                before = None;
            }
            status => {
                let now = match status {
                    "OK" | "ResourceDiscovered" => item.configuration.as_deref().and_then(state),
                    _ => None,
                };
                let Some(now) = now else {
                    unreadable += 1;
                    push(Change::Unrecorded);
                    before = None;
                    continue;
                };
                match &before {
                    None => push(Change::Created {
                        vpc: now.vpc.clone(),
                        addresses: now.addresses.clone(),
                        groups: now.groups.clone(),
                    }),
                    Some(b) => {
                        if b.groups != now.groups {
                            push(Change::Groups {
                                groups: now.groups.clone(),
                            });
                        }
                        let added = minus(&now.addresses, &b.addresses);
                        if !added.is_empty() {
                            push(Change::Assigned { addresses: added });
                        }
                        let removed = minus(&b.addresses, &now.addresses);
                        if !removed.is_empty() {
                            push(Change::Unassigned { addresses: removed });
                        }
                    }
                }
                before = Some(now);
            }
        }
    }
    (out, unreadable)
}

fn minus(a: &[IpAddr], b: &[IpAddr]) -> Vec<IpAddr> {
    a.iter().filter(|x| !b.contains(x)).copied().collect()
}

/// Of an interface's items (any order), the ones that tell its groups over
/// `since..`: those after `since`, and the last one at or before it (the
/// state the window starts in), oldest first.
pub fn from_window_start(mut items: Vec<Item>, since: i64) -> Vec<Item> {
    items.sort_by_key(|i| i.time);
    let first = items
        .iter()
        .rposition(|i| i.time <= since)
        .unwrap_or_default();
    items.split_off(first)
}

/// Which resource types a recorder records (its recording group).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recording {
    pub all_supported: bool,
    /// `recordingStrategy.useOnly`, when given.
    pub strategy: Option<String>,
    /// `resourceTypes`: the types recorded (inclusion).
    pub included: Vec<String>,
    /// `exclusionByResourceTypes.resourceTypes`.
    pub excluded: Vec<String>,
}

impl Recording {
    /// Whether interfaces are among the types recorded.
    pub fn records_interfaces(&self) -> bool {
        match self.strategy.as_deref() {
            Some("EXCLUSION_BY_RESOURCE_TYPES") => {
                !self.excluded.iter().any(|t| t == RESOURCE_TYPE)
            }
            Some("ALL_SUPPORTED_RESOURCE_TYPES") => true,
            _ => self.all_supported || self.included.iter().any(|t| t == RESOURCE_TYPE),
        }
    }
}

/// A configuration recorder, with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorder {
    pub name: String,
    /// `None`: no recording group, which is Config's default (every
    /// supported type).
    pub recording: Option<Recording>,
    /// Interfaces are recorded once a day (`recordingMode`), not as they change.
    pub daily: bool,
    /// Recording now.
    pub on: bool,
    pub last_start: Option<i64>,
    pub last_stop: Option<i64>,
}

impl Recorder {
    fn records_interfaces(&self) -> bool {
        self.recording
            .as_ref()
            .is_none_or(Recording::records_interfaces)
    }

    /// Why it did not record interfaces as they changed over
    /// `since..until`, if it did not: once a day only, never started, or
    /// stopped during the window (only its last stop is known).
    fn problem(&self, since: i64, until: i64) -> Option<String> {
        let name = &self.name;
        if self.daily {
            return Some(format!(
                "the configuration recorder {name} records {RESOURCE_TYPE} once a day (recording frequency DAILY), so a change is dated up to a day late and the groups of a connection's time are not known: record interfaces continuously"
            ));
        }
        let (from, to) = match (self.on, self.last_stop) {
            (false, None) => {
                return Some(format!(
                    "the configuration recorder {name} has never been started (aws configservice start-configuration-recorder)"
                ));
            }
            (false, Some(stop)) => (stop, None),
            (true, Some(stop)) => match self.last_start {
                Some(start) if start > stop => (stop, Some(start)),
                _ => return None,
            },
            (true, None) => return None,
        };
        if from >= until || to.is_some_and(|to| to <= since) {
            return None;
        }
        let stopped = match to {
            None => format!("has been stopped since {}", rfc3339(from)),
            Some(to) => format!("was stopped from {} to {}", rfc3339(from), rfc3339(to)),
        };
        Some(format!(
            "the configuration recorder {name} {stopped}, within the window ({} to {}): changes to interfaces then were not recorded as they happened",
            rfc3339(since),
            rfc3339(until)
        ))
    }
}

/// Whether Config holds the interfaces' history of `since..until`: a
/// recorder that records interfaces, as they change, and recorded through
/// the window. The error says what is missing and what to do.
pub fn check_recorders(recorders: &[Recorder], since: i64, until: i64) -> Result<()> {
    const INSTEAD: &str = "or give the history another way: --history cloudtrail (the last 90 days), or lookup-events files";
    if recorders.is_empty() {
        bail!(
            "AWS Config has no configuration recorder in this account and region, so it holds no history of network interfaces: set one up that records {RESOURCE_TYPE} (Config console, or aws configservice put-configuration-recorder), {INSTEAD}"
        );
    }
    let recording: Vec<&Recorder> = recorders
        .iter()
        .filter(|r| r.records_interfaces())
        .collect();
    if recording.is_empty() {
        let names: Vec<&str> = recorders.iter().map(|r| r.name.as_str()).collect();
        bail!(
            "AWS Config does not record network interfaces here: the recording group of its configuration recorder ({}) leaves out {RESOURCE_TYPE}, so Config keeps no history of them. Add {RESOURCE_TYPE} to the recording group (or record all supported types), {INSTEAD}",
            names.join(", ")
        );
    }
    let mut problems = Vec::new();
    for r in recording {
        match r.problem(since, until) {
            Some(p) => problems.push(p),
            None => return Ok(()),
        }
    }
    bail!(
        "AWS Config does not hold the interfaces' history of the window: {}; {INSTEAD}",
        problems.join("; ")
    )
}
