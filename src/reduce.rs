//! Stage 3: reduce. One accepted record into one oriented observation: who
//! is the client, who is the server, which service port. Decides what a single
//! record can decide; what needs the whole window (fan-in, services proven by
//! other records) is left to [`crate::aggregate`], which sees every record.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use crate::parse::{Action, Direction, Record};

pub const TCP: u8 = 6;
pub const UDP: u8 = 17;
pub const ICMP: u8 = 1;
pub const ICMPV6: u8 = 58;

/// Service "port" of an ICMP connection whose type the log does not carry:
/// the rule must then allow every ICMP type.
pub const ICMP_ANY: u16 = u16::MAX;

/// The orientation rules as data. [`reduce`] applies them to one record, and
/// the pushed-down SQL ([`crate::pushdown`]) is generated from the same
/// constants, so the two cannot disagree on a number; `tests/it/pushdown.rs`
/// runs both over the same records and fails when their logic drifts.
pub mod rules {
    use super::{ICMP, ICMPV6};

    /// The aggregation key's fields, in [`super::ConnKey`]'s order: the SQL
    /// groups by these columns (the client's port is never one of them).
    pub const KEY: [&str; 4] = ["server", "port", "client", "proto"];
    /// `tcp-flags` bits that decide: SYN (2) and ACK (16, reported only with SYN).
    pub const FLAG_MASK: u16 = 0x12;
    /// The initiator's record: SYN without ACK.
    pub const FLAG_SYN: u16 = 0x02;
    /// The responder's record: SYN-ACK.
    pub const FLAG_SYN_ACK: u16 = 0x12;
    /// First registered port (below: well-known) and first ephemeral port.
    pub const REGISTERED: u16 = 1024;
    pub const EPHEMERAL: u16 = 32768;
    /// Per ICMP protocol: (protocol, echo request type, echo reply type).
    pub const ECHO: [(u8, u16, u16); 2] = [(ICMP, 8, 0), (ICMPV6, 128, 129)];
    /// Protocols whose records carry ports.
    pub const WITH_PORTS: [u8; 2] = [super::TCP, super::UDP];
}

/// How sure the orientation of one record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strength {
    /// A tie broken by the lower port: must be confirmed by other evidence.
    Weak,
    /// The two ports are in different ranges (well-known < registered < ephemeral).
    Clear,
    /// TCP flags (SYN / SYN-ACK) or the ICMP type said it.
    Certain,
}

/// The aggregation key: one service (server address, port, protocol) used by
/// one client address. The client's ephemeral port is not part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConnKey {
    pub server: IpAddr,
    pub port: u16,
    pub client: IpAddr,
    pub proto: u8,
}

impl Hash for ConnKey {
    /// Two words for the usual IPv4 key (hashed once per record).
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        match (self.server, self.client) {
            (IpAddr::V4(s), IpAddr::V4(c)) => {
                h.write_u64(u64::from(s.to_bits()) << 32 | u64::from(c.to_bits()));
                h.write_u32(u32::from(self.port) << 8 | u32::from(self.proto));
            }
            (s, c) => {
                s.hash(h);
                c.hash(h);
                h.write_u32(u32::from(self.port) << 8 | u32::from(self.proto));
            }
        }
    }
}

/// One accepted record, oriented: what [`reduce`] decided, and the record
/// it decided it of, whose other values it reads where they stand (a copy
/// of them, 180 bytes, was written and read again per record: 1.3% of the
/// reading's instructions on mesh's lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation<'r, 'a> {
    pub key: ConnKey,
    pub client_port: u16,
    pub strength: Strength,
    /// This record carries the initiator's SYN: one per connection per logging ENI.
    pub syn: bool,
    /// The packet's source is the client.
    src_is_client: bool,
    record: &'r Record<'a>,
}

