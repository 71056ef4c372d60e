use super::*;
use crate::inventory::{NetworkInterface, PrefixList, Vpc};

fn inv() -> Inventory {
    Inventory {
        format_version: 1,
        vpcs: vec![Vpc {
            id: "vpc-1".into(),
            owner_id: None,
            cidrs: vec!["10.0.0.0/16".parse().unwrap()],
        }],
        network_interfaces: vec![NetworkInterface {
            vpc_id: Some("vpc-1".into()),
            ..NetworkInterface::new(
                "eni-web",
                vec!["10.0.1.10".parse().unwrap(), "10.0.1.11".parse().unwrap()],
                &["sg-web"],
            )
        }],
        prefix_lists: vec![PrefixList {
            id: "pl-63a5400a".into(),
            name: "com.amazonaws.us-east-1.s3".into(),
            cidrs: vec!["52.216.0.0/15".parse().unwrap()],
        }],
        ..Default::default()
    }
}

#[test]
fn classifies_every_kind_of_address() {
    let inv = inv();
    let mut ev = Evidence::default();
    ev.aws_services
        .insert("3.5.0.1".parse().unwrap(), "DYNAMODB".into());
    let r = Resolver::new(&inv, &ev);
    let eni = Endpoint::Eni {
        id: "eni-web".into(),
        groups: vec!["sg-web".to_string()].into(),
        learned: false,
    };
    assert_eq!(r.resolve("10.0.1.10".parse().unwrap()), eni);
    assert_eq!(
        r.resolve("10.0.1.11".parse().unwrap()),
        eni,
        "secondary address"
    );
    assert_eq!(
        r.resolve("10.0.9.9".parse().unwrap()),
        Endpoint::VpcUnknown {
            vpc: "vpc-1".into()
        }
    );
    assert_eq!(
        r.resolve("52.217.1.1".parse().unwrap()),
        Endpoint::AwsService {
            service: "S3".into()
        }
    );
    assert_eq!(
        r.resolve("3.5.0.1".parse().unwrap()),
        Endpoint::AwsService {
            service: "DYNAMODB".into()
        }
    );
    assert_eq!(r.resolve("192.168.1.1".parse().unwrap()), Endpoint::Private);
    assert_eq!(r.resolve("8.8.8.8".parse().unwrap()), Endpoint::Internet);
    assert_eq!(
        r.resolve("2001:db8::1".parse().unwrap()),
        Endpoint::Internet
    );
    assert!(r.is_vpc_resolver(&"10.0.0.2".parse().unwrap()));
}

#[test]
fn addresses_learned_from_flow_direction_resolve_to_their_interface() {
    let inv = inv();
    let mut ev = Evidence::default();
    ev.held.push(crate::aggregate::Held {
        interface_id: "eni-web".into(),
        addr: "10.0.1.99".parse().unwrap(),
        first: 0,
        last: 100,
    });
    let r = Resolver::new(&inv, &ev);
    assert!(matches!(
        r.resolve("10.0.1.99".parse().unwrap()),
        Endpoint::Eni { learned: true, .. }
    ));
}

fn conn(eni: &str, client: &str, server: &str, port: u16, first: i64) -> Connection {
    Connection {
        client: client.parse().unwrap(),
        server: server.parse().unwrap(),
        vpc: None,
        account: None,
        port,
        proto: crate::reduce::TCP,
        connections: 1,
        records: 2,
        bytes: 100,
        packets: 2,
        first,
        last: first + 60,
        method: crate::aggregate::Method::TcpFlags,
        logged_at: vec![eni.into()],
        client_end: Endpoint::Unresolved,
        server_end: Endpoint::Unresolved,
        via: None,
        balancer: None,
        relay: None,
    }
}

