//! Unit tests of the aggregator, one file per topic: `orientation` (which
//! side started a connection), `merge` (merging aggregators, port sets,
//! rejected sources), `stored` (the stored aggregation and expiry), `table`
//! (the connection table, shrinking), `order` (output order), `interfaces`.

use super::*;
use crate::parse::Record;
use crate::reduce::tests::rec;
use crate::reduce::{ICMP, ICMP_ANY, TCP, UDP};
use crate::reduce::{Reduced, reduce};

mod interfaces;
mod merge;
mod order;
mod orientation;
mod stored;
mod table;

#[allow(clippy::too_many_arguments)]
fn feed(
    agg: &mut Aggregator,
    eni: &'static str,
    src: &str,
    sp: u16,
    dst: &str,
    dp: u16,
    proto: u8,
    flags: Option<u16>,
    start: i64,
) {
    // Two packets over a minute.
    let r = Record {
        interface_id: Some(eni),
        packets: 2,
        start,
        end: start + 60,
        ..rec(src, sp, dst, dp, proto, flags)
    };
    match reduce(&r) {
        Reduced::Accepted(o) => agg.add(&o),
        other => panic!("{other:?}"),
    }
}

/// A xorshift generator: the same numbers on every run.
fn numbers(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}
