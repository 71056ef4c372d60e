use std::collections::BTreeSet;

use super::*;
use crate::parse::Record;
use crate::reduce::tests::rec;
use crate::reduce::{ICMP, ICMP_ANY, TCP, UDP};
use crate::reduce::{Reduced, reduce};

#[allow(clippy::too_many_arguments)]
fn feed(
    agg: &mut Aggregator,
    eni: &'static str,
    src: &str,
    sp: u16,
    dst: &str,
    dp: u16,
    proto: u8,
    flags: Option<u16>,
    start: i64,
) {
    // Two packets over a minute.
    let r = Record {
        interface_id: Some(eni),
        packets: 2,
        start,
        end: start + 60,
        ..rec(src, sp, dst, dp, proto, flags)
    };
    match reduce(&r) {
        Reduced::Accepted(o) => agg.add(&o),
        other => panic!("{other:?}"),
    }
}

/// A xorshift generator: the same numbers on every run.
fn numbers(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn four_copies_of_one_connection_count_once() {
    let mut agg = Aggregator::new();
    // request and response, at the client's and at the server's interface
    feed(
        &mut agg,
        "eni-web",
        "10.0.1.10",
        45000,
        "10.0.2.20",
        3306,
        TCP,
        Some(2),
        100,
    );
    feed(
        &mut agg,
        "eni-web",
        "10.0.2.20",
        3306,
        "10.0.1.10",
        45000,
        TCP,
        Some(18),
        100,
    );
    feed(
        &mut agg,
        "eni-db",
        "10.0.1.10",
        45000,
        "10.0.2.20",
        3306,
        TCP,
        Some(2),
        100,
    );
    feed(
        &mut agg,
        "eni-db",
        "10.0.2.20",
        3306,
        "10.0.1.10",
        45000,
        TCP,
        Some(18),
        100,
    );
    let mut ev = agg.finish();
    // One copy per capturing interface, request and response in each.
    let copies: Vec<(&[crate::id::Id], u64, u64)> = ev
        .connections
        .iter()
        .map(|c| (c.logged_at.as_slice(), c.records, c.bytes))
        .collect();
    assert_eq!(
        copies,
        vec![
            (&[crate::id::Id::from("eni-db")][..], 2, 200),
            (&[crate::id::Id::from("eni-web")][..], 2, 200)
        ]
    );
    // Resolution merges the two copies: one connection.
    crate::resolve::attribute(&mut ev, &crate::inventory::Inventory::default());
    assert_eq!(ev.connections.len(), 1);
    let c = &ev.connections[0];
    assert_eq!(
        (c.client, c.server, c.port),
        (ip("10.0.1.10"), ip("10.0.2.20"), 3306)
    );
    assert_eq!(c.connections, 1);
    assert_eq!(c.records, 4);
    assert_eq!(c.bytes, 200, "bytes are counted at one interface, not both");
    assert_eq!(c.method, Method::TcpFlags);
    assert_eq!(
        c.logged_at,
        vec!["eni-db".to_string(), "eni-web".to_string()]
    );
}

#[test]
fn high_port_service_found_by_fan_in_without_flags() {
    let mut agg = Aggregator::new();
    // gRPC on 50051; clients use ephemeral ports both below and above it.
    for (i, cp) in [40000u16, 41000, 52000, 60000].iter().enumerate() {
        feed(
            &mut agg,
            "eni-a",
            "10.0.1.10",
            *cp,
            "10.0.2.20",
            50051,
            TCP,
            None,
            100 + i as i64,
        );
        feed(
            &mut agg,
            "eni-a",
            "10.0.2.20",
            50051,
            "10.0.1.10",
            *cp,
            TCP,
            None,
            100 + i as i64,
        );
    }
    let ev = agg.finish();
    assert_eq!(ev.undecided.len(), 0, "{:?}", ev.undecided);
    assert_eq!(ev.connections.len(), 1, "{:?}", ev.connections);
    let c = &ev.connections[0];
    assert_eq!(
        (c.server, c.port, c.client),
        (ip("10.0.2.20"), 50051, ip("10.0.1.10"))
    );
    assert_eq!(c.method, Method::FanIn);
    assert_eq!(c.connections, 4);
}

#[test]
fn flagless_records_follow_a_service_proven_by_flags() {
    let mut agg = Aggregator::new();
    feed(
        &mut agg,
        "eni-a",
        "10.0.1.10",
        40000,
        "10.0.2.20",
        50051,
        TCP,
        Some(2),
        100,
    );
    // a later interval of another long connection: no SYN, ports in the same range
    feed(
        &mut agg,
        "eni-a",
        "10.0.2.20",
        50051,
        "10.0.1.11",
        33000,
        TCP,
        Some(0),
        700,
    );
    let ev = agg.finish();
    assert!(ev.undecided.is_empty());
    let servers: Vec<_> = ev
        .connections
        .iter()
        .map(|c| (c.server, c.port, c.client, c.method))
        .collect();
    assert!(
        servers.contains(&(
            ip("10.0.2.20"),
            50051,
            ip("10.0.1.11"),
            Method::KnownService
        )),
        "{servers:?}"
    );
}

#[test]
fn a_single_tie_is_undecided_not_guessed() {
    let mut agg = Aggregator::new();
    feed(
        &mut agg,
        "eni-a",
        "10.0.1.10",
        40000,
        "10.0.2.20",
        50051,
        TCP,
        None,
        100,
    );
    let ev = agg.finish();
    assert!(ev.connections.is_empty());
    assert_eq!(ev.undecided.len(), 1);
}

/// The evidence of one record from 10.0.0.5 at each source port to
/// 10.0.1.10:8080, without TCP flags, logged at one interface.
fn to_8080_from(ports: &[u16]) -> Evidence {
    let mut agg = Aggregator::new();
    for sp in ports {
        feed(
            &mut agg,
            "eni-web",
            "10.0.0.5",
            *sp,
            "10.0.1.10",
            8080,
            TCP,
            None,
            100,
        );
    }
    agg.finish()
}

#[test]
fn load_balancer_source_ports_below_the_service_port_are_flipped_by_fan_in() {
    // ALB uses source ports 1024-65535; the target listens on 8080.
    let ev = to_8080_from(&[2000, 3000, 4000, 9000, 12000]);
    assert_eq!(ev.connections.len(), 1, "{:?}", ev.connections);
    let c = &ev.connections[0];
    assert_eq!((c.server, c.port), (ip("10.0.1.10"), 8080));
    assert_eq!(c.connections, 5);
}

/// Two copies the records oriented the wrong way (the lower port, 2000 and
/// 3000, taken for the service) flip to one key no record gave: they meet
/// as one connection, with a third copy that already had that key or
/// without it.
#[test]
fn copies_that_flip_to_one_key_are_one_connection_whether_or_not_it_was_read() {
    for with_third in [false, true] {
        let mut ports = vec![2000u16, 3000];
        if with_third {
            ports.push(9000);
        }
        let ev = to_8080_from(&ports);
        assert_eq!(ev.connections.len(), 1, "{:?}", ev.connections);
        let c = &ev.connections[0];
        assert_eq!(
            (c.client, c.server, c.port),
            (ip("10.0.0.5"), ip("10.0.1.10"), 8080)
        );
        assert_eq!(c.connections, ports.len() as u64);
        assert_eq!(c.records, ports.len() as u64);
        assert_eq!(c.method, Method::FanIn);
        assert!(ev.undecided.is_empty(), "{:?}", ev.undecided);
    }
}

#[test]
fn dns_over_udp_by_port_range() {
    let mut agg = Aggregator::new();
    feed(
        &mut agg,
        "eni-a",
        "10.0.1.10",
        53000,
        "10.0.0.2",
        53,
        UDP,
        None,
        100,
    );
    let ev = agg.finish();
    assert_eq!(ev.connections[0].port, 53);
    assert_eq!(ev.connections[0].method, Method::PortRange);
}

#[test]
fn ping_both_ways_in_one_interval_is_undecided_but_one_way_is_not() {
    let mut agg = Aggregator::new();
    let pings = [
        // a tie: both ways in one second, one peer each
        ("10.0.5.1", "10.0.5.2", 100),
        ("10.0.5.2", "10.0.5.1", 100),
        // one way only: the sender started it
        ("10.0.1.10", "10.0.3.30", 100),
        // both ways, the reply logged later: the earlier side started it
        ("10.0.1.10", "10.0.4.40", 100),
        ("10.0.4.40", "10.0.1.10", 160),
    ];
    for (src, dst, t) in pings {
        feed(&mut agg, "eni-a", src, 0, dst, 0, ICMP, None, t);
    }
    let ev = agg.finish();
    assert_eq!(ev.undecided.len(), 1);
    assert_eq!(
        (ev.undecided[0].a, ev.undecided[0].b),
        (ip("10.0.5.1"), ip("10.0.5.2"))
    );
    let got: Vec<_> = ev
        .connections
        .iter()
        .map(|c| (c.client, c.server, c.port, c.method))
        .collect();
    assert_eq!(
        got,
        vec![
            (ip("10.0.1.10"), ip("10.0.3.30"), ICMP_ANY, Method::OneWay),
            (ip("10.0.1.10"), ip("10.0.4.40"), ICMP_ANY, Method::OneWay),
        ]
    );
}

#[test]
fn a_host_pinging_many_is_the_initiator_even_when_both_ways_share_a_second() {
    let mut agg = Aggregator::new();
    for host in ["10.0.2.1", "10.0.2.2", "10.0.2.3"] {
        feed(&mut agg, "eni-mon", "10.0.9.9", 0, host, 0, ICMP, None, 100);
        feed(&mut agg, "eni-mon", host, 0, "10.0.9.9", 0, ICMP, None, 100);
    }
    let ev = agg.finish();
    assert!(ev.undecided.is_empty(), "{:?}", ev.undecided);
    assert_eq!(ev.connections.len(), 3);
    assert!(
        ev.connections
            .iter()
            .all(|c| c.client == ip("10.0.9.9") && c.method == Method::FanOut)
    );
}

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

/// Two windows of a service with a flagless tie that only both windows'
/// fan-in settles, and client ports of every set kind.
fn two_windows() -> (Aggregator, Aggregator, Aggregator) {
    let (mut one, mut a, mut b) = (Aggregator::new(), Aggregator::new(), Aggregator::new());
    for (i, port) in (30_000..30_600).step_by(3).enumerate() {
        let t = 100 + i as i64;
        let day = if i % 2 == 0 { &mut a } else { &mut b };
        for agg in [&mut one, day] {
            feed(
                agg,
                "eni-1",
                "10.0.1.10",
                port,
                "10.0.2.20",
                8443,
                TCP,
                None,
                t,
            );
            feed(
                agg,
                "eni-2",
                "10.0.2.20",
                8443,
                "10.0.1.10",
                port,
                TCP,
                None,
                t,
            );
        }
    }
    for agg in [&mut one, &mut b] {
        feed(
            agg,
            "eni-3",
            "10.0.3.30",
            5353,
            "10.0.2.20",
            53,
            UDP,
            None,
            900,
        );
        feed(agg, "eni-1", "10.0.1.10", 0, "10.0.9.9", 0, ICMP, None, 901);
    }
    (one, a, b)
}

#[test]
fn a_stored_aggregation_merged_equals_one_over_both_windows() {
    let (mut one, mut a, b) = two_windows();
    let stored = a.to_stored();
    // Through the file's own form: JSON.
    let text = serde_json::to_string(&stored).unwrap();
    let back: Stored = serde_json::from_str(&text).unwrap();
    assert_eq!(back, stored);
    let mut merged = Aggregator::from_stored(&back).unwrap();
    assert_eq!(merged.to_stored(), stored, "stored, loaded, stored again");
    merged.merge(b);
    assert_eq!(merged.to_stored(), one.to_stored());
    let (x, y) = (merged.finish(), one.finish());
    assert_eq!(format!("{x:?}"), format!("{y:?}"));
    assert!(!x.connections.is_empty());
}

#[test]
fn client_ports_are_stored_as_ranges() {
    let (mut one, ..) = two_windows();
    let stored = one.to_stored();
    let udp = stored.connections.iter().find(|c| c.4 == UDP).unwrap();
    assert_eq!(udp.9, "5353");
    let tcp = stored.connections.iter().find(|c| c.3 == 8443).unwrap();
    assert!(tcp.9.starts_with("30000,30003,"), "{}", tcp.9);
    let mut wide = Aggregator::new();
    for p in 32_768..=33_000 {
        feed(
            &mut wide,
            "eni-1",
            "10.0.1.10",
            p,
            "10.0.2.20",
            443,
            TCP,
            None,
            1,
        );
    }
    feed(
        &mut wide,
        "eni-1",
        "10.0.1.10",
        40_000,
        "10.0.2.20",
        443,
        TCP,
        None,
        1,
    );
    assert_eq!(wide.to_stored().connections[0].9, "32768-33000,40000");
}

#[test]
fn a_stored_entry_out_of_range_is_refused_with_its_place() {
    let (mut one, ..) = two_windows();
    let good = one.to_stored();
    let mut bad = good.clone();
    bad.connections[1].9 = "80-70".into();
    let e = Aggregator::from_stored(&bad).unwrap_err();
    assert!(
        e.contains("connection 1") && e.contains("ends before it starts"),
        "{e}"
    );
    let mut bad = good.clone();
    bad.connections[0].0 = Some(99);
    let e = Aggregator::from_stored(&bad).unwrap_err();
    assert!(e.contains("interface 99 is not in the file's list"), "{e}");
    let mut bad = good;
    bad.connections[0].8 = 42;
    let e = Aggregator::from_stored(&bad).unwrap_err();
    assert!(e.contains("42 is not a method"), "{e}");
}

#[test]
fn expiry_forgets_what_was_last_seen_before_the_cutoff() {
    let (mut one, ..) = two_windows();
    let before = one.to_stored().connections.len();
    assert_eq!(one.expire(i64::MIN), 0);
    assert_eq!(
        one.expire(800),
        2,
        "the TCP service's copies at eni-1 and eni-2"
    );
    let left = one.to_stored();
    assert_eq!(left.connections.len(), before - 2);
    assert!(left.connections.iter().all(|c| c.6[1] >= 800));
}

mod table {
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

/// The connections are sorted by addresses as numbers: the order must be
/// `IpAddr`'s own (IPv4 before IPv6, each by its octets), so the report
/// and the rules do not move.
#[test]
fn addresses_as_numbers_sort_as_addresses() {
    let mut next = numbers(0x9e37_79b9_7f4a_7c15);
    let addrs: Vec<IpAddr> = (0..2000)
        .map(|i| {
            let r = next();
            match i % 3 {
                0 => IpAddr::V4(std::net::Ipv4Addr::from_bits(r as u32)),
                // Few distinct high octets: many ties on the first bytes.
                1 => IpAddr::V4(std::net::Ipv4Addr::from_bits((r as u32) & 0x0300_00ff)),
                _ => IpAddr::V6(std::net::Ipv6Addr::from_bits(
                    u128::from(r) << 64 | u128::from(next() & 0xff),
                )),
            }
        })
        .collect();
    for a in &addrs[..200] {
        for b in &addrs {
            assert_eq!(ip_order(*a).cmp(&ip_order(*b)), a.cmp(b), "{a} {b}");
        }
    }
}

/// The connections come out by protocol, port, server and client as
/// addresses, then by the name of the interface that captured them (none
/// first), whatever order the records and the interfaces came in.
#[test]
fn connections_come_out_by_service_addresses_then_interface_name() {
    let mut agg = Aggregator::new();
    let syn = Some(2);
    // Interned in the reverse of their names' order.
    for eni in ["eni-c", "eni-b", "eni-a"] {
        feed(
            &mut agg,
            eni,
            "10.0.0.9",
            40000,
            "10.0.0.10",
            443,
            TCP,
            syn,
            0,
        );
    }
    feed(
        &mut agg,
        "eni-a",
        "10.0.0.2",
        40001,
        "10.0.0.10",
        443,
        TCP,
        syn,
        0,
    );
    feed(
        &mut agg, "eni-a", "10.0.0.3", 40002, "10.0.0.1", 443, TCP, syn, 0,
    );
    feed(
        &mut agg, "eni-a", "10.0.0.3", 40003, "10.0.0.1", 22, TCP, syn, 0,
    );
    feed(
        &mut agg, "eni-a", "10.0.0.3", 40004, "10.0.0.1", 53, UDP, None, 0,
    );
    // A format without `interface-id`: the copy that names none.
    let r = Record {
        interface_id: None,
        ..rec("10.0.0.9", 40000, "10.0.0.10", 443, TCP, syn)
    };
    match reduce(&r) {
        Reduced::Accepted(o) => agg.add(&o),
        other => panic!("{other:?}"),
    }
    let got: Vec<(u8, u16, String, String, Vec<String>)> = agg
        .finish()
        .connections
        .iter()
        .map(|c| {
            let at = c.logged_at.iter().map(|e| e.to_string()).collect();
            (
                c.proto,
                c.port,
                c.server.to_string(),
                c.client.to_string(),
                at,
            )
        })
        .collect();
    let want = |proto, port, server: &str, client: &str, at: &[&str]| {
        let at = at.iter().map(|e| e.to_string()).collect();
        (proto, port, server.to_string(), client.to_string(), at)
    };
    assert_eq!(
        got,
        vec![
            want(TCP, 22, "10.0.0.1", "10.0.0.3", &["eni-a"]),
            want(TCP, 443, "10.0.0.1", "10.0.0.3", &["eni-a"]),
            want(TCP, 443, "10.0.0.10", "10.0.0.2", &["eni-a"]),
            want(TCP, 443, "10.0.0.10", "10.0.0.9", &[]),
            want(TCP, 443, "10.0.0.10", "10.0.0.9", &["eni-a"]),
            want(TCP, 443, "10.0.0.10", "10.0.0.9", &["eni-b"]),
            want(TCP, 443, "10.0.0.10", "10.0.0.9", &["eni-c"]),
            want(UDP, 53, "10.0.0.1", "10.0.0.3", &["eni-a"]),
        ]
    );
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

/// Where every address is IPv4, the connections' order packed in one
/// number sorts the keys exactly as the full order does: random keys with
/// few distinct values per part (so that every part breaks ties), sorted
/// both ways. A window with an IPv6 address takes the full order, and so
/// still sorts exactly.
#[test]
fn the_packed_order_sorts_ipv4_keys_as_the_full_order() {
    let mut next = numbers(0x51_7cc1_b727_220a);
    let rank: Vec<u32> = (0..8).map(|_| (next() % 5) as u32).collect();
    let mut draw = |v6: bool| {
        let mut pick = |n: u64| next() % n;
        let v4 = |x: u64| IpAddr::V4(std::net::Ipv4Addr::from_bits(0x0a00_0000 + x as u32));
        let server = v4(pick(4));
        let client = if v6 {
            IpAddr::V6(std::net::Ipv6Addr::from_bits(u128::from(pick(3))))
        } else {
            v4(pick(4))
        };
        AggKey {
            key: ConnKey {
                server,
                port: [22, 443, 8080, 65535][pick(4) as usize],
                client,
                proto: [TCP, UDP, ICMP][pick(3) as usize],
            },
            // Past the ranks too: an interface another aggregator interned.
            eni: pick(10) as u32,
        }
    };
    for v6 in [false, true] {
        let mut keys: Vec<(AggKey, usize)> =
            (0..2000).map(|i| (draw(v6 && i % 7 == 0), i)).collect();
        assert_eq!(
            keys.iter().all(|(k, _)| packed_order(k, &rank).is_some()),
            !v6
        );
        let mut want = keys.clone();
        want.sort_by_key(|(k, i)| std::cmp::Reverse((order(k, &rank), *i)));
        sort_last_first(&mut keys, &rank);
        let by_order =
            |v: &[(AggKey, usize)]| -> Vec<_> { v.iter().map(|(k, _)| order(k, &rank)).collect() };
        assert_eq!(
            by_order(&keys),
            by_order(&want),
            "IPv6 keys among them: {v6}"
        );
    }
}

/// Interface ids of every length (AWS's 21 bytes, old 12-byte ones, and
/// longer), pairs of them sharing their last eight bytes (so one slot of
/// the table of recent interfaces), interleaved record by record: each
/// keeps its own connections, VPC and account, as when each interface's
/// records come together. Long VPC ids are kept whole.
#[test]
fn interfaces_of_any_length_and_shared_slots_stay_apart() {
    let long = "eni-0123456789abcdef0-with-a-suffix-longer-than-a-slot";
    let enis = [
        "eni-0a1b2c3d4e5f60718",
        "eni-1a1b2c3d4e5f60718",
        "eni-12345678",
        "eni-00000000000000000000012",
        "eni-000000000000000000000012",
        long,
    ];
    let vpc = |i: usize| match i {
        5 => "vpc-0123456789abcdef0-and-more-than-23-bytes".to_string(),
        i => format!("vpc-{i:017x}"),
    };
    let account = |i: usize| format!("{:012}", 100_000_000_000u64 + i as u64);
    let record = |i: usize, n: usize| {
        let (vpc, account) = (vpc(i), account(i));
        let line = format!(
            "2 {account} {} 10.0.{i}.10 10.0.9.9 {} 443 6 2 120 100 160 ACCEPT OK",
            enis[i],
            40000 + n
        );
        (line, vpc)
    };
    let read = |order: &[(usize, usize)]| {
        let mut agg = Aggregator::new();
        for &(i, n) in order {
            let (line, vpc) = record(i, n);
            let f: Vec<&str> = line.split(' ').collect();
            let r = Record {
                interface_id: Some(f[2]),
                account_id: Some(f[1]),
                vpc_id: Some(vpc.as_str()),
                packets: 2,
                start: 100,
                end: 160,
                ..rec(f[3], f[5].parse().unwrap(), f[4], 443, TCP, None)
            };
            match reduce(&r) {
                Reduced::Accepted(o) => agg.add(&o),
                other => panic!("{other:?}"),
            }
        }
        agg.finish().connections
    };
    // Interleaved: every record names another interface than the one before.
    let interleaved: Vec<(usize, usize)> = (0..30).map(|n| (n % enis.len(), n)).collect();
    let mut one_by_one = interleaved.clone();
    one_by_one.sort();
    let got = read(&interleaved);
    assert_eq!(format!("{got:?}"), format!("{:?}", read(&one_by_one)));
    assert_eq!(got.len(), enis.len());
    for c in &got {
        let i = enis
            .iter()
            .position(|e| c.logged_at.iter().any(|l| l.as_str() == *e))
            .unwrap();
        assert_eq!(c.client, ip(&format!("10.0.{i}.10")), "{}", enis[i]);
        assert_eq!(c.connections, 5, "{}", enis[i]);
        assert_eq!(c.vpc.as_ref().map(|v| v.as_str()), Some(vpc(i).as_str()));
        assert_eq!(
            c.account.as_ref().map(|a| a.as_str()),
            Some(account(i).as_str())
        );
    }
}

/// An interface's VPC and account, held in place when short and on the
/// heap when long, read back as logged; the lowest of two wins in either
/// order, and a record that logs none leaves them.
#[test]
fn an_interfaces_place_keeps_short_and_long_ids_alike() {
    let long_vpc = format!("vpc-{}", "f".repeat(SHORT_MAX));
    for len in [0, 1, 12, SHORT_MAX, SHORT_MAX + 1, 40] {
        let v = "é".repeat(len / 2) + &"a".repeat(len % 2);
        assert_eq!(Short::new(&v).get(), Some(v.as_str()), "length {len}");
    }
    assert_eq!(Short::None.get(), None);
    for (first, second) in [(long_vpc.as_str(), "vpc-0a"), ("vpc-0a", long_vpc.as_str())] {
        let mut agg = Aggregator::new();
        let eni = agg.intern(Some("eni-1"));
        agg.place(eni, Some(first), Some("111111111111"));
        agg.place(eni, Some(second), Some("000000000000"));
        agg.place(eni, None, None);
        let p = &agg.places[eni as usize];
        assert_eq!(p.vpc.get(), Some("vpc-0a"), "{first} then {second}");
        assert_eq!(p.account.get(), Some("000000000000"));
    }
    // The longer id is the lower one here: it is kept whole.
    let mut agg = Aggregator::new();
    let eni = agg.intern(Some("eni-1"));
    agg.place(eni, Some("vpc-g"), None);
    agg.place(eni, Some(&long_vpc), None);
    assert_eq!(agg.places[eni as usize].vpc.get(), Some(long_vpc.as_str()));
}

/// An interface id of any length up to 300 bytes is interned, each its own,
/// and found again: among them the length (255) that the table of recent
/// interfaces once used to mark an empty slot.
#[test]
fn an_interface_id_of_any_length_is_interned() {
    let mut agg = Aggregator::new();
    let ids: Vec<String> = (0..=300).map(|n| "e".repeat(n)).collect();
    let first: Vec<u32> = ids.iter().map(|id| agg.intern(Some(id))).collect();
    let again: Vec<u32> = ids.iter().rev().map(|id| agg.intern(Some(id))).collect();
    assert_eq!(first, (0..=300).collect::<Vec<u32>>());
    assert_eq!(again, (0..=300).rev().collect::<Vec<u32>>());
}
