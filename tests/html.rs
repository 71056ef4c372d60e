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

use sgpair::audit::audit;
use sgpair::emit::html;
use sgpair::inventory::Inventory;
use sgpair::pipeline::{self, Analysis, ReadOptions};
use sgpair::window::Window;

/// 2026-11-18T00:00:00Z..2026-11-25T00:00:00Z: the sample's week.
const WINDOW: Window = Window {
    since: 1_794_960_000,
    until: 1_795_564_800,
};
const SCRIPT_NAME: &str = "<script>alert(1)</script>";
const ATTR_NAME: &str = "\" onmouseover=\"alert(2)\" data-pwned=\"1";
/// Longer than a start-up on a loaded 2-core machine could take.
const TIMEOUT: Duration = Duration::from_secs(120);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample environment, with two groups renamed to hostile names.
fn sample() -> Analysis {
    let dir = manifest_dir().join("sample-logs");
    let inventory = Inventory::load(&dir.join("inventory.json")).expect("sample inventory");
    let opts = ReadOptions {
        window: WINDOW,
        log_format: None,
        allow_partial: false,
    };
    let (agg, stats) =
        pipeline::read_files(&[dir.join("flow-logs")], &opts, true).expect("sample logs");
    let mut a = pipeline::analyze(WINDOW, stats, agg.finish(), inventory);
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
    let page = html::render(&a, &audit(&a));
    let b = Browser::new();
    let out = b.run(&page, "profile", &["--dump-dom".to_string()]);
    std::fs::write(b.path("dom.html"), &out.stdout).unwrap();
    b.keep("page.html", "page.html");
    b.keep("dom.html", "dom.html");

    let errors = page_errors(&out.stderr);
    let csp_hint = if errors.iter().any(|l| l.contains("Content Security Policy")) {
        "\n(after an edit of src/emit/html.js, put the hash Chromium names into SCRIPT_SHA256 in src/emit/html.rs)"
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
            .contains("<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>")
    );
    assert!(
        out.stdout
            .contains("<b>\" onmouseover=\"alert(2)\" data-pwned=\"1</b>")
    );
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
    let page = html::render(&a, &audit(&a));
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
