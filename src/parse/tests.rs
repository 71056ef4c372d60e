use super::*;

fn v2() -> Parser {
    Parser::new(&Format::default_v2()).unwrap()
}

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
    assert_eq!(v2().parse(nodata).unwrap(), Parsed::NoData);
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

#[test]
fn skipdata_times_meet_the_same_bounds() {
    let p = v2();
    let skip = |st: &str, en: &str| {
        let l = format!("2 1 eni-1 - - - - - - - {st} {en} - SKIPDATA");
        p.parse(l.as_bytes()).map(|_| ()).map_err(|e| e.kind())
    };
    assert_eq!(
        p.parse(b"2 1 eni-1 - - - - - - - - - - SKIPDATA").unwrap(),
        Parsed::SkipData {
            interface_id: Some("eni-1"),
            start: None,
            end: None
        }
    );
    assert_eq!(skip("100", "253402300799"), Ok(()));
    assert_eq!(skip("100", "253402300800").unwrap_err(), "bad time");
    assert_eq!(skip("18446744073709551615", "-").unwrap_err(), "bad time");
    assert_eq!(skip("160", "100").unwrap_err(), "bad time");
    assert_eq!(skip("x", "100").unwrap_err(), "bad number");
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
fn fast_ipv4_agrees_with_the_standard_parser() {
    for s in [
        "10.0.0.1",
        "255.255.255.255",
        "0.0.0.0",
        "1.2.3.4",
        "01.2.3.4",
        "1.2.3.04",
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "1..3.4",
        "1.2.3.4 ",
        "a.b.c.d",
        "1000.1.1.1",
        "1.2.3.",
        ".1.2.3",
        "1.2.3.-4",
        "::1",
        "2001:db8::1",
    ] {
        let std = s.parse::<Ipv4Addr>().ok();
        if let Some(fast) = ipv4(s.as_bytes()) {
            assert_eq!(Some(fast), std, "{s}");
        }
        let via_addr = addr(s.as_bytes(), "srcaddr").ok();
        assert_eq!(via_addr, s.parse::<IpAddr>().ok(), "{s}");
    }
    assert_eq!(
        ipv4(b"172.31.16.139"),
        Some(Ipv4Addr::new(172, 31, 16, 139))
    );
    // random dotted strings: the fast path agrees with std exactly
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet = b"0123456789..2501";
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = 7 + (x % 9) as usize;
        let s: String = (0..len)
            .map(|k| alphabet[((x >> (4 * k)) & 15) as usize] as char)
            .collect();
        assert_eq!(ipv4(s.as_bytes()), s.parse::<Ipv4Addr>().ok(), "{s}");
    }
}

/// The first `slot::COUNT` fields, as the parser sees them.
fn fields(line: &[u8]) -> (usize, Vec<&[u8]>) {
    let identity: Vec<u8> = (0..slot::COUNT as u8).collect();
    let mut toks: [&[u8]; slot::COUNT] = [&[]; slot::COUNT];
    let n = split_fields(line, &identity, &mut toks);
    (n, toks[..n.min(slot::COUNT)].to_vec())
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
fn word_at_a_time_splitting_agrees_with_splitting_byte_by_byte() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let alphabet = b"a1 \t-.";
    for len in 0..200 {
        let line: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize]
            })
            .collect();
        let want: Vec<&[u8]> = line
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|t| !t.is_empty())
            .collect();
        let (n, got) = fields(&line);
        assert_eq!(n, want.len(), "{:?}", String::from_utf8_lossy(&line));
        assert_eq!(got, want[..n.min(slot::COUNT)]);
    }
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

const DEFAULT_V2_NAMES: &str = format::DEFAULT_V2;

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

/// Lines of one buffer parsed with the text fields of the records before
/// them give what each line gives alone: a repeated value is reused, a new
/// one checked, a bad one malformed (and it does not replace the last good).
#[test]
fn recent_text_fields_give_what_each_line_gives_alone() {
    let p = Parser::new(&Format::from_names("interface-id account-id vpc-id srcaddr dstaddr srcport dstport protocol start action log-status").unwrap()).unwrap();
    let mut buf: Vec<u8> = Vec::new();
    for (eni, account, vpc) in [
        (&b"eni-a"[..], &b"111"[..], &b"vpc-1"[..]),
        (b"eni-a", b"111", b"vpc-1"),
        (b"eni-b", b"111", b"-"),
        (b"eni-\xff", b"111", b"vpc-1"),
        (b"eni-b", b"222", b"vpc-1"),
        (b"eni-a", b"-", b"vpc-2"),
    ] {
        for field in [eni, b" ", account, b" ", vpc] {
            buf.extend_from_slice(field);
        }
        buf.extend_from_slice(b" 10.0.0.1 10.0.0.2 40000 443 6 100 ACCEPT OK\n");
    }
    let mut recent = Recent::default();
    let mut with = Vec::new();
    let mut alone = Vec::new();
    for line in buf.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        with.push(p.parse_with(line, &mut recent));
        alone.push(p.parse(line));
    }
    assert_eq!(with, alone);
    assert!(matches!(
        with[3],
        Err(Malformed::Invalid {
            field: "interface-id",
            ..
        })
    ));
    let Ok(Parsed::Record(r)) = &with[5] else {
        panic!()
    };
    assert_eq!(
        (r.interface_id, r.account_id, r.vpc_id),
        (Some("eni-a"), None, Some("vpc-2"))
    );
}

