//! The report as one self-contained HTML page: the summary, a diagram of the
//! proposed rules (up to `diagram::MAX_GROUPS` groups and
//! `diagram::MAX_RULES` rules; past either, a note says what was left
//! out), and every section of the Markdown report (findings,
//! before and after, the rules, traffic no rule can express, suspicious,
//! undecided and rejected traffic, the evidence per source, gaps, existing
//! rules, skipped records and notes, and with `--terraform` what the folder
//! holds and how to roll it out), each one a `<details>` a reader can fold.
//!
//! The sections are the Markdown's own ([`report::sections_with`]), rendered with
//! HTML escaping, so the two reports hold the same facts and figures. The
//! page loads nothing: CSS and the small hover script are inline, the
//! diagram is an inline SVG laid out in [`diagram`], and a
//! Content-Security-Policy forbids every fetch, so it works offline and leaks
//! nothing when opened. Like the other reports it is a pure function of the
//! [`Analysis`] and its [`Audit`]: the same input gives byte-identical output.
//!
//! Every string from AWS or the logs (names, ids, subjects, evidence) goes
//! through [`escape::html`], in text and in attribute values alike; the
//! script reads the page, it never builds markup from data.

mod diagram;

use std::fmt::Write as _;

use crate::analysis::Analysis;
use crate::audit::Audit;
use crate::emit::Command;
use crate::emit::escape;
use crate::emit::report::{self, Block, Markup, Section, Table};
use crate::emit::severity;
use crate::emit::summary::Summary;
use crate::emit::terraform::Written;
use crate::present::names;
use crate::synthesize::Severity;

/// The hover script. Its SHA-256 is [`SCRIPT_SHA256`]: the page's CSP allows
/// this script and no other. After an edit, the unit tests fail naming the
/// new hash, and so does `tests/it/html.rs` with the hash Chromium expects (or:
/// `printf %s "$SCRIPT" | openssl dgst -sha256 -binary | base64`).
const SCRIPT: &str = include_str!("html.js");
const SCRIPT_SHA256: &str = "toKHR9ZApGwYR1hRVvCkBH9Dxk5MHg30q9PTyWMEIec=";

const STYLE: &str = include_str!("html.css");

/// The whole page of a `command` run. `audit` is [`crate::audit::audit`] of `a`.
pub fn render(a: &Analysis, audit: &Audit, command: Command) -> String {
    render_with(a, audit, command, &[])
}

