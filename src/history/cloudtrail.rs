//! CloudTrail's interface events: what `aws cloudtrail lookup-events`
//! prints (`{"Events": [...]}`, each with its `CloudTrailEvent` JSON
//! string), a trail's file (`{"Records": [...]}`), or `LookupEvents` itself
//! (`--history cloudtrail`).

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{Change, History, InterfaceEvent, addrs, sorted};

/// The events that change who holds an address or which groups apply.
pub const EVENT_NAMES: &[&str] = &[
    "CreateNetworkInterface",
    "DeleteNetworkInterface",
    "ModifyNetworkInterfaceAttribute",
    "AssignPrivateIpAddresses",
    "UnassignPrivateIpAddresses",
];

impl History {
    /// Reads a `lookup-events` answer or a trail file; errors name the file.
    pub fn load(path: &Path) -> Result<History> {
        let v: Value = crate::inventory::read_json(path, "the history", "is not JSON")?;
        History::from_value(&v).with_context(|| format!("{}", path.display()))
    }

    /// From `{"Events": [...]}` (lookup-events) or `{"Records": [...]}` (a trail).
    pub fn from_value(v: &Value) -> Result<History> {
        let mut h = History::default();
        let mut records = Vec::new();
        if let Some(events) = v.get("Events").and_then(Value::as_array) {
            for (i, e) in events.iter().enumerate() {
                // The record itself is a JSON string inside the event.
                match e.get("CloudTrailEvent").map(|r| (r, r.as_str())) {
                    Some((_, Some(s))) => match serde_json::from_str::<Value>(s) {
                        Ok(r) => records.push(r),
                        Err(err) => h.note_malformed(format!(
                            "Events[{i}]: its CloudTrailEvent is not JSON ({err})"
                        )),
                    },
                    Some((_, None)) => h.note_malformed(format!(
                        "Events[{i}]: its CloudTrailEvent is not a string of JSON"
                    )),
                    None => h.note_malformed(format!("Events[{i}]: it has no CloudTrailEvent")),
                }
            }
        } else if let Some(list) = v.get("Records").and_then(Value::as_array) {
            records.extend(list.iter().cloned());
        } else {
            bail!(
                "neither \"Events\" (aws cloudtrail lookup-events) nor \"Records\" (a trail's file) is a list in it"
            );
        }
        h.add_records(&records);
        Ok(h)
    }

    /// Adds CloudTrail records: each interface event that succeeded, the
    /// others counted as skipped.
    pub fn add_records(&mut self, records: &[Value]) {
        let mut events = Vec::new();
        for r in records {
            match parse_record(r) {
                Some(e) => events.push(e),
                None => self.skipped += 1,
            }
        }
        self.extend(events);
    }
}

/// How far back CloudTrail's event history goes.
pub const LOOKUP_DAYS: i64 = 90;

/// The interface events of `since..until` from CloudTrail's event history
/// (`LookupEvents`, one event name at a time, every page; the SDK retries
/// its throttling, two calls a second per account and region).
#[cfg(feature = "aws")]
pub async fn lookup(config: &aws_config::SdkConfig, since: i64, until: i64) -> Result<History> {
    use aws_sdk_cloudtrail::primitives::DateTime;
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};

    let ct = aws_sdk_cloudtrail::Client::new(config);
    let mut h = History::default();
    let mut records_read = Vec::new();
    for name in EVENT_NAMES {
        let attribute = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::EventName)
            .attribute_value(*name)
            .build()
            .context("a lookup attribute")?;
        let records = crate::aws::paginate("LookupEvents", |token| {
            let (ct, attribute) = (ct.clone(), attribute.clone());
            async move {
                let out = ct
                    .lookup_events()
                    .lookup_attributes(attribute)
                    .start_time(DateTime::from_secs(since))
                    .end_time(DateTime::from_secs(until))
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| {
                        crate::aws::call_error(
                            "cloudtrail:LookupEvents",
                            "cloudtrail:LookupEvents",
                            e,
                        )
                    })?;
                let items: Vec<String> = out
                    .events()
                    .iter()
                    .filter_map(|e| e.cloud_trail_event().map(String::from))
                    .collect();
                Ok((items, out.next_token().map(String::from)))
            }
        })
        .await?;
        for (i, r) in records.iter().enumerate() {
            match serde_json::from_str::<Value>(r) {
                Ok(v) => records_read.push(v),
                Err(err) => h.note_malformed(format!(
                    "LookupEvents {name}, event {}: its CloudTrailEvent is not JSON ({err})",
                    i + 1
                )),
            }
        }
    }
    h.add_records(&records_read);
    Ok(h)
}

/// One record → an interface event; `None` for anything else (another
/// event, a failed call, a record without the interface id, a time that is
/// not one of 1970..=9999).
fn parse_record(r: &Value) -> Option<InterfaceEvent> {
    if r.get("errorCode").is_some_and(|c| !c.is_null()) {
        return None;
    }
    let name = r.get("eventName")?.as_str()?;
    let time = humantime::parse_rfc3339_weak(r.get("eventTime")?.as_str()?)
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    // Within the times a record can have (humantime already refuses the
    // others; checked here so that no later change of parser lets one in).
    let time = i64::try_from(time)
        .ok()
        .filter(|t| crate::window::in_range(*t))?;
    let req = r.get("requestParameters").unwrap_or(&Value::Null);
    let resp = r.get("responseElements").unwrap_or(&Value::Null);
    let (interface, change) = match name {
        "CreateNetworkInterface" => {
            let ni = resp.get("networkInterface")?;
            let id = ni.get("networkInterfaceId")?.as_str()?.to_string();
            let mut addresses = strings(ni, "privateIpAddress");
            addresses.extend(strings(ni, "ipv6Address"));
            let addresses = addrs(addresses);
            (
                id,
                Change::Created {
                    vpc: ni.get("vpcId").and_then(Value::as_str).map(String::from),
                    addresses,
                    groups: sorted(strings(ni, "groupId")),
                },
            )
        }
        "DeleteNetworkInterface" => (
            req.get("networkInterfaceId")?.as_str()?.to_string(),
            Change::Deleted,
        ),
        "ModifyNetworkInterfaceAttribute" => {
            let groups = req.get("groupSet")?;
            (
                req.get("networkInterfaceId")?.as_str()?.to_string(),
                Change::Groups {
                    groups: sorted(strings(groups, "groupId")),
                },
            )
        }
        "AssignPrivateIpAddresses" | "UnassignPrivateIpAddresses" => {
            let id = req.get("networkInterfaceId")?.as_str()?.to_string();
            let mut found = strings(req, "privateIpAddress");
            found.extend(strings(resp, "privateIpAddress"));
            let addresses = addrs(found);
            if name.starts_with("Assign") {
                (id, Change::Assigned { addresses })
            } else {
                (id, Change::Unassigned { addresses })
            }
        }
        _ => return None,
    };
    Some(InterfaceEvent {
        time,
        interface,
        change,
    })
}

/// Every string value under `key`, at any depth (CloudTrail nests sets as
/// `{"items": [...]}` or `{"item": [...]}`, and that varies by event).
fn strings(v: &Value, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match x {
                        Value::String(s) if k == key => out.push(s.clone()),
                        _ => stack.push(x),
                    }
                }
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    out
}