/// The word-wise comparison agrees with the slice comparison at every
/// length around its word sizes, for a difference at every place.
#[test]
fn short_comparison_agrees_with_slices() {
    for n in 0..=40usize {
        let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
        assert!(super::same(&a, &a.clone()), "length {n}");
        for at in 0..n {
            let mut b = a.clone();
            b[at] ^= 1;
            assert!(!super::same(&a, &b), "length {n}, byte {at}");
        }
        let mut longer = a.clone();
        longer.push(b'a');
        assert!(!super::same(&a, &longer), "lengths {n} and {}", n + 1);
    }
}

/// Random lines under three layouts, each column a value of its kind most
/// of the time and anything else otherwise. Wherever the one-pass parse
/// takes a line, the generic parse makes the same record of it, with the
/// record kept from line to line as the reader keeps it; and it takes the
/// usual lines, so it is not a path nothing runs. The same for the typed
/// fast path (`record_fast`, Parquet rows) on the line's values apart.
#[test]
fn the_one_pass_parse_makes_the_generic_parsers_record() {
    const NUMBERS: &[&str] = &[
        "0",
        "6",
        "17",
        "1",
        "58",
        "443",
        "65535",
        "65536",
        "255",
        "256",
        "-",
        "-5",
        "007",
        "1795478400",
        "1795478460",
        "253402300799",
        "253402300800",
        "9007199254740992",
        "9007199254740993",
        "9999999999999999999",
        "18446744073709551616",
        "1a",
        "+1",
    ];
    const ADDRS: &[&str] = &[
        "10.0.0.1",
        "10.0.0.2",
        "255.255.255.255",
        "0.0.0.0",
        "256.1.1.1",
        "01.2.3.4",
        "1.2.3",
        "1.2.3.4.5",
        "::1",
        "2001:db8::1",
        "-",
        "1.2.3.4x",
        "1..2.3",
        "1.2.3.1000",
    ];
    const WORDS: &[&str] = &[
        "ACCEPT",
        "REJECT",
        "accept",
        "OK",
        "NODATA",
        "SKIPDATA",
        "ingress",
        "egress",
        "-",
        "up",
        "eni-0a1b2c3d4e5f60718",
        "vpc-1",
        "123456789012",
        "S3",
        "é",
        "\u{fffd}",
        "",
    ];
    let layouts = [
        Format::default_v2(),
        Format::from_names(
            "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets \
             bytes start end action log-status vpc-id tcp-flags pkt-srcaddr pkt-dstaddr \
             pkt-src-aws-service pkt-dst-aws-service flow-direction reject-reason",
        )
        .unwrap(),
        Format::from_names("dstaddr srcaddr protocol dstport srcport start action interface-id")
            .unwrap(),
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for format in &layouts {
        let p = Parser::new(format).unwrap();
        let mut kept = Record::blank();
        let mut kept_row = Record::blank();
        let (mut usual, mut missed, mut typed_missed) = (0, 0, 0);
        for round in 0..60_000 {
            // One line in four is all usual values; the others are mixed.
            let clean = round % 4 == 0;
            let mut line = Vec::new();
            let extra = next(40) == 0;
            let missing = next(40) == 0;
            let width = p.slot_of.len() + usize::from(extra) - usize::from(missing);
            for column in 0..width {
                if column > 0 {
                    line.extend_from_slice([" ", " ", " ", "  ", "\t"][next(5)].as_bytes());
                }
                let s = p.slot_of.get(column).map_or(slot::NONE, |s| *s);
                let pool: &[&str] = if !clean && next(4) == 0 {
                    [NUMBERS, ADDRS, WORDS][next(3)]
                } else {
                    match usize::from(s) {
                        slot::SRCADDR | slot::DSTADDR | slot::PKT_SRCADDR | slot::PKT_DSTADDR => {
                            if clean {
                                &ADDRS[..3]
                            } else {
                                ADDRS
                            }
                        }
                        slot::ACTION => &WORDS[..2],
                        slot::LOG_STATUS => {
                            if clean {
                                &WORDS[3..4]
                            } else {
                                &WORDS[3..6]
                            }
                        }
                        slot::FLOW_DIRECTION => &WORDS[6..9],
                        slot::START | slot::END => {
                            if clean {
                                &NUMBERS[13..14]
                            } else {
                                &NUMBERS[13..17]
                            }
                        }
                        slot::PROTOCOL => {
                            if clean {
                                &NUMBERS[1..3]
                            } else {
                                NUMBERS
                            }
                        }
                        s if Slot(s).holds_number() => {
                            if clean {
                                &NUMBERS[..7]
                            } else {
                                NUMBERS
                            }
                        }
                        _ => {
                            if clean {
                                &WORDS[10..14]
                            } else {
                                WORDS
                            }
                        }
                    }
                };
                line.extend_from_slice(pool[next(pool.len())].as_bytes());
            }
            if next(50) == 0 {
                line.push(0xff);
            }
            // The kept record holds the bytes of lines before: each line lives on.
            let line: &'static [u8] = Box::leak(line.trim_ascii().to_vec().into_boxed_slice());
            let generic = p.parse(line);
            let is_usual = clean && !extra && !missing && matches!(generic, Ok(Parsed::Record(_)));
            usual += u32::from(is_usual);
            let taken = p.parse_fast(line, &mut kept);
            missed += u32::from(is_usual && !taken);
            if taken {
                assert_eq!(
                    generic,
                    Ok(Parsed::Record(kept)),
                    "{}",
                    String::from_utf8_lossy(line)
                );
            }
            // The same values as a source that holds them apart gives them
            // (a Parquet row's cells): the typed fast path makes the generic
            // reading's record wherever it takes them.
            let mut tokens = Tokens([&[][..]; slot::COUNT]);
            if split_fields(line, &p.slot_of, &mut tokens.0) == p.width {
                let typed = p.record_fast(&tokens, &mut kept_row);
                typed_missed += u32::from(is_usual && !typed);
                if typed {
                    assert_eq!(
                        generic,
                        Ok(Parsed::Record(kept_row)),
                        "typed: {}",
                        String::from_utf8_lossy(line)
                    );
                }
            }
        }
        assert!(
            missed == 0 && usual > 5_000,
            "{:?}: the one-pass parse declined {missed} of {usual} usual lines",
            format.columns
        );
        assert_eq!(
            typed_missed, 0,
            "{:?}: the typed fast path declined usual values",
            format.columns
        );
    }
}

/// A line that begins with a blank is not taken by the one-pass parse (the
/// reader trims lines first); the generic parse skips the blank.
#[test]
fn the_one_pass_parse_declines_an_untrimmed_line() {
    let line = b" 2 123456789010 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 1 100 160 ACCEPT OK";
    assert!(!v2().parse_fast(line, &mut Record::blank()));
    assert!(!v2().parse_fast(&line[..line.len() - 3], &mut Record::blank()));
    assert!(v2().parse_fast(&line[1..], &mut Record::blank()));
}

/// Every line of the real and bundled flow logs (third-party fixtures in the
/// default and a v5 custom layout, the bundled sample's CloudWatch and S3
/// files): the one-pass parse makes the generic parser's record wherever it
/// takes a line, and it takes every record whose addresses are IPv4.
#[test]
fn the_one_pass_parse_agrees_on_every_real_line() {
    use std::io::Read;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![
        root.join("tests/fixtures/third-party/vpc-flow-log.sample"),
        root.join("tests/fixtures/third-party/cloudwatchlogs_vpcflowlog_lambdaprocessed.sample"),
        root.join("tests/fixtures/third-party/vpcflowlog.log.gz"),
    ];
    for dir in [
        "sample-logs/flow-logs/cloudwatch",
        "sample-logs/flow-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/23",
    ] {
        let mut listed: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        listed.sort();
        files.extend(listed);
    }
    let (mut all_records, mut all_taken) = (0, 0);
    for path in &files {
        let raw = std::fs::read(path).unwrap();
        let mut text = Vec::new();
        if path.extension().is_some_and(|e| e == "gz") {
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut text)
                .unwrap();
        } else {
            text = raw;
        }
        let mut p = v2();
        let mut kept = Record::blank();
        let (mut records, mut taken) = (0, 0);
        for line in text.split(|&b| b == b'\n').map(<[u8]>::trim_ascii) {
            if line.is_empty() {
                continue;
            }
            if looks_like_header(line) {
                p = Parser::new(&Format::from_names(std::str::from_utf8(line).unwrap()).unwrap())
                    .unwrap();
                kept = Record::blank();
                continue;
            }
            let generic = p.parse(line);
            // IPv6 goes to the generic parse; every other record is taken.
            let v4 = match &generic {
                Ok(Parsed::Record(r)) => [
                    Some(r.srcaddr),
                    Some(r.dstaddr),
                    r.pkt_srcaddr,
                    r.pkt_dstaddr,
                ]
                .into_iter()
                .flatten()
                .all(|a| a.is_ipv4()),
                _ => false,
            };
            records += u32::from(v4);
            let fast = p.parse_fast(line, &mut kept);
            assert!(
                fast || !v4,
                "{}: declined {}",
                path.display(),
                String::from_utf8_lossy(line)
            );
            if fast {
                taken += 1;
                assert_eq!(
                    generic,
                    Ok(Parsed::Record(kept)),
                    "{}: {}",
                    path.display(),
                    String::from_utf8_lossy(line)
                );
            }
        }
        assert!(
            records > 0 && taken == records,
            "{}: {taken} of {records} IPv4 records taken",
            path.display()
        );
        all_records += records;
        all_taken += taken;
    }
    assert!(
        files.len() > 20 && all_records > 5_000,
        "{all_records} records"
    );
    assert_eq!(all_taken, all_records);
}

