use std::net::IpAddr;

use serde_json::{Value, json};

use super::*;

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
    let delete = |eni: &str, time: &str| {
        json!({"eventName": "DeleteNetworkInterface", "eventTime": time,
               "requestParameters": {"networkInterfaceId": eni}})
    };
    let v = json!({"Records": [
        delete("eni-1", "9999-12-31T23:59:59Z"),
        delete("eni-2", "9999-12-31T23:59:60Z"),
        delete("eni-3", "1969-12-31T23:59:59Z"),
        delete("eni-3", "+10000-01-01T00:00:00Z"),
    ]});
    let h = History::from_value(&v).unwrap();
    assert_eq!(h.skipped, 2, "1969 and year 10000");
    // A leap second at the end of 9999 reads as its last second.
    for eni in ["eni-1", "eni-2"] {
        assert_eq!(h.deleted(eni), Some(crate::window::LAST_TIME), "{eni}");
    }
    assert!(h.events("eni-3").is_empty());
}

#[test]
fn a_file_of_another_shape_is_an_error_that_says_what_it_wants() {
    let err = History::from_value(&json!({"Items": []})).unwrap_err();
    assert!(format!("{err}").contains("lookup-events"), "{err}");
}

/// A configuration item of an interface in vpc-1 with these addresses and groups.
fn item(time: i64, addresses: &[&str], groups: &[&str]) -> config::Item {
    let configuration = json!({
        "networkInterfaceId": "eni-1", "vpcId": "vpc-1", "subnetId": "subnet-1",
        "privateIpAddress": addresses[0],
        "privateIpAddresses": addresses.iter().enumerate()
            .map(|(i, a)| json!({"privateIpAddress": a, "primary": i == 0}))
            .collect::<Vec<_>>(),
        "ipv6Addresses": [],
        "groups": groups.iter().map(|g| json!({"groupId": g, "groupName": g})).collect::<Vec<_>>(),
    });
    config::Item {
        time,
        status: "OK".into(),
        configuration: Some(configuration.to_string()),
    }
}

fn status(time: i64, status: &str) -> config::Item {
    config::Item {
        time,
        status: status.into(),
        configuration: None,
    }
}

fn groups(g: &[&str]) -> Option<Vec<String>> {
    Some(g.iter().map(|s| s.to_string()).collect())
}

#[test]
fn config_items_become_the_events_cloudtrail_would_give() {
    let items = [
        item(100, &["10.0.1.10"], &["sg-old"]),
        // Same state captured again (a tag changed): no event.
        item(150, &["10.0.1.10"], &["sg-old"]),
        item(200, &["10.0.1.10", "10.0.1.11"], &["sg-new", "sg-agents"]),
        item(300, &["10.0.1.11"], &["sg-new", "sg-agents"]),
        status(400, "ResourceDeleted"),
    ];
    let (events, unreadable) = config::events("eni-1", &items);
    assert_eq!(unreadable, 0);
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let changes: Vec<(i64, Change)> = events.into_iter().map(|e| (e.time, e.change)).collect();
    assert_eq!(
        changes,
        vec![
            (
                100,
                Change::Created {
                    vpc: Some("vpc-1".into()),
                    addresses: vec![ip("10.0.1.10")],
                    groups: vec!["sg-old".into()],
                }
            ),
            (
                200,
                Change::Groups {
                    groups: vec!["sg-agents".into(), "sg-new".into()]
                }
            ),
            (
                200,
                Change::Assigned {
                    addresses: vec![ip("10.0.1.11")]
                }
            ),
            (
                300,
                Change::Unassigned {
                    addresses: vec![ip("10.0.1.10")]
                }
            ),
            (400, Change::Deleted),
        ]
    );
    let mut h = History::default();
    h.extend(config::events("eni-1", &items).0);
    assert_eq!(h.groups_at("eni-1", 110, 190, None), groups(&["sg-old"]));
    assert_eq!(
        h.groups_at("eni-1", 210, 390, None),
        groups(&["sg-agents", "sg-new"])
    );
    assert_eq!(
        h.groups_at("eni-1", 110, 210, None),
        None,
        "spans the change"
    );
    assert_eq!(
        h.groups_at("eni-1", 50, 60, None),
        None,
        "before the first item"
    );
    assert_eq!(h.deleted("eni-1"), Some(400));
    assert_eq!(
        h.created("eni-1"),
        Some((Some("vpc-1"), &[ip("10.0.1.10")][..]))
    );
}

#[test]
fn an_unrecorded_or_unreadable_item_leaves_the_groups_unknown_until_the_next_state() {
    let items = [
        item(100, &["10.0.1.10"], &["sg-a"]),
        status(200, "ResourceNotRecorded"),
        item(300, &["10.0.1.10"], &["sg-b"]),
        config::Item {
            time: 400,
            status: "OK".into(),
            configuration: Some("{\"not\": \"an interface\"}".into()),
        },
        status(500, "SomethingNew"),
        item(600, &["10.0.1.10"], &["sg-c"]),
    ];
    let (events, unreadable) = config::events("eni-1", &items);
    assert_eq!(
        unreadable, 2,
        "the odd configuration and the unknown status"
    );
    let mut h = History::default();
    h.extend(events);
    assert_eq!(h.groups_at("eni-1", 110, 190, None), groups(&["sg-a"]));
    assert_eq!(h.groups_at("eni-1", 210, 290, None), None, "not recorded");
    assert_eq!(h.groups_at("eni-1", 310, 390, None), groups(&["sg-b"]));
    assert_eq!(h.groups_at("eni-1", 410, 590, None), None, "not readable");
    assert_eq!(h.groups_at("eni-1", 610, 700, None), groups(&["sg-c"]));
}