impl<'a> Observation<'_, 'a> {
    pub fn interface_id(&self) -> Option<&'a str> {
        self.record.interface_id
    }

    /// The capturing interface's VPC, where the format logs it.
    pub fn vpc_id(&self) -> Option<&'a str> {
        self.record.vpc_id
    }

    /// The capturing interface's account, where the format logs it.
    pub fn account_id(&self) -> Option<&'a str> {
        self.record.account_id
    }

    pub fn bytes(&self) -> u64 {
        self.record.bytes
    }

    pub fn packets(&self) -> u64 {
        self.record.packets
    }

    pub fn start(&self) -> i64 {
        self.record.start
    }

    pub fn end(&self) -> i64 {
        self.record.end
    }

    /// The address the logging interface owns, when `flow-direction` says which.
    pub fn local_addr(&self) -> Option<IpAddr> {
        let r = self.record;
        r.flow_direction.map(|d| match d {
            Direction::Ingress => r.dstaddr,
            Direction::Egress => r.srcaddr,
        })
    }

    /// `pkt-*-aws-service` of the server side, where logged.
    pub fn server_service(&self) -> Option<&'a str> {
        if self.src_is_client {
            self.record.pkt_dst_aws_service
        } else {
            self.record.pkt_src_aws_service
        }
    }

    /// `pkt-*-aws-service` of the client side, where logged.
    pub fn client_service(&self) -> Option<&'a str> {
        if self.src_is_client {
            self.record.pkt_src_aws_service
        } else {
            self.record.pkt_dst_aws_service
        }
    }
}

/// A rejected record: never evidence for a rule, summarised in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The service it was sent to: the destination port, or for ICMP the
    /// type ([`ICMP_ANY`] where the log carries none).
    pub dstport: u16,
    pub proto: u8,
    pub start: i64,
    pub reason: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduced<'r, 'a> {
    Accepted(Observation<'r, 'a>),
    Rejected(Rejection<'a>),
    /// Source and destination are the same address: never crosses a security group.
    SelfTraffic,
}

/// Port ranges: 0 well-known (< 1024), 1 registered (< 32768), 2 ephemeral
/// (Linux 32768-60999, Windows 49152-65535).
pub fn port_class(p: u16) -> u8 {
    if p < rules::REGISTERED {
        0
    } else if p < rules::EPHEMERAL {
        1
    } else {
        2
    }
}

#[inline]
pub fn reduce<'r, 'a>(r: &'r Record<'a>) -> Reduced<'r, 'a> {
    // The packet's own addresses: what the groups of both ends see. They
    // differ from srcaddr/dstaddr at a NAT gateway (which shows its own
    // address) and for a secondary address (shown as the primary at the
    // receiving interface); using them makes every copy of a connection meet.
    let (src, dst) = (
        r.pkt_srcaddr.unwrap_or(r.srcaddr),
        r.pkt_dstaddr.unwrap_or(r.dstaddr),
    );
    if src == dst {
        return Reduced::SelfTraffic;
    }
    if r.action == Action::Reject {
        return Reduced::Rejected(Rejection {
            src,
            dst,
            dstport: rejected_port(r),
            proto: r.protocol,
            start: r.start,
            reason: r.reject_reason,
        });
    }
    // true: the packet's source is the client.
    let (src_is_client, port_src, port_dst, strength, syn) = orient(r);
    let (client, client_port, server, port) = if src_is_client {
        (src, port_src, dst, port_dst)
    } else {
        (dst, port_dst, src, port_src)
    };
    Reduced::Accepted(Observation {
        key: ConnKey {
            server,
            port,
            client,
            proto: r.protocol,
        },
        client_port,
        strength,
        syn,
        src_is_client,
        record: r,
    })
}

/// Returns (source is client, source's port, destination's port, strength,
/// carries SYN). For ICMP the ports become (0, type) in service terms.
#[inline]
fn orient(r: &Record<'_>) -> (bool, u16, u16, Strength, bool) {
    if r.protocol == ICMP || r.protocol == ICMPV6 {
        return orient_icmp(r);
    }
    if r.protocol == TCP
        && let Some(flags) = r.tcp_flags
    {
        // FIN 1, SYN 2, RST 4, ACK 16 (only reported together with SYN).
        if flags & rules::FLAG_MASK == rules::FLAG_SYN {
            return (true, r.srcport, r.dstport, Strength::Certain, true);
        }
        if flags & rules::FLAG_MASK == rules::FLAG_SYN_ACK {
            return (false, r.srcport, r.dstport, Strength::Certain, false);
        }
    }
    if !rules::WITH_PORTS.contains(&r.protocol) && r.srcport == 0 && r.dstport == 0 {
        // A protocol without ports (GRE, ESP, ...): the sender is the only guess,
        // and the aggregate confirms it by the direction of the records.
        return (true, 0, 0, Strength::Weak, false);
    }
    let (cs, cd) = (port_class(r.srcport), port_class(r.dstport));
    let src_is_client = match cs.cmp(&cd) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => r.srcport >= r.dstport,
    };
    let strength = if cs == cd {
        Strength::Weak
    } else {
        Strength::Clear
    };
    (src_is_client, r.srcport, r.dstport, strength, false)
}

