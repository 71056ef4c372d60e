use std::io::Cursor;

use super::input::MAX_STRING;
use super::*;
use crate::sources::parquet::{Batch, Want};
use crate::sources::{Batches, Kind, Lines, Notes};

/// What a document handed over, one item a string: `stream #N: line` or
/// `stream #N: no line: why`; then the notes, and what is missing.
#[derive(Debug, Default, PartialEq)]
struct Items {
    items: Vec<String>,
    notes: Vec<String>,
    missing: Vec<String>,
}

/// A sink that writes down what it is handed.
struct Recorder;

/// The recorder's reader of every shape (only documents are used here).
struct Record {
    out: Items,
    notes: Notes,
}

impl Lines for Record {
    type Out = Items;
    fn line(&mut self, line: &[u8], number: u64) {
        let line = String::from_utf8_lossy(line);
        self.out.items.push(format!("#{number}: {line}"));
    }
    fn no_line(&mut self, number: u64, why: &str) {
        self.out.items.push(format!("#{number}: ({why})"));
    }
    fn finish(self) -> Items {
        self.out
    }
}

impl Batches for Record {
    type Out = Items;
    fn columns(&self) -> &[(usize, Want)] {
        &[]
    }
    fn batch(&mut self, _: &Batch) {}
    fn finish(self) -> Items {
        self.out
    }
}

impl Document for Record {
    type Out = Items;
    fn line(&mut self, stream: &str, line: &[u8], number: u64) {
        let line = String::from_utf8_lossy(line);
        self.out.items.push(format!("{stream} #{number}: {line}"));
    }
    fn no_line(&mut self, stream: &str, number: u64, why: &str) {
        self.out
            .items
            .push(format!("{stream} #{number}: no line: {why}"));
    }
    fn finish(mut self) -> Items {
        self.out.notes = self.notes.take();
        self.out
    }
}

impl Sink for Recorder {
    type Out = Items;
    type Lines = Record;
    type Batches = Record;
    type Document = Record;
    fn empty(&self) -> Items {
        Items::default()
    }
    fn stream(&self, _: Stream, _: bool) -> Result<Items> {
        unreachable!("a document is read by events::read")
    }
    fn lines(&self, _: String) -> Record {
        unreachable!("a document is read by events::read")
    }
    fn batches(&self, _: String, _: &[String]) -> Record {
        unreachable!("a document is read by events::read")
    }
    fn document(&self, _: String, notes: Notes) -> Record {
        Record {
            out: Items::default(),
            notes,
        }
    }
    fn merge(&self, into: &mut Items, from: Items) {
        into.items.extend(from.items);
    }
    fn located(&self, _: &mut Items, _: &str) {}
    fn missing(&self, into: &mut Items, what: String) {
        into.missing.push(what);
    }
}

fn stream(json: &[u8]) -> Stream {
    Stream {
        name: "ev.json".into(),
        size: 0,
        reader: Box::new(Cursor::new(json.to_vec())),
        kind: Kind::Events,
        notes: Notes::default(),
    }
}

fn read_all(json: &str) -> Items {
    read(&Recorder, stream(json.as_bytes()), false).expect("a valid document")
}

/// The error message of a document that does not read (no `--allow-partial`).
fn error(json: &[u8]) -> String {
    format!(
        "{:#}",
        read(&Recorder, stream(json), false).expect_err("a broken document")
    )
}

#[test]
fn a_document_of_events_is_told_by_its_first_bytes() {
    for head in [
        "{\"events\": [",
        "{\n    \"events\": [\n        {",
        "\u{feff}  {\"events\":[]}",
        "{\"nextForwardToken\": \"f/1\", \"events\": []",
        "{\"searchedLogStreams\": [], \"events\": []",
        "{ \"nextToken\": \"x\"",
        "{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1\"",
        "{\"logEvents\": [",
        "[\n    {\n        \"logStreamName\": \"eni-1-all\",",
        "[{\"timestamp\": 1, \"message\": \"2 1\"}]",
        "[ ]",
        "[\"2 123456789012 eni-1 10.0.0.1\"]",
    ] {
        assert!(starts_document(head.as_bytes()), "{head:?}");
    }
    for head in [
        // A CloudWatch export line (JSON lines), read as text.
        "{\"message\": \"2 123456789012 eni-1 ...\"}",
        "{\"logStreamName\": \"eni-1-all\", \"message\": \"2 1 ...\"}",
        "{\"eventsX\": []}",
        "{\"events",
        "{",
        "[{\"events\": []}]",
        "[{\"messageType\": \"DATA_MESSAGE\"}]",
        "[1, 2]",
        "[",
        "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK",
        "",
    ] {
        assert!(!starts_document(head.as_bytes()), "{head:?}");
    }
}

