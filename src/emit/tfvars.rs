//! `rules.auto.tfvars` for `skwashd/mutual-security-groups/aws`.

use crate::pipeline::Analysis;

/// The module's input shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleVersion {
    /// A map keyed by stable names (module 2.x).
    V2,
    /// The legacy list of TCP rules (module 1.x).
    V1,
}

/// Renders the tfvars text, plus warnings about rules the shape cannot hold.
pub fn render(_a: &Analysis, _v: ModuleVersion) -> (String, Vec<String>) {
    todo!("tfvars emitter")
}
