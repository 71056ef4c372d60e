//! A finding's severity as every report names it: the Markdown's word, the
//! HTML's badge and class, SARIF's `severity` property.

use crate::synthesize::Severity;

/// `high`, `medium`, `low`.
pub(crate) fn label(s: Severity) -> &'static str {
    match s {
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word of the reports is the JSON's (the audit's `severity` field).
    #[test]
    fn the_label_is_the_json_spelling() {
        for s in [Severity::High, Severity::Medium, Severity::Low] {
            assert_eq!(serde_json::to_value(s).unwrap(), label(s));
        }
    }
}
