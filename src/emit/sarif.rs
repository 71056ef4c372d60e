//! The audit's findings as SARIF 2.1.0, for GitHub code scanning and other
//! SARIF viewers.
//!
//! One run; the driver lists every kind of finding (`SGP001`..) as a rule,
//! whether or not it fired, and each finding is one result. A result points
//! at the inventory file (code scanning shows only results with a file
//! location), at the line that defines its first security group (or
//! interface) when that file is at hand, line 1 otherwise; the groups and
//! interfaces it is about are its logical locations. It carries the finding's fingerprint as
//! `partialFingerprints["sgpair/v1"]`, so an alert stays the same alert from
//! run to run. Pure function of the analysis and its audit: byte-identical for
//! identical input.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::analysis::Analysis;
use crate::audit::catalogue::{CATALOGUE, Entry};
use crate::audit::{Audit, Finding};
use crate::emit::severity;
use crate::inventory::Inventory;
use crate::synthesize::Severity;
use crate::window::rfc3339;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of the stable fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "sgpair/v1";

/// The file the results are reported against: the inventory snapshot
/// (`--inventory FILE`, with its text), or `inventory.json` without text when
/// the inventory came from EC2.
pub struct Artifact<'t> {
    pub path: String,
    pub text: Option<&'t str>,
}

/// The SARIF log of `audit` ([`crate::audit::audit`] of `a`).
pub fn render(a: &Analysis, audit: &Audit, artifact: &Artifact) -> String {
    let uri = artifact_uri(&artifact.path);
    let lines = artifact.text.map(id_lines).unwrap_or_default();
    let rules: Vec<Value> = CATALOGUE.iter().map(rule).collect();
    let results: Vec<Value> = audit
        .findings
        .iter()
        .map(|f| result(f, &uri, &lines, &a.inventory))
        .collect();
    let mut driver = json!({
        "name": "sgpair",
        "fullName": "sgpair: least-privilege, mutual security-group rules from VPC Flow Logs",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    if let Some(u) = information_uri() {
        driver["informationUri"] = json!(u);
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "artifacts": [{
                "location": { "uri": uri },
                "roles": ["analysisTarget"],
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "window": {
                    "since": rfc3339(a.window.since),
                    "until": rfc3339(a.window.until),
                },
                "beforeAfter": audit.before_after,
            },
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF is plain JSON values");
    out.push('\n');
    out
}

/// The project page from Cargo.toml (`homepage`, else `repository`), if set.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| !u.is_empty())
}

/// `error`, `warning`, `note`.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` (0-10): high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
    }
}

/// A driver rule: one entry of the finding catalogue.
fn rule(e: &Entry) -> Value {
    json!({
        "id": e.id,
        "name": e.name,
        "shortDescription": { "text": e.title },
        "fullDescription": { "text": e.description },
        "help": { "text": e.help },
        "defaultConfiguration": { "level": level(e.severity) },
        "properties": {
            "tags": ["security", "aws", "security-group"],
            "security-severity": security_severity(e.severity),
        },
    })
}

/// A result: one finding, pointing at its driver rule by index (the
/// catalogue's order is the kinds').
fn result(f: &Finding, uri: &str, lines: &BTreeMap<&str, usize>, inv: &Inventory) -> Value {
    let mut logical: Vec<Value> = f
        .groups
        .iter()
        .map(|g| logical_location(inv, g, "security-group"))
        .collect();
    logical.extend(
        f.enis
            .iter()
            .map(|e| logical_location(inv, e, "network-interface")),
    );
    // Code scanning needs a line: where the first group (or interface) the
    // finding is about is defined, else the top of the file.
    let line = f
        .groups
        .iter()
        .chain(&f.enis)
        .find_map(|id| lines.get(id.as_str()))
        .copied()
        .unwrap_or(1);
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri, "index": 0 },
            "region": { "startLine": line },
        },
    });
    if !logical.is_empty() {
        location["logicalLocations"] = Value::Array(logical);
    }
    json!({
        "ruleId": f.rule_id,
        "ruleIndex": f.kind as usize,
        "level": level(f.severity),
        "message": { "text": message(f) },
        "locations": [location],
        "partialFingerprints": { FINGERPRINT_KEY: f.fingerprint },
        "properties": {
            "severity": severity::label(f.severity),
            "subject": f.subject,
            "groups": f.groups,
            "enis": f.enis,
        },
    })
}

