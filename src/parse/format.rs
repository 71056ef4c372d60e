//! Field layouts: the default v2 order, custom orders from a header line or
//! `--log-format`, and detection of header lines inside a stream.

use std::fmt;

/// Every field a VPC flow-log record can carry (v2 to v8), plus the
/// transit-gateway fields, which are recognised only to refuse them clearly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Version,
    AccountId,
    InterfaceId,
    SrcAddr,
    DstAddr,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    VpcId,
    SubnetId,
    InstanceId,
    TcpFlags,
    Type,
    PktSrcAddr,
    PktDstAddr,
    Region,
    AzId,
    SublocationType,
    SublocationId,
    PktSrcAwsService,
    PktDstAwsService,
    FlowDirection,
    TrafficPath,
    /// The ten v7 ECS fields: carried, not used.
    Ecs,
    RejectReason,
    /// A field of transit-gateway flow logs (`tgw-*`, `resource-type`, ...).
    TransitGateway,
}

impl Field {
    /// Looks a field up by the name a header line, a Parquet column or
    /// `--log-format` uses for it (`interface-id`, `interface_id`,
    /// `${interface-id}`).
    pub fn from_name(name: &str) -> Option<Field> {
        let name = name.trim();
        let name = name
            .strip_prefix("${")
            .and_then(|n| n.strip_suffix('}'))
            .unwrap_or(name);
        // Normalised on the stack: this runs on every line whose first
        // character is a letter (custom formats starting with vpc-id, ...).
        let mut buf = [0u8; 32];
        let owned: String;
        let norm: &str = if name.len() <= buf.len() && name.is_ascii() {
            for (d, c) in buf.iter_mut().zip(name.bytes()) {
                *d = if c == b'_' {
                    b'-'
                } else {
                    c.to_ascii_lowercase()
                };
            }
            std::str::from_utf8(&buf[..name.len()]).expect("ASCII stays ASCII")
        } else {
            owned = name
                .chars()
                .map(|c| {
                    if c == '_' {
                        '-'
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect();
            &owned
        };
        Some(match norm {
            "version" => Field::Version,
            "account-id" => Field::AccountId,
            "interface-id" => Field::InterfaceId,
            "srcaddr" => Field::SrcAddr,
            "dstaddr" => Field::DstAddr,
            "srcport" => Field::SrcPort,
            "dstport" => Field::DstPort,
            "protocol" => Field::Protocol,
            "packets" => Field::Packets,
            "bytes" => Field::Bytes,
            "start" => Field::Start,
            "end" => Field::End,
            "action" => Field::Action,
            "log-status" => Field::LogStatus,
            "vpc-id" => Field::VpcId,
            "subnet-id" => Field::SubnetId,
            "instance-id" => Field::InstanceId,
            "tcp-flags" => Field::TcpFlags,
            "type" => Field::Type,
            "pkt-srcaddr" => Field::PktSrcAddr,
            "pkt-dstaddr" => Field::PktDstAddr,
            "region" => Field::Region,
            "az-id" => Field::AzId,
            "sublocation-type" => Field::SublocationType,
            "sublocation-id" => Field::SublocationId,
            "pkt-src-aws-service" => Field::PktSrcAwsService,
            "pkt-dst-aws-service" => Field::PktDstAwsService,
            "flow-direction" => Field::FlowDirection,
            "traffic-path" => Field::TrafficPath,
            "ecs-cluster-arn"
            | "ecs-cluster-name"
            | "ecs-container-instance-arn"
            | "ecs-container-instance-id"
            | "ecs-container-id"
            | "ecs-second-container-id"
            | "ecs-service-name"
            | "ecs-task-definition-arn"
            | "ecs-task-arn"
            | "ecs-task-id" => Field::Ecs,
            "reject-reason" => Field::RejectReason,
            "resource-type"
            | "packets-lost-no-route"
            | "packets-lost-blackhole"
            | "packets-lost-mtu-exceeded"
            | "packets-lost-ttl-expired" => Field::TransitGateway,
            n if n.starts_with("tgw-") => Field::TransitGateway,
            _ => return None,
        })
    }
}

/// The column layout of a stream of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// One entry per column; `None` for a column whose name is unknown.
    pub columns: Vec<Option<Field>>,
    /// Names of columns that are not flow-log fields (kept for messages).
    pub unknown: Vec<String>,
    /// Where the layout came from, for messages.
    pub origin: FormatOrigin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatOrigin {
    /// No header and no `--log-format`: the v2 default order was assumed.
    DefaultAssumed,
    /// A header line in the file.
    Header,
    /// Given by the user (`--log-format`).
    Given,
}

/// Why a layout cannot be used for security-group inference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    MissingFields(Vec<&'static str>),
    TransitGateway,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::MissingFields(m) => write!(
                f,
                "the format lacks {}: sgpair needs srcaddr, dstaddr, srcport, dstport, protocol, start and action",
                m.join(", ")
            ),
            FormatError::TransitGateway => write!(
                f,
                "this is a transit-gateway flow log: its records are not per network interface, so they cannot map to security groups"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

pub const DEFAULT_V2: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

impl Format {
    /// The v2 default format, which every flow log without a custom format uses.
    pub fn default_v2() -> Format {
        let mut f = Format::from_names(DEFAULT_V2).expect("default format parses");
        f.origin = FormatOrigin::DefaultAssumed;
        f
    }

    /// Builds a layout from space-separated field names (a header line, or
    /// the `LogFormat` string of a flow log with `${...}` around each name).
    /// Returns `None` when no token is a flow-log field name.
    pub fn from_names(line: &str) -> Option<Format> {
        let mut columns = Vec::new();
        let mut unknown = Vec::new();
        for tok in line.split_ascii_whitespace() {
            let f = Field::from_name(tok);
            if f.is_none() {
                unknown.push(tok.to_string());
            }
            columns.push(f);
        }
        if columns.iter().all(Option::is_none) {
            return None;
        }
        Some(Format {
            columns,
            unknown,
            origin: FormatOrigin::Given,
        })
    }

    /// The column of a field, if the layout has it.
    pub fn index_of(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(field))
    }

    /// Checks that the layout can serve inference.
    pub fn validate(&self) -> Result<(), FormatError> {
        if self.columns.contains(&Some(Field::TransitGateway)) {
            return Err(FormatError::TransitGateway);
        }
        let needed = [
            (Field::SrcAddr, "srcaddr"),
            (Field::DstAddr, "dstaddr"),
            (Field::SrcPort, "srcport"),
            (Field::DstPort, "dstport"),
            (Field::Protocol, "protocol"),
            (Field::Start, "start"),
            (Field::Action, "action"),
        ];
        let missing: Vec<&'static str> = needed
            .iter()
            .filter(|(f, _)| self.index_of(*f).is_none())
            .map(|(_, n)| *n)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(FormatError::MissingFields(missing))
        }
    }
}

/// A line is a header when its first token names a flow-log field (records
/// start with a number or `-`, never with a letter-only field name).
pub fn looks_like_header(line: &[u8]) -> bool {
    let first = line
        .split(|b| *b == b' ' || *b == b'\t')
        .find(|t| !t.is_empty());
    match first {
        Some(tok) => {
            tok.first()
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'$')
                && std::str::from_utf8(tok).is_ok_and(|t| Field::from_name(t).is_some())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_layout_has_fourteen_columns_in_order() {
        let f = Format::default_v2();
        assert_eq!(f.columns.len(), 14);
        assert_eq!(f.index_of(Field::InterfaceId), Some(2));
        assert_eq!(f.index_of(Field::LogStatus), Some(13));
        assert_eq!(f.origin, FormatOrigin::DefaultAssumed);
        assert!(f.validate().is_ok());
    }

    #[test]
    fn names_accept_parquet_and_log_format_spellings() {
        assert_eq!(Field::from_name("interface_id"), Some(Field::InterfaceId));
        assert_eq!(Field::from_name("${tcp-flags}"), Some(Field::TcpFlags));
        assert_eq!(Field::from_name("ecs-task-id"), Some(Field::Ecs));
        assert_eq!(Field::from_name("tgw-id"), Some(Field::TransitGateway));
        assert_eq!(Field::from_name("colour"), None);
    }

    #[test]
    fn custom_order_and_unknown_names() {
        let f = Format::from_names("srcaddr dstaddr srcport dstport protocol start action colour")
            .unwrap();
        assert_eq!(f.index_of(Field::Action), Some(6));
        assert_eq!(f.unknown, vec!["colour".to_string()]);
        assert!(f.validate().is_ok());
    }

    #[test]
    fn nat_gateway_format_without_action_is_refused_with_the_missing_names() {
        let f =
            Format::from_names("instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr")
                .unwrap();
        let err = f.validate().unwrap_err();
        assert_eq!(
            err,
            FormatError::MissingFields(vec!["srcport", "dstport", "protocol", "start", "action"])
        );
    }

    #[test]
    fn transit_gateway_layout_is_refused() {
        let f =
            Format::from_names("version resource-type account-id tgw-id srcaddr dstaddr").unwrap();
        assert_eq!(f.validate(), Err(FormatError::TransitGateway));
    }

    #[test]
    fn header_detection() {
        assert!(looks_like_header(
            b"version account-id interface-id srcaddr"
        ));
        assert!(looks_like_header(b"srcaddr dstaddr"));
        assert!(!looks_like_header(b"2 123456789010 eni-1 10.0.0.1"));
        assert!(!looks_like_header(b"- - - -"));
        assert!(!looks_like_header(b"hello world"));
        assert!(!looks_like_header(b""));
    }
}
