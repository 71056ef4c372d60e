//! Stage 2: parse. One text line of a flow log into a typed [`Record`], with
//! no allocation on the hot path. Layouts live in [`format`].

mod fast;
pub mod format;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

pub use fast::Newlines;
pub use format::{Field, Format, FormatError, FormatOrigin, looks_like_header};

use crate::window::{LAST_TIME, MAX_INTERVAL, rfc3339};

/// The most `packets` or `bytes` one record may carry: 2^53 (8 PiB of bytes),
/// far past what any interface moves in a capture interval, and the largest
/// count a JSON number keeps exactly for every reader. A larger counter is
/// not a measurement, and the record is malformed.
pub const MAX_COUNTER: u64 = 1 << 53;

/// The largest ICMP type or code (one byte each); an ICMP record's ports carry them.
pub const MAX_ICMP_TYPE: u16 = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Reject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// One flow-log record with traffic in it (log-status OK).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub interface_id: Option<&'a str>,
    /// `vpc-id` and `account-id` (v3+ and v2) of the capturing interface, where logged.
    pub vpc_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    pub srcaddr: IpAddr,
    pub dstaddr: IpAddr,
    /// The packet's original addresses (v3+), where they differ from the
    /// interface's view: NAT gateways, secondary addresses, middleboxes.
    pub pkt_srcaddr: Option<IpAddr>,
    pub pkt_dstaddr: Option<IpAddr>,
    pub srcport: u16,
    pub dstport: u16,
    pub protocol: u8,
    pub packets: u64,
    pub bytes: u64,
    pub start: i64,
    pub end: i64,
    pub action: Action,
    pub tcp_flags: Option<u16>,
    pub flow_direction: Option<Direction>,
    pub pkt_src_aws_service: Option<&'a str>,
    pub pkt_dst_aws_service: Option<&'a str>,
    pub reject_reason: Option<&'a str>,
}

/// What one line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'a> {
    Record(Record<'a>),
    /// log-status NODATA: no traffic on the interface in the interval, whose
    /// times (where logged) place it in or outside the window.
    NoData {
        start: Option<i64>,
        end: Option<i64>,
    },
    /// log-status SKIPDATA: records were lost in the interval (a gap in the evidence).
    SkipData {
        interface_id: Option<&'a str>,
        start: Option<i64>,
        end: Option<i64>,
    },
}

/// Why a line is not a usable record. The `Display` text is what the user
/// sees next to the file and line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    FieldCount {
        expected: usize,
        found: usize,
    },
    Invalid {
        field: &'static str,
        value: String,
    },
    Missing {
        field: &'static str,
    },
    /// A number that parses but lies outside what its field can hold
    /// (`bounds` says what can be, for the reader).
    OutOfRange {
        field: &'static str,
        value: u64,
        bounds: &'static str,
    },
    /// A capture interval that ends before it starts.
    EndBeforeStart {
        start: i64,
        end: i64,
    },
    /// A capture interval longer than [`MAX_INTERVAL`]: not one AWS writes.
    IntervalTooLong {
        start: i64,
        end: i64,
    },
}

