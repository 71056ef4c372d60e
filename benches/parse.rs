//! Per-record cost of the hot path: parse, reduce, aggregate.
//! Run: `cargo bench --bench parse`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sgpair::aggregate::Aggregator;
use sgpair::parse::{Format, Parsed, Parser};
use sgpair::reduce::{Reduced, reduce};

/// Deterministic v2 lines: 50 interfaces, ephemeral client ports, both directions.
fn lines(n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let client = 10 + (x % 40) as u8;
        let server = 60 + (x >> 8) as u8 % 10;
        let eport = 32768 + (x >> 16) as u16 % 28000;
        let sport = [443u16, 5432, 8080, 9100, 50051][(x >> 32) as usize % 5];
        let (src, sp, dst, dp) = if i % 2 == 0 {
            (
                format!("10.0.1.{client}"),
                eport,
                format!("10.0.2.{server}"),
                sport,
            )
        } else {
            (
                format!("10.0.2.{server}"),
                sport,
                format!("10.0.1.{client}"),
                eport,
            )
        };
        out.push(
            format!(
                "2 123456789012 eni-0{:016x} {src} {dst} {sp} {dp} 6 {} {} 1795000000 1795000060 ACCEPT OK",
                client,
                1 + x % 50,
                100 + x % 100_000
            )
            .into_bytes(),
        );
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = lines(100_000);
    let parser = Parser::new(&Format::default_v2()).expect("default format");
    let mut g = c.benchmark_group("per-record");
    g.throughput(Throughput::Elements(data.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for l in &data {
                black_box(parser.parse(black_box(l)).ok());
            }
        })
    });
    g.bench_function("parse+reduce", |b| {
        b.iter(|| {
            for l in &data {
                if let Ok(Parsed::Record(r)) = parser.parse(l) {
                    black_box(reduce(&r));
                }
            }
        })
    });
    g.bench_function("parse+reduce+aggregate", |b| {
        b.iter(|| {
            let mut agg = Aggregator::new();
            for l in &data {
                if let Ok(Parsed::Record(r)) = parser.parse(l)
                    && let Reduced::Accepted(o) = reduce(&r)
                {
                    agg.add(&o);
                }
            }
            black_box(agg.finish().connections.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
