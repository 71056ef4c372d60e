//! The layout of a stream's lines: the format a stream starts with (given,
//! the flow log's, or the v2 default, noted), the layout in force at a
//! block's first line, and the record inside a CloudWatch export line.

use super::ReadOptions;
use crate::parse::{Format, FormatError, Parser};
use crate::stats::{Span, Stats, count};

/// The layout in force at the first line of a block.
#[derive(Clone)]
pub(super) struct BlockStart {
    pub(super) first_line: u64,
    pub(super) format: Format,
    pub(super) parser: Result<Parser, FormatError>,
}

/// The layout of a stream's first lines, with a note when it cannot be
/// used; the stream is counted ([`count_stream`]).
pub(super) fn start_format(
    name: &str,
    opts: &ReadOptions,
    format: Option<Format>,
    stats: &mut Stats,
) -> (Format, Result<Parser, FormatError>) {
    count_stream(name, stats);
    first_format(name, opts, format, stats)
}

/// Counts a stream read in `stats.files` and in its source, with or
/// without records in the window.
pub(super) fn count_stream(name: &str, stats: &mut Stats) {
    stats.files += 1;
    stats.add_stream_span(name, &Span::default());
}

/// The layout of the first lines of `name` (a stream, or a document of
/// several), with a note when it cannot be used.
pub(super) fn first_format(
    name: &str,
    opts: &ReadOptions,
    format: Option<Format>,
    stats: &mut Stats,
) -> (Format, Result<Parser, FormatError>) {
    let format = format
        .or_else(|| opts.log_format.clone())
        .unwrap_or_else(Format::default_v2);
    let parser = Parser::new(&format);
    if let Err(e) = &parser {
        stats.notes.push(format!("{name}: {e}"));
    }
    (format, parser)
}

/// The note that `name`'s lines are read in the default v2 format, given
/// with the stream's first record (a CloudWatch export line unwrapped).
/// When that record has another number of fields, every line of the stream
/// is likely skipped, so the note says how to give the format.
pub(super) fn assumed_note(name: &str, first_record: &[u8]) -> String {
    let mut note =
        format!("{name}: no header line and no --log-format: the default v2 format was assumed");
    // Split as the parser splits (spaces and tabs), so the count is the one
    // the record's own skip line gives.
    let fields = first_record
        .split(|b| *b == b' ' || *b == b'\t')
        .filter(|f| !f.trim_ascii().is_empty())
        .count();
    let v2 = Format::default_v2().columns.len();
    if fields != v2 {
        note.push_str(&format!(
            ", but its first record has {}, not v2's {v2}: if its flow log has a custom format, \
             give that format's fields with --log-format (the flow log's LogFormat, which \
             `aws ec2 describe-flow-logs --query 'FlowLogs[].LogFormat'` prints), or start the file with a header line",
            count(fields as u64, "field")
        ));
    }
    // A carriage return inside the line: lines that end in CR alone (an
    // old Mac export), which read as one line.
    let body = first_record.trim_ascii_end();
    if body.contains(&b'\r') {
        note.push_str(
            "; its lines end in a carriage return alone (CR, not LF or CRLF), so the file reads as one line: \
             convert them first (`tr '\\r' '\\n' < FILE > FILE.lf`)",
        );
    }
    note
}

/// The record inside a CloudWatch export line `{"message": "..."}`.
#[cold]
pub(super) fn unwrap_json(line: &[u8]) -> Option<String> {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(m)) => m
            .get("message")
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_string()),
        _ => None,
    }
}

/// A line of a CloudWatch Logs export to S3 (`CreateExportTask`) without
/// the event's time in front: each line of such an object is the event's
/// ingestion time in RFC 3339 (`2026-11-24T00:00:05.000Z`), a space, then
/// the message. Any other line is returned whole. The time is CloudWatch's,
/// not the record's (`start` and `end` are in the record), so it is dropped.
/// A record never starts so: no flow-log field has a `-` after four digits.
#[inline(always)]
pub(super) fn strip_export_stamp(line: &[u8]) -> &[u8] {
    if line.len() > 20 && line[4] == b'-' && line[10] == b'T' {
        export_stamp_len(line).map_or(line, |n| line[n..].trim_ascii_start())
    } else {
        line
    }
}

