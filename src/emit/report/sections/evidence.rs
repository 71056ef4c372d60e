//! What the evidence is and lacks: the records per source and the
//! interfaces that fell silent, lost records, interfaces without flow logs
//! or missing from the inventory, and skipped records.

use std::collections::BTreeSet;

use crate::aggregate::Gap;
use crate::analysis::Analysis;
use crate::emit::report::document::{Block, Markup, Row, Section, para, table};
use crate::emit::report::sections::{group_label, time_or_unknown};
use crate::emit::summary::Summary;
use crate::present::count;
use crate::resolve::AbsentWhy;
use crate::stats::{Fill, Stats};
use crate::synthesize::ExternalKind;
use crate::window::{days, rfc3339};

/// What the records of the window span, per source; the interfaces that fell
/// silent before the window's end.
pub(super) fn evidence_per_source(s: &Summary, m: &dyn Markup) -> Section {
    let fill: &Fill = &s.fill;
    let mut blocks = vec![para(format!(
        "The records of the window, per source (the window is evidence only where they reach): {}.",
        m.text(&s.evidence_span())
    ))];
    if !fill.warnings.is_empty() {
        blocks.push(para("The window is not filled:"));
        blocks.push(Block::List(
            fill.warnings.iter().map(|w| m.text(w)).collect(),
        ));
    }
    let rows: Vec<Row> = fill
        .sources
        .iter()
        .map(|x| {
            Row::plain(vec![
                m.text(&x.source),
                x.streams.to_string(),
                x.records.to_string(),
                x.first.map_or_else(|| "-".into(), rfc3339),
                x.last.map_or_else(|| "-".into(), rfc3339),
            ])
        })
        .collect();
    if !rows.is_empty() {
        blocks.push(table(
            "sources",
            &[
                "Source",
                ">Streams",
                ">Records in the window",
                "=First record starts",
                "=Last record ends",
            ],
            rows,
        ));
    }
    let silent = if fill.silent.is_empty() {
        vec![para(
            "None: every interface with records has one within a day of the window's end.",
        )]
    } else {
        vec![
            para(
                "The last record of these interfaces ends more than a day before the window's end: the host stopped or was replaced, its traffic stopped, or its flow log did. Whatever they did after it is not in the evidence.",
            ),
            table(
                "silent",
                &[
                    "Interface",
                    ">Records in the window",
                    "=First record starts",
                    "=Last record ends",
                ],
                fill.silent
                    .iter()
                    .map(|i| {
                        Row::plain(vec![
                            m.text(&i.interface_id),
                            i.records.to_string(),
                            rfc3339(i.first),
                            rfc3339(i.last),
                        ])
                    })
                    .collect(),
            ),
        ]
    };
    blocks.push(Block::Sub(Section::new(
        "silent",
        "Interfaces that fell silent",
        silent,
    )));
    Section::new("evidence-per-source", "Evidence per source", blocks)
}

/// SKIPDATA: intervals whose records the interface lost.
pub(super) fn gaps(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Gaps in the evidence";
    let mut blocks = if a.evidence.gaps.is_empty() {
        vec![para("None: no SKIPDATA records.")]
    } else {
        let rows: Vec<Row> = a
            .evidence
            .gaps
            .iter()
            .map(|g| Row::plain(gap_row(m, g)))
            .collect();
        vec![
            para(
                "SKIPDATA records mark capture intervals whose flow records were lost; traffic in them is missing from the evidence, and rules may be missing with it.",
            ),
            table(
                "gaps",
                &["Interface", ">Intervals", "=First", "=Last"],
                rows,
            ),
        ]
    };
    blocks.push(Block::Sub(blind_spots(a, m)));
    blocks.push(Block::Sub(absent(a, m)));
    Section::new("gaps", H, blocks)
}

/// What "no interface missing" means: that every interface the records
/// name is in the inventory, or (interface-id `-`) that they name none.
fn none_absent(a: &Analysis, m: &dyn Markup) -> String {
    let conns = &a.evidence.connections;
    let unnamed: u64 = conns
        .iter()
        .filter(|c| c.logged_at.is_empty())
        .map(|c| c.connections)
        .sum();
    let named = conns.iter().any(|c| !c.logged_at.is_empty());
    match (named, unnamed) {
        (_, 0) => "None: every interface in the logs is in the inventory.".into(),
        (false, _) => format!(
            "Not known: the records name no interface ({} is {} or not in their format), so whether the inventory holds the interfaces that captured them cannot be told. Add {} to the flow log's format to have it checked.",
            m.code("interface-id"),
            m.code("-"),
            m.code("${interface-id}")
        ),
        (true, n) => format!(
            "None: every interface the records name is in the inventory; the records of {} name no interface ({} is {} or not in their format) and are not checked.",
            count(n, "connection"),
            m.code("interface-id"),
            m.code("-")
        ),
    }
}

