//! The quotas a proposal must fit, read from Service Quotas when the run is
//! connected to AWS and the quota's flag was not given: rules per group
//! (`L-0EA8095F`, `--rule-quota`) and groups per interface (`L-2AFB9258`,
//! `--groups-per-interface`). moto answers AWS's defaults (60 and 5); a
//! raised quota, which moto cannot hold, and a refused call are served by
//! the fault proxy in Service Quotas' own wire format.
//!
//! Only with the `aws` cargo feature (on by default).

use aws_sdk_ec2::Client;

use crate::support::aws_env::*;
use crate::support::fault_proxy::{Action, FaultProxy, Reply, Request};

const GET: &str = "servicequotas:GetServiceQuota";

/// Service Quotas' answer for the VPC quota `code` raised to `value`.
fn raised(code: &str, value: f64) -> Reply {
    Reply::json_ok(&format!(
        r#"{{"Quota":{{"ServiceCode":"vpc","ServiceName":"Amazon Virtual Private Cloud (Amazon VPC)","QuotaArn":"arn:aws:servicequotas:us-east-1:123456789012:vpc/{code}","QuotaCode":"{code}","QuotaName":"raised","Value":{value:.1},"Unit":"None","Adjustable":true,"GlobalQuota":false}}}}"#
    ))
}

/// Whether `req` asks for the quota `code`.
fn asks_for(req: &Request, code: &str) -> bool {
    req.op == GET
        && req
            .body_text()
            .contains(&format!("\"QuotaCode\":\"{code}\""))
}

/// Without --rule-quota, a run connected to AWS reads the rules-per-group
/// quota from Service Quotas (moto answers L-0EA8095F's default, 60); the
/// flag wins; an offline run assumes 60 without a call.
#[tokio::test(flavor = "multi_thread")]
async fn the_rule_quota_comes_from_service_quotas_when_connected() {
    let (moto, _env) = account("web", Delivery::CloudWatch).await;
    let dir = tempfile::tempdir().unwrap();
    let out = moto.infer_logs(dir.path(), &[]);
    out.ok();
    assert!(
        out.stderr
            .contains("note: the rules-per-group quota is 60 (Service Quotas L-0EA8095F)"),
        "{}",
        out.stderr
    );
    let given = moto.infer_logs(dir.path(), &["--rule-quota", "1"]);
    given.exits(5);
    assert!(
        given.stderr.contains("over the quota of 1 by"),
        "{}",
        given.stderr
    );
    assert!(
        !given.stderr.contains("Service Quotas L-0EA8095F)"),
        "{}",
        given.stderr
    );
}

/// The monitoring interface gets four more groups (`extra-1` to `extra-4`):
/// five, the groups-per-interface quota's default.
async fn five_groups_on_monitoring(moto: &Moto, env: &Env) {
    let ec2 = Client::new(&moto.config().await);
    let eni = ec2
        .describe_network_interfaces()
        .network_interface_ids(&env.mon_eni)
        .send()
        .await
        .unwrap();
    let vpc = eni.network_interfaces()[0].vpc_id().unwrap().to_string();
    let mut groups = vec![env.mon_sg.clone()];
    for i in 1..=4 {
        let g = ec2
            .create_security_group()
            .group_name(format!("extra-{i}"))
            .description("one more group on the monitoring interface")
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap();
        groups.push(g.group_id().unwrap().to_string());
    }
    ec2.modify_network_interface_attribute()
        .network_interface_id(&env.mon_eni)
        .set_groups(Some(groups))
        .send()
        .await
        .unwrap();
}

