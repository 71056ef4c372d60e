//! One text stream cut into blocks of whole lines, each knowing its first
//! line number and the layout in force at its start.

use std::io::Read;
use std::sync::Arc;

use anyhow::Result;

use super::ReadOptions;
use super::layout::{
    BlockStart, assumed_note, skip_long_line, start_format, strip_export_stamp, unwrap_json,
};
use crate::parse::{Format, FormatError, FormatOrigin, Newlines, Parser, looks_like_header};
use crate::sources::Notes;
use crate::stats::Stats;

/// Bytes of text handed to a worker at a time. Large enough that cutting
/// and handing over cost nothing next to parsing; small enough that every
/// worker holds little (one block each).
pub const BLOCK: usize = 1 << 20;

/// The longest line read: 1 MiB. Flow-log lines are under 1 KB, CloudWatch
/// export lines (a record wrapped in JSON) a few KB; a longer line is no
/// record, and buffering it whole let one gzip file of 4 MB (a gigabyte of
/// one line) take 2 GB of memory. Past it, the line is skipped to its end
/// without being kept, and counted with its place (`line too long`): by the
/// cutter when no newline comes within a block past it, else by the line
/// reader (a block holds at most a block and a carried line start).
pub const MAX_LINE: usize = 1 << 20;

/// A UTF-8 byte-order mark, which editors and Windows tools put before a
/// file's first line. It is no part of the line: left there, a header line
/// would be read as a record and the file in the default layout.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// The bytes of one block, in a buffer reused from block to block. The
/// buffer never shrinks: its bytes past the block's end were written by
/// the blocks before, so the next block is read into them as they are.
/// (A `Vec` cut back to the block's length would be filled with zeros up
/// to the next block's length before every read: a second pass over the
/// whole file, under the stream's lock.)
#[derive(Debug, Default)]
pub struct Block {
    /// Every byte written so far; the block is the first `len`.
    bytes: Vec<u8>,
    len: usize,
}

impl Block {
    pub fn with_capacity(n: usize) -> Block {
        Block {
            bytes: Vec::with_capacity(n),
            len: 0,
        }
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Room for the block to reach `target` bytes, after its end.
    fn room(&mut self, target: usize) -> &mut [u8] {
        if self.bytes.len() < target {
            self.bytes.resize(target, 0);
        }
        &mut self.bytes[self.len..target]
    }

    /// Drops the block's first `n` bytes (once per stream: a byte-order mark).
    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.bytes.copy_within(n..self.len, 0);
        self.len -= n;
    }

    fn extend_from_slice(&mut self, more: &[u8]) {
        let end = self.len + more.len();
        self.room(end).copy_from_slice(more);
        self.len = end;
    }
}

impl std::ops::Deref for Block {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// One text stream cut into blocks of whole lines. Cutting is sequential (a
/// gzip stream can only be decoded in order) and cheap; the blocks are then
/// parsed in parallel. While cutting, the source counts lines and follows
/// header lines, so every block knows its first line number and its layout.
pub struct TextSource {
    pub(super) name: Arc<str>,
    reader: Box<dyn Read + Send>,
    /// Bytes per block ([`BLOCK`]; smaller in tests).
    pub(super) block: usize,
    /// The longest line kept ([`MAX_LINE`]; smaller in tests).
    pub(super) max_line: usize,
    /// The start of a line that the last block cut off.
    carry: Vec<u8>,
    /// Lines before the next block.
    lines: u64,
    format: Format,
    parser: Result<Parser, FormatError>,
    assumed_noted: bool,
    /// No block was cut yet: the stream's first bytes are still to be looked at.
    at_start: bool,
    eof: bool,
    /// `--allow-partial`: a read error ends the stream after its last whole
    /// line instead of failing the run.
    allow_partial: bool,
    /// The read error that ended the stream early, to report as missing.
    broken: Option<String>,
    /// What the stream's reader notes as it reads (bytes after gzip data).
    notes: Notes,
}

impl TextSource {
    /// Counts the stream in `stats.files`, like [`LineReader::new`].
    pub fn new(
        name: String,
        reader: Box<dyn Read + Send>,
        notes: Notes,
        opts: &ReadOptions,
        stats: &mut Stats,
    ) -> TextSource {
        let (format, parser) = start_format(&name, opts, None, stats);
        TextSource {
            name: name.into(),
            reader,
            block: BLOCK,
            max_line: MAX_LINE,
            carry: Vec::new(),
            lines: 0,
            format,
            parser,
            assumed_noted: false,
            at_start: true,
            eof: false,
            allow_partial: opts.allow_partial,
            broken: None,
            notes,
        }
    }