/// `filter-log-events`: each event's message is a line of
/// `FILE/logStreamName`, numbered in the file; the other keys are not read.
#[test]
fn filter_log_events_hands_each_message_to_its_log_stream() {
    let json = r#"{
    "events": [
        {"logStreamName": "eni-a-all", "timestamp": 1, "message": "2 one", "ingestionTime": 2, "eventId": "1"},
        {"logStreamName": "eni-b-all", "timestamp": 1, "message": "2 two", "ingestionTime": 2, "eventId": "2"},
        {"eventId": "3", "message": "2 three", "logStreamName": "eni-a-all"}
    ],
    "searchedLogStreams": [{"logStreamName": "eni-a-all", "searchedCompletely": true}],
    "nextToken": "abc"
}"#;
    assert_eq!(
        read_all(json).items,
        [
            "ev.json/eni-a-all #1: 2 one",
            "ev.json/eni-b-all #2: 2 two",
            "ev.json/eni-a-all #3: 2 three",
        ]
    );
}

/// `get-log-events` names no stream: the file is the stream.
#[test]
fn get_log_events_hands_each_message_to_the_file() {
    let json = r#"{"events": [{"timestamp": 1, "message": "2 one\n", "ingestionTime": 2},
        {"timestamp": 1, "message": "2 \"two\" \u00e9", "ingestionTime": 2}],
      "nextForwardToken": "f/3", "nextBackwardToken": "b/1"}"#;
    assert_eq!(
        read_all(json).items,
        ["ev.json #1: 2 one\n", "ev.json #2: 2 \"two\" é"]
    );
}

/// Every item counts: an event without a string message, or whose stream
/// is not a string, and an item that is no event are handed on without a
/// line, each saying what it held, at its number.
#[test]
fn an_item_without_a_message_string_is_handed_on_with_what_it_holds() {
    let json = r#"{"events": [
        {"logStreamName": "s", "timestamp": 1},
        {"logStreamName": "s", "message": null},
        {"logStreamName": "s", "message": 17},
        {"logStreamName": "s", "message": {"text": "2 x"}},
        {"logStreamName": "s", "message": ["2 x"]},
        {"logStreamName": 5, "message": "2 x"},
        {"logStreamName": null, "message": "2 y"},
        "2 z",
        [1, [2]],
        true,
        {"logStreamName": "s", "message": "2 ok"}
    ]}"#;
    assert_eq!(
        read_all(json).items,
        [
            "ev.json/s #1: no line: an event without a \"message\" (a flow-log record is an \
             event's message)",
            "ev.json/s #2: no line: an event without a \"message\" (a flow-log record is an \
             event's message)",
            "ev.json/s #3: no line: an event whose \"message\" is a number, not a string",
            "ev.json/s #4: no line: an event whose \"message\" is an object, not a string",
            "ev.json/s #5: no line: an event whose \"message\" is a list, not a string",
            "ev.json #6: no line: an event whose \"logStreamName\" is a number, not a string",
            "ev.json #7: 2 y",
            "ev.json #8: no line: an item of the \"events\" list that is a string, not an event \
             (an object)",
            "ev.json #9: no line: an item of the \"events\" list that is a list, not an event \
             (an object)",
            "ev.json #10: no line: an item of the \"events\" list that is true or false, not an \
             event (an object)",
            "ev.json/s #11: 2 ok",
        ]
    );
}

/// Pages put together (`cat`), with or without blanks between them, each
/// page with a byte-order mark or not, read as one document: the numbers
/// go on; a document without an `events` list is noted, with its line.
#[test]
fn documents_one_after_another_are_read_in_turn() {
    let json = "\u{feff}{\"events\": [{\"message\": \"a\"}], \"nextToken\": \"1\"}\u{feff}{\"events\": \
                [{\"message\": \"b\"}]}\n\n  {\"nextToken\": \"2\"}\n{\"events\": [{\"message\": \"c\"}]}\n";
    let got = read_all(json);
    assert_eq!(
        got.items,
        ["ev.json #1: a", "ev.json #2: b", "ev.json #3: c"]
    );
    assert_eq!(
        got.notes,
        [
            "ev.json:3: a JSON document (the file's document 3) without an \"events\" or \"logEvents\" \
             list: nothing in it was read"
        ]
    );
    assert!(got.missing.is_empty());
}