/// `subject: evidence. Fix: fix`
fn message(f: &Finding) -> String {
    format!(
        "{}: {}. Fix: {}",
        f.subject,
        f.evidence.trim_end_matches('.'),
        f.fix
    )
}

/// A security group or interface by id, with its ARN when the inventory
/// knows the account and region.
fn logical_location(inv: &Inventory, id: &str, resource: &str) -> Value {
    let mut v = json!({ "name": id, "kind": "resource" });
    if let (Some(account), Some(region)) = (&inv.account_id, &inv.region) {
        v["fullyQualifiedName"] = json!(format!("arn:aws:ec2:{region}:{account}:{resource}/{id}"));
    }
    v
}

/// The line (from 1) on which each object of an inventory file is defined:
/// the first line holding `"id": "<id>"`. Exact for the pretty-printed files
/// `sgpair inventory` writes; a file on one line puts everything on line 1.
fn id_lines(text: &str) -> BTreeMap<&str, usize> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("\"id\"") {
            rest = &rest[at + 4..];
            let Some(value) = rest
                .trim_start()
                .strip_prefix(':')
                .map(str::trim_start)
                .and_then(|v| v.strip_prefix('"'))
            else {
                continue;
            };
            if let Some(end) = value.find('"') {
                out.entry(&value[..end]).or_insert(i + 1);
            }
        }
    }
    out
}

