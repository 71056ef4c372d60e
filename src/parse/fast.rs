//! The one-pass parse of a usual line, written straight into a record the
//! caller keeps from line to line.
//!
//! [`Parser::parse_with`] splits a line into a token per field first, then
//! converts the tokens and builds a record it returns: every byte is read
//! twice, and the token array and the record are written and copied per
//! line. This path finds the line's separators as the bits of a 64-byte
//! window, sixteen bytes per compare ([`Places`]: SSE2 on x86-64, a word
//! at a time elsewhere), so every
//! field's ends are known before it is read; then each field is converted
//! where it stands: a number up to eight digits in one load
//! ([`digits_before`]), an address from its dots' places ([`ipv4_field`]),
//! text checked as ASCII a word at a time. The default layout is read
//! column after column without a lookup ([`Parser::fill_v2`]); any other
//! goes through the same helpers by slot ([`Parser::fill`]). [`Newlines`]
//! finds a block's line ends the same way. A row whose values a source
//! holds typed (a Parquet row) has its own fast path,
//! [`Parser::record_fast`], with the same checks and the same fallback.
//!
//! It takes the lines every flow log is made of (log-status `OK`,
//! canonical IPv4 addresses, numbers in range, text in UTF-8) and declines
//! anything else: a line it declines goes to [`Parser::parse_with`], which
//! decides what it is and names what is wrong. So what is accepted and
//! every message stay the generic parser's; where this path accepts a line,
//! the record is the one the generic parser makes (`tests/one_pass.rs` and
//! the `record` fuzz target compare the two; `tests/readers.rs` holds each
//! reading here to its byte-by-byte definition).

use std::net::{IpAddr, Ipv4Addr};

use super::{
    Action, Direction, Fields, MAX_COUNTER, MAX_ICMP_TYPE, Parser, Record, Slot, same, slot,
};
use crate::window::{LAST_TIME, MAX_INTERVAL};

impl<'a> Record<'a> {
    /// A record with no field set: what a field the format lacks reads as.
    /// The start of the record [`Parser::parse_fast`] fills.
    pub fn blank() -> Record<'a> {
        Record {
            interface_id: None,
            vpc_id: None,
            account_id: None,
            srcaddr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            dstaddr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            pkt_srcaddr: None,
            pkt_dstaddr: None,
            srcport: 0,
            dstport: 0,
            protocol: 0,
            packets: 0,
            bytes: 0,
            start: 0,
            end: 0,
            action: Action::Accept,
            tcp_flags: None,
            flow_direction: None,
            pkt_src_aws_service: None,
            pkt_dst_aws_service: None,
            reject_reason: None,
        }
    }
}

/// The places of two bytes in a slice, taken in order: found as bits, 64
/// bytes at a time, instead of byte by byte. `Copy`: the cold path of
/// [`Cursor::next`] takes it by value, so that the hot path's state is
/// never behind a pointer and stays in registers.
#[derive(Clone, Copy)]
pub struct Places<'l, const A: u8, const B: u8> {
    bytes: &'l [u8],
    /// The byte the bits start at.
    base: usize,
    /// Bit `i`: byte `base + i` is `A` or `B`, and not yet taken.
    bits: u64,
}

/// The separators of a line: spaces and tabs.
pub(super) type Separators<'l> = Places<'l, b' ', b'\t'>;

/// The line ends of a block.
pub type Newlines<'l> = Places<'l, b'\n', b'\n'>;

impl<'l, const A: u8, const B: u8> Places<'l, A, B> {
    #[inline(always)]
    pub fn new(bytes: &'l [u8]) -> Self {
        Places {
            bytes,
            base: 0,
            bits: bits_at::<A, B>(bytes, 0),
        }
    }

    /// Takes the next place and returns it; the slice's length when there
    /// is none left.
    #[inline(always)]
    pub fn take(&mut self) -> usize {
        while self.bits == 0 {
            if self.base + 64 >= self.bytes.len() {
                return self.bytes.len();
            }
            self.base += 64;
            self.bits = bits_at::<A, B>(self.bytes, self.base);
        }
        let at = self.base + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        at
    }
}

