use super::*;
use crate::aggregate::Aggregator;
use crate::pipeline::Reader;
use crate::sources::{Document, Sink};
use crate::stats::{Span, Stats};
use crate::window::Window;

fn opts() -> ReadOptions {
    ReadOptions::new(Window::ALL)
}

/// A record of `eni` from the client port `port` to 10.0.2.20:5432,
/// starting at `start`.
fn record(eni: &str, port: u16, start: i64) -> String {
    format!(
        "2 123456789012 {eni} 10.0.1.10 10.0.2.20 {port} 5432 6 10 840 {start} {} ACCEPT OK",
        start + 60
    )
}

/// A document's items, each (stream, line), numbered from 1.
fn document(items: &[(&str, String)]) -> Reading {
    let mut doc = Reader::new(opts()).document("d.json".into(), Notes::default());
    for (n, (stream, line)) in items.iter().enumerate() {
        doc.line(stream, line.as_bytes(), n as u64 + 1);
    }
    doc.finish()
}

/// The lines of two streams interleaved in one document give the evidence
/// of the two streams read apart; each stream is counted with its own span,
/// and the assumed default format is noted once, for the document.
#[test]
fn a_document_gives_the_evidence_of_its_streams_read_apart() {
    let (a, b) = ("d.json/eni-a-all", "d.json/eni-b-all");
    let items: Vec<(&str, String)> = (0..40u16)
        .map(|i| {
            let start = 1_000 + i64::from(i) * 10;
            match i % 3 {
                0 => (b, record("eni-b", 40_000 + i, start)),
                _ => (a, record("eni-a", 30_000 + i, start)),
            }
        })
        .collect();
    let got = document(&items);

    let (mut agg, mut stats) = (Aggregator::new(), Stats::default());
    for stream in [a, b] {
        let mut lines = LineReader::new(stream.into(), &opts(), None, &mut stats);
        for (n, (s, line)) in items.iter().enumerate() {
            if *s == stream {
                lines.line(line.as_bytes(), n as u64 + 1, &mut agg, &mut stats);
            }
        }
        lines.flush(&mut stats);
    }
    agg.spans_into(&mut stats);

    assert_eq!(
        format!("{:?}", got.agg.finish()),
        format!("{:?}", agg.finish())
    );
    assert_eq!(got.stats.streams, stats.streams);
    assert_eq!(got.stats.streams[b].records, 14);
    assert_eq!(got.stats.streams[b].first, 1_000);
    assert_eq!(got.stats.interfaces, stats.interfaces);
    assert_eq!(
        (got.stats.files, got.stats.records, got.stats.used),
        (2, 40, 40)
    );
    assert_eq!(
        got.stats.notes,
        ["d.json: no header line and no --log-format: the default v2 format was assumed"]
    );
}

/// One layout for the whole document, as in a text file: a header line
/// governs the items after it, whatever their stream; a place is the
/// item's number in the document.
#[test]
fn a_header_governs_the_items_after_it_whatever_their_stream() {
    let (a, b) = ("d.json/eni-a-all", "d.json/eni-b-all");
    let header = "interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
    let line = |eni: &str, port: u32| {
        format!("{eni} 10.0.1.10 10.0.2.20 {port} 5432 6 10 840 1000 1060 ACCEPT OK")
    };
    let got = document(&[
        (a, header.to_string()),
        (b, line("eni-b", 40_000)),
        (a, line("eni-a", 30_000)),
        (b, line("eni-b", 70_000)),
    ]);
    let s = &got.stats;
    assert_eq!((s.records, s.used), (3, 2), "{s:?}");
    assert_eq!(
        s.examples["bad port"],
        ["d.json:4: srcport is \"70000\", which is not valid"]
    );
    assert!(
        s.notes.is_empty(),
        "the header gave the layout: {:?}",
        s.notes
    );
    assert_eq!(s.files, 2);
}

/// An item without a line is a record skipped (`bad json`) at its place,
/// and its stream is counted; a document without items is one stream, as
/// an empty file is.
#[test]
fn items_without_a_line_and_empty_documents_are_counted() {
    let mut doc = Reader::new(opts()).document("d.json".into(), Notes::default());
    doc.line("d.json/s", record("eni-a", 30_000, 1_000).as_bytes(), 1);
    doc.no_line("d.json/t", 2, "an event without a \"message\"");
    let got = doc.finish().stats;
    assert_eq!((got.files, got.records, got.used), (2, 2, 1));
    assert_eq!(got.skipped["bad json"], 1);
    assert_eq!(
        got.examples["bad json"],
        ["d.json:2: an event without a \"message\""]
    );
    assert_eq!(got.streams["d.json/t"], Span::default());

    let notes = Notes::default();
    notes.push("d.json: 3 bytes after the end of its gzip data are not gzip".into());
    let empty = Reader::new(opts())
        .document("d.json".into(), notes)
        .finish()
        .stats;
    assert_eq!((empty.files, empty.records), (1, 0));
    assert_eq!(empty.streams["d.json"], Span::default());
    assert_eq!(
        empty.notes,
        ["d.json: 3 bytes after the end of its gzip data are not gzip"]
    );
}
