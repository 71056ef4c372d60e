//! `sgpair check`'s answer: as lines for the terminal (per group, the flows
//! the proposal would block, then the verdict), and as the JSON document
//! for machines, which shares `infer`'s and `audit`'s top-level keys
//! (`format_version`, `window`, `evidence_per_source`, `stats`).

use serde::Serialize;

use crate::audit::Direction;
use crate::audit::replay::{Checked, Replay, Verdict};
use crate::emit::report::{FORMAT_VERSION, JsonWindow};
use crate::emit::summary::read_lines;
use crate::present::count;
use crate::stats::{Fill, Stats};
use crate::window::days;

/// The check as JSON: the replay's keys, with the verdict, why the
/// evidence is incomplete, the warnings, and what was read.
pub fn check_json(c: &Checked) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        format_version: u32,
        command: &'static str,
        verdict: Verdict,
        /// Why a pass could not be trusted (empty when all was read).
        incomplete: Vec<String>,
        warnings: &'a [String],
        window: JsonWindow,
        #[serde(flatten)]
        replay: &'a Replay,
        evidence_per_source: &'a Fill,
        stats: &'a Stats,
    }
    let doc = Doc {
        format_version: FORMAT_VERSION,
        command: "check",
        verdict: c.verdict(),
        incomplete: c.incomplete(),
        warnings: &c.warnings,
        window: JsonWindow::of(&c.window),
        replay: &c.replay,
        evidence_per_source: &c.fill,
        stats: &c.stats,
    };
    serde_json::to_string_pretty(&doc).expect("the check holds only strings, numbers and lists")
}

/// What the check says on stderr (unless `--quiet`), as `infer` does: the
/// notes, the skipped records with their places, the warnings, the sources
/// missing, the counts, and where the records do not fill the window.
pub fn check_stderr_lines(c: &Checked) -> Vec<String> {
    let mut out = read_lines(&c.stats, &c.warnings);
    out.extend(
        c.fill
            .warnings
            .iter()
            .map(|w| format!("warning: the window is not filled: {w}")),
    );
    out
}

