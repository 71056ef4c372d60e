//! The time window: `--since 7d` / `--until 2026-11-25T00:00:00Z`. Records
//! that start outside it are not evidence.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use serde::Serialize;

/// The window in Unix seconds: from `since` (inclusive) up to `until`
/// (exclusive), so `--since 7d` holds exactly seven days and a record that
/// starts at `--until` belongs to the next window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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
        self.until.saturating_sub(self.since) as f64 / 86_400.0
    }

    /// `until` defaults to now; a relative `since` counts back from `until`.
    pub fn parse(since: &str, until: Option<&str>, now: SystemTime) -> Result<Window> {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let until = match until {
            Some(u) => point(u, now).map_err(|e| anyhow::anyhow!("--until {u:?}: {e}"))?,
            None => now,
        };
        let since = point(since, until).map_err(|e| anyhow::anyhow!("--since {since:?}: {e}"))?;
        if since < FIRST_TIME {
            bail!(
                "--since reaches back before {}, earlier than any flow log; give a shorter duration or an RFC 3339 time",
                rfc3339(FIRST_TIME)
            );
        }
        if since >= until {
            // `--until` is exclusive: since equal to it holds no second.
            bail!(
                "the window is empty: --since ({}) is not before --until ({}); give an earlier \
                 --since, or a duration above 0 such as 7d",
                rfc3339(since),
                rfc3339(until)
            );
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
    match parse_rfc3339(s) {
        Ok(t) => Ok(t),
        // A date and more: what is wrong with it.
        Err(e) if looks_like_a_date(s) => bail!(
            "{e}: expected an RFC 3339 time such as 2026-11-18T00:00:00Z or \
             2026-11-18T05:30:00+05:30"
        ),
        Err(_) => bail!(
            "expected a duration such as 30m, 12h, 7d, 2w, or an RFC 3339 time such as 2026-11-18T00:00:00Z"
        ),
    }
}

/// Starts like `2026-`: meant as a time, so a fault in it is named.
fn looks_like_a_date(s: &str) -> bool {
    let b = s.trim().as_bytes();
    b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// An RFC 3339 time in Unix seconds: `YYYY-MM-DDTHH:MM:SS[.frac]` then `Z`
/// or an offset `+HH:MM`/`-HH:MM` (converted to UTC; `-00:00` is UTC), `T`
/// and `Z` in either case. As before, a space for the `T` and a time
/// without a zone (read as UTC) are taken too. Fractions of a second are
/// dropped. Every field is checked: a second of 60 (a leap second, which
/// Unix time cannot place) or a 31st of November is an error naming it.
pub fn parse_rfc3339(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let d = b.get(from..from + len)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0i64, |n, c| n * 10 + i64::from(c - b'0')))
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    let shape = "not of the form YYYY-MM-DDTHH:MM:SSZ";
    let (Some(year), Some(month), Some(day)) = (num(0, 4), num(5, 2), num(8, 2)) else {
        return Err(format!("{s}: {shape}"));
    };
    if !at(4, b"-") || !at(7, b"-") || !at(10, b"Tt ") || !at(13, b":") || !at(16, b":") {
        return Err(format!("{s}: {shape}"));
    }
    let (Some(hour), Some(minute), Some(second)) = (num(11, 2), num(14, 2), num(17, 2)) else {
        return Err(format!("{s}: {shape}"));
    };
    let mut i = 19;
    if at(i, b".") {
        i += 1;
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!(
                "{s}: a '.' without the fraction of a second after it"
            ));
        }
        i += digits;
    }
    let offset = match b.get(i..) {
        Some(b"" | b"Z" | b"z") => 0,
        Some([sign @ (b'+' | b'-'), ..]) => {
            let (Some(h), true, Some(m), true) = (
                num(i + 1, 2),
                at(i + 3, b":"),
                num(i + 4, 2),
                b.len() == i + 6,
            ) else {
                return Err(format!(
                    "{s}: the offset after the seconds is not of the form +HH:MM or -HH:MM"
                ));
            };
            if h > 23 || m > 59 {
                return Err(format!(
                    "{s}: the offset {}{h:02}:{m:02} is not one",
                    *sign as char
                ));
            }
            let o = h * 3_600 + m * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => {
            return Err(format!(
                "{s}: after the seconds, expected Z or an offset such as +05:30"
            ));
        }
    };
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return Err(format!("{s}: month {month} is not one (01 to 12)")),
    };
    if !(1..=days_in_month).contains(&day) {
        return Err(format!(
            "{s}: day {day} is not one of month {month:02} (01 to {days_in_month})"
        ));
    }
    if hour > 23 {
        return Err(format!("{s}: hour {hour} is not one (00 to 23)"));
    }
    if minute > 59 {
        return Err(format!("{s}: minute {minute} is not one (00 to 59)"));
    }
    if second > 59 {
        return Err(format!(
            "{s}: second {second} is not one (00 to 59; Unix time has no leap second: \
             give :59 or the next minute)"
        ));
    }
    Ok(day_of_date(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second - offset)
}

