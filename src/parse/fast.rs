//! The one-pass parse of a usual line: each column read where it stands,
//! numbers and addresses converted while their bytes are scanned, written
//! straight into a record the caller keeps from line to line.
//!
//! [`Parser::parse_with`] splits a line into a token per field first, then
//! converts the tokens and builds a record it returns: every byte is read
//! twice, and the token array and the record are written and copied per
//! line. That costs about half of the reading's time on a default-format
//! file. This path takes the lines every flow log is made of (log-status
//! `OK`, canonical IPv4 addresses, numbers in range, text in UTF-8) and
//! declines anything else: a line it declines goes to
//! [`Parser::parse_with`], which decides what it is and names what is wrong.
//! So what is accepted and every message stay the generic parser's; where
//! this path accepts a line, the record is the one the generic parser makes
//! (`tests.rs` and the `record` fuzz target compare the two).

use std::net::{IpAddr, Ipv4Addr};

use super::{
    Action, Direction, MAX_COUNTER, MAX_ICMP_TYPE, Parser, Record, same, separators, slot,
};
use crate::window::LAST_TIME;

/// The fields a record cannot do without, as bits by slot.
const REQUIRED: u32 = 1 << slot::SRCADDR
    | 1 << slot::DSTADDR
    | 1 << slot::SRCPORT
    | 1 << slot::DSTPORT
    | 1 << slot::PROTOCOL
    | 1 << slot::START
    | 1 << slot::ACTION;

impl<'a> Record<'a> {
    /// A record with no field set: what a field the format lacks reads as.
    /// The start of the record [`Parser::parse_fast`] fills.
    pub fn blank() -> Record<'a> {
        Record {
            interface_id: None,
            vpc_id: None,
            account_id: None,
            srcaddr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            dstaddr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            pkt_srcaddr: None,
            pkt_dstaddr: None,
            srcport: 0,
            dstport: 0,
            protocol: 0,
            packets: 0,
            bytes: 0,
            start: 0,
            end: 0,
            action: Action::Accept,
            tcp_flags: None,
            flow_direction: None,
            pkt_src_aws_service: None,
            pkt_dst_aws_service: None,
            reject_reason: None,
        }
    }
}

