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
        groups: vec!["sg-web".into()],
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
        logged_at: vec![eni.to_string()],
        client_end: Endpoint::Unresolved,
        server_end: Endpoint::Unresolved,
        via: None,
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
