//! The checks behind the fuzz targets (`fuzz/`): any bytes through the
//! record path, any text through the header detector, any bytes as a
//! document of CloudWatch Logs events, any bytes through the whole run. They live in the library so that `tests/it/fuzz_regressions.rs`
//! replays every saved input (`fuzz/regressions/`) with exactly the same
//! checks in an ordinary `cargo test`. Each function panics when an
//! invariant breaks.

use std::io::Cursor;
use std::sync::OnceLock;

use crate::aggregate::Aggregator;
use crate::analysis::analyze;
use crate::audit::audit;
use crate::emit::tfvars::ModuleVersion;
use crate::emit::{self, Command};
use crate::inventory::Inventory;
use crate::parse::{Format, Parsed, Parser, Record, looks_like_header};
use crate::pipeline::{ReadOptions, read_stream};
use crate::sources::{Kind, Stream};
use crate::stats::Stats;
use crate::window::Window;

/// `data` as one text stream named `name`, read over every time there is.
fn read_all(name: &str, data: &[u8]) -> (Aggregator, Stats) {
    let (read, agg, stats) = read_as(name, data, Kind::Text, ReadOptions::new(Window::ALL));
    read.expect("in-memory reads do not fail");
    (agg, stats)
}

/// `data` as one stream of `kind` named `name`, read with `opts`.
fn read_as(
    name: &str,
    data: &[u8],
    kind: Kind,
    opts: ReadOptions,
) -> (anyhow::Result<()>, Aggregator, Stats) {
    let stream = Stream {
        name: name.into(),
        size: 0,
        reader: Box::new(Cursor::new(data.to_vec())),
        kind,
        notes: Default::default(),
    };
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    let read = read_stream(stream, &opts, &mut agg, &mut stats, &|| {});
    (read, agg, stats)
}

/// Every field AWS logs, in one layout.
const RICH: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path reject-reason";

/// The inventory the whole-run target resolves against: the bundled sample's,
/// with groups, rules, peerings and prefix lists, so that resolution and
/// synthesis have real work for records naming its addresses.
pub const INVENTORY: &str = include_str!("../sample-logs/inventory.json");

fn inventory() -> &'static Inventory {
    static INV: OnceLock<Inventory> = OnceLock::new();
    INV.get_or_init(|| {
        let inv: Inventory = serde_json::from_str(INVENTORY).expect("the sample inventory parses");
        inv.check().expect("the sample inventory holds together");
        inv
    })
}

/// Every output of one run over the fuzz bytes, for checks the library
/// cannot make itself (the tfvars parsed back by an HCL parser, which is a
/// dev-dependency).
#[derive(Debug, Clone)]
pub struct Outputs {
    pub tfvars_v2: String,
    pub tfvars_v1: String,
    pub markdown: String,
    pub json: String,
    pub html: String,
    pub sarif: String,
    /// What the terminal prints at the end: the records line, then the summary.
    pub terminal: Vec<String>,
}

/// Any bytes as flow-log lines through the whole run, as `sgpair infer` and
/// `sgpair audit` do it: parse → aggregate → resolve (against [`INVENTORY`])
/// → synthesize → audit → every emitter (tfvars in both module versions,
/// the `--terraform` folder, Markdown, JSON, HTML, SARIF, the terminal's
/// summary), over every time
/// there is. Never a panic; every line accounted for; the JSON report and
/// the SARIF log are JSON; `tfvars_ok` (an HCL parser, in the fuzz target
/// and the replay test) accepts both tfvars.
pub fn whole(data: &[u8], tfvars_ok: &dyn Fn(&str) -> Result<(), String>) -> Outputs {
    let (agg, stats) = read_all("fuzz.log", data);
    assert_eq!(
        stats.used + stats.rejected + stats.skipped_total(),
        stats.records,
        "every record is used, rejected or skipped"
    );
    let analysis = analyze(Window::ALL, stats, agg.finish(), inventory().clone());
    let audit = audit(&analysis);
    let (tfvars_v2, _) = emit::tfvars::render(&analysis, ModuleVersion::V2);
    let (tfvars_v1, _) = emit::tfvars::render(&analysis, ModuleVersion::V1);
    let artifact = emit::sarif::Artifact {
        path: "sample-logs/inventory.json".into(),
        text: Some(INVENTORY),
    };
    let mut terminal = vec![analysis.stats.summary()];
    terminal.extend(emit::terminal_summary(&analysis, &audit));
    let out = Outputs {
        markdown: emit::report::markdown(&analysis, &audit),
        json: emit::report::json(&analysis, &audit, emit::Command::Infer),
        html: emit::html::render(&analysis, &audit, Command::Infer),
        sarif: emit::sarif::render(&analysis, &audit, &artifact),
        tfvars_v2,
        tfvars_v1,
        terminal,
    };
    for (what, text) in [
        ("the JSON report", &out.json),
        ("the SARIF log", &out.sarif),
    ] {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(text) {
            panic!("{what} is not JSON: {e}");
        }
    }
    for (what, text) in [("v2", &out.tfvars_v2), ("v1", &out.tfvars_v1)] {
        if let Err(e) = tfvars_ok(text) {
            panic!("the {what} tfvars do not parse back: {e}\n{text}");
        }
    }
    assert!(
        out.html.starts_with("<!DOCTYPE html>") && out.html.trim_end().ends_with("</html>"),
        "the HTML page is whole"
    );
    // The --terraform folder: its tfvars are the run's, its report renders.
    let folder = emit::terraform::render(&analysis, emit::terraform::DEFAULT_MODULE_NAME);
    assert_eq!(
        folder.files.first().map(|f| (f.name, f.text.as_str())),
        Some(("rules.auto.tfvars", out.tfvars_v2.as_str())),
        "the folder's tfvars are the run's"
    );
    let written = emit::terraform::Written {
        dir: "tf".into(),
        folder,
        kept: Vec::new(),
    };
    let with_folder =
        emit::report::markdown_with(&analysis, &audit, std::slice::from_ref(&written));
    assert!(with_folder.contains("## The Terraform folder"));
    let page = emit::html::render_with(
        &analysis,
        &audit,
        Command::Infer,
        std::slice::from_ref(&written),
    );
    assert!(
        page.contains("<section id=\"terraform\">") && page.trim_end().ends_with("</html>"),
        "the HTML page with the folder is whole"
    );
    let json: serde_json::Value = serde_json::from_str(&emit::report::json_with(
        &analysis,
        &audit,
        emit::Command::Infer,
        &[written],
    ))
    .expect("the JSON report with the folder is JSON");
    assert!(json["terraform"][0]["imports"].is_array());
    out
}