#[test]
fn the_window_starts_in_the_last_item_at_or_before_it() {
    let items = vec![
        item(300, &["10.0.1.10"], &["sg-c"]),
        item(100, &["10.0.1.10"], &["sg-a"]),
        item(200, &["10.0.1.10"], &["sg-b"]),
    ];
    let times = |v: Vec<config::Item>| v.iter().map(|i| i.time).collect::<Vec<_>>();
    assert_eq!(
        times(config::from_window_start(items.clone(), 250)),
        [200, 300]
    );
    assert_eq!(
        times(config::from_window_start(items.clone(), 200)),
        [200, 300]
    );
    assert_eq!(
        times(config::from_window_start(items.clone(), 50)),
        [100, 200, 300],
        "nothing before the window: all of it"
    );
    assert_eq!(times(config::from_window_start(items, 900)), [300]);
}

/// A recorder of every supported type, recording since before the window.
fn recorder(name: &str) -> config::Recorder {
    config::Recorder {
        name: name.into(),
        recording: Some(config::Recording {
            all_supported: true,
            ..Default::default()
        }),
        daily: false,
        on: true,
        last_start: Some(10),
        last_stop: None,
    }
}

#[test]
fn config_holds_the_history_only_where_a_recorder_records_interfaces_through_the_window() {
    let (since, until) = (1_000, 2_000);
    let check = |recorders: &[config::Recorder]| {
        config::check_recorders(recorders, since, until).map_err(|e| format!("{e:#}"))
    };
    assert!(check(&[recorder("default")]).is_ok());
    let err = check(&[]).unwrap_err();
    assert!(err.contains("no configuration recorder"), "{err}");
    assert!(err.contains("--history cloudtrail"), "{err}");

    let only = |types: &[&str]| config::Recording {
        included: types.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    };
    let mut buckets = recorder("default");
    buckets.recording = Some(only(&["AWS::S3::Bucket"]));
    let err = check(&[buckets.clone()]).unwrap_err();
    assert!(
        err.contains("(default) leaves out AWS::EC2::NetworkInterface"),
        "{err}"
    );
    buckets.recording = Some(only(&["AWS::S3::Bucket", config::RESOURCE_TYPE]));
    assert!(check(&[buckets.clone()]).is_ok());

    let mut excluding = recorder("default");
    excluding.recording = Some(config::Recording {
        strategy: Some("EXCLUSION_BY_RESOURCE_TYPES".into()),
        excluded: vec![config::RESOURCE_TYPE.into()],
        ..Default::default()
    });
    assert!(check(&[excluding.clone()]).is_err());
    excluding.recording.as_mut().unwrap().excluded = vec!["AWS::S3::Bucket".into()];
    assert!(check(&[excluding]).is_ok());
    let mut no_group = recorder("default");
    no_group.recording = None;
    assert!(
        check(&[no_group]).is_ok(),
        "Config's default records every type"
    );

    let mut daily = recorder("default");
    daily.daily = true;
    let err = check(&[daily.clone()]).unwrap_err();
    assert!(err.contains("once a day"), "{err}");
    assert!(
        check(&[daily, recorder("other")]).is_ok(),
        "another records continuously"
    );

    let mut never = recorder("default");
    (never.on, never.last_start) = (false, None);
    let err = check(&[never]).unwrap_err();
    assert!(err.contains("has never been started"), "{err}");

    let mut stopped = recorder("default");
    (stopped.on, stopped.last_stop) = (false, Some(1_500));
    let err = check(&[stopped.clone()]).unwrap_err();
    assert!(err.contains("has been stopped since"), "{err}");
    stopped.last_stop = Some(2_500);
    assert!(check(&[stopped]).is_ok(), "stopped after the window");

    let mut gap = recorder("default");
    (gap.last_stop, gap.last_start) = (Some(1_200), Some(1_300));
    let err = check(&[gap.clone()]).unwrap_err();
    assert!(err.contains("was stopped from"), "{err}");
    (gap.last_stop, gap.last_start) = (Some(500), Some(900));
    assert!(check(&[gap]).is_ok(), "the gap was before the window");
}

#[test]
fn an_event_whose_cloudtrail_event_is_not_json_is_malformed_with_its_place() {
    let v = serde_json::json!({"Events": [
        {"EventName": "CreateNetworkInterface", "CloudTrailEvent": "{not json"},
        {"EventName": "DeleteNetworkInterface"},
    ]});
    let h = History::from_value(&v).unwrap();
    assert_eq!(
        h.skipped, 0,
        "not counted as events that are not interface changes"
    );
    assert_eq!(h.malformed, 2);
    assert!(
        h.malformed_places[0].starts_with("Events[0]: its CloudTrailEvent is not JSON ("),
        "{:?}",
        h.malformed_places
    );
    assert_eq!(
        h.malformed_places[1],
        "Events[1]: it has no CloudTrailEvent"
    );
}
