//! The running sums of rejected traffic per destination and service.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Default)]
pub(super) struct RejAcc {
    pub(super) records: u64,
    /// The lowest sources, at most [`MAX_REJECT_SOURCES`]: the same set
    /// whatever order the records arrive in.
    pub(super) sources: Lowest,
    pub(super) more_sources: bool,
    pub(super) first: i64,
    pub(super) last: i64,
    /// The first reasons in sort order, at most [`MAX_REJECT_REASONS`].
    pub(super) reasons: BTreeSet<String>,
}

/// The lowest addresses seen, in `IpAddr`'s order (every IPv4 address
/// before every IPv6 one): each family a sorted vector, IPv4 addresses as
/// numbers, so a record costs a binary search over words and a short move,
/// where one vector of `IpAddr` compared two enums per step.
#[derive(Debug, Default)]
pub(super) struct Lowest {
    v4: Vec<u32>,
    v6: Vec<Ipv6Addr>,
}

impl Lowest {
    pub(super) fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// The addresses, lowest first.
    pub(super) fn iter(&self) -> impl Iterator<Item = IpAddr> + '_ {
        let v4 = self.v4.iter().map(|a| IpAddr::V4(Ipv4Addr::from_bits(*a)));
        v4.chain(self.v6.iter().map(|a| IpAddr::V6(*a)))
    }

    /// Adds `a` unless it is there; `false` when a full set (`max`
    /// addresses) does not keep it, or drops its highest to keep it.
    pub(super) fn add(&mut self, a: IpAddr, max: usize) -> bool {
        let full = self.len() >= max;
        match a {
            IpAddr::V4(a) => {
                let a = a.to_bits();
                // Above the highest of a full set: not kept.
                if full && self.v6.is_empty() && self.v4.last().is_some_and(|m| a > *m) {
                    return false;
                }
                let Err(at) = self.v4.binary_search(&a) else {
                    return true;
                };
                self.v4.insert(at, a);
            }
            IpAddr::V6(a) => {
                if full && self.v6.last().is_none_or(|m| a > *m) {
                    return false;
                }
                let Err(at) = self.v6.binary_search(&a) else {
                    return true;
                };
                self.v6.insert(at, a);
            }
        }
        if full {
            // The highest goes: an IPv6 address while there is one.
            if self.v6.pop().is_none() {
                self.v4.pop();
            }
            return false;
        }
        true
    }
}

impl RejAcc {
    pub(super) fn add_source(&mut self, src: IpAddr) {
        if !self.sources.add(src, MAX_REJECT_SOURCES) {
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
