//! Stage 7: emit. Writes the proposal as Terraform variables (and, with
//! `--terraform`, a root module around them) and the report
//! as Markdown, JSON, a self-contained HTML page or SARIF. Every file is
//! written atomically: a temporary file in the same folder, renamed over the
//! target only when complete.

mod atomic;
mod check;
pub mod escape;
pub mod html;
pub mod report;
pub mod sarif;
mod severity;
mod summary;
pub mod terraform;
#[cfg(test)]
pub(crate) mod test_support;
pub mod tfvars;

pub(crate) use atomic::resolved;
pub use atomic::{Staged, Streamed, write_atomic};
pub use check::{check_json, check_lines, check_stderr_lines};
pub use summary::{read_lines, terminal_summary};

/// The command a report comes from, for the HTML page's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Infer,
    Audit,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Infer => "infer",
            Command::Audit => "audit",
        }
    }
}
