//! The HTML report in a real browser: the sample environment (`sample-logs/`)
//! through the pipeline, rendered with hostile group names, opened from a
//! file by Debian's Chromium, headless. Checks the DOM after load (the
//! diagram, its boxes and arrows, the marker the page's script sets when it
//! ran to its end), the browser's console (no script error, no CSP
//! violation), and a screenshot.
//!
//! Chromium is required: without it these tests fail, they never skip
//! (`apt-get install chromium`; `.ci/run` installs it). Set
//! `SGPAIR_HTML_ARTIFACTS=DIR` to keep the page, the DOM and the screenshot.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sgpair::analysis::{self, Analysis};
use sgpair::audit::audit;
use sgpair::emit::{Command as Cmd, html, report, terraform};
use sgpair::inventory::Inventory;
use sgpair::pipeline::{self, ReadOptions};
use sgpair::synthesize::ExternalKind;
use sgpair::window::Window;

use crate::support::{UNTIL_T, repo};

/// 2026-11-18T00:00:00Z..2026-11-25T00:00:00Z: the sample's week.
const WINDOW: Window = Window {
    since: UNTIL_T - 7 * 86_400,
    until: UNTIL_T,
};
const SCRIPT_NAME: &str = "<script>alert(1)</script>";
const ATTR_NAME: &str = "\" onmouseover=\"alert(2)\" data-pwned=\"1";
/// Longer than a start-up on a loaded 2-core machine could take.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The sample environment, with two groups renamed to hostile names.
fn sample() -> Analysis {
    let dir = repo().join("sample-logs");
    let inventory = Inventory::load(&dir.join("inventory.json")).expect("sample inventory");
    let opts = ReadOptions {
        window: WINDOW,
        log_format: None,
        allow_partial: false,
    };
    let (agg, stats) =
        pipeline::read_files(&[dir.join("flow-logs")], &opts, true, None).expect("sample logs");
    let mut a = analysis::analyze(WINDOW, stats, agg.finish(), inventory);
    let in_rules: BTreeSet<String> = groups_in_rules(&a);
    let mut hostile = [SCRIPT_NAME, ATTR_NAME].into_iter();
    for g in &mut a.inventory.security_groups {
        if in_rules.contains(&g.id)
            && let Some(name) = hostile.next()
        {
            g.name = name.into();
        }
    }
    assert!(hostile.next().is_none(), "two groups renamed");
    a
}

fn groups_in_rules(a: &Analysis) -> BTreeSet<String> {
    a.proposal
        .rules
        .iter()
        .flat_map(|r| [r.source_sg.clone(), r.target_sg.clone()])
        .collect()
}

/// `chromium` from PATH, or a failure that says how to get it.
fn chromium() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("chromium"))
                .find(|c| c.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "chromium not found: apt-get install chromium (the HTML report is tested in a real browser; .ci/run installs it)"
            )
        })
}

struct Browser {
    dir: tempfile::TempDir,
}

struct Output {
    stdout: String,
    stderr: String,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `page` and runs Chromium on it with `args`, with a fresh profile.
    fn run(&self, page: &str, profile: &str, args: &[String]) -> Output {
        let file = self.path("page.html");
        std::fs::write(&file, page).expect("page written");
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", self.path(profile).display()))
            .args(args)
            .arg(format!("file://{}", file.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start chromium: {e}"));
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().expect("chromium status") {
                break s;
            }
            if start.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish within {TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let output = Output {
            stdout: out_reader.join().unwrap(),
            stderr: err_reader.join().unwrap(),
        };
        assert!(
            status.success(),
            "chromium failed ({status})\n--- stderr\n{}",
            output.stderr
        );
        output
    }

    /// Keeps a file of the run where `SGPAIR_HTML_ARTIFACTS` says.
    fn keep(&self, name: &str, target: &str) {
        if let Some(dir) = std::env::var_os("SGPAIR_HTML_ARTIFACTS") {
            let dir = Path::new(&dir);
            std::fs::create_dir_all(dir).unwrap();
            std::fs::copy(self.path(name), dir.join(target)).unwrap();
        }
    }
}

/// What the page said on the console: Chromium logs every console message
/// and uncaught exception of the page as an `INFO:CONSOLE` line on stderr.
/// The page logs nothing, so any such line is an error (a script error, or
/// a Content-Security-Policy refusal).
fn page_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("Uncaught")
                || l.contains("Console error")
                || (l.contains(":CONSOLE") && l.contains("page.html"))
        })
        .collect()
}

