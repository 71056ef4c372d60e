//! `sgpair check`'s answer as lines for the terminal: per group, the flows
//! the proposal would block, then the verdict.

use crate::audit::Direction;
use crate::audit::replay::Replay;
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
        "checked {} accepted connections against {} proposed rules, without open egress and {} removed rules, for {scope}",
        r.observed_connections, r.proposed_entries, r.removed_rules
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
            "  {side}: {} -> {} {}: {} connection{}, {}{}",
            b.client,
            b.server,
            b.service,
            b.connections,
            if b.connections == 1 { "" } else { "s" },
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
            "note: {} accepted connections are not allowed by today's rules in the inventory either (a stale inventory?); not counted",
            r.not_allowed_today
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
        format!("blocked: {failing} accepted connections would be blocked")
    });
    out
}
