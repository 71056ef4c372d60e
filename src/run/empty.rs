//! A run without evidence fails before it writes anything: a proposal made
//! from no accepted record allows nothing, and applied over rules that carry
//! traffic it would close them all. An empty window is far more often a
//! wrong `--since`, a wrong source or a build without a format than a
//! network that was silent, so the error says which it looks like;
//! `--allow-empty` writes the empty outputs anyway.

use anyhow::{Result, bail};

use crate::aggregate::Evidence;
use crate::stats::Stats;
use crate::window::{Window, rfc3339};

/// Examples of skipped records, and notes, the error quotes at most.
const EXAMPLES: usize = 3;

/// `Err` when `evidence` (this run's records and any `--state` carried)
/// holds no accepted traffic and `allow_empty` is off.
pub(super) fn refuse(
    evidence: &Evidence,
    stats: &Stats,
    window: &Window,
    allow_empty: bool,
) -> Result<()> {
    let accepted = !evidence.connections.is_empty() || !evidence.undecided.is_empty();
    if accepted || allow_empty {
        return Ok(());
    }
    bail!("{}", message(stats, window));
}

/// What the run read, why none of it is evidence, and what to do.
fn message(stats: &Stats, window: &Window) -> String {
    let mut m = format!(
        "no evidence: not one accepted record in the window {}..{}, so nothing was written \
         (a proposal from no traffic allows nothing, and applied it would close every rule \
         it replaces).\n{}",
        rfc3339(window.since),
        rfc3339(window.until),
        stats.summary()
    );
    let examples = stats.examples.values().flatten().take(EXAMPLES);
    for e in examples {
        m.push_str(&format!("\n  skipped: {e}"));
    }
    for missing in &stats.missing {
        m.push_str(&format!("\n  not read: {missing}"));
    }
    let outside = stats
        .skipped
        .get("outside the window")
        .copied()
        .unwrap_or(0);
    let hint = if stats.records == 0 && stats.skipped_total() == 0 {
        "no record was read at all: check that --logs, --log-group or --s3 name the flow logs"
            .to_string()
    } else if stats.rejected > 0 {
        "the window holds rejected records only".to_string()
    } else if outside > 0 {
        let lie = match stats.outside.range() {
            Some((first, last)) => format!(
                " (those read run from {} to {})",
                rfc3339(first),
                rfc3339(last)
            ),
            None => String::new(),
        };
        format!(
            "records lie outside the window{lie}: check --since and --until against the logs' dates"
        )
    } else {
        // An assumed format is the likely cause when every line was skipped.
        for note in stats.notes.iter().take(EXAMPLES) {
            m.push_str(&format!("\n  note: {note}"));
        }
        "every record was skipped, for the reasons above".to_string()
    };
    m.push_str(&format!(
        "\n{hint}; --allow-empty writes the empty outputs anyway."
    ));
    m
}
