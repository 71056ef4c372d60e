//! The report as Markdown: the summary's facts as a list, then each section
//! under its heading.

use crate::analysis::Analysis;
use crate::audit::Audit;
use crate::emit::escape;
use crate::emit::report::document::{Block, Markup, Section, Table};
use crate::emit::report::sections::sections_with;
use crate::emit::severity;
use crate::emit::summary::Summary;
use crate::emit::terraform::Written;
use crate::synthesize::Severity;

/// The Markdown report: the summary, then one section per kind of finding.
/// `audit` is [`crate::audit::audit`] of `a`.
pub fn markdown(a: &Analysis, audit: &Audit) -> String {
    markdown_with(a, audit, &[])
}

/// The Markdown report of a run that wrote Terraform folders
/// (`--terraform`): after the proposed rules, what the folders hold and
/// how to roll them out.
pub fn markdown_with(a: &Analysis, audit: &Audit, folders: &[Written]) -> String {
    let s = Summary::of(a, audit);
    let m = Md;
    let mut parts = vec![summary_md(a, &s)];
    parts.extend(
        sections_with(a, audit, &s, &m, folders)
            .iter()
            .map(|x| x.markdown(2)),
    );
    let mut out = parts.join("\n\n");
    out.push('\n');
    out
}

/// Markdown markup.
pub(super) struct Md;

impl Markup for Md {
    fn text(&self, s: &str) -> String {
        escape::markdown(s)
    }
    fn code(&self, s: &str) -> String {
        format!("`{s}`")
    }
    fn code_text(&self, s: &str) -> String {
        self.code(&self.text(s))
    }
    fn severity(&self, s: Severity) -> String {
        severity::label(s).into()
    }
}

impl Section {
    /// The section as Markdown, its heading at `level` (`##` for 2).
    pub fn markdown(&self, level: usize) -> String {
        let mut parts = vec![format!("{} {}", "#".repeat(level), self.title)];
        for b in &self.blocks {
            parts.push(match b {
                Block::Para(p) => p.clone(),
                Block::List(items) => items
                    .iter()
                    .map(|i| format!("- {i}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Block::Table(t) => md_table(t),
                Block::Sub(s) => s.markdown(level + 1),
            });
        }
        parts.join("\n\n")
    }
}

/// A Markdown table. A column name starting with `>` is right-aligned.
fn md_table(t: &Table) -> String {
    let names: Vec<&str> = t
        .columns
        .iter()
        .map(|c| c.trim_start_matches(['>', '=']))
        .collect();
    let rule: Vec<&str> = t
        .columns
        .iter()
        .map(|c| if c.starts_with('>') { "---:" } else { "---" })
        .collect();
    let mut lines = vec![
        format!("| {} |", names.join(" | ")),
        format!("| {} |", rule.join(" | ")),
    ];
    lines.extend(
        t.rows
            .iter()
            .map(|r| format!("| {} |", r.cells.join(" | "))),
    );
    lines.join("\n")
}

/// Title and the facts a reader needs first.
fn summary_md(a: &Analysis, s: &Summary) -> String {
    let mut lines = vec!["# sgpair report".to_string(), String::new()];
    for (label, value) in s.facts(a) {
        lines.push(format!("- **{label}:** {}.", escape::markdown(&value)));
    }
    lines.join("\n")
}
