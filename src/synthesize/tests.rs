use super::*;
use crate::inventory::{Inventory, NetworkInterface, SecurityGroup};

fn eni(id: &str, addr: &str, groups: &[&str]) -> NetworkInterface {
    NetworkInterface {
        vpc_id: Some("vpc-1".into()),
        ..NetworkInterface::new(id, vec![addr.parse().unwrap()], groups)
    }
}

fn sg(id: &str) -> SecurityGroup {
    SecurityGroup {
        vpc_id: Some("vpc-1".into()),
        ..SecurityGroup::new(id, id.trim_start_matches("sg-"))
    }
}

fn conn(client: &str, server: &str, port: u16, proto: u8) -> Connection {
    Connection {
        client: client.parse().unwrap(),
        server: server.parse().unwrap(),
        port,
        proto,
        connections: 3,
        records: 6,
        bytes: 1000,
        packets: 10,
        first: 100,
        last: 200,
        method: Method::TcpFlags,
        logged_at: vec![],
        client_end: Endpoint::Unresolved,
        server_end: Endpoint::Unresolved,
        via: None,
        balancer: None,
        relay: None,
        vpc: None,
        account: None,
    }
}

/// alb → web:80 on two web hosts; every host is in the shared monitoring group.
fn env() -> Inventory {
    Inventory {
        format_version: 1,
        network_interfaces: vec![
            eni("eni-alb", "10.0.0.5", &["sg-alb"]),
            eni("eni-web1", "10.0.1.10", &["sg-web", "sg-mon-agents"]),
            eni("eni-web2", "10.0.1.11", &["sg-web", "sg-mon-agents"]),
            eni("eni-db", "10.0.2.20", &["sg-db", "sg-mon-agents"]),
            eni("eni-mon", "10.0.3.30", &["sg-mon"]),
        ],
        security_groups: ["sg-alb", "sg-web", "sg-db", "sg-mon", "sg-mon-agents"]
            .iter()
            .map(|s| sg(s))
            .collect(),
        vpcs: vec![crate::inventory::Vpc {
            id: "vpc-1".into(),
            owner_id: None,
            cidrs: vec!["10.0.0.0/16".parse().unwrap()],
        }],
        ..Default::default()
    }
}

fn run(conns: Vec<Connection>) -> Proposal {
    let inv = env();
    let mut ev = Evidence {
        connections: conns,
        ..Default::default()
    };
    crate::resolve::attribute(&mut ev, &inv);
    let r = Resolver::new(&inv, &ev);
    synthesize(&ev, &r)
}

fn rules(p: &Proposal) -> Vec<(String, String, u8, i32, i32)> {
    p.rules
        .iter()
        .map(|r| {
            (
                r.source_sg.clone(),
                r.target_sg.clone(),
                r.proto,
                r.from_port,
                r.to_port,
            )
        })
        .collect()
}

#[test]
fn multi_group_interfaces_get_the_narrowest_target() {
    let p = run(vec![
        conn("10.0.0.5", "10.0.1.10", 80, TCP),
        conn("10.0.0.5", "10.0.1.11", 80, TCP),
    ]);
    assert_eq!(
        rules(&p),
        vec![("sg-alb".into(), "sg-web".into(), TCP, 80, 80)]
    );
    let e = &p.rules[0].evidence;
    assert_eq!(e.connections, 6);
    assert_eq!(e.server_enis, vec!["eni-web1", "eni-web2"]);
    assert_eq!((e.allowed_pairs, e.observed_pairs), (2, 2));
    assert!(p.optimal);
}

#[test]
fn a_scrape_of_every_member_uses_the_role_groups_not_the_shared_one() {
    // The agents group allows exactly the scraped hosts too, in one rule;
    // but it is shared across roles (web and db members), so every future
    // member would be reachable: among equals the role groups win.
    let p = run(vec![
        conn("10.0.3.30", "10.0.1.10", 9100, TCP),
        conn("10.0.3.30", "10.0.1.11", 9100, TCP),
        conn("10.0.3.30", "10.0.2.20", 9100, TCP),
    ]);
    assert_eq!(
        rules(&p),
        vec![
            ("sg-mon".into(), "sg-db".into(), TCP, 9100, 9100),
            ("sg-mon".into(), "sg-web".into(), TCP, 9100, 9100)
        ]
    );
    let alt = &p.alternatives[0];
    assert_eq!(
        alt.others[0],
        (
            vec![("sg-mon".to_string(), "sg-mon-agents".to_string())],
            TieBreak::NotShared
        )
    );
}