/// The length of the RFC 3339 time `line` starts with, when a space or a
/// tab follows it: `YYYY-MM-DDTHH:MM:SS`, a fraction, then `Z` or an
/// offset `+HH:MM`.
#[cold]
fn export_stamp_len(line: &[u8]) -> Option<usize> {
    const SHAPE: &[u8; 19] = b"dddd-dd-ddTdd:dd:dd";
    let fits = |at: usize, shape: &[u8]| {
        shape.iter().enumerate().all(|(i, &c)| {
            line.get(at + i).is_some_and(|&b| {
                if c == b'd' {
                    b.is_ascii_digit()
                } else {
                    b == c
                }
            })
        })
    };
    if !fits(0, SHAPE) {
        return None;
    }
    let mut at = SHAPE.len();
    if line.get(at) == Some(&b'.') {
        at += 1;
        let digits = line[at..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        at += digits;
    }
    match line.get(at) {
        Some(b'Z' | b'z') => at += 1,
        Some(b'+' | b'-') if fits(at + 1, b"dd:dd") => at += 6,
        _ => return None,
    }
    matches!(line.get(at), Some(b' ' | b'\t')).then_some(at + 1)
}

/// Counts line `line` of `name`, longer than `max` bytes, as a skipped
/// record (`line too long`), with what to check.
#[cold]
pub(super) fn skip_long_line(name: &str, line: u64, max: usize, stats: &mut Stats) {
    stats.records += 1;
    stats.skip_at(
        "line too long",
        name,
        line,
        format_args!(
            "a line longer than {max} bytes, which no flow-log record is (a record's line is \
             under a few KB): skipped to its end without being read; is this a flow log?"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_record_of_one_field_is_said_in_the_singular() {
        let note = assumed_note("f.log", b"garbage");
        assert!(
            note.contains("its first record has 1 field, not v2's 14"),
            "{note}"
        );
    }

    #[test]
    fn lines_ending_in_cr_alone_are_counted_as_the_parser_splits_and_said() {
        // Two records joined by a CR: the parser sees "OK\r2" as one field.
        let line = b"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\r2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\r";
        let note = assumed_note("f.log", line);
        assert!(note.contains("its first record has 27 fields,"), "{note}");
        assert!(
            note.contains("its lines end in a carriage return alone (CR, not LF or CRLF)"),
            "{note}"
        );
    }

    #[test]
    fn an_export_line_loses_its_time_and_nothing_else_does() {
        let record = b"2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK";
        for stamp in [
            "2026-11-24T00:00:05.000Z ",
            "2026-11-24T00:00:05Z ",
            "2026-11-24T00:00:05.123456Z\t",
            "2026-11-24T00:00:05+01:00 ",
            "2026-11-24T00:00:05.5-05:30  ",
        ] {
            let line = [stamp.as_bytes(), record].concat();
            assert_eq!(strip_export_stamp(&line), record, "{stamp:?}");
        }
        for kept in [
            &record[..],
            b"2026-11-24T00:00:05.000Z",
            b"2026-11-24T00:00:05.Z 2 1",
            b"2026-11-24T00:00:05.000 2 1 eni-1",
            b"2026-11-24T00:00:05+0100 2 1 eni-1",
            b"2026-11-24X00:00:05.000Z 2 1 eni-1",
            b"2026-1a-24T00:00:05.000Z 2 1 eni-1",
            b"1700000000 1700000060 eni-1 ACCEPT",
        ] {
            assert_eq!(
                strip_export_stamp(kept),
                kept,
                "{:?}",
                String::from_utf8_lossy(kept)
            );
        }
    }
}
