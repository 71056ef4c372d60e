//! Text saved as UTF-16 (what Windows PowerShell 5.1's `>` and `Out-File`
//! write, with a byte-order mark) read as the UTF-8 the rest of sgpair
//! reads: each code unit pair decoded as it streams in, never the file held.
//! A code unit that pairs with nothing (a lone surrogate) becomes U+FFFD,
//! so its line is malformed and counted as any other; a last odd byte too.

use std::io::{self, Read};

/// The byte-order marks of UTF-16, little- and big-endian.
pub const LE: [u8; 2] = [0xff, 0xfe];
pub const BE: [u8; 2] = [0xfe, 0xff];

/// A UTF-16 stream (after its byte-order mark) as UTF-8.
pub struct Utf16<R> {
    inner: R,
    big_endian: bool,
    /// Bytes of the stream read but not yet decoded (an odd byte, or a high
    /// surrogate waiting for its low half).
    raw: Vec<u8>,
    /// UTF-8 decoded but not yet handed out, from `at`.
    out: Vec<u8>,
    at: usize,
    ended: bool,
}

impl<R: Read> Utf16<R> {
    /// `inner` is positioned after the byte-order mark.
    pub fn new(inner: R, big_endian: bool) -> Utf16<R> {
        Utf16 {
            inner,
            big_endian,
            raw: Vec::new(),
            out: Vec::new(),
            at: 0,
            ended: false,
        }
    }

    /// Decodes the next piece of the stream into `out`; false at its end.
    fn decode_more(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.at = 0;
        while self.out.is_empty() {
            if self.ended {
                return Ok(false);
            }
            let held = self.raw.len();
            self.raw.resize(held + 64 * 1024, 0);
            let n = loop {
                match self.inner.read(&mut self.raw[held..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.raw.truncate(held);
                        return Err(e);
                    }
                }
            };
            self.raw.truncate(held + n);
            self.ended = n == 0;
            self.decode_held();
        }
        Ok(true)
    }

    /// Decodes the whole code units held; at the end, what is left too.
    fn decode_held(&mut self) {
        let units = self.raw.len() / 2;
        let big_endian = self.big_endian;
        let unit = |i: usize, raw: &[u8]| {
            let pair = [raw[2 * i], raw[2 * i + 1]];
            if big_endian {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        };
        let mut i = 0;
        while i < units {
            let u = unit(i, &self.raw);
            let c = if (0xd800..0xdc00).contains(&u) {
                if i + 1 == units && !self.ended {
                    break; // its low half is in the next read
                }
                match (i + 1 < units).then(|| unit(i + 1, &self.raw)) {
                    Some(low @ 0xdc00..0xe000) => {
                        i += 1;
                        let c =
                            0x10000 + ((u32::from(u) - 0xd800) << 10) + (u32::from(low) - 0xdc00);
                        char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER)
                    }
                    _ => char::REPLACEMENT_CHARACTER,
                }
            } else {
                char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER)
            };
            i += 1;
            let mut buf = [0; 4];
            self.out
                .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        self.raw.drain(..2 * i);
        if self.ended && !self.raw.is_empty() {
            // An odd last byte: half a code unit.
            self.raw.clear();
            self.out.extend_from_slice(
                char::REPLACEMENT_CHARACTER
                    .encode_utf8(&mut [0; 4])
                    .as_bytes(),
            );
        }
    }
}

impl<R: Read> Read for Utf16<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.at == self.out.len() && !self.decode_more()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `bytes` through [`Utf16`], handed over `chunk` bytes per read
    /// (so that pairs and surrogates break across reads).
    fn decode(bytes: &[u8], big_endian: bool, chunk: usize) -> String {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = String::new();
        Utf16::new(Chunks(bytes, chunk), big_endian)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    fn encode(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn both_byte_orders_decode_whatever_the_reads_cut() {
        let text = "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.10 10.0.2.20 45000 443 6 \
                    10 840 1 61 ACCEPT OK\r\nname: café 𝄞 ok\n";
        for big_endian in [false, true] {
            let bytes = encode(text, big_endian);
            for chunk in [1, 2, 3, 5, 64, 1 << 20] {
                assert_eq!(
                    decode(&bytes, big_endian, chunk),
                    text,
                    "{big_endian} {chunk}"
                );
            }
        }
    }

    #[test]
    fn a_lone_surrogate_or_an_odd_last_byte_is_a_replacement_character() {
        // A high surrogate followed by a letter, a low one alone, then half a unit.
        let mut bytes = Vec::new();
        for u in [0xd834u16, u16::from(b'a'), 0xdd1e, u16::from(b'\n')] {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        bytes.push(b'x');
        for chunk in [1, 2, 7] {
            assert_eq!(
                decode(&bytes, false, chunk),
                "\u{fffd}a\u{fffd}\n\u{fffd}",
                "{chunk}"
            );
        }
        // A high surrogate that ends the stream.
        assert_eq!(decode(&0xd834u16.to_le_bytes(), false, 1), "\u{fffd}");
    }
}
