//! The rules-per-group quota before anything is written: a hub group that
//! many client groups call is refused with exit code 5, naming the group,
//! by how many, and the remedies; a client calling a few scattered ports
//! is fitted by merging them into a range.

use crate::support::days::Days;
use crate::support::flows::Rec;
use crate::support::{Estate, T0, connection};

const DAY: i64 = 86_400;
const HUB: &str = "sg-00000000000000099";

/// The hub (10.0.9.9) and `clients` client groups, one interface each.
fn estate(clients: usize) -> Estate {
    let mut e = Estate::new();
    e.vpc("vpc-1", &["10.0.0.0/16"])
        .group(HUB, "metrics", "vpc-1")
        .eni("eni-hub", "vpc-1", &["10.0.9.9"], &[HUB]);
    for i in 0..clients {
        let g = format!("sg-{:017}", i + 1);
        e.group(&g, &format!("app{i}"), "vpc-1").eni(
            &format!("eni-app{i}"),
            "vpc-1",
            &[&format!("10.0.1.{}", i + 10)],
            &[&g],
        );
    }
    e
}

/// `client` calls the hub's `port` from an ephemeral port of its own for it.
fn call(client: usize, port: u16, at: i64) -> Vec<Rec> {
    connection(
        (
            Some(&format!("eni-app{client}")),
            &format!("10.0.1.{}", client + 10),
            40_000 + client as u16 + port,
        ),
        (Some("eni-hub"), "10.0.9.9", port),
        at,
        true,
    )
}

#[test]
fn a_hub_group_over_the_quota_is_refused_and_nothing_is_written() {
    let d = Days::new(&estate(7));
    let recs: Vec<Rec> = (0..7)
        .flat_map(|i| call(i, 9090, T0 + 60 * i as i64))
        .collect();
    let day = d.day("day.log", &recs);
    let over = d.infer(&[&day], T0, T0 + DAY, &["--rule-quota", "5"]);
    over.exits(5);
    assert!(!over.path("rules.auto.tfvars").exists() && !over.path("report.md").exists());
    insta::assert_snapshot!("quota_hub_over", over.stderr);

    // Under the default quota (60) the same proposal is written.
    let fits = d.infer(&[&day], T0, T0 + DAY, &[]);
    fits.ok();
    assert_eq!(fits.rules().len(), 7);
}

#[test]
fn scattered_ports_are_merged_into_a_range_to_fit() {
    let d = Days::new(&estate(1));
    let recs: Vec<Rec> = (0..8u16)
        .flat_map(|k| call(0, 9100 + 2 * k, T0 + 60))
        .collect();
    let day = d.day("day.log", &recs);
    let run = d.infer(&[&day], T0, T0 + DAY, &["--rule-quota", "1"]);
    run.ok();
    let rules = run.rules();
    assert_eq!(rules.len(), 1, "{}", run.tfvars());
    assert_eq!((rules[0].from_port, rules[0].to_port), (9100, Some(9114)));
    assert!(
        run.stderr.contains(
            "note: rules-per-group quota (1): sg-00000000000000001 to sg-00000000000000099 merged into 9100-9114/tcp (7 ports no connection used)"
        ),
        "{}",
        run.stderr
    );

    // Ports too far apart: a range would allow too much; refused instead.
    let d = Days::new(&estate(1));
    let day = d.day(
        "day.log",
        &[call(0, 9100, T0 + 60), call(0, 9200, T0 + 60)].concat(),
    );
    let far = d.infer(&[&day], T0, T0 + DAY, &["--rule-quota", "1"]);
    far.exits(5);
    assert!(far.stderr.contains("sg-00000000000000099 (metrics) inbound: 0 rules that stay + 2 proposed = 2, over the quota of 1 by 1"), "{}", far.stderr);
}
