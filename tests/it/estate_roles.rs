//! Estate mode against moto server with several accounts: each account's
//! inventory is read live through `--role-arn` (STS AssumeRole; moto keeps
//! resources per account and the assumed role's credentials act in the
//! role's account). Accounts A and B run the same stack in the same CIDR
//! with the same addresses; C logs records and has no inventory; D's role
//! cannot be assumed (the proxy answers AccessDenied, as STS does when the
//! trust policy refuses). Per-account outputs are byte-identical to a run
//! on that account alone.

use std::path::Path;

use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ec2::types::PrivateIpAddressSpecification;
use serde_json::Value as Json;

use crate::estate::accounts_seen;
use crate::support::aws_env::{Moto, against, new_vpc, now};
use crate::support::fault_proxy::{Action, FaultProxy, Reply};
use crate::support::{Run, connection, sgpair};

const A: &str = "111111111111";
const B: &str = "222222222222";
/// Logs records; not given with `--account`, so no inventory.
const C: &str = "333333333333";
/// Given with `--account`; its role cannot be assumed.
const D: &str = "444444444444";
const ROLE: &str = "arn:aws:iam::{account}:role/sgpair-read";
const FORMAT: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags flow-direction";

/// One account's stack as moto made it.
struct Stack {
    web_sg: String,
    db_sg: String,
    web_eni: String,
    db_eni: String,
}

