//! A whole run as a library call: `sgpair::run::run` in-process gives what
//! the binary gives for the same flags, file for file, and its outcome says
//! what the binary prints.

use std::path::Path;

use sgpair::emit::tfvars::ModuleVersion;
use sgpair::run::{AwsSettings, Config, Outputs, Sources, Tfvars, run};
use sgpair::synthesize::Severity;
use sgpair::window::Window;

use crate::support::run::{infer, repo};
use crate::support::{UNTIL_T, outputs::read};

/// The sample's run over the week to `support::UNTIL`, writing into `dir`,
/// as [`infer`]'s flags ask for it.
fn sample_config(dir: &Path) -> Config {
    let sample = repo().join("sample-logs");
    Config {
        tfvars: Some(Tfvars {
            path: dir.join("rules.auto.tfvars"),
            version: ModuleVersion::V2,
            per_account: None,
            terraform: None,
        }),
        sources: Sources {
            logs: vec![sample.join("flow-logs")],
            ..Sources::default()
        },
        inventory: vec![sample.join("inventory.json")],
        window: Window {
            since: UNTIL_T - 7 * 86_400,
            until: UNTIL_T,
        },
        log_format: None,
        outputs: Outputs {
            report: dir.join("report.md"),
            html: Some(dir.join("report.html")),
            sarif: None,
            json: true,
        },
        allow_partial: false,
        allow_empty: false,
        fail_on: Some(Severity::High),
        avoid_groups: Vec::new(),
        history: Vec::new(),
        concurrency: 8,
        threads: None,
        quiet: true,
        aws: AwsSettings::default(),
        state: None,
        rule_quota: None,
        groups_per_interface: None,
    }
}

#[test]
fn a_run_in_process_writes_what_the_binary_writes() {
    let dir = tempfile::tempdir().unwrap();
    let outcome = run(&sample_config(dir.path())).expect("the sample's run");

    let sample = repo().join("sample-logs");
    let page = tempfile::tempdir().unwrap();
    let page = page.path().join("report.html");
    let cli = infer(
        &repo(),
        &[&sample.join("flow-logs")],
        &sample.join("inventory.json"),
        &[
            "--html",
            page.to_str().unwrap(),
            "--json",
            "--fail-on",
            "high",
            "-q",
        ],
    );
    for name in ["rules.auto.tfvars", "report.md"] {
        assert_eq!(
            read(dir.path().join(name)),
            cli.file(name),
            "{name}: the library's run and the binary's differ"
        );
    }
    assert_eq!(read(dir.path().join("report.html")), read(&page));
    assert_eq!(
        outcome.json.as_deref().map(str::trim_end),
        Some(cli.stdout.trim_end()),
        "the JSON report"
    );
    // The binary exits 3 exactly when the outcome says --fail-on tripped.
    let (tripped, level) = outcome.tripped.expect("the sample has high findings");
    assert_eq!(level, Severity::High);
    cli.exits(3);
    assert!(
        cli.stderr
            .contains(&format!("--fail-on: {tripped} findings at high severity"))
    );
    assert_eq!(
        outcome.written,
        ["rules.auto.tfvars", "report.md", "report.html"].map(|n| dir
            .path()
            .join(n)
            .display()
            .to_string())
    );
}

/// `--threads`: one worker or several read the same evidence, so every
/// output is the same.
#[test]
fn one_reader_thread_or_four_give_the_same_outputs() {
    let one = tempfile::tempdir().unwrap();
    let four = tempfile::tempdir().unwrap();
    for (dir, threads) in [(&one, 1), (&four, 4)] {
        let mut cfg = sample_config(dir.path());
        cfg.threads = Some(threads);
        cfg.fail_on = None;
        let outcome = run(&cfg).expect("the sample's run");
        assert!(outcome.analysis.stats.used > 0);
    }
    for name in ["rules.auto.tfvars", "report.md", "report.html"] {
        assert_eq!(
            read(one.path().join(name)),
            read(four.path().join(name)),
            "{name}: --threads 1 and --threads 4 differ"
        );
    }
}
