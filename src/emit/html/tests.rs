//! The page on the shared fixture and on hostile inventories: escaping,
//! the diagram's boxes and arrows, and what the page loads.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::diagram::{MAX_GROUPS, MAX_RULES, NAME_CHARS, NODE_H, NODE_W, layers, truncate};
use super::*;
use crate::emit::test_support::{HOSTILE, assert_same_text, fixture, in_another_order};
use crate::inventory::{Cidr, SgRule};
use crate::reduce::{ICMP, TCP};
use crate::synthesize::Rule;

const SCRIPT_NAME: &str = "<script>alert(1)</script>";
const ATTR_NAME: &str = "\" onmouseover=\"x";
const HOSTILE_ID: &str = "sg-\"><img src=x onerror=alert(2)>";

/// [`super::render`] with the audit of `a`, as `main` calls it.
fn render(a: &Analysis) -> String {
    super::render(a, &crate::audit::audit(a), Command::Infer)
}

/// One start tag: its name and attributes, as written.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

/// The start tags of a page this module wrote: every attribute value must
/// be double-quoted, and text holds no `<` (the contents of `<script>` and
/// `<style>` are skipped). Panics on anything else: a broken attribute.
fn tags(page: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('/') || rest.starts_with('!') {
            rest = &rest[rest.find('>').expect("closed") + 1..];
            continue;
        }
        let end_name = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .expect("tag name ends");
        let name = rest[..end_name].to_string();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
            "bad tag name {name:?} at {:?}",
            &rest[..rest.len().min(80)]
        );
        rest = &rest[end_name..];
        let mut attrs = Vec::new();
        loop {
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix("/>").or_else(|| rest.strip_prefix('>')) {
                rest = r;
                break;
            }
            let eq = rest.find('=').expect("attribute has a value");
            let an = rest[..eq].to_string();
            assert!(
                an.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'),
                "bad attribute name {an:?}"
            );
            rest = rest[eq + 1..]
                .strip_prefix('"')
                .unwrap_or_else(|| panic!("unquoted value of {an}"));
            let close = rest.find('"').expect("value closed");
            let value = &rest[..close];
            assert!(!value.contains(['<', '>']), "{an}={value:?}");
            attrs.push((an, value.to_string()));
            rest = &rest[close + 1..];
        }
        if name == "script" || name == "style" {
            rest = &rest[rest.find(&format!("</{name}>")).expect("raw text closed")..];
        }
        out.push(Tag { name, attrs });
    }
    out
}

fn attr<'t>(t: &'t Tag, name: &str) -> Option<&'t str> {
    t.attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The `<svg id="sgpair-diagram">` element and its contents.
fn svg(page: &str) -> &str {
    let start = page.find("<svg id=\"sgpair-diagram\"").expect("diagram");
    let end = page[start..].find("</svg>").expect("closed") + start;
    &page[start..end + 6]
}

fn keys(a: &Analysis) -> Vec<String> {
    names::rule_keys(&a.proposal.rules, &a.inventory)
}

fn rule(s: &str, t: &str, proto: u8, from: i32, to: i32) -> Rule {
    let mut r = fixture().proposal.rules[0].clone();
    r.source_sg = s.into();
    r.target_sg = t.into();
    r.proto = proto;
    r.from_port = from;
    r.to_port = to;
    r
}

/// Group names, a group id, an interface description and open egress
/// (whose finding names the group) from a hostile inventory.
fn hostile() -> Analysis {
    let mut a = fixture();
    let inv = &mut a.inventory;
    for g in &mut inv.security_groups {
        match g.id.as_str() {
            "sg-web" => g.name = SCRIPT_NAME.into(),
            "sg-db" => g.name = ATTR_NAME.into(),
            "sg-alb" => g.name = HOSTILE.into(),
            _ => {}
        }
        g.egress.push(SgRule {
            rule_id: None,
            protocol: "-1".into(),
            from_port: None,
            to_port: None,
            cidr: Some("0.0.0.0/0".parse::<Cidr>().unwrap()),
            referenced_group_id: None,
            prefix_list_id: None,
            description: SCRIPT_NAME.into(),
        });
    }
    // Rename sg-mon everywhere it appears.
    let rename = |s: &mut String| {
        if s == "sg-mon" {
            *s = HOSTILE_ID.into();
        }
    };
    for g in &mut inv.security_groups {
        rename(&mut g.id);
    }
    for e in &mut inv.network_interfaces {
        e.security_groups.iter_mut().for_each(rename);
    }
    for r in &mut a.proposal.rules {
        rename(&mut r.source_sg);
        rename(&mut r.target_sg);
    }
    a
}

