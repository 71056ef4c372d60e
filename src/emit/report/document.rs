//! The report as a small document: sections of paragraphs, lists, tables
//! and subsections, whose text is already markup (escaped by a [`Markup`]).
//! Markdown ([`super::markdown`]) and HTML ([`crate::emit::html`]) render it.

use crate::synthesize::Severity;

/// How text becomes markup: escaping of data, code spans, severity labels.
pub(crate) trait Markup {
    /// Text from AWS, the logs or the user (names, ids, messages), escaped.
    fn text(&self, s: &str) -> String;
    /// A code span around plain text (flags, commands, keys).
    fn code(&self, s: &str) -> String;
    /// A code span around data (a path the user gave, an id from AWS),
    /// escaped once.
    fn code_text(&self, s: &str) -> String;
    /// A severity: a word in Markdown, a badge in HTML.
    fn severity(&self, s: Severity) -> String;
}

/// A section of the report: a heading over blocks. Text in it is markup.
pub(crate) struct Section {
    /// The HTML id (`findings`, `rules`, `account-111122223333`, ...).
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

pub(crate) enum Block {
    Para(String),
    /// Items of a bulleted list.
    List(Vec<String>),
    Table(Table),
    /// A subsection, one heading level down.
    Sub(Section),
}

/// A table. A column name starting with `>` is numbers (right-aligned), `=`
/// short values kept on one line (in HTML).
pub(crate) struct Table {
    /// The HTML class.
    pub class: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Row>,
}

pub(crate) struct Row {
    /// Attributes of the HTML `<tr>` (already escaped), or empty.
    pub attrs: String,
    pub cells: Vec<String>,
}

impl Row {
    pub(super) fn plain(cells: Vec<String>) -> Row {
        Row {
            attrs: String::new(),
            cells,
        }
    }
}

impl Section {
    pub(super) fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        blocks: Vec<Block>,
    ) -> Section {
        Section {
            id: id.into(),
            title: title.into(),
            blocks,
        }
    }
}

pub(super) fn table(class: &'static str, columns: &[&'static str], rows: Vec<Row>) -> Block {
    Block::Table(Table {
        class,
        columns: columns.to_vec(),
        rows,
    })
}

pub(super) fn para(s: impl Into<String>) -> Block {
    Block::Para(s.into())
}