/// The service "port" of a rejected record, as an accepted record's is
/// read: its destination port; for ICMP its type (the source-port field),
/// or [`ICMP_ANY`] where the log carries none (both ports 0). The code (the
/// destination-port field) is no service.
#[inline]
fn rejected_port(r: &Record<'_>) -> u16 {
    match r.protocol {
        ICMP | ICMPV6 if r.srcport == 0 && r.dstport == 0 => ICMP_ANY,
        ICMP | ICMPV6 => r.srcport,
        _ => r.dstport,
    }
}

fn orient_icmp(r: &Record<'_>) -> (bool, u16, u16, Strength, bool) {
    let (_, echo_request, echo_reply) = rules::ECHO
        .into_iter()
        .find(|(p, ..)| *p == r.protocol)
        .unwrap_or(rules::ECHO[0]);
    if r.srcport == 0 && r.dstport == 0 {
        // The flow log does not carry the ICMP type: the sender is the client
        // until the aggregate sees the other direction.
        return (true, 0, ICMP_ANY, Strength::Weak, false);
    }
    // Where the ports are set they carry the type (source port) and code.
    match r.srcport {
        t if t == echo_request => (true, 0, echo_request, Strength::Certain, true),
        t if t == echo_reply => (false, echo_request, 0, Strength::Certain, false),
        t => (true, 0, t, Strength::Clear, false),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::parse::Action;

    /// An accepted record at `eni-1`, one packet of 100 bytes.
    pub(crate) fn rec(
        src: &str,
        sp: u16,
        dst: &str,
        dp: u16,
        proto: u8,
        flags: Option<u16>,
    ) -> Record<'static> {
        Record {
            interface_id: Some("eni-1"),
            vpc_id: None,
            account_id: None,
            srcaddr: src.parse().unwrap(),
            dstaddr: dst.parse().unwrap(),
            pkt_srcaddr: None,
            pkt_dstaddr: None,
            srcport: sp,
            dstport: dp,
            protocol: proto,
            packets: 1,
            bytes: 100,
            start: 10,
            end: 20,
            action: Action::Accept,
            tcp_flags: flags,
            flow_direction: None,
            pkt_src_aws_service: None,
            pkt_dst_aws_service: None,
            reject_reason: None,
        }
    }

    /// The observation of `r`, which the test keeps for its whole run.
    fn obs(r: Record<'static>) -> Observation<'static, 'static> {
        match reduce(Box::leak(Box::new(r))) {
            Reduced::Accepted(o) => o,
            other => panic!("expected accepted, got {other:?}"),
        }
    }

    #[test]
    fn syn_marks_the_client_even_on_a_high_service_port() {
        let o = obs(rec("10.0.0.1", 40000, "10.0.0.2", 50051, TCP, Some(2)));
        assert_eq!(o.key.client, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(o.key.port, 50051);
        assert_eq!(o.client_port, 40000);
        assert_eq!(o.strength, Strength::Certain);
        assert!(o.syn);
    }

    #[test]
    fn syn_ack_marks_the_server() {
        let o = obs(rec("10.0.0.2", 50051, "10.0.0.1", 40000, TCP, Some(19)));
        assert_eq!(o.key.server, "10.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(o.key.port, 50051);
        assert_eq!(o.strength, Strength::Certain);
        assert!(!o.syn);
    }

    #[test]
    fn request_and_response_reduce_to_the_same_key() {
        let req = obs(rec("10.0.0.1", 45000, "10.0.0.2", 3306, TCP, None));
        let resp = obs(rec("10.0.0.2", 3306, "10.0.0.1", 45000, TCP, None));
        assert_eq!(req.key, resp.key);
        assert_eq!(req.key.port, 3306);
        assert_eq!(req.strength, Strength::Clear);
    }

    #[test]
    fn same_range_ports_are_only_a_weak_guess() {
        let o = obs(rec("10.0.0.1", 40000, "10.0.0.2", 50051, TCP, None));
        assert_eq!(o.strength, Strength::Weak);
        assert_eq!(o.key.port, 40000, "lower port guessed as the service");
    }

    #[test]
    fn flags_without_syn_fall_back_to_ports() {
        let o = obs(rec("10.0.0.2", 443, "10.0.0.1", 51000, TCP, Some(1)));
        assert_eq!(o.key.port, 443);
        assert_eq!(o.strength, Strength::Clear);
    }

    #[test]
    fn icmp_without_type_allows_any_type_and_guesses_the_sender() {
        let o = obs(rec("10.0.0.1", 0, "10.0.0.2", 0, ICMP, None));
        assert_eq!(o.key.port, ICMP_ANY);
        assert_eq!(o.key.client, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(o.strength, Strength::Weak);
    }

    #[test]
    fn icmp_echo_reply_points_back_to_the_pinger() {
        let o = obs(rec("10.0.0.2", 0, "10.0.0.1", 0, ICMP, None));
        assert_eq!(o.key.client, "10.0.0.2".parse::<IpAddr>().unwrap());
        let reply = obs(rec("10.0.0.2", 0, "10.0.0.1", 5, ICMP, None));
        // type 0 / code 5 is an echo reply: the destination pinged.
        assert_eq!(reply.key.client, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(reply.key.port, 8);
        assert_eq!(reply.strength, Strength::Certain);
    }

    /// A rejected ICMP record names its service as an accepted one does:
    /// the type, every type where the log carries none; never the code.
    #[test]
    fn a_rejected_record_names_the_service_an_accepted_one_would() {
        let rejected = |sp, dp, proto| {
            let mut r = rec("10.0.0.1", sp, "10.0.0.2", dp, proto, None);
            r.action = Action::Reject;
            match reduce(&r) {
                Reduced::Rejected(rj) => rj.dstport,
                other => panic!("expected rejected, got {other:?}"),
            }
        };
        for (sp, dp, proto, service) in [
            (0, 0, ICMP, ICMP_ANY),
            (0, 0, ICMPV6, ICMP_ANY),
            (8, 0, ICMP, 8),
            (3, 3, ICMP, 3),
            (128, 0, ICMPV6, 128),
            (51000, 22, TCP, 22),
            (0, 0, 47, 0),
        ] {
            assert_eq!(
                rejected(sp, dp, proto),
                service,
                "{sp}/{dp} protocol {proto}"
            );
        }
        // Accepted, the same type-less record is a connection to every type.
        assert_eq!(
            obs(rec("10.0.0.1", 0, "10.0.0.2", 0, ICMP, None)).key.port,
            ICMP_ANY
        );
    }

    #[test]
    fn reject_and_self_traffic_are_not_observations() {
        let mut r = rec("10.0.0.1", 40000, "10.0.0.2", 22, TCP, None);
        r.action = Action::Reject;
        assert!(matches!(reduce(&r), Reduced::Rejected(_)));
        let s = rec("10.0.0.1", 40000, "10.0.0.1", 22, TCP, None);
        assert_eq!(reduce(&s), Reduced::SelfTraffic);
    }

    #[test]
    fn packet_addresses_win_over_the_interface_view() {
        // At a NAT gateway: dstaddr is the gateway, pkt-dstaddr the real destination.
        let mut r = rec("10.0.1.10", 45000, "10.0.0.200", 443, TCP, Some(2));
        r.pkt_dstaddr = Some("192.0.2.10".parse().unwrap());
        let o = obs(r);
        assert_eq!(o.key.server, "192.0.2.10".parse::<IpAddr>().unwrap());
        assert_eq!(o.key.client, "10.0.1.10".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn flow_direction_names_the_local_address() {
        let mut r = rec("10.0.0.1", 40000, "10.0.0.2", 22, TCP, None);
        r.flow_direction = Some(Direction::Ingress);
        assert_eq!(obs(r).local_addr(), Some("10.0.0.2".parse().unwrap()));
    }
}