/// Bit `i` set where byte `base + i` of `bytes` is `A` or `B`, for the 64
/// bytes from `base` (fewer at the end). A slice of at least 64 bytes is
/// read in whole windows of 64 only: where fewer than 64 are left after
/// `base`, the window is the slice's last 64 bytes, shifted down to start
/// at `base`, so no bit past the end is ever set.
#[inline(always)]
fn bits_at<const A: u8, const B: u8>(bytes: &[u8], base: usize) -> u64 {
    let len = bytes.len();
    if base + 64 <= len {
        return window_bits::<A, B>(bytes, base);
    }
    if len >= 64 {
        // `base` is inside the last window (it is below `len`).
        return window_bits::<A, B>(bytes, len - 64) >> (base + 64 - len);
    }
    // A slice shorter than a window: a padded copy, the padding's bits cleared.
    let mut padded = [0; 64];
    padded[..len].copy_from_slice(bytes);
    window_bits::<A, B>(&padded, 0) & ((1 << len) - 1)
}

/// Bit `i` set where byte `at + i` of `bytes` is `A` or `B`, for the 64
/// bytes from `at` (which must be within the slice): whole [`CHUNK`]s.
#[inline(always)]
fn window_bits<const A: u8, const B: u8>(bytes: &[u8], at: usize) -> u64 {
    let window = &bytes[at..at + 64];
    let mut bits = 0u64;
    let mut c = 0;
    while c < 64 {
        bits |= chunk_bits::<A, B>(window, c) << c;
        c += CHUNK;
    }
    bits
}

/// Bytes whose places [`chunk_bits`] finds at once.
#[cfg(target_arch = "x86_64")]
const CHUNK: usize = 16;
#[cfg(not(target_arch = "x86_64"))]
const CHUNK: usize = 8;

/// Bit `i` set where byte `at + i` of `bytes` is `A` or `B`, for the
/// [`CHUNK`] bytes from `at` (which must be within the slice). SSE2 (part
/// of every x86-64 processor) compares sixteen bytes at once.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn chunk_bits<const A: u8, const B: u8>(bytes: &[u8], at: usize) -> u64 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let chunk = &bytes[at..at + CHUNK];
    // SAFETY: SSE2 is in the x86-64 baseline, and the load reads the
    // sixteen bytes of `chunk`, which the slice above bounds-checked.
    let mask = unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let found = _mm_cmpeq_epi8(v, _mm_set1_epi8(A as i8));
        let found = if A == B {
            found
        } else {
            _mm_or_si128(found, _mm_cmpeq_epi8(v, _mm_set1_epi8(B as i8)))
        };
        _mm_movemask_epi8(found)
    };
    u64::from(mask as u16)
}

/// Bit `i` set where byte `at + i` of `bytes` is `A` or `B`, for the
/// [`CHUNK`] bytes from `at`: eight bytes in a word.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn chunk_bits<const A: u8, const B: u8>(bytes: &[u8], at: usize) -> u64 {
    word_bits::<A, B>(bytes, at)
}

/// Bit `i` set where byte `at + i` of `bytes` is `A` or `B`, for the eight
/// bytes from `at`, in one word. [`chunk_bits`] where SSE2 is not at hand;
/// on x86-64 the tests hold the two equal.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
pub(super) fn word_bits<const A: u8, const B: u8>(bytes: &[u8], at: usize) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let w = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    // 0x80 in every byte of `x` that is zero (exact: no carry between bytes).
    let zero_bytes = |x: u64| !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
    let m = zero_bytes(w ^ u64::from_ne_bytes([A; 8])) | zero_bytes(w ^ u64::from_ne_bytes([B; 8]));
    // One bit per byte, byte k to bit k.
    (m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// [`chunk_bits`] for the tests, whatever the chunk.
#[cfg(test)]
pub(super) fn chunk_bits_for_test(bytes: &[u8], at: usize) -> (u64, usize) {
    (chunk_bits::<b' ', b'\t'>(bytes, at), CHUNK)
}

/// The fields of a line in turn: where each starts and ends. Runs of
/// separators part two fields like one separator does.
struct Cursor<'l> {
    seps: Separators<'l>,
    /// Where the field before ended (`usize::MAX` before the first).
    end: usize,
}