#[test]
fn hostile_strings_stay_text_in_every_place() {
    let a = hostile();
    let page = render(&a);
    // Nothing raw: no second script, no injected element or handler.
    assert_eq!(page.matches("<script").count(), 1, "one script, ours");
    for raw in [
        SCRIPT_NAME,
        "<img",
        "onmouseover=\"",
        "</script> [x]",
        HOSTILE_ID,
    ] {
        assert!(!page.contains(raw), "{raw:?} is in the page raw");
    }
    // Every tag parses with quoted attributes, and no attribute is a handler.
    let all = tags(&page);
    for t in &all {
        for (n, _) in &t.attrs {
            assert!(!n.starts_with("on"), "{n} on <{}>", t.name);
        }
    }
    assert!(!all.iter().any(|t| t.name == "img"));
    // The names are there as text: in the boxes, the tooltips, the tables and the findings.
    let script_text = escape::html(SCRIPT_NAME);
    let attr_text = escape::html(ATTR_NAME);
    let d = svg(&page);
    let cut = escape::html(&truncate(SCRIPT_NAME, NAME_CHARS));
    assert!(d.contains(&format!("class=\"name\">{cut}</text>")), "{d}");
    assert!(d.contains(&format!(
        "<title>{script_text}, sg-web: 2 interfaces</title>"
    )));
    assert!(d.contains(&format!(">{attr_text}</text>")));
    let rules = &page[page.find("<section id=\"rules\">").unwrap()..];
    assert!(rules.contains(&format!("{script_text} (sg-web)")));
    assert!(rules.contains(&format!("{attr_text} (sg-db)")));
    let findings = &page[page.find("<section id=\"findings\">").unwrap()
        ..page.find("<section id=\"before-after\">").unwrap()];
    assert!(
        findings.contains(&format!("sg-web ({script_text}) egress to 0.0.0.0/0")),
        "open egress names the group"
    );
    // The hostile id is an attribute value (data-sg, data-from) and text, escaped.
    let id = escape::html(HOSTILE_ID);
    let node = all
        .iter()
        .find(|t| attr(t, "data-sg") == Some(id.as_str()))
        .expect("the renamed group has its box");
    assert_eq!(attr(node, "data-node"), Some(id.as_str()));
    assert!(
        all.iter()
            .any(|t| attr(t, "data-from") == Some(id.as_str()))
    );
    // The hostile name of the alb group made its way into a key only as a slug.
    for k in keys(&a) {
        assert!(
            k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{k}"
        );
    }
}