/// A start tag of the serialized DOM: name and attributes (values unescaped
/// only for `&quot;` and `&amp;`, enough to compare ids).
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The start tags of Chromium's serialization of the DOM (`--dump-dom`): it
/// double-quotes every attribute value and escapes `<` in text, so a `<`
/// outside `<script>` and `<style>` always starts a tag.
fn tags(dom: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('/') || rest.starts_with('!') {
            rest = &rest[rest.find('>').expect("closed") + 1..];
            continue;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .expect("tag name ends");
        let name = rest[..end].to_ascii_lowercase();
        rest = &rest[end..];
        let mut attrs = Vec::new();
        loop {
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix("/>").or_else(|| rest.strip_prefix('>')) {
                rest = r;
                break;
            }
            let stop = rest
                .find(|c: char| c == '=' || c == '>' || c.is_whitespace())
                .expect("attribute ends");
            let an = rest[..stop].to_string();
            rest = &rest[stop..];
            if let Some(r) = rest.strip_prefix("=\"") {
                let close = r.find('"').expect("value closed");
                let value = r[..close].replace("&quot;", "\"").replace("&amp;", "&");
                attrs.push((an, value));
                rest = &r[close + 1..];
            } else {
                attrs.push((an, String::new()));
            }
        }
        if name == "script" || name == "style" {
            rest = &rest[rest.find(&format!("</{name}>")).expect("raw text closed")..];
        }
        out.push(Tag { name, attrs });
    }
    out
}

