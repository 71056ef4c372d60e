//! Deciding which side of a connection started it.

use super::*;

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
