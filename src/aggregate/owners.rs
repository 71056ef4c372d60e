//! Which interface owned which address, and when: the span of the records
//! that named the address as the interface's own.

use std::net::IpAddr;

use rustc_hash::FxHashMap;

/// An interface (interned) and an address it owned.
pub(super) type Owned = (u32, IpAddr);

/// (interface, address it owns) → (first start, last end).
///
/// Records of one interface come in runs (a log stream is one interface's)
/// and most of a run names one local address, so the pair learned last is
/// kept aside with its span and a record of the same pair widens that span
/// without hashing into the map. The map's entry for that pair may be
/// older; every reading here takes the span aside for it.
#[derive(Debug, Default)]
pub(super) struct Owners {
    map: FxHashMap<Owned, (i64, i64)>,
    /// The pair learned last and its span, which `map` has not caught up with.
    last: Option<(Owned, (i64, i64))>,
}

impl Owners {
    /// A record from `start` to `end` names `owned`'s address as the
    /// interface's own.
    #[inline]
    pub(super) fn learn(&mut self, owned: Owned, start: i64, end: i64) {
        if let Some((k, span)) = &mut self.last
            && *k == owned
        {
            span.0 = span.0.min(start);
            span.1 = span.1.max(end);
            return;
        }
        self.put_back();
        let known = self.map.entry(owned).or_insert((start, end));
        self.last = Some((owned, (known.0.min(start), known.1.max(end))));
    }

    /// Writes the span kept aside into the map.
    fn put_back(&mut self) {
        if let Some((k, span)) = self.last.take() {
            self.map.insert(k, span);
        }
    }

    /// Every pair and its span, in no order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Owned, (i64, i64))> + '_ {
        self.map.iter().map(|(k, v)| match &self.last {
            Some((last, span)) if last == k => (*k, *span),
            _ => (*k, *v),
        })
    }

    /// Keeps the pairs whose span `keep` accepts.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&(i64, i64)) -> bool) {
        self.put_back();
        self.map.retain(|_, span| keep(span));
    }
}

impl IntoIterator for Owners {
    type Item = (Owned, (i64, i64));
    type IntoIter = std::collections::hash_map::IntoIter<Owned, (i64, i64)>;

    fn into_iter(mut self) -> Self::IntoIter {
        self.put_back();
        self.map.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the order of the records, every reading gives each
        /// pair the span of all the records that named it, as a map
        /// updated at every record does.
        #[test]
        fn every_reading_sees_the_span_kept_aside(
            records in proptest::collection::vec((0u32..3, 0u8..3, 0i64..100, 0i64..100), 0..40),
            cutoff in 0i64..100,
        ) {
            let mut owners = Owners::default();
            let mut every: FxHashMap<Owned, (i64, i64)> = FxHashMap::default();
            for (eni, a, start, len) in records {
                let owned = (eni, IpAddr::from([10, 0, 0, a]));
                owners.learn(owned, start, start + len);
                let span = every.entry(owned).or_insert((start, start + len));
                span.0 = span.0.min(start);
                span.1 = span.1.max(start + len);
            }
            let sorted = |mut v: Vec<(Owned, (i64, i64))>| { v.sort_unstable(); v };
            let expected = sorted(every.iter().map(|(k, v)| (*k, *v)).collect());
            prop_assert_eq!(sorted(owners.iter().collect()), expected.clone());
            let mut kept = Owners::default();
            for (k, (first, last)) in owners.iter() {
                kept.learn(k, first, last);
            }
            prop_assert_eq!(sorted(kept.into_iter().collect()), expected.clone());
            owners.retain(|(_, last)| *last >= cutoff);
            let expected_kept: Vec<_> = expected.into_iter().filter(|(_, (_, l))| *l >= cutoff).collect();
            prop_assert_eq!(sorted(owners.into_iter().collect()), expected_kept);
        }
    }
}
