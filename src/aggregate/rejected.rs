//! The running sums of rejected traffic per destination and service.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ports::sorted_union;

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

    /// Adds every address of `other` (another aggregator's set): the
    /// lowest `max` of the two sets' union, as adding them one at a time
    /// keeps, in one pass over each family instead of a search and a move
    /// per address. `false` when the union held more than `max`.
    pub(super) fn merge(&mut self, other: Lowest, max: usize) -> bool {
        let mut v4 = sorted_union(&self.v4, &other.v4);
        let mut v6 = sorted_union(&self.v6, &other.v6);
        let kept_all = v4.len() + v6.len() <= max;
        // Every IPv4 address is below every IPv6 one.
        v4.truncate(max);
        v6.truncate(max - v4.len());
        (self.v4, self.v6) = (v4, v6);
        kept_all
    }
}

impl RejAcc {
    /// Another aggregator's sources of the same rejection.
    pub(super) fn merge_sources(&mut self, other: Lowest) {
        if !self.sources.merge(other, MAX_REJECT_SOURCES) {
            self.more_sources = true;
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Merging two sets keeps what adding the other's addresses one at a
    /// time keeps, and says as it does whether the union overflowed: both
    /// families, sets empty, partly full, full, overlapping or not.
    #[test]
    fn a_merge_keeps_what_adding_one_at_a_time_keeps() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as u32
        };
        let addr = |n: u32| -> IpAddr {
            if n.is_multiple_of(4) {
                IpAddr::V6(Ipv6Addr::from(u128::from(n % 40)))
            } else {
                IpAddr::V4(Ipv4Addr::from(n % 60))
            }
        };
        for max in [1, 3, 8, 20] {
            for _ in 0..300 {
                let mut a = Lowest::default();
                let mut b = Lowest::default();
                for _ in 0..next() % 25 {
                    a.add(addr(next()), max);
                }
                for _ in 0..next() % 25 {
                    b.add(addr(next()), max);
                }
                let mut one_by_one = Lowest {
                    v4: a.v4.clone(),
                    v6: a.v6.clone(),
                };
                let mut kept = true;
                for x in b.iter() {
                    kept &= one_by_one.add(x, max);
                }
                let merged_kept = a.merge(b, max);
                assert_eq!(
                    a.iter().collect::<Vec<_>>(),
                    one_by_one.iter().collect::<Vec<_>>()
                );
                assert_eq!(merged_kept, kept, "max {max}");
                assert!(a.len() <= max);
            }
        }
    }
}
