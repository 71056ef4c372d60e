//! The time window: `--since 7d` / `--until 2026-11-25T00:00:00Z`. Records
//! that start outside it are not evidence.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use serde::Serialize;

/// Inclusive window in Unix seconds.
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
        self.since <= t && t <= self.until
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

/// RFC 3339 (UTC, seconds) for reports.
pub fn rfc3339(t: i64) -> String {
    // RFC 3339 has four-digit years: a time past 9999-12-31T23:59:59Z (which
    // a hostile record can carry) prints as its number, never a panic.
    const LAST: i64 = 253_402_300_799;
    if !(0..=LAST).contains(&t) {
        return t.to_string();
    }
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(t as u64)).to_string()
}

/// The calendar day of a time, `2026-11-18`.
pub fn day(t: i64) -> String {
    rfc3339(t).chars().take(10).collect()
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