/// A path as a SARIF URI: relative paths stay relative (forward slashes, no
/// leading `./`), absolute ones become `file://` URIs; everything but
/// unreserved characters and `/` is percent-encoded.
pub fn artifact_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.trim_start_matches("./");
    let encode = |s: &str| -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    let bytes = p.as_bytes();
    if p.starts_with('/') {
        format!("file://{}", encode(p))
    } else if bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes[2] == b'/'
    {
        // C:/dir/file
        format!("file:///{}:{}", &p[..1], encode(&p[2..]))
    } else {
        encode(p)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::emit::test_support::{HOSTILE, fixture};

    /// [`super::render`] with the audit of `a`, as `main` calls it.
    fn render(a: &Analysis, artifact: &str) -> String {
        let artifact = Artifact {
            path: artifact.into(),
            text: None,
        };
        super::render(a, &crate::audit::audit(a), &artifact)
    }

    fn parsed(a: &Analysis) -> Value {
        serde_json::from_str(&render(a, "inventory.json")).expect("SARIF is JSON")
    }

    fn results(v: &Value) -> &Vec<Value> {
        v["runs"][0]["results"].as_array().unwrap()
    }

    #[test]
    fn a_sarif_2_1_0_log_with_one_rule_per_kind_of_finding() {
        let v = parsed(&fixture());
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["$schema"], SCHEMA);
        assert_eq!(v["runs"].as_array().unwrap().len(), 1);
        let driver = &v["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "sgpair");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        if let Some(u) = information_uri() {
            assert_eq!(driver["informationUri"], u);
            assert!(u.starts_with("https://"), "{u}");
        }
        let rules = driver["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let want: Vec<&str> = CATALOGUE.iter().map(|e| e.id).collect();
        assert_eq!(ids, want);
        assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
        for r in rules {
            for field in ["shortDescription", "fullDescription", "help"] {
                let t = r[field]["text"].as_str().unwrap();
                assert!(t.len() > 10, "{} {field}: {t:?}", r["id"]);
            }
            let name = r["name"].as_str().unwrap();
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
            assert!(
                ["error", "warning", "note"]
                    .contains(&r["defaultConfiguration"]["level"].as_str().unwrap())
            );
            let sev: f64 = r["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((0.1..=10.0).contains(&sev));
        }
        assert_eq!(rules[0]["name"], "OpenEgress");
        assert_eq!(rules[0]["defaultConfiguration"]["level"], "error");
        assert_eq!(rules[11]["name"], "UndecidedInitiator");
    }

    #[test]
    fn every_result_names_a_driver_rule_the_file_and_the_resources() {
        let a = fixture();
        let v = parsed(&a);
        let audit = crate::audit::audit(&a);
        let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let rs = results(&v);
        assert_eq!(rs.len(), audit.findings.len());
        assert!(!rs.is_empty());
        for (r, f) in rs.iter().zip(&audit.findings) {
            let id = r["ruleId"].as_str().unwrap();
            assert_eq!(id, f.rule_id);
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], id, "ruleIndex points at the rule");
            let loc = &r["locations"][0];
            assert_eq!(
                loc["physicalLocation"]["artifactLocation"]["uri"],
                "inventory.json"
            );
            assert_eq!(loc["physicalLocation"]["region"]["startLine"], 1);
            let names: Vec<&str> = loc["logicalLocations"]
                .as_array()
                .map(|l| l.iter().map(|x| x["name"].as_str().unwrap()).collect())
                .unwrap_or_default();
            let want: Vec<&str> = f.groups.iter().chain(&f.enis).map(String::as_str).collect();
            assert_eq!(names, want, "{id}");
            if let Some(l) = loc["logicalLocations"].as_array() {
                assert!(l.iter().all(|x| x["kind"] == "resource"));
            }
            let text = r["message"]["text"].as_str().unwrap();
            assert!(text.starts_with(&f.subject), "{text}");
            assert!(text.contains(f.evidence.trim_end_matches('.')), "{text}");
            assert!(text.ends_with(&format!("Fix: {}", f.fix)), "{text}");
            assert_eq!(r["properties"]["groups"], json!(f.groups));
            assert_eq!(r["properties"]["enis"], json!(f.enis));
        }
        assert_eq!(
            v["runs"][0]["artifacts"][0]["location"]["uri"],
            "inventory.json"
        );
    }

    #[test]
    fn levels_follow_severity() {
        let v = parsed(&fixture());
        let mut seen = BTreeSet::new();
        for r in results(&v) {
            let want = match r["properties"]["severity"].as_str().unwrap() {
                "high" => "error",
                "medium" => "warning",
                "low" => "note",
                s => panic!("severity {s}"),
            };
            assert_eq!(r["level"], want, "{r}");
            seen.insert(want);
        }
        assert_eq!(seen.len(), 3, "the fixture has all three levels: {seen:?}");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
    }

    fn fingerprints(v: &Value) -> Vec<String> {
        results(v)
            .iter()
            .map(|r| {
                r["partialFingerprints"][FINGERPRINT_KEY]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn fingerprints_are_stable_across_runs_and_differ_between_findings() {
        let (a, b) = (parsed(&fixture()), parsed(&fixture()));
        let (fa, fb) = (fingerprints(&a), fingerprints(&b));
        assert_eq!(fa, fb);
        assert_eq!(fa.iter().collect::<BTreeSet<_>>().len(), fa.len(), "{fa:?}");
        assert!(fa.iter().all(|f| f.len() == 16));
        // A run over a longer window finds the same things: same fingerprints,
        // though counts in the messages may differ.
        let mut later = fixture();
        later.window.since -= 86_400;
        later.window.until += 86_400;
        assert_eq!(fingerprints(&parsed(&later)), fa);
        assert_eq!(render(&fixture(), "x.json"), render(&fixture(), "x.json"));
    }

    #[test]
    fn hostile_strings_are_json_strings() {
        let mut a = fixture();
        for g in &mut a.inventory.security_groups {
            g.name = HOSTILE.into();
        }
        a.proposal.suspicious[0].client_label = HOSTILE.into();
        let v = parsed(&a);
        let text: Vec<&str> = results(&v)
            .iter()
            .map(|r| r["message"]["text"].as_str().unwrap())
            .collect();
        assert!(text.iter().any(|t| t.contains(HOSTILE)), "{text:?}");
    }

    #[test]
    fn arns_when_the_inventory_knows_account_and_region() {
        let mut a = fixture();
        a.inventory.account_id = Some("123456789012".into());
        a.inventory.region = Some("us-east-1".into());
        let v = parsed(&a);
        let l = results(&v)
            .iter()
            .flat_map(|r| {
                r["locations"][0]["logicalLocations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .find(|l| l["name"] == "eni-web1")
            .expect("an interface");
        assert_eq!(
            l["fullyQualifiedName"],
            "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-web1"
        );
    }

    #[test]
    fn each_object_is_found_on_the_line_that_defines_it() {
        let text = r#"{
  "network_interfaces": [
    { "id": "eni-1", "security_groups": ["sg-b"] }
  ],
  "security_groups": [
    {
      "id":"sg-a",
      "ingress": [{ "referenced_group_id": "sg-b" }]
    },
    {
      "id" : "sg-b"
    }
  ]
}"#;
        let lines = id_lines(text);
        assert_eq!(lines.get("eni-1"), Some(&3));
        assert_eq!(lines.get("sg-a"), Some(&7));
        assert_eq!(
            lines.get("sg-b"),
            Some(&11),
            "a reference is not a definition"
        );
        assert_eq!(
            id_lines("{\"id\": \"sg-a\", \"x\": {\"id\": \"sg-b\"}}").get("sg-b"),
            Some(&1)
        );
    }

    #[test]
    fn results_point_at_the_line_of_their_first_group_in_the_inventory() {
        let a = fixture();
        let audit = crate::audit::audit(&a);
        let text = serde_json::to_string_pretty(&a.inventory).unwrap();
        let artifact = Artifact {
            path: "inventory.json".into(),
            text: Some(&text),
        };
        let v: Value = serde_json::from_str(&super::render(&a, &audit, &artifact)).unwrap();
        let file: Vec<&str> = text.lines().collect();
        let mut distinct = BTreeSet::new();
        for (r, f) in results(&v).iter().zip(&audit.findings) {
            let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap() as usize;
            match f.groups.iter().chain(&f.enis).next() {
                Some(id) => {
                    let at = file[line - 1];
                    assert!(
                        at.contains("\"id\"") && at.contains(&format!("\"{id}\"")),
                        "{id} at {line}: {at}"
                    );
                }
                None => assert_eq!(line, 1),
            }
            distinct.insert(line);
        }
        assert!(
            distinct.len() > 1,
            "findings about different groups point at different lines"
        );
    }

    #[test]
    fn artifact_paths_become_uris() {
        assert_eq!(artifact_uri("inventory.json"), "inventory.json");
        assert_eq!(
            artifact_uri("./sample-logs/inventory.json"),
            "sample-logs/inventory.json"
        );
        assert_eq!(
            artifact_uri("my env/inv #1.json"),
            "my%20env/inv%20%231.json"
        );
        assert_eq!(artifact_uri("/tmp/inv.json"), "file:///tmp/inv.json");
        assert_eq!(
            artifact_uri("C:\\work\\inv.json"),
            "file:///C:/work/inv.json"
        );
        assert_eq!(artifact_uri("é.json"), "%C3%A9.json");
    }

    #[test]
    fn sarif_snapshot() {
        let out = render(&fixture(), "sample-logs/inventory.json");
        // The tool version changes with every release; the rest must not drift.
        let v = env!("CARGO_PKG_VERSION");
        let out = out
            .replace(
                &format!("\"version\": \"{v}\""),
                "\"version\": \"[version]\"",
            )
            .replace(
                &format!("\"semanticVersion\": \"{v}\""),
                "\"semanticVersion\": \"[version]\"",
            );
        insta::assert_snapshot!(out);
    }
}
