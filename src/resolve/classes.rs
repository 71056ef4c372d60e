//! Classes of addresses that no interface holds, and of interfaces that
//! forward other hosts' connections.

use std::net::IpAddr;

use crate::inventory::{Cidr, NetworkInterface};

/// `com.amazonaws.us-east-1.s3` → `S3`.
pub(super) fn service_name(prefix_list: &str) -> String {
    prefix_list
        .rsplit('.')
        .next()
        .unwrap_or(prefix_list)
        .to_ascii_uppercase()
}

const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "127.0.0.0/8",
    "fc00::/7",
    "fe80::/10",
    "::1/128",
];

pub fn is_private(ip: &IpAddr) -> bool {
    PRIVATE
        .iter()
        .any(|c| c.parse::<Cidr>().expect("literal").contains(ip))
}

/// Interface types that carry other hosts' connections: at them, an address
/// that is not their own is never theirs.
pub(super) fn forwards(e: &NetworkInterface) -> bool {
    matches!(
        e.interface_type.as_str(),
        "nat_gateway"
            | "network_load_balancer"
            | "gateway_load_balancer"
            | "gateway_load_balancer_endpoint"
            | "transit_gateway"
    )
}
