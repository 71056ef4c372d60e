//! The connection table, and the iterator that gives its room back.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::super::acc::Sample;
use super::super::table::Conns;
use super::*;
use crate::reduce::ConnKey;

fn key(server: u32, client: u32, port: u16, eni: u32) -> AggKey {
    AggKey {
        key: ConnKey {
            server: IpAddr::V4(server.into()),
            port,
            client: IpAddr::V4(client.into()),
            proto: TCP,
        },
        eni,
    }
}

fn sample() -> Sample {
    Sample {
        client_port: 40000,
        start: 0,
        end: 60,
        bytes: 1,
        packets: 1,
        strength: crate::reduce::Strength::Clear,
        syn: false,
    }
}

proptest! {
    /// Whatever the keys and their order (repeats, runs of one key,
    /// enough distinct keys to grow the index several times, reads
    /// between queued records), every key holds the sum of its own
    /// records, once, as a map would.
    #[test]
    fn the_table_sums_each_key_as_a_map_does(
        ops in proptest::collection::vec((0u32..300, 0u32..4, 0u16..3, 1u64..5), 0..3000),
    ) {
        let mut table = Conns::default();
        let mut model: BTreeMap<AggKey, u64> = BTreeMap::new();
        for (i, (a, b, port, n)) in ops.into_iter().enumerate() {
            let k = key(a, a ^ b, port, b);
            if i % 7 == 0 {
                // Read now: what is queued is added first.
                table.entry(k).records += n;
            } else {
                for _ in 0..n {
                    table.add(k, sample());
                }
            }
            *model.entry(k).or_default() += n;
        }
        prop_assert_eq!(table.len(), model.len());
        let got: BTreeMap<AggKey, u64> = table.iter().map(|(k, a)| (*k, a.records)).collect();
        prop_assert_eq!(&got, &model);
        // Expiry keeps the others findable (the index is rebuilt).
        table.retain(|k, _| k.eni != 1);
        model.retain(|k, _| k.eni != 1);
        for (k, n) in &model {
            prop_assert_eq!(table.entry(*k).records, *n);
        }
        prop_assert_eq!(table.len(), model.len());
    }
}

#[test]
fn merging_adds_to_the_key_already_there_and_keeps_new_ones() {
    let mut table = Conns::default();
    table.entry(key(1, 2, 80, 0)).records = 3;
    let more = Acc {
        records: 4,
        ..Acc::default()
    };
    table.merge_in(key(1, 2, 80, 0), more.clone());
    table.merge_in(key(1, 2, 443, 0), more);
    let sums: BTreeMap<u16, u64> = table.iter().map(|(k, a)| (k.key.port, a.records)).collect();
    assert_eq!(sums, BTreeMap::from([(80, 7), (443, 4)]));
    assert_eq!(table.values().map(|a| a.records).sum::<u64>(), 11);
}

#[test]
fn shrinking_gives_every_item_once_and_its_room_back() {
    let n = 100_000usize;
    let mut it = Shrinking((0..n).collect::<Vec<usize>>());
    assert_eq!(it.size_hint(), (n, Some(n)));
    let mut seen = vec![false; n];
    let mut smallest_room = usize::MAX;
    while let Some(i) = it.next() {
        assert!(!seen[i], "{i} given twice");
        seen[i] = true;
        assert_eq!(it.size_hint().0, it.0.len());
        smallest_room = smallest_room.min(it.0.capacity());
        // Never more than twice the items left, past the floor.
        assert!(it.0.capacity() <= (2 * it.0.len()).max(4096) + 1);
    }
    assert!(seen.iter().all(|s| *s));
    assert!(smallest_room <= 4096);
}