/// Without --groups-per-interface, a connected run reads the quota from
/// Service Quotas (moto: the default, 5), and a refusal names the
/// interfaces already at it; raised to 6 (served by the proxy) or given
/// with the flag (no call then), a sixth group fits and none is named.
#[tokio::test(flavor = "multi_thread")]
async fn the_groups_per_interface_quota_comes_from_service_quotas_when_connected() {
    let (moto, env) = account("web", Delivery::CloudWatch).await;
    five_groups_on_monitoring(&moto, &env).await;
    let at_quota = format!(
        "{} already have 5 groups, the groups-per-interface quota (L-2AFB9258)",
        env.mon_eni
    );
    let dir = tempfile::tempdir().unwrap();
    // The extra groups stay out of the rules: monitoring's rules are its own
    // group's, as without them.
    let avoid = [
        "--avoid-group",
        "extra-1",
        "--avoid-group",
        "extra-2",
        "--avoid-group",
        "extra-3",
        "--avoid-group",
        "extra-4",
    ];
    let with = |extra: &[&'static str]| [&avoid[..], extra].concat();

    let out = moto.infer_logs(dir.path(), &avoid);
    out.ok();
    assert_eq!(rules(dir.path()), expected(&env));
    assert!(
        out.stderr
            .contains("note: the groups-per-interface quota is 5 (Service Quotas L-2AFB9258)"),
        "{}",
        out.stderr
    );
    // Monitoring's two rules do not fit one rule per group: refused, and
    // its interface cannot take a dedicated group.
    let over = moto.infer_logs(dir.path(), &with(&["--rule-quota", "1"]));
    over.exits(5);
    assert!(
        over.stderr.contains("groups per interface, 5 here,") && over.stderr.contains(&at_quota),
        "{}",
        over.stderr
    );

    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, _| {
            if asks_for(req, "L-2AFB9258") {
                Action::Reply(raised("L-2AFB9258", 6.0))
            } else {
                Action::Forward
            }
        }),
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["infer", "--log-group", LOG_GROUP, "--since", "1d"];
        args.extend_from_slice(extra);
        sgpair_at(&proxy.endpoint, dir.path(), &args, &[])
    };
    let fits = run(&avoid);
    fits.ok();
    assert!(
        fits.stderr
            .contains("note: the groups-per-interface quota is 6 (Service Quotas L-2AFB9258)"),
        "{}",
        fits.stderr
    );
    assert_eq!(proxy.injected(GET), 1);
    for (extra, calls) in [
        // Read: --rule-quota is given, the groups' quota is not.
        (&["--rule-quota", "1"][..], 3),
        // Given: no call at all.
        (&["--rule-quota", "1", "--groups-per-interface", "6"][..], 3),
    ] {
        let raised = run(&with(extra));
        raised.exits(5);
        assert!(
            raised.stderr.contains("groups per interface, 6 here,")
                && !raised.stderr.contains("already have"),
            "{extra:?}: {}",
            raised.stderr
        );
        assert_eq!(proxy.count(GET), calls, "{extra:?}");
    }
}

/// A rules-per-group quota raised in the account (to 100) is the one the
/// proposal must fit: 62 rules on monitoring's egress are refused under the
/// default, and written when Service Quotas says 100.
#[tokio::test(flavor = "multi_thread")]
async fn a_raised_rules_per_group_quota_from_service_quotas_is_the_one_fitted() {
    let moto = Moto::start();
    let config = moto.config().await;
    let (env, mut records) = build(&config).await;
    // Monitoring also calls web on 60 ports 100 apart (no range fits them).
    let start = now() - 1800;
    for k in 0..60u16 {
        records.extend(connection(
            (&env.mon_eni, "10.0.1.30", 51_000 + k),
            (&env.web_eni, "10.0.1.10", 10_000 + 100 * k),
            start,
        ));
    }
    put_cloudwatch(&config, &records).await;
    let dir = tempfile::tempdir().unwrap();

    let default = moto.infer_logs(dir.path(), &[]);
    default.exits(5);
    assert!(
        default.stderr.contains(&format!(
            "{} (monitoring) outbound: 0 rules that stay + 62 proposed = 62, over the quota of 60 by 2",
            env.mon_sg
        )),
        "{}",
        default.stderr
    );
    assert!(!dir.path().join("rules.auto.tfvars").exists());

    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, _| {
            if asks_for(req, "L-0EA8095F") {
                Action::Reply(raised("L-0EA8095F", 100.0))
            } else {
                Action::Forward
            }
        }),
    );
    let args = ["infer", "--log-group", LOG_GROUP, "--since", "1d"];
    let fits = sgpair_at(&proxy.endpoint, dir.path(), &args, &[]);
    fits.ok();
    assert!(
        fits.stderr
            .contains("note: the rules-per-group quota is 100 (Service Quotas L-0EA8095F)"),
        "{}",
        fits.stderr
    );
    assert_eq!(proxy.injected(GET), 1);
    assert_eq!(rules(dir.path()).len(), 3 + 60);
}

/// Service Quotas refused (no servicequotas:GetServiceQuota permission):
/// each quota is a note naming the call, its default applies, and the run
/// goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_service_quotas_call_assumes_the_defaults_and_says_so() {
    let (moto, env) = account("web", Delivery::CloudWatch).await;
    let proxy = FaultProxy::start(
        &moto.endpoint,
        Box::new(|req, _| {
            if req.op == GET {
                Action::Reply(Reply::json(
                    400,
                    "AccessDeniedException",
                    "User is not authorized to perform: servicequotas:GetServiceQuota",
                ))
            } else {
                Action::Forward
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let args = ["infer", "--log-group", LOG_GROUP, "--since", "1d"];
    let out = sgpair_at(&proxy.endpoint, dir.path(), &args, &[]);
    out.ok();
    for (name, default, flag) in [
        ("rules-per-group", 60, "--rule-quota"),
        ("groups-per-interface", 5, "--groups-per-interface"),
    ] {
        let note = out
            .stderr
            .lines()
            .find(|l| l.contains(&format!("note: the {name} quota could not be read")))
            .unwrap_or_else(|| panic!("no note for the {name} quota: {}", out.stderr));
        assert!(
            note.contains("servicequotas:GetServiceQuota")
                && note.ends_with(&format!("; {default} assumed (give {flag})")),
            "{note}"
        );
    }
    assert_eq!(proxy.injected(GET), 2);
    assert_eq!(rules(dir.path()), expected(&env));
}
