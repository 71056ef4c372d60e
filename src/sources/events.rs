//! A document of CloudWatch Logs events as the AWS CLI prints it, given as
//! a file: `aws logs filter-log-events` (`{"events": [{"logStreamName",
//! "timestamp", "message", "ingestionTime", "eventId"}, ...],
//! "searchedLogStreams": [...]}`, `"nextToken"` too with `--no-paginate`)
//! or `aws logs get-log-events` (`{"events": [{"timestamp", "message",
//! "ingestionTime"}, ...], "nextForwardToken", "nextBackwardToken"}`), or
//! several such documents one after another (pages put together with
//! `cat`); the bare list `--query events` prints (`[{"logStreamName", ...},
//! ...]`, or `["message", ...]` from `--query 'events[].message'`); what a
//! CloudWatch Logs subscription delivers through Firehose to S3
//! (`{"messageType", "owner", "logGroup", "logStream",
//! "subscriptionFilters", "logEvents": [{"id", "timestamp", "message"},
//! ...]}`, one after another; a control message's events are not read,
//! but counted in a note). Each event's message is one line of the stream
//! its `logStreamName` names, `FILE/STREAM` (as a log group's streams are
//! `GROUP/STREAM`), or its document's `logGroup` and `logStream` name
//! (read before `logEvents`, as CloudWatch Logs writes them),
//! `FILE/GROUP/STREAM`, or of the file itself where neither names one; an
//! event's place is its number in the file, from 1. The other keys are not
//! read.
//!
//! The document is read as it streams in: serde_json's deserializer drives
//! visitors over the `events` list, and each event's `message` and
//! `logStreamName` are read into buffers kept from event to event and
//! handed to the sink's [`Document`] before the next event is read. Neither
//! the document nor its list of events is ever held.

use std::fmt;
use std::io;

use anyhow::Result;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;

use super::{Document, Sink, Stream};

mod input;

use input::{BOM, Input};

/// The keys a document of events starts with: the AWS CLI prints
/// `"events"` first, a subscription `"messageType"`; the others, where a
/// tool reordered the keys.
const FIRST_KEYS: [&[u8]; 11] = [
    b"events",
    b"nextToken",
    b"nextForwardToken",
    b"nextBackwardToken",
    b"searchedLogStreams",
    b"messageType",
    b"owner",
    b"logGroup",
    b"logStream",
    b"subscriptionFilters",
    b"logEvents",
];

/// The keys an event starts with, in a bare list of events.
const EVENT_KEYS: [&[u8]; 6] = [
    b"logStreamName",
    b"timestamp",
    b"message",
    b"ingestionTime",
    b"eventId",
    b"id",
];

/// Whether a stream whose first bytes are `head` is a document of events:
/// after a byte-order mark and blanks, `{` then one of [`FIRST_KEYS`], or
/// a bare list: `[` then an event (`{` then one of [`EVENT_KEYS`]), a
/// message (a string) or its end. No flow-log line starts so, and a line
/// of JSON lines starts with an event, not a document.
pub fn starts_document(head: &[u8]) -> bool {
    let head = head.strip_prefix(BOM).unwrap_or(head).trim_ascii_start();
    let first_key = |rest: &[u8], keys: &[&[u8]]| {
        let Some(rest) = rest.trim_ascii_start().strip_prefix(b"{") else {
            return false;
        };
        let Some(rest) = rest.trim_ascii_start().strip_prefix(b"\"") else {
            return false;
        };
        keys.iter()
            .any(|k| rest.strip_prefix(*k).is_some_and(|r| r.starts_with(b"\"")))
    };
    match head.strip_prefix(b"[") {
        Some(items) => {
            let items = items.trim_ascii_start();
            items.starts_with(b"]") || items.starts_with(b"\"") || first_key(items, &EVENT_KEYS)
        }
        None => first_key(head, &FIRST_KEYS),
    }
}