/// Day `n` counted from 1970-01-01 of a date (proleptic Gregorian): the
/// inverse of [`date_of_day`], for years 0..=9999.
fn day_of_date(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // 0..=399
    let mp = (month + 9) % 12; // March 0 .. February 11
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A duration such as `30d` or `2w` in seconds (`--keep`, `--soak`).
pub fn duration_secs(s: &str) -> Result<i64> {
    relative(s)
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .filter(|secs| *secs > 0 && *secs <= LAST_TIME)
        .ok_or_else(|| anyhow::anyhow!("expected a duration such as 12h, 30d or 2w"))
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

/// The earliest time sgpair reads from a record or an event:
/// 1970-01-01T00:00:00Z (flow-log times are unsigned Unix seconds).
pub const FIRST_TIME: i64 = 0;

/// The latest time sgpair reads from a record or an event:
/// 9999-12-31T23:59:59Z, the last second RFC 3339 can write. A time past it
/// makes the record malformed, so every time a report prints is a date.
pub const LAST_TIME: i64 = YEAR_10000 - 1;

/// The longest capture interval (`end - start`, in seconds) a flow record
/// may span: one hour. AWS aggregates a record over at most 600 s (10
/// minutes, or 60 s when chosen and on Nitro instances), so a longer one is
/// not a capture interval but a bad `end` (a typo, a corrupt field): taken
/// as evidence, an `end` of 99999999999 dated the connection's last use in
/// the year 5138 and kept its rule alive for ever under `--state`. Six times
/// AWS's longest interval leaves room for late or merged deliveries without
/// letting such an `end` through. Records (text, Parquet, Athena's SQL,
/// Logs Insights' query) past it are malformed: `bad time`.
pub const MAX_INTERVAL: i64 = 3_600;

/// Whether a time read from input lies in `FIRST_TIME..=LAST_TIME`.
pub fn in_range(t: i64) -> bool {
    (FIRST_TIME..=LAST_TIME).contains(&t)
}

/// A calendar date, proleptic Gregorian, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u8,
    pub day: u8,
}

/// The date of day `n` counted from 1970-01-01 (negative before it), for
/// every `n` an `i64` holds: integer arithmetic only, no table, no loop
/// (the days-from-civil inverse, in 400-year eras of 146,097 days).
pub fn date_of_day(n: i64) -> Date {
    // Days since 0000-03-01, in i128 so that no i64 day overflows.
    let z = i128::from(n) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // 0..=146_096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365, from March 1st
    let mp = (5 * doy + 2) / 153; // 0..=11, March first
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8; // 1..=31
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8; // 1..=12
    let year = yoe + era * 400 + i128::from(month <= 2);
    Date {
        // Within ±2^55 for any i64 day: fits.
        year: year as i64,
        month,
        day,
    }
}

/// The date of a time (Unix seconds), for any `i64`.
pub fn date(t: i64) -> Date {
    date_of_day(t.div_euclid(86_400))
}

/// RFC 3339 (UTC, seconds) for reports; a time before 1970 or after 9999
/// (outside what RFC 3339 writes) as its number. Total: any `i64`.
pub fn rfc3339(t: i64) -> String {
    if !(0..YEAR_10000).contains(&t) {
        return t.to_string();
    }
    let Date { year, month, day } = date(t);
    let secs = t.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The calendar day of a time, `2026-11-18`; outside 1970..=9999 the time
/// as its number, like [`rfc3339`]. Total: any `i64`.
pub fn day(t: i64) -> String {
    if !(0..YEAR_10000).contains(&t) {
        return t.to_string();
    }
    let Date { year, month, day } = date(t);
    format!("{year:04}-{month:02}-{day:02}")
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
        let now = at(10_000_000);
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
                    since: 10_000_000 - d,
                    until: 10_000_000
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
    fn rfc_3339_offsets_and_lowercase_are_read_as_utc() {
        let utc = 1_795_564_800; // 2026-11-25T00:00:00Z
        for (s, t) in [
            ("2026-11-25T00:00:00Z", utc),
            ("2026-11-25t00:00:00z", utc),
            ("2026-11-25T00:00:00-00:00", utc),
            ("2026-11-25T00:00:00+00:00", utc),
            ("2026-11-25T05:30:00+05:30", utc),
            ("2026-11-24T19:00:00-05:00", utc),
            ("2026-11-25T00:00:00.999Z", utc),
            // Taken before: a space for the T, no zone (UTC).
            ("2026-11-25 00:00:00", utc),
            ("2026-11-25T00:00:00", utc),
            ("1970-01-01T00:00:00Z", 0),
            ("2024-02-29T23:59:59Z", 1_709_251_199),
            ("9999-12-31T23:59:59Z", LAST_TIME),
        ] {
            assert_eq!(parse_rfc3339(s), Ok(t), "{s}");
        }
        let w = Window::parse(
            "2026-11-20T00:00:00+05:00",
            Some("2026-11-25T00:00:00Z"),
            at(0),
        );
        assert_eq!(w.unwrap().since, 1_795_564_800 - 5 * 86_400 - 5 * 3_600);
    }

    #[test]
    fn a_time_with_a_field_out_of_range_is_refused_naming_it() {
        for (s, says) in [
            ("2026-11-25T00:00:60Z", "second 60 is not one"),
            ("2026-11-25T00:60:00Z", "minute 60 is not one"),
            ("2026-11-25T24:00:00Z", "hour 24 is not one"),
            ("2026-11-31T00:00:00Z", "day 31 is not one of month 11"),
            ("2025-02-29T00:00:00Z", "day 29 is not one of month 02"),
            ("2026-13-01T00:00:00Z", "month 13 is not one"),
            ("2026-11-25T00:00:00+24:00", "the offset +24:00 is not one"),
            ("2026-11-25T00:00:00+0500", "not of the form +HH:MM"),
            ("2026-11-25T00:00:00Q", "expected Z or an offset"),
            ("2026-11-25", "not of the form YYYY-MM-DDTHH:MM:SSZ"),
        ] {
            let e = check_point(s).unwrap_err().to_string();
            assert!(e.contains(says) && e.contains("RFC 3339"), "{s}: {e}");
        }
        let e = check_point("banana").unwrap_err().to_string();
        assert!(e.starts_with("expected a duration such as 30m"), "{e}");
    }

    #[test]
    fn days_of_dates_are_the_inverse_of_dates_of_days() {
        for n in (-719_468..=2_932_896).step_by(97).chain([0, -1, 2_932_896]) {
            let d = date_of_day(n);
            assert_eq!(
                day_of_date(d.year, i64::from(d.month), i64::from(d.day)),
                n,
                "{d:?}"
            );
        }
    }

    #[test]
    fn an_empty_window_is_refused_however_it_is_given() {
        let until = Some("2026-11-25T00:00:00Z");
        for since in ["2026-11-25T00:00:00Z", "0d", "0s", "2026-11-26T00:00:00Z"] {
            let e = Window::parse(since, until, at(0)).unwrap_err().to_string();
            assert!(
                e.starts_with("the window is empty: --since (")
                    && e.contains("is not before --until"),
                "{since}: {e}"
            );
        }
        assert!(Window::parse("1s", until, at(0)).is_ok());
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
    fn formatting_agrees_with_humantime_on_every_time_it_writes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let edges = [
            0,
            1,
            59,
            86_399,
            86_400,
            951_782_400,
            1_795_564_800,
            LAST_TIME,
        ];
        let random = (0..20_000).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % YEAR_10000 as u64) as i64
        });
        for t in edges.into_iter().chain(random) {
            let want =
                humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(t as u64))
                    .to_string();
            assert_eq!(rfc3339(t), want, "{t}");
            assert_eq!(day(t), want[..10], "{t}");
        }
    }

    #[test]
    fn every_i64_formats_without_a_panic() {
        for t in [
            i64::MIN,
            i64::MIN + 1,
            -86_401,
            -1,
            YEAR_10000,
            i64::MAX - 1,
            i64::MAX,
        ] {
            assert_eq!(rfc3339(t), t.to_string());
            assert_eq!(day(t), t.to_string());
            let _ = (end_day(t), days(t, t), days(t, i64::MIN), days(i64::MIN, t));
            let _ = date(t);
        }
        assert_eq!(
            date_of_day(-1),
            Date {
                year: 1969,
                month: 12,
                day: 31
            }
        );
        for n in [i64::MIN, i64::MAX] {
            let d = date_of_day(n);
            assert!(
                (1..=12).contains(&d.month) && (1..=31).contains(&d.day),
                "{d:?}"
            );
        }
        assert!(in_range(0) && in_range(LAST_TIME));
        assert!(!in_range(-1) && !in_range(YEAR_10000));
        assert_eq!(rfc3339(LAST_TIME), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn a_window_reaching_before_1970_is_an_error() {
        let e = Window::parse("30000d", Some("2026-11-25T00:00:00Z"), at(0)).unwrap_err();
        assert!(e.to_string().contains("before 1970-01-01T00:00:00Z"), "{e}");
        let w = Window::parse("1d", Some("1970-01-02T00:00:00Z"), at(0)).unwrap();
        assert_eq!(w.since, 0);
        // A window as wide as there is: its length is a number, not an overflow.
        assert!(Window::ALL.days() > 1e14);
        let odd = Window {
            since: i64::MIN,
            until: i64::MAX,
        };
        assert!(odd.days().is_finite());
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