impl Malformed {
    /// A short stable name, used as the counting key in summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Malformed::FieldCount { .. } => "wrong field count",
            Malformed::Invalid { field, .. } => match *field {
                "srcaddr" | "dstaddr" | "pkt-srcaddr" | "pkt-dstaddr" => "bad address",
                "srcport" | "dstport" => "bad port",
                "action" | "log-status" => "bad action or status",
                // Text fields: a word the field does not take, or bytes
                // that are not text.
                "flow-direction"
                | "interface-id"
                | "vpc-id"
                | "account-id"
                | "pkt-src-aws-service"
                | "pkt-dst-aws-service"
                | "reject-reason" => "bad value",
                _ => "bad number",
            },
            Malformed::Missing { .. } => "missing field",
            Malformed::OutOfRange { field, .. } => match *field {
                "start" | "end" => "bad time",
                "srcport" | "dstport" => "bad port",
                _ => "bad number",
            },
            Malformed::EndBeforeStart { .. } | Malformed::IntervalTooLong { .. } => "bad time",
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::FieldCount { expected, found } => {
                write!(f, "{found} fields where the format has {expected}")
            }
            Malformed::Invalid { field, value } => {
                let shown: String = value.chars().take(60).collect();
                write!(f, "{field} is {shown:?}, which is not valid")
            }
            Malformed::Missing { field } => write!(f, "{field} is '-' in a record with traffic"),
            Malformed::OutOfRange {
                field,
                value,
                bounds,
            } => write!(f, "{field} is {value}, outside {bounds}"),
            Malformed::EndBeforeStart { start, end } => write!(
                f,
                "end {end} ({}) is before start {start} ({})",
                rfc3339(*end),
                rfc3339(*start)
            ),
            Malformed::IntervalTooLong { start, end } => write!(
                f,
                "end {end} ({}) is {} s after start {start} ({}), longer than any capture \
                 interval (AWS aggregates a record over at most 600 s; sgpair takes up to \
                 {MAX_INTERVAL} s): the end is wrong, so the record is not evidence",
                rfc3339(*end),
                end.saturating_sub(*start),
                rfc3339(*start)
            ),
        }
    }
}

/// The text fields of the records parsed last from one buffer (a block of
/// lines, a Parquet row group's columns): a record
/// mostly names the interface, VPC and account of the one before, and
/// comparing a few bytes is cheaper than checking them as UTF-8 again.
#[derive(Debug, Default)]
pub struct Recent<'a> {
    interface: Option<&'a str>,
    vpc: Option<&'a str>,
    account: Option<&'a str>,
}

/// Where each used field sits in a line: the slot a column's value goes to.
mod slot {
    pub const INTERFACE_ID: usize = 0;
    pub const SRCADDR: usize = 1;
    pub const DSTADDR: usize = 2;
    pub const PKT_SRCADDR: usize = 3;
    pub const PKT_DSTADDR: usize = 4;
    pub const SRCPORT: usize = 5;
    pub const DSTPORT: usize = 6;
    pub const PROTOCOL: usize = 7;
    pub const PACKETS: usize = 8;
    pub const BYTES: usize = 9;
    pub const START: usize = 10;
    pub const END: usize = 11;
    pub const ACTION: usize = 12;
    pub const LOG_STATUS: usize = 13;
    pub const TCP_FLAGS: usize = 14;
    pub const FLOW_DIRECTION: usize = 15;
    pub const PKT_SRC_AWS_SERVICE: usize = 16;
    pub const PKT_DST_AWS_SERVICE: usize = 17;
    pub const REJECT_REASON: usize = 18;
    pub const VPC_ID: usize = 19;
    pub const ACCOUNT_ID: usize = 20;
    pub const COUNT: usize = 21;
    /// The whole-number fields, as bits by slot.
    pub const NUMBERS: u32 = 1 << SRCPORT
        | 1 << DSTPORT
        | 1 << PROTOCOL
        | 1 << PACKETS
        | 1 << BYTES
        | 1 << START
        | 1 << END
        | 1 << TCP_FLAGS;

    /// Whether slot `s` (or [`NONE`], a column not used) holds a whole number.
    #[inline(always)]
    pub fn is_number(s: usize) -> bool {
        s < COUNT && NUMBERS >> s & 1 == 1
    }
    /// A column sgpair does not use.
    pub const NONE: u8 = u8::MAX;
}