/// Reads a stream that [`starts_document`] recognised and hands each event
/// to the sink's [`Document`]. An event without a string `message` is
/// handed on as holding no line, with what it holds instead. JSON that is
/// not valid (or breaks off, or cannot be read further) ends the read with
/// an error naming the file, line and column; with `allow_partial` the
/// events before it are kept and the break is recorded as missing.
pub fn read<S: Sink>(sink: &S, stream: Stream, allow_partial: bool) -> Result<S::Out> {
    let Stream {
        name,
        reader,
        notes,
        ..
    } = stream;
    let mut events = Events {
        doc: sink.document(name.clone(), notes.clone()),
        file: &name,
        number: 0,
        event: Event::default(),
        stream: String::new(),
        source: Source::default(),
        control: 0,
        list: "\"events\" list",
        strings_are_messages: false,
    };
    let mut input = Input::new(reader);
    let mut documents = 0u64;
    let broken = loop {
        match input.skip_blanks() {
            Ok(true) => {}
            Ok(false) => break None,
            Err(e) => break Some(io_broken(&name, input.place(), &e, events.number)),
        }
        let start = input.place();
        documents += 1;
        events.source = Source::default();
        let read = {
            let mut de = serde_json::Deserializer::from_reader(&mut input);
            Whole(&mut events).deserialize(&mut de)
        };
        match read {
            Ok(true) => {}
            Ok(false) => notes.push(format!(
                "{name}:{}: a JSON document (the file's document {documents}) without an \
                 \"events\" or \"logEvents\" list: nothing in it was read",
                start.0 + 1
            )),
            Err(e) => break Some(json_broken(&name, start, input.place(), &e, events.number)),
        }
    };
    if events.control > 0 {
        notes.push(format!(
            "{name}: {} of CloudWatch Logs control messages not read (a subscription's checks \
             of its destination, not flow-log records)",
            crate::present::count(events.control, "event")
        ));
    }
    let mut out = events.doc.finish();
    match broken {
        None => Ok(out),
        Some(m) if allow_partial => {
            sink.missing(&mut out, m);
            Ok(out)
        }
        Some(m) => Err(anyhow::anyhow!(m)),
    }
}

/// How far the document was read, for the message of a break.
fn read_so_far(events: u64) -> String {
    match events {
        0 => "no event was read".to_string(),
        n => format!("read up to event {n}"),
    }
}

/// The message of a JSON error in the document that starts at `start`
/// (lines ended before it, bytes before it on its line); the input was
/// read to `now`.
fn json_broken(
    name: &str,
    start: (u64, u64),
    now: (u64, u64),
    e: &serde_json::Error,
    events: u64,
) -> String {
    let what = match e.classify() {
        Category::Io => "cannot read further",
        Category::Eof => "the JSON breaks off",
        Category::Syntax => "not valid JSON",
        Category::Data => "not a document of CloudWatch Logs events",
    };
    // serde_json's place counts from the document's start (and its reader
    // may have read on past it, to the end of the object it was in); its
    // message ends with it, and the file's is said first instead.
    let (line, column) = match (e.line() as u64, e.column() as u64) {
        (0, _) => (now.0 + 1, now.1),
        (1, column) => (start.0 + 1, start.1 + column),
        (line, column) => (start.0 + line, column),
    };
    let said = e.to_string();
    let own = format!(" at line {} column {}", e.line(), e.column());
    let detail = said.strip_suffix(&own).unwrap_or(&said);
    format!(
        "{name}:{line}:{column}: {what} ({}): {detail}",
        read_so_far(events)
    )
}

/// The message of a read error between documents, the input read to
/// `(line, column)` (lines ended before, bytes after).
fn io_broken(name: &str, (line, column): (u64, u64), e: &io::Error, events: u64) -> String {
    format!(
        "{name}:{}:{column}: cannot read further ({}): {e}",
        line + 1,
        read_so_far(events)
    )
}

/// What reading hands each event to, with the buffers kept from event to
/// event.
struct Events<'f, D> {
    doc: D,
    /// The file's name: the name of its own stream, and of its places.
    file: &'f str,
    /// Events met so far in the file.
    number: u64,
    event: Event,
    /// The name of the event's stream (`FILE/STREAM`), built in place.
    stream: String,
    /// The log group and stream the document names for all its events
    /// (a subscription's), and whether it is a control message.
    source: Source,
    /// Events of control messages met so far in the file.
    control: u64,
    /// The list being read, in words.
    list: &'static str,
    /// Whether a string item of the list is a message (a bare list), not
    /// an item that is not an event.
    strings_are_messages: bool,
}