fn two_vpcs() -> Inventory {
    let vpc = |id: &str| crate::inventory::Vpc {
        id: id.into(),
        owner_id: None,
        cidrs: vec!["10.0.0.0/16".parse().unwrap()],
    };
    let eni = |id: &str, vpc: &str, addr: &str, sg: &str| NetworkInterface {
        vpc_id: Some(vpc.into()),
        ..NetworkInterface::new(id, vec![addr.parse().unwrap()], &[sg])
    };
    Inventory {
        vpcs: vec![vpc("vpc-dev"), vpc("vpc-prod")],
        network_interfaces: vec![
            eni("eni-dev-app", "vpc-dev", "10.0.1.10", "sg-dev-app"),
            eni("eni-dev-db", "vpc-dev", "10.0.2.20", "sg-dev-db"),
            eni("eni-prod-app", "vpc-prod", "10.0.1.10", "sg-prod-app"),
            eni("eni-prod-db", "vpc-prod", "10.0.2.20", "sg-prod-db"),
        ],
        ..Default::default()
    }
}

#[test]
fn one_address_plan_in_two_vpcs_never_meets() {
    let inv = two_vpcs();
    let mut ev = Evidence::default();
    for eni in ["eni-dev-app", "eni-dev-db", "eni-prod-app", "eni-prod-db"] {
        ev.connections
            .push(conn(eni, "10.0.1.10", "10.0.2.20", 5432, 100));
    }
    let att = attribute(&mut ev, &inv);
    assert_eq!(ev.connections.len(), 2, "{:#?}", ev.connections);
    let ends: Vec<(Option<&str>, Option<&str>, Option<&str>)> = ev
        .connections
        .iter()
        .map(|c| {
            (
                c.vpc.as_deref(),
                c.client_end.interface(),
                c.server_end.interface(),
            )
        })
        .collect();
    assert_eq!(
        ends,
        vec![
            (Some("vpc-dev"), Some("eni-dev-app"), Some("eni-dev-db")),
            (Some("vpc-prod"), Some("eni-prod-app"), Some("eni-prod-db")),
        ]
    );
    assert_eq!(att.merged_copies, 2);
    assert!(att.absent.is_empty());
}

#[test]
fn a_reused_address_belongs_to_whoever_held_it_then() {
    let mut inv = two_vpcs();
    // Today 10.0.1.10 in vpc-dev is a new interface in another group.
    inv.network_interfaces[0].id = "eni-dev-new".into();
    inv.network_interfaces[0].security_groups = vec!["sg-dev-batch".into()];
    let mut ev = Evidence::default();
    // Monday: the old interface (now deleted) talked to the database.
    ev.connections
        .push(conn("eni-dev-old", "10.0.1.10", "10.0.2.20", 5432, 100));
    ev.connections
        .push(conn("eni-dev-db", "10.0.1.10", "10.0.2.20", 5432, 100));
    // Thursday: the new interface holds the address and talks to it too.
    ev.connections
        .push(conn("eni-dev-new", "10.0.1.10", "10.0.2.20", 5432, 9000));
    let att = attribute(&mut ev, &inv);
    let clients: Vec<(&str, i64)> = ev
        .connections
        .iter()
        .map(|c| (c.client_end.interface().unwrap(), c.first))
        .collect();
    assert!(
        clients.contains(&("eni-dev-new", 9000)),
        "the new owner's own copy: {clients:?}"
    );
    assert!(
        !clients.contains(&("eni-dev-new", 100)),
        "Monday's traffic is not the new interface's: {clients:?}"
    );
    assert_eq!(att.absent.len(), 1, "{:?}", att.absent);
    assert_eq!(att.absent[0].id, "eni-dev-old");
    assert_eq!(
        att.absent[0].addresses,
        vec!["10.0.1.10".parse::<IpAddr>().unwrap()]
    );
}

