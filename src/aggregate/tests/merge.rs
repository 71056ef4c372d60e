//! Merging aggregators, port sets and the rejected sources kept.

use std::collections::BTreeSet;

use super::*;

#[test]
fn merging_two_aggregators_equals_one() {
    let mut one = Aggregator::new();
    let mut a = Aggregator::new();
    let mut b = Aggregator::new();
    for (agg, eni) in [(&mut a, "eni-1"), (&mut b, "eni-2")] {
        feed(
            agg,
            eni,
            "10.0.1.10",
            45000,
            "10.0.2.20",
            443,
            TCP,
            None,
            100,
        );
    }
    feed(
        &mut one,
        "eni-1",
        "10.0.1.10",
        45000,
        "10.0.2.20",
        443,
        TCP,
        None,
        100,
    );
    feed(
        &mut one,
        "eni-2",
        "10.0.1.10",
        45000,
        "10.0.2.20",
        443,
        TCP,
        None,
        100,
    );
    a.merge(b);
    let (x, y) = (a.finish(), one.finish());
    assert_eq!(
        format!("{:?}", x.connections),
        format!("{:?}", y.connections)
    );
}

fn port_set(ports: &[u16]) -> PortSet {
    let mut s = PortSet::default();
    for &p in ports {
        s.insert(p);
    }
    s
}

#[test]
fn bitmaps_grow_both_ways_and_merge_exactly() {
    let a_ports: Vec<u16> = (0..2000).map(|i| 30_000 + i * 3).collect();
    let b_ports: Vec<u16> = (0..200).map(|i| 1_000 + i * 300).collect();
    let mut a = port_set(&a_ports);
    for p in [65_535, 0, 40_000, 12_345] {
        a.insert(p);
    }
    let mut want: BTreeSet<u16> = a_ports.iter().copied().collect();
    want.extend([65_535, 0, 40_000, 12_345]);
    assert!(matches!(a, PortSet::Bits { .. }));
    assert_eq!(a.iter().collect::<BTreeSet<_>>(), want);
    assert_eq!(a.len(), want.len());
    let b = port_set(&b_ports);
    assert!(
        matches!(b, PortSet::Sorted { .. }),
        "200 ports over 60,000: a vector"
    );
    a.union(&b);
    want.extend(b_ports.iter().copied());
    assert_eq!(a.iter().collect::<BTreeSet<_>>(), want);
    assert_eq!(a.len(), want.len());
    // an inline set into a vector, and a vector into an inline set
    let mut small = port_set(&[7, 8, 9]);
    small.union(&b);
    let mut b2 = b.clone();
    b2.union(&port_set(&[7, 8, 9]));
    assert_eq!(
        small.iter().collect::<BTreeSet<_>>(),
        b2.iter().collect::<BTreeSet<_>>()
    );
    assert_eq!(small.len(), b_ports.len() + 3);
    if let PortSet::Bits { words, .. } = port_set(&(32_768..33_268).collect::<Vec<_>>()) {
        assert_eq!(words.len(), 8, "only the words in use");
    } else {
        panic!("500 ports in 500: a bitmap");
    }
}

#[test]
fn port_set_switches_to_a_bitmap_and_stays_exact() {
    let mut s = PortSet::default();
    for p in (0..1000u16).chain(0..1000) {
        s.insert(p * 7);
    }
    assert_eq!(s.len(), 1000);
    assert!(matches!(s, PortSet::Bits { .. }));
    assert_eq!(s.iter().count(), 1000);
}

