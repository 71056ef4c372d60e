//! `infer --terraform DIR`: the folder written (and what of the user's is
//! kept), the imports of existing rules, egress.tf; every file parsed back
//! with hcl-rs, laid out as `terraform fmt` does, and type-checked by
//! terraform itself (`init`, `validate`, `plan`) with the registry module
//! swapped for a local stand-in with the same input and resources.
//!
//! Needs `terraform` >= 1.5 on PATH and the AWS provider in a filesystem
//! mirror (`support::terraform::plugin_dir`); without them the tests fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value as Json;

use crate::support::run::infer;
use crate::support::terraform::{fmt_check_all, plan_offline, stand_in};
use crate::support::{Scenario, T0, connection, read, repo, v2_lines, v2_rules};

/// `sgpair infer` over the bundled sample, from `cwd`, with `extra`.
fn sample(cwd: &Path, extra: &[&str]) -> crate::support::Run {
    let s = repo().join("sample-logs");
    infer(
        cwd,
        &[&s.join("flow-logs")],
        &s.join("inventory.json"),
        extra,
    )
}

/// The blocks of a .tf file, as hcl-rs reads them: (type, labels, attributes
/// as HCL text).
fn blocks(text: &str) -> Vec<(String, Vec<String>, BTreeMap<String, String>)> {
    let body = hcl::parse(text).unwrap_or_else(|e| panic!("not HCL: {e}\n{text}"));
    assert_eq!(
        body.attributes().count(),
        0,
        "only blocks at the top:\n{text}"
    );
    body.blocks()
        .map(|b| {
            let attrs = b
                .body()
                .attributes()
                .map(|a| (a.key().to_string(), a.expr().to_string()))
                .collect();
            let labels = b.labels().iter().map(|l| l.as_str().to_string()).collect();
            (b.identifier().to_string(), labels, attrs)
        })
        .collect()
}

/// (group, is egress, peer group, protocol, from, to) -> rule id, of every
/// group-referencing rule of the sample's inventory file.
fn existing_rules() -> BTreeMap<(String, bool, String, String, i64, i64), String> {
    let inv: Json = serde_json::from_str(&read(repo().join("sample-logs/inventory.json"))).unwrap();
    let mut out = BTreeMap::new();
    for g in inv["security_groups"].as_array().unwrap() {
        for (dir, egress) in [("ingress", false), ("egress", true)] {
            for r in g[dir].as_array().unwrap() {
                let Some(peer) = r["referenced_group_id"].as_str() else {
                    continue;
                };
                out.insert(
                    (
                        g["id"].as_str().unwrap().to_string(),
                        egress,
                        peer.to_string(),
                        r["protocol"].as_str().unwrap().to_string(),
                        r["from_port"].as_i64().unwrap(),
                        r["to_port"].as_i64().unwrap(),
                    ),
                    r["rule_id"].as_str().unwrap().to_string(),
                );
            }
        }
    }
    out
}

