//! The order the connections come out in.

use super::*;

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