/// The page of a run that wrote Terraform folders (`--terraform`): the
/// Markdown's Terraform section too, in the same place.
pub fn render_with(a: &Analysis, audit: &Audit, command: Command, folders: &[Written]) -> String {
    let s = Summary::of(a, audit);
    let keys = names::rule_keys(&a.proposal.rules, &a.inventory);
    let range = a.window.day_range();
    let cmd = command.name();
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{SCRIPT_SHA256}'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"sgpair {}\">\n\
         <title>sgpair {cmd}, {range}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = write!(
        out,
        "<header>\n<h1>sgpair {cmd}</h1>\n<p class=\"sub\">{} {range}.</p>\n</header>\n<main>\n",
        match command {
            Command::Infer =>
                "Least-privilege, mutual security-group rules from VPC Flow Logs, and today's rules against the evidence.",
            Command::Audit =>
                "Today's security-group rules against the evidence of VPC Flow Logs, and the least-privilege rules that would replace them.",
        }
    );
    out.push_str(&summary(a, &s));
    out.push_str(&diagram_section(a, &keys));
    for sec in report::sections_with(a, audit, &s, &Html, folders) {
        out.push_str(&section(&sec, 2));
    }
    let _ = write!(
        out,
        "</main>\n<footer>Written by sgpair {}. This page is self-contained: it loads nothing from the network.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

// ---------------------------------------------------------------------------
// Helpers.

fn esc(s: &str) -> String {
    escape::html(s)
}

/// HTML markup of the report's sections.
struct Html;

impl Markup for Html {
    fn text(&self, s: &str) -> String {
        esc(s)
    }
    fn code(&self, s: &str) -> String {
        format!("<code>{}</code>", esc(s))
    }
    fn code_text(&self, s: &str) -> String {
        self.code(s)
    }
    fn severity(&self, s: Severity) -> String {
        let l = severity::label(s);
        format!("<span class=\"sev {l}\">{l}</span>")
    }
}

/// A table. A column name starting with `>` is numbers (right-aligned), with
/// `=` short values kept on one line. Cells are markup already (escaped by
/// the section); a row's attributes go into its `<tr>`.
fn table(t: &Table) -> String {
    let split = |c: &'static str| -> (&'static str, &'static str) {
        if let Some(name) = c.strip_prefix('>') {
            (" class=\"num\"", name)
        } else if let Some(name) = c.strip_prefix('=') {
            (" class=\"nowrap\"", name)
        } else {
            ("", c)
        }
    };
    let cols: Vec<(&str, &str)> = t.columns.iter().map(|c| split(c)).collect();
    let mut out = format!(
        "<div class=\"scroll\"><table class=\"{}\">\n<thead><tr>",
        t.class
    );
    for (attr, name) in &cols {
        let _ = write!(out, "<th{attr}>{name}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        let _ = write!(out, "<tr{}>", row.attrs);
        for ((attr, _), cell) in cols.iter().zip(&row.cells) {
            let _ = write!(out, "<td{attr}>{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
    out
}

/// A section of the report as a `<section>` holding a `<details>` (open)
/// whose `<summary>` is the heading at `level`.
fn section(s: &Section, level: usize) -> String {
    let mut out = format!(
        "<section id=\"{}\">\n<details open=\"\">\n<summary><h{level}>{}</h{level}></summary>\n",
        s.id,
        esc(&s.title)
    );
    for b in &s.blocks {
        match b {
            Block::Para(p) => {
                let _ = writeln!(out, "<p>{p}</p>");
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(out, "<li>{i}</li>");
                }
                out.push_str("</ul>\n");
            }
            Block::Table(t) => out.push_str(&table(t)),
            Block::Sub(sub) => out.push_str(&section(sub, level + 1)),
        }
    }
    out.push_str("</details>\n</section>\n");
    out
}

// ---------------------------------------------------------------------------
// Sections of the page only.

/// Facts shown as warnings.
const WARNINGS: [&str; 4] = [
    "Short window",
    "Window not filled",
    "Silent interfaces",
    "Incomplete evidence",
];

/// The summary: the facts of the Markdown's list, word for word.
fn summary(a: &Analysis, s: &Summary) -> String {
    let mut out = String::from(
        "<section id=\"summary\">\n<details open=\"\">\n<summary><h2>Summary</h2></summary>\n<dl class=\"facts\">\n",
    );
    for (label, value) in s.facts(a) {
        let v = if label == "Findings" {
            let f = s.findings;
            format!(
                "<span class=\"sev high\">{} high</span> <span class=\"sev medium\">{} medium</span> <span class=\"sev low\">{} low</span>",
                f.high, f.medium, f.low
            )
        } else {
            esc(&value)
        };
        let class = if WARNINGS.contains(&label) {
            " class=\"warn\""
        } else {
            ""
        };
        let _ = writeln!(out, "<dt>{label}</dt><dd{class}>{v}</dd>");
    }
    out.push_str("</dl>\n</details>\n</section>\n");
    out
}

fn diagram_section(a: &Analysis, keys: &[String]) -> String {
    let body = match diagram::diagram(a, keys) {
        Ok(svg) => format!(
            "<p class=\"note\">One box per security group in a proposed rule, one arrow per rule: from the group whose members open the connection to the group that serves it, labelled with the service. A loop is a rule within one group. Dashed grey: connections to or from the internet and AWS services, which no group-to-group rule can express, each drawn once, at the group of its interface with the fewest members. Hover over a group or a row of the rules table to pick out its rules.</p>\n<div class=\"diagram\">\n{svg}</div>\n"
        ),
        Err(too) => format!(
            "<p class=\"note\">Not drawn: the proposal joins {} security groups with {} rules, and a diagram is drawn up to {} groups and {} rules, past which its boxes and arrows no longer read as a picture. Every rule is in the table of proposed rules below.</p>\n",
            too.groups,
            too.rules,
            diagram::MAX_GROUPS,
            diagram::MAX_RULES
        ),
    };
    format!(
        "<section id=\"diagram\">\n<details open=\"\">\n<summary><h2>Diagram of the proposed rules</h2></summary>\n{body}</details>\n</section>\n"
    )
}

#[cfg(test)]
mod tests;