/// Every field the parser reads, and the [`Slot`] its value goes to (from a
/// text line's tokens or a Parquet row's cells alike): the one list.
/// [`Parser::new`] maps a format's columns through it, and whatever reads
/// records somewhere else (Logs Insights' `stats ... by`, see
/// [`crate::pushdown::insights`]) reads these and no others.
const SLOTS: [(Field, usize); slot::COUNT] = [
    (Field::InterfaceId, slot::INTERFACE_ID),
    (Field::SrcAddr, slot::SRCADDR),
    (Field::DstAddr, slot::DSTADDR),
    (Field::PktSrcAddr, slot::PKT_SRCADDR),
    (Field::PktDstAddr, slot::PKT_DSTADDR),
    (Field::SrcPort, slot::SRCPORT),
    (Field::DstPort, slot::DSTPORT),
    (Field::Protocol, slot::PROTOCOL),
    (Field::Packets, slot::PACKETS),
    (Field::Bytes, slot::BYTES),
    (Field::Start, slot::START),
    (Field::End, slot::END),
    (Field::Action, slot::ACTION),
    (Field::LogStatus, slot::LOG_STATUS),
    (Field::TcpFlags, slot::TCP_FLAGS),
    (Field::FlowDirection, slot::FLOW_DIRECTION),
    (Field::PktSrcAwsService, slot::PKT_SRC_AWS_SERVICE),
    (Field::PktDstAwsService, slot::PKT_DST_AWS_SERVICE),
    (Field::RejectReason, slot::REJECT_REASON),
    (Field::VpcId, slot::VPC_ID),
    (Field::AccountId, slot::ACCOUNT_ID),
];

/// The fields a record's parse reads, in slot order.
pub fn fields_read() -> impl Iterator<Item = Field> {
    SLOTS.iter().map(|(f, _)| *f)
}

/// A field sgpair uses, as a place in a record: where a column's value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(usize);

impl Slot {
    /// How many there are: every [`Slot::index`] is below this.
    pub const COUNT: usize = slot::COUNT;

    #[inline]
    pub fn index(self) -> usize {
        self.0
    }

    /// Whether the field is a whole number (ports, protocol, counters,
    /// times, TCP flags); the others are text (addresses, ids, words).
    #[inline]
    pub fn holds_number(self) -> bool {
        slot::is_number(self.0)
    }

    /// Whether the field is an address (`srcaddr`, `dstaddr` and their
    /// `pkt-` twins).
    #[inline]
    pub fn holds_address(self) -> bool {
        (slot::SRCADDR..=slot::PKT_DSTADDR).contains(&self.0)
    }
}

/// The values of one record, by [`Slot`], however a source holds them: the
/// tokens of a text line, or the typed cells of a Parquet row.
/// [`Parser::record`] makes a record of them with the same checks for both.
pub trait Fields<'a> {
    /// A field's text; `None` when it is missing (`-`, a null, or a field
    /// the format does not have).
    fn text(&self, slot: Slot) -> Option<&'a [u8]>;
    /// A whole-number field; `Ok(None)` when it is missing, `Err` (invalid,
    /// naming `field`) when it is not a whole number of at least 0.
    fn number(&self, slot: Slot, field: &'static str) -> Result<Option<u64>, Malformed>;
    /// A field's value as messages show it.
    fn shown(&self, slot: Slot) -> String;
    /// An address field the source has read already (a Parquet
    /// dictionary's entry); `None`: read its [`Fields::text`].
    #[inline]
    fn ipv4(&self, _slot: Slot) -> Option<Ipv4Addr> {
        None
    }
}

/// Column positions of one [`Format`], resolved once.
#[derive(Debug, Clone)]
pub struct Parser {
    width: usize,
    /// For each column, the slot its value goes to, or [`slot::NONE`]. Only
    /// the first column of a field counts (as `Format::index_of`).
    slot_of: Vec<u8>,
    /// The default layout's columns ([`fast::V2_SLOTS`]), which the one-pass
    /// parse reads without a lookup per column.
    v2: bool,
}

/// The tokens of one line, by slot (empty: a field the format lacks).
struct Tokens<'a>([&'a [u8]; slot::COUNT]);

impl<'a> Fields<'a> for Tokens<'a> {
    #[inline]
    fn text(&self, slot: Slot) -> Option<&'a [u8]> {
        Some(self.0[slot.0]).filter(|v| !v.is_empty() && *v != b"-")
    }

    #[inline]
    fn number(&self, slot: Slot, field: &'static str) -> Result<Option<u64>, Malformed> {
        self.text(slot).map(|v| num(v, field)).transpose()
    }

    #[cold]
    fn shown(&self, slot: Slot) -> String {
        String::from_utf8_lossy(self.0[slot.0]).into_owned()
    }
}