/// Any bytes as a flow-log stream: each line parsed under two layouts, then
/// the whole stream through headers, JSON lines, window, reduce and
/// aggregate. Never a panic, and every line accounted for.
pub fn record(data: &[u8]) {
    for fmt in [
        Format::default_v2(),
        Format::from_names(RICH).expect("rich format"),
    ] {
        let parser = Parser::new(&fmt).expect("valid format");
        // The one-pass parse, with its record kept from line to line as the
        // reader keeps it, makes the generic parse's record wherever it
        // takes a line.
        let mut kept = Record::blank();
        for line in data.split(|b| *b == b'\n') {
            let generic = parser.parse(line);
            if parser.parse_fast(line, &mut kept) {
                assert_eq!(
                    generic,
                    Ok(Parsed::Record(kept)),
                    "the one-pass parse differs"
                );
            }
        }
    }
    let (agg, stats) = read_all("fuzz", data);
    let lines = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .count() as u64;
    assert!(
        stats.records <= lines,
        "{} records from {lines} lines",
        stats.records
    );
    assert_eq!(
        stats.used + stats.rejected + stats.skipped_total(),
        stats.records,
        "every record is used, rejected or skipped"
    );
    let _ = agg.finish();
}

/// Any bytes as a document of CloudWatch Logs events (what `aws logs
/// filter-log-events` prints, `--logs events.json`): never a panic; with
/// `--allow-partial` every read ends well, and records a break exactly when
/// the strict read fails, whose error names the file; every event read is
/// used, rejected or skipped.
pub fn events(data: &[u8]) {
    let read = |allow_partial: bool| {
        let opts = ReadOptions {
            allow_partial,
            ..ReadOptions::new(Window::ALL)
        };
        read_as("fuzz.json", data, Kind::Events, opts)
    };
    let (strict, _, _) = read(false);
    let (partial, agg, stats) = read(true);
    if let Err(e) = &partial {
        panic!("--allow-partial failed: {e:#}");
    }
    assert_eq!(
        strict.is_err(),
        !stats.missing.is_empty(),
        "a break is recorded exactly when the strict read fails: {:?} {:?}",
        strict.as_ref().err(),
        stats.missing
    );
    if let Err(e) = strict {
        let msg = format!("{e:#}");
        assert!(msg.starts_with("fuzz.json:"), "{msg}");
    }
    assert_eq!(
        stats.used + stats.rejected + stats.skipped_total(),
        stats.records,
        "every event is used, rejected or skipped"
    );
    let _ = agg.finish();
}

/// Any text as a header line or a `--log-format`: detection, layout and
/// parser construction never panic, and a validated layout always builds a
/// parser.
pub fn header(data: &[u8]) {
    let _ = looks_like_header(data);
    if let Ok(text) = std::str::from_utf8(data)
        && let Some(fmt) = Format::from_names(text)
    {
        let valid = fmt.validate().is_ok();
        assert_eq!(
            valid,
            Parser::new(&fmt).is_ok(),
            "validate and Parser::new agree"
        );
        if let Ok(p) = Parser::new(&fmt) {
            // A line of dashes of the right width is NODATA-like, never a panic.
            let dashes = vec!["-"; fmt.columns.len()].join(" ");
            let _ = p.parse(dashes.as_bytes());
        }
    }
}
