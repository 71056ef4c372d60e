//! How a span of time is said in findings and tables, on top of the
//! calendar of [`crate::window`] (whose ends are exclusive).

use crate::window::{day, days, end_day};

/// `2026-11-18..2026-11-24` (to an exclusive end), or `on 2026-11-18` when
/// the span falls on one day: when a finding's traffic was seen.
pub fn span(first: i64, last: i64) -> String {
    let d = days(first, last);
    if d.contains("..") {
        d
    } else {
        format!("on {d}")
    }
}

/// The first and the last day of a proposed rule's evidence, from its
/// first connection's start to its last one's (exclusive) end; an end at
/// its start counts as a second long.
pub fn first_and_last_day(first: i64, last: i64) -> (String, String) {
    (day(first), end_day(last.max(first + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-25T00:00:00Z.
    const UNTIL: i64 = 1_795_564_800;
    const DAY: i64 = 86_400;

    #[test]
    fn one_day_or_a_range() {
        assert_eq!(span(UNTIL, UNTIL + 60), "on 2026-11-25");
        assert_eq!(span(UNTIL - DAY, UNTIL), "on 2026-11-24");
        assert_eq!(span(UNTIL - DAY, UNTIL + 1), "2026-11-24..2026-11-25");
        assert_eq!(
            first_and_last_day(UNTIL - DAY, UNTIL),
            ("2026-11-24".to_string(), "2026-11-24".to_string())
        );
        assert_eq!(
            first_and_last_day(UNTIL, UNTIL),
            ("2026-11-25".to_string(), "2026-11-25".to_string())
        );
    }
}
