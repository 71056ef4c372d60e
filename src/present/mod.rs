//! The words every output says the same way, shared by the audit (its
//! findings' subjects, evidence and fixes) and the emitters (the reports,
//! the tfvars, SARIF): rule keys and group names ([`names`]), how a service
//! is spelled ([`service`]), how a span of days is said ([`time`]), a
//! count with its noun ([`count`]), and who manages a group as its tags
//! tell ([`owner`]).
//!
//! Downstream of the model (inventory, synthesize, window), upstream of
//! both `audit` and `emit`: neither imports the other for a word.

pub mod names;
pub mod owner;
pub mod service;
pub mod time;

/// `1 connection`, `3 connections`: kept with the counts in `stats`, the
/// lowest module, whose run summary says it too.
pub use crate::stats::count;

#[cfg(test)]
mod tests {
    #[test]
    fn a_count_of_one_is_singular_and_any_other_plural() {
        assert_eq!(super::count(0, "connection"), "0 connections");
        assert_eq!(super::count(1, "connection"), "1 connection");
        assert_eq!(super::count(2, "other interface"), "2 other interfaces");
    }
}