#[test]
fn contiguous_ports_merge_and_gaps_do_not() {
    let p = run(vec![
        conn("10.0.1.10", "10.0.2.20", 8080, TCP),
        conn("10.0.1.10", "10.0.2.20", 8081, TCP),
        conn("10.0.1.10", "10.0.2.20", 8082, TCP),
        conn("10.0.1.10", "10.0.2.20", 8090, TCP),
    ]);
    assert_eq!(
        rules(&p),
        vec![
            ("sg-web".into(), "sg-db".into(), TCP, 8080, 8082),
            ("sg-web".into(), "sg-db".into(), TCP, 8090, 8090)
        ]
    );
    assert_eq!(p.rules[0].evidence.connections, 9);
}

#[test]
fn external_and_suspicious_traffic_never_become_rules() {
    let p = run(vec![
        conn("10.0.1.10", "93.184.216.34", 443, TCP),
        conn("198.51.100.7", "10.0.0.5", 443, TCP),
        conn("10.0.1.10", "10.0.9.9", 5432, TCP),
        conn("10.0.1.10", "203.0.113.9", 6667, TCP),
        conn("10.0.1.10", "10.0.2.20", 6667, TCP),
        conn("10.0.1.10", "8.8.8.8", 53, UDP),
        conn("198.51.100.7", "10.0.1.10", 22, TCP),
    ]);
    assert!(p.rules.is_empty(), "{:?}", rules(&p));
    let kinds: Vec<ExternalKind> = p.external.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ExternalKind::InternetEgress,
            ExternalKind::InternetIngress,
            ExternalKind::UnknownVpcAddress
        ]
    );
    assert_eq!(p.suspicious.len(), 4);
    assert!(p.suspicious.iter().any(|s| s.reason.contains("DNS")));
    assert!(p.suspicious.iter().any(|s| s.reason.contains("SSH")));
}

/// SMB from the internet is flagged as the remote shells are, never ruled;
/// SMB between two of the VPC's interfaces is ordinary traffic.
#[test]
fn smb_from_the_internet_is_suspicious_and_inside_the_vpc_is_not() {
    let p = run(vec![
        conn("198.51.100.7", "10.0.1.10", 445, TCP),
        conn("10.0.1.10", "10.0.2.20", 445, TCP),
    ]);
    assert_eq!(p.suspicious.len(), 1, "{:?}", p.suspicious);
    assert_eq!(
        p.suspicious[0].reason,
        "SMB (port 445) accepted from the internet"
    );
    assert_eq!(
        rules(&p).iter().map(|r| (r.2, r.3)).collect::<Vec<_>>(),
        [(TCP, 445)]
    );
}

/// The finding catalogue's SGP007 text (SARIF's rule description) names
/// exactly the ports the checks above flag: every table's ports and DNS's
/// 53, and no other number, so that a port added to a table without the
/// text (as 445 once was) fails here.
#[test]
fn the_catalogue_names_exactly_the_suspicious_ports() {
    let text = crate::audit::FindingKind::Suspicious.entry().description;
    let spans = SUSPICIOUS_ANYWHERE
        .iter()
        .chain(SUSPICIOUS_TO_INTERNET)
        .map(|(lo, hi, _, _)| (*lo, *hi))
        .chain(ADMIN_PORTS.iter().map(|(p, _)| (*p, *p)))
        .chain([(53, 53)]);
    let mut want = BTreeSet::new();
    for (lo, hi) in spans {
        if lo != hi {
            assert!(text.contains(&format!("{lo}-{hi}")), "{lo}-{hi}: {text}");
        }
        want.extend([lo, hi]);
    }
    let named: BTreeSet<u16> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(|w| w.parse().unwrap())
        .collect();
    assert_eq!(named, want, "{text}");
    for (port, name) in ADMIN_PORTS {
        assert!(text.contains(name), "{name} ({port}): {text}");
    }
}

