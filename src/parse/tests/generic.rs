//! The generic parser: the records it makes, what it skips, and what it
//! says of a malformed line.

use super::*;

const DEFAULT_V2_NAMES: &str = format::DEFAULT_V2;

#[test]
fn parses_a_default_v2_record() {
    let line = b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";
    let Parsed::Record(r) = v2().parse(line).unwrap() else {
        panic!("expected a record")
    };
    assert_eq!(r.interface_id, Some("eni-1235b8ca123456789"));
    assert_eq!(r.srcaddr, "172.31.16.139".parse::<IpAddr>().unwrap());
    assert_eq!((r.srcport, r.dstport, r.protocol), (20641, 22, 6));
    assert_eq!((r.packets, r.bytes), (20, 4249));
    assert_eq!((r.start, r.end), (1418530010, 1418530070));
    assert_eq!(r.action, Action::Accept);
    assert_eq!(r.tcp_flags, None);
}

#[test]
fn parses_ipv6_and_icmp() {
    let line = b"2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK";
    let Parsed::Record(r) = v2().parse(line).unwrap() else {
        panic!()
    };
    assert!(r.srcaddr.is_ipv6());
    let icmp = b"2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK";
    let Parsed::Record(r) = v2().parse(icmp).unwrap() else {
        panic!()
    };
    assert_eq!((r.protocol, r.srcport, r.dstport), (1, 0, 0));
}

#[test]
fn nodata_and_skipdata() {
    let nodata =
        b"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA";
    assert_eq!(
        v2().parse(nodata).unwrap(),
        Parsed::NoData {
            start: Some(1431280876),
            end: Some(1431280934)
        }
    );
    let skip =
        b"2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA";
    assert_eq!(
        v2().parse(skip).unwrap(),
        Parsed::SkipData {
            interface_id: Some("eni-11111111aaaaaaaaa"),
            start: Some(1431280876),
            end: Some(1431280934)
        }
    );
}

#[test]
fn malformed_lines_say_what_is_wrong() {
    let p = v2();
    assert_eq!(
        p.parse(b"2 1 eni-1 10.0.0.1").unwrap_err(),
        Malformed::FieldCount {
            expected: 14,
            found: 4
        }
    );
    let bad_port = b"2 1 eni-1 10.0.0.1 10.0.0.2 70000 22 6 1 1 1 2 ACCEPT OK";
    assert_eq!(p.parse(bad_port).unwrap_err().kind(), "bad port");
    let bad_addr = b"2 1 eni-1 10.0.0.300 10.0.0.2 7 22 6 1 1 1 2 ACCEPT OK";
    assert_eq!(p.parse(bad_addr).unwrap_err().kind(), "bad address");
    let bad_action = b"2 1 eni-1 10.0.0.3 10.0.0.2 7 22 6 1 1 1 2 MAYBE OK";
    assert_eq!(
        p.parse(bad_action).unwrap_err().kind(),
        "bad action or status"
    );
    let missing = b"2 1 eni-1 - 10.0.0.2 7 22 6 1 1 1 2 ACCEPT OK";
    assert_eq!(
        p.parse(missing).unwrap_err(),
        Malformed::Missing { field: "srcaddr" }
    );
    let negative = b"2 1 eni-1 10.0.0.3 10.0.0.2 7 22 6 -1 1 1 2 ACCEPT OK";
    assert_eq!(p.parse(negative).unwrap_err().kind(), "bad number");
    let protocol = b"2 1 eni-1 10.0.0.3 10.0.0.2 7 22 300 1 1 1 2 ACCEPT OK";
    assert_eq!(p.parse(protocol).unwrap_err().kind(), "bad number");
}