#[test]
fn one_box_per_group_in_the_rules_and_one_arrow_per_rule() {
    let mut a = fixture();
    // A second rule between web and db, one back from db to web, and one within web.
    a.proposal.rules.push(rule("sg-web", "sg-db", ICMP, -1, -1));
    a.proposal
        .rules
        .push(rule("sg-db", "sg-web", TCP, 9000, 9000));
    a.proposal
        .rules
        .push(rule("sg-web", "sg-web", TCP, 8443, 8443));
    let page = render(&a);
    let d = svg(&page);
    let all = tags(d);
    let boxes: Vec<&str> = all.iter().filter_map(|t| attr(t, "data-sg")).collect();
    assert_eq!(boxes, vec!["sg-alb", "sg-db", "sg-mon", "sg-web"]);
    let arrows: Vec<&Tag> = all
        .iter()
        .filter(|t| attr(t, "data-rule").is_some())
        .collect();
    assert_eq!(arrows.len(), a.proposal.rules.len());
    let keys = keys(&a);
    for ((r, k), t) in a.proposal.rules.iter().zip(&keys).zip(&arrows) {
        assert_eq!(attr(t, "data-rule"), Some(k.as_str()));
        assert_eq!(attr(t, "data-from"), Some(r.source_sg.as_str()), "{k}");
        assert_eq!(attr(t, "data-to"), Some(r.target_sg.as_str()), "{k}");
        // Labelled with the service.
        let g = &d[d.find(&format!("data-rule=\"{k}\"")).unwrap()..];
        let g = &g[..g.find("</g>").unwrap()];
        assert!(
            g.contains(&format!(
                ">{}</text>",
                escape::html(&crate::present::service::of_rule(r))
            )),
            "{g}"
        );
        // The loop is a cubic curve, the others quadratic.
        let path = g.split("<path d=\"").nth(1).unwrap();
        assert_eq!(
            path.starts_with("M") && path.contains(" C"),
            r.source_sg == r.target_sg,
            "{g}"
        );
    }
    // External destinations: present, grey, no data-sg and no data-rule.
    for ext in ["internet-in", "internet-out", "aws"] {
        let t = all
            .iter()
            .find(|t| attr(t, "data-node") == Some(ext))
            .unwrap_or_else(|| panic!("{ext} box"));
        assert_eq!(attr(t, "class"), Some("node ext"));
        assert!(attr(t, "data-sg").is_none());
    }
    let ext_edges = all
        .iter()
        .filter(|t| attr(t, "data-external-edge").is_some())
        .count();
    assert!(ext_edges >= 3, "{ext_edges}");
    // The rules table links rows to arrows by key.
    let rows: Vec<String> = tags(&page)
        .iter()
        .filter_map(|t| attr(t, "data-key").map(str::to_string))
        .collect();
    assert_eq!(rows, keys);
}

/// `a` with its rules replaced by `rules` rules between `groups` groups
/// (`sg-g0`, `sg-g1`, ...): a chain from each group to the next, then the
/// rest on further ports of the chain's first link.
fn with_rules(a: &mut Analysis, groups: usize, rules: usize) {
    assert!(groups >= 2 && rules >= groups - 1);
    let sg = |i: usize| format!("sg-g{i}");
    a.proposal.rules = (0..rules)
        .map(|n| {
            let (from, to, port) = if n < groups - 1 {
                (n, n + 1, 443)
            } else {
                (0, 1, 1000 + n as i32)
            };
            rule(&sg(from), &sg(to), TCP, port, port)
        })
        .collect();
}

/// The page draws up to the limits and, past either, says what it left
/// out and why, and still lists every rule in the rules table.
#[test]
fn a_proposal_past_the_diagram_s_limits_is_listed_not_drawn() {
    for (groups, rules, drawn) in [
        (MAX_GROUPS, MAX_RULES, true),
        (MAX_GROUPS + 1, MAX_GROUPS, false),
        (2, MAX_RULES + 1, false),
    ] {
        let mut a = fixture();
        with_rules(&mut a, groups, rules);
        let page = render(&a);
        let rows = tags(&page)
            .iter()
            .filter(|t| attr(t, "data-key").is_some())
            .count();
        assert_eq!(rows, rules, "{groups} groups, {rules} rules");
        if drawn {
            let boxes = tags(svg(&page))
                .iter()
                .filter(|t| attr(t, "data-sg").is_some())
                .count();
            assert_eq!(boxes, groups);
            assert!(!page.contains("Not drawn"));
        } else {
            assert!(!page.contains("<svg"), "{groups} groups, {rules} rules");
            let note = format!(
                "<p class=\"note\">Not drawn: the proposal joins {groups} security groups with {rules} rules, and a diagram is drawn up to {MAX_GROUPS} groups and {MAX_RULES} rules"
            );
            assert!(page.contains(&note), "{groups} groups, {rules} rules");
            assert!(page.contains("<h2>Diagram of the proposed rules</h2>"));
        }
    }
}