/// Classifying alone (`check`) sets the same flows apart as suspicious and
/// external as a whole synthesis, and chooses no rule.
#[test]
fn classifying_alone_finds_the_same_suspicious_and_external_flows_and_no_rule() {
    let inv = env();
    let mut ev = Evidence {
        connections: vec![
            conn("10.0.1.10", "10.0.2.20", 5432, TCP),
            conn("10.0.1.10", "93.184.216.34", 443, TCP),
            conn("10.0.1.10", "203.0.113.9", 6667, TCP),
            conn("198.51.100.7", "10.0.1.10", 22, TCP),
        ],
        ..Default::default()
    };
    crate::resolve::attribute(&mut ev, &inv);
    let r = Resolver::new(&inv, &ev);
    let whole = synthesize_with(&ev, &r, &Choices::default());
    let classified = synthesize_with(
        &ev,
        &r,
        &Choices {
            classify_only: true,
            ..Choices::default()
        },
    );
    assert_eq!(rules(&whole).len(), 1, "{:?}", rules(&whole));
    assert!(classified.rules.is_empty(), "{:?}", rules(&classified));
    assert_eq!(classified.suspicious.len(), 2);
    assert_eq!(
        format!("{:?}", classified.suspicious),
        format!("{:?}", whole.suspicious)
    );
    assert_eq!(
        format!("{:?}", classified.external),
        format!("{:?}", whole.external)
    );
}

#[test]
fn icmp_without_type_allows_all_types() {
    let p = run(vec![conn("10.0.3.30", "10.0.2.20", ICMP_ANY, ICMP)]);
    assert_eq!(
        rules(&p),
        vec![("sg-mon".into(), "sg-db".into(), ICMP, -1, -1)]
    );
    let p = run(vec![conn("10.0.3.30", "10.0.2.20", 8, ICMP)]);
    assert_eq!(
        rules(&p),
        vec![("sg-mon".into(), "sg-db".into(), ICMP, 8, -1)]
    );
}

#[test]
fn greedy_matches_exhaustive_on_a_small_case() {
    let members_a = vec![0u32, 1];
    let members_b = vec![2u32, 3];
    let observed = vec![(0, 2), (1, 3)];
    let sets = vec![
        CandidateSet::new(&members_a, &members_b, &observed),
        CandidateSet::new(&[0], &[2], &observed),
        CandidateSet::new(&[1], &[3], &observed),
    ];
    let (pick, optimal, _) = choose(&sets, 2);
    assert!(optimal);
    assert_eq!(
        pick,
        vec![1, 2],
        "two exact rules beat one rule with two unobserved pairs"
    );
    assert_eq!(greedy(&sets, 2), vec![1, 2]);
}

/// A client, a target and a network load balancer (with `lb_groups`) in
/// subnet-lb, and the copies of `conns` each captured at its interface.
fn through_balancer(lb_groups: &[&str], conns: Vec<(&str, Connection)>) -> Proposal {
    through_balancer_with(lb_groups, conns, &crate::history::History::EMPTY)
}

/// [`through_balancer`] knowing the interfaces' history.
fn through_balancer_with(
    lb_groups: &[&str],
    conns: Vec<(&str, Connection)>,
    history: &crate::history::History,
) -> Proposal {
    let mut inv = env();
    inv.network_interfaces.push(NetworkInterface {
        subnet_id: Some("subnet-lb".into()),
        interface_type: "network_load_balancer".into(),
        description: "ELB net/web/1".into(),
        ..eni("eni-lb", "10.0.0.50", lb_groups)
    });
    inv.subnets.push(crate::inventory::Subnet {
        id: "subnet-lb".into(),
        vpc_id: "vpc-1".into(),
        cidrs: vec!["10.0.0.0/24".parse().unwrap()],
    });
    inv.security_groups.push(sg("sg-lb"));
    inv.security_groups.push(sg("sg-lb-old"));
    let mut ev = Evidence {
        connections: conns
            .into_iter()
            .map(|(at, c)| Connection {
                logged_at: vec![at.into()],
                ..c
            })
            .collect(),
        ..Default::default()
    };
    crate::resolve::attribute_with(&mut ev, &inv, history, 2);
    let r = Resolver::with_history(&inv, &ev, history);
    synthesize(&ev, &r)
}

