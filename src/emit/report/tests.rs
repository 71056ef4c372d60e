//! The report on the shared fixture: its snapshots, its order, its
//! escaping, and figures computed from the data.

use std::collections::BTreeSet;

use crate::aggregate::{Evidence, Method};
use crate::analysis::{Analysis, analyze};
use crate::emit::report::markdown::Md;
use crate::emit::report::sections::{endpoint, human_bytes, start_days};
use crate::emit::summary::Summary;
use crate::emit::test_support::{
    C, DAY, HOSTILE, UNTIL, assert_same_text, c, connection, fixture, in_another_order, ip,
    undecided,
};
use crate::inventory::Inventory;
use crate::present::names;
use crate::reduce::{ICMP, TCP, UDP};
use crate::stats::Stats;
use crate::synthesize::ExternalKind;
use crate::window::{Window, days};

/// [`super::markdown`] with the audit of `a`, as `main` calls it.
fn markdown(a: &Analysis) -> String {
    super::markdown(a, &crate::audit::audit(a))
}

/// [`super::json`] with the audit of `a`, as `main` calls it.
fn json(a: &Analysis) -> String {
    super::json(a, &crate::audit::audit(a), crate::emit::Command::Infer)
}

/// Lines of consecutive table rows, per table, in document order.
fn tables(md: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    let mut in_table = false;
    for line in md.lines() {
        if line.starts_with('|') {
            if !in_table {
                out.push(Vec::new());
            }
            out.last_mut().unwrap().push(line);
            in_table = true;
        } else {
            in_table = false;
        }
    }
    out
}

/// `|` not escaped by an odd run of backslashes.
fn unescaped_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut backslashes = 0;
    for ch in line.chars() {
        if ch == '|' && backslashes % 2 == 0 {
            n += 1;
        }
        backslashes = if ch == '\\' { backslashes + 1 } else { 0 };
    }
    n
}

/// The table under a `## ` heading.
fn section_table<'a>(md: &'a str, heading: &str) -> Vec<&'a str> {
    let start = md.find(heading).expect("heading present");
    let rest = &md[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    tables(&rest[..end]).into_iter().next().unwrap_or_default()
}

#[test]
fn the_fixture_exercises_every_section() {
    let a = fixture();
    assert_eq!(a.proposal.rules.len(), 3);
    let kinds: BTreeSet<ExternalKind> = a.proposal.external.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.len(), 6, "{kinds:?}");
    assert_eq!(a.proposal.suspicious.len(), 4);
    assert!(a.proposal.optimal);
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(markdown(&fixture()));
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(json(&fixture()));
}

#[test]
fn the_same_facts_in_another_order_give_the_same_bytes() {
    let a = fixture();
    let b = in_another_order(&a);
    assert_same_text(&markdown(&b), &markdown(&a));
    assert_same_text(&json(&b), &json(&a));
}

#[test]
fn sections_come_in_order_with_keys_matching_the_tfvars() {
    let a = fixture();
    let md = markdown(&a);
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        vec![
            "## Findings",
            "## Before and after",
            "## Proposed rules",
            "## Traffic that cannot be a security-group rule",
            "## Suspicious traffic (never turned into rules)",
            "## Undecided initiator",
            "## Rejected traffic",
            "## Evidence per source",
            "## Gaps in the evidence",
            "## Existing rules against the evidence",
            "## Skipped records",
        ]
    );
    let rows = section_table(&md, "## Proposed rules");
    for (key, row) in names::rule_keys(&a.proposal.rules, &a.inventory)
        .iter()
        .zip(&rows[2..])
    {
        assert!(row.starts_with(&format!("| `{key}` |")), "{row}");
    }
    // The busiest rejected service comes first, whatever the input order.
    let rejected = section_table(&md, "## Rejected traffic");
    assert!(
        rejected[2].starts_with("| 10.0.0.5 | 22/tcp | 40 |"),
        "{}",
        rejected[2]
    );
}

