//! The choice of group pairs for one service: a weighted set cover,
//! exhaustive up to a few candidates, greedy with pruning beyond.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// What one candidate group pair would cover and cost for one service.
#[derive(Debug, Clone)]
pub(super) struct CandidateSet {
    /// Indices into the observed pairs it covers.
    pub(super) covers: Vec<usize>,
    /// Unobserved interface pairs it would allow, each once (up to
    /// [`MAX_LISTED_EXTRA`]).
    pub(super) extra: Vec<(u32, u32)>,
    /// All interface pairs it allows.
    pub(super) allowed: u64,
    /// Members of both groups: among equals, narrower groups are preferred,
    /// since the rule then follows fewer future members.
    pub(super) members: usize,
    /// An existing rule already references this pair for the service:
    /// intent people wrote down, preferred among equals.
    pub(super) referenced: bool,
    /// How many of the two groups are shared across roles (their members
    /// carry different other groups): such a group grants every future
    /// member what it allows, so it is avoided among equals.
    pub(super) shared: u32,
}

/// Past this many unobserved pairs per candidate, the cost is counted, not listed.
const MAX_LISTED_EXTRA: usize = 200_000;

impl CandidateSet {
    #[cfg(test)]
    pub(super) fn new(src: &[u32], dst: &[u32], observed: &[(u32, u32)]) -> Self {
        Self::among(src, dst, observed, &observed.iter().copied().collect())
    }

    /// The candidate of the groups with members `src` and `dst`, against
    /// the service's `observed` pairs (`seen`: the same pairs as a set,
    /// built once per service, not once per candidate).
    pub(super) fn among(
        src: &[u32],
        dst: &[u32],
        observed: &[(u32, u32)],
        seen: &FxHashSet<(u32, u32)>,
    ) -> Self {
        let (in_src, in_dst) = (Members::of(src), Members::of(dst));
        let covers = observed
            .iter()
            .enumerate()
            .filter(|(_, (c, s))| in_src.has(*c) && in_dst.has(*s))
            .map(|(i, _)| i)
            .collect();
        // A list, not a set: the members are distinct, so each pair comes
        // once (and a candidate of a large service lists thousands).
        let mut extra = Vec::new();
        let mut allowed = 0u64;
        for &a in src {
            for &b in dst {
                if a == b {
                    continue;
                }
                allowed += 1;
                if extra.len() < MAX_LISTED_EXTRA && !seen.contains(&(a, b)) {
                    extra.push((a, b));
                }
            }
        }
        CandidateSet {
            covers,
            extra,
            allowed,
            members: src.len() + dst.len(),
            referenced: false,
            shared: 0,
        }
    }
}

/// A group's members as a bit per interface: asked once per observed pair.
struct Members(Vec<u64>);

impl Members {
    fn of(members: &[u32]) -> Self {
        let words = members.iter().max().map_or(0, |m| *m as usize / 64 + 1);
        let mut bits = vec![0u64; words];
        for &m in members {
            bits[m as usize / 64] |= 1 << (m % 64);
        }
        Members(bits)
    }

    fn has(&self, m: u32) -> bool {
        self.0
            .get(m as usize / 64)
            .is_some_and(|w| w & (1 << (m % 64)) != 0)
    }
}

/// The unobserved pairs of one service's candidates, each numbered once:
/// a candidate's pairs as those numbers, so that what a choice allows
/// beyond what was seen is counted over bits (an OR of bitsets, or a bit
/// per pair already granted), not by building a set of pairs per choice.
pub(super) struct Extras {
    /// Per candidate, its unobserved pairs' numbers.
    pub(super) of: Vec<Vec<u32>>,
    /// Distinct unobserved pairs over every candidate.
    pub(super) len: usize,
}

impl Extras {
    /// Numbers the pairs in a grid of at most [`DENSE_BITS`] cells and at
    /// most 64 a pair (a word of marks a pair: a sparse grid would cost
    /// more to clear and count than hashing its few pairs).
    fn number(sets: &[CandidateSet]) -> Extras {
        let listed: usize = sets.iter().map(|s| s.extra.len()).sum();
        Self::number_within(sets, DENSE_BITS.min(64 * listed as u64))
    }

