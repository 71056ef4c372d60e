use super::*;
use crate::aggregate::StoredInterface;

fn state() -> State {
    State::new(
        Scope {
            accounts: vec!["123456789012".into()],
            regions: vec!["eu-west-1".into()],
            vpcs: vec!["vpc-1".into()],
        },
        Observed::of(100, 200),
        vec![StateRule {
            key: "web-to-db-tcp-5432".into(),
            source_sg: "sg-1".into(),
            target_sg: "sg-2".into(),
            proto: 6,
            from_port: 5432,
            to_port: 5432,
            first: 110,
            last: 190,
        }],
        Stored {
            interfaces: vec![StoredInterface {
                id: "eni-1".into(),
                vpc: Some("vpc-1".into()),
                account: None,
            }],
            connections: vec![(
                Some(0),
                "10.0.1.10".parse().unwrap(),
                "10.0.2.20".parse().unwrap(),
                5432,
                6,
                [2, 900, 10, 1],
                [110, 190],
                2,
                0,
                "40000-40002".into(),
            )],
            ..Stored::default()
        },
    )
}

fn gz(text: &str) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(text.as_bytes()).unwrap();
    g.finish().unwrap()
}

#[test]
fn a_state_reads_back_as_written() {
    let s = state();
    let bytes = s.to_bytes();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip");
    assert_eq!(State::from_bytes(&bytes).unwrap(), s);
}

#[test]
fn a_file_of_another_format_or_version_is_refused_with_the_reason() {
    let err = |b: &[u8]| format!("{:#}", State::from_bytes(b).unwrap_err());
    assert!(err(b"rules = {}").contains("not gzip"));
    assert!(err(&gz("{\"format\":\"other\"}")).contains("format Some(\"other\")"));
    assert!(
        err(&gz("{\"format\":\"sgpair-state\",\"version\":3}"))
            .contains("version 3, written by a newer sgpair")
    );
    let whole = state().to_bytes();
    assert!(err(&whole[..whole.len() / 2]).contains("not whole"));
    let text = serde_json::to_string(&state())
        .unwrap()
        .replace("\"since\":100", "\"since\":300");
    assert!(err(&gz(&text)).contains("starts after it ends"));
    let text = serde_json::to_string(&state())
        .unwrap()
        .replace("\"until\":200", "\"until\":300");
    assert!(err(&gz(&text)).contains("observed spans do not match"));
}

#[test]
fn a_version_1_file_is_read_as_observed_throughout_its_span() {
    let s = state();
    let mut v1: serde_json::Value = serde_json::to_value(&s).unwrap();
    v1["version"] = 1.into();
    v1.as_object_mut().unwrap().remove("observed");
    let read = State::from_bytes(&gz(&v1.to_string())).unwrap();
    assert!(read.from_version_1);
    assert_eq!(read.observed.spans(), &[(100, 200)]);
    assert_eq!(
        State {
            from_version_1: false,
            ..read
        },
        s
    );
}

#[test]
fn another_scope_is_refused_naming_both() {
    let s = state();
    let mut other = s.scope.clone();
    assert!(s.check_scope(&other, Path::new("s.gz")).is_ok());
    other.vpcs.push("vpc-2".into());
    assert!(
        s.check_scope(&other, Path::new("s.gz")).is_ok(),
        "an inventory that gained a VPC keeps the state"
    );
    other.vpcs.remove(0);
    let e = s
        .check_scope(&other, Path::new("s.gz"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("VPCs vpc-1, and this run's inventory covers")
            && e.contains("VPCs vpc-2: give each"),
        "{e}"
    );
    other.vpcs.insert(0, "vpc-1".into());
    other.regions = vec!["eu-west-2".into()];
    assert!(s.check_scope(&other, Path::new("s.gz")).is_err());
}
