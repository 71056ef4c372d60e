//! Classes of addresses that no interface holds.

use std::net::IpAddr;

use crate::inventory::Cidr;

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
