//! gzip decoding as `gzip -d` does it: member after member, and then
//! whatever follows the last member. Zero bytes there (padding that tape and
//! block devices add) are ignored; other bytes are ignored with a note, as
//! gzip warns "decompression OK, trailing garbage ignored"; a member that
//! starts there and breaks off is an error. (flate2's `MultiGzDecoder` took
//! any byte after a member for the start of another and failed on padding.)
//!
//! A read that returns bytes never also fails: an error comes from the next
//! read, so the line it is reported at does not depend on how the decoded
//! bytes were split between reads.

use std::io::{self, BufRead, Read};

use flate2::bufread::GzDecoder;

use super::Notes;

/// The gzip magic's first byte: after a member, the start of another.
const MAGIC: u8 = 0x1f;

/// Decodes the gzip members of `inner` one after the other; what follows
/// the last is padding (zeros, ignored) or garbage (ignored, noted in
/// `notes` under `name`).
pub struct Members<R: BufRead> {
    state: State<R>,
    name: String,
    notes: Notes,
}

enum State<R: BufRead> {
    /// Inside a member (boxed: the decoder's state is large, and one is
    /// made per member).
    Member(Box<GzDecoder<R>>),
    /// After a member: another, or the end.
    Between(R),
    Done,
}

impl<R: BufRead> Members<R> {
    pub fn new(inner: R, name: String, notes: Notes) -> Members<R> {
        Members {
            state: State::Member(Box::new(GzDecoder::new(inner))),
            name,
            notes,
        }
    }

    /// The bytes after the last member, read to the end: zeros are
    /// padding; anything else is noted.
    fn trailing(&mut self, mut r: R) -> io::Result<()> {
        let (mut bytes, mut garbage) = (0u64, false);
        loop {
            let head = r.fill_buf()?;
            if head.is_empty() {
                break;
            }
            garbage |= head.iter().any(|&b| b != 0);
            let n = head.len();
            bytes += n as u64;
            r.consume(n);
        }
        if garbage {
            self.notes.push(format!(
                "{}: {bytes} bytes after the end of its gzip data are not gzip and were ignored \
                 (as `gzip -d` ignores trailing garbage); the records before them were read",
                self.name
            ));
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Member(mut d) => match d.read(buf) {
                    Ok(0) => self.state = State::Between(d.into_inner()),
                    other => {
                        self.state = State::Member(d);
                        return other;
                    }
                },
                State::Between(mut r) => {
                    let next = match r.fill_buf() {
                        Ok(head) => head.first().copied(),
                        Err(e) => {
                            self.state = State::Between(r);
                            return Err(e);
                        }
                    };
                    match next {
                        None => return Ok(0),
                        Some(MAGIC) => self.state = State::Member(Box::new(GzDecoder::new(r))),
                        Some(_) => {
                            self.trailing(r)?;
                            return Ok(0);
                        }
                    }
                }
                State::Done => return Ok(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(text: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    fn decode(bytes: &[u8], chunk: usize) -> (io::Result<Vec<u8>>, Vec<String>) {
        let notes = Notes::default();
        let mut m = Members::new(
            io::BufReader::with_capacity(7, bytes),
            "f.gz".into(),
            notes.clone(),
        );
        let mut out = Vec::new();
        let mut buf = vec![0; chunk];
        let got = loop {
            match m.read(&mut buf) {
                Ok(0) => break Ok(out),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => break Err(e),
            }
        };
        (got, notes.take())
    }

    #[test]
    fn members_padding_and_garbage_are_read_as_gzip_reads_them() {
        let mut two = gz(b"a\nb\n");
        two.extend(gz(b"c\n"));
        for chunk in [1, 3, 4096] {
            let (got, notes) = decode(&two, chunk);
            assert_eq!(got.unwrap(), b"a\nb\nc\n");
            assert!(notes.is_empty());
            // Padding: nothing said.
            let mut padded = two.clone();
            padded.extend([0; 512]);
            let (got, notes) = decode(&padded, chunk);
            assert_eq!(got.unwrap(), b"a\nb\nc\n");
            assert!(notes.is_empty(), "{notes:?}");
            // Garbage (after zeros too): read, and noted with its size.
            let mut junk = padded.clone();
            junk.extend(b"junk\n");
            let (got, notes) = decode(&junk, chunk);
            assert_eq!(got.unwrap(), b"a\nb\nc\n");
            assert_eq!(notes.len(), 1);
            assert!(
                notes[0].starts_with("f.gz: 517 bytes after the end of its gzip data are not gzip"),
                "{notes:?}"
            );
            // A member that starts and breaks off: an error, after the data.
            let mut cut = two.clone();
            cut.extend([0x1f, 0x8b, 0x08]);
            let (got, _) = decode(&cut, chunk);
            assert!(got.is_err());
        }
    }

    /// Every byte before an error is returned by the reads before it.
    #[test]
    fn an_error_comes_after_every_byte_before_it() {
        let mut cut = gz(b"a\nb\n");
        cut.extend([0x1f, 0x8b, 0x08]);
        let notes = Notes::default();
        let mut m = Members::new(&cut[..], "f.gz".into(), notes);
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let err = loop {
            match m.read(&mut buf) {
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(out, b"a\nb\n", "{err}");
    }
}