#[test]
fn hostile_strings_cannot_break_tables_or_inject_html() {
    let mut a = fixture();
    let web = a
        .inventory
        .security_groups
        .iter_mut()
        .find(|g| g.id == "sg-web")
        .unwrap();
    web.name = HOSTILE.into();
    a.stats.notes.push(HOSTILE.into());
    a.stats.skip_at(HOSTILE, HOSTILE, 1, HOSTILE);
    a.evidence.rejected[0].reasons.push(HOSTILE.into());
    a.evidence.gaps[0].interface_id = HOSTILE.into();
    a.proposal.suspicious[0].client_label = HOSTILE.into();
    a.proposal.external[0].local = HOSTILE.into();

    let md = markdown(&a);
    assert!(!md.contains("<script>"), "{md}");
    assert!(!md.contains("[x]("), "a live link: {md}");
    assert!(md.contains("&lt;script&gt;"));

    let rules = section_table(&md, "## Proposed rules");
    assert_eq!(rules.len(), 2 + a.proposal.rules.len(), "{rules:#?}");
    assert!(rules.iter().any(|r| r.contains("a\\|b &lt;script&gt;")));
    let header = unescaped_pipes(rules[0]);
    for row in &rules {
        assert_eq!(unescaped_pipes(row), header, "{row}");
    }
    // Every other table too: as many cells in each row as in its header.
    for t in tables(&md) {
        let header = unescaped_pipes(t[0]);
        for row in &t {
            assert_eq!(unescaped_pipes(row), header, "{row}");
        }
    }

    let v: serde_json::Value = serde_json::from_str(&json(&a)).unwrap();
    let names: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| [&r["source_name"], &r["target_name"]])
        .filter_map(|n| n.as_str())
        .collect();
    assert!(names.contains(&HOSTILE), "{names:?}");
    assert_eq!(v["stats"]["notes"][1], HOSTILE);
}

#[test]
fn coverage_is_computed_from_the_data() {
    // The audit counts both sides; the Markdown, the JSON and the HTML say them.
    let coverage = |a: &Analysis| {
        let audit = crate::audit::audit(a);
        let b = &audit.before_after;
        let percent = Summary::of(a, &audit).coverage_percent;
        (b.covered_by_proposal, b.grouped_connections, percent)
    };
    let html = |a: &Analysis| {
        crate::emit::html::render(a, &crate::audit::audit(a), crate::emit::Command::Infer)
    };
    let mut a = fixture();
    // 40 + 35 + 5 (alb → web), 100 + 80 (web → db), 12 (monitoring → db);
    // the suspicious web → db on 6667 is not counted.
    assert_eq!(coverage(&a), (272, 272, Some(100.0)));
    assert!(markdown(&a).contains("cover 100.0% (272 of 272)"));
    assert!(html(&a).contains("<dd>the rules cover 100.0% (272 of 272) of the connections"));

    // Without the ICMP rule, its 12 connections are uncovered.
    a.proposal.rules.retain(|r| r.proto != ICMP);
    assert_eq!(a.proposal.rules.len(), 2);
    let (covered, grouped, percent) = coverage(&a);
    assert_eq!((covered, grouped), (260, 272));
    assert!((percent.unwrap() - 260.0 * 100.0 / 272.0).abs() < 1e-9);
    assert!(markdown(&a).contains("cover 95.6% (260 of 272)"));
    assert!(html(&a).contains("<dd>the rules cover 95.6% (260 of 272) of the connections"));

    // A grouped connection no rule covers raises the denominator.
    let mut extra = connection(&c_("10.0.3.30", "10.0.1.10", 9100, TCP, 28), 0);
    {
        let r = crate::resolve::Resolver::new(&a.inventory, &a.evidence);
        extra.client_end = r.resolve(extra.client);
        extra.server_end = r.resolve(extra.server);
    }
    a.evidence.connections.push(extra);
    assert_eq!(coverage(&a).1, 300);
    let v: serde_json::Value = serde_json::from_str(&json(&a)).unwrap();
    assert_eq!(v["summary"]["coverage"]["grouped"], 300);
    assert_eq!(v["summary"]["coverage"]["covered"], 260);
    // The same counts as the audit's before/after, in the same JSON.
    let b = &v["audit"]["before_after"];
    assert_eq!(b["grouped_connections"], 300);
    assert_eq!(b["covered_by_proposal"], 260);

    // Nothing grouped: no percentage at all.
    a.evidence.connections.clear();
    a.proposal.rules.clear();
    assert_eq!(coverage(&a), (0, 0, None));
    assert!(markdown(&a).contains("no connection between two interfaces"));
    assert!(html(&a).contains("<dd>no connection between two interfaces"));
    assert!(json(&a).contains("\"coverage_percent\": null"));
}