    /// Numbers the pairs by their place in the grid of the clients and
    /// servers they hold, when that grid has at most `dense` cells: a bit
    /// per cell marks the pairs, and a pair's number is how many marked
    /// cells come before its own. No pair is hashed, which matters when a
    /// service's candidates list millions of them. A larger grid numbers
    /// them through a hash map. The numbers differ between the two; the
    /// choices made over them do not (they count pairs, never order them).
    pub(super) fn number_within(sets: &[CandidateSet], dense: u64) -> Extras {
        let pairs = || sets.iter().flat_map(|s| s.extra.iter().copied());
        let (Some(rows), Some(cols)) = (
            Ranks::of(pairs().map(|(a, _)| a)),
            Ranks::of(pairs().map(|(_, b)| b)),
        ) else {
            // No pair at all.
            return Extras {
                of: vec![Vec::new(); sets.len()],
                len: 0,
            };
        };
        let width = u64::from(cols.len);
        let cells = u64::from(rows.len) * width;
        if cells > dense {
            return Self::hashed(sets);
        }
        let cell = |(a, b): (u32, u32)| {
            (u64::from(rows.of_id(a)) * width + u64::from(cols.of_id(b))) as usize
        };
        let mut marked = vec![0u64; (cells as usize).div_ceil(64)];
        for p in pairs() {
            let c = cell(p);
            marked[c / 64] |= 1 << (c % 64);
        }
        // Marked cells before each word.
        let mut before = Vec::with_capacity(marked.len());
        let mut len = 0u32;
        for w in &marked {
            before.push(len);
            len += w.count_ones();
        }
        let of = sets
            .iter()
            .map(|s| {
                s.extra
                    .iter()
                    .map(|&p| {
                        let c = cell(p);
                        let below = marked[c / 64] & ((1u64 << (c % 64)) - 1);
                        before[c / 64] + below.count_ones()
                    })
                    .collect()
            })
            .collect();
        Extras {
            of,
            len: len as usize,
        }
    }

    /// Numbers the pairs in the order they first come, through a hash map.
    fn hashed(sets: &[CandidateSet]) -> Extras {
        let mut number: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        let of = sets
            .iter()
            .map(|s| {
                s.extra
                    .iter()
                    .map(|p| {
                        let next = number.len() as u32;
                        *number.entry(*p).or_insert(next)
                    })
                    .collect()
            })
            .collect();
        Extras {
            of,
            len: number.len(),
        }
    }

    /// Words of a bitset over every unobserved pair.
    fn words(&self) -> usize {
        self.len.div_ceil(64)
    }

    /// Candidate `i`'s pairs as a bitset.
    fn bits(&self, i: usize) -> Vec<u64> {
        let mut b = vec![0u64; self.words()];
        for &n in &self.of[i] {
            b[n as usize / 64] |= 1 << (n % 64);
        }
        b
    }
}

/// Cells of the grid [`Extras::number_within`] numbers pairs in, up to
/// 32 MiB of marks (and half that of counts).
const DENSE_BITS: u64 = 1 << 28;

/// Distinct interfaces, each given its rank among them: a row or a column
/// of the grid.
struct Ranks {
    /// By interface index: its rank (only for the interfaces given).
    rank: Vec<u32>,
    len: u32,
}

impl Ranks {
    /// The ranks of the interfaces `ids` holds; `None` when it is empty.
    fn of(ids: impl Iterator<Item = u32> + Clone) -> Option<Ranks> {
        let top = ids.clone().max()?;
        let mut present = vec![false; top as usize + 1];
        for i in ids {
            present[i as usize] = true;
        }
        let mut rank = vec![0u32; present.len()];
        let mut len = 0u32;
        for (r, p) in rank.iter_mut().zip(&present) {
            if *p {
                *r = len;
                len += 1;
            }
        }
        Some(Ranks { rank, len })
    }

    fn of_id(&self, i: u32) -> u32 {
        self.rank[i as usize]
    }
}

/// For each of `n` pairs, the candidates that hold it: one flat list cut
/// by offsets (a list per pair would cost its own allocation).
struct Inverse {
    /// Where each pair's candidates start in `candidates` (and, one on,
    /// end).
    at: Vec<usize>,
    candidates: Vec<u32>,
}

