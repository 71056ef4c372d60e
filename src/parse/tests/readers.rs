//! The one-pass parse's readers (separators, numbers, addresses, text),
//! each against its byte-by-byte definition.

use super::*;

/// `len` bytes drawn from `alphabet`.
fn drawn(next: &mut impl FnMut(usize) -> usize, len: usize, alphabet: &[u8]) -> Vec<u8> {
    (0..len).map(|_| alphabet[next(alphabet.len())]).collect()
}

/// A small xorshift stream for the randomised tests.
fn xorshift(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    }
}

/// The byte-by-byte reading of an address that is the whole of `v`: the
/// definition the wide reading is held to.
fn byte_by_byte_ipv4(v: &[u8]) -> Option<Ipv4Addr> {
    let mut at = 0;
    fast::ipv4_at(v, &mut at).filter(|_| at == v.len())
}

#[test]
fn word_at_a_time_splitting_agrees_with_splitting_byte_by_byte() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let alphabet = b"a1 \t-.";
    for len in 0..200 {
        let line: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize]
            })
            .collect();
        let want: Vec<&[u8]> = line
            .split(|b| *b == b' ' || *b == b'\t')
            .filter(|t| !t.is_empty())
            .collect();
        let (n, got) = fields(&line);
        assert_eq!(n, want.len(), "{:?}", String::from_utf8_lossy(&line));
        assert_eq!(got, want[..n.min(slot::COUNT)]);
    }
}

/// The word-wise comparison agrees with the slice comparison at every
/// length around its word sizes, for a difference at every place.
#[test]
fn short_comparison_agrees_with_slices() {
    for n in 0..=40usize {
        let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
        assert!(super::same(&a, &a.clone()), "length {n}");
        for at in 0..n {
            let mut b = a.clone();
            b[at] ^= 1;
            assert!(!super::same(&a, &b), "length {n}, byte {at}");
        }
        let mut longer = a.clone();
        longer.push(b'a');
        assert!(!super::same(&a, &longer), "lengths {n} and {}", n + 1);
    }
}

/// The separators of random lines of every length up to 300 bytes (past
/// several 64-byte windows and their ends) are taken in order, then the
/// line's length, exactly where a byte-by-byte scan finds them; and so are
/// the newlines, where `memchr` finds them.
#[test]
fn separator_bits_find_every_space_and_tab() {
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    let alphabet = b" \tab1-\n\r";
    for round in 0..20_000 {
        let len = round % 301;
        let line = drawn(&mut next, len, alphabet);
        let expected: Vec<usize> = line
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b' ' || b == b'\t')
            .map(|(i, _)| i)
            .chain([len, len])
            .collect();
        let mut seps = fast::Separators::new(&line);
        let taken: Vec<usize> = (0..expected.len()).map(|_| seps.take()).collect();
        assert_eq!(taken, expected, "{:?}", String::from_utf8_lossy(&line));
        let newlines: Vec<usize> = memchr::memchr_iter(b'\n', &line)
            .chain([len, len])
            .collect();
        let mut ends = Newlines::new(&line);
        let taken: Vec<usize> = (0..newlines.len()).map(|_| ends.take()).collect();
        assert_eq!(taken, newlines, "{:?}", String::from_utf8_lossy(&line));
    }
}

/// The one-pass parse's numbers (eight digits per load, ending at the
/// field's end, byte by byte near the line's start) agree with reading the
/// digits one at a time, for fields of 1 to 21 bytes at every place, digits
/// or not.
#[test]
fn word_at_a_time_numbers_agree_with_digit_by_digit() {
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let junk = b"/:a \x00\xff.-+";
    let mut nonzero = 0;
    for _ in 0..200_000 {
        let k = next(24);
        let before = drawn(&mut next, k, b"0123456789 x");
        let n = 1 + next(21);
        let mut field: Vec<u8> = (0..n).map(|_| b'0' + next(10) as u8).collect();
        if next(4) == 0 {
            field[next(n)] = junk[next(junk.len())];
        }
        let mut line = before.clone();
        line.extend_from_slice(&field);
        let k = next(10);
        line.extend(drawn(&mut next, k, b"9 x"));
        let expected = if n <= 19 && field.iter().all(u8::is_ascii_digit) {
            Some(
                field
                    .iter()
                    .fold(0u64, |v, &d| v * 10 + u64::from(d - b'0')),
            )
        } else {
            None
        };
        nonzero += u32::from(expected.is_some_and(|v| v > 0));
        let got = fast::number(&line, before.len(), before.len() + n);
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&field));
    }
    assert!(nonzero > 50_000, "too few numbers: {nonzero}");
}

