//! The report: Markdown for people, JSON for machines, same content.

use crate::pipeline::Analysis;

pub fn markdown(_a: &Analysis) -> String {
    todo!("markdown report")
}

pub fn json(_a: &Analysis) -> String {
    todo!("json report")
}