    /// Reads the next block of whole lines into `buf`. `None` at the end.
    pub(super) fn next_block(
        &mut self,
        buf: &mut Block,
        stats: &mut Stats,
    ) -> Result<Option<BlockStart>> {
        buf.clear();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut target = self.block;
        let mut scan_from = 0;
        // Inside a line longer than `max_line`: its bytes are dropped as read.
        let mut skipping = false;
        loop {
            self.fill(buf, target)?;
            if let Some(broken) = self.broken.take() {
                stats.missing.push(broken);
            }
            if skipping {
                let Some(i) = memchr::memchr(b'\n', buf) else {
                    buf.clear();
                    if self.eof {
                        break;
                    }
                    continue;
                };
                // The next line starts after its end.
                buf.drop_front(i + 1);
                skipping = false;
            }
            if self.eof {
                // The last line, without a newline: as long a line is skipped.
                let tail = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
                if buf.len() - tail > self.max_line {
                    let before = memchr::memchr_iter(b'\n', &buf[..tail]).count() as u64;
                    self.too_long(self.lines + before + 1, stats);
                    buf.truncate(tail);
                }
                break;
            }
            // Whole lines only: the rest waits for the next block.
            if let Some(i) = memchr::memrchr(b'\n', &buf[scan_from..]) {
                let cut = scan_from + i + 1;
                self.carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                break;
            }
            // No newline in the block: it is all one line.
            if buf.len() > self.max_line {
                self.too_long(self.lines + 1, stats);
                self.lines += 1;
                buf.clear();
                skipping = true;
                scan_from = 0;
                target = self.block;
                continue;
            }
            // One line longer than a block: read on.
            scan_from = buf.len();
            target = buf.len() + self.block;
        }
        if self.eof {
            stats.notes.extend(self.notes.take());
        }
        if std::mem::take(&mut self.at_start) && buf.starts_with(BOM) {
            buf.drop_front(BOM.len());
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let start = BlockStart {
            first_line: self.lines + 1,
            format: self.format.clone(),
            parser: self.parser.clone(),
        };
        self.follow(buf, stats);
        Ok(Some(start))
    }

    /// Counts line `line`, longer than `max_line`, as a skipped record.
    #[cold]
    fn too_long(&self, line: u64, stats: &mut Stats) {
        skip_long_line(&self.name, line, self.max_line, stats);
    }

    /// Reads until `buf` holds `target` bytes or the stream ends.
    fn fill(&mut self, buf: &mut Block, target: usize) -> Result<()> {
        let start = buf.len();
        if self.eof || start >= target {
            return Ok(());
        }
        let room = buf.room(target);
        let mut filled = 0;
        let outcome = loop {
            if filled == room.len() {
                break Ok(());
            }
            match self.reader.read(&mut room[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break Ok(());
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        buf.len += filled;
        let Err(e) = outcome else {
            return Ok(());
        };
        let line = self.lines + memchr::memchr_iter(b'\n', buf).count() as u64 + 1;
        // The whole lines before the cut were read (and, with
        // --allow-partial, are evidence): the place says how far.
        let read = match line {
            1 => "no whole line was read".to_string(),
            l => format!("read up to line {}", l - 1),
        };
        let err = anyhow::Error::new(e).context(format!(
            "{}:{line}: cannot read further ({read})",
            self.name
        ));
        // The stream ends here either way: another worker that takes it
        // next reads nothing more (reading on would fail again, at line 1
        // of an empty block, and which of the two errors the run reported
        // depended on the threads' timing).
        self.eof = true;
        if !self.allow_partial {
            return Err(err);
        }
        // Keep the whole lines read so far; the cut line and the rest are missing.
        let keep = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
        buf.truncate(keep);
        self.broken = Some(format!("{err:#}"));
        Ok(())
    }

    /// Counts the block's lines and follows its header lines, so the next
    /// block starts with the right layout. Records start with a digit or
    /// `-`; only other lines are looked at closely.
    fn follow(&mut self, block: &[u8], stats: &mut Stats) {
        let mut start = 0;
        let mut lines = 0u64;
        let mut ends = Newlines::new(block);
        while start < block.len() {
            let end = ends.take();
            lines += 1;
            let line = &block[start..end];
            start = end + 1;
            let Some(&first) = line.iter().find(|b| !b.is_ascii_whitespace()) else {
                continue;
            };
            let is_record = if first.is_ascii_digit() || first == b'-' {
                true
            } else {
                !self.maybe_header(line.trim_ascii())
            };
            if is_record
                && !self.assumed_noted
                && self.format.origin == FormatOrigin::DefaultAssumed
                && self.parser.is_ok()
            {
                let line = line.trim_ascii();
                let record = match line.first() {
                    Some(b'{') => unwrap_json(line).map(String::into_bytes),
                    _ => None,
                };
                let record = record
                    .as_deref()
                    .unwrap_or_else(|| strip_export_stamp(line));
                stats.notes.push(assumed_note(&self.name, record));
                self.assumed_noted = true;
            }
        }
        self.lines += lines;
    }

    /// Whether a line is a header (then the layout changes), as
    /// [`LineReader::line`] decides it.
    #[cold]
    fn maybe_header(&mut self, line: &[u8]) -> bool {
        let unwrapped;
        let line = if line.first() == Some(&b'{') {
            match unwrap_json(line) {
                Some(m) => {
                    unwrapped = m;
                    unwrapped.as_bytes()
                }
                None => return false,
            }
        } else {
            line
        };
        if !looks_like_header(line) {
            return false;
        }
        if let Some(mut f) = Format::from_names(&String::from_utf8_lossy(line)) {
            f.origin = FormatOrigin::Header;
            self.parser = Parser::new(&f);
            self.format = f;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &[u8], block: usize, max_line: usize) -> TextSource {
        TextSource {
            name: "x".into(),
            reader: Box::new(std::io::Cursor::new(text.to_vec())),
            block,
            max_line,
            carry: Vec::new(),
            lines: 0,
            format: Format::default_v2(),
            parser: Parser::new(&Format::default_v2()),
            assumed_noted: true,
            at_start: true,
            eof: false,
            allow_partial: false,
            broken: None,
            notes: Notes::default(),
        }
    }

    fn blocks(src: &mut TextSource, stats: &mut Stats) -> Vec<(u64, String)> {
        let mut buf = Block::default();
        let mut got = Vec::new();
        while let Some(at) = src.next_block(&mut buf, stats).unwrap() {
            got.push((at.first_line, String::from_utf8(buf.to_vec()).unwrap()));
        }
        got
    }

    /// A line past `max_line` is dropped as it is read (never held whole),
    /// counted as a skipped record at its line, and the lines after it keep
    /// their numbers; so is a last line without a newline.
    #[test]
    fn a_line_longer_than_the_most_is_skipped_with_its_place() {
        let text = format!("a\n{}\nb\nc\n{}", "z".repeat(50), "y".repeat(30));
        // Blocks no longer than the most, as BLOCK and MAX_LINE (a longer
        // line inside a larger block is the line reader's to skip).
        for block in [4, 8, 20] {
            let mut stats = Stats::default();
            let mut src = source(text.as_bytes(), block, 20);
            let got = blocks(&mut src, &mut stats);
            let lines: Vec<(u64, &str)> = got
                .iter()
                .flat_map(|(first, b)| {
                    b.lines()
                        .enumerate()
                        .map(move |(i, l)| (first + i as u64, l))
                })
                .collect();
            assert_eq!(lines, vec![(1, "a"), (3, "b"), (4, "c")], "block {block}");
            assert_eq!(stats.records, 2, "block {block}");
            assert_eq!(
                stats.skipped.get("line too long"),
                Some(&2),
                "block {block}"
            );
            let ex = &stats.examples["line too long"];
            assert!(
                ex[0].starts_with("x:2: a line longer than 20 bytes")
                    && ex[1].starts_with("x:5: a line longer than 20 bytes"),
                "block {block}: {ex:?}"
            );
        }
        // A line of exactly the most is a line.
        let mut stats = Stats::default();
        let exact = format!("{}\nb\n", "z".repeat(20));
        let got = blocks(&mut source(exact.as_bytes(), 8, 20), &mut stats);
        assert_eq!(got.concat_text(), exact);
        assert!(stats.skipped.is_empty());
    }

    /// A reader that gives `data`, then fails on every read, as a
    /// truncated gzip stream does.
    struct BreaksOff(std::io::Cursor<Vec<u8>>);

    impl Read for BreaksOff {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the data breaks off",
                )),
                n => Ok(n),
            }
        }
    }

    /// A stream whose read failed ends there: the next worker that takes it
    /// gets no block and no second error, so the run reports the one place
    /// where it broke, whichever worker failed first (the second error, at
    /// "line 1" of an empty block, used to win half the time on 2 threads).
    #[test]
    fn a_stream_that_failed_gives_nothing_more() {
        let text = "a\nb\nc\nd\ne";
        let mut src = source(text.as_bytes(), 4, MAX_LINE);
        src.reader = Box::new(BreaksOff(std::io::Cursor::new(text.as_bytes().to_vec())));
        let mut stats = Stats::default();
        let mut buf = Block::default();
        let mut got = Vec::new();
        let err = loop {
            match src.next_block(&mut buf, &mut stats) {
                Ok(Some(at)) => got.push(at.first_line),
                Ok(None) => panic!("the stream ended without its error"),
                Err(e) => break format!("{e:#}"),
            }
        };
        assert!(!got.is_empty(), "whole lines came before the break");
        assert!(
            err.starts_with("x:") && err.contains("cannot read further (read up to line"),
            "{err}"
        );
        for _ in 0..2 {
            assert!(src.next_block(&mut buf, &mut stats).unwrap().is_none());
            assert!(buf.is_empty());
        }
    }

    trait Concat {
        fn concat_text(&self) -> String;
    }
    impl Concat for Vec<(u64, String)> {
        fn concat_text(&self) -> String {
            self.iter().map(|(_, b)| b.as_str()).collect()
        }
    }

    #[test]
    fn a_line_longer_than_a_block_is_one_line() {
        let mut src = source(
            format!("a\n{}\nb\n", "z".repeat(50)).as_bytes(),
            8,
            MAX_LINE,
        );
        let mut stats = Stats::default();
        let mut buf = Block::default();
        let mut got = Vec::new();
        while let Some(at) = src.next_block(&mut buf, &mut stats).unwrap() {
            got.push((at.first_line, String::from_utf8(buf.to_vec()).unwrap()));
        }
        // The long line is read whole, then the block ends at the stream's end.
        let long = format!("{}\nb\n", "z".repeat(50));
        assert_eq!(got, vec![(1, "a\n".to_string()), (2, long)]);
    }
}
