use super::*;

#[test]
fn cidr_contains_both_families() {
    let c: Cidr = "10.0.0.0/16".parse().unwrap();
    assert!(c.contains(&"10.0.255.1".parse().unwrap()));
    assert!(!c.contains(&"10.1.0.1".parse().unwrap()));
    let any: Cidr = "0.0.0.0/0".parse().unwrap();
    assert!(any.contains(&"8.8.8.8".parse().unwrap()) && any.is_everything());
    let v6: Cidr = "2600:1f18:abcd::/56".parse().unwrap();
    assert!(v6.contains(&"2600:1f18:abcd:ff::1".parse().unwrap()));
    assert!(!v6.contains(&"10.0.0.1".parse().unwrap()));
    assert!("10.0.0.0/33".parse::<Cidr>().is_err());
    assert_eq!("10.0.0.1".parse::<Cidr>().unwrap().len, 32);
}

#[test]
fn unknown_keys_and_bad_addresses_are_errors_with_a_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("inv.json");
    std::fs::write(
        &p,
        "{\n  \"network_interfaces\": [{\"id\": \"eni-1\", \"adresses\": []}]\n}",
    )
    .unwrap();
    let err = format!("{:#}", Inventory::load(&p).unwrap_err());
    assert!(err.contains("inv.json:2:"), "{err}");
    assert!(err.contains("adresses"), "{err}");
    std::fs::write(
        &p,
        r#"{"network_interfaces": [{"id": "eni-1", "addresses": ["10.0.0.300"]}]}"#,
    )
    .unwrap();
    assert!(Inventory::load(&p).is_err());
}

/// An inventory file with one group holding `rule` as its only ingress rule.
fn with_rule(dir: &Path, rule: &str) -> std::path::PathBuf {
    let p = dir.join("inv.json");
    let text =
        format!(r#"{{"security_groups": [{{"id": "sg-1", "name": "web", "ingress": [{rule}]}}]}}"#);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn rules_out_of_range_are_errors_naming_the_file_group_rule_and_field() {
    let dir = tempfile::tempdir().unwrap();
    for (rule, says) in [
        (
            r#"{"protocol": "tcp", "from_port": 70000, "to_port": 70000}"#,
            "from_port 70000 is not a port: 0..=65535, or -1 for every port",
        ),
        (
            r#"{"protocol": "udp", "from_port": 53, "to_port": -2}"#,
            "to_port -2 is not a port",
        ),
        (
            r#"{"protocol": "tcp", "from_port": 443, "to_port": 80}"#,
            "from_port 443 is above to_port 80",
        ),
        (
            r#"{"protocol": "icmp", "from_port": 256, "to_port": -1}"#,
            "from_port 256 is not an ICMP type or code: 0..=255",
        ),
        (
            r#"{"protocol": "icmpv6", "from_port": 128, "to_port": 300}"#,
            "to_port 300 is not an ICMP type or code",
        ),
        (
            r#"{"protocol": "300"}"#,
            r#"protocol "300" is neither tcp, udp, icmp, icmpv6, -1 (all) nor a protocol number 0..=255"#,
        ),
        (r#"{"protocol": "sctp"}"#, r#"protocol "sctp" is neither"#),
        (
            r#"{"protocol": "50", "from_port": 2147483647, "to_port": -1}"#,
            "from_port 2147483647 is not a port",
        ),
    ] {
        let p = with_rule(dir.path(), rule);
        let err = format!("{:#}", Inventory::load(&p).unwrap_err());
        assert!(err.starts_with(&format!("{}: ", p.display())), "{err}");
        assert!(
            err.contains("security group sg-1, ingress rule 1: "),
            "{err}"
        );
        assert!(err.contains(says), "{rule}: {err}");
    }
    // A rule id, where given, names the rule too.
    let p = with_rule(
        dir.path(),
        r#"{"rule_id": "sgr-9", "protocol": "tcp", "from_port": -5, "to_port": 22}"#,
    );
    let err = format!("{:#}", Inventory::load(&p).unwrap_err());
    assert!(
        err.contains("ingress rule 1 (sgr-9): from_port -5"),
        "{err}"
    );
    // What EC2 itself writes loads: every protocol, all ports, types and codes.
    for ok in [
        r#"{"protocol": "-1", "cidr": "0.0.0.0/0"}"#,
        r#"{"protocol": "tcp", "from_port": 0, "to_port": 65535}"#,
        r#"{"protocol": "TCP", "from_port": -1, "to_port": -1}"#,
        r#"{"protocol": "icmp", "from_port": 8, "to_port": -1}"#,
        r#"{"protocol": "icmpv6", "from_port": 255, "to_port": 255}"#,
        r#"{"protocol": "50", "from_port": -1, "to_port": -1}"#,
        r#"{"protocol": "255"}"#,
    ] {
        let p = with_rule(dir.path(), ok);
        assert!(Inventory::load(&p).is_ok(), "{ok}");
    }
}

#[test]
fn an_interface_that_lists_a_group_twice_is_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("inv.json");
    std::fs::write(
        &p,
        r#"{"network_interfaces": [{"id": "eni-1", "security_groups": ["sg-1", "sg-2", "sg-1"]}]}"#,
    )
    .unwrap();
    let e = format!("{:#}", Inventory::load(&p).unwrap_err());
    assert_eq!(
        e,
        format!(
            "{}: the inventory is inconsistent: network interface eni-1 lists security group sg-1 twice",
            p.display()
        )
    );
}

#[test]
fn cidrs_out_of_range_are_errors_with_a_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("inv.json");
    for (cidr, says) in [
        ("10.0.0.0/33", "has a bad prefix length"),
        ("2600::/129", "has a bad prefix length"),
        ("10.0.0.0/-1", "has a bad prefix length"),
        ("10.0.0.256/8", "is not an address block"),
    ] {
        std::fs::write(
            &p,
            format!("{{\n  \"vpcs\": [{{\"id\": \"vpc-1\", \"cidrs\": [\"{cidr}\"]}}]\n}}"),
        )
        .unwrap();
        let err = format!("{:#}", Inventory::load(&p).unwrap_err());
        assert!(err.contains("inv.json:2:"), "{err}");
        assert!(err.contains(says), "{cidr}: {err}");
    }
    // Containment is total over any length a program could set.
    for len in [0, 1, 31, 32, 33, 128, 129, 255] {
        let c = Cidr {
            addr: "10.0.0.0".parse().unwrap(),
            len,
        };
        assert!(c.contains(&"10.0.0.0".parse().unwrap()));
        let c6 = Cidr {
            addr: "fd00::".parse().unwrap(),
            len,
        };
        assert!(c6.contains(&"fd00::".parse().unwrap()));
    }
}

