//! Per-row cost of folding Logs Insights rows (`--insights`): each row
//! rebuilt as a line, parsed, reduced and folded through the pushed-down
//! entry, then the orientation pass (`finish`). The rows are `sgpair
//! generate`'s records, one per row: the worst case, where no two records
//! share a 5-tuple (short connections), so rows are as many as records.
//! Run: `cargo bench --no-default-features --bench insights`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sgpair::aggregate::Aggregator;
use sgpair::generate::sample;
use sgpair::parse::{Field, Format};
use sgpair::pushdown::insights::{Insights, name};
use sgpair::stats::{Span, Stats};

const ROWS: u64 = 100_000;

fn bench(c: &mut Criterion) {
    let text = sample(ROWS, 50, 7);
    let format = Format::default_v2();
    let q = Insights::new(&format).expect("default format");
    // A row as Insights returns it: the group fields, then the aggregates.
    let rows: Vec<Vec<(String, String)>> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let l = std::str::from_utf8(l).unwrap();
            let mut row = vec![("n_records".to_string(), "1".to_string())];
            for (c, v) in format.columns.iter().zip(l.split(' ')) {
                let c = c.expect("v2 columns are fields");
                let agg = match c {
                    Field::Packets => vec!["sum_packets"],
                    Field::Bytes => vec!["sum_bytes"],
                    Field::Start => vec!["min_start", "max_start"],
                    Field::End => vec!["max_end"],
                    _ => {
                        row.push((name(c).unwrap(), v.to_string()));
                        continue;
                    }
                };
                // Insights leaves a sum of no numbers (NODATA's `-`) out.
                for a in agg.into_iter().filter(|_| v != "-") {
                    row.push((a.to_string(), v.to_string()));
                }
            }
            row
        })
        .collect();

    let mut g = c.benchmark_group("insights");
    g.throughput(Throughput::Elements(rows.len() as u64));
    g.bench_function("fold rows + finish", |b| {
        b.iter(|| {
            let (mut agg, mut stats, mut span) =
                (Aggregator::new(), Stats::default(), Span::default());
            for (i, row) in rows.iter().enumerate() {
                q.fold(
                    black_box(row),
                    ("bench", i as u64),
                    &mut agg,
                    &mut stats,
                    &mut span,
                )
                .unwrap();
            }
            black_box(agg.finish().connections.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
