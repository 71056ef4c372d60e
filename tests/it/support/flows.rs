//! Flow-log records in code: one record ([`Rec`]) rendered in any field
//! order, and the records of one TCP connection as the interfaces at its
//! ends log them ([`connection`]).

use std::io::Write as _;

use super::T0;

/// The default format (version 2), in its order.
pub const V2: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

/// One flow-log record. `rec` makes an accepted TCP record of 5 packets and
/// 900 bytes, a minute long on [`T0`], in account 123456789012 and vpc-1;
/// the builder methods change the rest.
#[derive(Debug, Clone)]
pub struct Rec {
    pub eni: String,
    pub src: String,
    pub dst: String,
    pub sport: u16,
    pub dport: u16,
    pub proto: u8,
    pub packets: u64,
    pub bytes: u64,
    pub start: i64,
    pub end: i64,
    pub action: &'static str,
    pub status: &'static str,
    pub flags: Option<u16>,
    pub account: String,
    pub vpc: String,
    /// `flow-direction`; `-` when not set.
    pub direction: Option<&'static str>,
    /// Set by [`connection`]: the logging interface is the client's end.
    pub at_client: bool,
    /// Set by [`connection`]: the server's answer, not the client's request.
    pub response: bool,
}

pub fn rec(eni: &str, src: &str, sport: u16, dst: &str, dport: u16) -> Rec {
    Rec {
        eni: eni.into(),
        src: src.into(),
        dst: dst.into(),
        sport,
        dport,
        proto: 6,
        packets: 5,
        bytes: 900,
        start: T0 + 60,
        end: T0 + 120,
        action: "ACCEPT",
        status: "OK",
        flags: None,
        account: "123456789012".into(),
        vpc: "vpc-1".into(),
        direction: None,
        at_client: true,
        response: false,
    }
}

/// A NODATA or SKIPDATA record.
pub fn status_rec(eni: &str, status: &'static str, start: i64) -> Rec {
    Rec {
        status,
        start,
        end: start + 540,
        ..rec(eni, "-", 0, "-", 0)
    }
}

impl Rec {
    pub fn flags(mut self, f: u16) -> Self {
        self.flags = Some(f);
        self
    }

    pub fn proto(mut self, p: u8) -> Self {
        self.proto = p;
        self
    }

    /// A minute from `start`.
    pub fn at(mut self, start: i64) -> Self {
        self.start = start;
        self.end = start + 60;
        self
    }

    pub fn reject(mut self) -> Self {
        self.action = "REJECT";
        self
    }

    pub fn account(mut self, account: &str) -> Self {
        self.account = account.into();
        self
    }

    pub fn vpc(mut self, vpc: &str) -> Self {
        self.vpc = vpc.into();
        self
    }

    pub fn counts(mut self, packets: u64, bytes: u64) -> Self {
        self.packets = packets;
        self.bytes = bytes;
        self
    }

    /// `flow-direction` as the logging interface saw the record: egress
    /// for the client's request and the server's answer at their senders.
    pub fn directed(mut self) -> Self {
        self.direction = Some(if self.at_client != self.response {
            "egress"
        } else {
            "ingress"
        });
        self
    }

    /// The record's fields in the order `fields` names them (`${name}` or
    /// `name`); a field this record does not know is `-`.
    pub fn render(&self, fields: &str) -> String {
        let data = self.status == "OK";
        let d = |v: String| if data { v } else { "-".to_string() };
        fields
            .split_whitespace()
            .map(|f| {
                let f = f.trim_start_matches("${").trim_end_matches('}');
                match f {
                    "version" => "5".to_string(),
                    "account-id" => self.account.clone(),
                    "interface-id" => self.eni.clone(),
                    "srcaddr" | "pkt-srcaddr" => d(self.src.clone()),
                    "dstaddr" | "pkt-dstaddr" => d(self.dst.clone()),
                    "srcport" => d(self.sport.to_string()),
                    "dstport" => d(self.dport.to_string()),
                    "protocol" => d(self.proto.to_string()),
                    "packets" => d(self.packets.to_string()),
                    "bytes" => d(self.bytes.to_string()),
                    "start" => self.start.to_string(),
                    "end" => self.end.to_string(),
                    "action" => d(self.action.to_string()),
                    "log-status" => self.status.to_string(),
                    "vpc-id" => self.vpc.clone(),
                    "tcp-flags" => match (data, self.flags) {
                        (true, Some(f)) => f.to_string(),
                        _ => "-".into(),
                    },
                    "flow-direction" => self.direction.unwrap_or("-").to_string(),
                    "type" => d(if self.src.contains(':') {
                        "IPv6"
                    } else {
                        "IPv4"
                    }
                    .into()),
                    "region" => "us-east-1".into(),
                    _ => "-".into(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// In the default format, where `version` is 2.
    pub fn v2(&self) -> String {
        let line = self.render(V2);
        format!("2{}", &line[1..])
    }
}

/// Lines of records in a format, with the format as a header line or not.
pub fn lines(recs: &[Rec], fields: &str, header: bool) -> String {
    let mut out = String::new();
    if header {
        out.push_str(fields);
        out.push('\n');
    }
    for r in recs {
        out.push_str(&r.render(fields));
        out.push('\n');
    }
    out
}

/// Lines of records in the default format, without a header.
pub fn v2_lines(recs: &[Rec]) -> String {
    recs.iter().map(|r| r.v2() + "\n").collect()
}

/// The records of one TCP connection in one interval: request and
/// response, at the client's interface and at the server's where given
/// (interface, address, port). `syn` sets the flags of a first interval
/// (2 and 18); otherwise they are 0.
pub fn connection(
    client: (Option<&str>, &str, u16),
    server: (Option<&str>, &str, u16),
    start: i64,
    syn: bool,
) -> Vec<Rec> {
    let (ce, ca, cp) = client;
    let (se, sa, sp) = server;
    let (fq, fr) = if syn { (2, 18) } else { (0, 0) };
    let mut out = Vec::new();
    for (eni, at_client) in [(ce, true), (se, false)] {
        let Some(eni) = eni else { continue };
        let side = |r: Rec, response: bool| Rec {
            at_client,
            response,
            ..r
        };
        out.push(side(rec(eni, ca, cp, sa, sp).at(start).flags(fq), false));
        out.push(side(rec(eni, sa, sp, ca, cp).at(start).flags(fr), true));
    }
    out
}

/// `bytes` compressed with gzip, as S3 delivers flow logs.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}
