//! Per-record cost of the hot path: parse (the generic parser, and the
//! one-pass parse that reads usual lines), reduce, aggregate, and the whole
//! line reader over a block of generated flow-log lines (`sgpair generate`'s
//! data: 50 interfaces, both directions at both ends, ephemeral client ports,
//! REJECT and NODATA). Run: `cargo bench --no-default-features --bench parse`
//! (the text path is the same with or without the AWS and Parquet features).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sgpair::aggregate::Aggregator;
use sgpair::generate::sample;
use sgpair::parse::{Format, Parsed, Parser, Record};
use sgpair::pipeline::{LineReader, ReadOptions};
use sgpair::reduce::{Reduced, reduce};
use sgpair::stats::Stats;
use sgpair::window::Window;

const LINES: u64 = 100_000;

fn bench(c: &mut Criterion) {
    let text = sample(LINES, 50, 7);
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let parser = Parser::new(&Format::default_v2()).expect("default format");
    let records: Vec<Record<'_>> = lines
        .iter()
        .filter_map(|l| match parser.parse(l) {
            Ok(Parsed::Record(r)) => Some(r),
            _ => None,
        })
        .collect();
    let opts = ReadOptions::new(Window::ALL);

    let mut g = c.benchmark_group("per-record");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(parser.parse(black_box(l)).ok());
            }
        })
    });
    g.bench_function("one-pass parse", |b| {
        b.iter(|| {
            let mut rec = Record::blank();
            let mut taken = 0u32;
            for l in &lines {
                taken += u32::from(parser.parse_fast(black_box(l), &mut rec));
            }
            black_box(taken)
        })
    });
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("reduce", |b| {
        b.iter(|| {
            for r in &records {
                black_box(reduce(black_box(r)));
            }
        })
    });
    g.bench_function("reduce+aggregate", |b| {
        b.iter(|| {
            let mut agg = Aggregator::new();
            for r in &records {
                match reduce(r) {
                    Reduced::Accepted(o) => agg.add(&o),
                    Reduced::Rejected(rj) => agg.add_rejection(&rj),
                    Reduced::SelfTraffic => {}
                }
            }
            black_box(agg.finish().connections.len())
        })
    });
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("parse+reduce+aggregate", |b| {
        b.iter(|| {
            let mut agg = Aggregator::new();
            for l in &lines {
                if let Ok(Parsed::Record(r)) = parser.parse(l)
                    && let Reduced::Accepted(o) = reduce(&r)
                {
                    agg.add(&o);
                }
            }
            black_box(agg.finish().connections.len())
        })
    });
    g.bench_function("line reader (block)", |b| {
        b.iter(|| {
            let mut agg = Aggregator::new();
            let mut stats = Stats::default();
            let mut reader = LineReader::new("bench".into(), &opts, None, &mut stats);
            reader.block(black_box(&text), 1, &mut agg, &mut stats);
            black_box(agg.finish().connections.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