#[test]
fn times_counters_and_icmp_types_out_of_range_are_malformed() {
    let p = v2();
    let line = |sp: &str, dp: &str, proto: &str, pk: &str, by: &str, st: &str, en: &str| {
        format!("2 1 eni-1 10.0.0.1 10.0.0.2 {sp} {dp} {proto} {pk} {by} {st} {en} ACCEPT OK")
    };
    let err = |l: String| p.parse(l.as_bytes()).unwrap_err();
    // A year past 9999, in either time.
    let e = err(line("40000", "443", "6", "1", "1", "100", "253402300800"));
    assert_eq!(
        (e.kind(), e.clone()),
        (
            "bad time",
            Malformed::OutOfRange {
                field: "end",
                value: 253_402_300_800,
                bounds: "0..=253402300799 (1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z)"
            }
        )
    );
    assert_eq!(
        e.to_string(),
        "end is 253402300800, outside 0..=253402300799 (1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z)"
    );
    let e = err(line(
        "40000",
        "443",
        "6",
        "1",
        "1",
        "18446744073709551615",
        "160",
    ));
    assert_eq!(e.kind(), "bad time");
    assert!(
        e.to_string()
            .starts_with("start is 18446744073709551615, outside"),
        "{e}"
    );
    // The last second of 9999 is a time.
    assert!(matches!(
        p.parse(line("40000", "443", "6", "1", "1", "253402300799", "253402300799").as_bytes()),
        Ok(Parsed::Record(r)) if r.end == LAST_TIME
    ));
    // An interval that ends before it starts.
    let e = err(line(
        "40000",
        "443",
        "6",
        "1",
        "1",
        "1795000100",
        "1795000000",
    ));
    assert_eq!(
        e,
        Malformed::EndBeforeStart {
            start: 1_795_000_100,
            end: 1_795_000_000
        }
    );
    assert_eq!(e.kind(), "bad time");
    assert_eq!(
        e.to_string(),
        "end 1795000000 (2026-11-18T11:06:40Z) is before start 1795000100 (2026-11-18T11:08:20Z)"
    );
    // A record of 41890 → 3306 from 1794959540 to `end`.
    let at = |end: i64| {
        line(
            "41890",
            "3306",
            "6",
            "3",
            "921",
            "1794959540",
            &end.to_string(),
        )
    };
    // An end far past its start: no capture interval is longer than an hour.
    let far = at(99_999_999_999);
    let e = err(far.clone());
    assert_eq!(
        (e.kind(), e.clone()),
        (
            "bad time",
            Malformed::IntervalTooLong {
                start: 1_794_959_540,
                end: 99_999_999_999
            }
        )
    );
    assert!(
        e.to_string().starts_with(
            "end 99999999999 (5138-11-16T09:46:39Z) is 98205040459 s after start 1794959540 \
             (2026-11-17T23:52:20Z), longer than any capture interval"
        ),
        "{e}"
    );
    // The one-pass parse declines it, so the generic parse decides.
    let mut rec = Record::blank();
    assert!(!p.parse_fast(far.as_bytes(), &mut rec));
    // An interval of exactly MAX_INTERVAL is a record; one second more is not.
    let limit = 1_794_959_540 + crate::window::MAX_INTERVAL;
    assert!(matches!(p.parse(at(limit).as_bytes()), Ok(Parsed::Record(r)) if r.end == limit));
    assert!(p.parse_fast(at(limit).as_bytes(), &mut Record::blank()));
    assert_eq!(err(at(limit + 1)).kind(), "bad time");
    // Counters: 2^53 is the most a record carries.
    let most = MAX_COUNTER.to_string();
    let full = line("40000", "443", "6", &most, &most, "100", "160");
    let Parsed::Record(r) = p.parse(full.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!((r.packets, r.bytes), (MAX_COUNTER, MAX_COUNTER));
    let over = (MAX_COUNTER + 1).to_string();
    for (pk, by, field) in [(&over, &most, "packets"), (&most, &over, "bytes")] {
        let e = err(line("40000", "443", "6", pk, by, "100", "160"));
        assert_eq!(e.kind(), "bad number");
        assert!(
            matches!(e, Malformed::OutOfRange { field: f, .. } if f == field),
            "{e}"
        );
    }
    let e = err(line(
        "40000",
        "443",
        "6",
        "1",
        "18446744073709551615",
        "100",
        "160",
    ));
    assert_eq!(e.kind(), "bad number");
    // ICMP and ICMPv6 ports are a type and a code: one byte each.
    for proto in ["1", "58"] {
        assert!(
            p.parse(line("255", "255", proto, "1", "1", "100", "160").as_bytes())
                .is_ok()
        );
        let e = err(line("256", "0", proto, "1", "1", "100", "160"));
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            (
                "bad port",
                "srcport is 256, outside 0..=255 (an ICMP type or code)"
            )
        );
        let e = err(line("8", "65535", proto, "1", "1", "100", "160"));
        assert!(
            matches!(
                e,
                Malformed::OutOfRange {
                    field: "dstport",
                    value: 65535,
                    ..
                }
            ),
            "{e}"
        );
    }
    // Other protocols keep every port.
    assert!(
        p.parse(line("65535", "65535", "17", "1", "1", "100", "160").as_bytes())
            .is_ok()
    );
}