/// Box centres from the SVG, by `data-node`.
fn centres(d: &str) -> BTreeMap<String, (f64, f64)> {
    let mut out = BTreeMap::new();
    let all = tags(d);
    for (i, t) in all.iter().enumerate() {
        if let Some(k) = attr(t, "data-node").filter(|_| t.name == "g") {
            let r = all[i + 1..].iter().find(|t| t.name == "rect").unwrap();
            let num = |n: &str| attr(r, n).unwrap().parse::<f64>().unwrap();
            out.insert(
                k.to_string(),
                (
                    num("x") + num("width") / 2.0,
                    num("y") + num("height") / 2.0,
                ),
            );
        }
    }
    out
}

/// An interface in two groups of the diagram: its internet and AWS
/// traffic is drawn once, at the group with fewer members, and the
/// arrows add up to the connections of the report.
#[test]
fn each_external_connection_is_drawn_once() {
    let mut a = fixture();
    for e in &mut a.inventory.network_interfaces {
        if e.id == "eni-web1" {
            e.security_groups.push("sg-mon".into());
        }
    }
    for x in &mut a.proposal.external {
        if x.local == "eni-web1" {
            x.local_groups.push("sg-mon".into());
        }
    }
    let drawn: Vec<&crate::synthesize::External> = a
        .proposal
        .external
        .iter()
        .filter(|x| {
            matches!(
                x.kind,
                crate::synthesize::ExternalKind::InternetEgress
                    | crate::synthesize::ExternalKind::InternetIngress
                    | crate::synthesize::ExternalKind::AwsService
            )
        })
        .collect();
    assert!(
        drawn.iter().any(|x| x.local_groups.len() == 2),
        "the fixture has such traffic"
    );
    let want: u64 = drawn.iter().map(|x| x.connections).sum();
    let page = render(&a);
    let d = svg(&page);
    let edges: Vec<Tag> = tags(d)
        .into_iter()
        .filter(|t| attr(t, "data-external-edge").is_some())
        .collect();
    let got: u64 = edges
        .iter()
        .map(|t| attr(t, "data-connections").unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(got, want);
    // sg-mon has one member, sg-web now two: web-1's traffic is at sg-mon.
    assert!(
        edges.iter().any(|t| attr(t, "data-from") == Some("sg-mon")
            && attr(t, "data-to") == Some("internet-out")),
        "{d}"
    );
}

#[test]
fn clients_sit_left_of_servers_and_boxes_do_not_overlap() {
    let a = fixture();
    let c = centres(svg(&render(&a)));
    // alb → web → db; monitoring → db; internet inbound far left, outbound far right.
    assert!(c["internet-in"].0 < c["sg-alb"].0);
    assert!(c["sg-alb"].0 < c["sg-web"].0);
    assert!(c["sg-web"].0 < c["sg-db"].0);
    assert!(c["sg-mon"].0 < c["sg-db"].0);
    assert!(c["sg-db"].0 < c["internet-out"].0);
    let v: Vec<&(f64, f64)> = c.values().collect();
    for i in 0..v.len() {
        for j in i + 1..v.len() {
            let apart = (v[i].0 - v[j].0).abs() >= NODE_W || (v[i].1 - v[j].1).abs() >= NODE_H;
            assert!(apart, "{:?} and {:?} overlap", v[i], v[j]);
        }
    }
}

#[test]
fn layers_follow_the_rules_and_survive_cycles() {
    assert_eq!(layers(3, &[(0, 1), (1, 2)]), vec![0, 1, 2]);
    assert_eq!(layers(3, &[(0, 2), (1, 2), (0, 1)]), vec![0, 1, 2]);
    // A cycle is cut at one edge; a self-loop is ignored.
    let l = layers(3, &[(0, 1), (1, 2), (2, 0), (1, 1)]);
    assert_eq!(l, vec![0, 1, 2]);
    assert_eq!(layers(2, &[]), vec![0, 0]);
}

#[test]
fn the_same_facts_in_another_order_give_the_same_page() {
    let a = fixture();
    assert_same_text(&render(&in_another_order(&a)), &render(&a));
}

#[test]
fn the_page_loads_nothing_and_says_what_it_found() {
    let a = fixture();
    let page = render(&a);
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.ends_with("</html>\n"));
    // No fetch of any kind: the only URL is the SVG namespace.
    assert_eq!(page.matches("://").count(), 1);
    assert!(page.contains("<svg id=\"sgpair-diagram\" xmlns=\"http://www.w3.org/2000/svg\""));
    for t in tags(&page) {
        for (n, _) in &t.attrs {
            assert!(
                !["src", "href", "srcset", "action"].contains(&n.as_str()),
                "{n}"
            );
        }
    }
    assert!(page.contains("default-src 'none'"));
    // Summary, sections, and counts that match the audit.
    let audit = crate::audit::audit(&a);
    assert!(page.contains(
        "<dt>Window</dt><dd>2026-11-18T00:00:00Z..2026-11-25T00:00:00Z (7.0 days, end exclusive)</dd>"
    ));
    assert!(page.contains("<title>sgpair infer, 2026-11-18..2026-11-24</title>"));
    assert!(page.contains("<h1>sgpair infer</h1>"));
    assert!(page.contains("<dt>Rules proposed</dt><dd>3 mutual rules"));
    assert!(page.contains(&format!(
        "<span class=\"sev high\">{} high</span> <span class=\"sev medium\">{} medium</span> <span class=\"sev low\">{} low</span>",
        audit.count(Severity::High),
        audit.count(Severity::Medium),
        audit.count(Severity::Low)
    )));
    let sections: Vec<String> = tags(&page)
        .iter()
        .filter(|t| t.name == "section")
        .filter_map(|t| attr(t, "id").map(str::to_string))
        .collect();
    assert_eq!(
        sections,
        [
            "summary",
            "diagram",
            "findings",
            "before-after",
            "rules",
            "external",
            "external-internet-egress",
            "external-internet-ingress",
            "external-aws-service",
            "external-unknown-vpc-address",
            "external-private-network",
            "external-no-security-group",
            "suspicious",
            "undecided",
            "rejected",
            "evidence-per-source",
            "silent",
            "gaps",
            "blind-spots",
            "absent",
            "existing-rules",
            "skipped",
        ]
    );
    // Every section folds: one <details> each, open.
    let details = tags(&page).iter().filter(|t| t.name == "details").count();
    assert_eq!(details, sections.len());
    let finding_rows = tags(&page)
        .iter()
        .filter(|t| attr(t, "data-fingerprint").is_some())
        .count();
    assert_eq!(finding_rows, audit.findings.len());
    assert!(page.contains(&format!(
        "<td>Rules today (ingress and egress entries)</td><td class=\"num\">{}</td>",
        audit.before_after.rules_today
    )));
}

