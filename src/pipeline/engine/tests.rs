use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::sync::{Condvar, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use super::*;
use crate::pipeline::read_stream;
use crate::window::Window;

fn opts() -> ReadOptions {
    ReadOptions::new(Window::ALL)
}

/// The reference: every line through one `LineReader`, in order, as
/// sgpair read before blocks.
fn line_by_line(paths: &[PathBuf]) -> (String, Stats) {
    let opts = opts();
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    for p in files::discover(paths).unwrap().files {
        let stream = files::open(&p, Arc::default()).unwrap();
        let mut lines = LineReader::new(stream.name, &opts, None, &mut stats);
        let mut reader = stream.reader;
        let mut buf = Vec::new();
        let mut n = 0;
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf).unwrap() == 0 {
                break;
            }
            n += 1;
            lines.line(&buf, n, &mut agg, &mut stats);
        }
        lines.flush(&mut stats);
    }
    agg.spans_into(&mut stats);
    (format!("{:?}", agg.finish()), stats)
}

fn records(n: usize, port: u16) -> String {
    (0..n)
        .map(|i| {
            format!(
                "2 1 eni-a 10.0.1.10 10.0.2.20 {} {port} 6 10 840 100 160 ACCEPT OK\n",
                30000 + i
            )
        })
        .collect()
}

/// A file listed, then gone before its turn: the run fails naming it;
/// with `--allow-partial` the others are read and it is missing.
#[test]
fn a_file_gone_between_listing_and_reading() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.log"), records(50, 5432)).unwrap();
    std::fs::write(d.path().join("b.log"), records(50, 6379)).unwrap();
    let listed = files::discover(&[d.path().to_path_buf()]).unwrap().files;
    std::fs::remove_file(d.path().join("b.log")).unwrap();
    let err = read_listed(&listed, &opts(), true, 2, BLOCK).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("b.log") && msg.contains("was it moved or deleted?"),
        "{msg}"
    );

    let partial = ReadOptions {
        allow_partial: true,
        ..opts()
    };
    let (agg, stats) = read_listed(&listed, &partial, true, 2, BLOCK).unwrap();
    assert_eq!(stats.used, 50);
    assert_eq!(stats.missing.len(), 1, "{:?}", stats.missing);
    assert!(stats.missing[0].contains("b.log"), "{:?}", stats.missing);
    assert_eq!(agg.finish().connections.len(), 1);
}

/// A file truncated after it was opened (rotation by copy and truncate):
/// an error at the line where it broke off, not silently less evidence.
#[test]
fn a_file_truncated_while_being_read() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("rotated.log");
    let text = records(20_000, 5432);
    let truncate = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .unwrap()
            .set_len(text.len() as u64 / 2)
            .unwrap()
    };
    let read = |opts: &ReadOptions| {
        std::fs::write(&p, &text).unwrap();
        let stream = files::open(&p, Arc::default()).unwrap();
        truncate();
        let mut agg = Aggregator::new();
        let mut stats = Stats::default();
        let r = read_stream(stream, opts, &mut agg, &mut stats, &|| {});
        (r, stats)
    };
    let (r, _) = read(&opts());
    let msg = format!("{:#}", r.unwrap_err());
    assert!(
        msg.contains("rotated.log:") && msg.contains("cannot read further"),
        "{msg}"
    );
    assert!(msg.contains("the file shrank while being read"), "{msg}");

    let partial = ReadOptions {
        allow_partial: true,
        ..opts()
    };
    let (r, stats) = read(&partial);
    r.unwrap();
    assert_eq!(stats.missing.len(), 1, "{:?}", stats.missing);
    // The whole lines before the break are evidence, and only those.
    assert!(stats.used > 0 && stats.used < 20_000, "{}", stats.used);
    assert_eq!(stats.skipped_total(), 0, "no cut line counted as malformed");
}

fn blocks(paths: &[PathBuf], workers: usize, block: usize) -> (String, Stats) {
    let (agg, stats) = read_files_with(paths, &opts(), true, workers, block).unwrap();
    (format!("{:?}", agg.finish()), stats)
}

