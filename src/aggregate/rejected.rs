//! The running sums of rejected traffic per destination and service.

use std::collections::BTreeSet;
use std::net::IpAddr;

#[derive(Debug, Default)]
pub(super) struct RejAcc {
    pub(super) records: u64,
    /// The lowest sources, at most [`MAX_REJECT_SOURCES`]: the same set
    /// whatever order the records arrive in.
    pub(super) sources: BTreeSet<IpAddr>,
    pub(super) more_sources: bool,
    pub(super) first: i64,
    pub(super) last: i64,
    /// The first reasons in sort order, at most [`MAX_REJECT_REASONS`].
    pub(super) reasons: BTreeSet<String>,
}

impl RejAcc {
    pub(super) fn add_source(&mut self, src: IpAddr) {
        if self.sources.len() < MAX_REJECT_SOURCES {
            self.sources.insert(src);
        } else if self.sources.last().is_some_and(|max| src < *max) {
            if self.sources.insert(src) {
                self.sources.pop_last();
                self.more_sources = true;
            }
        } else if !self.sources.contains(&src) {
            self.more_sources = true;
        }
    }

    pub(super) fn add_reason(&mut self, reason: &str) {
        if self.reasons.contains(reason) {
            return;
        }
        if self.reasons.len() < MAX_REJECT_REASONS {
            self.reasons.insert(reason.to_string());
        } else if self.reasons.last().is_some_and(|max| reason < max.as_str()) {
            self.reasons.insert(reason.to_string());
            self.reasons.pop_last();
        }
    }
}

const MAX_REJECT_SOURCES: usize = 256;
const MAX_REJECT_REASONS: usize = 8;
