//! The time window: `--since 7d` / `--until 2026-11-25T00:00:00Z`. Records
//! that start outside it are not evidence.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use serde::Serialize;

/// The window in Unix seconds: from `since` (inclusive) up to `until`
/// (exclusive), so `--since 7d` holds exactly seven days and a record that
/// starts at `--until` belongs to the next window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub since: i64,
    pub until: i64,
}

impl Window {
    /// Every time there is: for reading data whose dates do not matter.
    pub const ALL: Window = Window {
        since: 0,
        until: i64::MAX,
    };

    pub fn contains(&self, t: i64) -> bool {
        self.since <= t && t < self.until
    }

    /// `2026-11-18..2026-11-24`: the calendar days the window covers (its
    /// end is exclusive: a window up to midnight ends the day before).
    pub fn day_range(&self) -> String {
        days(self.since, self.until)
    }

    pub fn days(&self) -> f64 {
        (self.until - self.since) as f64 / 86_400.0
    }

    /// `until` defaults to now; a relative `since` counts back from `until`.
    pub fn parse(since: &str, until: Option<&str>, now: SystemTime) -> Result<Window> {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let until = match until {
            Some(u) => point(u, now).map_err(|e| anyhow::anyhow!("--until {u:?}: {e}"))?,
            None => now,
        };
        let since = point(since, until).map_err(|e| anyhow::anyhow!("--since {since:?}: {e}"))?;
        if since > until {
            bail!("the window is empty: --since is after --until");
        }
        Ok(Window { since, until })
    }
}

/// Whether `s` is a time `--since`/`--until` accept (a duration such as
/// `7d`, or an RFC 3339 time), with the same message `Window::parse` gives.
pub fn check_point(s: &str) -> Result<()> {
    point(s, 0).map(|_| ())
}

/// A relative duration counted back from `reference`, or an RFC 3339 time.
fn point(s: &str, reference: i64) -> Result<i64> {
    if let Some(d) = relative(s) {
        return i64::try_from(d.as_secs())
            .ok()
            .and_then(|secs| reference.checked_sub(secs))
            .ok_or_else(|| anyhow::anyhow!("{s} is further back than any time there is"));
    }
    match humantime::parse_rfc3339_weak(s) {
        Ok(t) => Ok(t
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)),
        Err(_) => bail!(
            "expected a duration such as 30m, 12h, 7d, 2w, or an RFC 3339 time such as 2026-11-18T00:00:00Z"
        ),
    }
}

fn relative(s: &str) -> Option<Duration> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: u64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    Some(Duration::from_secs(n.checked_mul(secs)?))
}

/// The first second RFC 3339 (and `humantime`) cannot write: year 10000.
const YEAR_10000: i64 = 253_402_300_800;

/// RFC 3339 (UTC, seconds) for reports; a time before 1970 or after 9999
/// (a record's `end` is data, and may be anything) as its number.
pub fn rfc3339(t: i64) -> String {
    if !(0..YEAR_10000).contains(&t) {
        return t.to_string();
    }
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(t as u64)).to_string()
}

/// The calendar day of a time, `2026-11-18`.
pub fn day(t: i64) -> String {
    if (0..YEAR_10000).contains(&t) {
        rfc3339(t).chars().take(10).collect()
    } else {
        rfc3339(t)
    }
}

/// The calendar day of an exclusive end (a capture interval's `end`, a
/// "last seen", the window's `until`): the day of the second before it, so
/// an interval that ends at midnight ended on the day before.
pub fn end_day(end: i64) -> String {
    day(end.saturating_sub(1))
}

/// `2026-11-18..2026-11-20` from a start to an exclusive end, or one day
/// when both fall on it. An end at or before the start counts as the start.
pub fn days(first: i64, last: i64) -> String {
    let (f, l) = (day(first), end_day(last.max(first.saturating_add(1))));
    if f == l { f } else { format!("{f}..{l}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(t as u64)
    }

    #[test]
    fn relative_units() {
        let now = at(1_000_000);
        for (s, d) in [
            ("30m", 1800),
            ("12h", 43_200),
            ("7d", 604_800),
            ("2w", 1_209_600),
            ("45s", 45),
        ] {
            assert_eq!(
                Window::parse(s, None, now).unwrap(),
                Window {
                    since: 1_000_000 - d,
                    until: 1_000_000
                }
            );
        }
    }

    #[test]
    fn absolute_until_anchors_a_relative_since() {
        let w = Window::parse("7d", Some("2026-11-25T00:00:00Z"), at(0)).unwrap();
        assert_eq!(w.until, 1_795_564_800);
        assert_eq!(w.since, 1_795_564_800 - 7 * 86_400);
        assert_eq!(rfc3339(w.since), "2026-11-18T00:00:00Z");
        assert_eq!(day(w.until), "2026-11-25");
        assert!((w.days() - 7.0).abs() < 1e-9);
    }

    #[test]
    fn the_end_is_exclusive_and_ends_the_day_before_midnight() {
        let w = Window::parse("7d", Some("2026-11-25T00:00:00Z"), at(0)).unwrap();
        assert!(w.contains(w.since) && w.contains(w.until - 1));
        assert!(!w.contains(w.until) && !w.contains(w.since - 1));
        assert_eq!(w.day_range(), "2026-11-18..2026-11-24");
        // A last seen at the window's end is a time of its last day.
        assert_eq!(end_day(w.until), "2026-11-24");
        assert_eq!(end_day(w.until + 1), "2026-11-25");
        assert_eq!(days(w.since, w.until), "2026-11-18..2026-11-24");
        assert_eq!(days(w.until - 60, w.until), "2026-11-24");
        // A point at midnight: its own day, not the one before.
        assert_eq!(days(w.until, w.until), "2026-11-25");
    }

    #[test]
    fn times_outside_what_rfc_3339_writes_are_numbers() {
        assert_eq!(rfc3339(-5), "-5");
        assert_eq!(rfc3339(YEAR_10000 - 1), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(YEAR_10000), "253402300800");
        assert_eq!(rfc3339(i64::MAX), i64::MAX.to_string());
        assert_eq!(days(0, i64::MAX), format!("1970-01-01..{}", i64::MAX - 1));
    }

    #[test]
    fn bad_input_says_what_is_expected() {
        let e = Window::parse("7 days", None, at(0))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--since") && e.contains("7d"), "{e}");
        assert!(
            Window::parse("2026-11-25T00:00:00Z", Some("2026-11-01T00:00:00Z"), at(0)).is_err()
        );
    }

    #[test]
    fn a_huge_duration_is_an_error_not_an_overflow() {
        let e = Window::parse("9999999999999999999s", None, at(1_000_000)).unwrap_err();
        assert!(e.to_string().contains("--since"), "{e}");
        assert!(check_point("banana").is_err());
        assert!(check_point("7d").is_ok());
        assert!(check_point("2026-11-25T00:00:00Z").is_ok());
    }
}