impl Parser {
    pub fn new(format: &Format) -> Result<Parser, FormatError> {
        format.validate()?;
        let mut slot_of = vec![slot::NONE; format.columns.len()];
        for (field, s) in SLOTS {
            if let Some(i) = format.index_of(field) {
                slot_of[i] = s as u8;
            }
        }
        Ok(Parser {
            width: format.columns.len(),
            v2: slot_of == fast::V2_SLOTS,
            slot_of,
        })
    }

    /// The columns whose values are used, in column order, each with its slot.
    pub fn columns(&self) -> impl Iterator<Item = (usize, Slot)> + '_ {
        self.slot_of
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != slot::NONE)
            .map(|(i, s)| (i, Slot(usize::from(*s))))
    }

    /// Parses one line (without its line terminator).
    #[inline]
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Parsed<'a>, Malformed> {
        self.parse_with(line, &mut Recent::default())
    }

    /// [`Parser::parse`] for one of many lines of one buffer: `recent` holds
    /// the text fields of the records before it.
    #[inline]
    pub fn parse_with<'a>(
        &self,
        line: &'a [u8],
        recent: &mut Recent<'a>,
    ) -> Result<Parsed<'a>, Malformed> {
        // Fields never are empty (runs of separators are one), so an empty
        // slot is a field the format does not have.
        // Split into the tokens in place: moving the 21 slices in copied them.
        let mut t = Tokens([&[]; slot::COUNT]);
        let n = split_fields(line, &self.slot_of, &mut t.0);
        if n != self.width {
            return Err(Malformed::FieldCount {
                expected: self.width,
                found: n,
            });
        }
        self.record(&t, recent)
    }

    /// What one record's values (by slot) hold: the checks of [`Parser::parse`]
    /// after the line is split, for any source of values; `recent` holds the
    /// text fields of the records before it from the same buffer.
    #[inline]
    pub fn record<'a, F: Fields<'a>>(
        &self,
        f: &F,
        recent: &mut Recent<'a>,
    ) -> Result<Parsed<'a>, Malformed> {
        let status = f.text(Slot(slot::LOG_STATUS));
        match status {
            Some(b"OK") | None => {}
            Some(b"NODATA") => {
                let (start, end) = status_interval(f)?;
                return Ok(Parsed::NoData { start, end });
            }
            Some(b"SKIPDATA") => {
                let (start, end) = status_interval(f)?;
                return Ok(Parsed::SkipData {
                    interface_id: f
                        .text(Slot(slot::INTERFACE_ID))
                        .and_then(|v| std::str::from_utf8(v).ok()),
                    start,
                    end,
                });
            }
            Some(other) => return Err(invalid("log-status", other)),
        }
        // A format without log-status still marks an empty interval with '-'.
        if status.is_none()
            && f.text(Slot(slot::SRCADDR)).is_none()
            && f.text(Slot(slot::ACTION)).is_none()
        {
            let (start, end) = status_interval(f)?;
            return Ok(Parsed::NoData { start, end });
        }

        let srcaddr = addr(required(f, slot::SRCADDR, "srcaddr")?, "srcaddr")?;
        let dstaddr = addr(required(f, slot::DSTADDR, "dstaddr")?, "dstaddr")?;
        let pkt_srcaddr = f
            .text(Slot(slot::PKT_SRCADDR))
            .map(|v| addr(v, "pkt-srcaddr"))
            .transpose()?;
        let pkt_dstaddr = f
            .text(Slot(slot::PKT_DSTADDR))
            .map(|v| addr(v, "pkt-dstaddr"))
            .transpose()?;
        let srcport = port(f, slot::SRCPORT, "srcport")?;
        let dstport = port(f, slot::DSTPORT, "dstport")?;
        let protocol = whole(f, slot::PROTOCOL, "protocol")?;
        let protocol = u8::try_from(protocol).map_err(|_| shown(f, slot::PROTOCOL, "protocol"))?;
        // ICMP (1) and ICMPv6 (58), as `reduce::ICMP` and `reduce::ICMPV6`.
        if matches!(protocol, 1 | 58) {
            // The ports of an ICMP record are its type and code: one byte each.
            for (field, v) in [("srcport", srcport), ("dstport", dstport)] {
                if v > MAX_ICMP_TYPE {
                    return Err(Malformed::OutOfRange {
                        field,
                        value: u64::from(v),
                        bounds: "0..=255 (an ICMP type or code)",
                    });
                }
            }
        }
        let start = time(whole(f, slot::START, "start")?, "start")?;
        let end = match f.number(Slot(slot::END), "end")? {
            Some(v) => time(v, "end")?,
            None => start,
        };
        interval(start, end)?;
        capture(start, end)?;
        let action = match required(f, slot::ACTION, "action")? {
            b"ACCEPT" => Action::Accept,
            b"REJECT" => Action::Reject,
            other => return Err(invalid("action", other)),
        };
        let packets = match f.number(Slot(slot::PACKETS), "packets")? {
            Some(v) => counter(v, "packets")?,
            None => 0,
        };
        let bytes = match f.number(Slot(slot::BYTES), "bytes")? {
            Some(v) => counter(v, "bytes")?,
            None => 0,
        };
        let tcp_flags = match f.number(Slot(slot::TCP_FLAGS), "tcp-flags")? {
            Some(v) => Some(u16::try_from(v).map_err(|_| shown(f, slot::TCP_FLAGS, "tcp-flags"))?),
            None => None,
        };
        let flow_direction = match f.text(Slot(slot::FLOW_DIRECTION)) {
            Some(b"ingress") => Some(Direction::Ingress),
            Some(b"egress") => Some(Direction::Egress),
            Some(other) => return Err(invalid("flow-direction", other)),
            None => None,
        };
        let text = |s: usize, name: &'static str| -> Result<Option<&'a str>, Malformed> {
            match f.text(Slot(s)) {
                Some(v) => fast::utf8(v).map(Some).ok_or_else(|| invalid(name, v)),
                None => Ok(None),
            }
        };
        // The same bytes as the record before: the same text, already checked
        // (the one-pass parse's reading of a text field, `fast::text`).
        let repeated =
            |s: usize, name: &'static str, last: &mut Option<&'a str>| match f.text(Slot(s)) {
                None => Ok(None),
                Some(v) => {
                    let t = fast::text(v, *last).ok_or_else(|| invalid(name, v))?;
                    *last = t.or(*last);
                    Ok(t)
                }
            };
        Ok(Parsed::Record(Record {
            interface_id: repeated(slot::INTERFACE_ID, "interface-id", &mut recent.interface)?,
            vpc_id: repeated(slot::VPC_ID, "vpc-id", &mut recent.vpc)?,
            account_id: repeated(slot::ACCOUNT_ID, "account-id", &mut recent.account)?,
            srcaddr,
            dstaddr,
            pkt_srcaddr,
            pkt_dstaddr,
            srcport,
            dstport,
            protocol,
            packets,
            bytes,
            start,
            end,
            action,
            tcp_flags,
            flow_direction,
            pkt_src_aws_service: text(slot::PKT_SRC_AWS_SERVICE, "pkt-src-aws-service")?,
            pkt_dst_aws_service: text(slot::PKT_DST_AWS_SERVICE, "pkt-dst-aws-service")?,
            reject_reason: text(slot::REJECT_REASON, "reject-reason")?,
        }))
    }
}