impl<'l> Cursor<'l> {
    #[inline(always)]
    fn new(line: &'l [u8]) -> Self {
        Cursor {
            seps: Separators::new(line),
            end: usize::MAX,
        }
    }

    /// The next field's start and end; `None` when the line has no field more.
    #[inline(always)]
    fn next(&mut self) -> Option<(usize, usize)> {
        let at = self.end.wrapping_add(1);
        let end = self.seps.take();
        // The usual field: one separator before it, one byte or more.
        if end > at {
            self.end = end;
            return Some((at, end));
        }
        let (seps, field) = after_run(self.seps, at, end);
        self.seps = seps;
        let (at, end) = field?;
        self.end = end;
        Some((at, end))
    }

    /// The next field's bytes.
    #[inline(always)]
    fn text(&mut self) -> Option<&'l [u8]> {
        let (at, end) = self.next()?;
        Some(&self.seps.bytes[at..end])
    }

    /// Whether the last field read ends the line.
    #[inline(always)]
    fn ended(&self) -> bool {
        self.end == self.seps.bytes.len()
    }
}

/// [`Cursor::next`] where the field would be empty: a run of separators
/// (skipped), or the line's end (no field more). The separators are taken
/// by value and handed back: a pointer to the cursor would keep its state
/// in memory on the hot path too, a load and a store per field.
#[cold]
#[inline(never)]
fn after_run(
    mut seps: Separators<'_>,
    mut at: usize,
    mut end: usize,
) -> (Separators<'_>, Option<(usize, usize)>) {
    let len = seps.bytes.len();
    while end == at && at < len {
        at += 1;
        end = seps.take();
    }
    (seps, (at < len).then_some((at, end)))
}

/// The whole number written in `line[at..end]` (not `-`): `None` unless
/// it is 1 to 19 decimal digits. Eight digits are converted at once with
/// one load that ends at the field's end; a field within the first bytes
/// of the line is read byte by byte.
#[inline(always)]
pub(super) fn number(line: &[u8], at: usize, end: usize) -> Option<u64> {
    let n = end - at;
    match n {
        1..=8 if end >= 8 => digits_before(line, end, n),
        9..=16 if end >= 16 => {
            Some(digits_before(line, end - 8, n - 8)? * 100_000_000 + digits_before(line, end, 8)?)
        }
        1..=19 => {
            let mut v: u64 = 0;
            for &b in &line[at..end] {
                let d = b.wrapping_sub(b'0');
                if d > 9 {
                    return None;
                }
                v = v * 10 + u64::from(d);
            }
            Some(v)
        }
        _ => None,
    }
}

/// The `n` (1 to 8) decimal digits just before `end` (at least 8), with
/// one load of the eight bytes before `end` and no branch per digit.
#[inline(always)]
fn digits_before(line: &[u8], end: usize, n: usize) -> Option<u64> {
    /// By `n`: the top `n` bytes of a word, and `'0'` in each of them.
    const KEEP: [u64; 9] = {
        let mut k = [0u64; 9];
        let mut n = 1;
        while n <= 8 {
            k[n] = u64::MAX << (8 * (8 - n));
            n += 1;
        }
        k
    };
    const ZEROS: [u64; 9] = {
        let mut z = [0u64; 9];
        let mut n = 1;
        while n <= 8 {
            z[n] = KEEP[n] & 0x3030_3030_3030_3030;
            n += 1;
        }
        z
    };
    let w = u64::from_le_bytes(line[end - 8..end].try_into().expect("8 bytes"));
    // The field is the top `n` bytes; the ones below it read as leading
    // zeros. A digit less '0' is its value, at most 9: no bit above the low
    // nibble, before or after adding 6 (a carry out of a byte comes only
    // from a byte that is already not a digit).
    let x = (w & KEEP[n]) ^ ZEROS[n];
    if (x | x.wrapping_add(0x0606_0606_0606_0606)) & 0xf0f0_f0f0_f0f0_f0f0 != 0 {
        return None;
    }
    // The first digit is the lowest byte: pairs, quads, then the whole.
    let x = (x.wrapping_mul(10) + (x >> 8)) & 0x00ff_00ff_00ff_00ff;
    let x = (x.wrapping_mul(100) + (x >> 16)) & 0x0000_ffff_0000_ffff;
    Some((x.wrapping_mul(10_000) + (x >> 32)) & 0xffff_ffff)
}