#[test]
fn the_sample_folder_imports_every_existing_half_and_plans_with_the_module_stand_in() {
    let cwd = tempfile::tempdir().unwrap();
    let r = sample(cwd.path(), &["--terraform", "tf"]);
    r.ok();
    let tf = cwd.path().join("tf");
    for f in [
        "rules.auto.tfvars",
        "main.tf",
        "variables.tf",
        "versions.tf",
        "imports.tf",
        "egress.tf",
    ] {
        assert!(tf.join(f).is_file(), "{f} written\n{}", r.stderr);
    }
    // --out names another file: the same text in both.
    assert_eq!(read(tf.join("rules.auto.tfvars")), r.tfvars());

    // Every half that exists exactly is imported to the module's address
    // of its entry, with its id; nothing else is.
    let rules = v2_rules(&r.tfvars());
    let existing = existing_rules();
    let mut expected = BTreeSet::new();
    for rule in &rules {
        let to = rule.to_port.unwrap_or(rule.from_port);
        for (group, egress, peer, resource) in [
            (&rule.target, false, &rule.source, "ingress"),
            (&rule.source, true, &rule.target, "egress"),
        ] {
            let k = (
                group.clone(),
                egress,
                peer.clone(),
                rule.protocol.clone(),
                rule.from_port,
                to,
            );
            if let Some(id) = existing.get(&k) {
                expected.insert((
                    format!(
                        "module.sgpair_rules.aws_vpc_security_group_{resource}_rule.this[\"{}\"]",
                        rule.key
                    ),
                    format!("\"{id}\""),
                ));
            }
        }
    }
    let imports = blocks(&read(tf.join("imports.tf")));
    let got: BTreeSet<(String, String)> = imports
        .iter()
        .map(|(kind, labels, attrs)| {
            assert_eq!((kind.as_str(), labels.len()), ("import", 0));
            assert_eq!(attrs.keys().collect::<Vec<_>>(), ["id", "to"]);
            (attrs["to"].clone(), attrs["id"].clone())
        })
        .collect();
    assert_eq!(got, expected);
    // Six of the seven entries exist on one side (alb-sg -> web-sg on
    // both); web-sg -> s3-endpoint-sg is allowed today by a CIDR rule,
    // which is another rule: not adopted.
    assert_eq!((rules.len(), got.len()), (7, 7));
    let keys_imported: BTreeSet<&str> = got
        .iter()
        .map(|(to, _)| to.split('"').nth(1).unwrap())
        .collect();
    let not_imported: Vec<&str> = rules
        .iter()
        .map(|r| r.key.as_str())
        .filter(|k| !keys_imported.contains(k))
        .collect();
    assert_eq!(not_imported.len(), 1);
    assert!(not_imported[0].contains("s3-endpoint"), "{not_imported:?}");

    // egress.tf: DynamoDB through its gateway endpoint's prefix list, the
    // partner API on the internet per port; not IRC, not DNS to 8.8.8.8.
    let egress_text = read(tf.join("egress.tf"));
    let egress = blocks(&egress_text);
    let summary: Vec<(String, String, String)> = egress
        .iter()
        .map(|(kind, labels, a)| {
            assert_eq!(
                (kind.as_str(), labels[0].as_str()),
                ("resource", "aws_vpc_security_group_egress_rule")
            );
            let dest = a
                .get("prefix_list_id")
                .or(a.get("cidr_ipv4"))
                .or(a.get("cidr_ipv6"))
                .cloned()
                .unwrap();
            (a["security_group_id"].clone(), dest, a["from_port"].clone())
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "\"sg-0d44e55f66a77b884\"".to_string(),
                "\"pl-02cd2c6b\"".to_string(),
                "443".to_string()
            ),
            (
                "\"sg-0b22c33d44e55f662\"".to_string(),
                "\"0.0.0.0/0\"".to_string(),
                "443".to_string()
            ),
        ]
    );
    assert!(!egress_text.contains("6667") && !egress_text.contains("8.8.8.8"));
    assert!(
        egress_text.contains("# to 192.0.2.210, 192.0.2.211\n"),
        "{egress_text}"
    );

    // The report: per owner, the imports, the warning, how to roll out.
    let report = r.report();
    for heading in [
        "## The Terraform folder",
        "### The change per owner",
        "### Rules that exist already (imports.tf)",
        "### Groups another tool manages",
        "### Egress the module cannot express (egress.tf)",
        "### How to roll out",
    ] {
        assert!(report.contains(heading), "{heading}\n{report}");
    }

    insta::assert_snapshot!(
        "sample_report_terraform_section",
        crate::support::section(&report, "The Terraform folder")
    );
    for f in [
        "main.tf",
        "variables.tf",
        "versions.tf",
        "imports.tf",
        "egress.tf",
    ] {
        insta::assert_snapshot!(format!("sample_{f}"), read(tf.join(f)));
    }

    fmt_check_all(&tf);
    // Validate checks the import addresses against the stand-in's resources.
    let checked = stand_in(&tf);
    drop(checked);
}

