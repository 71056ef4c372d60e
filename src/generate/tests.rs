use super::*;

#[test]
fn roles_cover_the_interfaces_and_addresses_are_distinct() {
    let env = Env::new(50);
    assert_eq!(env.enis.len(), 50);
    assert_eq!(env.role(Role::Alb).len(), 2);
    assert_eq!(env.role(Role::Web).len(), 10);
    let mut addrs: Vec<_> = env.enis.iter().map(|e| e.addr).collect();
    addrs.sort();
    addrs.dedup();
    assert_eq!(addrs.len(), 50);
    let inv = env.inventory(0);
    inv.check().unwrap();
    assert_eq!(inv.network_interfaces.len(), 50);
    assert_eq!(inv.security_groups.len(), 7);
}

#[test]
fn the_same_seed_gives_the_same_lines() {
    let env = Env::new(8);
    let args = GenerateArgs {
        out: PathBuf::new(),
        records: 500,
        enis: 8,
        gzip: false,
        header: false,
        seed: 7,
        start: String::new(),
        hours: 1,
        inventory_out: None,
    };
    let (a, s) = write_lines(&env, &args, 1_795_478_400, Vec::new()).unwrap();
    let (b, _) = write_lines(&env, &args, 1_795_478_400, Vec::new()).unwrap();
    assert_eq!(a, b);
    assert_eq!(s.lines, 500);
    assert_eq!(a.iter().filter(|b| **b == b'\n').count(), 500);
    let text = String::from_utf8(a).unwrap();
    assert!(text.lines().all(|l| l.split(' ').count() == 14), "{text}");
}

#[test]
fn every_size_allowed_lays_out_distinct_addresses_in_each_roles_subnet() {
    for n in [8, 9, 50, 200, 415, MAX_ENIS] {
        let env = Env::new(n);
        assert_eq!(env.enis.len(), n);
        let mut addrs: Vec<_> = env.enis.iter().map(|e| e.addr).collect();
        addrs.sort();
        addrs.dedup();
        assert_eq!(addrs.len(), n, "{n} interfaces");
        assert!(env.enis.iter().all(|e| e.addr.octets()[3] >= 10), "{n}");
    }
}