/// The whole-number slots, and no other (an unused column neither).
#[test]
fn number_slots_are_the_counters_ports_times_and_flags() {
    let numbers: Vec<usize> = (0..=usize::from(slot::NONE))
        .filter(|s| slot::is_number(*s))
        .collect();
    assert_eq!(
        numbers,
        vec![
            slot::SRCPORT,
            slot::DSTPORT,
            slot::PROTOCOL,
            slot::PACKETS,
            slot::BYTES,
            slot::START,
            slot::END,
            slot::TCP_FLAGS
        ]
    );
    assert!(Slot(slot::START).holds_number() && !Slot(slot::SRCADDR).holds_number());
}

/// `len` bytes drawn from `alphabet`.
fn drawn(next: &mut impl FnMut(usize) -> usize, len: usize, alphabet: &[u8]) -> Vec<u8> {
    (0..len).map(|_| alphabet[next(alphabet.len())]).collect()
}

/// A small xorshift stream for the randomised tests below.
fn xorshift(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}

/// The separators of random lines of every length up to 300 bytes (past
/// several 64-byte windows and their ends) are taken in order, then the
/// line's length, exactly where a byte-by-byte scan finds them; and so are
/// the newlines, where `memchr` finds them.
#[test]
fn separator_bits_find_every_space_and_tab() {
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    let alphabet = b" \tab1-\n\r";
    for round in 0..20_000 {
        let len = round % 301;
        let line = drawn(&mut next, len, alphabet);
        let expected: Vec<usize> = line
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b' ' || b == b'\t')
            .map(|(i, _)| i)
            .chain([len, len])
            .collect();
        let mut seps = fast::Separators::new(&line);
        let taken: Vec<usize> = (0..expected.len()).map(|_| seps.take()).collect();
        assert_eq!(taken, expected, "{:?}", String::from_utf8_lossy(&line));
        let newlines: Vec<usize> = memchr::memchr_iter(b'\n', &line)
            .chain([len, len])
            .collect();
        let mut ends = Newlines::new(&line);
        let taken: Vec<usize> = (0..newlines.len()).map(|_| ends.take()).collect();
        assert_eq!(taken, newlines, "{:?}", String::from_utf8_lossy(&line));
    }
}

