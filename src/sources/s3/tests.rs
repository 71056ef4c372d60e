use super::layout::*;
use super::*;
use crate::window::Window;

#[test]
fn urls() {
    assert_eq!(
        "s3://logs/vpc".parse::<S3Url>().unwrap(),
        S3Url {
            bucket: "logs".into(),
            prefix: "vpc/".into()
        }
    );
    assert_eq!("s3://logs".parse::<S3Url>().unwrap().prefix, "");
    assert!("logs/vpc".parse::<S3Url>().is_err());
    assert!("s3:///x".parse::<S3Url>().is_err());
}

#[test]
fn only_the_days_of_the_window_are_listed() {
    // 2026-11-23T12:00:00Z .. 2026-11-25T00:00:00Z
    let w = Window {
        since: 1_795_348_800 + 43_200,
        until: 1_795_564_800,
    };
    assert_eq!(
        day_prefixes("AWSLogs/1/vpcflowlogs/us-east-1/", false, &w),
        vec![
            "AWSLogs/1/vpcflowlogs/us-east-1/2026/11/23/",
            "AWSLogs/1/vpcflowlogs/us-east-1/2026/11/24/",
            "AWSLogs/1/vpcflowlogs/us-east-1/2026/11/25/",
        ]
    );
    assert_eq!(
        day_prefixes("p/", true, &w)[0],
        "p/year=2026/month=11/day=23/"
    );
    // Windows at and past the ends of time: clipped, never a panic or an endless loop.
    let all = day_prefixes("p/", false, &Window::ALL);
    assert_eq!(all.len(), 2_932_897);
    assert_eq!(all[0], "p/1970/01/01/");
    assert_eq!(all[all.len() - 1], "p/9999/12/31/");
    let before = Window {
        since: i64::MIN,
        until: -1,
    };
    assert!(day_prefixes("p/", true, &before).is_empty());
    let after = Window {
        since: i64::MAX - 1,
        until: i64::MAX,
    };
    assert!(day_prefixes("p/", true, &after).is_empty());
    assert_eq!(year_style("2026"), Some(false));
    assert_eq!(year_style("year=2026"), Some(true));
    assert_eq!(year_style("us-east-1"), None);
}

#[test]
fn places_in_both_layouts() {
    assert_eq!(place(""), Place::Other);
    assert_eq!(place("vpc/"), Place::Other);
    assert_eq!(place("vpc/AWSLogs/"), Place::AwsLogs);
    assert_eq!(
        place("vpc/AWSLogs/123456789012/"),
        Place::Account {
            account: "123456789012",
            hive: false
        }
    );
    assert_eq!(
        place("AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/"),
        Place::Service {
            account: "123456789012",
            hive: true
        }
    );
    assert_eq!(
        place("AWSLogs/123456789012/vpcflowlogs/eu-west-1/"),
        Place::Region {
            account: "123456789012",
            region: "eu-west-1",
            hive: false
        }
    );
    assert_eq!(
        place(
            "x/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-gov-west-1/"
        ),
        Place::Region {
            account: "123456789012",
            region: "us-gov-west-1",
            hive: true
        }
    );
    // Other services, other arrangements, mixed layouts, deeper folders: not AWS's flow-log layout.
    for other in [
        "AWSLogs/123456789012/CloudTrail/",
        "AWSLogs/o-abc123/",
        "AWSLogs/12345/",
        "AWSLogs/123456789012/aws-service=vpcflowlogs/",
        "AWSLogs/aws-account-id=123456789012/vpcflowlogs/",
        "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/us-east-1/",
        "AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/",
        "AWSLogs/123456789012/vpcflowlogs/us-east-1",
    ] {
        assert_eq!(place(other), Place::Other, "{other}");
    }
}

#[test]
fn flag_values() {
    assert_eq!(account_id("123456789012").unwrap(), "123456789012");
    for bad in [
        "12345678901",
        "1234567890123",
        "12345678901a",
        "",
        "../123456789",
    ] {
        assert!(account_id(bad).is_err(), "{bad}");
    }
    for good in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1"] {
        assert_eq!(region_name(good).unwrap(), good);
    }
    for bad in [
        "US-EAST-1",
        "us-east-1/",
        "us east 1",
        "",
        "1-us",
        "us-east",
    ] {
        assert!(region_name(bad).is_err(), "{bad}");
    }
    let scope = Scope {
        accounts: ["222222222222", "111111111111"].map(String::from).into(),
        regions: ["us-east-1".to_string()].into(),
        from_flags: true,
    };
    assert_eq!(
        scope.to_string(),
        "accounts 111111111111, 222222222222; regions us-east-1"
    );
    assert_eq!(Scope::default().to_string(), "every account and region");
}