impl Inverse {
    fn build<I: Iterator<Item = usize>>(
        n: usize,
        per_candidate: impl Iterator<Item = I> + Clone,
    ) -> Inverse {
        let mut at = vec![0usize; n + 1];
        for pairs in per_candidate.clone() {
            for p in pairs {
                at[p + 1] += 1;
            }
        }
        for k in 0..n {
            at[k + 1] += at[k];
        }
        let mut next = at.clone();
        let mut candidates = vec![0u32; at[n]];
        for (i, pairs) in per_candidate.enumerate() {
            for p in pairs {
                candidates[next[p]] = i as u32;
                next[p] += 1;
            }
        }
        Inverse { at, candidates }
    }

    /// The candidates that hold pair `p`.
    fn holding(&self, p: usize) -> &[u32] {
        &self.candidates[self.at[p]..self.at[p + 1]]
    }
}

/// Exhaustive search up to this many candidates (2^n subsets).
const EXHAUSTIVE_MAX: usize = 12;

/// Why one choice beat another that allows exactly as much.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TieBreak {
    /// Existing rules reference more of the chosen pairs.
    ExistingRule,
    /// The chosen pairs use fewer groups shared across roles.
    NotShared,
    /// The choice needs fewer rules.
    FewerRules,
    /// The chosen groups have fewer members.
    NarrowerGroups,
    /// Nothing told them apart: the first in group-id order.
    Order,
}

impl TieBreak {
    pub fn reason(self) -> &'static str {
        match self {
            TieBreak::ExistingRule => "an existing rule already references the chosen pair",
            TieBreak::NotShared => {
                "the alternative uses a group shared across roles, which would grant every future member"
            }
            TieBreak::FewerRules => "the chosen pairs need fewer rules",
            TieBreak::NarrowerGroups => "the chosen groups have fewer members",
            TieBreak::Order => "nothing else told them apart (group-id order)",
        }
    }
}

/// The chosen candidates, whether the choice is proven optimal, and the
/// choices that allow exactly as much but lost on a tie-break.
type Choice = (Vec<usize>, bool, Vec<(Vec<usize>, TieBreak)>);

/// Alternatives named per service.
const MAX_ALTERNATIVES: usize = 2;

/// Picks candidate indices that cover every observed pair with the fewest
/// unobserved pairs; among equals, pairs existing rules reference, then
/// groups not shared across roles, then the fewest rules, then narrower
/// groups. Returns whether it is proven optimal (exhaustive search).
pub(super) fn choose(sets: &[CandidateSet], n_observed: usize) -> Choice {
    let small = sets.iter().map(|s| s.extra.len()).sum::<usize>() <= 20_000;
    if sets.len() <= EXHAUSTIVE_MAX && small && n_observed <= 128 {
        let full: u128 = if n_observed >= 128 {
            u128::MAX
        } else {
            (1u128 << n_observed) - 1
        };
        let masks: Vec<u128> = sets
            .iter()
            .map(|s| s.covers.iter().fold(0u128, |m, i| m | 1 << i))
            .collect();
        let extras = Extras::number(sets);
        let bits: Vec<Vec<u64>> = (0..sets.len()).map(|i| extras.bits(i)).collect();
        let mut union = vec![0u64; extras.words()];
        // (unobserved pairs, pairs existing rules reference (more first),
        // groups shared across roles, rules, members, subset)
        let mut covering: Vec<(usize, std::cmp::Reverse<u32>, u32, u32, usize, u32)> = Vec::new();
        for subset in 1u32..(1u32 << sets.len()) {
            let mut cov = 0u128;
            for (i, m) in masks.iter().enumerate() {
                if subset & (1 << i) != 0 {
                    cov |= m;
                }
            }
            if cov != full {
                continue;
            }
            let picked = || {
                sets.iter()
                    .enumerate()
                    .filter(move |(i, _)| subset & (1 << i) != 0)
                    .map(|(_, s)| s)
            };
            union.fill(0);
            for (i, b) in bits.iter().enumerate() {
                if subset & (1 << i) != 0 {
                    for (u, w) in union.iter_mut().zip(b) {
                        *u |= w;
                    }
                }
            }
            let unobserved: u32 = union.iter().map(|w| w.count_ones()).sum();
            covering.push((
                unobserved as usize,
                std::cmp::Reverse(picked().filter(|s| s.referenced).count() as u32),
                picked().map(|s| s.shared).sum(),
                subset.count_ones(),
                picked().map(|s| s.members).sum(),
                subset,
            ));
        }
        covering.sort_unstable();
        let best = covering[0];
        let indices = |subset: u32| -> Vec<usize> {
            (0..sets.len()).filter(|i| subset & (1 << i) != 0).collect()
        };
        // Subsets that allow exactly as much and are not a superset of the
        // choice (adding a rule is never an alternative).
        let alternatives = covering[1..]
            .iter()
            .filter(|c| c.0 == best.0 && c.5 & best.5 != best.5)
            .take(MAX_ALTERNATIVES)
            .map(|c| {
                let why = if c.1 != best.1 {
                    TieBreak::ExistingRule
                } else if c.2 != best.2 {
                    TieBreak::NotShared
                } else if c.3 != best.3 {
                    TieBreak::FewerRules
                } else if c.4 != best.4 {
                    TieBreak::NarrowerGroups
                } else {
                    TieBreak::Order
                };
                (indices(c.5), why)
            })
            .collect();
        return (indices(best.5), true, alternatives);
    }
    (greedy(sets, n_observed), false, Vec::new())
}