#[inline(always)]
fn is_sep(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The canonical dotted-quad IPv4 address that starts at `*at` and ends at
/// a separator or the line's end; `*at` then points past it. Byte by byte:
/// the definition [`ipv4_field`] is tested against, and its reading near a
/// line's start.
#[inline(always)]
pub(super) fn ipv4_at(line: &[u8], at: &mut usize) -> Option<Ipv4Addr> {
    let mut i = *at;
    let mut bits: u32 = 0;
    for k in 0..4 {
        let start = i;
        let mut acc: u32 = 0;
        while i - start < 3
            && let Some(&b) = line.get(i)
            && b.is_ascii_digit()
        {
            acc = acc * 10 + u32::from(b - b'0');
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || acc > 255 || (digits > 1 && line[start] == b'0') {
            return None;
        }
        bits = bits << 8 | acc;
        if k < 3 {
            if line.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    if line.get(i).is_some_and(|&b| !is_sep(b)) {
        return None;
    }
    *at = i;
    Some(Ipv4Addr::from_bits(bits))
}

/// A text field's value, `None` for `-`; `last` is the same field of the
/// record before, kept when the bytes are the same (checked as UTF-8 once).
/// The outer `None`: not UTF-8. The generic parse reads its identifiers
/// through it too.
#[inline(always)]
pub(super) fn text<'a>(v: &'a [u8], last: Option<&'a str>) -> Option<Option<&'a str>> {
    if v == b"-" {
        return Some(None);
    }
    // The very same bytes where a Parquet dictionary holds the value.
    if let Some(l) = last
        && (std::ptr::eq(l.as_bytes(), v) || same(l.as_bytes(), v))
    {
        return Some(Some(l));
    }
    utf8(v).map(Some)
}

/// `v` as text: ASCII (what identifiers are) checked eight bytes at a
/// time, anything else by the standard UTF-8 check.
#[inline(always)]
pub(super) fn utf8(v: &[u8]) -> Option<&str> {
    let n = v.len();
    let word = |at: usize| u64::from_le_bytes(v[at..at + 8].try_into().expect("8 bytes"));
    let high = if n >= 8 {
        // Whole words, the last one ending at the end (overlapping the one
        // before it).
        let mut high = word(n - 8);
        let mut at = 0;
        while at + 8 < n {
            high |= word(at);
            at += 8;
        }
        high
    } else {
        v.iter().fold(0u64, |h, &b| h | u64::from(b))
    };
    if high & 0x8080_8080_8080_8080 == 0 {
        // SAFETY: every byte is ASCII, and ASCII is valid UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(v) });
    }
    std::str::from_utf8(v).ok()
}

/// An address field's value: `Some(None)` for `-`, `None` when it is not
/// canonical IPv4.
#[inline(always)]
fn address(line: &[u8], at: usize, v: &[u8]) -> Option<Option<IpAddr>> {
    if v == b"-" {
        return Some(None);
    }
    ipv4_field(line, at, at + v.len()).map(|a| Some(IpAddr::V4(a)))
}

/// The canonical dotted-quad IPv4 address that is exactly `line[at..end]`,
/// as [`ipv4_at`] reads it: sixteen bytes compared at once (SSE2), the
/// dots' places giving the octets, each converted without a loop.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn ipv4_field(line: &[u8], at: usize, end: usize) -> Option<Ipv4Addr> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_set1_epi8,
        _mm_storeu_si128, _mm_sub_epi8,
    };
    let n = end - at;
    if !(7..=15).contains(&n) || end < 16 {
        let mut i = at;
        return ipv4_at(line, &mut i).filter(|_| i == end);
    }
    let window = &line[end - 16..end];
    // Each byte less '0' (a digit's value), two bytes before them so that
    // an octet's three last places are always in the array.
    let mut values = [0u8; 18];
    // SAFETY: SSE2 is in the x86-64 baseline; the load reads the sixteen
    // bytes of `window` and the store writes sixteen of `values`' eighteen,
    // both bounds-checked slices.
    let (dots, digits) = unsafe {
        let v = _mm_loadu_si128(window.as_ptr().cast());
        let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
        _mm_storeu_si128(values[2..].as_mut_ptr().cast(), d);
        let digits = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
        let dots = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8));
        (
            _mm_movemask_epi8(dots) as u32,
            _mm_movemask_epi8(digits) as u32,
        )
    };
    // The field is the window's top `n` bytes: digits and three dots.
    let field = 0xffff_u32 << (16 - n) & 0xffff;
    let dots = dots & field;
    if (dots | digits) & field != field || dots.count_ones() != 3 {
        return None;
    }
    let first = dots.trailing_zeros() as usize;
    let rest = dots & (dots - 1);
    let second = rest.trailing_zeros() as usize;
    let third = (rest & (rest - 1)).trailing_zeros() as usize;
    let a = octet(&values, 16 - n, first)?;
    let b = octet(&values, first + 1, second)?;
    let c = octet(&values, second + 1, third)?;
    let d = octet(&values, third + 1, 16)?;
    Some(Ipv4Addr::from_bits(a << 24 | b << 16 | c << 8 | d))
}