/// A break names the file, line and column in the file (not in the
/// document it is in), what is wrong, and how far the read went.
#[test]
fn json_that_is_not_valid_is_an_error_at_its_line_and_column() {
    // The second comma of line 2 (serde_json reads on to the end of the
    // object before it returns: the place is the error's, not the reader's).
    let e = error(b"{\"events\": [{\"message\": \"a\"},\n  {\"message\": \"b\",, }]}");
    assert_eq!(
        e,
        "ev.json:2:19: not valid JSON (read up to event 1): key must be a string"
    );
    // In a second document on the same line: columns from the line's start.
    let e = error(b"{\"events\": []} {\"events\": [,]}");
    assert_eq!(
        e,
        "ev.json:1:28: not valid JSON (no event was read): expected value"
    );
    // In a second document, a line further.
    let e = error(b"{\"events\": [{\"message\": \"a\"}]}\n{\"events\": [\n  {\"message\": 'b'}]}");
    assert_eq!(
        e,
        "ev.json:3:15: not valid JSON (read up to event 1): expected value"
    );
    let e = error(b"{\"events\": [{\"message\": \"a\"}, {\"mess");
    assert_eq!(
        e,
        "ev.json:1:36: the JSON breaks off (read up to event 1): EOF while parsing a string"
    );
    let e = error(b"{\"events\": {\"message\": \"a\"}}");
    assert_eq!(
        e,
        "ev.json:1:12: not a document of CloudWatch Logs events (no event was read): invalid \
         type: map, expected a list of events"
    );
    let e = error(b"{\"events\": []}\n\"x\"");
    assert_eq!(
        e,
        "ev.json:2:3: not a document of CloudWatch Logs events (no event was read): invalid \
         type: string \"x\", expected an object with an \"events\" or \"logEvents\" list, or a \
         list of events"
    );
    let e = error(b"{\"events\": []} x");
    assert_eq!(
        e,
        "ev.json:1:16: not valid JSON (no event was read): expected value"
    );
}

/// With `allow_partial`, the events before the break are handed on and the
/// break is recorded as missing.
#[test]
fn with_allow_partial_the_events_before_a_break_are_kept() {
    let json = b"{\"events\": [{\"message\": \"a\"}, {\"message\": \"b\"}, {\"message\": \"c";
    let got = read(&Recorder, stream(json), true).expect("kept");
    assert_eq!(got.items, ["ev.json #1: a", "ev.json #2: b"]);
    assert_eq!(
        got.missing,
        ["ev.json:1:62: the JSON breaks off (read up to event 2): EOF while parsing a string"]
    );
}

/// A string past the longest one read ends the read where it passes it,
/// rather than being held whole.
#[test]
fn a_string_longer_than_any_message_ends_the_read() {
    let mut json = b"{\"events\": [{\"message\": \"ok\"},\n{\"message\": \"".to_vec();
    json.resize(json.len() + MAX_STRING as usize + 10, b'x');
    json.extend_from_slice(b"\"}]}");
    let e = error(&json);
    let at = format!(
        "ev.json:2:{}: cannot read further (read up to event 1): a JSON string longer than 8 MiB",
        13 + MAX_STRING
    );
    assert!(e.starts_with(&at), "{e}");
    // Escaped quotes are part of the string; a string of the longest
    // length is read.
    let mut json = b"{\"events\": [{\"message\": \"\\\"".to_vec();
    json.resize(json.len() + MAX_STRING as usize - 2, b'y');
    json.extend_from_slice(b"\"}]}");
    let got = read_all(std::str::from_utf8(&json).unwrap());
    assert_eq!(got.items.len(), 1);
    assert_eq!(
        got.items[0].len(),
        "ev.json #1: ".len() + MAX_STRING as usize - 1
    );
}

/// A read error (a gzip that breaks off) is said with its place too.
#[test]
fn a_read_error_is_said_with_its_place() {
    struct Breaks(Cursor<Vec<u8>>);
    impl std::io::Read for Breaks {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(std::io::Error::other("corrupt deflate stream")),
                n => Ok(n),
            }
        }
    }
    impl std::io::BufRead for Breaks {
        fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
            self.0.fill_buf()
        }
        fn consume(&mut self, n: usize) {
            self.0.consume(n);
        }
    }
    for (json, place) in [
        (
            &b"{\"events\": [{\"message\": \"a\"}]}\n "[..],
            "ev.json:2:1: cannot read further (read up to event 1)",
        ),
        (
            b"{\"events\": [{\"message\": \"a\"}, ",
            "ev.json:1:30: cannot read further (read up to event 1)",
        ),
    ] {
        let s = Stream {
            reader: Box::new(Breaks(Cursor::new(json.to_vec()))),
            ..stream(b"")
        };
        let e = format!("{:#}", read(&Recorder, s, false).unwrap_err());
        assert_eq!(e, format!("{place}: corrupt deflate stream"));
    }
}