/// What a subscription's document says of all its events.
#[derive(Default)]
struct Source {
    group: Field,
    stream: Field,
    kind: Field,
}

impl Source {
    /// A control message: its events are the subscription's checks.
    fn is_control(&self) -> bool {
        self.kind.met == Met::Text && self.kind.text == "CONTROL_MESSAGE"
    }
}

/// The fields of the event being read.
#[derive(Default)]
struct Event {
    message: Field,
    log_stream: Field,
}

/// One field of an event: absent, or what its value is (a string's text
/// in `text`, kept from event to event).
#[derive(Default)]
struct Field {
    text: String,
    met: Met,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Met {
    #[default]
    Absent,
    Text,
    Null,
    /// Another value: what it is, in words.
    Other(&'static str),
}

impl<D: Document> Events<'_, D> {
    /// Numbers the next item of the list, and whether it is to be handed
    /// on: a control message's items keep their numbers (places are what a
    /// user counts in the file) but are only counted, for the note.
    fn next_item(&mut self) -> bool {
        self.number += 1;
        if self.source.is_control() {
            self.control += 1;
            return false;
        }
        true
    }

    /// The event just read, to the document.
    fn hand_on(&mut self) {
        if !self.next_item() {
            return;
        }
        let Events {
            doc,
            file,
            number,
            event,
            stream,
            source,
            ..
        } = self;
        let stream: &str = match (event.log_stream.met, source.stream.met) {
            (Met::Text, _) => {
                stream.clear();
                stream.push_str(file);
                stream.push('/');
                stream.push_str(&event.log_stream.text);
                stream
            }
            (Met::Absent | Met::Null, Met::Text) => {
                stream.clear();
                stream.push_str(file);
                if source.group.met == Met::Text {
                    stream.push('/');
                    stream.push_str(&source.group.text);
                }
                stream.push('/');
                stream.push_str(&source.stream.text);
                stream
            }
            (Met::Absent | Met::Null, _) => file,
            (Met::Other(what), _) => {
                let why = format!("an event whose \"logStreamName\" is {what}, not a string");
                return doc.no_line(file, *number, &why);
            }
        };
        match event.message.met {
            Met::Text => doc.line(stream, event.message.text.as_bytes(), *number),
            Met::Absent | Met::Null => doc.no_line(
                stream,
                *number,
                "an event without a \"message\" (a flow-log record is an event's message)",
            ),
            Met::Other(what) => {
                let why = format!("an event whose \"message\" is {what}, not a string");
                doc.no_line(stream, *number, &why);
            }
        }
    }

    /// An item of the list of events that is not an object (`what`).
    fn not_an_event(&mut self, what: &str) {
        if !self.next_item() {
            return;
        }
        let why = format!(
            "an item of the {} that is {what}, not an event (an object)",
            self.list
        );
        self.doc.no_line(self.file, self.number, &why);
    }

    /// A string item of a bare list: the message of an event of the file's
    /// own stream.
    fn message(&mut self, text: &str) {
        self.event.log_stream.met = Met::Absent;
        self.event.message.met = Met::Text;
        self.event.message.text.clear();
        self.event.message.text.push_str(text);
        self.hand_on();
    }
}

/// The keys of a document that are read.
#[derive(Deserialize)]
#[serde(field_identifier)]
enum DocumentKey {
    #[serde(rename = "events")]
    Events,
    #[serde(rename = "logEvents")]
    LogEvents,
    #[serde(rename = "logGroup")]
    LogGroup,
    #[serde(rename = "logStream")]
    LogStream,
    #[serde(rename = "messageType")]
    MessageType,
    #[serde(other)]
    Other,
}

/// The keys of an event that are read.
#[derive(Deserialize)]
#[serde(field_identifier)]
enum EventKey {
    #[serde(rename = "message")]
    Message,
    #[serde(rename = "logStreamName")]
    LogStreamName,
    #[serde(other)]
    Other,
}

/// One whole document: whether it had a list of events (or was one).
struct Whole<'a, 'f, D>(&'a mut Events<'f, D>);

impl<'de, D: Document> DeserializeSeed<'de> for Whole<'_, '_, D> {
    type Value = bool;

    fn deserialize<De: Deserializer<'de>>(self, de: De) -> Result<bool, De::Error> {
        de.deserialize_any(self)
    }
}