/// The copies of 10.0.1.10 → 10.0.2.20:5432 in vpc-dev when the address
/// passed from a deleted interface (Monday, `old` connections) to a new one
/// (Thursday, `new`), and the database logged `db` connections over both:
/// one aggregation key at the database, spanning both owners' times.
fn handed_on(old: u64, new: u64, db: u64) -> (Evidence, Inventory) {
    let mut inv = two_vpcs();
    inv.network_interfaces[0].id = "eni-dev-new".into();
    inv.network_interfaces[0].security_groups = vec!["sg-dev-batch".into()];
    let copy = |eni: &str, first: i64, last: i64, n: u64| Connection {
        connections: n,
        records: 2 * n,
        bytes: 6000 * n,
        packets: 20 * n,
        last,
        ..conn(eni, "10.0.1.10", "10.0.2.20", 5432, first)
    };
    let mut ev = Evidence::default();
    ev.connections.push(copy("eni-dev-old", 100, 200, old));
    ev.connections.push(copy("eni-dev-new", 9000, 9100, new));
    ev.connections.push(copy("eni-dev-db", 100, 9100, db));
    (ev, inv)
}

/// (client interface, connections, records, bytes, first, last, logged at)
/// of each resolved connection.
type Seen = (String, u64, u64, u64, i64, i64, Vec<String>);

fn seen(ev: &Evidence) -> Vec<Seen> {
    ev.connections
        .iter()
        .map(|c| {
            (
                c.client_end.label(),
                c.connections,
                c.records,
                c.bytes,
                c.first,
                c.last,
                c.logged_at.iter().map(|e| e.to_string()).collect(),
            )
        })
        .collect()
}

#[test]
fn a_far_end_copy_over_two_owners_of_an_address_is_each_owner_s_once() {
    let (mut ev, inv) = handed_on(2, 3, 5);
    let att = attribute(&mut ev, &inv);
    let at = |e: &str| {
        let mut v = vec!["eni-dev-db".to_string(), e.to_string()];
        v.sort();
        v
    };
    assert_eq!(
        seen(&ev),
        vec![
            // The database's 10 records: 4 with the old owner's 2 connections, 6 with the new one's 3.
            (
                "eni-dev-new".into(),
                3,
                6 + 6,
                18_000,
                9000,
                9100,
                at("eni-dev-new")
            ),
            (
                "eni-dev-old (not in the inventory)".into(),
                2,
                4 + 4,
                12_000,
                100,
                200,
                at("eni-dev-old")
            ),
        ],
        "not also the database's copy as an owner not known: {:#?}",
        ev.connections
    );
    assert_eq!(att.ambiguous_connections, 0);
    assert_eq!(att.merged_copies, 1);
}

#[test]
fn what_no_owner_s_own_copy_shows_of_a_far_end_copy_stays_not_known() {
    // The database saw a sixth connection: an owner between the two, without
    // a flow log, or one the owners' logs missed.
    let (mut ev, inv) = handed_on(2, 3, 6);
    let att = attribute(&mut ev, &inv);
    let got = seen(&ev);
    assert_eq!(att.ambiguous_connections, 1, "{got:#?}");
    assert_eq!(
        got.iter()
            .map(|s| (s.0.as_str(), s.1, s.2))
            .collect::<Vec<_>>(),
        vec![
            ("eni-dev-new", 3, 6 + 6),
            ("eni-dev-old (not in the inventory)", 2, 4 + 4),
            // 12 records of 6 connections: 2 per connection left, none twice.
            (
                "address of vpc-dev whose owner at the time is not known",
                1,
                2
            ),
        ]
    );
    assert_eq!(got.iter().map(|s| s.2).sum::<u64>(), 4 + 6 + 12);
}