/// Any cut and any changed byte of a document reads to an end or a break,
/// never a panic; the events handed on before a break are the first of the
/// whole document's.
#[test]
fn every_cut_and_changed_byte_reads_or_breaks_cleanly() {
    let json = "{\"events\": [{\"logStreamName\": \"a\", \"message\": \"2 x\\\"y\", \"eventId\": \"1\"},\n\
                {\"message\": null, \"extra\": [1, {\"k\": 2.5e3}]}, {\"message\": \"\\u00e9\"}],\n\
                \"nextToken\": \"t\"}\n{\"events\": [{\"message\": \"z\"}]}";
    let whole = read_all(json).items;
    assert_eq!(whole.len(), 4);
    let bytes = json.as_bytes();
    let first_end = json.find("}\n{").unwrap() + 1;
    for cut in 0..bytes.len() {
        let got = read(&Recorder, stream(&bytes[..cut]), true).expect("kept");
        assert!(whole.starts_with(&got.items), "cut at {cut}: {got:?}");
        // A break is recorded, but where the cut ends a whole document.
        let ends_one = [0, first_end, first_end + 1].contains(&cut);
        assert_eq!(
            got.missing.len(),
            usize::from(!ends_one),
            "cut at {cut}: {got:?}"
        );
    }
    for at in 0..bytes.len() {
        for b in [b'"', b'{', b']', b'\\', b',', 0xff, b'\n'] {
            let mut changed = bytes.to_vec();
            changed[at] = b;
            let strict = read(&Recorder, stream(&changed), false);
            let kept = read(&Recorder, stream(&changed), true).expect("kept");
            assert_eq!(strict.is_ok(), kept.missing.is_empty(), "{at}: {b}");
        }
    }
}

/// What `--query events` prints: a bare list of events, each of its own
/// stream; `--query 'events[].message'`: a list of messages, the file's.
#[test]
fn a_bare_list_of_events_or_of_messages_is_read_as_a_document() {
    let got = read_all(
        r#"[
            {"logStreamName": "eni-1-all", "timestamp": 1, "message": "a"},
            {"timestamp": 2, "message": "b"},
            7
        ]"#,
    );
    assert_eq!(
        got.items,
        vec![
            "ev.json/eni-1-all #1: a",
            "ev.json #2: b",
            "ev.json #3: no line: an item of the list of events that is a number, not an event (an object)",
        ]
    );
    let got = read_all(r#"["a", "b", null]["c"]"#);
    assert_eq!(
        got.items,
        vec![
            "ev.json #1: a",
            "ev.json #2: b",
            "ev.json #3: no line: an item of the list of events that is null, not an event (an object)",
            "ev.json #4: c",
        ]
    );
    assert!(got.notes.is_empty(), "{:?}", got.notes);
    assert_eq!(read_all("[]"), Items::default());
}

/// A subscription's delivery (through Firehose to S3): documents one after
/// another, each event of its document's log group and stream; a control
/// message's events are counted in a note, not handed on; a string in
/// `logEvents` is not an event.
#[test]
fn subscription_documents_name_their_group_and_stream() {
    let got = read_all(concat!(
        r#"{"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "","#,
        r#" "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}, "x"]}"#,
        r#"{"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/vpc/flows", "logStream": "eni-1-all","#,
        r#" "subscriptionFilters": ["f"], "logEvents": [{"id": "1", "timestamp": 1, "message": "a"}, "b"]}"#,
        r#"{"messageType": "DATA_MESSAGE", "logStream": "eni-2-all", "logEvents": [{"id": "2", "message": "c"}]}"#,
        r#"{"logEvents": [{"id": "3", "message": "d", "logStreamName": "own"}]}"#,
    ));
    assert_eq!(
        got.items,
        vec![
            "ev.json//vpc/flows/eni-1-all #3: a",
            "ev.json #4: no line: an item of the \"logEvents\" list that is a string, not an event (an object)",
            "ev.json/eni-2-all #5: c",
            "ev.json/own #6: d",
        ]
    );
    assert_eq!(
        got.notes,
        vec![
            "ev.json: 2 events of CloudWatch Logs control messages not read (a subscription's \
             checks of its destination, not flow-log records)"
        ]
    );
}