#[test]
fn an_empty_analysis_still_has_a_diagram() {
    let mut a = fixture();
    a.proposal = Default::default();
    let page = render(&a);
    let d = svg(&page);
    assert!(!d.contains("data-sg="));
    assert!(d.contains("No rules proposed."));
    assert!(page.contains("<h2>Proposed rules</h2></summary>\n<p>No rules proposed.</p>"));
}

#[test]
fn long_names_are_cut_in_the_box_and_whole_in_the_tooltip() {
    let mut a = fixture();
    let long = "a-very-long-security-group-name-for-the-web-tier";
    a.inventory
        .security_groups
        .iter_mut()
        .find(|g| g.id == "sg-web")
        .unwrap()
        .name = long.into();
    let d = render(&a);
    let d = svg(&d);
    assert!(d.contains(&format!("<title>{long}, sg-web: 2 interfaces</title>")));
    assert!(d.contains(">a-very-long-security-…</text>"), "{d}");
}

/// The CSP's script hash is the SHA-256 of the script the page holds,
/// recomputed from the page: an edit of `html.js` without a new
/// [`SCRIPT_SHA256`] fails here, naming the hash to put there.
#[test]
fn the_csp_allows_exactly_the_script_the_page_holds() {
    let page = render(&fixture());
    assert_eq!(page.matches("<script").count(), 1, "one script");
    let start = page.find("<script>").expect("a script") + "<script>".len();
    let end = start + page[start..].find("</script>").expect("closed");
    let hash = base64(&Sha256::digest(&page.as_bytes()[start..end]));
    let csp = page
        .lines()
        .find(|l| l.contains("http-equiv=\"Content-Security-Policy\""))
        .expect("a CSP");
    let allowed: Vec<&str> = csp
        .split('\'')
        .filter(|t| t.starts_with("sha256-"))
        .collect();
    assert_eq!(
        allowed,
        [format!("sha256-{hash}")],
        "the CSP must allow the page's script: SCRIPT_SHA256 = {hash:?}"
    );
}