impl<'de, D: Document> Visitor<'de> for Whole<'_, '_, D> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with an \"events\" or \"logEvents\" list, or a list of events")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let events = self.0;
        let mut listed = false;
        while let Some(key) = map.next_key::<DocumentKey>()? {
            let list = match key {
                DocumentKey::Events => "\"events\" list",
                DocumentKey::LogEvents => "\"logEvents\" list",
                DocumentKey::LogGroup => {
                    map.next_value_seed(Value(&mut events.source.group))?;
                    continue;
                }
                DocumentKey::LogStream => {
                    map.next_value_seed(Value(&mut events.source.stream))?;
                    continue;
                }
                DocumentKey::MessageType => {
                    map.next_value_seed(Value(&mut events.source.kind))?;
                    continue;
                }
                DocumentKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            events.list = list;
            events.strings_are_messages = false;
            map.next_value_seed(List(&mut *events))?;
            listed = true;
        }
        Ok(listed)
    }

    /// A bare list of events, as `--query events` prints it.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        let events = self.0;
        events.list = "list of events";
        events.strings_are_messages = true;
        List(events).visit_seq(seq)?;
        Ok(true)
    }
}

/// The `events` list of a document.
struct List<'a, 'f, D>(&'a mut Events<'f, D>);

impl<'de, D: Document> DeserializeSeed<'de> for List<'_, '_, D> {
    type Value = ();

    fn deserialize<De: Deserializer<'de>>(self, de: De) -> Result<(), De::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de, D: Document> Visitor<'de> for List<'_, '_, D> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(One(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One item of the `events` list, handed on once read.
struct One<'a, 'f, D>(&'a mut Events<'f, D>);

impl<'de, D: Document> DeserializeSeed<'de> for One<'_, '_, D> {
    type Value = ();

    fn deserialize<De: Deserializer<'de>>(self, de: De) -> Result<(), De::Error> {
        de.deserialize_any(self)
    }
}

impl<'de, D: Document> Visitor<'de> for One<'_, '_, D> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let events = self.0;
        events.event.message.met = Met::Absent;
        events.event.log_stream.met = Met::Absent;
        while let Some(key) = map.next_key::<EventKey>()? {
            match key {
                EventKey::Message => map.next_value_seed(Value(&mut events.event.message))?,
                EventKey::LogStreamName => {
                    map.next_value_seed(Value(&mut events.event.log_stream))?;
                }
                EventKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        events.hand_on();
        Ok(())
    }

    fn visit_unit<E: Error>(self) -> Result<(), E> {
        self.0.not_an_event("null");
        Ok(())
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<(), E> {
        self.0.not_an_event("true or false");
        Ok(())
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<(), E> {
        self.0.not_an_event("a number");
        Ok(())
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<(), E> {
        self.0.not_an_event("a number");
        Ok(())
    }

    fn visit_f64<E: Error>(self, _: f64) -> Result<(), E> {
        self.0.not_an_event("a number");
        Ok(())
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<(), E> {
        if self.0.strings_are_messages {
            self.0.message(v);
        } else {
            self.0.not_an_event("a string");
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.0.not_an_event("a list");
        Ok(())
    }
}

/// The value of an event's field, into its [`Field`].
struct Value<'a>(&'a mut Field);

impl<'de> DeserializeSeed<'de> for Value<'_> {
    type Value = ();

    fn deserialize<De: Deserializer<'de>>(self, de: De) -> Result<(), De::Error> {
        de.deserialize_any(self)
    }
}

impl Value<'_> {
    fn other<E>(self, what: &'static str) -> Result<(), E> {
        self.0.met = Met::Other(what);
        Ok(())
    }
}

impl<'de> Visitor<'de> for Value<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<(), E> {
        self.0.text.clear();
        self.0.text.push_str(v);
        self.0.met = Met::Text;
        Ok(())
    }

    fn visit_unit<E: Error>(self) -> Result<(), E> {
        self.0.met = Met::Null;
        Ok(())
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<(), E> {
        self.other("true or false")
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<(), E> {
        self.other("a number")
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<(), E> {
        self.other("a number")
    }

    fn visit_f64<E: Error>(self, _: f64) -> Result<(), E> {
        self.other("a number")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.other("a list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.other("an object")
    }
}

#[cfg(test)]
mod tests;