fn c_(client: &'static str, server: &'static str, port: u16, proto: u8, n: u64) -> C {
    c(client, server, port, proto, n, Method::TcpFlags)
}

#[test]
fn json_is_versioned_and_machine_readable() {
    let a = fixture();
    let v: serde_json::Value = serde_json::from_str(&json(&a)).unwrap();
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["command"], "infer");
    assert_eq!(v["window"]["since_rfc3339"], "2026-11-18T00:00:00Z");
    assert_eq!(v["window"]["until"], UNTIL);
    assert_eq!(v["rules"].as_array().unwrap().len(), 3);
    let keys = names::rule_keys(&a.proposal.rules, &a.inventory);
    assert_eq!(v["rules"][0]["key"], keys[0].as_str());
    assert_eq!(v["rules"][0]["protocol"], "tcp");
    assert_eq!(v["summary"]["suspicious"], 4);
    assert_eq!(v["summary"]["undecided"], 3);
    assert_eq!(v["summary"]["optimal"], true);
    assert_eq!(v["external"][0]["service"], "443/tcp");
    // Same order as the Markdown table: most rejected records first.
    assert_eq!(v["rejected"][0]["records"], 40);
    assert_eq!(v["rejected"][0]["service"], "22/tcp");
    assert!(json(&a).ends_with("}\n"));
}

#[test]
fn a_short_window_and_empty_sections_are_said_in_one_line() {
    let a = analyze(
        Window {
            since: UNTIL - 2 * DAY,
            until: UNTIL,
        },
        Stats::default(),
        Evidence::default(),
        Inventory::default(),
    );
    let md = markdown(&a);
    assert!(md.contains("(2.0 days, end exclusive)"), "{md}");
    assert!(md.contains("**Short window:**"), "{md}");
    assert!(
        md.contains("## Proposed rules\n\nNo rules proposed.\n"),
        "{md}"
    );
    assert!(md.contains("## Suspicious traffic (never turned into rules)\n\nNone found.\n"));
    assert!(md.contains("## Skipped records\n\nNone"));
    // Only the findings (the short window itself) and the before/after counts.
    assert_eq!(tables(&md).len(), 2, "{md}");
    assert!(md.contains("SGP010 Window too short to trust"), "{md}");
    assert!(!markdown(&fixture()).contains("Short window"));
}

#[test]
fn the_undecided_list_stops_at_fifty_rows() {
    let mut a = fixture();
    a.evidence.undecided = (0..53)
        .map(|i| undecided("10.0.1.10", 40_000 + i, "10.0.2.20", 50_000, UDP))
        .collect();
    let md = markdown(&a);
    let t = section_table(&md, "## Undecided initiator");
    assert_eq!(t.len(), 2 + 50);
    assert!(md.contains("\n\nand 3 more.\n"), "{md}");
}

#[test]
fn small_formats() {
    assert_eq!(human_bytes(0), "0 B");
    assert_eq!(human_bytes(1023), "1023 B");
    assert_eq!(human_bytes(1536), "1.5 KiB");
    assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    assert_eq!(
        endpoint(&Md, ip("2600:1f18::1"), 443, TCP),
        "\\[2600:1f18::1\\]:443"
    );
    assert_eq!(days(UNTIL, UNTIL + 60), "2026-11-25");
    // Ends are exclusive: an interval that ends at midnight ends the day before.
    assert_eq!(days(UNTIL - DAY, UNTIL), "2026-11-24");
    assert_eq!(days(UNTIL - DAY, UNTIL + 1), "2026-11-24..2026-11-25");
    assert_eq!(start_days(UNTIL - DAY, UNTIL), "2026-11-24..2026-11-25");
}
