//! The report: Markdown for people, JSON for machines, same content; the
//! HTML page ([`crate::emit::html`]) renders the same sections.
//!
//! The sections are built once, as a small document model ([`Section`]:
//! paragraphs, lists, tables) whose text is already marked up by a
//! [`Markup`] (Markdown or HTML escaping), so the Markdown and the HTML
//! cannot drift apart: they hold the same facts, tables and figures.
//!
//! Every rendering is a pure function of the
//! [`Analysis`](crate::analysis::Analysis) and its [`Audit`](crate::audit::Audit)
//! (computed once by the caller, [`crate::audit::audit`]): no clock, no
//! hash-map order, so the same input gives byte-identical output. Every string
//! that comes from AWS or from the logs goes through [`Markup::text`]
//! ([`crate::emit::escape::markdown`] or [`crate::emit::escape::html`]); numbers and addresses are
//! printed as they are.
//!
//! In files of one job: the document model (`document`), the sections
//! built in it (`sections`), their Markdown ([`markdown()`]) and the JSON
//! ([`json()`]), whose field names are a contract.

mod document;
mod json;
mod markdown;
mod sections;

#[cfg(test)]
mod tests;

pub(crate) use document::{Block, Markup, Section, Table};
pub(crate) use json::JsonWindow;
pub use json::{FORMAT_VERSION, json, json_with};
pub use markdown::{markdown, markdown_with};
pub(crate) use sections::sections_with;