/// The times of a NODATA or SKIPDATA record (which place it in or outside
/// the window) meet the bounds of any record's; either may be `-`.
#[test]
fn nodata_and_skipdata_times_meet_the_same_bounds() {
    let p = v2();
    assert_eq!(
        p.parse(b"2 1 eni-1 - - - - - - - - - - SKIPDATA").unwrap(),
        Parsed::SkipData {
            interface_id: Some("eni-1"),
            start: None,
            end: None
        }
    );
    assert_eq!(
        p.parse(b"2 1 eni-1 - - - - - - - 100 - - NODATA").unwrap(),
        Parsed::NoData {
            start: Some(100),
            end: None
        }
    );
    for status in ["NODATA", "SKIPDATA"] {
        let status_line = |st: &str, en: &str| {
            let l = format!("2 1 eni-1 - - - - - - - {st} {en} - {status}");
            p.parse(l.as_bytes()).map(|_| ()).map_err(|e| e.kind())
        };
        assert_eq!(status_line("100", "253402300799"), Ok(()), "{status}");
        for (st, en, kind) in [
            ("100", "253402300800", "bad time"),
            ("18446744073709551615", "-", "bad time"),
            ("160", "100", "bad time"),
            ("x", "100", "bad number"),
        ] {
            assert_eq!(status_line(st, en), Err(kind), "{status} {st} {en}");
        }
    }
}

#[test]
fn custom_order_with_flags_and_direction() {
    let f = Format::from_names(
        "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status flow-direction",
    )
    .unwrap();
    let p = Parser::new(&f).unwrap();
    let line = b"3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789012 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK ingress";
    let Parsed::Record(r) = p.parse(line).unwrap() else {
        panic!()
    };
    assert_eq!(r.tcp_flags, Some(2));
    assert_eq!(r.flow_direction, Some(Direction::Ingress));
    assert_eq!((r.packets, r.bytes), (8, 568));
}

#[test]
fn a_text_field_with_a_word_it_does_not_take_is_a_bad_value_not_a_bad_number() {
    let f = Format::from_names(&format!("{DEFAULT_V2_NAMES} flow-direction")).unwrap();
    let p = Parser::new(&f).unwrap();
    let line = b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK sideways";
    let e = p.parse(line).unwrap_err();
    assert_eq!(e.kind(), "bad value");
    assert_eq!(
        e.to_string(),
        "flow-direction is \"sideways\", which is not valid"
    );
}

#[test]
fn fields_split_on_runs_of_spaces_and_tabs() {
    assert_eq!(fields(b"  a \t bb\tc  "), (3, vec![&b"a"[..], b"bb", b"c"]));
    assert_eq!(fields(b"").0, 0);
    assert_eq!(fields(b"        ").0, 0);
    let many = "x ".repeat(70);
    assert_eq!(fields(many.as_bytes()).0, 70);
}

#[test]
fn a_format_wider_than_any_flow_log_still_parses() {
    let names: Vec<String> = (0..80).map(|i| format!("extra{i}")).collect();
    let f = Format::from_names(&format!("{} {}", DEFAULT_V2_NAMES, names.join(" "))).unwrap();
    let p = Parser::new(&f).unwrap();
    let line = format!(
        "2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 1 100 160 ACCEPT OK {}",
        vec!["x"; 80].join(" ")
    );
    assert!(matches!(p.parse(line.as_bytes()), Ok(Parsed::Record(_))));
    assert!(matches!(
        p.parse(b"2 1 eni-1 10.0.0.1"),
        Err(Malformed::FieldCount {
            expected: 94,
            found: 4
        })
    ));
}

#[test]
fn u64_parser_rejects_overflow_and_signs() {
    assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
    assert_eq!(parse_u64(b"18446744073709551616"), None);
    assert_eq!(parse_u64(b"99999999999999999999"), None);
    assert_eq!(
        parse_u64(b"9999999999999999999"),
        Some(9_999_999_999_999_999_999)
    );
    assert_eq!(parse_u64(b"0"), Some(0));
    assert_eq!(parse_u64(b"12a"), None);
    for v in [
        "1",
        "09",
        "65535",
        "12345678",
        "123456789",
        "1795478400",
        "0000000000000001",
        "9999999999999999",
        "99999999999999999",
        "1234567890123456789",
    ] {
        assert_eq!(parse_u64(v.as_bytes()), v.parse().ok(), "{v}");
    }
    for bad in [
        "1:",
        "/1",
        "12 4",
        "1-",
        "１",
        "1e5",
        "12345678a",
        "a2345678901",
        "+1",
    ] {
        assert_eq!(parse_u64(bad.as_bytes()), None, "{bad}");
    }
    // every byte value, in every position of an eight-digit word
    for pos in 0..8 {
        for b in 0..=255u8 {
            let mut v = *b"12345678";
            v[pos] = b;
            let std = std::str::from_utf8(&v).ok().and_then(|s| {
                s.bytes()
                    .all(|c| c.is_ascii_digit())
                    .then(|| s.parse::<u64>().ok())
                    .flatten()
            });
            assert_eq!(parse_u64(&v), std, "{v:?}");
        }
    }
    assert_eq!(parse_u64(b"+1"), None);
    assert_eq!(parse_u64(b""), None);
}
