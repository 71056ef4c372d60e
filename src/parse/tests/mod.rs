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
