//! Interning interfaces and keeping their VPC and account.

use super::*;

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