#[test]
fn blind_spots_are_interfaces_no_flow_log_covers() {
    let eni = |id: &str, subnet: &str| NetworkInterface {
        vpc_id: Some("vpc-1".into()),
        subnet_id: Some(subnet.into()),
        ..NetworkInterface::new(id, vec![], &[])
    };
    let fl = |id: &str, resource: &str, traffic: &str| FlowLog {
        id: id.into(),
        resource_id: resource.into(),
        log_format: None,
        log_group: None,
        destination: None,
        traffic_type: Some(traffic.into()),
    };
    let mut inv = Inventory {
        network_interfaces: vec![
            eni("eni-a", "subnet-a"),
            eni("eni-b", "subnet-b"),
            eni("eni-c", "subnet-c"),
        ],
        ..Default::default()
    };
    assert!(
        inv.blind_spots().is_none(),
        "no flow logs listed: unknown, not 'all blind'"
    );
    inv.flow_logs = vec![
        fl("fl-1", "subnet-a", "ALL"),
        fl("fl-2", "eni-b", "ALL"),
        fl("fl-3", "subnet-c", "REJECT"),
    ];
    let blind: Vec<&str> = inv
        .blind_spots()
        .unwrap()
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(
        blind,
        vec!["eni-c"],
        "a REJECT-only flow log shows no accepted traffic"
    );
    inv.subnets = vec![
        Subnet {
            id: "subnet-a".into(),
            vpc_id: "vpc-1".into(),
            cidrs: vec![],
        },
        Subnet {
            id: "subnet-c".into(),
            vpc_id: "vpc-1".into(),
            cidrs: vec![],
        },
    ];
    let subnets: Vec<&str> = inv
        .subnets_without_flow_logs()
        .unwrap()
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(subnets, vec!["subnet-c"]);
    inv.flow_logs.push(fl("fl-4", "vpc-1", "ACCEPT"));
    assert!(inv.blind_spots().unwrap().is_empty());
    assert!(inv.subnets_without_flow_logs().unwrap().is_empty());
}

#[test]
fn round_trips_through_json() {
    let inv = Inventory {
        vpcs: vec![Vpc {
            id: "vpc-1".into(),
            owner_id: None,
            cidrs: vec!["10.0.0.0/16".parse().unwrap()],
        }],
        network_interfaces: vec![NetworkInterface {
            vpc_id: Some("vpc-1".into()),
            description: "web \"quoted\"".into(),
            prefixes: vec!["10.0.8.0/28".parse().unwrap()],
            ..NetworkInterface::new(
                "eni-1",
                vec!["10.0.0.5".parse().unwrap(), "10.0.0.6".parse().unwrap()],
                &["sg-1"],
            )
        }],
        peerings: vec![Peering {
            id: "pcx-1".into(),
            requester_vpc_id: "vpc-1".into(),
            accepter_vpc_id: "vpc-2".into(),
        }],
        ..Inventory {
            format_version: 1,
            ..Default::default()
        }
    };
    let text = serde_json::to_string_pretty(&inv).unwrap();
    let back: Inventory = serde_json::from_str(&text).unwrap();
    assert_eq!(back, inv);
}