#[test]
fn a_second_run_keeps_the_users_files_and_rewrites_its_own() {
    let cwd = tempfile::tempdir().unwrap();
    let tf = cwd.path().join("tf");
    std::fs::create_dir(&tf).unwrap();
    let main = "module \"sgpair_rules\" {\n  source  = \"skwashd/mutual-security-groups/aws\"\n  version = \"2.0.1\"\n  rules   = var.rules\n}\n";
    let users_egress = "# my own egress rules\n";
    std::fs::write(tf.join("main.tf"), main).unwrap();
    std::fs::write(tf.join("egress.tf"), users_egress).unwrap();
    std::fs::write(tf.join("imports.tf"), "# Generated by sgpair: stale\n").unwrap();
    let r = sample(cwd.path(), &["--terraform", "tf"]);
    r.ok();
    assert_eq!(read(tf.join("main.tf")), main);
    assert_eq!(read(tf.join("egress.tf")), users_egress);
    assert!(read(tf.join("imports.tf")).contains("import {"));
    assert!(tf.join("variables.tf").is_file() && tf.join("versions.tf").is_file());
    // The user's egress.tf is said; a main.tf kept is what the folder is
    // for (sgpair writes it only where missing), so only the report lists it.
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("warning: kept") && l.contains("egress.tf")),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("main.tf"), "{}", r.stderr);
    assert!(
        r.report()
            .contains("kept as they were (yours): `main.tf`, `egress.tf`")
    );

    // A module block of another name: imports.tf would address nothing.
    std::fs::write(tf.join("main.tf"), main.replace("sgpair_rules", "rules")).unwrap();
    let r = sample(cwd.path(), &["--terraform", "tf"]);
    assert!(r.stderr.contains("give --module-name"), "{}", r.stderr);
    let r = sample(cwd.path(), &["--terraform", "tf", "--module-name", "rules"]);
    r.ok();
    assert!(!r.stderr.contains("give --module-name"), "{}", r.stderr);
    assert!(
        read(tf.join("imports.tf"))
            .contains("to = module.rules.aws_vpc_security_group_ingress_rule.this[\"")
    );
}

#[test]
fn bad_module_names_and_the_v1_shape_are_usage_errors() {
    let cwd = tempfile::tempdir().unwrap();
    let r = sample(
        cwd.path(),
        &["--terraform", "tf", "--module-name", "9 lives"],
    );
    r.exits(2);
    assert!(r.stderr.contains("not a Terraform name"), "{}", r.stderr);
    let r = sample(cwd.path(), &["--terraform", "tf", "--module-version", "1"]);
    r.exits(2);
    assert!(!cwd.path().join("tf").exists());
}

const APP_SG: &str = "sg-0000000000000a01";
const DB_SG: &str = "sg-0000000000000a02";

/// A VPC where no rule exists yet: app and db groups (open egress only), a
/// network load balancer without groups (subnet-lb 10.0.0.0/24), the S3
/// gateway endpoint's prefix list. The app host talks to the database, the
/// load balancer, S3, a partner on the internet (IPv4 and IPv6), an IRC
/// server and the VPC resolver.
fn no_rules_yet() -> Scenario {
    let mut s = Scenario::new();
    s.inv
        .account("123456789012", "us-east-1")
        .vpc("vpc-1", &["10.0.0.0/16", "2600:1f18:1:100::/56"])
        .subnet(
            "subnet-lb",
            "vpc-1",
            &["10.0.0.0/24", "2600:1f18:1:100::/64"],
        )
        .subnet("subnet-app", "vpc-1", &["10.0.1.0/24"])
        .group(APP_SG, "app", "vpc-1")
        .group(DB_SG, "db", "vpc-1")
        .eni(
            "eni-app",
            "vpc-1",
            &["10.0.1.10", "2600:1f18:1:101::10"],
            &[APP_SG],
        )
        .with(|e| e.subnet_id = Some("subnet-app".into()))
        .eni("eni-db", "vpc-1", &["10.0.1.20"], &[DB_SG])
        .nlb("eni-nlb", "vpc-1", "subnet-lb", "10.0.0.50", &[])
        .prefix_list(
            "pl-63a5400a",
            "com.amazonaws.us-east-1.s3",
            &["52.216.0.0/15"],
        );
    let mut recs = Vec::new();
    let c = |client_port: u16, server: (Option<&str>, &str, u16), i: i64| {
        connection(
            (Some("eni-app"), "10.0.1.10", client_port),
            server,
            T0 + 600 * i,
            true,
        )
    };
    recs.extend(c(40001, (Some("eni-db"), "10.0.1.20", 5432), 1));
    recs.extend(c(40002, (Some("eni-nlb"), "10.0.0.50", 443), 2));
    recs.extend(c(40003, (None, "52.216.8.10", 443), 3));
    recs.extend(c(40004, (None, "198.51.100.7", 443), 4));
    recs.extend(c(40005, (None, "192.0.2.166", 6667), 5));
    recs.extend(connection(
        (Some("eni-app"), "2600:1f18:1:101::10", 40006),
        (None, "2001:db8::7", 443),
        T0 + 600 * 6,
        true,
    ));
    recs.extend(
        connection(
            (Some("eni-app"), "10.0.1.10", 40007),
            (None, "10.0.0.2", 53),
            T0 + 600 * 7,
            false,
        )
        .into_iter()
        .map(|r| r.proto(17)),
    );
    s.log("app.log", &v2_lines(&recs));
    s
}