/// The walk against a bucket held in memory: which listings it makes for a
/// scope, and which keys it finds.
#[cfg(feature = "aws")]
mod walks {
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};

    use super::super::list::{Listed, walk};
    use super::*;

    const A: &str = "111111111111";
    const B: &str = "222222222222";
    const C: &str = "333333333333";

    /// 2026-11-23T12:00:00Z .. 2026-11-25T00:00:00Z: the 23rd to the 25th.
    const WINDOW: Window = Window {
        since: 1_795_348_800 + 43_200,
        until: 1_795_564_800,
    };

    /// A central archive below `logs/`: A and B in the plain layout, C in
    /// the Hive one with hour folders, each in two regions, on a day of the
    /// window and a day before it; and a load balancer's logs beside them.
    fn archive() -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for region in ["us-east-1", "eu-west-1"] {
            for account in [A, B] {
                for day in ["2026/11/24", "2026/11/20"] {
                    let d = day.replace('/', "");
                    keys.insert(format!(
                        "logs/AWSLogs/{account}/vpcflowlogs/{region}/{day}/{account}_vpcflowlogs_{region}_fl-1_{d}T0000Z_a.log.gz"
                    ));
                }
            }
            for (day, hour) in [("day=24", "05"), ("day=20", "05")] {
                keys.insert(format!(
                    "logs/AWSLogs/aws-account-id={C}/aws-service=vpcflowlogs/aws-region={region}/year=2026/month=11/{day}/hour={hour}/{C}_vpcflowlogs_{region}_fl-2_x.log.parquet"
                ));
            }
            keys.insert(format!(
                "logs/AWSLogs/{A}/elasticloadbalancing/{region}/2026/11/24/{A}_elasticloadbalancing_{region}_lb.log.gz"
            ));
        }
        keys.insert("logs/AWSLogs/111111111111/vpcflowlogs/us-east-1/2026/11/24/notes.txt".into());
        keys
    }

    struct Run {
        listing: anyhow::Result<Listing>,
        calls: Vec<Job>,
    }

    /// ListObjectsV2 on the keys: sub-folders with the delimiter, else every key below.
    fn list(keys: &BTreeSet<String>, job: &Job) -> Vec<String> {
        match job {
            Job::Folders(p) => keys
                .iter()
                .filter_map(|k| k.strip_prefix(p.as_str()))
                .filter_map(|rest| rest.split_once('/'))
                .map(|(child, _)| format!("{p}{child}/"))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            Job::Objects(p) | Job::Export(p) => keys
                .iter()
                .filter(|k| k.starts_with(p.as_str()))
                .cloned()
                .collect(),
        }
    }

    fn run(prefix: &str, scope: &Scope, concurrency: usize) -> Run {
        let keys = Arc::new(archive());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let url: S3Url = format!("s3://archive/{prefix}").parse().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let seen = calls.clone();
        let listing = rt.block_on(walk(&url, &WINDOW, scope, concurrency, move |job| {
            seen.lock().unwrap().push(job.clone());
            let items = list(&keys, &job);
            async move {
                // Answers out of order, as S3's do.
                tokio::task::yield_now().await;
                Ok::<_, anyhow::Error>(Listed { items, requests: 1 })
            }
        }));
        let mut calls = calls.lock().unwrap().clone();
        calls.sort();
        Run { listing, calls }
    }

    fn scope(accounts: &[&str], regions: &[&str]) -> Scope {
        Scope {
            accounts: accounts.iter().map(|s| s.to_string()).collect(),
            regions: regions.iter().map(|s| s.to_string()).collect(),
            from_flags: true,
        }
    }

    fn folders(calls: &[Job]) -> Vec<&str> {
        calls
            .iter()
            .filter_map(|j| match j {
                Job::Folders(f) => Some(f.as_str()),
                Job::Objects(_) | Job::Export(_) => None,
            })
            .collect()
    }

    #[test]
    fn unscoped_every_account_and_region_of_the_window_and_nothing_else() {
        let r = run("logs", &Scope::default(), 8);
        let listing = r.listing.unwrap();
        let expected: Vec<String> = archive()
            .into_iter()
            .filter(|k| (k.contains("/2026/11/24/") || k.contains("/day=24/")) && is_flow_log(k))
            .filter(|k| k.contains("vpcflowlogs"))
            .collect();
        assert_eq!(expected.len(), 2 * 3);
        assert_eq!(listing.keys, expected);
        // Accounts' own folders are never listed: the flow logs' folder is known.
        assert_eq!(
            folders(&r.calls),
            vec![
                "logs/".to_string(),
                "logs/AWSLogs/".into(),
                format!("logs/AWSLogs/{A}/vpcflowlogs/"),
                format!("logs/AWSLogs/{B}/vpcflowlogs/"),
                format!("logs/AWSLogs/aws-account-id={C}/aws-service=vpcflowlogs/"),
            ]
        );
        // Three days in each of the six region folders.
        assert_eq!(listing.days, 3 * 6);
        assert_eq!(listing.requests as usize, r.calls.len());
    }

    #[test]
    fn a_scope_lists_only_its_accounts_and_regions() {
        let r = run("logs", &scope(&[A, C], &["eu-west-1"]), 8);
        let listing = r.listing.unwrap();
        assert_eq!(
            listing.keys,
            vec![
                format!(
                    "logs/AWSLogs/{A}/vpcflowlogs/eu-west-1/2026/11/24/{A}_vpcflowlogs_eu-west-1_fl-1_20261124T0000Z_a.log.gz"
                ),
                format!(
                    "logs/AWSLogs/aws-account-id={C}/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=24/hour=05/{C}_vpcflowlogs_eu-west-1_fl-2_x.log.parquet"
                ),
            ]
        );
        // AWSLogs/ is not listed: each account's folder of either layout is.
        assert_eq!(
            folders(&r.calls),
            vec![
                "logs/".to_string(),
                format!("logs/AWSLogs/{A}/vpcflowlogs/"),
                format!("logs/AWSLogs/{C}/vpcflowlogs/"),
                format!("logs/AWSLogs/aws-account-id={A}/aws-service=vpcflowlogs/"),
                format!("logs/AWSLogs/aws-account-id={C}/aws-service=vpcflowlogs/"),
            ]
        );
        // Only the window's days of the region asked for.
        assert_eq!(listing.days, 3 * 2);
        assert!(
            r.calls.iter().all(|j| {
                let (Job::Folders(p) | Job::Objects(p) | Job::Export(p)) = j;
                !p.contains(B) && !p.contains("us-east-1")
            }),
            "{:?}",
            r.calls
        );
    }

    #[test]
    fn the_same_keys_one_listing_at_a_time_or_many() {
        for s in [
            Scope::default(),
            scope(&[B], &[]),
            scope(&[], &["us-east-1"]),
            scope(&[A, B, C], &["us-east-1", "eu-west-1"]),
        ] {
            let one = run("", &s, 1);
            let many = run("", &s, 16);
            assert_eq!(one.listing.unwrap(), many.listing.unwrap(), "{s}");
            assert_eq!(one.calls, many.calls, "{s}");
        }
    }

    #[test]
    fn a_location_inside_the_layout_is_scoped_too() {
        // The URL names one account's region folder: its days, without a listing.
        let r = run(
            &format!("logs/AWSLogs/{B}/vpcflowlogs/us-east-1"),
            &Scope::default(),
            4,
        );
        assert_eq!(r.listing.unwrap().keys.len(), 1);
        assert!(folders(&r.calls).is_empty(), "{:?}", r.calls);
        // Another account's folder, with a scope that leaves it out: nothing, said so.
        let r = run(&format!("logs/AWSLogs/{B}"), &scope(&[A], &[]), 4);
        let err = r.listing.unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "no flow-log date folders of accounts {A} (--account, --log-region)"
            )),
            "{err}"
        );
        assert!(r.calls.is_empty(), "{:?}", r.calls);
    }

    #[test]
    fn folders_outside_the_layout_are_walked_as_before() {
        // A copy arranged by date only: found by its year folders.
        let keys: BTreeSet<String> = [
            "copy/vpc/2026/11/24/a.log.gz",
            "copy/vpc/2026/11/20/b.log.gz",
        ]
        .map(String::from)
        .into();
        let url: S3Url = "s3://archive/copy".parse().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let listed = |scope: &Scope| {
            let keys = keys.clone();
            rt.block_on(walk(&url, &WINDOW, scope, 2, move |job| {
                let items = list(&keys, &job);
                async move { Ok::<_, anyhow::Error>(Listed { items, requests: 1 }) }
            }))
            .unwrap()
        };
        let listing = listed(&Scope::default());
        assert_eq!(listing.keys, vec!["copy/vpc/2026/11/24/a.log.gz"]);
        assert!(listing.notes.is_empty(), "{:?}", listing.notes);
        // Flags cannot narrow such a copy: the same keys, and a note.
        let flagged = listed(&scope(&[A], &[]));
        assert_eq!(flagged.keys, listing.keys);
        assert_eq!(
            flagged.notes,
            [
                "s3://archive/copy/vpc/: date folders outside AWS's AWSLogs/ layout: --account and --log-region do not narrow them, so every object of the window's days is read"
            ]
        );
    }

    /// CloudWatch Logs export tasks below their prefix: each task's folder
    /// (named by its id) listed whole, its streams' objects all read (no
    /// date folders: the window keeps the records), the bucket's write-test
    /// object and a folder that only looks like a task left alone; a
    /// location at a task's folder lists that task.
    #[test]
    fn export_tasks_are_listed_whole() {
        const T1: &str = "0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b";
        const T2: &str = "5D0F9A7E-1B2C-4D3E-8F4A-6B5C4D3E2F1A";
        let keys: BTreeSet<String> = [
            "exportedlogs/aws-logs-write-test".to_string(),
            format!("exportedlogs/{T1}/eni-0a1-all/000000.gz"),
            format!("exportedlogs/{T1}/eni-0a1-all/000001.gz"),
            format!("exportedlogs/{T1}/eni-0b2-all/000000.gz"),
            format!("exportedlogs/{T2}/eni-0a1-all/000000.gz"),
            "exportedlogs/0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5/x/000000.gz".to_string(),
        ]
        .into();
        let listed = |prefix: &str| -> (Listing, Vec<Job>) {
            let keys = keys.clone();
            let calls = Arc::new(Mutex::new(Vec::new()));
            let seen = calls.clone();
            let url: S3Url = format!("s3://archive/{prefix}").parse().unwrap();
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let listing = rt
                .block_on(walk(&url, &WINDOW, &Scope::default(), 2, move |job| {
                    seen.lock().unwrap().push(job.clone());
                    let items = list(&keys, &job);
                    async move { Ok::<_, anyhow::Error>(Listed { items, requests: 1 }) }
                }))
                .unwrap();
            let mut calls = calls.lock().unwrap().clone();
            calls.sort();
            (listing, calls)
        };
        let (all, calls) = listed("exportedlogs");
        assert_eq!(
            all.keys,
            [
                format!("exportedlogs/{T1}/eni-0a1-all/000000.gz"),
                format!("exportedlogs/{T1}/eni-0a1-all/000001.gz"),
                format!("exportedlogs/{T1}/eni-0b2-all/000000.gz"),
                format!("exportedlogs/{T2}/eni-0a1-all/000000.gz"),
            ]
        );
        assert_eq!((all.exports, all.days), (2, 0));
        assert!(
            calls.contains(&Job::Export(format!("exportedlogs/{T1}/")))
                && calls.contains(&Job::Export(format!("exportedlogs/{T2}/"))),
            "{calls:?}"
        );
        let (one, calls) = listed(&format!("exportedlogs/{T2}"));
        assert_eq!(
            one.keys,
            [format!("exportedlogs/{T2}/eni-0a1-all/000000.gz")]
        );
        assert_eq!(calls, [Job::Export(format!("exportedlogs/{T2}/"))]);
    }
}