/// Every kind of set, built and merged in every order, holds exactly the
/// ports put in, and stays no larger than the other kinds would be.
#[test]
fn port_sets_of_every_kind_merge_exactly() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    for round in 0..300 {
        let sets: Vec<Vec<u16>> = (0..3)
            .map(|_| {
                let n = [0, 1, 5, 11, 12, 40, 300, 3000][next(8) as usize];
                let (lo, span) = [(0, 65_536), (32_768, 28_232), (40_000, 200)][next(3) as usize];
                (0..n).map(|_| (lo + next(span)) as u16).collect()
            })
            .collect();
        let mut want = BTreeSet::new();
        let mut got = PortSet::default();
        for ports in &sets {
            want.extend(ports.iter().copied());
            let s = port_set(ports);
            assert_eq!(s.len(), ports.iter().collect::<BTreeSet<_>>().len());
            if let PortSet::Sorted { len, ports } = &s {
                let v = &ports[..usize::from(*len)];
                assert!(v.windows(2).all(|w| w[0] < w[1]), "round {round}");
            }
            if round % 2 == 0 {
                got.union(&s);
            } else {
                let mut s = s;
                s.union(&got);
                got = s;
            }
        }
        assert_eq!(got.iter().collect::<BTreeSet<_>>(), want, "round {round}");
        assert_eq!(got.len(), want.len(), "round {round}");
        assert_eq!(
            got.single(),
            (want.len() == 1).then(|| *want.first().unwrap())
        );
        if let PortSet::Sorted { len, ports } = &got {
            let v = &ports[..usize::from(*len)];
            let (lo, hi) = (v[0] / 64, v[v.len() - 1] / 64);
            assert!(
                v.len() * 2 <= (usize::from(hi - lo) + 1) * 8 * 2,
                "round {round}: {} ports kept as a vector where a bitmap of {} words would do",
                v.len(),
                hi - lo + 1
            );
        }
    }
}

/// Rejected sources keep the lowest 256 addresses, whatever order the
/// records come in and however they are split between aggregators.
#[test]
fn rejected_sources_are_the_lowest_whatever_the_order() {
    let sources: Vec<IpAddr> = (0..600u32)
        .map(|i| IpAddr::V4(std::net::Ipv4Addr::from(0xc000_0200 + (i * 7919) % 600)))
        .collect();
    let reject = |agg: &mut Aggregator, src: IpAddr| {
        agg.add_rejection(&Rejection {
            src,
            dst: ip("10.0.0.5"),
            dstport: 22,
            proto: TCP,
            start: 100,
            reason: None,
        })
    };
    let mut one = Aggregator::new();
    let mut sorted = sources.clone();
    sorted.sort();
    for &s in sorted.iter().rev() {
        reject(&mut one, s);
    }
    let (mut a, mut b) = (Aggregator::new(), Aggregator::new());
    for (i, &s) in sources.iter().enumerate() {
        reject(if i % 3 == 0 { &mut a } else { &mut b }, s);
        if i % 5 == 0 {
            reject(&mut b, s);
        }
    }
    a.merge(b);
    let (x, y) = (one.finish().rejected, a.finish().rejected);
    assert_eq!(x[0].distinct_sources, 256);
    assert_eq!(x[0].sources, sorted[..5]);
    assert_eq!(
        (y[0].distinct_sources, &y[0].sources),
        (x[0].distinct_sources, &x[0].sources)
    );
    assert_eq!(y[0].records, 600 + 120);
}

/// Rejected sources of both families keep the lowest addresses in
/// `IpAddr`'s order (IPv4 before IPv6), as a sorted set cut at the limit
/// would, and say when they left one out.
#[test]
fn rejected_sources_of_both_families_keep_the_lowest() {
    let mut next = numbers(0x2545_f491_4f6c_dd1d);
    for max in [1, 3, 16] {
        let mut kept = rejected::Lowest::default();
        let mut all = BTreeSet::new();
        let mut left_out = false;
        for _ in 0..200 {
            let r = next();
            // Few distinct values: repeats, and ties on the high bytes.
            let a = if r.is_multiple_of(3) {
                IpAddr::V6(std::net::Ipv6Addr::from_bits(u128::from(r >> 58)))
            } else {
                IpAddr::V4(std::net::Ipv4Addr::from_bits(
                    (r >> 40) as u32 & 0x0f00_003f,
                ))
            };
            all.insert(a);
            left_out |= !kept.add(a, max);
            let want: Vec<IpAddr> = all.iter().copied().take(max).collect();
            assert_eq!(kept.iter().collect::<Vec<_>>(), want, "max {max}");
            assert_eq!(left_out, all.len() > max, "max {max}");
        }
    }
}
