//! Stage 2: parse. One text line of a flow log into a typed [`Record`], with
//! no allocation on the hot path. Layouts live in [`format`].

pub mod format;

use std::fmt;
use std::net::IpAddr;

pub use format::{Field, Format, FormatError, FormatOrigin, looks_like_header};

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
    /// log-status NODATA: no traffic on the interface in the interval.
    NoData,
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
    FieldCount { expected: usize, found: usize },
    Invalid { field: &'static str, value: String },
    Missing { field: &'static str },
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
                _ => "bad number",
            },
            Malformed::Missing { .. } => "missing field",
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
        }
    }
}

/// Column positions of one [`Format`], resolved once.
#[derive(Debug, Clone)]
pub struct Parser {
    width: usize,
    interface_id: Option<usize>,
    srcaddr: usize,
    dstaddr: usize,
    pkt_srcaddr: Option<usize>,
    pkt_dstaddr: Option<usize>,
    srcport: usize,
    dstport: usize,
    protocol: usize,
    packets: Option<usize>,
    bytes: Option<usize>,
    start: usize,
    end: Option<usize>,
    action: usize,
    log_status: Option<usize>,
    tcp_flags: Option<usize>,
    flow_direction: Option<usize>,
    pkt_src_aws_service: Option<usize>,
    pkt_dst_aws_service: Option<usize>,
    reject_reason: Option<usize>,
}

const MAX_FIELDS: usize = 64;

impl Parser {
    pub fn new(format: &Format) -> Result<Parser, FormatError> {
        format.validate()?;
        let req = |f| format.index_of(f).expect("validated");
        Ok(Parser {
            width: format.columns.len(),
            interface_id: format.index_of(Field::InterfaceId),
            srcaddr: req(Field::SrcAddr),
            dstaddr: req(Field::DstAddr),
            pkt_srcaddr: format.index_of(Field::PktSrcAddr),
            pkt_dstaddr: format.index_of(Field::PktDstAddr),
            srcport: req(Field::SrcPort),
            dstport: req(Field::DstPort),
            protocol: req(Field::Protocol),
            packets: format.index_of(Field::Packets),
            bytes: format.index_of(Field::Bytes),
            start: req(Field::Start),
            end: format.index_of(Field::End),
            action: req(Field::Action),
            log_status: format.index_of(Field::LogStatus),
            tcp_flags: format.index_of(Field::TcpFlags),
            flow_direction: format.index_of(Field::FlowDirection),
            pkt_src_aws_service: format.index_of(Field::PktSrcAwsService),
            pkt_dst_aws_service: format.index_of(Field::PktDstAwsService),
            reject_reason: format.index_of(Field::RejectReason),
        })
    }

    /// Parses one line (without its line terminator).
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Parsed<'a>, Malformed> {
        let mut toks: [&'a [u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
        let mut n = 0usize;
        for tok in line
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|t| !t.is_empty())
        {
            if n < MAX_FIELDS {
                toks[n] = tok;
            }
            n += 1;
        }
        if n != self.width {
            return Err(Malformed::FieldCount {
                expected: self.width,
                found: n,
            });
        }
        let t = &toks[..n];
        let opt = |i: Option<usize>| i.map(|i| t[i]).filter(|v| *v != b"-");

        let status = opt(self.log_status);
        match status {
            Some(b"OK") | None => {}
            Some(b"NODATA") => return Ok(Parsed::NoData),
            Some(b"SKIPDATA") => {
                return Ok(Parsed::SkipData {
                    interface_id: opt(self.interface_id).and_then(|v| std::str::from_utf8(v).ok()),
                    start: opt(Some(self.start)).and_then(parse_u64).map(|v| v as i64),
                    end: opt(self.end).and_then(parse_u64).map(|v| v as i64),
                });
            }
            Some(other) => return Err(invalid("log-status", other)),
        }
        // A format without log-status still marks an empty interval with '-'.
        if status.is_none() && t[self.srcaddr] == b"-" && t[self.action] == b"-" {
            return Ok(Parsed::NoData);
        }