#[test]
fn through_a_load_balancer_that_kept_the_client_address_its_group_is_the_source() {
    // web → load balancer:443; the load balancer forwards web's packets to db:5432.
    let p = through_balancer(
        &["sg-lb"],
        vec![
            ("eni-web1", conn("10.0.1.10", "10.0.0.50", 443, TCP)),
            ("eni-lb", conn("10.0.1.10", "10.0.2.20", 5432, TCP)),
            ("eni-db", conn("10.0.1.10", "10.0.2.20", 5432, TCP)),
        ],
    );
    assert_eq!(
        rules(&p),
        vec![
            ("sg-lb".into(), "sg-db".into(), TCP, 5432, 5432),
            ("sg-web".into(), "sg-lb".into(), TCP, 443, 443),
        ],
        "never web's group to db's"
    );
    let e = &p.rules[0].evidence;
    assert_eq!(
        (e.client_enis.as_slice(), e.server_enis.as_slice()),
        (&["eni-lb".to_string()][..], &["eni-db".to_string()][..])
    );
    assert_eq!(e.connections, 3, "the copies are one connection");
    assert!(p.external.is_empty(), "{:#?}", p.external);
}

#[test]
fn internet_clients_through_a_load_balancer_with_groups_reach_the_target_by_its_group() {
    let p = through_balancer(
        &["sg-lb"],
        vec![("eni-lb", conn("198.51.100.7", "10.0.1.10", 8080, TCP))],
    );
    assert_eq!(
        rules(&p),
        vec![("sg-lb".into(), "sg-web".into(), TCP, 8080, 8080)]
    );
}

#[test]
fn a_load_balancer_without_groups_gets_no_pair_and_each_leg_says_what_it_needs() {
    let p = through_balancer(
        &[],
        vec![
            ("eni-web1", conn("10.0.1.10", "10.0.0.50", 443, TCP)),
            ("eni-lb", conn("10.0.1.10", "10.0.2.20", 5432, TCP)),
            // Client IP preservation off: the load balancer's own address.
            ("eni-lb", conn("10.0.0.50", "10.0.1.11", 8080, TCP)),
        ],
    );
    assert!(p.rules.is_empty(), "{:?}", rules(&p));
    let listed: Vec<(ExternalKind, &str, bool, &str, u16)> = p
        .external
        .iter()
        .map(|e| {
            (
                e.kind,
                e.local.as_str(),
                e.local_is_client,
                e.remote_kind.as_str(),
                e.port,
            )
        })
        .collect();
    let lb = "load balancer eni-lb (net/web/1) without groups (subnets 10.0.0.0/24)";
    assert_eq!(
        listed,
        vec![
            (
                ExternalKind::LoadBalancerWithoutGroups,
                "eni-db",
                false,
                "members of sg-web, sg-mon-agents through load balancer eni-lb (net/web/1), client address kept",
                5432
            ),
            (
                ExternalKind::LoadBalancerWithoutGroups,
                "eni-web1",
                true,
                lb,
                443
            ),
            (
                ExternalKind::LoadBalancerWithoutGroups,
                "eni-web2",
                false,
                lb,
                8080
            ),
        ]
    );
}

#[test]
fn the_load_balancer_s_groups_are_those_of_the_connection_s_time() {
    use crate::history::{Change, History, InterfaceEvent};
    // Today in sg-lb; at the connection's time (100..200) in sg-lb-old.
    let mut h = History::default();
    h.extend([
        InterfaceEvent {
            time: 10,
            interface: "eni-lb".into(),
            change: Change::Groups {
                groups: vec!["sg-lb-old".into()],
            },
        },
        InterfaceEvent {
            time: 500,
            interface: "eni-lb".into(),
            change: Change::Groups {
                groups: vec!["sg-lb".into()],
            },
        },
    ]);
    let p = through_balancer_with(
        &["sg-lb"],
        vec![("eni-lb", conn("10.0.1.10", "10.0.2.20", 5432, TCP))],
        &h,
    );
    assert_eq!(
        rules(&p),
        vec![("sg-lb-old".into(), "sg-db".into(), TCP, 5432, 5432)]
    );
}

/// The cover's counting over numbered pairs and bits (`cover.rs`) picks
/// what counting over sets of pairs picks: random services' candidates
/// (interface ids from a small range, so that candidates share members and
/// unobserved pairs), greedy and exhaustive each against a plain reference.
mod counted_as_sets {
    use proptest::prelude::*;
    use rustc_hash::{FxHashMap, FxHashSet};