/// The one-pass parse's numbers (eight digits per load, ending at the
/// field's end, byte by byte near the line's start) agree with reading the
/// digits one at a time, for fields of 1 to 21 bytes at every place, digits
/// or not.
#[test]
fn word_at_a_time_numbers_agree_with_digit_by_digit() {
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let junk = b"/:a \x00\xff.-+";
    let mut nonzero = 0;
    for _ in 0..200_000 {
        let k = next(24);
        let before = drawn(&mut next, k, b"0123456789 x");
        let n = 1 + next(21);
        let mut field: Vec<u8> = (0..n).map(|_| b'0' + next(10) as u8).collect();
        if next(4) == 0 {
            field[next(n)] = junk[next(junk.len())];
        }
        let mut line = before.clone();
        line.extend_from_slice(&field);
        let k = next(10);
        line.extend(drawn(&mut next, k, b"9 x"));
        let expected = if n <= 19 && field.iter().all(u8::is_ascii_digit) {
            Some(
                field
                    .iter()
                    .fold(0u64, |v, &d| v * 10 + u64::from(d - b'0')),
            )
        } else {
            None
        };
        nonzero += u32::from(expected.is_some_and(|v| v > 0));
        let got = fast::number(&line, before.len(), before.len() + n);
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&field));
    }
    assert!(nonzero > 50_000, "too few numbers: {nonzero}");
}