/// A client, a target, a network load balancer with an interface in two
/// subnets (`eni-lb-a`, `eni-lb-b`), another load balancer and a NAT
/// gateway, in one VPC.
fn balanced() -> Inventory {
    let eni =
        |id: &str, addr: &str, groups: &[&str], kind: &str, description: &str| NetworkInterface {
            vpc_id: Some("vpc-1".into()),
            interface_type: kind.into(),
            description: description.into(),
            ..NetworkInterface::new(id, vec![addr.parse().unwrap()], groups)
        };
    let lb = "network_load_balancer";
    Inventory {
        vpcs: inv().vpcs,
        network_interfaces: vec![
            eni("eni-c", "10.0.1.10", &["sg-c"], "interface", ""),
            eni("eni-t", "10.0.2.20", &["sg-t"], "interface", ""),
            eni("eni-lb-a", "10.0.0.50", &["sg-lb"], lb, "ELB net/web/1"),
            eni("eni-lb-b", "10.0.16.50", &["sg-lb"], lb, "ELB net/web/1"),
            eni("eni-other", "10.0.0.60", &[], lb, "ELB net/other/2"),
            eni("eni-nat", "10.0.0.200", &[], "nat_gateway", ""),
        ],
        ..Default::default()
    }
}

#[test]
fn a_load_balancer_that_kept_the_client_address_is_carried_and_paired_with_the_listener_leg() {
    let inv = balanced();
    let mut ev = Evidence::default();
    // The client's leg to the listener, at both ends.
    for eni in ["eni-c", "eni-lb-a"] {
        ev.connections
            .push(conn(eni, "10.0.1.10", "10.0.0.50", 443, 100));
    }
    // The load balancer's interface forwards the client's packets; the
    // target's copy of the same connection.
    for eni in ["eni-lb-a", "eni-t"] {
        ev.connections
            .push(conn(eni, "10.0.1.10", "10.0.2.20", 8443, 110));
    }
    let att = attribute(&mut ev, &inv);
    assert_eq!(
        ev.connections.len(),
        2,
        "each leg once: {:#?}",
        ev.connections
    );
    assert_eq!(att.merged_copies, 2);
    let back = ev.connections.iter().find(|c| c.port == 8443).unwrap();
    assert_eq!(
        back.client_end.interface(),
        Some("eni-c"),
        "the real client"
    );
    assert_eq!(back.server_end.interface(), Some("eni-t"));
    assert_eq!(back.via.as_deref(), Some("eni-lb-a"));
    assert_eq!(
        back.balancer.as_deref(),
        Some(&Endpoint::Eni {
            id: "eni-lb-a".into(),
            groups: vec!["sg-lb".to_string()].into(),
            learned: false
        })
    );
    assert_eq!(
        (back.connections, back.records),
        (1, 4),
        "copies count once"
    );
    let front = ev.connections.iter().find(|c| c.port == 443).unwrap();
    assert_eq!(front.server_end.interface(), Some("eni-lb-a"));
    assert_eq!(
        front.balancer, None,
        "the listener leg ends at the load balancer"
    );
    let [p] = att.through_load_balancer.as_slice() else {
        panic!("one path: {:#?}", att.through_load_balancer);
    };
    assert_eq!(p.client_end.interface(), Some("eni-c"));
    assert_eq!(p.clients, vec!["10.0.1.10".parse::<IpAddr>().unwrap()]);
    assert_eq!(p.balancer, "eni-lb-a");
    assert_eq!(p.balancer_name.as_deref(), Some("net/web/1"));
    assert_eq!(p.balancer_groups, vec!["sg-lb"]);
    assert_eq!(p.listeners, vec![443]);
    assert_eq!(
        (p.target, p.port, p.connections),
        ("10.0.2.20".parse().unwrap(), 8443, 1)
    );
}