/// The one-pass parse's address reading (sixteen bytes at once, the dots
/// giving the octets) takes exactly what the byte-by-byte reading takes, with the same
/// address, for random dotted strings at every place in a line (near its
/// start, the bytes before the field are too few for the wide read), each
/// ending at a separator or at the line's end as a field does; and so does
/// the reading of an address that is a value of its own.
#[test]
fn wide_ipv4_reading_agrees_with_the_definition() {
    let mut next = xorshift(0xd1b5_4a32_d192_ed03);
    let alphabet = b"0123456789..25010x/";
    let mut taken = 0;
    for _ in 0..200_000 {
        let k = next(20);
        let before = drawn(&mut next, k, b"1.2 x");
        let n = 1 + next(17);
        let field: Vec<u8> = if next(3) == 0 {
            let octet = |next: &mut dyn FnMut(usize) -> usize| match next(4) {
                0 => next(10).to_string(),
                1 => next(100).to_string(),
                2 => next(256).to_string(),
                _ => next(1000).to_string(),
            };
            let parts: Vec<String> = (0..4).map(|_| octet(&mut next)).collect();
            parts.join(".").into_bytes()
        } else {
            drawn(&mut next, n, alphabet)
        };
        let mut line = before.clone();
        line.extend_from_slice(&field);
        // A field ends at a separator or at the line's end.
        if next(2) == 0 {
            line.push(b' ');
            let k = next(6);
            line.extend(drawn(&mut next, k, b" 9"));
        }
        let expected = byte_by_byte_ipv4(&field);
        taken += u32::from(expected.is_some());
        let got = fast::ipv4_field(&line, before.len(), before.len() + field.len());
        assert_eq!(got, expected, "{:?}", String::from_utf8_lossy(&field));
        // A value of its own (a Parquet cell), read from a padded copy.
        let alone = fast::ipv4_alone(&field);
        assert_eq!(
            alone,
            expected,
            "{:?} alone",
            String::from_utf8_lossy(&field)
        );
    }
    assert!(taken > 20_000, "too few addresses: {taken}");
}

/// The one-pass parse's text check (ASCII a word at a time, else the
/// standard check) takes exactly the valid UTF-8 of random byte strings,
/// ASCII or not, of every length to 40.
#[test]
fn the_text_check_takes_exactly_valid_utf8() {
    let mut next = xorshift(0x94d0_49bb_1331_11eb);
    let pieces: [&[u8]; 6] = [
        b"a",
        b"eni-0",
        "é".as_bytes(),
        b"\xff",
        b"\xc3",
        "€".as_bytes(),
    ];
    let mut both = [0u32; 2];
    for round in 0..100_000 {
        let mut v = Vec::new();
        while v.len() < round % 41 {
            v.extend_from_slice(pieces[if next(4) == 0 { next(6) } else { next(2) }]);
        }
        let expected = std::str::from_utf8(&v).ok();
        both[usize::from(expected.is_some())] += 1;
        assert_eq!(fast::utf8(&v), expected, "{v:?}");
    }
    assert!(both.iter().all(|&n| n > 10_000), "{both:?}");
}

/// The separator bits of a chunk (SSE2 on x86-64) are the word-at-a-time
/// bits of its eight-byte words, which serve where SSE2 is not at hand.
#[test]
fn chunk_bits_agree_with_word_bits() {
    let mut next = xorshift(0x1234_5678_9abc_def1);
    let alphabet = b" \t\n-a1\x00\xff\x20\x09";
    for _ in 0..50_000 {
        let bytes = drawn(&mut next, 40, alphabet);
        let at = next(24);
        let (bits, chunk) = fast::chunk_bits_for_test(&bytes, at);
        let words = (0..chunk / 8).fold(0u64, |acc, k| {
            acc | fast::word_bits::<b' ', b'\t'>(&bytes, at + 8 * k) << (8 * k)
        });
        assert_eq!(bits, words, "{bytes:?} at {at}");
    }
}