/// `base` acting in `account`, through the role sgpair will assume.
async fn as_account(base: &SdkConfig, account: &str) -> SdkConfig {
    let provider = AssumeRoleProvider::builder(ROLE.replace("{account}", account))
        .session_name("sgpair-test")
        .configure(base)
        .build()
        .await;
    base.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// web (10.0.1.10) and db (10.0.2.20) in a 10.0.0.0/16 VPC of the account.
async fn stack(config: &SdkConfig) -> Stack {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let vpc = new_vpc(&ec2, "10.0.0.0/16").await;
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.0.0.0/17")
        .send()
        .await
        .unwrap();
    let subnet = subnet.subnet().unwrap().subnet_id().unwrap().to_string();
    let mut groups = Vec::new();
    for name in ["web", "db"] {
        let g = ec2
            .create_security_group()
            .group_name(name)
            .description(format!("{name} tier"))
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap();
        groups.push(g.group_id().unwrap().to_string());
    }
    let mut enis = Vec::new();
    for (addr, group) in [("10.0.1.10", &groups[0]), ("10.0.2.20", &groups[1])] {
        let n = ec2
            .create_network_interface()
            .subnet_id(&subnet)
            .groups(group)
            .private_ip_addresses(
                PrivateIpAddressSpecification::builder()
                    .private_ip_address(addr)
                    .primary(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let n = n.network_interface().unwrap();
        enis.push(n.network_interface_id().unwrap().to_string());
    }
    Stack {
        web_sg: groups[0].clone(),
        db_sg: groups[1].clone(),
        web_eni: enis[0].clone(),
        db_eni: enis[1].clone(),
    }
}

/// web → db on 5432, as both interfaces of `account` log it, an hour ago.
fn records(account: &str, web_eni: &str, db_eni: &str) -> Vec<String> {
    connection(
        (Some(web_eni), "10.0.1.10", 40000),
        (Some(db_eni), "10.0.2.20", 5432),
        now() - 3600,
        true,
    )
    .into_iter()
    .map(|r| {
        r.directed()
            .account(account)
            .counts(10, 1000)
            .render(FORMAT)
    })
    .collect()
}

struct World {
    moto: Moto,
    /// D's AssumeRole denied; everything else forwarded.
    proxy: FaultProxy,
    dir: tempfile::TempDir,
    a: Stack,
    b: Stack,
}

async fn world() -> World {
    let moto = Moto::start();
    let base = moto.config().await;
    let a = stack(&as_account(&base, A).await).await;
    let b = stack(&as_account(&base, B).await).await;
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![FORMAT.to_string()];
    lines.extend(records(A, &a.web_eni, &a.db_eni));
    lines.extend(records(B, &b.web_eni, &b.db_eni));
    // C and D name the same addresses from interfaces no inventory has.
    lines.extend(records(C, "eni-0c0c0c0c0c0c0c0c1", "eni-0c0c0c0c0c0c0c0c2"));
    lines.extend(records(D, "eni-0d0d0d0d0d0d0d0d1", "eni-0d0d0d0d0d0d0d0d2"));
    std::fs::write(dir.path().join("flows.log"), lines.join("\n") + "\n").unwrap();
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|r, _| {
            if r.op == "sts:AssumeRole" && r.body_text().contains(D) {
                Action::Reply(Reply::sts(
                    403,
                    "AccessDenied",
                    "User: arn:aws:iam::123456789012:user/testing is not authorized to perform: sts:AssumeRole",
                ))
            } else {
                Action::Forward
            }
        }),
    );
    World {
        moto,
        proxy,
        dir,
        a,
        b,
    }
}

/// `sgpair infer --json` over the logs, the inventories read through the
/// role for `accounts`, one tfvars per account under `out`.
fn infer(w: &World, accounts: &[&str], out: &Path, extra: &[&str]) -> Run {
    let mut cmd = sgpair(["infer", "--json", "-q", "--since", "1d"])
        .cwd(w.dir.path())
        .arg("--logs")
        .arg(w.dir.path().join("flows.log"))
        .args(["--role-arn", ROLE])
        .arg("--out-dir")
        .arg(out)
        .arg("--report")
        .arg(out.join("report.md"));
    for a in accounts {
        cmd = cmd.args(["--account", a]);
    }
    against(cmd.args(extra), &w.proxy.endpoint).run_with(tempfile::tempdir().unwrap())
}

fn tfvars(out: &Path, account: &str) -> String {
    std::fs::read_to_string(out.join(account).join("rules.auto.tfvars"))
        .unwrap_or_else(|e| panic!("{account}'s rules.auto.tfvars under {}: {e}", out.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_cannot_be_assumed_is_an_error_naming_the_account_and_the_role() {
    let w = world().await;
    let out = w.dir.path().join("out");
    let r = infer(&w, &[A, B, D], &out, &[]);
    r.exits(1);
    let arn = ROLE.replace("{account}", D);
    assert!(
        r.stderr.contains(&format!("account {D}")) && r.stderr.contains(&arn),
        "names the account and the role:\n{}",
        r.stderr
    );
    assert!(r.stderr.contains("AccessDenied"), "{}", r.stderr);
    assert!(
        !out.exists(),
        "nothing written when the run fails: {:?}",
        std::fs::read_dir(&out).map(|d| d.count())
    );
    // Every account's role was asked for, in parallel; D's refused once
    // (AccessDenied is not retried).
    let asked: std::collections::BTreeSet<&str> = w
        .proxy
        .seen()
        .iter()
        .filter(|s| s.request.op == "sts:AssumeRole")
        .filter_map(|s| {
            let body = s.request.body_text();
            [A, B, D].into_iter().find(|a| body.contains(a))
        })
        .collect();
    assert_eq!(asked, [A, B, D].into_iter().collect());
    assert_eq!(w.proxy.injected("sts:AssumeRole"), 1);
    drop(w.moto);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_account_read_through_its_role_gets_its_own_file_the_same_as_alone() {
    let w = world().await;
    let out = w.dir.path().join("out");
    let estate = infer(&w, &[A, B, D], &out, &["--allow-partial"]);
    estate.ok();
    let json = estate.json();

    // D is missing, named with its role; its records and C's are counted,
    // never resolved.
    let missing: Vec<String> = json["stats"]["missing"]
        .as_array()
        .expect("stats.missing in the JSON report")
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains(&format!("account {D}")) && missing[0].contains("AccessDenied"),
        "{missing:?}"
    );
    let accounts = accounts_seen(json);
    assert_eq!(
        accounts,
        vec![
            (A.to_string(), true, 4),
            (B.to_string(), true, 4),
            (C.to_string(), false, 4),
            (D.to_string(), false, 4),
        ]
    );

    // Same CIDR, same addresses, same group names: each account's rule is
    // between its own groups.
    let a_file = tfvars(&out, A);
    let b_file = tfvars(&out, B);
    for (file, mine, theirs) in [(&a_file, &w.a, &w.b), (&b_file, &w.b, &w.a)] {
        assert!(
            file.contains(&mine.web_sg) && file.contains(&mine.db_sg),
            "{file}"
        );
        assert!(
            !file.contains(&theirs.web_sg) && !file.contains(&theirs.db_sg),
            "{file}"
        );
        assert!(file.contains("5432"), "{file}");
    }
    let folders: std::collections::BTreeSet<String> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.file_type()
                .unwrap()
                .is_dir()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    assert_eq!(
        folders.into_iter().collect::<Vec<_>>(),
        vec![A, B],
        "a folder per covered account; none for C (no inventory) or D (missing)"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains(&format!("### Account {A}")), "{report}");
    assert!(report.contains(&format!("`{C}` (4 records)")), "{report}");

    // Each account alone, through its role: the same bytes.
    for (account, file) in [(A, &a_file), (B, &b_file)] {
        let alone_out = w.dir.path().join(format!("alone-{account}"));
        infer(&w, &[account], &alone_out, &[]).ok();
        assert_eq!(
            &tfvars(&alone_out, account),
            file,
            "account {account}: the estate's file and the run on its role alone"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshots_written_per_account_through_the_role_give_the_live_runs_files() {
    let w = world().await;
    let snaps = w.dir.path().join("snapshots");
    let cmd = sgpair(["inventory"])
        .cwd(w.dir.path())
        .args(["--account", A, "--account", B, "--role-arn", ROLE])
        .arg("--out-dir")
        .arg(&snaps);
    against(cmd, &w.proxy.endpoint).run().ok();
    let mut inventories = Vec::new();
    for (account, mine, theirs) in [(A, &w.a, &w.b), (B, &w.b, &w.a)] {
        let path = snaps.join(format!("{account}-us-east-1.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let snap: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(snap["account_id"], account, "{}", path.display());
        assert!(text.contains(&mine.web_eni) && text.contains(&mine.db_sg));
        assert!(
            !text.contains(&theirs.web_eni) && !text.contains(&theirs.db_sg),
            "{account}'s snapshot holds only its own resources"
        );
        inventories.push(path);
    }

    let live = w.dir.path().join("live");
    infer(&w, &[A, B], &live, &[]).ok();
    let offline = w.dir.path().join("offline");
    let mut cmd = sgpair(["infer", "-q", "--since", "1d"])
        .cwd(w.dir.path())
        .arg("--logs")
        .arg(w.dir.path().join("flows.log"))
        .arg("--out-dir")
        .arg(&offline);
    for i in &inventories {
        cmd = cmd.arg("--inventory").arg(i);
    }
    cmd.run_with(tempfile::tempdir().unwrap()).ok();
    for account in [A, B] {
        assert_eq!(
            tfvars(&offline, account),
            tfvars(&live, account),
            "account {account}: from its snapshot and read live"
        );
    }
}
