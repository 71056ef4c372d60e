//! Interface history: what CloudTrail recorded of network interfaces being
//! created, deleted, regrouped and given or relieved of addresses. With it,
//! an interface that the logs show but the inventory no longer holds is
//! known as deleted (and, when its creation is in the history, with the
//! groups it had), and a connection gets the groups its interface had at the
//! connection's time, not today's.
//!
//! The input is what `aws cloudtrail lookup-events` prints (`{"Events":
//! [...]}`, each with its `CloudTrailEvent` JSON string), or a bare list of
//! CloudTrail records (`{"Records": [...]}`, as a trail delivers them).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;

/// The events that change who holds an address or which groups apply.
pub const EVENT_NAMES: &[&str] = &[
    "CreateNetworkInterface",
    "DeleteNetworkInterface",
    "ModifyNetworkInterfaceAttribute",
    "AssignPrivateIpAddresses",
    "UnassignPrivateIpAddresses",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Change {
    Created {
        vpc: Option<String>,
        addresses: Vec<IpAddr>,
        groups: Vec<String>,
    },
    Deleted,
    /// The interface's groups were replaced by these.
    Groups {
        groups: Vec<String>,
    },
    Assigned {
        addresses: Vec<IpAddr>,
    },
    Unassigned {
        addresses: Vec<IpAddr>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceEvent {
    /// Seconds since the epoch.
    pub time: i64,
    pub interface: String,
    pub change: Change,
}

/// The interface events of a period, per interface in time order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct History {
    by_interface: BTreeMap<String, Vec<InterfaceEvent>>,
    /// Events read that were not about interfaces, or not complete enough
    /// to use (counted, not silently dropped).
    pub skipped: u64,
}

impl History {
    /// No history: every interface keeps today's groups.
    pub const EMPTY: History = History {
        by_interface: BTreeMap::new(),
        skipped: 0,
    };

    /// Reads a `lookup-events` answer or a trail file; errors name the file.
    pub fn load(path: &Path) -> Result<History> {
        let v: Value = crate::inventory::read_json(path, "the history", "is not JSON")?;
        History::from_value(&v).with_context(|| format!("{}", path.display()))
    }

    /// From `{"Events": [...]}` (lookup-events) or `{"Records": [...]}` (a trail).
    pub fn from_value(v: &Value) -> Result<History> {
        let mut h = History::default();
        if let Some(events) = v.get("Events").and_then(Value::as_array) {
            for e in events {
                // The record itself is a JSON string inside the event.
                let record = e
                    .get("CloudTrailEvent")
                    .and_then(Value::as_str)
                    .and_then(|s| serde_json::from_str::<Value>(s).ok());
                match record {
                    Some(r) => h.add_record(&r),
                    None => h.skipped += 1,
                }
            }
        } else if let Some(records) = v.get("Records").and_then(Value::as_array) {
            for r in records {
                h.add_record(r);
            }
        } else {
            bail!(
                "neither \"Events\" (aws cloudtrail lookup-events) nor \"Records\" (a trail's file) is a list in it"
            );
        }
        for events in h.by_interface.values_mut() {
            events.sort_by_key(|e| e.time);
        }
        Ok(h)
    }

    /// Adds another file's events (the same event twice counts once).
    pub fn merge(&mut self, other: History) {
        for (id, events) in other.by_interface {
            let mine = self.by_interface.entry(id).or_default();
            for e in events {
                if !mine.contains(&e) {
                    mine.push(e);
                }
            }
            mine.sort_by_key(|e| e.time);
        }
        self.skipped += other.skipped;
    }

    /// Adds one CloudTrail record, if it is an interface event that succeeded.
    pub fn add_record(&mut self, r: &Value) {
        match parse_record(r) {
            Some(e) => self
                .by_interface
                .entry(e.interface.clone())
                .or_default()
                .push(e),
            None => self.skipped += 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_interface.is_empty()
    }

    pub fn events(&self, interface: &str) -> &[InterfaceEvent] {
        self.by_interface
            .get(interface)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// When the interface was deleted, if the history says so.
    pub fn deleted(&self, interface: &str) -> Option<i64> {
        self.events(interface)
            .iter()
            .rev()
            .find(|e| e.change == Change::Deleted)
            .map(|e| e.time)
    }

    /// The interface's VPC and addresses at creation, if the history holds it.
    pub fn created(&self, interface: &str) -> Option<(Option<&str>, &[IpAddr])> {
        self.events(interface).iter().find_map(|e| match &e.change {
            Change::Created { vpc, addresses, .. } => Some((vpc.as_deref(), addresses.as_slice())),
            _ => None,
        })
    }

    /// The groups the interface had over `first..=last`: `current` (today's,
    /// `None` for an interface the inventory lacks) after its last change,
    /// the change's groups between changes, its creation's before. `None`
    /// when the groups changed during the span, or nothing tells them then.
    pub fn groups_at(
        &self,
        interface: &str,
        first: i64,
        last: i64,
        current: Option<&[String]>,
    ) -> Option<Vec<String>> {
        let changes: Vec<(i64, Option<&[String]>)> = self
            .events(interface)
            .iter()
            .filter_map(|e| match &e.change {
                Change::Created { groups, .. } => Some((e.time, Some(groups.as_slice()))),
                Change::Groups { groups } => Some((e.time, Some(groups.as_slice()))),
                _ => None,
            })
            .collect();
        if changes.iter().any(|(t, _)| first < *t && *t <= last) {
            return None;
        }
        // The last change at or before the span decides; before any change,
        // only a creation event would have told.
        match changes.iter().rev().find(|(t, _)| *t <= first) {
            Some((_, groups)) => groups.map(<[String]>::to_vec),
            None if changes.is_empty() => current.map(<[String]>::to_vec),
            None => None,
        }
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
        for r in records {
            match serde_json::from_str::<Value>(&r) {
                Ok(v) => h.add_record(&v),
                Err(_) => h.skipped += 1,
            }
        }
    }
    for events in h.by_interface.values_mut() {
        events.sort_by_key(|e| e.time);
    }
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

fn addrs(v: Vec<String>) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = v.iter().filter_map(|s| s.parse().ok()).collect();
    out.sort();
    out.dedup();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(name: &str, time: &str, req: Value, resp: Value) -> Value {
        json!({
            "EventName": name,
            "CloudTrailEvent": json!({
                "eventName": name, "eventTime": time,
                "requestParameters": req, "responseElements": resp,
            }).to_string(),
        })
    }

    #[test]
    fn lookup_events_give_each_interface_its_groups_over_time() {
        let v = json!({"Events": [
            event("ModifyNetworkInterfaceAttribute", "2026-11-21T12:00:00Z",
                json!({"networkInterfaceId": "eni-1", "groupSet": {"items": [{"groupId": "sg-new"}]}}), Value::Null),
            event("CreateNetworkInterface", "2026-11-19T00:00:00Z",
                json!({"subnetId": "subnet-1"}),
                json!({"networkInterface": {"networkInterfaceId": "eni-1", "vpcId": "vpc-1",
                    "privateIpAddress": "10.0.1.10",
                    "privateIpAddressesSet": {"item": [{"privateIpAddress": "10.0.1.10"}]},
                    "groupSet": {"items": [{"groupId": "sg-old", "groupName": "old"}]}}})),
            event("DeleteNetworkInterface", "2026-11-23T00:00:00Z",
                json!({"networkInterfaceId": "eni-1"}), Value::Null),
            event("RunInstances", "2026-11-23T00:00:00Z", json!({}), Value::Null),
        ]});
        let h = History::from_value(&v).unwrap();
        assert_eq!(h.skipped, 1, "the unrelated event is counted");
        let day = |d: i64| 1_795_046_400 + (d - 19) * 86_400; // 2026-11-<d>
        assert_eq!(h.deleted("eni-1"), Some(day(23)));
        assert_eq!(
            h.created("eni-1"),
            Some((Some("vpc-1"), &["10.0.1.10".parse().unwrap()][..]))
        );
        let old = Some(vec!["sg-old".to_string()]);
        let new = Some(vec!["sg-new".to_string()]);
        assert_eq!(h.groups_at("eni-1", day(20), day(20) + 60, None), old);
        assert_eq!(h.groups_at("eni-1", day(22), day(22) + 60, None), new);
        assert_eq!(
            h.groups_at("eni-1", day(20), day(22), None),
            None,
            "spans the change: not known"
        );
        assert_eq!(
            h.groups_at("eni-2", 0, 10, Some(&["sg-x".to_string()])),
            Some(vec!["sg-x".to_string()]),
            "no history: today's groups"
        );
    }

    #[test]
    fn a_regrouped_interface_without_its_creation_is_unknown_before_the_change() {
        let v = json!({"Records": [
            {"eventName": "ModifyNetworkInterfaceAttribute", "eventTime": "2026-11-21T12:00:00Z",
             "requestParameters": {"networkInterfaceId": "eni-1", "groupSet": {"items": [{"groupId": "sg-new"}]}}},
            {"eventName": "ModifyNetworkInterfaceAttribute", "eventTime": "2026-11-21T13:00:00Z",
             "errorCode": "Client.UnauthorizedOperation",
             "requestParameters": {"networkInterfaceId": "eni-1", "groupSet": {"items": [{"groupId": "sg-evil"}]}}},
        ]});
        let h = History::from_value(&v).unwrap();
        assert_eq!(h.skipped, 1, "a failed call changed nothing");
        let current = ["sg-new".to_string()];
        assert_eq!(h.groups_at("eni-1", 0, 100, Some(&current)), None);
        assert_eq!(
            h.groups_at("eni-1", 1_795_400_000, 1_795_400_100, Some(&current)),
            Some(vec!["sg-new".to_string()])
        );
    }

    #[test]
    fn event_times_outside_1970_to_9999_are_not_used() {
        let delete = |time: &str| {
            json!({"eventName": "DeleteNetworkInterface", "eventTime": time,
                   "requestParameters": {"networkInterfaceId": "eni-1"}})
        };
        let v = json!({"Records": [
            delete("9999-12-31T23:59:59Z"),
            delete("9999-12-31T23:59:60Z"),
            delete("1969-12-31T23:59:59Z"),
            delete("+10000-01-01T00:00:00Z"),
        ]});
        let h = History::from_value(&v).unwrap();
        assert_eq!(h.skipped, 2, "1969 and year 10000");
        // A leap second at the end of 9999 reads as its last second.
        let times: Vec<i64> = h.events("eni-1").iter().map(|e| e.time).collect();
        assert_eq!(times, [crate::window::LAST_TIME; 2]);
    }

    #[test]
    fn a_file_of_another_shape_is_an_error_that_says_what_it_wants() {
        let err = History::from_value(&json!({"Items": []})).unwrap_err();
        assert!(format!("{err}").contains("lookup-events"), "{err}");
    }
}
