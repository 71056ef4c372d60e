//! The time a state file actually observed: the windows its runs folded
//! in, joined where they touch. A daily job that skipped days leaves holes,
//! and a hole is time nobody looked at: it must not count as a quiet stretch
//! (`--soak`), and a window already folded must not be folded twice (its
//! records would be summed again).

use serde::{Deserialize, Serialize};

use crate::window::Window;

/// Disjoint, sorted half-open spans `[since, until)` of seconds, none
/// empty, none touching the next (touching spans are joined).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<(i64, i64)>", into = "Vec<(i64, i64)>")]
pub struct Observed(Vec<(i64, i64)>);

/// What of a run's window the state does not hold yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unheld {
    /// All of it: fold it as it is.
    All,
    /// One part of it (the rest is held): read only this part.
    Part(Window),
    /// None of it: every record of the window is already in the state.
    None,
    /// Several parts, with held time between them: one read cannot take
    /// them alone. The parts.
    Split(Vec<(i64, i64)>),
}

impl Observed {
    /// One span (nothing when it is empty).
    pub fn of(since: i64, until: i64) -> Observed {
        let mut o = Observed::default();
        o.add(since, until);
        o
    }

    /// The first observed time and the last: the span the spans cover,
    /// holes included; `None` when nothing was observed.
    pub fn bounds(&self) -> Option<(i64, i64)> {
        Some((self.spans().first()?.0, self.spans().last()?.1))
    }

    pub fn spans(&self) -> &[(i64, i64)] {
        &self.0
    }

    /// Adds `[since, until)`, joining it to the spans it overlaps or touches.
    pub fn add(&mut self, since: i64, until: i64) {
        if since >= until {
            return;
        }
        let (mut s, mut u) = (since, until);
        let mut kept = Vec::with_capacity(self.0.len() + 1);
        for &(a, b) in &self.0 {
            if b < s || a > u {
                kept.push((a, b));
            } else {
                s = s.min(a);
                u = u.max(b);
            }
        }
        kept.push((s, u));
        kept.sort_unstable();
        self.0 = kept;
    }

    /// Forgets what lies before `cutoff` (evidence older than `--keep`).
    pub fn forget_before(&mut self, cutoff: i64) {
        self.0.retain(|&(_, b)| b > cutoff);
        if let Some(first) = self.0.first_mut() {
            first.0 = first.0.max(cutoff);
        }
    }

    /// The holes between the first span's start and the last one's end.
    pub fn gaps(&self) -> Vec<(i64, i64)> {
        self.0.windows(2).map(|w| (w[0].1, w[1].0)).collect()
    }

    /// Seconds observed in `[from, to)`.
    pub fn within(&self, from: i64, to: i64) -> i64 {
        self.0
            .iter()
            .map(|&(a, b)| (b.min(to) - a.max(from)).max(0))
            .fold(0i64, i64::saturating_add)
    }

    /// The moment at which `amount` seconds have been observed from `from`
    /// on, if they have been by the last span's end.
    pub fn reached(&self, from: i64, amount: i64) -> Option<i64> {
        let mut left = amount;
        for &(a, b) in &self.0 {
            let a = a.max(from);
            if b <= a {
                continue;
            }
            if b - a >= left {
                return Some(a.saturating_add(left));
            }
            left -= b - a;
        }
        (left <= 0).then_some(from)
    }

    /// What of `w` is not observed yet.
    pub fn unheld(&self, w: Window) -> Unheld {
        let mut parts = Vec::new();
        let mut at = w.since;
        for &(a, b) in &self.0 {
            if b <= at || a >= w.until {
                continue;
            }
            if a > at {
                parts.push((at, a));
            }
            at = at.max(b);
        }
        if at < w.until {
            parts.push((at, w.until));
        }
        match parts.as_slice() {
            [] => Unheld::None,
            [(s, u)] if (*s, *u) == (w.since, w.until) => Unheld::All,
            [(s, u)] => Unheld::Part(Window {
                since: *s,
                until: *u,
            }),
            _ => Unheld::Split(parts),
        }
    }
}

impl TryFrom<Vec<(i64, i64)>> for Observed {
    type Error = String;

    /// A file's spans, checked: the reads and readiness rely on their order.
    fn try_from(spans: Vec<(i64, i64)>) -> Result<Observed, String> {
        let mut last = i64::MIN;
        for &(a, b) in &spans {
            if a >= b {
                return Err(format!("an observed span {a}..{b} ends before it starts"));
            }
            if a <= last && last != i64::MIN {
                return Err("its observed spans overlap or are out of order".to_string());
            }
            last = b;
        }
        Ok(Observed(spans))
    }
}

impl From<Observed> for Vec<(i64, i64)> {
    fn from(o: Observed) -> Self {
        o.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(since: i64, until: i64) -> Window {
        Window { since, until }
    }

    #[test]
    fn spans_join_where_they_touch_or_overlap_and_keep_their_holes() {
        let mut o = Observed::of(0, 10);
        o.add(20, 30);
        o.add(10, 12);
        o.add(25, 40);
        o.add(5, 5);
        assert_eq!(o.spans(), &[(0, 12), (20, 40)]);
        assert_eq!(o.gaps(), vec![(12, 20)]);
        o.add(11, 21);
        assert_eq!(o.spans(), &[(0, 40)]);
        assert!(o.gaps().is_empty());
    }

    #[test]
    fn observed_time_skips_the_holes() {
        let mut o = Observed::of(0, 10);
        o.add(100, 110);
        assert_eq!(o.within(5, 105), 10);
        assert_eq!(o.within(-50, 500), 20);
        assert_eq!(o.reached(5, 5), Some(10));
        assert_eq!(o.reached(5, 6), Some(101));
        assert_eq!(o.reached(5, 15), Some(110));
        assert_eq!(o.reached(5, 16), None);
        assert_eq!(o.reached(5, 0), Some(5));
    }

    #[test]
    fn forgetting_cuts_the_first_span_at_the_cutoff() {
        let mut o = Observed::of(0, 10);
        o.add(20, 30);
        o.forget_before(25);
        assert_eq!(o.spans(), &[(25, 30)]);
        o.forget_before(30);
        assert!(o.spans().is_empty());
    }

    #[test]
    fn the_unheld_part_of_a_window_is_what_no_run_folded() {
        let mut o = Observed::of(100, 200);
        o.add(300, 400);
        assert_eq!(o.unheld(w(0, 50)), Unheld::All);
        assert_eq!(o.unheld(w(200, 300)), Unheld::All);
        assert_eq!(o.unheld(w(150, 200)), Unheld::None);
        assert_eq!(o.unheld(w(100, 400)), Unheld::Part(w(200, 300)));
        assert_eq!(o.unheld(w(190, 250)), Unheld::Part(w(200, 250)));
        assert_eq!(o.unheld(w(50, 150)), Unheld::Part(w(50, 100)));
        assert_eq!(
            o.unheld(w(50, 500)),
            Unheld::Split(vec![(50, 100), (200, 300), (400, 500)])
        );
    }

    #[test]
    fn a_file_s_spans_are_checked() {
        assert!(Observed::try_from(vec![(0, 10), (20, 30)]).is_ok());
        assert!(Observed::try_from(vec![(0, 10), (10, 30)]).is_err());
        assert!(Observed::try_from(vec![(20, 30), (0, 10)]).is_err());
        assert!(Observed::try_from(vec![(5, 5)]).is_err());
    }
}
