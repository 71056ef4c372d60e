//! A proposal read back from its Terraform variables (`sgpair check
//! --tfvars`): the module's `rules`, a map (module 2) or a list (module 1),
//! as plain entries. Read with an HCL parser, as Terraform reads it, so a
//! file a team edited by hand reads the same. The rule resources of the
//! folder it lies in (`egress.tf`) are read by [`resources`].

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::inventory::protocol_number;
use crate::reduce::{ICMP, ICMPV6, TCP, UDP};

mod resources;
#[cfg(test)]
mod tests;

pub use resources::{Resources, folder_texts, from_texts, load_folder};

/// One entry of `rules`: the source group's egress to the target group and
/// the target's ingress from the source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The map key (module 2), or `#N` for the Nth entry of a list.
    pub key: String,
    pub source_sg: String,
    pub target_sg: String,
    /// `None`: every protocol (`-1`).
    pub proto: Option<u8>,
    /// As the module takes them: `to_port` defaults to `from_port`; for
    /// ICMP, type and code; -1/-1 for every port.
    pub from_port: i32,
    pub to_port: i32,
}

/// The entries of a tfvars file, in file order.
pub fn load(path: &Path) -> Result<Vec<Entry>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the proposal {}", path.display()))?;
    parse(&text).with_context(|| format!("the proposal {} cannot be used", path.display()))
}

pub fn parse(text: &str) -> Result<Vec<Entry>> {
    let body: hcl::Value = hcl::from_str(text).context("it is not valid HCL")?;
    let Some(rules) = body.as_object().and_then(|o| o.get("rules")) else {
        bail!("it sets no `rules`");
    };
    let items: Vec<(String, &hcl::Value)> = match rules {
        hcl::Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
        hcl::Value::Array(v) => v
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("#{}", i + 1), v))
            .collect(),
        _ => bail!("`rules` is neither a map (module 2) nor a list (module 1)"),
    };
    items
        .into_iter()
        .map(|(key, v)| entry(&key, v).with_context(|| format!("rule {key}")))
        .collect()
}

fn entry(key: &str, v: &hcl::Value) -> Result<Entry> {
    let Some(o) = v.as_object() else {
        bail!("not an object");
    };
    let text = |k: &str| -> Result<Option<String>> {
        match o.get(k) {
            None | Some(hcl::Value::Null) => Ok(None),
            Some(hcl::Value::String(s)) => Ok(Some(s.clone())),
            Some(hcl::Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => bail!("`{k}` is not a string"),
        }
    };
    let number = |k: &str| -> Result<Option<i32>> {
        match text(k)? {
            None => Ok(None),
            Some(s) => s
                .parse::<i32>()
                .map(Some)
                .map_err(|_| anyhow::anyhow!("`{k}` = {s:?} is not a port")),
        }
    };
    let group =
        |k: &str| -> Result<String> { text(k)?.with_context(|| format!("`{k}` is missing")) };
    let (source_sg, target_sg) = (group("source_sg_id")?, group("target_sg_id")?);
    // Module 1: `destination_port`, TCP only.
    let (proto_text, from) = match number("destination_port")? {
        Some(p) => ("tcp".to_string(), Some(p)),
        None => (
            text("protocol")?.unwrap_or_else(|| "tcp".into()),
            number("from_port")?,
        ),
    };
    let proto = protocol_number(&proto_text);
    if proto.is_none() && !matches!(proto_text.as_str(), "-1" | "all") {
        bail!("`protocol` = {proto_text:?} is not a protocol");
    }
    let from = match (proto, from) {
        (None, f) => f.unwrap_or(-1),
        (_, Some(f)) => f,
        (_, None) => bail!("`from_port` is missing"),
    };
    let to = match (proto, number("to_port")?) {
        (Some(ICMP | ICMPV6), to) => to.unwrap_or(-1),
        (_, Some(to)) => to,
        (_, None) => from,
    };
    let ports = (-1..=65_535).contains(&from) && (-1..=65_535).contains(&to) && from <= to;
    if (proto == Some(TCP) || proto == Some(UDP)) && !ports {
        bail!("ports {from}..{to} are not a range of ports");
    }
    Ok(Entry {
        key: key.to_string(),
        source_sg,
        target_sg,
        proto,
        from_port: from,
        to_port: to,
    })
}
