//! How a service is spelled, in every output: a protocol with its ports,
//! or with its ICMP type. `443/tcp`, `8080-8082/tcp`, `tcp (all ports)`,
//! `icmp type 8`, `icmp (all types)`, `protocol 47`, and `all traffic` for
//! a rule of every protocol. A proposed rule, one port of a connection and
//! one of today's rules each come in their own shape, and are spelled alike.

use crate::inventory::protocol_number;
use crate::present::names::protocol;
use crate::reduce::{ICMP, ICMP_ANY, ICMPV6, TCP, UDP};
use crate::synthesize::Rule;

/// The one spelling: protocol `proto` with the ports (or the ICMP type)
/// `from` to `to`; a negative `from` is every port (every type).
pub fn spell(proto: u8, from: i32, to: i32) -> String {
    let p = protocol(proto);
    match proto {
        TCP | UDP if from < 0 => format!("{p} (all ports)"),
        TCP | UDP if from == to => format!("{from}/{p}"),
        TCP | UDP => format!("{from}-{to}/{p}"),
        ICMP | ICMPV6 if from < 0 => format!("{p} (all types)"),
        ICMP | ICMPV6 => format!("{p} type {from}"),
        _ => format!("protocol {p}"),
    }
}

/// What a proposed rule allows.
pub fn of_rule(rule: &Rule) -> String {
    spell(rule.proto, rule.from_port, rule.to_port)
}

/// The single port (or ICMP type, [`ICMP_ANY`] for all) of a connection.
pub fn of_port(port: u16, proto: u8) -> String {
    let p = match proto {
        ICMP | ICMPV6 if port == ICMP_ANY => -1,
        _ => i32::from(port),
    };
    spell(proto, p, p)
}

/// What one of today's rules allows, from its protocol as AWS spells it
/// (`tcp`, `-1`, `47`) and its optional ports.
pub fn of_sg_rule(proto: &str, from: Option<i32>, to: Option<i32>) -> String {
    match protocol_number(proto) {
        None => "all traffic".into(),
        Some(p) => {
            let from = from.unwrap_or(-1);
            spell(p, from, to.unwrap_or(from))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::present::names::tests::rule;

    #[test]
    fn a_proposed_rule() {
        assert_eq!(of_rule(&rule("sg-1", "sg-2", TCP, 5432, 5432)), "5432/tcp");
        assert_eq!(
            of_rule(&rule("sg-1", "sg-2", TCP, 8080, 8082)),
            "8080-8082/tcp"
        );
        assert_eq!(
            of_rule(&rule("sg-1", "sg-2", ICMP, -1, -1)),
            "icmp (all types)"
        );
        assert_eq!(
            of_rule(&rule("sg-1", "sg-2", ICMPV6, 128, -1)),
            "icmpv6 type 128"
        );
        assert_eq!(of_rule(&rule("sg-1", "sg-2", 47, -1, -1)), "protocol 47");
    }

    #[test]
    fn one_port_of_a_connection() {
        assert_eq!(of_port(443, TCP), "443/tcp");
        assert_eq!(of_port(53, UDP), "53/udp");
        assert_eq!(of_port(ICMP_ANY, ICMP), "icmp (all types)");
        assert_eq!(of_port(ICMP_ANY, ICMPV6), "icmpv6 (all types)");
        assert_eq!(of_port(8, ICMP), "icmp type 8");
        assert_eq!(of_port(0, 47), "protocol 47");
        // A port protocol's highest port is a port, not "all".
        assert_eq!(of_port(ICMP_ANY, TCP), "65535/tcp");
    }

    #[test]
    fn one_of_today_s_rules() {
        assert_eq!(of_sg_rule("-1", None, None), "all traffic");
        assert_eq!(of_sg_rule("tcp", Some(22), Some(22)), "22/tcp");
        assert_eq!(of_sg_rule("tcp", Some(1024), Some(65535)), "1024-65535/tcp");
        assert_eq!(of_sg_rule("udp", None, None), "udp (all ports)");
        assert_eq!(of_sg_rule("icmp", Some(-1), Some(-1)), "icmp (all types)");
        assert_eq!(of_sg_rule("icmp", Some(8), Some(-1)), "icmp type 8");
        assert_eq!(of_sg_rule("47", None, None), "protocol 47");
    }

    /// Whatever its shape, one service is spelled one way.
    #[test]
    fn the_three_shapes_agree() {
        for (proto, port, from, aws) in [
            (TCP, 443, 443, "tcp"),
            (UDP, 53, 53, "udp"),
            (ICMP, ICMP_ANY, -1, "icmp"),
            (ICMP, 8, 8, "icmp"),
            (ICMPV6, ICMP_ANY, -1, "icmpv6"),
            (47, 0, -1, "47"),
        ] {
            let of_rule = of_rule(&rule("sg-1", "sg-2", proto, from, from));
            assert_eq!(of_port(port, proto), of_rule);
            assert_eq!(of_sg_rule(aws, Some(from), Some(from)), of_rule);
        }
    }
}
