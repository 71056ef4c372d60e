//! The SARIF log of the shared fixture: its rules, results, levels,
//! fingerprints and locations.

use std::collections::BTreeSet;

use super::*;
use crate::emit::test_support::{HOSTILE, assert_same_text, fixture, in_another_order};

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
    assert_eq!(rules[12]["name"], "WindowNotFilled");
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
    // The same facts in another order: the same log, byte for byte.
    assert_same_text(
        &render(&in_another_order(&fixture()), "x.json"),
        &render(&fixture(), "x.json"),
    );
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

/// A relative URI names its base (`%SRCROOT%`, described, not placed: its
/// place would be this machine's folder), in the artifact and in every
/// result; an absolute one needs none.
#[test]
fn a_relative_artifact_uri_names_its_base() {
    let a = fixture();
    let v: Value = serde_json::from_str(&render(&a, "./envs/prod/inventory.json")).unwrap();
    let run = &v["runs"][0];
    let at = &run["artifacts"][0]["location"];
    assert_eq!(at["uri"], "envs/prod/inventory.json");
    assert_eq!(at["uriBaseId"], SRCROOT);
    let base = &run["originalUriBaseIds"][SRCROOT];
    assert!(base["description"]["text"].is_string(), "{base}");
    assert!(base.get("uri").is_none(), "{base}");
    assert!(!results(&v).is_empty());
    for r in results(&v) {
        let loc = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(loc["uriBaseId"], SRCROOT, "{loc}");
        assert_eq!(loc["uri"], "envs/prod/inventory.json");
        assert_eq!(loc["index"], 0);
    }

    let v: Value = serde_json::from_str(&render(&a, "/srv/inv.json")).unwrap();
    let run = &v["runs"][0];
    assert_eq!(
        run["artifacts"][0]["location"]["uri"],
        "file:///srv/inv.json"
    );
    assert!(run["artifacts"][0]["location"].get("uriBaseId").is_none());
    assert!(run.get("originalUriBaseIds").is_none());
    for r in results(&v) {
        let loc = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert!(loc.get("uriBaseId").is_none(), "{loc}");
    }
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
