//! Reading sgpair's outputs back: a file, the tfvars as terraform reads
//! them, a section of the Markdown report.

use std::path::Path;

/// A file's text; a missing or unreadable file fails the test naming it.
pub fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One entry of the module 2 `rules` map.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TfRule {
    pub source: String,
    pub target: String,
    pub from_port: i64,
    pub to_port: Option<i64>,
    pub protocol: String,
    pub key: String,
    pub description: String,
}

/// A tfvars file parsed as HCL.
pub fn parse_hcl(text: &str) -> hcl::Value {
    hcl::from_str::<hcl::Value>(text)
        .unwrap_or_else(|e| panic!("the tfvars is not valid HCL: {e}\n{text}"))
}

/// The rules of a module 2 tfvars, sorted; only `rules` may be set, and
/// each rule only with the module's attributes (terraform would drop
/// others silently).
pub fn v2_rules(text: &str) -> Vec<TfRule> {
    let v = parse_hcl(text);
    let top = v.as_object().expect("a body of attributes");
    assert_eq!(
        top.keys().collect::<Vec<_>>(),
        vec!["rules"],
        "only `rules` is set"
    );
    let rules = top["rules"]
        .as_object()
        .unwrap_or_else(|| panic!("module 2 takes a map of rules:\n{text}"));
    let mut out: Vec<TfRule> = rules
        .iter()
        .map(|(key, r)| {
            let r = r.as_object().expect("each rule is an object");
            for attr in r.keys() {
                assert!(
                    [
                        "source_sg_id",
                        "target_sg_id",
                        "from_port",
                        "to_port",
                        "protocol",
                        "description",
                        "description_source",
                        "description_target"
                    ]
                    .contains(&attr.as_str()),
                    "rule {key}: `{attr}` is not an attribute of the module (Terraform would drop it silently)"
                );
            }
            let s = |k: &str| {
                r.get(k)
                    .and_then(hcl::Value::as_str)
                    .unwrap_or_else(|| panic!("rule {key}: `{k}` is missing or not a string"))
                    .to_string()
            };
            TfRule {
                source: s("source_sg_id"),
                target: s("target_sg_id"),
                from_port: r
                    .get("from_port")
                    .and_then(hcl::Value::as_i64)
                    .unwrap_or_else(|| panic!("rule {key}: from_port is not a number")),
                to_port: r.get("to_port").map(|v| {
                    v.as_i64()
                        .unwrap_or_else(|| panic!("rule {key}: to_port is not a number"))
                }),
                protocol: s("protocol"),
                key: key.clone(),
                description: r
                    .get("description")
                    .and_then(hcl::Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            }
        })
        .collect();
    out.sort();
    out
}

/// A `## ` section of the Markdown report, from its heading to the next.
pub fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md
        .find(&format!("## {heading}"))
        .unwrap_or_else(|| panic!("the report has no section {heading:?}:\n{md}"));
    let rest = &md[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}