/// The byte-by-byte reading of an address that is the whole of `v`: the
/// definition the wide reading is held to.
fn byte_by_byte_ipv4(v: &[u8]) -> Option<Ipv4Addr> {
    let mut at = 0;
    fast::ipv4_at(v, &mut at).filter(|_| at == v.len())
}

/// The one-pass parse's address reading (sixteen bytes at once, the dots
/// giving the octets) takes exactly what the byte-by-byte reading takes, with the same
/// address, for random dotted strings at every place in a line (near its
/// start, the bytes before the field are too few for the wide read), each
/// ending at a separator or at the line's end as a field does; and so does
/// the reading of an address that is a value of its own.
#[test]
fn wide_ipv4_reading_agrees_with_the_definition() {
    let mut next = xorshift(0xd1b5_4a32_d192_ed03);
    let alphabet = b"0123456789..25010x/";
    let mut taken = 0;
    for _ in 0..200_000 {
        let k = next(20);
        let before = drawn(&mut next, k, b"1.2 x");
        let n = 1 + next(17);
        let field: Vec<u8> = if next(3) == 0 {
            let octet = |next: &mut dyn FnMut(usize) -> usize| match next(4) {
                0 => next(10).to_string(),
                1 => next(100).to_string(),
                2 => next(256).to_string(),
                _ => next(1000).to_string(),
            };
            let parts: Vec<String> = (0..4).map(|_| octet(&mut next)).collect();
            parts.join(".").into_bytes()
        } else {
            drawn(&mut next, n, alphabet)
        };
        let mut line = before.clone();
        line.extend_from_slice(&field);
        // A field ends at a separator or at the line's end.
        if next(2) == 0 {
            line.push(b' ');
            let k = next(6);
            line.extend(drawn(&mut next, k, b" 9"));
        }
        let expected = byte_by_byte_ipv4(&field);
        taken += u32::from(expected.is_some());
        let got = fast::ipv4_field(&line, before.len(), before.len() + field.len());
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&field));
        // A value of its own (a Parquet cell), read from a padded copy.
        let alone = fast::ipv4_alone(&field);
        assert_eq!(
            alone,
            expected,
            "{:?} alone",
            String::from_utf8_lossy(&field)
        );
    }
    assert!(taken > 20_000, "too few addresses: {taken}");
}

/// The one-pass parse's text check (ASCII a word at a time, else the
/// standard check) takes exactly the valid UTF-8 of random byte strings,
/// ASCII or not, of every length to 40.
#[test]
fn the_text_check_takes_exactly_valid_utf8() {
    let mut next = xorshift(0x94d0_49bb_1331_11eb);
    let pieces: [&[u8]; 6] = [
        b"a",
        b"eni-0",
        "é".as_bytes(),
        b"\xff",
        b"\xc3",
        "€".as_bytes(),
    ];
    let mut both = [0u32; 2];
    for round in 0..100_000 {
        let mut v = Vec::new();
        while v.len() < round % 41 {
            v.extend_from_slice(pieces[if next(4) == 0 { next(6) } else { next(2) }]);
        }
        let expected = std::str::from_utf8(&v).ok();
        both[usize::from(expected.is_some())] += 1;
        assert_eq!(fast::utf8(&v), expected, "{v:?}");
    }
    assert!(both.iter().all(|&n| n > 10_000), "{both:?}");
}

/// The separator bits of a chunk (SSE2 on x86-64) are the word-at-a-time
/// bits of its eight-byte words, which serve where SSE2 is not at hand.
#[test]
fn chunk_bits_agree_with_word_bits() {
    let mut next = xorshift(0x1234_5678_9abc_def1);
    let alphabet = b" \t\n-a1\x00\xff\x20\x09";
    for _ in 0..50_000 {
        let bytes = drawn(&mut next, 40, alphabet);
        let at = next(24);
        let (bits, chunk) = fast::chunk_bits_for_test(&bytes, at);
        let words = (0..chunk / 8).fold(0u64, |acc, k| {
            acc | fast::word_bits::<b' ', b'\t'>(&bytes, at + 8 * k) << (8 * k)
        });
        assert_eq!(bits, words, "{bytes:?} at {at}");
    }
}