/// Base64 with padding (RFC 4648, section 4), as CSP hashes are written.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_is_rfc_4648() {
    for (plain, coded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), coded);
    }
}

/// With `--terraform`: the Markdown's Terraform section, in the same place
/// (after the rules, before the traffic no rule can express), with every
/// string from AWS and the folder's path escaped once. On the hostile
/// inventory, with web's ingress from alb existing under a hostile id and
/// web's owner and manager named by hostile tags.
#[test]
fn the_terraform_section_is_the_markdowns_with_data_escaped_once() {
    const RULE_ID: &str = "sgr-<b>&\"1";
    const DIR: &str = "tf/<i>&'x";
    let mut a = hostile();
    let web = crate::emit::test_support::existing_alb_to_web(&mut a, RULE_ID);
    web.tags.insert("ManagedBy".into(), "Terraform".into());
    web.tags.insert("repository".into(), SCRIPT_NAME.into());
    let au = crate::audit::audit(&a);
    let written = Written {
        dir: DIR.into(),
        folder: crate::emit::terraform::render(&a, "m"),
        kept: vec!["main.tf"],
    };
    let folders = std::slice::from_ref(&written);
    let page = render_with(&a, &au, Command::Infer, folders);

    // In place, and only with a folder.
    let at = |id: &str| page.find(&format!("<section id=\"{id}\">"));
    let (rules, start, external) = (
        at("rules").unwrap(),
        at("terraform").expect("the Terraform section"),
        at("external").unwrap(),
    );
    assert!(rules < start && start < external);
    assert!(!render(&a).contains("<section id=\"terraform"));
    let section = &page[start..external];

    // The Markdown's headings, in its order.
    let md = crate::emit::report::markdown_with(&a, &au, folders);
    let md_titles: Vec<String> = md[md.find("## The Terraform folder").unwrap()..]
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .take_while(|t| *t != "Traffic that cannot be a security-group rule")
        .map(escape::html)
        .collect();
    let html_titles: Vec<&str> = section
        .split("<summary><h")
        .skip(1)
        .map(|s| &s[2..2 + s[2..].find("</h").unwrap()])
        .collect();
    assert_eq!(html_titles, md_titles);
    assert_eq!(md_titles.len(), 6, "{md_titles:?}");

    // Data escaped once: the path and the id in code spans, the owner and
    // the group names as text; nothing raw, nothing twice.
    for (raw, shown) in [
        (DIR, format!("<code>{}</code>: written", escape::html(DIR))),
        (RULE_ID, format!("<code>{}</code>", escape::html(RULE_ID))),
        (
            SCRIPT_NAME,
            format!("repository {}", escape::html(SCRIPT_NAME)),
        ),
    ] {
        assert!(section.contains(&shown), "{shown} in\n{section}");
        assert!(!section.contains(raw), "{raw:?} raw in\n{section}");
    }
    assert!(
        section.contains(&format!(
            "{} (sg-web): its tags say Terraform manages it (repository {})",
            escape::html(SCRIPT_NAME),
            escape::html(SCRIPT_NAME)
        )),
        "{section}"
    );
    assert!(!section.contains("&amp;amp;") && !section.contains("&amp;lt;"));
    assert!(!section.contains("<img") && !section.contains(HOSTILE_ID));
    // Every tag of the page still parses with quoted attributes.
    assert!(tags(&page).iter().all(|t| t.name != "img" && t.name != "i"));
}