/// The canonical dotted-quad IPv4 address that is exactly `v`, a value of
/// its own (a Parquet cell, a token): read as [`ipv4_field`] reads a field,
/// from a sixteen-byte copy that ends with it.
#[inline]
pub(super) fn ipv4_alone(v: &[u8]) -> Option<Ipv4Addr> {
    if !(7..=15).contains(&v.len()) {
        return None;
    }
    let mut padded = [b' '; 16];
    padded[16 - v.len()..].copy_from_slice(v);
    ipv4_field(&padded, 16 - v.len(), 16)
}

/// The octet of [`ipv4_field`]'s window from `start` to `stop` (a dot or
/// the field's end), from the digits' values (`values[i + 2]`: the window's
/// byte `i` less '0'): 1 to 3 digits, no leading zero, at most 255.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn octet(values: &[u8; 18], start: usize, stop: usize) -> Option<u32> {
    let len = stop.wrapping_sub(start);
    if !(1..=3).contains(&len) {
        return None;
    }
    let digit = |back: usize| u32::from(values[stop + 2 - back]);
    if len > 1 && digit(len) == 0 {
        return None;
    }
    let v = digit(1)
        + if len >= 2 { 10 * digit(2) } else { 0 }
        + if len == 3 { 100 * digit(3) } else { 0 };
    (v <= 255).then_some(v)
}

/// The canonical dotted-quad IPv4 address that is exactly `line[at..end]`.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(super) fn ipv4_field(line: &[u8], at: usize, end: usize) -> Option<Ipv4Addr> {
    let mut i = at;
    ipv4_at(line, &mut i).filter(|_| i == end)
}

/// A number field's value: `Some(None)` for `-`.
#[inline(always)]
fn optional_number(line: &[u8], at: usize, end: usize) -> Option<Option<u64>> {
    if &line[at..end] == b"-" {
        return Some(None);
    }
    number(line, at, end).map(Some)
}

/// A packet or byte count: `-` reads as 0, more than [`MAX_COUNTER`] declines.
#[inline(always)]
fn counter(line: &[u8], at: usize, end: usize) -> Option<u64> {
    count(optional_number(line, at, end)?)
}