/// Interfaces the logs show and the inventory lacks, and what resolution
/// could not attribute.
fn absent(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Interfaces missing from the inventory";
    let at = &a.attribution;
    let mut blocks = Vec::new();
    if at.absent.is_empty() {
        blocks.push(para(none_absent(a, m)));
    } else {
        let rows: Vec<Row> = at
            .absent
            .iter()
            .map(|x| {
                let peers = x
                    .peers
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                let more = x.peer_count.saturating_sub(x.peers.len());
                let groups = x
                    .groups
                    .iter()
                    .map(|g| group_label(m, &a.inventory, g))
                    .collect::<Vec<_>>()
                    .join(", ");
                Row::plain(vec![
                    m.text(&x.id),
                    match x.why {
                        AbsentWhy::OtherAccount => format!(
                            "another account ({})",
                            m.text(x.account.as_deref().unwrap_or("?"))
                        ),
                        AbsentWhy::OtherVpc => format!(
                            "a VPC not covered ({})",
                            m.text(x.vpc.as_deref().unwrap_or("?"))
                        ),
                        AbsentWhy::Deleted => match x.deleted_at {
                            Some(t) if !groups.is_empty() => {
                                format!("deleted {} (history); had {groups}", rfc3339(t))
                            }
                            Some(t) => format!("deleted {} (history)", rfc3339(t)),
                            None => "deleted (history)".into(),
                        },
                        // As the JSON says it (`unknown`), with what it may be.
                        AbsentWhy::Unknown => match &x.vpc {
                            Some(v) => format!(
                                "unknown: in {}, deleted or newer than the inventory",
                                m.text(v)
                            ),
                            None => "unknown: its records name no VPC (deleted, newer than the inventory, or of a VPC it does not hold)".into(),
                        },
                    },
                    x.addresses
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    days(x.first, x.last),
                    x.connections.to_string(),
                    if more > 0 {
                        format!("{peers} and {more} more")
                    } else if peers.is_empty() {
                        "not known (its own address is not known)".into()
                    } else {
                        peers
                    },
                ])
            })
            .collect();
        let whys: BTreeSet<AbsentWhy> = at.absent.iter().map(|x| x.why).collect();
        blocks.push(para(format!(
            "The flow logs show these interfaces, but the inventory does not hold them: unless the history ({}) gives the groups they had, no rule is proposed for their traffic.",
            m.code("--history")
        )));
        blocks.push(table(
            "absent",
            &[
                "Interface",
                "Why not in the inventory",
                "Addresses",
                "=Seen",
                ">Connections",
                "Talked to",
            ],
            rows,
        ));
        blocks.push(Block::List(
            whys.iter().map(|w| w.advice().to_string()).collect(),
        ));
    }
    if at.ambiguous_connections > 0 {
        blocks.push(para(format!(
            "{} connections have an end whose owner or groups at the time are not known (an address that passed between interfaces, groups that changed during the connection): listed under \"{}\", never turned into rules.",
            at.ambiguous_connections,
            ExternalKind::UnknownOwner.title()
        )));
    }
    if at.through_nat > 0 {
        blocks.push(para(format!(
            "{} connections went through a NAT gateway: they are attributed to the host behind it (its address in the gateway's records), once.",
            at.through_nat
        )));
    }
    Section::new("absent", H, blocks)
}

/// Interfaces that no flow log covers: their traffic cannot be seen at all.
fn blind_spots(a: &Analysis, m: &dyn Markup) -> Section {
    const H: &str = "Interfaces without flow logs";
    let blocks = match a.inventory.blind_spots() {
        None => vec![para(format!(
            "Unknown: the inventory lists no flow logs ({} records them).",
            m.code("sgpair inventory")
        ))],
        Some(b) if b.is_empty() => vec![para("None: every interface is covered by a flow log.")],
        Some(b) => {
            let rows: Vec<Row> = b
                .iter()
                .map(|e| {
                    Row::plain(vec![
                        m.text(&e.id),
                        m.text(&e.interface_type),
                        m.text(&e.description),
                    ])
                })
                .collect();
            vec![
                para(
                    "No flow log covers these interfaces (by interface, subnet or VPC), so traffic through them is invisible here; a rule they need may be missing.",
                ),
                table("blind", &["Interface", "Type", "Description"], rows),
            ]
        }
    };
    Section::new("blind-spots", H, blocks)
}

fn gap_row(m: &dyn Markup, g: &Gap) -> Vec<String> {
    vec![
        m.text(&g.interface_id),
        g.intervals.to_string(),
        time_or_unknown(g.first),
        time_or_unknown(g.last),
    ]
}

/// Skip reasons with counts, their first places, and the notes.
pub(super) fn skipped(stats: &Stats, m: &dyn Markup) -> Section {
    const H: &str = "Skipped records";
    if stats.skipped.is_empty() && stats.notes.is_empty() {
        return Section::new(
            "skipped",
            H,
            vec![para("None: every record was used or rejected.")],
        );
    }
    let mut blocks = Vec::new();
    if stats.skipped.is_empty() {
        blocks.push(para("No record was skipped."));
    } else {
        let rows: Vec<Row> = stats
            .skipped
            .iter()
            .map(|(k, v)| Row::plain(vec![m.text(k), v.to_string()]))
            .collect();
        blocks.push(table("skipped", &["Reason", ">Records"], rows));
    }
    let examples: Vec<String> = stats
        .examples
        .iter()
        .flat_map(|(k, v)| {
            v.iter()
                .map(move |e| format!("{}: {}", m.text(k), m.text(e)))
        })
        .collect();
    if !examples.is_empty() {
        blocks.push(para("Where (first places per reason):"));
        blocks.push(Block::List(examples));
    }
    if !stats.notes.is_empty() {
        blocks.push(para("Notes:"));
        blocks.push(Block::List(stats.notes.iter().map(|n| m.text(n)).collect()));
    }
    Section::new("skipped", H, blocks)
}