    use super::*;

    /// Greedy, each round recounting what every candidate adds as sets.
    fn greedy_by_sets(sets: &[CandidateSet], n_observed: usize) -> Vec<usize> {
        let mut covered = vec![false; n_observed];
        let mut n_covered = 0;
        let mut granted: FxHashSet<(u32, u32)> = FxHashSet::default();
        let mut picked: Vec<usize> = Vec::new();
        while n_covered < n_observed {
            let mut best: Option<(usize, usize, usize)> = None;
            for (i, s) in sets.iter().enumerate() {
                if picked.contains(&i) {
                    continue;
                }
                let cov = s.covers.iter().filter(|c| !covered[**c]).count();
                if cov == 0 {
                    continue;
                }
                let extra = s.extra.iter().filter(|p| !granted.contains(p)).count();
                let better = match best {
                    None => true,
                    Some((bi, be, bc)) => {
                        let (l, r) = (extra * bc, be * cov);
                        l < r
                            || (l == r && (cov > bc || (cov == bc && s.members < sets[bi].members)))
                    }
                };
                if better {
                    best = Some((i, extra, cov));
                }
            }
            let (i, _, _) = best.unwrap();
            for c in &sets[i].covers {
                if !covered[*c] {
                    covered[*c] = true;
                    n_covered += 1;
                }
            }
            granted.extend(sets[i].extra.iter().copied());
            picked.push(i);
        }
        // The same pruning as `greedy`'s: the picks are what differs.
        prune(sets, n_observed, picked)
    }

    /// The fewest unobserved pairs any covering subset allows, as sets.
    fn fewest_by_sets(sets: &[CandidateSet], n_observed: usize) -> usize {
        (1u32..(1 << sets.len()))
            .filter(|subset| {
                let mut cov = vec![false; n_observed];
                for (i, s) in sets.iter().enumerate() {
                    if subset & (1 << i) != 0 {
                        for c in &s.covers {
                            cov[*c] = true;
                        }
                    }
                }
                cov.iter().all(|c| *c)
            })
            .map(|subset| {
                let mut union: FxHashSet<(u32, u32)> = FxHashSet::default();
                for (i, s) in sets.iter().enumerate() {
                    if subset & (1 << i) != 0 {
                        union.extend(s.extra.iter().copied());
                    }
                }
                union.len()
            })
            .min()
            .unwrap()
    }

    fn unobserved(sets: &[CandidateSet], pick: &[usize]) -> usize {
        let union: FxHashSet<(u32, u32)> = pick
            .iter()
            .flat_map(|i| sets[*i].extra.iter().copied())
            .collect();
        union.len()
    }

    /// A candidate's client and server groups, by their members.
    type Members = (Vec<u32>, Vec<u32>);

    /// Observed pairs and candidate groups (client members, server
    /// members) over interfaces 0..16: each candidate holds the two ends of
    /// one or two observed pairs and a few other members, so candidates
    /// overlap in what they cover and in the unobserved pairs they allow,
    /// and each greedy pick changes what the others add; one wide pair
    /// (every observed client to every observed server) makes sure a cover
    /// exists.
    fn service() -> impl Strategy<Value = (Vec<(u32, u32)>, Vec<Members>)> {
        let pair = (0u32..16, 0u32..16).prop_filter("two ends", |(a, b)| a != b);
        let others = proptest::collection::btree_set(0u32..16, 0..4);
        let candidate = (any::<usize>(), any::<usize>(), others.clone(), others);
        (
            proptest::collection::btree_set(pair, 2..24),
            proptest::collection::vec(candidate, 0..16),
        )
            .prop_map(|(observed, picks)| {
                let observed: Vec<(u32, u32)> = observed.into_iter().collect();
                let group = |v: &mut Vec<u32>| {
                    v.sort_unstable();
                    v.dedup();
                    std::mem::take(v)
                };
                let mut candidates: Vec<Members> = picks
                    .into_iter()
                    .map(|(i, j, more_src, more_dst)| {
                        let (a, b) = observed[i % observed.len()];
                        let (c, d) = observed[j % observed.len()];
                        let mut src: Vec<u32> = [a, c].into_iter().chain(more_src).collect();
                        let mut dst: Vec<u32> = [b, d].into_iter().chain(more_dst).collect();
                        (group(&mut src), group(&mut dst))
                    })
                    .collect();
                let (mut src, mut dst): (Vec<u32>, Vec<u32>) = observed.iter().copied().unzip();
                candidates.push((group(&mut src), group(&mut dst)));
                (observed, candidates)
            })
    }