/// Whether two short byte strings are equal: identifiers (an interface,
/// a VPC, an account: 12 to 32 bytes) compared per record in two or four
/// word loads, where a slice comparison calls `memcmp`.
#[inline(always)]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    #[inline(always)]
    fn word<const W: usize>(s: &[u8], at: usize) -> [u8; W] {
        let mut w = [0u8; W];
        w.copy_from_slice(&s[at..at + W]);
        w
    }
    match n {
        16..=32 => {
            word::<16>(a, 0) == word::<16>(b, 0) && word::<16>(a, n - 16) == word::<16>(b, n - 16)
        }
        8..=15 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        _ => a == b,
    }
}

#[cold]
fn invalid(field: &'static str, value: &[u8]) -> Malformed {
    Malformed::Invalid {
        field,
        value: String::from_utf8_lossy(value).into_owned(),
    }
}

/// A field's value, as the source shows it, is not valid for the field.
#[cold]
fn shown<'a, F: Fields<'a>>(f: &F, s: usize, field: &'static str) -> Malformed {
    Malformed::Invalid {
        field,
        value: f.shown(Slot(s)),
    }
}

/// A text field every record has.
#[inline]
fn required<'a, F: Fields<'a>>(
    f: &F,
    s: usize,
    field: &'static str,
) -> Result<&'a [u8], Malformed> {
    f.text(Slot(s)).ok_or(Malformed::Missing { field })
}

