//! The bytes of a document of events, handed to serde_json as it reads
//! them, counted as they go: the line and column read to (for the place of
//! an error), and the length of the JSON string being read (a string past
//! [`MAX_STRING`] ends the read instead of being held). A byte-order mark
//! before the first byte is dropped.

use std::io::{self, Read};

/// A UTF-8 byte-order mark, which Windows tools put before a file's first
/// byte; no part of the JSON.
pub(super) const BOM: &[u8] = b"\xef\xbb\xbf";

/// The longest JSON string read, in bytes of the document: CloudWatch Logs
/// takes events of at most 1 MB, so no message comes near it. A longer
/// string ends the read where it passes the limit instead of being held
/// whole (a gzip file of a few MB can hold a string of gigabytes).
pub(super) const MAX_STRING: u64 = 8 << 20;

/// The bytes of the document, handed to serde_json (which reads a byte at
/// a time) from a buffer of its own, counted as they go: the line and
/// column read to, and the length of the JSON string being read.
pub(super) struct Input<R> {
    inner: R,
    buf: Box<[u8]>,
    at: usize,
    end: usize,
    /// Lines ended so far, and bytes read since the last line's end.
    line: u64,
    column: u64,
    /// Inside a JSON string (after its opening quote), just after a
    /// backslash in it, and its bytes so far.
    in_string: bool,
    escaped: bool,
    string_len: u64,
    /// Nothing handed on yet: a byte-order mark is still to be dropped.
    at_start: bool,
}

impl<R: Read> Input<R> {
    pub(super) fn new(inner: R) -> Input<R> {
        Input {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            at: 0,
            end: 0,
            line: 0,
            column: 0,
            in_string: false,
            escaped: false,
            string_len: 0,
            at_start: true,
        }
    }

    /// Where the bytes handed on end: lines ended before, bytes after the
    /// last line's end.
    pub(super) fn place(&self) -> (u64, u64) {
        (self.line, self.column)
    }

    /// Whether a byte is left; reads the next bufferful when none is held.
    fn fill(&mut self) -> io::Result<bool> {
        while self.at == self.end {
            match self.inner.read(&mut self.buf) {
                Ok(0) => return Ok(false),
                Ok(n) => (self.at, self.end) = (0, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if std::mem::take(&mut self.at_start) && self.buf[self.at..self.end].starts_with(BOM) {
            self.at += BOM.len();
            return self.fill();
        }
        Ok(true)
    }

    /// Skips blanks (and a byte-order mark first, or before a document:
    /// pages that each began with one, put together with `cat`); whether
    /// anything follows.
    pub(super) fn skip_blanks(&mut self) -> io::Result<bool> {
        while self.fill()? {
            let b = self.buf[self.at];
            if self.buf[self.at..self.end].starts_with(BOM) {
                for _ in BOM {
                    let b = self.buf[self.at];
                    self.at += 1;
                    self.count(b)?;
                }
                continue;
            }
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Ok(true);
            }
            self.at += 1;
            self.count(b)?;
        }
        Ok(false)
    }

    /// Counts one byte handed on.
    #[inline]
    fn count(&mut self, b: u8) -> io::Result<()> {
        if b == b'\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += 1;
        }
        if !self.in_string {
            if b == b'"' {
                (self.in_string, self.string_len) = (true, 0);
            }
            return Ok(());
        }
        if self.escaped {
            self.escaped = false;
        } else if b == b'\\' {
            self.escaped = true;
        } else if b == b'"' {
            self.in_string = false;
            return Ok(());
        }
        self.string_len += 1;
        if self.string_len > MAX_STRING {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a JSON string longer than {} MiB, which no event's message is (CloudWatch \
                     Logs keeps events of at most 1 MB): is this an export of flow logs?",
                    MAX_STRING >> 20
                ),
            ));
        }
        Ok(())
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // serde_json asks for one byte at a time: while the buffer holds
        // one, it is handed over without a refill check or a copy call.
        if let [slot] = out
            && self.at < self.end
            && !self.at_start
        {
            let b = self.buf[self.at];
            self.at += 1;
            self.count(b)?;
            *slot = b;
            return Ok(1);
        }
        if out.is_empty() || !self.fill()? {
            return Ok(0);
        }
        let n = out.len().min(self.end - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        for &b in &out[..n] {
            self.count(b)?;
        }
        Ok(n)
    }
}
