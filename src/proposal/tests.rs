use super::*;

#[test]
fn module_2_map_and_module_1_list_read_alike() {
    let v2 = parse(
        r#"
rules = {
  "web-to-db-tcp-5432" = {
    source_sg_id = "sg-1"
    target_sg_id = "sg-2"
    from_port    = 5432
    protocol     = "tcp"
    description  = "x"
  }
  "web-to-db-udp-8000" = {
    source_sg_id = "sg-1"
    target_sg_id = "sg-2"
    from_port    = 8000
    to_port      = 8010
    protocol     = "udp"
    description  = "x"
  }
  "a-to-b-icmp-all" = {
    source_sg_id = "sg-1"
    target_sg_id = "sg-2"
    from_port    = -1
    protocol     = "icmp"
  }
  "a-to-b-all" = {
    source_sg_id = "sg-1"
    target_sg_id = "sg-2"
    from_port    = 0
    protocol     = "-1"
  }
}
"#,
    )
    .unwrap();
    let got: Vec<(&str, Option<u8>, i32, i32)> = v2
        .iter()
        .map(|e| (e.key.as_str(), e.proto, e.from_port, e.to_port))
        .collect();
    assert_eq!(
        got,
        [
            ("web-to-db-tcp-5432", Some(6), 5432, 5432),
            ("web-to-db-udp-8000", Some(17), 8000, 8010),
            ("a-to-b-icmp-all", Some(1), -1, -1),
            ("a-to-b-all", None, 0, 0),
        ]
    );
    let v1 = parse(
        r#"rules = [{ source_sg_id = "sg-1", target_sg_id = "sg-2", destination_port = "5432", description = "x" }]"#,
    )
    .unwrap();
    assert_eq!(
        (
            v1[0].key.as_str(),
            v1[0].proto,
            v1[0].from_port,
            v1[0].to_port
        ),
        ("#1", Some(6), 5432, 5432)
    );
}

#[test]
fn a_bad_entry_is_named() {
    let err = |t: &str| format!("{:#}", parse(t).unwrap_err());
    assert!(err("rules = ").contains("not valid HCL"));
    assert!(err("other = 1").contains("sets no `rules`"));
    assert!(
        err(r#"rules = { k = { target_sg_id = "sg-2", from_port = 1 } }"#)
            .contains("rule k: `source_sg_id` is missing")
    );
    assert!(
        err(r#"rules = { k = { source_sg_id = "a", target_sg_id = "b", from_port = 9, to_port = 2 } }"#)
            .contains("rule k: ports 9..2 are not a range")
    );
    assert!(
        err(r#"rules = { k = { source_sg_id = "a", target_sg_id = "b", from_port = 1, protocol = "bogus" } }"#)
            .contains("is not a protocol")
    );
}