#[test]
fn the_page_renders_in_chromium_with_the_diagram_and_no_script_errors() {
    let a = sample();
    let groups = groups_in_rules(&a);
    let rules = a.proposal.rules.len();
    assert!(
        groups.len() >= 5 && rules >= 5,
        "the sample proposes rules between several groups: {groups:?}, {rules} rules"
    );
    let page = html::render(&a, &audit(&a), Cmd::Infer);
    let b = Browser::new();
    let out = b.run(&page, "profile", &["--dump-dom".to_string()]);
    std::fs::write(b.path("dom.html"), &out.stdout).unwrap();
    b.keep("page.html", "page.html");
    b.keep("dom.html", "dom.html");

    let errors = page_errors(&out.stderr);
    let csp_hint = if errors.iter().any(|l| l.contains("Content Security Policy")) {
        "\n(after an edit of src/emit/html/html.js, put the hash Chromium names into SCRIPT_SHA256 in src/emit/html/mod.rs)"
    } else {
        ""
    };
    assert!(
        errors.is_empty(),
        "the page logged errors:\n{}{csp_hint}",
        errors.join("\n")
    );

    let dom = tags(&out.stdout);
    let body = dom
        .iter()
        .find(|t| t.name == "body")
        .expect("a body in the DOM");
    assert_eq!(
        body.attr("data-sgpair-ready"),
        Some("yes"),
        "the page's script did not run to its end: {body:?}"
    );
    // The script counted what the browser parsed as SVG.
    assert_eq!(
        body.attr("data-sgpair-groups"),
        Some(groups.len().to_string().as_str())
    );
    assert_eq!(
        body.attr("data-sgpair-rules"),
        Some(rules.to_string().as_str())
    );

    // The diagram in the DOM: one box per group, one arrow per rule.
    let svg_at = dom
        .iter()
        .position(|t| t.name == "svg" && t.attr("id") == Some("sgpair-diagram"))
        .expect("svg#sgpair-diagram in the DOM");
    let svg_end = dom[svg_at + 1..]
        .iter()
        .position(|t| t.name == "svg")
        .map_or(dom.len(), |i| svg_at + 1 + i);
    let svg = &dom[svg_at..svg_end];
    let boxes: BTreeSet<String> = svg
        .iter()
        .filter_map(|t| t.attr("data-sg").map(str::to_string))
        .collect();
    assert_eq!(boxes, groups);
    assert_eq!(
        svg.iter().filter(|t| t.attr("data-sg").is_some()).count(),
        groups.len()
    );
    let arrows: Vec<&Tag> = svg
        .iter()
        .filter(|t| t.attr("data-rule").is_some())
        .collect();
    assert_eq!(arrows.len(), rules);
    for (r, t) in a.proposal.rules.iter().zip(&arrows) {
        assert_eq!(t.attr("data-from"), Some(r.source_sg.as_str()));
        assert_eq!(t.attr("data-to"), Some(r.target_sg.as_str()));
    }
    assert!(svg.iter().any(|t| t.name == "path"), "arrows are paths");
    // External arrows: each connection once, however many groups of the
    // diagram its interface is in (the sample's web hosts are in two).
    let drawn = |k: ExternalKind| {
        matches!(
            k,
            ExternalKind::InternetEgress | ExternalKind::InternetIngress | ExternalKind::AwsService
        )
    };
    let external: Vec<_> = a
        .proposal
        .external
        .iter()
        .filter(|e| drawn(e.kind) && e.local_groups.iter().any(|g| groups.contains(g)))
        .collect();
    assert!(
        external.iter().any(|e| e
            .local_groups
            .iter()
            .filter(|g| groups.contains(*g))
            .count()
            > 1),
        "the sample has an interface in two groups of the diagram with external traffic"
    );
    let want: u64 = external.iter().map(|e| e.connections).sum();
    let got: u64 = svg
        .iter()
        .filter(|t| t.attr("data-external-edge").is_some())
        .map(|t| {
            t.attr("data-connections")
                .and_then(|n| n.parse::<u64>().ok())
                .expect("an external arrow says its connections")
        })
        .sum();
    assert_eq!(got, want, "external connections in the diagram");

    // The hostile names stayed text: our script is the only one, no element
    // or attribute came from a name, and the names are in the boxes as text.
    assert_eq!(dom.iter().filter(|t| t.name == "script").count(), 1);
    for t in &dom {
        for (n, _) in &t.attrs {
            assert!(
                !n.starts_with("on") && n != "data-pwned",
                "<{} {n}> came from a group name",
                t.name
            );
        }
    }
    assert!(
        out.stdout
            .contains("class=\"name\">&lt;script&gt;alert(1)&lt;/"),
        "the hostile name is text in its box (cut to fit)"
    );
    assert!(
        out.stdout
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; (sg-")
    );
    assert!(
        out.stdout
            .contains("\" onmouseover=\"alert(2)\" data-pwned=\"1 (sg-")
    );
}

/// The numbers of each section, by heading: `(title, numbers)` in document order.
fn figures(sections: Vec<(String, String)>) -> Vec<(String, Vec<u64>)> {
    sections
        .into_iter()
        .map(|(title, body)| {
            let numbers = body
                .split(|c: char| !c.is_ascii_digit())
                .filter(|w| !w.is_empty())
                .map(|w| w.parse::<u64>().expect("digits"))
                .collect();
            (title, numbers)
        })
        .collect()
}

/// The Markdown report cut at its headings; the title's section is the summary.
fn markdown_sections(md: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in md.lines() {
        if let Some(t) = line.strip_prefix("# ") {
            assert_eq!(t, "sgpair report");
            out.push(("Summary".into(), String::new()));
        } else if let Some(t) = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("### "))
        {
            out.push((t.to_string(), String::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    out
}

/// The text of Chromium's DOM cut at its `<h2>` and `<h3>` headings, between
/// `<main>` and `</main>`: tags replaced by a space, character references resolved.
fn dom_sections(dom: &str) -> Vec<(String, String)> {
    let main = &dom[dom.find("<main>").expect("main")..dom.find("</main>").expect("/main")];
    let text = |html: &str| -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => {
                    // A tag separates words (table cells, list items).
                    in_tag = true;
                    out.push(' ');
                }
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&nbsp;", " ")
            .replace("&amp;", "&")
    };
    let mut out = Vec::new();
    let mut rest = main;
    while let Some(i) = rest.find("<h2>").into_iter().chain(rest.find("<h3>")).min() {
        let level = &rest[i + 2..i + 3];
        let close = format!("</h{level}>");
        let end = rest[i..].find(&close).expect("heading closed") + i;
        let title = text(&rest[i + 4..end]);
        rest = &rest[end + close.len()..];
        let next = [rest.find("<h2>"), rest.find("<h3>")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(rest.len());
        out.push((title, text(&rest[..next])));
    }
    out
}

/// The HTML page, as Chromium parsed it, carries the Markdown report's
/// sections with the same figures: every heading of one is in the other
/// (the diagram is the page's own), in the same order, with the same
/// numbers in the same order.
#[test]
fn the_page_in_chromium_carries_the_markdown_figures_section_by_section() {
    let a = sample();
    let au = audit(&a);
    let page = html::render(&a, &au, Cmd::Infer);
    let md = report::markdown(&a, &au);
    let b = Browser::new();
    let out = b.run(&page, "profile", &["--dump-dom".to_string()]);
    let mut html = figures(dom_sections(&out.stdout));
    let diagram = html
        .iter()
        .position(|(t, _)| t == "Diagram of the proposed rules")
        .expect("the diagram's section");
    html.remove(diagram);
    let md = figures(markdown_sections(&md));
    let titles = |v: &[(String, Vec<u64>)]| v.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
    assert_eq!(titles(&html), titles(&md), "the same sections");
    assert!(md.len() >= 15, "{:?}", titles(&md));
    for ((title, h), (_, m)) in html.iter().zip(&md) {
        assert_eq!(h, m, "the figures of {title:?}");
    }
    // Sections a reader can fold: every one is a <details>, open.
    let dom = tags(&out.stdout);
    let details = dom.iter().filter(|t| t.name == "details").count();
    assert_eq!(details, md.len() + 1, "one per section, and the diagram's");
    assert!(
        dom.iter()
            .filter(|t| t.name == "details")
            .all(|t| t.attr("open").is_some())
    );
    // What the issue found missing is there.
    for needed in [
        "Traffic that cannot be a security-group rule",
        "Rejected traffic",
        "Existing rules against the evidence",
        "Gaps in the evidence",
        "Skipped records",
        "Evidence per source",
    ] {
        assert!(titles(&html).iter().any(|t| t == needed), "{needed}");
    }
    let skipped = &html.iter().find(|(t, _)| t == "Skipped records").unwrap();
    assert!(
        !skipped.1.is_empty(),
        "the skip counts and notes are in the page"
    );
}

/// With a Terraform folder (`--terraform`), the page as Chromium parsed it
/// carries the Markdown's Terraform section too, with the same figures, and
/// the folder's path (data: escaped once) reads as written.
#[test]
fn with_a_terraform_folder_the_page_in_chromium_carries_its_section_as_the_markdown_does() {
    const DIR: &str = "tf/<i>&'x";
    let a = sample();
    let au = audit(&a);
    let written = terraform::Written {
        dir: DIR.into(),
        folder: terraform::render(&a, terraform::DEFAULT_MODULE_NAME),
        kept: Vec::new(),
    };
    let folders = std::slice::from_ref(&written);
    let page = html::render_with(&a, &au, Cmd::Infer, folders);
    let md = report::markdown_with(&a, &au, folders);
    let out = Browser::new().run(&page, "profile", &["--dump-dom".to_string()]);
    let sections = dom_sections(&out.stdout);
    let folder = &sections
        .iter()
        .find(|(t, _)| t == "The Terraform folder")
        .expect("the Terraform section in the DOM")
        .1;
    assert!(folder.contains(&format!("{DIR} : written")), "{folder}");
    let mut html = figures(sections);
    html.retain(|(t, _)| t != "Diagram of the proposed rules");
    let md = figures(markdown_sections(&md));
    let titles = |v: &[(String, Vec<u64>)]| v.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
    assert_eq!(titles(&html), titles(&md), "the same sections");
    for needed in crate::support::terraform::SECTION_HEADINGS {
        assert!(titles(&html).iter().any(|t| t == needed), "{needed}");
    }
    for ((title, h), (_, m)) in html.iter().zip(&md) {
        assert_eq!(h, m, "the figures of {title:?}");
    }
}

/// PNG width and height from the IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR",
        "not a PNG"
    );
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

#[test]
fn a_screenshot_of_the_page_is_not_blank() {
    let a = sample();
    let page = html::render(&a, &audit(&a), Cmd::Infer);
    let b = Browser::new();
    let shot = b.path("page.png");
    b.run(
        &page,
        "profile",
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000".into(),
            "--hide-scrollbars".into(),
        ],
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    b.keep("page.png", "page.png");
    assert_eq!(png_size(&png), (1400, 1000));
    // A blank page compresses to a few kilobytes; text and a diagram do not.
    assert!(png.len() > 40_000, "screenshot of {} bytes", png.len());
}

#[test]
fn the_console_check_catches_a_script_error() {
    let b = Browser::new();
    let out = b.run(
        "<!DOCTYPE html><html><body><p>x</p><script>document.body.dataset.a = 'b'; missing();</script></body></html>",
        "profile",
        &["--dump-dom".to_string()],
    );
    assert!(out.stdout.contains("data-a=\"b\""), "{}", out.stdout);
    let errors = page_errors(&out.stderr);
    assert!(
        errors.iter().any(|l| l.contains("Uncaught ReferenceError")),
        "{}",
        out.stderr
    );
}