pub(super) fn greedy(sets: &[CandidateSet], n_observed: usize) -> Vec<usize> {
    let extras = Extras::number(sets);
    // What each candidate would still add (observed pairs not yet covered,
    // unobserved pairs not yet granted) as counts, lowered as each pick
    // covers and grants pairs (each pair lists its candidates): a round
    // reads two numbers per candidate instead of recounting its pairs.
    let mut cov: Vec<usize> = sets.iter().map(|s| s.covers.len()).collect();
    let mut extra: Vec<usize> = extras.of.iter().map(Vec::len).collect();
    let by_observed = Inverse::build(n_observed, sets.iter().map(|s| s.covers.iter().copied()));
    let by_extra = Inverse::build(
        extras.len,
        extras.of.iter().map(|ns| ns.iter().map(|n| *n as usize)),
    );
    let mut covered = vec![false; n_observed];
    let mut granted = vec![false; extras.len];
    let mut n_covered = 0;
    let mut picked: Vec<usize> = Vec::new();
    while n_covered < n_observed {
        let mut best: Option<(usize, usize, usize)> = None; // (index, new extra, new cover)
        let members = |i: usize| sets[i].members;
        for i in 0..sets.len() {
            // A picked candidate covers nothing more.
            let (cov, extra) = (cov[i], extra[i]);
            if cov == 0 {
                continue;
            }
            let better = match best {
                None => true,
                // lower extra per covered pair, then more coverage
                Some((bi, be, bc)) => {
                    let (l, r) = (extra * bc, be * cov);
                    l < r || (l == r && (cov > bc || (cov == bc && members(i) < members(bi))))
                }
            };
            if better {
                best = Some((i, extra, cov));
            }
        }
        let (i, _, _) = best.expect("every observed pair has a candidate");
        for &c in &sets[i].covers {
            if !covered[c] {
                covered[c] = true;
                n_covered += 1;
                for &j in by_observed.holding(c) {
                    cov[j as usize] -= 1;
                }
            }
        }
        for &n in &extras.of[i] {
            let n = n as usize;
            if !granted[n] {
                granted[n] = true;
                for &j in by_extra.holding(n) {
                    extra[j as usize] -= 1;
                }
            }
        }
        picked.push(i);
    }
    prune(sets, n_observed, picked)
}

/// The greedy's picks less those whose pairs the others already cover, last
/// picked first; sorted.
pub(super) fn prune(
    sets: &[CandidateSet],
    n_observed: usize,
    mut picked: Vec<usize>,
) -> Vec<usize> {
    for k in (0..picked.len()).rev() {
        let without: Vec<usize> = picked
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != k)
            .map(|(_, i)| *i)
            .collect();
        let mut cov = vec![false; n_observed];
        for i in &without {
            for c in &sets[*i].covers {
                cov[*c] = true;
            }
        }
        if cov.iter().all(|c| *c) {
            picked = without;
        }
    }
    picked.sort_unstable();
    picked
}