    /// The candidates of a [`service`], counted against its observed pairs.
    fn candidate_sets(observed: &[(u32, u32)], candidates: &[Members]) -> Vec<CandidateSet> {
        candidates
            .iter()
            .map(|(a, b)| CandidateSet::new(a, b, observed))
            .collect()
    }

    /// `extras` numbers each distinct unobserved pair once, from 0 on.
    fn numbered_once(sets: &[CandidateSet], extras: &Extras) -> Result<(), TestCaseError> {
        let mut number: FxHashMap<(u32, u32), u32> = FxHashMap::default();
        for (s, of) in sets.iter().zip(&extras.of) {
            prop_assert_eq!(s.extra.len(), of.len());
            for (p, n) in s.extra.iter().zip(of) {
                prop_assert!((*n as usize) < extras.len);
                prop_assert_eq!(*number.entry(*p).or_insert(*n), *n, "{:?}", p);
            }
        }
        let distinct: FxHashSet<u32> = number.values().copied().collect();
        prop_assert_eq!(distinct.len(), number.len());
        prop_assert_eq!(extras.len, number.len());
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The grid's numbering and the hash map's (which numbers the
        /// pairs when the grid would be too large or too sparse) each
        /// number every pair once.
        #[test]
        fn pairs_are_numbered_once_in_a_grid_and_by_hash((observed, candidates) in service()) {
            let sets = candidate_sets(&observed, &candidates);
            numbered_once(&sets, &Extras::number_within(&sets, u64::MAX))?;
            numbered_once(&sets, &Extras::number_within(&sets, 0))?;
        }

        #[test]
        fn picks_what_sets_of_pairs_pick((observed, candidates) in service()) {
            let sets = candidate_sets(&observed, &candidates);
            let n = observed.len();
            prop_assert_eq!(greedy(&sets, n), greedy_by_sets(&sets, n));
            let (pick, optimal, _) = choose(&sets, n);
            if sets.len() <= 12 {
                prop_assert!(optimal);
                prop_assert_eq!(unobserved(&sets, &pick), fewest_by_sets(&sets, n));
            }
        }
    }
}

/// Internet to internet, logged at an interface (a NAT instance or
/// appliance that relays, or logs whose addresses the interface does not
/// hold): listed from that interface as relayed traffic, neither egress
/// nor ingress, with its groups where the inventory knows it; never a rule.
#[test]
fn internet_to_internet_is_listed_at_the_interface_that_relayed_it() {
    let inv = env();
    for (at, local, groups) in [
        ("eni-web1", "eni-web1", vec!["sg-mon-agents", "sg-web"]),
        (
            "eni-gone",
            "eni-gone (not in the inventory)",
            Vec::<&str>::new(),
        ),
    ] {
        let mut ev = Evidence {
            connections: vec![Connection {
                logged_at: vec![at.into()],
                ..conn("198.51.100.7", "203.0.113.9", 22, TCP)
            }],
            ..Default::default()
        };
        let history = crate::history::History::EMPTY;
        crate::resolve::attribute_with(&mut ev, &inv, &history, 1);
        let r = Resolver::with_history(&inv, &ev, &history);
        let p = synthesize(&ev, &r);
        assert!(p.rules.is_empty(), "{at}");
        let [e] = p.external.as_slice() else {
            panic!("{at}: {:?}", p.external)
        };
        assert_eq!(e.kind, ExternalKind::InternetRelayed, "{at}");
        assert_eq!(e.local, local);
        let mut got: Vec<&str> = e.local_groups.iter().map(String::as_str).collect();
        got.sort();
        assert_eq!(got, groups, "{at}");
        assert_eq!(e.remote_kind, "internet to internet");
        assert_eq!(
            e.remotes,
            vec!["203.0.113.9".parse::<std::net::IpAddr>().unwrap()]
        );
        assert!(!e.local_is_client, "{at}");
    }
}
