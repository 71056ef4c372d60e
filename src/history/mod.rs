//! Interface history: what was recorded of network interfaces being
//! created, deleted, regrouped and given or relieved of addresses. With it,
//! an interface that the logs show but the inventory no longer holds is
//! known as deleted (and, when the history holds its state at some time,
//! with the groups it had), and a connection gets the groups its interface
//! had at the connection's time, not today's.
//!
//! - `cloudtrail.rs`: CloudTrail's events (`lookup-events` files, a trail's
//!   files, or `LookupEvents` itself);
//! - `config.rs`: AWS Config's configuration items of interfaces, and
//!   whether its recorders record them;
//! - `config_api.rs`: the AWS Config calls (the `aws` feature).

mod cloudtrail;
pub mod config;
#[cfg(feature = "aws")]
mod config_api;

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::id::Groups;

#[cfg(feature = "aws")]
pub use cloudtrail::lookup;
pub use cloudtrail::{EVENT_NAMES, LOOKUP_DAYS};
#[cfg(feature = "aws")]
pub use config_api::read as read_config;

/// The `--history` values (and `sgpair.toml` `history` entries) that name a
/// service to ask rather than a file.
pub const SERVICES: [&str; 2] = ["cloudtrail", "config"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Change {
    /// The interface's state from this time on: its creation (CloudTrail),
    /// or the first state AWS Config recorded of it.
    Created {
        vpc: Option<String>,
        addresses: Vec<IpAddr>,
        groups: Vec<String>,
    },
    Deleted,
    /// The interface's groups were replaced by these.
    Groups {
        groups: Vec<String>,
    },
    Assigned {
        addresses: Vec<IpAddr>,
    },
    Unassigned {
        addresses: Vec<IpAddr>,
    },
    /// The interface changed and what it became was not recorded (AWS
    /// Config's `ResourceNotRecorded`): its groups from then on are unknown.
    Unrecorded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceEvent {
    /// Seconds since the epoch.
    pub time: i64,
    pub interface: String,
    pub change: Change,
}

/// The interface events of a period, per interface in time order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct History {
    by_interface: BTreeMap<String, Vec<InterfaceEvent>>,
    /// Events read that were not about interfaces, or not complete enough
    /// to use (counted, not silently dropped).
    pub skipped: u64,
    /// Events that could not be read at all (a `CloudTrailEvent` that is
    /// not JSON): how many, and the places of the first few, each with
    /// what is wrong.
    pub malformed: u64,
    pub malformed_places: Vec<String>,
    /// What a source has to say about what it holds (interfaces it knows
    /// nothing of, ...), for the run's notes.
    pub notes: Vec<String>,
}

impl History {
    /// No history: every interface keeps today's groups.
    pub const EMPTY: History = History {
        by_interface: BTreeMap::new(),
        skipped: 0,
        malformed: 0,
        malformed_places: Vec::new(),
        notes: Vec::new(),
    };

    /// The places of malformed events kept, as a skipped record's are.
    pub const MALFORMED_PLACES: usize = 5;

    /// Counts an event that could not be read, at `place`.
    pub fn note_malformed(&mut self, place: String) {
        self.malformed += 1;
        if self.malformed_places.len() < Self::MALFORMED_PLACES {
            self.malformed_places.push(place);
        }
    }

    /// Adds events; each interface's stay in time order (the same event
    /// twice counts once).
    pub fn extend(&mut self, events: impl IntoIterator<Item = InterfaceEvent>) {
        let mut touched = std::collections::BTreeSet::new();
        for e in events {
            let mine = self.by_interface.entry(e.interface.clone()).or_default();
            if !mine.contains(&e) {
                touched.insert(e.interface.clone());
                mine.push(e);
            }
        }
        for id in touched {
            if let Some(events) = self.by_interface.get_mut(&id) {
                // Stable: events of one second keep the order they came in.
                events.sort_by_key(|e| e.time);
            }
        }
    }

    /// Adds another source's events, counts and notes.
    pub fn merge(&mut self, other: History) {
        self.extend(other.by_interface.into_values().flatten());
        self.skipped += other.skipped;
        self.malformed += other.malformed;
        let room = Self::MALFORMED_PLACES.saturating_sub(self.malformed_places.len());
        self.malformed_places
            .extend(other.malformed_places.into_iter().take(room));
        self.notes.extend(other.notes);
    }

    pub fn is_empty(&self) -> bool {
        self.by_interface.is_empty()
    }

    pub fn events(&self, interface: &str) -> &[InterfaceEvent] {
        self.by_interface
            .get(interface)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// When the interface was deleted, if the history says so.
    pub fn deleted(&self, interface: &str) -> Option<i64> {
        self.events(interface)
            .iter()
            .rev()
            .find(|e| e.change == Change::Deleted)
            .map(|e| e.time)
    }

    /// The interface's VPC and addresses at creation (or when first
    /// recorded), if the history holds it.
    pub fn created(&self, interface: &str) -> Option<(Option<&str>, &[IpAddr])> {
        self.events(interface).iter().find_map(|e| match &e.change {
            Change::Created { vpc, addresses, .. } => Some((vpc.as_deref(), addresses.as_slice())),
            _ => None,
        })
    }

    /// The groups the interface had over `first..=last`: `current` (today's,
    /// `None` for an interface the inventory lacks) after its last change,
    /// the change's groups between changes, its creation's before. `None`
    /// when the groups changed during the span, or nothing tells them then.
    pub fn groups_at(
        &self,
        interface: &str,
        first: i64,
        last: i64,
        current: Option<&[String]>,
    ) -> Option<Vec<String>> {
        match self.groups_then(interface, first, last)? {
            Then::Current => current.map(<[String]>::to_vec),
            Then::Changed(groups) => Some(groups.to_vec()),
        }
    }

    /// [`History::groups_at`] for the resolver: today's groups shared, not
    /// copied (they are most interfaces' groups at most times).
    pub fn shared_groups_at(
        &self,
        interface: &str,
        first: i64,
        last: i64,
        current: Option<&Groups>,
    ) -> Option<Groups> {
        match self.groups_then(interface, first, last)? {
            Then::Current => current.cloned(),
            Then::Changed(groups) => Some(Groups::from(groups)),
        }
    }

    /// Which groups the interface had over `first..=last`, as
    /// [`History::groups_at`] decides; `None` when not known.
    fn groups_then(&self, interface: &str, first: i64, last: i64) -> Option<Then<'_>> {
        let changes: Vec<(i64, Option<&[String]>)> = self
            .events(interface)
            .iter()
            .filter_map(|e| match &e.change {
                Change::Created { groups, .. } => Some((e.time, Some(groups.as_slice()))),
                Change::Groups { groups } => Some((e.time, Some(groups.as_slice()))),
                Change::Unrecorded => Some((e.time, None)),
                _ => None,
            })
            .collect();
        if changes.iter().any(|(t, _)| first < *t && *t <= last) {
            return None;
        }
        // The last change at or before the span decides; before any change,
        // only a creation event would have told.
        match changes.iter().rev().find(|(t, _)| *t <= first) {
            Some((_, groups)) => groups.map(Then::Changed),
            None if changes.is_empty() => Some(Then::Current),
            None => None,
        }
    }
}

/// The groups an interface had at a time: today's, or a change's.
enum Then<'h> {
    Current,
    Changed(&'h [String]),
}

/// Addresses parsed, sorted, once each; what does not parse is left out.
fn addrs(v: Vec<String>) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = v.iter().filter_map(|s| s.parse().ok()).collect();
    out.sort();
    out.dedup();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests;