/// A packet or byte count's value: missing reads as 0, more than
/// [`MAX_COUNTER`] declines.
#[inline(always)]
fn count(v: Option<u64>) -> Option<u64> {
    let v = v.unwrap_or(0);
    (v <= MAX_COUNTER).then_some(v)
}

/// The TCP flags' value (`None`: missing); more than 16 bits declines.
#[inline(always)]
fn flags(v: Option<u64>) -> Option<Option<u16>> {
    v.map(u16::try_from).transpose().ok()
}

/// The flow direction (`None`: missing); anything but `ingress` or
/// `egress` declines.
#[inline(always)]
fn direction(v: Option<&[u8]>) -> Option<Option<Direction>> {
    match v {
        None => Some(None),
        Some(b"ingress") => Some(Some(Direction::Ingress)),
        Some(b"egress") => Some(Some(Direction::Egress)),
        Some(_) => None,
    }
}

/// ACCEPT or REJECT; anything else declines.
#[inline(always)]
fn action(v: &[u8]) -> Option<Action> {
    match v {
        b"ACCEPT" => Some(Action::Accept),
        b"REJECT" => Some(Action::Reject),
        _ => None,
    }
}

/// log-status `OK` or `-`: NODATA, SKIPDATA and anything else decline.
#[inline(always)]
fn log_status(v: &[u8]) -> Option<()> {
    (v == b"OK" || v == b"-").then_some(())
}

/// The protocol, start and end the record's checks need together; the
/// ports are in the record already.
#[inline(always)]
fn finish(rec: &mut Record<'_>, protocol: u64, start: u64, last: Option<u64>) -> Option<()> {
    let protocol = u8::try_from(protocol).ok()?;
    // ICMP (1) and ICMPv6 (58): the ports are a type and a code.
    if matches!(protocol, 1 | 58) && (rec.srcport > MAX_ICMP_TYPE || rec.dstport > MAX_ICMP_TYPE) {
        return None;
    }
    let last = last.unwrap_or(start);
    // As `interval` and `capture` check: in order, in range, at most MAX_INTERVAL long.
    if last < start || last > LAST_TIME as u64 || last - start > MAX_INTERVAL as u64 {
        return None;
    }
    rec.protocol = protocol;
    rec.start = start as i64;
    rec.end = last as i64;
    Some(())
}

/// The slots of the default (version 2) layout's columns, which
/// [`Parser::fill_v2`] reads without looking each column up.
pub(super) const V2_SLOTS: [u8; 14] = [
    slot::NONE,
    slot::ACCOUNT_ID as u8,
    slot::INTERFACE_ID as u8,
    slot::SRCADDR as u8,
    slot::DSTADDR as u8,
    slot::SRCPORT as u8,
    slot::DSTPORT as u8,
    slot::PROTOCOL as u8,
    slot::PACKETS as u8,
    slot::BYTES as u8,
    slot::START as u8,
    slot::END as u8,
    slot::ACTION as u8,
    slot::LOG_STATUS as u8,
];

impl Parser {
    /// Parses a usual record line (without its terminator or surrounding
    /// blanks) into `rec`, in one pass. `false` when the line is anything
    /// else: NODATA or SKIPDATA, a field out of range, an address that is
    /// not canonical IPv4, the wrong number of fields, any malformed value.
    /// Then `rec` holds parts of the line, and [`Parser::parse_with`] must
    /// decide it.
    ///
    /// `rec` is kept from line to line: the fields of the format are all
    /// written, a field the format lacks keeps the value of
    /// [`Record::blank`]. So the caller starts from a blank record and
    /// starts again when the format changes.
    #[inline]
    pub fn parse_fast<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> bool {
        // A blank first field: the line is not trimmed.
        if line.first().is_none_or(|&b| is_sep(b)) {
            return false;
        }
        if self.v2 {
            self.fill_v2(line, rec).is_some()
        } else {
            self.fill(line, rec).is_some()
        }
    }

