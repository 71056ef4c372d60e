//! Findings about what the evidence lacks: interfaces and subnets no flow
//! log covers (SGP008), lost records (SGP009), a short window (SGP010),
//! rules resting on thin evidence (SGP011), traffic whose initiator the
//! logs cannot decide (SGP012), and a source that does not fill the window
//! (SGP013).

use crate::analysis::Analysis;
use crate::audit::findings::fingerprint;
use crate::audit::{Finding, FindingKind, SHORT_WINDOW_DAYS};
use crate::inventory::Inventory;
use crate::present::count;
use crate::present::time::first_and_last_day;
use crate::window::day;

/// Interfaces, then subnets, that no flow log covers (none when the
/// inventory lists no flow logs).
pub(super) fn no_flow_logs(inv: &Inventory) -> Vec<Finding> {
    let interfaces = inv.blind_spots().unwrap_or_default().into_iter().map(|e| Finding {
        groups: e.security_groups.clone(),
        enis: vec![e.id.clone()],
        evidence: format!("no flow log covers {} (by interface, subnet {} or VPC {})", e.id, e.subnet_id.as_deref().unwrap_or("-"), e.vpc_id.as_deref().unwrap_or("-")),
        fix: "Enable a flow log on the interface, its subnet or its VPC, and run sgpair again after a full window: rules it needs may be missing.".into(),
        ..Finding::new(
            FindingKind::NoFlowLogs,
            fingerprint(&["no-flow-logs", &e.id]),
            e.id.clone(),
        )
    });
    let subnets = inv.subnets_without_flow_logs().unwrap_or_default().into_iter().map(|sn| Finding {
        evidence: format!("no flow log covers subnet {} (by subnet or VPC {})", sn.id, sn.vpc_id),
        fix: "Enable a flow log on the subnet or its VPC; interfaces created there later would be invisible too.".into(),
        ..Finding::new(
            FindingKind::NoFlowLogs,
            fingerprint(&["no-flow-logs", &sn.id]),
            sn.id.clone(),
        )
    });
    interfaces.chain(subnets).collect()
}

/// Interfaces whose flow log lost records (SKIPDATA).
pub(super) fn skip_data(a: &Analysis) -> Vec<Finding> {
    a.evidence
        .gaps
        .iter()
        .map(|gap| Finding {
            enis: vec![gap.interface_id.clone()],
            evidence: count(gap.intervals, "SKIPDATA interval"),
            fix: "Records were lost in these intervals; traffic in them is missing from the evidence. Widen the window or check the flow log's delivery.".into(),
            ..Finding::new(
                FindingKind::SkipData,
                fingerprint(&["skipdata", &gap.interface_id]),
                gap.interface_id.clone(),
            )
        })
        .collect()
}

/// A window shorter than [`SHORT_WINDOW_DAYS`].
pub(super) fn short_window(a: &Analysis) -> Vec<Finding> {
    if a.window.days() >= SHORT_WINDOW_DAYS {
        return Vec::new();
    }
    vec![Finding {
        evidence: format!(
            "the window covers {:.1} days; weekly jobs, backups and failovers may not appear",
            a.window.days()
        ),
        fix: "Run over at least 7 days (--since 7d), better 30, before removing open egress."
            .into(),
        ..Finding::new(
            FindingKind::ShortWindow,
            fingerprint(&["short-window"]),
            format!("{:.1} days", a.window.days()),
        )
    }]
}

/// A source whose records stop short of an end of the window (by more
/// than [`FILL_SLACK`](crate::stats::FILL_SLACK)), or that has none in it:
/// the warnings the summary prints, as findings, so that `--fail-on
/// medium` and SARIF see a delivery that broke.
pub(super) fn window_not_filled(a: &Analysis) -> Vec<Finding> {
    a.fill()
        .sources
        .into_iter()
        .filter(|s| !s.short.is_empty())
        .map(|s| Finding {
            evidence: s.short.join("; "),
            fix: "Check this source's delivery for the time it misses (an export or subscription that stopped, a prefix not delivered), or set --since and --until to the time its logs cover, before removing open egress.".into(),
            ..Finding::new(
                FindingKind::WindowNotFilled,
                fingerprint(&["window-not-filled", &spelled_alike(&s.source)]),
                s.source,
            )
        })
        .collect()
}

/// A source's name as the fingerprint takes it: a local path however it was
/// spelled (`plain.log`, `./plain.log`, `$PWD/plain.log`), relative to the
/// working folder when it lies under it, so that an alert stays one alert
/// from run to run; any other name (a log group, an S3 location) as it is.
fn spelled_alike(source: &str) -> String {
    let Ok(path) = std::fs::canonicalize(source) else {
        return source.to_string();
    };
    let relative = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()));
    relative.unwrap_or(path).display().to_string()
}

/// Proposed rules that rest on one connection, or on one day's.
pub(super) fn thin_evidence(a: &Analysis, keys: &[String]) -> Vec<Finding> {
    a.proposal
        .rules
        .iter()
        .zip(keys)
        .filter(|(r, _)| {
            let e = &r.evidence;
            let (first, last) = first_and_last_day(e.first, e.last);
            e.connections <= 1 || first == last
        })
        .map(|(r, key)| {
            let e = &r.evidence;
            Finding {
                groups: vec![r.source_sg.clone(), r.target_sg.clone()],
                enis: e.client_enis.iter().chain(&e.server_enis).cloned().collect(),
                evidence: if e.connections <= 1 {
                    format!("seen once ({})", day(e.first))
                } else {
                    format!("{} connections, all on {}", e.connections, day(e.first))
                },
                fix: "Check the traffic is wanted before allowing it permanently; a one-off (a migration, a test) needs no rule.".into(),
                ..Finding::new(
                    FindingKind::ThinEvidence,
                    fingerprint(&["thin-evidence", key]),
                    key.clone(),
                )
            }
        })
        .collect()
}

/// One finding for all the aggregates whose initiator is undecided.
pub(super) fn undecided_initiator(a: &Analysis) -> Vec<Finding> {
    let undecided = &a.evidence.undecided;
    if undecided.is_empty() {
        return Vec::new();
    }
    let n: u64 = undecided.iter().map(|u| u.records).sum();
    vec![Finding {
        evidence: format!(
            "{} ({}) whose initiator the logs cannot decide: not counted as connections, and no rule is proposed for them",
            count(undecided.len() as u64, "aggregate"),
            count(n, "record")
        ),
        fix: "Add tcp-flags to the flow-log format, or write rules for this traffic by hand if it is wanted.".into(),
        ..Finding::new(
            FindingKind::UndecidedInitiator,
            fingerprint(&["undecided"]),
            count(undecided.len() as u64, "aggregate"),
        )
    }]
}
