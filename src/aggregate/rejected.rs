//! The running sums of rejected traffic per destination and service.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::ip_order;

#[derive(Debug, Default)]
pub(super) struct RejAcc {
    pub(super) records: u64,
    /// The lowest sources, sorted, at most [`MAX_REJECT_SOURCES`]: the same
    /// set whatever order the records arrive in. A sorted vector: a binary
    /// search per record, where a tree compared addresses at every node.
    pub(super) sources: Vec<IpAddr>,
    pub(super) more_sources: bool,
    pub(super) first: i64,
    pub(super) last: i64,
    /// The first reasons in sort order, at most [`MAX_REJECT_REASONS`].
    pub(super) reasons: BTreeSet<String>,
}

impl RejAcc {
    pub(super) fn add_source(&mut self, src: IpAddr) {
        let full = self.sources.len() >= MAX_REJECT_SOURCES;
        // Addresses compare as numbers, in `IpAddr`'s order.
        let key = ip_order(src);
        // Above the highest of a full set: not kept (nor among the kept).
        if full && self.sources.last().is_some_and(|max| key > ip_order(*max)) {
            self.more_sources = true;
            return;
        }
        if let Err(at) = self.sources.binary_search_by(|s| ip_order(*s).cmp(&key)) {
            self.sources.insert(at, src);
            if full {
                self.sources.pop();
                self.more_sources = true;
            }
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
