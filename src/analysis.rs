//! The analysis of one run: the evidence resolved against the inventory and
//! the proposal synthesized from it, the model every later stage (audit,
//! emit) reads.

use serde::Serialize;

use crate::aggregate::Evidence;
use crate::history::History;
use crate::inventory::Inventory;
use crate::resolve::{Attribution, Resolver, attribute_with};
use crate::state::Continuity;
use crate::stats::Stats;
use crate::synthesize::{Choices, Proposal, synthesize_with};
use crate::window::Window;

/// Everything one run produced: what the emitters write out.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub window: Window,
    pub stats: Stats,
    pub evidence: Evidence,
    pub proposal: Proposal,
    /// What resolution could not attribute (interfaces the inventory lacks,
    /// owners unknown at the time) and which copies it merged.
    pub attribution: Attribution,
    #[serde(skip)]
    pub inventory: Inventory,
    /// With `--state`: the last run's rules and the evidence's age limits.
    #[serde(skip)]
    pub continuity: Option<Continuity>,
}

impl Analysis {
    /// What this run's sources fill of the window they were read for (with
    /// `--state`, this run's window, not the evidence's whole).
    pub fn fill(&self) -> crate::stats::Fill {
        let window = self
            .continuity
            .as_ref()
            .map_or(self.window, |c| c.read_window);
        self.stats.fill(&window)
    }
}

/// Resolves and synthesizes over aggregated evidence.
pub fn analyze(window: Window, stats: Stats, evidence: Evidence, inventory: Inventory) -> Analysis {
    analyze_with(
        window,
        stats,
        evidence,
        inventory,
        &Choices::default(),
        &History::EMPTY,
        crate::parallel::workers(None),
    )
}

/// [`analyze`] with the team's choices (`--avoid-group`), the
/// interfaces' history (`--history`), and the threads that resolve
/// (`--threads`, see [`crate::parallel::workers`]).
pub fn analyze_with(
    window: Window,
    stats: Stats,
    evidence: Evidence,
    inventory: Inventory,
    choices: &Choices,
    history: &History,
    threads: usize,
) -> Analysis {
    let (analysis, ()) = analyze_alongside(
        window,
        stats,
        evidence,
        inventory,
        choices,
        history,
        threads,
        |_, _| (),
    );
    analysis
}

/// [`analyze_with`], running `alongside` on the resolved evidence and the
/// inventory while the rules are synthesized: on another thread when
/// `threads` allows (a run measures today's rules there, which needs no
/// proposal), else after.
#[allow(clippy::too_many_arguments)]
pub fn analyze_alongside<T: Send>(
    window: Window,
    mut stats: Stats,
    mut evidence: Evidence,
    inventory: Inventory,
    choices: &Choices,
    history: &History,
    threads: usize,
    alongside: impl FnOnce(&Evidence, &Inventory) -> T + Send,
) -> (Analysis, T) {
    let t = std::time::Instant::now();
    let attribution = attribute_with(&mut evidence, &inventory, history, threads);
    let attributed = t.elapsed();
    let synthesize = || {
        let resolver = Resolver::with_history(&inventory, &evidence, history);
        let indexed = t.elapsed();
        let p = synthesize_with(&evidence, &resolver, choices);
        tracing::debug!(
            attribute_ms = attributed.as_millis() as u64,
            index_ms = (indexed - attributed).as_millis() as u64,
            synthesize_ms = (t.elapsed() - indexed).as_millis() as u64,
            "analysis"
        );
        p
    };
    let (proposal, beside) = if threads > 1 {
        std::thread::scope(|s| {
            let beside = s.spawn(|| alongside(&evidence, &inventory));
            let proposal = synthesize();
            let beside = beside
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (proposal, beside)
        })
    } else {
        (synthesize(), alongside(&evidence, &inventory))
    };
    stats.note_saturated(sums(&evidence, &proposal));
    let analysis = Analysis {
        window,
        stats,
        evidence,
        proposal,
        attribution,
        inventory,
        continuity: None,
    };
    (analysis, beside)
}

/// Every sum over records the evidence and the proposal hold, by name: the
/// ones that can reach `u64::MAX` (and then stop there) are noted.
fn sums<'a>(e: &'a Evidence, p: &'a Proposal) -> impl Iterator<Item = (&'static str, u64)> + 'a {
    let c = e.connections.iter().flat_map(|c| {
        [
            ("bytes", c.bytes),
            ("packets", c.packets),
            ("records", c.records),
            ("connections", c.connections),
        ]
    });
    let u = e
        .undecided
        .iter()
        .flat_map(|u| [("bytes", u.bytes), ("records", u.records)]);
    let r = p.rules.iter().flat_map(|r| {
        [
            ("bytes", r.evidence.bytes),
            ("records", r.evidence.records),
            ("connections", r.evidence.connections),
        ]
    });
    let x = p
        .external
        .iter()
        .flat_map(|x| [("bytes", x.bytes), ("connections", x.connections)]);
    let s = p
        .suspicious
        .iter()
        .flat_map(|s| [("bytes", s.bytes), ("connections", s.connections)]);
    c.chain(u).chain(r).chain(x).chain(s)
}
