//! The words every output says the same way, shared by the audit (its
//! findings' subjects, evidence and fixes) and the emitters (the reports,
//! the tfvars, SARIF): rule keys and group names ([`names`]), how a service
//! is spelled ([`service`]), how a span of days is said ([`time`]), a
//! count with its noun ([`count`]), the first few of a list and how many
//! more ([`first_and_more`]), and who manages a group as its tags tell
//! ([`owner`]).
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

/// The first `shown` of `items` (only those are made), then `and N more`
/// for the rest, as the lines that name a few of many say it.
pub fn first_and_more<I: ExactSizeIterator<Item = String>>(items: I, shown: usize) -> Vec<String> {
    let more = items.len().saturating_sub(shown);
    let mut out: Vec<String> = items.take(shown).collect();
    if more > 0 {
        out.push(format!("and {more} more"));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_few_then_how_many_more() {
        let items = |n: usize| (0..n).map(|i| i.to_string());
        assert_eq!(super::first_and_more(items(2), 3), ["0", "1"]);
        assert_eq!(super::first_and_more(items(3), 3), ["0", "1", "2"]);
        assert_eq!(
            super::first_and_more(items(5), 3),
            ["0", "1", "2", "and 2 more"]
        );
    }

    #[test]
    fn a_count_of_one_is_singular_and_any_other_plural() {
        assert_eq!(super::count(0, "connection"), "0 connections");
        assert_eq!(super::count(1, "connection"), "1 connection");
        assert_eq!(super::count(2, "other interface"), "2 other interfaces");
    }
}
