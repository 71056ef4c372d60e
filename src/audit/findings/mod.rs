//! The findings, one builder per kind, in three families: today's rules
//! ([`rules`]), the traffic against them ([`traffic`]), and what the
//! evidence itself lacks ([`evidence`]). Each finding takes its id and
//! severity from the [catalogue](crate::audit::catalogue).

mod evidence;
mod rules;
mod traffic;

use crate::analysis::Analysis;
use crate::audit::before_after::Flows;
use crate::audit::{Finding, FindingKind, RuleUsage};
use crate::present::names;
use crate::reduce::{ICMP, ICMP_ANY, ICMPV6, TCP, UDP};

/// Every finding, most severe first; one severity by kind, one kind by
/// subject (a stable sort: findings alike keep the order they were found in).
pub(super) fn all(a: &Analysis, rules: &[RuleUsage], flows: &Flows) -> Vec<Finding> {
    let inv = &a.inventory;
    let keys = names::rule_keys(&a.proposal.rules, inv);
    let members = crate::inventory::Members::of(inv);
    let mut findings: Vec<Finding> = [
        rules::open_egress(&members, rules),
        rules::unused(&members, rules),
        rules::broader_than_used(&members, rules, &a.proposal.rules, &keys),
        rules::one_sided(inv, &members, rules),
        traffic::would_break(inv, &flows.breaks),
        traffic::not_allowed_today(&flows.not_allowed),
        traffic::suspicious(a),
        evidence::no_flow_logs(inv),
        evidence::skip_data(a),
        evidence::short_window(a),
        evidence::window_not_filled(a),
        evidence::thin_evidence(a, &keys),
        evidence::undecided_initiator(a),
    ]
    .into_iter()
    .flatten()
    .collect();
    findings.sort_by(|x, y| {
        y.severity
            .cmp(&x.severity)
            .then(x.kind.cmp(&y.kind))
            .then(x.subject.cmp(&y.subject))
    });
    findings
}

impl Finding {
    /// A finding of `kind` about `subject`, with the catalogue's severity
    /// and nothing else yet.
    fn new(kind: FindingKind, fingerprint: String, subject: String) -> Finding {
        Finding {
            kind,
            rule_id: kind.id(),
            severity: kind.severity(),
            fingerprint,
            subject,
            groups: Vec::new(),
            enis: Vec::new(),
            evidence: String::new(),
            fix: String::new(),
        }
    }
}

/// FNV-1a, 64 bits: a stable fingerprint without a crypto dependency.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The service part of a flow finding's fingerprint: `443/tcp`, `icmp`,
/// `icmp type 8`, `protocol 47`, as the findings said it when fingerprints
/// were defined (`sgpair/v1`). Kept as it is whatever the reports call a
/// service, so that an alert stays the same alert from version to version.
fn service_key(port: u16, proto: u8) -> String {
    let p = names::protocol(proto);
    match proto {
        TCP | UDP => format!("{port}/{p}"),
        ICMP | ICMPV6 if port == ICMP_ANY => p,
        ICMP | ICMPV6 => format!("{p} type {port}"),
        _ => format!("protocol {p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the reports call a service, a fingerprint hashes it as v1 did.
    #[test]
    fn the_service_part_of_a_fingerprint_is_v1_s() {
        assert_eq!(service_key(443, TCP), "443/tcp");
        assert_eq!(service_key(53, UDP), "53/udp");
        assert_eq!(service_key(ICMP_ANY, ICMP), "icmp");
        assert_eq!(service_key(ICMP_ANY, ICMPV6), "icmpv6");
        assert_eq!(service_key(8, ICMP), "icmp type 8");
        assert_eq!(service_key(0, 47), "protocol 47");
    }
}