/// One account's snapshot: a VPC, a group in it, an interface.
fn snapshot(account: &str, region: &str, suffix: &str) -> Inventory {
    Inventory {
        format_version: FORMAT_VERSION,
        account_id: Some(account.into()),
        region: Some(region.into()),
        vpcs: vec![Vpc {
            id: format!("vpc-{suffix}"),
            owner_id: None,
            cidrs: vec!["10.0.0.0/16".parse().unwrap()],
        }],
        security_groups: vec![SecurityGroup {
            vpc_id: Some(format!("vpc-{suffix}")),
            ..SecurityGroup::new(&format!("sg-{suffix}"), "web")
        }],
        network_interfaces: vec![NetworkInterface {
            vpc_id: Some(format!("vpc-{suffix}")),
            ..NetworkInterface::new(
                &format!("eni-{suffix}"),
                vec!["10.0.0.5".parse().unwrap()],
                &[&format!("sg-{suffix}")],
            )
        }],
        ..Default::default()
    }
}

#[test]
fn combined_snapshots_keep_each_resource_s_account() {
    let a = snapshot("111111111111", "eu-west-1", "a");
    let b = snapshot("222222222222", "eu-west-1", "b");
    let one = Inventory::combine(vec![("a.json".into(), a.clone())]).unwrap();
    assert_eq!(one, a, "one snapshot is taken as it is");
    let both = Inventory::combine(vec![("a.json".into(), a), ("b.json".into(), b)]).unwrap();
    assert_eq!(
        both.covered_accounts(),
        vec!["111111111111", "222222222222"]
    );
    assert_eq!(both.account_id, None);
    assert_eq!(both.region.as_deref(), Some("eu-west-1"));
    assert_eq!(both.group_account("sg-b"), Some("222222222222"));
    assert!(both.covers_account("111111111111") && !both.covers_account("333333333333"));
    let of_b = both.of_account("222222222222");
    assert_eq!(of_b.security_groups.len(), 1);
    assert_eq!(of_b.security_groups[0].id, "sg-b");
    assert_eq!(of_b.network_interfaces[0].id, "eni-b");
    assert_eq!(of_b.account_id.as_deref(), Some("222222222222"));
}

#[test]
fn an_account_given_twice_or_an_id_in_two_snapshots_names_both() {
    let a = snapshot("111111111111", "eu-west-1", "a");
    let err = Inventory::combine(vec![("a.json".into(), a.clone()), ("again.json".into(), a)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("again.json and a.json"), "{err}");
    let mut b = snapshot("222222222222", "eu-west-1", "b");
    b.network_interfaces[0].id = "eni-a".into();
    let err = Inventory::combine(vec![
        ("a.json".into(), snapshot("111111111111", "eu-west-1", "a")),
        ("b.json".into(), b),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("eni-a is in both a.json and b.json"), "{err}");
}

#[test]
fn an_inventory_without_an_account_covers_every_account() {
    let mut a = snapshot("111111111111", "eu-west-1", "a");
    a.account_id = None;
    assert!(a.covers_account("999999999999"));
    assert_eq!(a.group_account("sg-a"), None);
}

#[test]
fn a_rule_protocol_is_read_in_any_case_as_ec2_writes_it() {
    for (text, number) in [
        ("-1", None),
        ("all", None),
        ("ALL", None),
        ("tcp", Some(6)),
        ("TCP", Some(6)),
        ("Udp", Some(17)),
        ("icmp", Some(1)),
        ("icmpv6", Some(58)),
        ("ICMPv6", Some(58)),
        ("50", Some(50)),
    ] {
        assert_eq!(super::protocol_number(text), number, "{text}");
    }
}

/// Groups listed by interfaces but not described, each with its
/// interfaces, sorted; a described group is not among them.
#[test]
fn undescribed_groups_are_listed_with_the_interfaces_that_list_them() {
    let inv = Inventory {
        network_interfaces: vec![
            NetworkInterface::new("eni-b", vec![], &["sg-known", "sg-gone"]),
            NetworkInterface::new("eni-a", vec![], &["sg-gone", "sg-other"]),
        ],
        security_groups: vec![SecurityGroup::new("sg-known", "known")],
        ..Default::default()
    };
    assert_eq!(
        inv.undescribed_groups(),
        [
            ("sg-gone", vec!["eni-a", "eni-b"]),
            ("sg-other", vec!["eni-a"])
        ]
    );
}
