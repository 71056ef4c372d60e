//! `sgpair check`'s answer as lines for the terminal: per group, the flows
//! the proposal would block, then the verdict.

use crate::audit::Direction;
use crate::audit::replay::Replay;
use crate::present::count;
use crate::window::days;

pub fn check_lines(r: &Replay) -> Vec<String> {
    let mut out = Vec::new();
    let scope = match (&r.group, &r.seen) {
        (Some(g), Some(seen)) => {
            format!("group {g} ({} of them with it at an end)", seen.connections)
        }
        (Some(g), None) => format!("group {g}"),
        (None, _) => "every group".to_string(),
    };
    out.push(format!(
        "checked {} against {}, without open egress and {}, for {scope}",
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
    let failing = r.failing();
    out.push(if failing == 0 {
        "ok: nothing accepted would be blocked".to_string()
    } else {
        format!(
            "blocked: {} would be blocked",
            count(failing, "accepted connection")
        )
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
            service: "443/tcp".into(),
            connections,
            first: 0,
            last: 0,
            suspicious: false,
        }
    }

    /// Every count says its noun in the number it has: one, or many.
    #[test]
    fn counts_of_one_are_singular_and_others_plural() {
        for n in [1u64, 2] {
            let r = Replay {
                proposed_entries: n as usize,
                removed_rules: n as usize,
                observed_connections: n,
                not_allowed_today: n,
                blocked_connections: n,
                blocked: vec![blocked(n)],
                ..Replay::default()
            };
            let text = check_lines(&r).join("\n");
            let (s, are) = if n == 1 { ("", "is") } else { ("s", "are") };
            for want in [
                format!(
                    "checked {n} accepted connection{s} against {n} proposed rule{s}, without open egress and {n} removed rule{s}, for every group"
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