/// Where the field that starts at `at` ends: the next space or tab, or the
/// line's end. Eight bytes at a time.
#[inline(always)]
fn field_end(line: &[u8], mut at: usize) -> usize {
    while let Some(w) = line.get(at..at + 8) {
        let m = separators(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        if m != 0 {
            return at + (m.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < line.len() && !is_sep(line[at]) {
        at += 1;
    }
    at
}

#[inline(always)]
fn is_sep(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A field that is exactly `-`: missing.
#[inline(always)]
fn is_dash(line: &[u8], at: usize) -> bool {
    line[at] == b'-' && line.get(at + 1).is_none_or(|&b| is_sep(b))
}

/// The field that starts at `*at`, read by `read`: `Some(None)` when it
/// is `-` (missing), `None` when `read` declines it; `*at` then points past it.
#[inline(always)]
fn dashed<T>(
    line: &[u8],
    at: &mut usize,
    read: impl Fn(&[u8], &mut usize) -> Option<T>,
) -> Option<Option<T>> {
    if is_dash(line, *at) {
        *at += 1;
        return Some(None);
    }
    read(line, at).map(Some)
}

/// The decimal number that starts at `*at`, which then points past it;
/// `None` when the field is not only digits, or longer than 19 of them
/// (the generic parser then decides). Byte by byte: most numbers of a
/// record are a few digits, where finding the field's end first and
/// converting eight bytes at once costs more (measured).
#[inline(always)]
fn number(line: &[u8], at: &mut usize) -> Option<u64> {
    let start = *at;
    let mut i = start;
    let mut v: u64 = 0;
    while let Some(&b) = line.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    let n = i - start;
    if n == 0 || n > 19 || line.get(i).is_some_and(|&b| !is_sep(b)) {
        return None;
    }
    *at = i;
    Some(v)
}

/// The canonical dotted-quad IPv4 address that starts at `*at` and ends at
/// a separator or the line's end; `*at` then points past it. The one
/// definition of what [`super::ipv4`] takes.
#[inline(always)]
pub(super) fn ipv4_at(line: &[u8], at: &mut usize) -> Option<Ipv4Addr> {
    let mut i = *at;
    let mut bits: u32 = 0;
    for k in 0..4 {
        let start = i;
        let mut acc: u32 = 0;
        while i - start < 3
            && let Some(&b) = line.get(i)
            && b.is_ascii_digit()
        {
            acc = acc * 10 + u32::from(b - b'0');
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || acc > 255 || (digits > 1 && line[start] == b'0') {
            return None;
        }
        bits = bits << 8 | acc;
        if k < 3 {
            if line.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    if line.get(i).is_some_and(|&b| !is_sep(b)) {
        return None;
    }
    *at = i;
    Some(Ipv4Addr::from_bits(bits))
}

/// A text field's value, `None` for `-`; `last` is the same field of the
/// record before, kept when the bytes are the same (checked as UTF-8 once).
/// The outer `None`: not UTF-8.
#[inline(always)]
fn text<'a>(v: &'a [u8], last: Option<&'a str>) -> Option<Option<&'a str>> {
    if v == b"-" {
        return Some(None);
    }
    if let Some(l) = last
        && same(l.as_bytes(), v)
    {
        return Some(Some(l));
    }
    std::str::from_utf8(v).ok().map(Some)
}

impl Parser {
    /// Parses a usual record line (without its terminator or surrounding
    /// blanks) into `rec`, in one pass. `false` when the line is anything
    /// else: NODATA or SKIPDATA, a field out of range, an address that is
    /// not canonical IPv4, the wrong number of fields, any malformed value.
    /// Then `rec` holds parts of the line, and [`Parser::parse_with`] must
    /// decide it.
    ///
    /// `rec` is kept from line to line: the fields of the format are all
    /// written, a field the format lacks keeps the value of
    /// [`Record::blank`]. So the caller starts from a blank record and
    /// starts again when the format changes.
    #[inline]
    pub fn parse_fast<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> bool {
        let len = line.len();
        let mut at = 0usize;
        let mut seen: u32 = 0;
        let mut end: Option<u64> = None;
        let mut start: u64 = 0;
        let mut protocol: u64 = 0;
        for (column, &s) in self.slot_of.iter().enumerate() {
            if column > 0 {
                // One or more separators, then the next field.
                if at >= len || !is_sep(line[at]) {
                    return false;
                }
                at += 1;
                while at < len && is_sep(line[at]) {
                    at += 1;
                }
            }
            if at >= len {
                return false;
            }
            let s = usize::from(s);
            match s {
                slot::SRCADDR | slot::DSTADDR | slot::PKT_SRCADDR | slot::PKT_DSTADDR => {
                    let Some(addr) = dashed(line, &mut at, ipv4_at) else {
                        return false;
                    };
                    if addr.is_some() {
                        seen |= 1 << s;
                    }
                    match (s, addr.map(IpAddr::V4)) {
                        (slot::SRCADDR, Some(a)) => rec.srcaddr = a,
                        (slot::DSTADDR, Some(a)) => rec.dstaddr = a,
                        (slot::PKT_SRCADDR, a) => rec.pkt_srcaddr = a,
                        (slot::PKT_DSTADDR, a) => rec.pkt_dstaddr = a,
                        _ => {}
                    }
                }
                _ if slot::is_number(s) => {
                    let Some(v) = dashed(line, &mut at, number) else {
                        return false;
                    };
                    if v.is_some() {
                        seen |= 1 << s;
                    }
                    match (s, v) {
                        (slot::SRCPORT, Some(v)) => match u16::try_from(v) {
                            Ok(p) => rec.srcport = p,
                            Err(_) => return false,
                        },
                        (slot::DSTPORT, Some(v)) => match u16::try_from(v) {
                            Ok(p) => rec.dstport = p,
                            Err(_) => return false,
                        },
                        (slot::PROTOCOL, Some(v)) => protocol = v,
                        (slot::START, Some(v)) => start = v,
                        (slot::END, v) => end = v,
                        (slot::PACKETS | slot::BYTES, v) => {
                            let v = v.unwrap_or(0);
                            if v > MAX_COUNTER {
                                return false;
                            }
                            if s == slot::PACKETS {
                                rec.packets = v;
                            } else {
                                rec.bytes = v;
                            }
                        }
                        (slot::TCP_FLAGS, v) => match v.map(u16::try_from).transpose() {
                            Ok(f) => rec.tcp_flags = f,
                            Err(_) => return false,
                        },
                        _ => {}
                    }
                }
                _ => {
                    let e = field_end(line, at);
                    if e == at {
                        // A blank first field: the line is not trimmed.
                        return false;
                    }
                    let v = &line[at..e];
                    at = e;
                    match s {
                        slot::ACTION => {
                            rec.action = match v {
                                b"ACCEPT" => Action::Accept,
                                b"REJECT" => Action::Reject,
                                _ => return false,
                            };
                            seen |= 1 << s;
                        }
                        slot::LOG_STATUS if v != b"OK" && v != b"-" => return false,
                        slot::FLOW_DIRECTION => {
                            rec.flow_direction = match v {
                                b"ingress" => Some(Direction::Ingress),
                                b"egress" => Some(Direction::Egress),
                                b"-" => None,
                                _ => return false,
                            };
                        }
                        slot::INTERFACE_ID
                        | slot::VPC_ID
                        | slot::ACCOUNT_ID
                        | slot::PKT_SRC_AWS_SERVICE
                        | slot::PKT_DST_AWS_SERVICE
                        | slot::REJECT_REASON => {
                            let field = match s {
                                slot::INTERFACE_ID => &mut rec.interface_id,
                                slot::VPC_ID => &mut rec.vpc_id,
                                slot::ACCOUNT_ID => &mut rec.account_id,
                                slot::PKT_SRC_AWS_SERVICE => &mut rec.pkt_src_aws_service,
                                slot::PKT_DST_AWS_SERVICE => &mut rec.pkt_dst_aws_service,
                                _ => &mut rec.reject_reason,
                            };
                            let Some(t) = text(v, *field) else {
                                return false;
                            };
                            *field = t;
                        }
                        // log-status OK or `-`, or a column sgpair does not
                        // use: the field is only counted.
                        _ => {}
                    }
                }
            }
        }
        if at != len || seen & REQUIRED != REQUIRED {
            return false;
        }
        let Ok(protocol) = u8::try_from(protocol) else {
            return false;
        };
        // ICMP (1) and ICMPv6 (58): the ports are a type and a code.
        if matches!(protocol, 1 | 58)
            && (rec.srcport > MAX_ICMP_TYPE || rec.dstport > MAX_ICMP_TYPE)
        {
            return false;
        }
        let end = end.unwrap_or(start);
        if end < start || end > LAST_TIME as u64 {
            return false;
        }
        rec.protocol = protocol;
        rec.start = start as i64;
        rec.end = end as i64;
        true
    }
}