        let srcaddr = addr(t[self.srcaddr], "srcaddr")?;
        let dstaddr = addr(t[self.dstaddr], "dstaddr")?;
        let pkt_srcaddr = opt(self.pkt_srcaddr)
            .map(|v| addr(v, "pkt-srcaddr"))
            .transpose()?;
        let pkt_dstaddr = opt(self.pkt_dstaddr)
            .map(|v| addr(v, "pkt-dstaddr"))
            .transpose()?;
        let srcport = port(t[self.srcport], "srcport")?;
        let dstport = port(t[self.dstport], "dstport")?;
        let protocol = required(t[self.protocol], "protocol")?;
        let protocol =
            u8::try_from(num(protocol, "protocol")?).map_err(|_| invalid("protocol", protocol))?;
        let start = num(required(t[self.start], "start")?, "start")? as i64;
        let end = match opt(self.end) {
            Some(v) => num(v, "end")? as i64,
            None => start,
        };
        let action = match required(t[self.action], "action")? {
            b"ACCEPT" => Action::Accept,
            b"REJECT" => Action::Reject,
            other => return Err(invalid("action", other)),
        };
        let packets = match opt(self.packets) {
            Some(v) => num(v, "packets")?,
            None => 0,
        };
        let bytes = match opt(self.bytes) {
            Some(v) => num(v, "bytes")?,
            None => 0,
        };
        let tcp_flags = match opt(self.tcp_flags) {
            Some(v) => {
                Some(u16::try_from(num(v, "tcp-flags")?).map_err(|_| invalid("tcp-flags", v))?)
            }
            None => None,
        };
        let flow_direction = match opt(self.flow_direction) {
            Some(b"ingress") => Some(Direction::Ingress),
            Some(b"egress") => Some(Direction::Egress),
            Some(other) => return Err(invalid("flow-direction", other)),
            None => None,
        };
        let text = |i: Option<usize>, name: &'static str| -> Result<Option<&'a str>, Malformed> {
            match opt(i) {
                Some(v) => std::str::from_utf8(v)
                    .map(Some)
                    .map_err(|_| invalid(name, v)),
                None => Ok(None),
            }
        };
        Ok(Parsed::Record(Record {
            interface_id: text(self.interface_id, "interface-id")?,
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
            pkt_src_aws_service: text(self.pkt_src_aws_service, "pkt-src-aws-service")?,
            pkt_dst_aws_service: text(self.pkt_dst_aws_service, "pkt-dst-aws-service")?,
            reject_reason: text(self.reject_reason, "reject-reason")?,
        }))
    }
}

fn invalid(field: &'static str, value: &[u8]) -> Malformed {
    Malformed::Invalid {
        field,
        value: String::from_utf8_lossy(value).into_owned(),
    }
}

fn required<'a>(v: &'a [u8], field: &'static str) -> Result<&'a [u8], Malformed> {
    if v == b"-" {
        Err(Malformed::Missing { field })
    } else {
        Ok(v)
    }
}

/// Decimal digits only, no sign, no overflow.
pub fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 {
        return None;
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

fn num(v: &[u8], field: &'static str) -> Result<u64, Malformed> {
    parse_u64(v).ok_or_else(|| invalid(field, v))
}

fn port(v: &[u8], field: &'static str) -> Result<u16, Malformed> {
    let v = required(v, field)?;
    u16::try_from(num(v, field)?).map_err(|_| invalid(field, v))
}

fn addr(v: &[u8], field: &'static str) -> Result<IpAddr, Malformed> {
    let v = required(v, field)?;
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse::<IpAddr>().ok())
        .ok_or_else(|| invalid(field, v))
}

#[cfg(test)]
mod tests {
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
    fn u64_parser_rejects_overflow_and_signs() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"+1"), None);
        assert_eq!(parse_u64(b""), None);
    }
}