#[test]
fn export_task_ids_are_uuids() {
    assert!(is_export_task("0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b"));
    assert!(is_export_task("5D0F9A7E-1B2C-4D3E-8F4A-6B5C4D3E2F1A"));
    for not in [
        "",
        "exportedlogs",
        "0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5",
        "0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5bc",
        "0b7e1c2a3f4d-4e5f-8a9b-0c1d2e3f4a5b",
        "0b7e1c2g-3f4d-4e5f-8a9b-0c1d2e3f4a5b",
        "0b7e1c2a-3f4d-4e5f-8a9b-0c1d-2e3f4a5b",
    ] {
        assert!(!is_export_task(not), "{not}");
    }
}

#[test]
fn an_objects_account_is_read_from_its_key_in_both_layouts() {
    assert_eq!(
        key_account(
            "archive/AWSLogs/111111111111/vpcflowlogs/eu-west-1/2026/11/24/111111111111_vpcflowlogs_eu-west-1_fl-1_20261124T0000Z_abc.log.gz"
        ),
        Some("111111111111")
    );
    assert_eq!(
        key_account(
            "AWSLogs/aws-account-id=222222222222/aws-service=vpcflowlogs/aws-region=us-east-1/year=2026/month=11/day=24/x.parquet"
        ),
        Some("222222222222")
    );
    // Outside the layout: no account.
    assert_eq!(key_account("flows/2026/11/24/x.log"), None);
    assert_eq!(
        key_account("AWSLogs/111111111111/elasticloadbalancing/x"),
        None
    );
    assert_eq!(key_account("AWSLogs/not-an-account/vpcflowlogs/x"), None);
    assert_eq!(key_account("AWSLogs/111111111111/vpcflowlogs"), None);
}
