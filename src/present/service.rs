//! How a service is spelled: a protocol with its ports, or with its ICMP
//! type. The proposed rules, the connections of the evidence and today's
//! rules each have their own shape, and their own spelling here.

use crate::inventory::protocol_number;
use crate::present::names::protocol;
use crate::reduce::{ICMP, ICMP_ANY, ICMPV6, TCP, UDP};
use crate::synthesize::Rule;

/// `8080/tcp`, `8080-8082/tcp`, `icmp type 8`, `icmp (all types)`,
/// `protocol 47`: what a proposed rule allows.
pub fn of_rule(rule: &Rule) -> String {
    let p = protocol(rule.proto);
    match rule.proto {
        TCP | UDP if rule.from_port == rule.to_port => format!("{}/{p}", rule.from_port),
        TCP | UDP => format!("{}-{}/{p}", rule.from_port, rule.to_port),
        ICMP | ICMPV6 if rule.from_port < 0 => format!("{p} (all types)"),
        ICMP | ICMPV6 => format!("{p} type {}", rule.from_port),
        _ => format!("protocol {p}"),
    }
}

/// `443/tcp`, `icmp (all types)`, `icmp type 8`, `protocol 47`: the
/// spelling of [`of_rule`], for the single port (or ICMP type) of a
/// connection, as the reports' tables say it.
pub fn of_port(port: u16, proto: u8) -> String {
    let p = protocol(proto);
    match proto {
        TCP | UDP => format!("{port}/{p}"),
        ICMP | ICMPV6 if port == ICMP_ANY => format!("{p} (all types)"),
        ICMP | ICMPV6 => format!("{p} type {port}"),
        _ => format!("protocol {p}"),
    }
}

/// `443/tcp`, `icmp`, `icmp type 8`, `protocol 47`: the single port of a
/// connection as the findings say it.
pub fn in_finding(port: u16, proto: u8) -> String {
    match proto {
        TCP | UDP => format!("{port}/{}", protocol(proto)),
        ICMP | ICMPV6 if port == ICMP_ANY => protocol(proto),
        ICMP | ICMPV6 => format!("{} type {port}", protocol(proto)),
        p => format!("protocol {p}"),
    }
}

/// `all traffic`, `all tcp`, `22/tcp`, `1024-65535/tcp`, `icmp type 8`:
/// what one of today's rules allows, from its protocol as AWS spells it
/// (`tcp`, `-1`, `47`) and its optional ports.
pub fn of_sg_rule(proto: &str, from: Option<i32>, to: Option<i32>) -> String {
    match (protocol_number(proto), from, to) {
        (None, _, _) => "all traffic".into(),
        (Some(p), None, _) | (Some(p), Some(-1), _) => format!("all {}", protocol(p)),
        (Some(p @ (TCP | UDP)), Some(f), Some(t)) if f == t => {
            format!("{f}/{}", protocol(p))
        }
        (Some(p @ (TCP | UDP)), Some(f), Some(t)) => format!("{f}-{t}/{}", protocol(p)),
        (Some(p), Some(f), _) => format!("{} type {f}", protocol(p)),
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
        assert_eq!(of_port(ICMP_ANY, ICMP), "icmp (all types)");
        assert_eq!(of_port(8, ICMP), "icmp type 8");
        assert_eq!(of_port(0, 47), "protocol 47");
        assert_eq!(in_finding(53, UDP), "53/udp");
        assert_eq!(in_finding(ICMP_ANY, ICMP), "icmp");
        assert_eq!(in_finding(0, 47), "protocol 47");
    }

    #[test]
    fn one_of_today_s_rules() {
        assert_eq!(of_sg_rule("-1", None, None), "all traffic");
        assert_eq!(of_sg_rule("tcp", Some(22), Some(22)), "22/tcp");
        assert_eq!(of_sg_rule("tcp", Some(1024), Some(65535)), "1024-65535/tcp");
        assert_eq!(of_sg_rule("udp", None, None), "all udp");
        assert_eq!(of_sg_rule("icmp", Some(-1), Some(-1)), "all icmp");
        assert_eq!(of_sg_rule("icmp", Some(8), Some(-1)), "icmp type 8");
    }
}
