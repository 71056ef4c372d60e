//! Any text as a header line or a `--log-format`: detection, layout and
//! parser construction never panic, and a validated layout always builds a parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sgpair::parse::{Format, Parser, looks_like_header};

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_header(data);
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(fmt) = Format::from_names(text)
    {
        let valid = fmt.validate().is_ok();
        assert_eq!(
            valid,
            Parser::new(&fmt).is_ok(),
            "validate and Parser::new agree"
        );
        if let Ok(p) = Parser::new(&fmt) {
            // A line of dashes of the right width is NODATA-like, never a panic.
            let dashes = vec!["-"; fmt.columns.len()].join(" ");
            let _ = p.parse(dashes.as_bytes());
        }
    }
});