/// Records of many kinds, a malformed line now and then, blank and CRLF
/// lines, a second header that changes the layout, a long line.
fn messy(seed: u64, lines: usize, header_at: Option<usize>) -> String {
    let mut out = String::new();
    let mut x = seed | 1;
    let mut custom = false;
    for i in 0..lines {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if Some(i) == header_at {
            out.push_str(
                "interface-id srcaddr dstaddr srcport dstport protocol start action colour\n",
            );
            custom = true;
            continue;
        }
        let eni = format!("eni-{:02}", x % 7);
        let (a, b) = (
            format!("10.0.{}.{}", x % 3, 10 + x % 5),
            format!("10.1.0.{}", 1 + (x >> 8) % 9),
        );
        let eport = 32768 + (x >> 16) % 20000;
        let port = [22u64, 443, 5432, 8080][((x >> 40) % 4) as usize];
        let line = match (x >> 20) % 23 {
            0 => "2 1 eni-bad 10.0.0.1 10.0.0.2 70000 22 6 1 1 1 2 ACCEPT OK".to_string(),
            1 => String::new(),
            2 => format!("2 1 {eni} - - - - - - - 100 160 - NODATA\r"),
            3 => "cut short".to_string(),
            4 => format!("   2 1 {eni} {a} {b} {eport} {port} 6 1 60 100 160 REJECT OK   "),
            5 => format!(
                "2 1 {eni} {a} {b} {eport} {port} 6 1 {} 100 160 ACCEPT OK{}",
                "9".repeat(40),
                " ".repeat(300)
            ),
            _ if custom => format!("{eni} {b} {a} {port} {eport} 6 {} ACCEPT blue", 100 + i),
            k if k % 2 == 0 => format!(
                "2 1 {eni} {a} {b} {eport} {port} 6 3 300 {} {} ACCEPT OK",
                100 + i,
                160 + i
            ),
            _ => format!(
                "2 1 {eni} {b} {a} {port} {eport} 6 3 900 {} {} ACCEPT OK\r",
                100 + i,
                160 + i
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("2 1 eni-last 10.9.9.9 10.9.9.8 40000 443 6 1 1 1 2 ACCEPT OK"); // no newline at the end
    out
}

#[test]
fn blocks_in_parallel_give_what_reading_line_by_line_gives() {
    let d = tempfile::tempdir().unwrap();
    let plain = d.path().join("a.log");
    std::fs::write(&plain, messy(1, 3000, None)).unwrap();
    let two_headers = d.path().join("b.log");
    std::fs::write(&two_headers, messy(2, 3000, Some(1700))).unwrap();
    let gz = d.path().join("c.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(format!("{}\n{}", DEFAULT_V2_HEADER, messy(3, 2500, Some(2000))).as_bytes())
        .unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let paths = vec![d.path().to_path_buf()];
    let want = line_by_line(&paths);
    assert!(want.1.skipped_total() > 100, "{:?}", want.1);
    // Spans per stream and per interface, compared below with the rest.
    assert_eq!(want.1.streams.len(), 3, "{:?}", want.1.streams);
    assert!(want.1.interfaces.len() >= 7, "{:?}", want.1.interfaces);
    let in_spans: u64 = want.1.interfaces.values().map(|s| s.records).sum();
    assert_eq!(in_spans, want.1.used + want.1.rejected);
    assert!(
        want.1
            .notes
            .iter()
            .any(|n| n.contains("b.log:1701: the header names columns")),
        "{:?}",
        want.1.notes
    );
    for (workers, block) in [(1, BLOCK), (4, 97), (3, 1000), (2, 4096), (8, 64 * 1024)] {
        let got = blocks(&paths, workers, block);
        assert_eq!(
            got.1, want.1,
            "stats with {workers} workers, blocks of {block}"
        );
        assert_eq!(
            got.0, want.0,
            "evidence with {workers} workers, blocks of {block}"
        );
    }
}

const DEFAULT_V2_HEADER: &str = crate::parse::format::DEFAULT_V2;

#[test]
fn line_numbers_in_messages_count_from_the_file_start_in_every_block() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.log");
    let good = "2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 1 100 160 ACCEPT OK\n";
    let mut text = String::new();
    for i in 1..=5000 {
        if i % 1000 == 0 {
            text.push_str("2 1 eni-1 10.0.0.1 10.0.0.2 40000 99999 6 1 1 100 160 ACCEPT OK\n");
        } else {
            text.push_str(good);
        }
    }
    std::fs::write(&p, text).unwrap();
    let (_, stats) = blocks(std::slice::from_ref(&p), 4, 1000);
    let name = p.display().to_string();
    let want: Vec<String> = (1..=5)
        .map(|k| {
            format!(
                "{name}:{}: dstport is \"99999\", which is not valid",
                k * 1000
            )
        })
        .collect();
    assert_eq!(stats.examples["bad port"], want);
    assert_eq!(stats.records, 5000);
    assert_eq!(stats.files, 1);
}

/// Orders the workers at the points where one used to leave for good: the
/// worker that claims a file is held until every other worker has found
/// nothing to do and waits for it, and each worker, after its first block,
/// until every worker has parsed one. A worker that leaves instead makes the
/// hold time out, which fails the run.
struct Meeting {
    workers: usize,
    /// Hold the first opener (one file: nobody else has work meanwhile).
    hold_opener: bool,
    waited: Mutex<HashSet<ThreadId>>,
    parsed: Mutex<HashSet<ThreadId>>,
    changed: Condvar,
}

impl Meeting {
    fn new(workers: usize, hold_opener: bool) -> Meeting {
        Meeting {
            workers,
            hold_opener,
            waited: Mutex::default(),
            parsed: Mutex::default(),
            changed: Condvar::new(),
        }
    }

    /// Waits until `set` holds `n` workers; panics (the worker's thread, so
    /// the run fails) after 20 s.
    fn until(&self, set: &Mutex<HashSet<ThreadId>>, n: usize, what: &str) {
        let mut s = set.lock().unwrap();
        while s.len() < n {
            let (g, t) = self
                .changed
                .wait_timeout(s, Duration::from_secs(20))
                .unwrap();
            s = g;
            assert!(
                !t.timed_out(),
                "{what}: {} of {n} workers got there; the others left",
                s.len()
            );
        }
    }
}

impl Hooks for Meeting {
    fn claimed(&self) {
        // Only the first claim: later files find the others busy, not waiting.
        if self.hold_opener && self.parsed.lock().unwrap().is_empty() {
            self.until(
                &self.waited,
                self.workers - 1,
                "waiting while a file is opened",
            );
        }
    }

    fn waiting(&self) {
        self.waited
            .lock()
            .unwrap()
            .insert(std::thread::current().id());
        self.changed.notify_all();
    }

    fn parsed(&self) {
        let first = self
            .parsed
            .lock()
            .unwrap()
            .insert(std::thread::current().id());
        self.changed.notify_all();
        if first {
            self.until(&self.parsed, self.workers, "parsing a block");
        }
    }
}

/// Reads `paths` with `workers` workers meeting as [`Meeting`] orders, and
/// returns the blocks each parsed and the evidence.
fn met(paths: &[PathBuf], workers: usize, block: usize) -> (Vec<u64>, String) {
    let files = files::discover(paths).unwrap().files;
    let meeting = Meeting::new(workers, files.len() == 1);
    let (agg, _, blocks) =
        read_listed_with(&files, &opts(), true, workers, block, &meeting).unwrap();
    (blocks, format!("{:?}", agg.finish()))
}

/// One large file, plain and gzip: the workers that start while the first
/// opens it wait for it (they used to find no stream and no file, and leave),
/// and every worker parses blocks of it.
#[test]
fn every_worker_parses_blocks_of_one_large_file() {
    let d = tempfile::tempdir().unwrap();
    let text = records(20_000, 5432);
    let plain = d.path().join("one.log");
    std::fs::write(&plain, &text).unwrap();
    let gz = d.path().join("one.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let (reference, _) = line_by_line(std::slice::from_ref(&plain));
    for path in [&plain, &gz] {
        for workers in [2, 4] {
            let (blocks, evidence) = met(std::slice::from_ref(path), workers, 4096);
            assert_eq!(blocks.len(), workers);
            assert!(
                blocks.iter().all(|&b| b > 0),
                "{}: blocks per worker {blocks:?}",
                path.display()
            );
            assert!(blocks.iter().sum::<u64>() >= text.len().div_ceil(4096) as u64);
            assert_eq!(evidence, reference);
        }
    }
}

/// Many small files: every worker parses blocks, and the blocks add up.
#[test]
fn blocks_per_worker_on_many_small_files() {
    let d = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let mut want = 0;
    for i in 0..24u16 {
        let text = records(300, 5000 + i);
        want += text.len().div_ceil(1024) as u64;
        let p = d.path().join(format!("f{i:02}.log"));
        std::fs::write(&p, &text).unwrap();
        paths.push(p);
    }
    let (reference, _) = line_by_line(std::slice::from_ref(&d.path().to_path_buf()));
    let (blocks, evidence) = met(std::slice::from_ref(&d.path().to_path_buf()), 3, 1024);
    assert_eq!(blocks.len(), 3);
    assert!(
        blocks.iter().all(|&b| b > 0),
        "blocks per worker {blocks:?}"
    );
    assert!(blocks.iter().sum::<u64>() >= want, "{blocks:?} < {want}");
    assert_eq!(evidence, reference);
}

/// Holds the first worker that takes a block, before it parses it, until
/// another worker has taken the stream and cut (inflated) the next block
/// from start to end. If cutting waited for parsing (a lock held across
/// both), the hold would time out and fail the run.
#[derive(Default)]
struct Overlap {
    state: Mutex<OverlapState>,
    changed: Condvar,
}

#[derive(Default)]
struct OverlapState {
    /// The worker held before parsing, while it is held.
    parser: Option<ThreadId>,
    /// A worker that began cutting while the parser was held.
    cutter: Option<ThreadId>,
    /// Cuts that began and ended while the parser was held, and gave a block.
    inside: Vec<ThreadId>,
    done: bool,
}

impl Hooks for Overlap {
    fn parsing(&self) {
        let me = std::thread::current().id();
        let mut s = self.state.lock().unwrap();
        if s.done || s.parser.is_some() {
            return;
        }
        s.parser = Some(me);
        while s.inside.is_empty() {
            let (g, t) = self
                .changed
                .wait_timeout(s, Duration::from_secs(20))
                .unwrap();
            s = g;
            assert!(
                !t.timed_out(),
                "no other worker cut a block while this one held one to parse"
            );
        }
        assert!(s.inside.iter().all(|&c| c != me));
        s.parser = None;
        s.done = true;
    }

    fn cutting(&self) {
        let me = std::thread::current().id();
        let mut s = self.state.lock().unwrap();
        if s.parser.is_some_and(|p| p != me) {
            s.cutter = Some(me);
        }
    }

    fn cut(&self, block: bool) {
        let me = std::thread::current().id();
        let mut s = self.state.lock().unwrap();
        if s.cutter == Some(me) && s.parser.is_some() && block {
            s.inside.push(me);
            self.changed.notify_all();
        }
        s.cutter = None;
    }
}

/// One large gzip file on two workers: while one worker holds a block to
/// parse, the other takes the stream and inflates the next one, so decoding
/// overlaps parsing (the stream is locked only while a block is cut).
#[test]
fn a_worker_inflates_the_next_block_while_another_parses() {
    let d = tempfile::tempdir().unwrap();
    let text = records(20_000, 5432);
    let gz = d.path().join("one.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let (reference, _) = line_by_line(std::slice::from_ref(&gz));
    for workers in [2, 3] {
        let overlap = Overlap::default();
        let files = files::discover(std::slice::from_ref(&gz)).unwrap().files;
        let (agg, _, blocks) =
            read_listed_with(&files, &opts(), true, workers, 4096, &overlap).unwrap();
        let s = overlap.state.lock().unwrap();
        assert!(s.done && !s.inside.is_empty(), "{workers} workers");
        assert!(blocks.iter().sum::<u64>() >= text.len().div_ceil(4096) as u64);
        assert_eq!(format!("{:?}", agg.finish()), reference);
    }
}
