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

use serde::{Serialize, Serializer};
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

/// The base a relative artifact URI is resolved against.
const SRCROOT: &str = "%SRCROOT%";

/// The SARIF log of `audit` ([`crate::audit::audit`] of `a`).
pub fn render(a: &Analysis, audit: &Audit, artifact: &Artifact) -> String {
    let uri = artifact_uri(&artifact.path);
    // A relative path is relative to the folder sgpair ran in: SARIF wants
    // such a URI to name its base, which a consumer (code scanning: the
    // repository's root) resolves. The base's own place is left out: it
    // would put this machine's folder in every log.
    let relative = !uri.starts_with("file://");
    let mut at = json!({ "uri": uri });
    if relative {
        at["uriBaseId"] = json!(SRCROOT);
    }
    let lines = artifact.text.map(id_lines).unwrap_or_default();
    let rules: Vec<Value> = CATALOGUE.iter().map(rule).collect();
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
    let log = Log {
        schema: SCHEMA,
        runs: [Run {
            artifacts: json!([{
                "location": at,
                "roles": ["analysisTarget"],
            }]),
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: relative.then(|| {
                let mut bases = serde_json::Map::new();
                bases.insert(
                    SRCROOT.to_string(),
                    json!({ "description": {
                        "text": "The folder sgpair ran in: the inventory's path is relative to it."
                    } }),
                );
                Value::Object(bases)
            }),
            properties: json!({
                "window": {
                    "since": rfc3339(a.window.since),
                    "until": rfc3339(a.window.until),
                },
                "beforeAfter": audit.before_after,
            }),
            results: Results {
                findings: &audit.findings,
                at: &at,
                lines: &lines,
                inv: &a.inventory,
            },
            tool: json!({ "driver": driver }),
        }],
        version: "2.1.0",
    };
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF is plain JSON values");
    out.push('\n');
    out
}

/// The log's outer objects, typed so that the results are written one at
/// a time as they are made, not held all at once as JSON values (tens of
/// thousands of findings on a large estate took hundreds of MB that way).
/// The fields are in the byte order of their names, the order JSON values
/// sort their keys in, so the text is the same as the values'.
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    artifacts: Value,
    column_kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<Value>,
    properties: Value,
    results: Results<'a>,
    tool: Value,
}

/// The results, each made as it is written.
struct Results<'a> {
    findings: &'a [Finding],
    /// The artifact's location, as each result names it.
    at: &'a Value,
    lines: &'a BTreeMap<&'a str, usize>,
    inv: &'a Inventory,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.findings
                .iter()
                .map(|f| result(f, self.at, self.lines, self.inv)),
        )
    }
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
fn result(f: &Finding, at: &Value, lines: &BTreeMap<&str, usize>, inv: &Inventory) -> Value {
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
    let mut artifact = at.clone();
    artifact["index"] = json!(0);
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": artifact,
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
mod tests;