/// The check's answer on stdout: the flows per group, then the verdict
/// (`ok`, `blocked`, or `inconclusive` when not everything could be read).
pub fn check_lines(c: &Checked) -> Vec<String> {
    let r = &c.replay;
    let mut out = Vec::new();
    let scope = match (&r.group, &r.seen) {
        (Some(g), Some(seen)) => {
            format!("group {g} ({} of them with it at an end)", seen.connections)
        }
        (Some(g), None) => format!("group {g}"),
        (None, _) => "every group".to_string(),
    };
    let resources = if r.terraform_rules == 0 {
        String::new()
    } else {
        let files: Vec<&str> = r
            .terraform_files
            .iter()
            .map(|f| {
                std::path::Path::new(f)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or(f)
            })
            .collect();
        format!(
            " and {} of {}",
            count(r.terraform_rules as u64, "rule"),
            files.join(", ")
        )
    };
    out.push(format!(
        "checked {} against {}{resources}, without open egress and {}, for {scope}",
        count(r.observed_connections, "accepted connection"),
        count(r.proposed_entries as u64, "proposed rule"),
        count(r.removed_rules as u64, "removed rule")
    ));
    let mut last_group: Option<&str> = None;
    for b in &r.blocked {
        if last_group != Some(b.group_id.as_str()) {
            let name = if b.group_name.is_empty() {
                String::new()
            } else {
                format!(" ({})", b.group_name)
            };
            out.push(format!("{}{name}:", b.group_id));
            last_group = Some(&b.group_id);
        }
        let side = match b.direction {
            Direction::Egress => "egress",
            Direction::Ingress => "ingress",
        };
        out.push(format!(
            "  {side}: {} -> {} {}: {}, {}{}",
            b.client,
            b.server,
            b.service,
            count(b.connections, "connection"),
            days(b.first, b.last),
            if b.suspicious {
                " (suspicious: blocked on purpose, not failing)"
            } else {
                ""
            }
        ));
    }
    if r.not_allowed_today > 0 {
        out.push(format!(
            "note: {} {} not allowed by today's rules in the inventory either (a stale inventory?); not counted",
            count(r.not_allowed_today, "accepted connection"),
            if r.not_allowed_today == 1 { "is" } else { "are" }
        ));
    }
    if let (Some(g), Some(seen)) = (&r.group, &r.seen)
        && seen.connections == 0
    {
        let n = seen.interfaces.len();
        out.push(if n == 0 {
            format!("note: group {g} holds no interface in the inventory: none of its traffic could be blocked")
        } else if seen.logged.is_empty() {
            format!(
                "note: nothing of group {g} was seen: none of its {n} interfaces captured a record in the window (checked anyway: --allow-empty)"
            )
        } else {
            format!(
                "note: no accepted connection has group {g} at an end, but {} of its {n} interfaces captured records in the window: the flow logs cover it, and it was quiet",
                seen.logged.len()
            )
        });
    }
    let incomplete = c.incomplete().join("; ");
    out.push(match c.verdict() {
        Verdict::Ok => "ok: nothing accepted would be blocked".to_string(),
        Verdict::Blocked => {
            let mut line = format!(
                "blocked: {} would be blocked",
                count(r.failing(), "accepted connection")
            );
            if !incomplete.is_empty() {
                line.push_str(&format!(
                    " (and the evidence is incomplete, so more may be: {incomplete})"
                ));
            }
            line
        }
        Verdict::Inconclusive => format!(
            "inconclusive: nothing accepted would be blocked in what was read, but {incomplete}; a pass needs every source and record read (see the lines on stderr)"
        ),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::replay::Blocked;

    fn blocked(connections: u64) -> Blocked {
        Blocked {
            group_id: "sg-1".into(),
            group_name: String::new(),
            direction: Direction::Egress,
            client: "eni-1 (10.0.0.1)".into(),
            server: "internet (203.0.113.7)".into(),
            client_end: Default::default(),
            server_end: Default::default(),
            service: "443/tcp".into(),
            connections,
            first: 0,
            last: 0,
            suspicious: false,
        }
    }

    fn checked(replay: Replay) -> Checked {
        Checked {
            replay,
            window: crate::window::Window { since: 0, until: 1 },
            stats: Stats::default(),
            fill: Fill::default(),
            warnings: Vec::new(),
        }
    }

    /// The verdict weighs what was read: records set aside as the logs
    /// meant them (NODATA, outside the window) leave a pass a pass; one
    /// record that could not be read makes it inconclusive; a blocked
    /// connection is a block either way.
    #[test]
    fn a_record_that_could_not_be_read_makes_a_pass_inconclusive() {
        let mut c = checked(Replay::default());
        c.stats.records = 10;
        c.stats.skip_n("nodata", 3);
        c.stats.skip_n("outside the window", 2);
        assert_eq!(c.verdict(), Verdict::Ok);
        assert!(c.incomplete().is_empty());
        c.stats.skip_n("bad port", 1);
        assert_eq!(c.verdict(), Verdict::Inconclusive);
        assert_eq!(
            check_lines(&c).last().unwrap(),
            "inconclusive: nothing accepted would be blocked in what was read, but 1 of 10 records could not be read (bad port: 1); a pass needs every source and record read (see the lines on stderr)"
        );
        c.replay.blocked_connections = 1;
        assert_eq!(c.verdict(), Verdict::Blocked);
    }

    /// Every count says its noun in the number it has: one, or many.
    #[test]
    fn counts_of_one_are_singular_and_others_plural() {
        for n in [1u64, 2] {
            let r = Replay {
                proposed_entries: n as usize,
                removed_rules: n as usize,
                terraform_rules: n as usize,
                terraform_files: vec!["tf/egress.tf".into(), "tf/team.tf".into()],
                observed_connections: n,
                not_allowed_today: n,
                blocked_connections: n,
                blocked: vec![blocked(n)],
                ..Replay::default()
            };
            let text = check_lines(&checked(r)).join("\n");
            let (s, are) = if n == 1 { ("", "is") } else { ("s", "are") };
            for want in [
                format!(
                    "checked {n} accepted connection{s} against {n} proposed rule{s} and {n} rule{s} of egress.tf, team.tf, without open egress and {n} removed rule{s}, for every group"
                ),
                format!("443/tcp: {n} connection{s}, "),
                format!("note: {n} accepted connection{s} {are} not allowed by today's rules"),
                format!("blocked: {n} accepted connection{s} would be blocked"),
            ] {
                assert!(text.contains(&want), "{want:?} in\n{text}");
            }
        }
    }
}