#[test]
fn only_the_same_client_reaching_the_same_load_balancer_then_is_its_listener() {
    let inv = balanced();
    let mut ev = Evidence::default();
    // Paired: the other interface of the same load balancer, at the time.
    ev.connections
        .push(conn("eni-c", "10.0.1.10", "10.0.16.50", 443, 100));
    // Not paired: another load balancer; the same one a day later; another
    // client; an address of the load balancer's VPC no interface holds.
    ev.connections
        .push(conn("eni-c", "10.0.1.10", "10.0.0.60", 444, 100));
    ev.connections
        .push(conn("eni-c", "10.0.1.10", "10.0.0.50", 445, 90_000));
    ev.connections
        .push(conn("eni-lb-a", "10.0.1.11", "10.0.0.50", 446, 100));
    ev.connections
        .push(conn("eni-lb-a", "10.0.1.10", "10.0.2.20", 8443, 110));
    let att = attribute(&mut ev, &inv);
    let [p] = att.through_load_balancer.as_slice() else {
        panic!("one path: {:#?}", att.through_load_balancer);
    };
    assert_eq!(p.listeners, vec![443]);
}

#[test]
fn a_load_balancer_as_an_end_or_another_forwarder_carries_no_balancer() {
    let inv = balanced();
    let mut ev = Evidence::default();
    // Client IP preservation off: the load balancer's own address to the target.
    for eni in ["eni-lb-a", "eni-t"] {
        ev.connections
            .push(conn(eni, "10.0.0.50", "10.0.2.20", 8443, 100));
    }
    // A NAT gateway's inside leg.
    ev.connections
        .push(conn("eni-nat", "10.0.1.10", "198.51.100.7", 443, 100));
    let att = attribute(&mut ev, &inv);
    assert!(
        ev.connections.iter().all(|c| c.balancer.is_none()),
        "{:#?}",
        ev.connections
    );
    let lb = ev.connections.iter().find(|c| c.port == 8443).unwrap();
    assert_eq!(lb.client_end.interface(), Some("eni-lb-a"));
    assert!(att.through_load_balancer.is_empty());
}

#[test]
fn a_load_balancer_is_named_by_its_description_and_its_subnets_are_all_of_its_interfaces() {
    let mut inv = balanced();
    inv.network_interfaces[2].subnet_id = Some("subnet-a".into());
    inv.network_interfaces[3].subnet_id = Some("subnet-b".into());
    inv.network_interfaces[4].subnet_id = Some("subnet-c".into());
    for (id, cidr) in [
        ("subnet-a", "10.0.0.0/20"),
        ("subnet-b", "10.0.16.0/20"),
        ("subnet-c", "10.0.32.0/20"),
    ] {
        inv.subnets.push(crate::inventory::Subnet {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            cidrs: vec![cidr.parse().unwrap()],
        });
    }
    let cidrs: Vec<String> = balancer_subnets(&inv, "eni-lb-b")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(cidrs, vec!["10.0.0.0/20", "10.0.16.0/20"]);
    assert!(
        balancer_subnets(&inv, "eni-c").is_empty(),
        "not a load balancer"
    );
    assert_eq!(
        balancer_name(network_load_balancer(&inv, "eni-other").unwrap()),
        Some("net/other/2")
    );
    assert!(network_load_balancer(&inv, "eni-nat").is_none());
}

#[test]
fn private_address_space_ends_where_its_blocks_end() {
    for (ip, private) in [
        ("10.0.0.0", true),
        ("10.255.255.255", true),
        ("11.0.0.0", false),
        ("172.16.0.1", true),
        ("172.31.255.255", true),
        ("172.32.0.0", false),
        ("192.168.255.1", true),
        ("192.169.0.0", false),
        ("100.64.0.1", true),
        ("100.127.255.255", true),
        ("100.128.0.0", false),
        ("169.254.169.253", true),
        ("127.0.0.1", true),
        ("8.8.8.8", false),
        ("fc00::1", true),
        ("fdff:ffff::1", true),
        ("fe80::1", true),
        ("febf::1", true),
        ("fec0::1", false),
        ("::1", true),
        ("::2", false),
        ("2600:1f18::1", false),
    ] {
        assert_eq!(is_private(&ip.parse().unwrap()), private, "{ip}");
    }
}