    /// [`Parser::parse_fast`] for the default layout ([`V2_SLOTS`]): the
    /// same reading as [`Parser::fill`], column after column without a
    /// lookup. `None` declines.
    #[inline(always)]
    fn fill_v2<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Option<()> {
        let mut c = Cursor::new(line);
        c.next()?; // version
        rec.account_id = text(c.text()?, rec.account_id)?;
        rec.interface_id = text(c.text()?, rec.interface_id)?;
        let (at, _) = c.next()?;
        rec.srcaddr = address(line, at, &line[at..c.end])??;
        let (at, _) = c.next()?;
        rec.dstaddr = address(line, at, &line[at..c.end])??;
        let (at, end) = c.next()?;
        rec.srcport = u16::try_from(number(line, at, end)?).ok()?;
        let (at, end) = c.next()?;
        rec.dstport = u16::try_from(number(line, at, end)?).ok()?;
        let (at, end) = c.next()?;
        let protocol = number(line, at, end)?;
        let (at, end) = c.next()?;
        rec.packets = counter(line, at, end)?;
        let (at, end) = c.next()?;
        rec.bytes = counter(line, at, end)?;
        let (at, end) = c.next()?;
        let start = number(line, at, end)?;
        let (at, end) = c.next()?;
        let last = optional_number(line, at, end)?;
        rec.action = action(c.text()?)?;
        log_status(c.text()?)?;
        if !c.ended() {
            return None;
        }
        finish(rec, protocol, start, last)
    }

    /// [`Parser::parse_fast`] for any layout: each column read as its slot
    /// says. The format has every required field
    /// ([`Format::validate`](super::Format::validate)), so a required field
    /// declines only when it is `-`. `None` declines.
    #[inline(always)]
    fn fill<'a>(&self, line: &'a [u8], rec: &mut Record<'a>) -> Option<()> {
        let mut c = Cursor::new(line);
        let mut last: Option<u64> = None;
        let mut start: u64 = 0;
        let mut protocol: u64 = 0;
        for &s in &self.slot_of {
            let (at, end) = c.next()?;
            let v = &line[at..end];
            match usize::from(s) {
                slot::SRCADDR => rec.srcaddr = address(line, at, v)??,
                slot::DSTADDR => rec.dstaddr = address(line, at, v)??,
                slot::PKT_SRCADDR => rec.pkt_srcaddr = address(line, at, v)?,
                slot::PKT_DSTADDR => rec.pkt_dstaddr = address(line, at, v)?,
                slot::SRCPORT => rec.srcport = u16::try_from(number(line, at, end)?).ok()?,
                slot::DSTPORT => rec.dstport = u16::try_from(number(line, at, end)?).ok()?,
                slot::PROTOCOL => protocol = number(line, at, end)?,
                slot::START => start = number(line, at, end)?,
                slot::END => last = optional_number(line, at, end)?,
                slot::PACKETS => rec.packets = counter(line, at, end)?,
                slot::BYTES => rec.bytes = counter(line, at, end)?,
                slot::TCP_FLAGS => rec.tcp_flags = flags(optional_number(line, at, end)?)?,
                slot::ACTION => rec.action = action(v)?,
                slot::LOG_STATUS => log_status(v)?,
                slot::FLOW_DIRECTION => {
                    rec.flow_direction = direction(Some(v).filter(|v| v != b"-"))?
                }
                slot::INTERFACE_ID => rec.interface_id = text(v, rec.interface_id)?,
                slot::VPC_ID => rec.vpc_id = text(v, rec.vpc_id)?,
                slot::ACCOUNT_ID => rec.account_id = text(v, rec.account_id)?,
                slot::PKT_SRC_AWS_SERVICE => {
                    rec.pkt_src_aws_service = text(v, rec.pkt_src_aws_service)?
                }
                slot::PKT_DST_AWS_SERVICE => {
                    rec.pkt_dst_aws_service = text(v, rec.pkt_dst_aws_service)?
                }
                slot::REJECT_REASON => rec.reject_reason = text(v, rec.reject_reason)?,
                // A column sgpair does not use: the field is only counted.
                _ => {}
            }
        }
        // The last field ends the line: no field more.
        if !c.ended() {
            return None;
        }
        finish(rec, protocol, start, last)
    }

    /// [`Parser::record`] for a usual record whose values a source holds
    /// typed (a Parquet row), written into `rec` as [`Parser::parse_fast`]
    /// writes a line's: `false` for anything but a record with log-status
    /// `OK` (or none), IPv4 addresses and every value in range. Then
    /// [`Parser::record`] must decide it. Every field is written (one the
    /// layout lacks reads as missing), so `rec` needs no reset; it is kept
    /// from row to row so that a text field equal to the row before's is
    /// not checked again.
    #[inline]
    pub fn record_fast<'a, F: Fields<'a>>(&self, f: &F, rec: &mut Record<'a>) -> bool {
        fill_fields(f, rec).is_some()
    }
}

