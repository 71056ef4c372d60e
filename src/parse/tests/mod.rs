//! The parser's tests, by subject; the helpers they share are here.

use super::*;

mod generic;
mod one_pass;
mod readers;

fn v2() -> Parser {
    Parser::new(&Format::default_v2()).unwrap()
}

/// The first `slot::COUNT` fields, as the parser sees them.
fn fields(line: &[u8]) -> (usize, Vec<&[u8]>) {
    let identity: Vec<u8> = (0..slot::COUNT as u8).collect();
    let mut toks: [&[u8]; slot::COUNT] = [&[]; slot::COUNT];
    let n = split_fields(line, &identity, &mut toks);
    (n, toks[..n.min(slot::COUNT)].to_vec())
}

const DEFAULT_V2_NAMES: &str = format::DEFAULT_V2;

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
