//! Classes of addresses that no interface holds, and of interfaces that
//! forward other hosts' connections.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::inventory::{Cidr, NetworkInterface};

/// `com.amazonaws.us-east-1.s3` → `S3`.
pub(super) fn service_name(prefix_list: &str) -> String {
    prefix_list
        .rsplit('.')
        .next()
        .unwrap_or(prefix_list)
        .to_ascii_uppercase()
}

const fn v4(a: u8, b: u8, len: u8) -> Cidr {
    Cidr {
        addr: IpAddr::V4(Ipv4Addr::new(a, b, 0, 0)),
        len,
    }
}

const fn v6(first: u16, len: u8) -> Cidr {
    Cidr {
        addr: IpAddr::V6(Ipv6Addr::new(first, 0, 0, 0, 0, 0, 0, 0)),
        len,
    }
}

/// Private and shared address space (RFC 1918, RFC 6598, link-local,
/// loopback, unique local), parsed once: resolution asks per address.
const PRIVATE: &[Cidr] = &[
    v4(10, 0, 8),
    v4(172, 16, 12),
    v4(192, 168, 16),
    v4(100, 64, 10),
    v4(169, 254, 16),
    v4(127, 0, 8),
    v6(0xfc00, 7),
    v6(0xfe80, 10),
    Cidr {
        addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
        len: 128,
    },
];

pub fn is_private(ip: &IpAddr) -> bool {
    PRIVATE.iter().any(|c| c.contains(ip))
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