/// A whole-number field every record has.
#[inline]
fn whole<'a, F: Fields<'a>>(f: &F, s: usize, field: &'static str) -> Result<u64, Malformed> {
    f.number(Slot(s), field)?
        .ok_or(Malformed::Missing { field })
}
/// Splits on runs of spaces and tabs, puts each used column's value in its
/// slot, and returns how many fields the line has. Eight bytes at a time: a
/// word's separator bytes are found at once, without a branch per byte.
#[inline]
fn split_fields<'a>(line: &'a [u8], slot_of: &[u8], slots: &mut [&'a [u8]; slot::COUNT]) -> usize {
    let mut n = 0usize;
    let mut start = 0usize;
    macro_rules! field_ends_at {
        ($end:expr) => {{
            let end = $end;
            if end > start {
                if let Some(&s) = slot_of.get(n)
                    && s != slot::NONE
                {
                    slots[usize::from(s)] = &line[start..end];
                }
                n += 1;
            }
            start = end + 1;
        }};
    }
    let mut words = line.chunks_exact(8);
    let mut at = 0usize;
    for w in &mut words {
        let mut m = separators(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        while m != 0 {
            field_ends_at!(at + (m.trailing_zeros() / 8) as usize);
            m &= m - 1;
        }
        at += 8;
    }
    for (k, &b) in words.remainder().iter().enumerate() {
        if b == b' ' || b == b'\t' {
            field_ends_at!(at + k);
        }
    }
    let end = line.len();
    if end > start {
        if let Some(&s) = slot_of.get(n)
            && s != slot::NONE
        {
            slots[usize::from(s)] = &line[start..end];
        }
        n += 1;
    }
    n
}

/// 0x80 in every byte of `w` that is a space or a tab, 0 elsewhere (exact:
/// no carry between bytes).
#[inline]
fn separators(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let zero_bytes = |x: u64| !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
    zero_bytes(w ^ 0x2020_2020_2020_2020) | zero_bytes(w ^ 0x0909_0909_0909_0909)
}

/// Decimal digits only, no sign, no overflow.
#[inline]
pub fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 {
        return None;
    }
    if v.len() < 8 {
        return digits(v);
    }
    if v.len() <= 16 {
        // Timestamps (10 digits): the head, then the last eight at once.
        let (head, tail) = v.split_at(v.len() - 8);
        let tail = digits8(tail.try_into().expect("eight bytes"))?;
        return Some(digits(head)? * 100_000_000 + tail);
    }
    if v.len() < 20 {
        // At most 19 digits: cannot overflow.
        return digits(v);
    }
    let mut acc: u64 = 0;
    for &b in v {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = acc.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(acc)
}

/// Up to 19 decimal digits, one at a time (short numbers: ports, protocol).
#[inline]
fn digits(v: &[u8]) -> Option<u64> {
    let mut acc: u64 = 0;
    for &b in v {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = acc * 10 + u64::from(d);
    }
    Some(acc)
}

/// Exactly eight decimal digits, converted at once (one load, no branch per digit).
#[inline]
fn digits8(v: &[u8; 8]) -> Option<u64> {
    let x = u64::from_le_bytes(*v);
    // Every byte in '0'..='9': high nibble 3, and adding 6 keeps it 3.
    const HIGH: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    if x & HIGH != THREES || x.wrapping_add(0x0606_0606_0606_0606) & HIGH != THREES {
        return None;
    }
    // The first digit is the lowest byte: pairs, quads, then the whole.
    let x = x - THREES;
    let x = (x.wrapping_mul(10) + (x >> 8)) & 0x00ff_00ff_00ff_00ff;
    let x = (x.wrapping_mul(100) + (x >> 16)) & 0x0000_ffff_0000_ffff;
    let x = (x.wrapping_mul(10_000) + (x >> 32)) & 0xffff_ffff;
    Some(x)
}

/// A whole number of at least 0 written in decimal, else invalid (naming `field`).
#[inline]
pub fn num(v: &[u8], field: &'static str) -> Result<u64, Malformed> {
    parse_u64(v).ok_or_else(|| invalid(field, v))
}

/// A time: Unix seconds within `0..=LAST_TIME` (1970 to 9999).
#[inline]
fn time(t: u64, field: &'static str) -> Result<i64, Malformed> {
    match i64::try_from(t) {
        Ok(t) if t <= LAST_TIME => Ok(t),
        _ => Err(Malformed::OutOfRange {
            field,
            value: t,
            bounds: "0..=253402300799 (1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z)",
        }),
    }
}

/// A capture interval ends at or after its start.
#[inline]
fn interval(start: i64, end: i64) -> Result<(), Malformed> {
    if end < start {
        return Err(Malformed::EndBeforeStart { start, end });
    }
    Ok(())
}

/// The interval of a NODATA or SKIPDATA record: its times where logged,
/// with the bounds of any record's (a SKIPDATA record's lost interval is
/// not held to a capture interval's length, nor is an idle one's).
#[cold]
fn status_interval<'a, F: Fields<'a>>(f: &F) -> Result<(Option<i64>, Option<i64>), Malformed> {
    let start = f
        .number(Slot(slot::START), "start")?
        .map(|v| time(v, "start"))
        .transpose()?;
    let end = f
        .number(Slot(slot::END), "end")?
        .map(|v| time(v, "end"))
        .transpose()?;
    if let (Some(start), Some(end)) = (start, end) {
        interval(start, end)?;
    }
    Ok((start, end))
}

/// A record's capture interval (in order already) spans at most
/// [`MAX_INTERVAL`]. A SKIPDATA record's lost interval is not held to it:
/// it is not evidence, and Athena's rows count it as logged.
#[inline]
fn capture(start: i64, end: i64) -> Result<(), Malformed> {
    if end - start > MAX_INTERVAL {
        return Err(Malformed::IntervalTooLong { start, end });
    }
    Ok(())
}

/// `packets` or `bytes`: at most [`MAX_COUNTER`].
#[inline]
fn counter(n: u64, field: &'static str) -> Result<u64, Malformed> {
    if n > MAX_COUNTER {
        return Err(Malformed::OutOfRange {
            field,
            value: n,
            bounds: "0..=9007199254740992 (2^53, more than any record carries)",
        });
    }
    Ok(n)
}

/// A port every record has (for ICMP: its type or code).
#[inline]
fn port<'a, F: Fields<'a>>(f: &F, s: usize, field: &'static str) -> Result<u16, Malformed> {
    u16::try_from(whole(f, s, field)?).map_err(|_| shown(f, s, field))
}

#[inline]
fn addr(v: &[u8], field: &'static str) -> Result<IpAddr, Malformed> {
    if let Some(a) = ipv4(v) {
        return Ok(IpAddr::V4(a));
    }
    // IPv6, and whatever the fast path does not take: the standard parser decides.
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse::<IpAddr>().ok())
        .ok_or_else(|| invalid(field, v))
}

/// Dotted-quad IPv4 in its canonical form (no leading zeros, each part at
/// most 255). Anything else returns `None` and goes to the standard parser,
/// so what is accepted does not change. Read as the one-pass parse reads an
/// address field ([`fast::ipv4_alone`]); the tests hold it equal to the
/// byte-by-byte definition ([`fast::ipv4_at`]) and to the standard parser.
#[inline]
pub fn ipv4(v: &[u8]) -> Option<Ipv4Addr> {
    fast::ipv4_alone(v)
}

#[cfg(test)]
mod tests;