/// [`Parser::record_fast`]; `None` declines.
#[inline(always)]
fn fill_fields<'a, F: Fields<'a>>(f: &F, rec: &mut Record<'a>) -> Option<()> {
    let text_of = |s: usize| f.text(Slot(s));
    // A missing number reads as `None`; one that is not a whole number declines.
    let number_of = |s: usize| f.number(Slot(s), "").ok();
    let address_of = |s: usize| -> Option<Option<IpAddr>> {
        if let Some(a) = f.ipv4(Slot(s)) {
            return Some(Some(IpAddr::V4(a)));
        }
        match text_of(s) {
            None => Some(None),
            Some(v) => ipv4_alone(v).map(|a| Some(IpAddr::V4(a))),
        }
    };
    // A row without log-status is a record when it has its addresses and
    // action, which every record here must: the empty interval of such a
    // format (no address, no action) goes to the generic reading.
    if !matches!(text_of(slot::LOG_STATUS), Some(b"OK") | None) {
        return None;
    }
    rec.srcaddr = address_of(slot::SRCADDR)??;
    rec.dstaddr = address_of(slot::DSTADDR)??;
    rec.pkt_srcaddr = address_of(slot::PKT_SRCADDR)?;
    rec.pkt_dstaddr = address_of(slot::PKT_DSTADDR)?;
    rec.srcport = u16::try_from(number_of(slot::SRCPORT)??).ok()?;
    rec.dstport = u16::try_from(number_of(slot::DSTPORT)??).ok()?;
    let protocol = number_of(slot::PROTOCOL)??;
    let start = number_of(slot::START)??;
    let last = number_of(slot::END)?;
    rec.packets = count(number_of(slot::PACKETS)?)?;
    rec.bytes = count(number_of(slot::BYTES)?)?;
    rec.tcp_flags = flags(number_of(slot::TCP_FLAGS)?)?;
    rec.action = action(text_of(slot::ACTION)?)?;
    rec.flow_direction = direction(text_of(slot::FLOW_DIRECTION))?;
    // Text: kept when the bytes are the row before's (checked once).
    let kept = |s: usize, last: Option<&'a str>| -> Option<Option<&'a str>> {
        match text_of(s) {
            None => Some(None),
            Some(v) => text(v, last),
        }
    };
    rec.interface_id = kept(slot::INTERFACE_ID, rec.interface_id)?;
    rec.vpc_id = kept(slot::VPC_ID, rec.vpc_id)?;
    rec.account_id = kept(slot::ACCOUNT_ID, rec.account_id)?;
    rec.pkt_src_aws_service = kept(slot::PKT_SRC_AWS_SERVICE, rec.pkt_src_aws_service)?;
    rec.pkt_dst_aws_service = kept(slot::PKT_DST_AWS_SERVICE, rec.pkt_dst_aws_service)?;
    rec.reject_reason = kept(slot::REJECT_REASON, rec.reject_reason)?;
    finish(rec, protocol, start, last)
}
