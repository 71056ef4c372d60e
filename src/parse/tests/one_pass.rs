//! The one-pass parse (`fast.rs`) against the generic parser: wherever it
//! takes a line, the record is the generic parser's.

use super::*;

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
