//! The merge of pushed-down rows (`--athena`): 1 million connection rows,
//! as an engine returns them, read from their CSV and folded into an
//! aggregator, then finished into evidence. Wall and CPU time per stage
//! (CPU from /proc/thread-self/schedstat: the time this thread was on a CPU,
//! so a busy machine shows as wall > CPU). Run:
//! `cargo bench --no-default-features --bench pushed` (ROWS, RUNS).

use std::fmt::Write;
use std::hint::black_box;
use std::time::Instant;

use sgpair::aggregate::Aggregator;
use sgpair::pushdown::read_csv;

/// Nanoseconds this thread has been on a CPU.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// `rows` rows of the connections query's result: 2,000 interfaces in 20
/// VPCs, servers on a few ports, a million (interface, client, server,
/// port) keys, settled by flags, fan-in or port range.
fn result_csv(rows: u64) -> String {
    let mut s = String::from(
        "kind,interface,account,vpc,client,server,port,proto,tcp_flags,first,last,bytes,packets,records,syns,client_ports,client_port,method,strength\n",
    );
    for i in 0..rows {
        let eni = i % 2000;
        let (c, sv) = (i / 2000, i % 997);
        let port = [443, 5432, 6379, 8080, 50051][(i % 5) as usize];
        let method = [0, 2, 5][(i % 3) as usize];
        let _ = writeln!(
            s,
            "conn,eni-{eni:017x},123456789012,vpc-{:017x},10.{}.{}.{},10.200.{}.{},{port},6,{},{},{},{},{},{},{},{},,{method},{}",
            eni % 20,
            c % 250,
            (c / 250) % 250,
            c % 200 + 1,
            sv / 250,
            sv % 250,
            if method == 0 { "18" } else { "" },
            1_795_000_000 + i as i64 % 86_400,
            1_795_086_000,
            1000 + i % 5000,
            10 + i % 50,
            1 + i % 40,
            i % 3,
            2 + i % 30,
            if method == 0 { 2 } else { 1 },
        );
    }
    s
}

fn main() {
    let rows: u64 = std::env::var("ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let csv = result_csv(rows);
    println!(
        "pushed-down merge: {rows} rows, {:.1} MB of CSV, {runs} runs",
        csv.len() as f64 / 1e6
    );
    for run in 1..=runs {
        let (w0, c0) = (Instant::now(), cpu_ns());
        let mut agg = Aggregator::new();
        let got = read_csv(csv.as_bytes(), "bench", &mut agg).expect("the CSV reads");
        let (w1, c1) = (Instant::now(), cpu_ns());
        let ev = black_box(agg.finish());
        let (w2, c2) = (Instant::now(), cpu_ns());
        let cpu = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => format!("{:.3} s", (b - a) as f64 / 1e9),
            _ => "n/a".into(),
        };
        println!(
            "run {run}: read+fold {:.3} s wall, {} CPU; finish {:.3} s wall, {} CPU; {} rows -> {} connections",
            (w1 - w0).as_secs_f64(),
            cpu(c0, c1),
            (w2 - w1).as_secs_f64(),
            cpu(c1, c2),
            got.rows,
            ev.connections.len()
        );
    }
}
