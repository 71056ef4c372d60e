//! The stored aggregation: written, read back, merged, refused and expired.

use super::*;

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