#[test]
fn with_no_rule_existing_no_imports_are_written_and_egress_covers_endpoint_subnet_and_internet() {
    let s = no_rules_yet();
    let tf = s.path("tf");
    std::fs::create_dir(&tf).unwrap();
    let r = s.run(&["--terraform", tf.to_str().unwrap()]);
    r.ok();
    assert_header_only(&tf.join("imports.tf"), "is nothing to import");
    assert!(r.report().contains(
        "None of the proposed rules exists yet, on either side: imports.tf holds no import block."
    ));
    let egress_text = read(tf.join("egress.tf"));
    let mut got: Vec<(String, String, String)> = blocks(&egress_text)
        .into_iter()
        .map(|(_, labels, a)| {
            let dest = ["prefix_list_id", "cidr_ipv4", "cidr_ipv6"]
                .iter()
                .find_map(|k| a.get(*k).map(|v| format!("{k} {v}")))
                .unwrap();
            assert_eq!(a["security_group_id"], format!("\"{APP_SG}\""));
            (labels[1].clone(), dest, a["from_port"].clone())
        })
        .collect();
    got.sort();
    let want = [
        (
            "app-00000a01-to-internet-ipv4-tcp-443",
            "cidr_ipv4 \"0.0.0.0/0\"",
            "443",
        ),
        (
            "app-00000a01-to-internet-ipv6-tcp-443",
            "cidr_ipv6 \"::/0\"",
            "443",
        ),
        (
            "app-00000a01-to-pl-63a5400a-tcp-443",
            "prefix_list_id \"pl-63a5400a\"",
            "443",
        ),
        (
            "app-00000a01-to-subnet-10-0-0-0-24-tcp-443",
            "cidr_ipv4 \"10.0.0.0/24\"",
            "443",
        ),
    ];
    assert_eq!(
        got,
        want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    assert!(!egress_text.contains("6667") && !egress_text.contains("10.0.0.2"));
    assert!(egress_text.contains("# to 198.51.100.7\n"), "{egress_text}");
    assert!(egress_text.contains("# to 2001:db8::7\n"), "{egress_text}");
    insta::assert_snapshot!("no_rules_yet_egress.tf", egress_text);

    fmt_check_all(&tf);
    let checked = stand_in(&tf);
    let plan = plan_offline(checked.path());
    // The module's two halves of app -> db, and the four egress rules.
    assert!(
        plan.contains("Plan: 6 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    for address in [
        "module.sgpair_rules.aws_vpc_security_group_ingress_rule.this[\"app-00000a01-to-db-00000a02-tcp-5432\"]",
        "module.sgpair_rules.aws_vpc_security_group_egress_rule.this[\"app-00000a01-to-db-00000a02-tcp-5432\"]",
        "aws_vpc_security_group_egress_rule.app-00000a01-to-pl-63a5400a-tcp-443",
    ] {
        assert!(
            plan.contains(&format!("# {address} will be created")),
            "{address}\n{plan}"
        );
    }

    // A user's imports.tf stays when there is nothing to import, and is
    // named as possibly stale.
    std::fs::write(tf.join("imports.tf"), "# mine\n").unwrap();
    let r = s.run(&["--terraform", tf.to_str().unwrap()]);
    r.ok();
    assert_eq!(read(tf.join("imports.tf")), "# mine\n");
    assert!(
        r.stderr.lines().any(|l| l.starts_with("warning: kept")
            && l.contains("imports.tf")
            && l.contains("this run has nothing to import")),
        "{}",
        r.stderr
    );
    let report = r.report();
    assert!(
        report.contains(&format!(
            "Kept as it was, not written by sgpair: `{}`: this run has nothing to import",
            tf.join("imports.tf").display()
        )),
        "{report}"
    );
}

/// A .tf file sgpair wrote with nothing for this run: its header alone
/// (comments, no block), saying why.
fn assert_header_only(path: &Path, why: &str) {
    let text = read(path);
    assert!(text.starts_with("# Generated by sgpair"), "{text}");
    assert!(text.contains(why), "{text}");
    assert!(blocks(&text).is_empty(), "{text}");
}

/// Found by outside testing: a later run into the same folder whose
/// proposal has nothing to import and no egress left the last run's
/// imports.tf (addressing a key no longer in the tfvars: the plan fails)
/// and egress.tf (the old window's egress, applied again) in place.
#[test]
fn a_later_run_with_nothing_to_import_and_no_egress_rewrites_sgpairs_files() {
    let mut s = no_rules_yet();
    s.inv.ingress(DB_SG, APP_SG, 5432);
    s.inv.rule_id(DB_SG, false, "sgr-0123456789abcdef0");
    let tf = s.path("tf");
    s.run(&["--terraform", tf.to_str().unwrap()]).ok();
    assert_eq!(blocks(&read(tf.join("imports.tf"))).len(), 1);
    assert_eq!(blocks(&read(tf.join("egress.tf"))).len(), 4);

    // The next window: app to db on 6379 only, which no rule allows yet.
    s.log(
        "app.log",
        &v2_lines(&connection(
            (Some("eni-app"), "10.0.1.10", 40001),
            (Some("eni-db"), "10.0.1.20", 6379),
            T0 + 600,
            true,
        )),
    );
    let r = s.run(&["--terraform", tf.to_str().unwrap()]);
    r.ok();
    assert!(read(tf.join("rules.auto.tfvars")).contains("tcp-6379"));
    assert_header_only(&tf.join("imports.tf"), "is nothing to import");
    assert_header_only(&tf.join("egress.tf"), "no egress rule here");
    assert!(
        r.stderr.lines().any(|l| l.starts_with("warning: rewrote")
            && l.contains("egress.tf")
            && l.contains("an apply removes the rules the last one created")),
        "{}",
        r.stderr
    );
    let report = r.report();
    assert!(
        report.contains("egress.tf holds no rule, and an apply removes the rules"),
        "{report}"
    );
    // Terraform plans the folder as it is: the module's two new halves,
    // nothing imported.
    fmt_check_all(&tf);
    let checked = stand_in(&tf);
    let plan = plan_offline(checked.path());
    assert!(
        plan.contains("Plan: 2 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );

    // A user's egress.tf is left alone and named as possibly stale.
    let mine = "# my egress\nresource \"aws_vpc_security_group_egress_rule\" \"x\" {}\n";
    std::fs::write(tf.join("egress.tf"), mine).unwrap();
    let r = s.run(&["--terraform", tf.to_str().unwrap()]);
    r.ok();
    assert_eq!(read(tf.join("egress.tf")), mine);
    assert!(
        r.stderr.lines().any(|l| l.starts_with("warning: kept")
            && l.contains("egress.tf")
            && l.contains("its rules may now be stale")),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("warning: rewrote"), "{}", r.stderr);
    assert!(
        r.report().lines().any(|l| l
            .split_once("kept as they were (yours): ")
            .is_some_and(|(_, kept)| kept.contains("`egress.tf`"))),
        "{}",
        r.report()
    );
}

/// The folder given to --logs, or one inside it, would have its .tf files
/// read as flow logs by the next run: a usage error, before anything is
/// read or written.
#[test]
fn a_terraform_folder_inside_the_logs_folder_is_refused() {
    refused_inside_the_logs("--terraform", &["", "tf", "../logs/tf/deeper"], ".tf files");
}

/// So is a folder of each account's files (`--out-dir`) there: its
/// tfvars and reports would be read as flow logs by the next run.
#[test]
fn an_out_dir_inside_the_logs_folder_is_refused() {
    refused_inside_the_logs("--out-dir", &["accounts", "../logs"], "accounts' files");
}

/// `flag` naming each of `under` (below the logs folder; "" is the folder
/// itself) exits 2 with the reason, and writes nothing there; naming a
/// sibling of the logs folder is fine.
fn refused_inside_the_logs(flag: &str, under: &[&str], files: &str) {
    let s = no_rules_yet();
    let logs = s.path("logs");
    for dir in under.iter().map(|u| {
        if u.is_empty() {
            logs.clone()
        } else {
            logs.join(u)
        }
    }) {
        let r = s.run(&[flag, dir.to_str().unwrap()]);
        r.exits(2);
        assert!(
            r.stderr.contains(&format!(
                "{flag} names {}, which is inside the folder --logs reads ({}): the next run over that folder would read the {files} as flow logs",
                dir.display(),
                logs.display()
            )),
            "{}",
            r.stderr
        );
    }
    let left: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["app.log"]);
    s.run(&[flag, s.path("sibling").to_str().unwrap()]).ok();
}

#[test]
fn a_folder_per_account_with_out_dir() {
    let s = no_rules_yet();
    let tf = s.path("tf");
    let out = s.path("out");
    let both = [
        "--terraform",
        tf.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ];
    let r = s.run(&both);
    r.ok();
    let folder = tf.join("123456789012");
    for f in [
        "rules.auto.tfvars",
        "main.tf",
        "variables.tf",
        "versions.tf",
        "egress.tf",
    ] {
        assert!(folder.join(f).is_file(), "{f}\n{}", r.stderr);
    }
    assert_eq!(
        read(folder.join("rules.auto.tfvars")),
        read(out.join("123456789012/rules.auto.tfvars"))
    );
    fmt_check_all(&folder);
    stand_in(&folder);

    // An account an earlier run wrote and this one saw no traffic of: its
    // folders stay as they were, and the run says so, once per flag.
    let earlier = "999999999999";
    for dir in [&tf, &out] {
        std::fs::create_dir_all(dir.join(earlier)).unwrap();
        std::fs::write(dir.join(earlier).join("rules.auto.tfvars"), "rules = {}\n").unwrap();
    }
    // Not an account's name: no warning.
    std::fs::create_dir_all(out.join("notes")).unwrap();
    std::fs::write(out.join("notes/rules.auto.tfvars"), "").unwrap();
    let r = s.run(&both);
    r.ok();
    for (flag, dir) in [("--terraform", &tf), ("--out-dir", &out)] {
        let file = dir.join(earlier).join("rules.auto.tfvars");
        let want = format!(
            "{flag}: {} is an earlier run's, left as it was: this run wrote nothing for account {earlier}",
            file.display()
        );
        assert_eq!(r.stderr.matches(&want).count(), 1, "{want}\n{}", r.stderr);
        assert_eq!(read(&file), "rules = {}\n");
    }
    assert!(!r.stderr.contains("notes"), "{}", r.stderr);
    // The scaffold the first run wrote is kept, as every run after the
    // first finds it: listed in the report, no warning.
    assert!(!r.stderr.contains("main.tf"), "{}", r.stderr);
    assert!(
        r.report()
            .contains("kept as they were (yours): `main.tf`, `variables.tf`, `versions.tf`"),
        "{}",
        r.report()
    );
}

#[test]
fn an_existing_half_is_imported_by_its_id_and_one_without_an_id_is_said() {
    let mut s = no_rules_yet();
    s.inv.ingress(DB_SG, APP_SG, 5432);
    let tf = s.path("tf");
    let r = s.run(&["--terraform", tf.to_str().unwrap()]);
    r.ok();
    assert_header_only(&tf.join("imports.tf"), "is nothing to import");
    let report = r.report();
    assert!(
        report.contains("the inventory holds no rule id for them"),
        "{report}"
    );

    s.inv.rule_id(DB_SG, false, "sgr-0123456789abcdef0");
    let r = s.run(&["--terraform", tf.to_str().unwrap()]);
    r.ok();
    let imports = blocks(&read(tf.join("imports.tf")));
    assert_eq!(imports.len(), 1);
    assert_eq!(
        imports[0].2["to"],
        "module.sgpair_rules.aws_vpc_security_group_ingress_rule.this[\"app-00000a01-to-db-00000a02-tcp-5432\"]"
    );
    assert_eq!(imports[0].2["id"], "\"sgr-0123456789abcdef0\"");
    fmt_check_all(&tf);
    stand_in(&tf);
}

#[test]
fn the_report_groups_the_change_per_owner_and_names_the_groups_another_tool_manages() {
    let mut s = no_rules_yet();
    s.inv
        .group_tags(
            APP_SG,
            &[("ManagedBy", "Terraform"), ("repository", "acme/app")],
        )
        .group_tags(
            DB_SG,
            &[("aws:cloudformation:stack-name", "data | `stack`")],
        );
    let tf = s.path("tf");
    let r = s.run(&["--terraform", tf.to_str().unwrap()]);
    r.ok();
    let report = r.report();
    let owners = crate::support::section(&report, "The change per owner");
    // app: the egress half of app -> db and four egress.tf rules; db: the
    // ingress half. The stack's name is data: escaped in the table.
    assert!(
        owners.contains("| repository acme/app | app (sg-0000000000000a01) | 1 | 0 | 4 |"),
        "{owners}"
    );
    assert!(
        owners.contains(
            "| CloudFormation stack data \\| \\`stack\\` | db (sg-0000000000000a02) | 1 | 0 | 0 |"
        ),
        "{owners}"
    );
    let inline = crate::support::section(&report, "Groups another tool manages");
    assert!(
        inline.contains("cannot tell whether a group is managed with inline"),
        "{inline}"
    );
    assert!(
        inline.contains(
            "app (sg-0000000000000a01): its tags say Terraform manages it (repository acme/app)"
        ),
        "{inline}"
    );
    assert!(
        inline.contains("db (sg-0000000000000a02): managed by CloudFormation stack data"),
        "{inline}"
    );
}

/// The HTML page (`--html`) holds the Markdown's Terraform section, in the
/// same place: after the proposed rules, before the traffic no rule can
/// express.
#[test]
fn the_html_page_has_the_terraform_section_the_markdown_has() {
    let cwd = tempfile::tempdir().unwrap();
    let r = sample(
        cwd.path(),
        &["--terraform", "tf", "--html", "report.html", "-q"],
    );
    r.ok();
    let page = read(cwd.path().join("report.html"));
    let at = |id: &str| {
        page.find(&format!("<section id=\"{id}\">"))
            .unwrap_or_else(|| panic!("section {id} in the page"))
    };
    let (rules, start, end) = (at("rules"), at("terraform"), at("external"));
    assert!(rules < start && start < end);
    let section = &page[start..end];
    let report = r.report();
    for heading in crate::support::terraform::SECTION_HEADINGS {
        assert!(report.contains(heading), "{heading} in the Markdown");
        assert!(
            section.contains(&format!("<summary><h2>{heading}</h2></summary>"))
                || section.contains(&format!("<summary><h3>{heading}</h3></summary>")),
            "{heading} in the page"
        );
    }
    insta::assert_snapshot!("sample_html_terraform_section", section);
}

#[test]
fn the_json_report_lists_the_folder_its_imports_and_egress_as_the_files_say() {
    let cwd = tempfile::tempdir().unwrap();
    let r = sample(cwd.path(), &["--terraform", "tf", "--json", "-q"]);
    r.ok();
    let tf = cwd.path().join("tf");
    let folders = r.json()["terraform"]
        .as_array()
        .expect("terraform in the JSON report with --terraform");
    assert_eq!(folders.len(), 1, "{folders:?}");
    let f = &folders[0];
    assert_eq!(f["module"], "sgpair_rules");
    assert!(f["dir"].as_str().unwrap().ends_with("tf"), "{f}");
    let written: BTreeSet<&str> = f["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    for name in &written {
        assert!(tf.join(name).is_file(), "{name} listed and written");
    }
    assert!(written.contains("imports.tf") && written.contains("main.tf"));
    // The importable entries are imports.tf's blocks, address and id.
    let from_json: BTreeSet<(String, String)> = f["imports"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["rule_id"].is_null())
        .map(|i| {
            (
                i["address"].as_str().unwrap().to_string(),
                format!("\"{}\"", i["rule_id"].as_str().unwrap()),
            )
        })
        .collect();
    let from_file: BTreeSet<(String, String)> = blocks(&read(tf.join("imports.tf")))
        .into_iter()
        .filter(|(t, _, _)| t == "import")
        .map(|(_, _, a)| (a["to"].clone(), a["id"].clone()))
        .collect();
    assert!(!from_file.is_empty());
    assert_eq!(from_json, from_file);
    // egress.tf's resources, by name.
    let egress: BTreeSet<String> = f["egress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].as_str().unwrap().to_string())
        .collect();
    let in_file: BTreeSet<String> = blocks(&read(tf.join("egress.tf")))
        .into_iter()
        .filter(|(t, _, _)| t == "resource")
        .map(|(_, labels, _)| labels[1].clone())
        .collect();
    assert_eq!(egress, in_file);
    // Without --terraform there is no such section.
    let plain = sample(cwd.path(), &["--json", "-q"]);
    plain.ok();
    assert!(plain.json().get("terraform").is_none());
}
