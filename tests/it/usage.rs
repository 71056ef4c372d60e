//! What a user meets first, through the real binary: exit codes of bad flag
//! values (2, a usage error), each command's help, the error when AWS
//! credentials are missing (no credentials, an unknown profile, an SSO
//! session that expired), and the modes of the files sgpair writes.

use std::path::Path;
#[cfg(feature = "aws")]
use std::path::PathBuf;
#[cfg(feature = "aws")]
use std::time::Duration;

use crate::support::{Out, UNTIL, sgpair};

/// `sgpair args` from the repository folder.
fn run(args: &[&str]) -> Out {
    sgpair(args).run()
}

/// `infer` on the bundled sample with `extra` (and `--until UNTIL` unless
/// `extra` has its own), outputs into `dir`.
fn sample_args(dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "infer",
        "--logs",
        "sample-logs/flow-logs",
        "--inventory",
        "sample-logs/inventory.json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if !extra.contains(&"--until") {
        args.extend(["--until".to_string(), UNTIL.to_string()]);
    }
    args.push("--out".into());
    args.push(dir.join("rules.auto.tfvars").display().to_string());
    args.push("--report".into());
    args.push(dir.join("report.md").display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

// ---------------------------------------------------------------------------
// Exit codes and help

#[test]
fn every_invalid_flag_value_is_a_usage_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--since", "banana"],
            "invalid value 'banana' for '--since <SINCE>'",
        ),
        (
            &["--until", "nonsense"],
            "invalid value 'nonsense' for '--until <UNTIL>'",
        ),
        (
            &["--since", "9999999999999999999s"],
            "invalid value '9999999999999999999s' for '--since <SINCE>'",
        ),
        (
            &["--log-format", "srcaddr dstaddr"],
            "the format lacks srcport, dstport, protocol, start, action",
        ),
        (
            &["--log-format", "banana split"],
            "invalid value 'banana split' for '--log-format <FIELDS>': no flow-log field names in it",
        ),
        (
            &["--concurrency", "0"],
            "invalid value '0' for '--concurrency <N>'",
        ),
        (&["--threads", "0"], "invalid value '0' for '--threads <N>'"),
        (
            &["--fail-on", "severe"],
            "invalid value 'severe' for '--fail-on <SEVERITY>'",
        ),
        (
            &["--module-version", "3"],
            "invalid value '3' for '--module-version <MODULE_VERSION>'",
        ),
        (
            &["--since", "2026-11-26T00:00:00Z"],
            "the window is empty: --since (2026-11-26T00:00:00Z) is not before --until \
             (2026-11-25T00:00:00Z)",
        ),
        // A window of no second is as empty: it would read everything and
        // then say there is no evidence.
        (
            &["--since", "2026-11-25T00:00:00Z"],
            "the window is empty: --since (2026-11-25T00:00:00Z) is not before --until",
        ),
        (
            &["--since", "0d"],
            "the window is empty: --since (2026-11-25T00:00:00Z) is not before --until",
        ),
        // The same instant with an offset.
        (
            &["--since", "2026-11-25T05:00:00+05:00"],
            "the window is empty: --since (2026-11-25T00:00:00Z) is not before --until",
        ),
        (
            &["--since", "2026-11-20T00:00:60Z"],
            "invalid value '2026-11-20T00:00:60Z' for '--since <SINCE>': 2026-11-20T00:00:60Z: \
             second 60 is not one",
        ),
    ];
    for (extra, expected) in cases {
        let args = sample_args(dir.path(), extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        let stderr = &out.stderr;
        assert_eq!(out.code, Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{extra:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{extra:?} panicked: {stderr}");
        // A usage line, where there is one, is the command's, found by
        // clap or after it.
        assert!(
            !stderr.contains("Usage:") || stderr.contains("Usage: sgpair infer "),
            "{extra:?}: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a usage error writes nothing"
    );

    // `audit` and `generate` check their values the same way.
    let out = run(&[
        "audit",
        "--logs",
        "sample-logs/flow-logs",
        "--since",
        "banana",
    ]);
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(2), "{stderr}");
    assert!(stderr.contains("'--since <SINCE>'"), "{stderr}");
    let target = dir.path().join("g.log").display().to_string();
    for (extra, expected) in [
        (["--enis", "3"], "invalid value '3' for '--enis <N>'"),
        (["--hours", "0"], "invalid value '0' for '--hours <H>'"),
        (
            ["--start", "yesterday"],
            "invalid value 'yesterday' for '--start <TIME>'",
        ),
    ] {
        let mut args = vec!["generate", "--out", target.as_str(), "--records", "10"];
        args.extend(extra);
        let out = run(&args);
        let stderr = &out.stderr;
        assert_eq!(out.code, Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
    // The values that are valid still work.
    let args = sample_args(dir.path(), &["--since", "7d", "-q"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(0), "{stderr}");
}

/// RFC 3339 as the help says: an offset (converted to UTC) and a lowercase
/// `t` or `z` are the same instants as their UTC spelling.
#[test]
fn times_with_an_offset_or_in_lowercase_are_read_as_utc() {
    let dir = tempfile::tempdir().unwrap();
    let args = sample_args(
        dir.path(),
        &[
            "--since",
            "2026-11-18T05:30:00+05:30",
            "--until",
            "2026-11-24t19:00:00-05:00",
        ],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        report.contains("- **Window:** 2026-11-18T00:00:00Z..2026-11-25T00:00:00Z"),
        "{report}"
    );
}

/// The `--long` options a help text lists.
fn options(help: &str) -> Vec<String> {
    let mut out: Vec<String> = help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| {
            l.split([' ', ','])
                .find(|w| w.starts_with("--"))
                .map(String::from)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn each_command_help_lists_only_its_own_options() {
    let out = run(&["audit", "--help"]);
    assert_eq!(out.code, Some(0));
    let audit = out.stdout.clone();
    let out = run(&["infer", "--help"]);
    assert_eq!(out.code, Some(0));
    let infer = out.stdout.clone();
    let audit_opts = options(&audit);
    let infer_opts = options(&infer);
    // What only `infer` writes or keeps: the tfvars, the Terraform folder,
    // the state, the quota.
    const INFER_ONLY: [&str; 10] = [
        "--out",
        "--module-version",
        "--out-dir",
        "--terraform",
        "--module-name",
        "--state",
        "--keep",
        "--soak",
        "--rule-quota",
        "--groups-per-interface",
    ];
    for infer_only in INFER_ONLY {
        assert!(
            infer_opts.iter().any(|o| o == infer_only),
            "{infer_only} missing from infer --help:\n{infer}"
        );
        assert!(
            !audit_opts.iter().any(|o| o == infer_only),
            "{infer_only} in audit --help:\n{audit}"
        );
    }
    // Everything else is shared.
    let shared: Vec<&String> = infer_opts
        .iter()
        .filter(|o| !INFER_ONLY.contains(&o.as_str()))
        .collect();
    assert_eq!(shared, audit_opts.iter().collect::<Vec<_>>());
    for o in [
        "--logs",
        "--log-group",
        "--s3",
        "--inventory",
        "--since",
        "--until",
        "--report",
        "--html",
        "--sarif",
        "--fail-on",
        "--help",
    ] {
        assert!(audit_opts.iter().any(|a| a == o), "{o}:\n{audit}");
    }

    // `audit --out` is refused, not ignored.
    let out = run(&[
        "audit",
        "--logs",
        "sample-logs/flow-logs",
        "--out",
        "x.tfvars",
    ]);
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(2), "{stderr}");
    assert!(stderr.contains("unexpected argument '--out'"), "{stderr}");
}

// ---------------------------------------------------------------------------
// Outputs: all or none

/// The names in `dir`, sorted (temporary files included).
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A run that fails at its outputs leaves every earlier output as it was:
/// a missing folder (found when writing: exit code 1), and an output that
/// names a folder (a usage error found when staged: exit code 2; renamed
/// last, it would otherwise fail after the others were replaced).
#[test]
fn a_failed_write_leaves_every_earlier_output_as_it_was() {
    let cases = [
        ("missing/x.sarif", 1, "missing/x.sarif"),
        (
            "s.sarif",
            2,
            "s.sarif, a folder: give a file path (nothing was written)",
        ),
    ];
    for (sarif, code, said) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut names = vec!["report.html", "report.md", "rules.auto.tfvars"];
        for f in &names {
            std::fs::write(dir.path().join(f), "OLD").unwrap();
        }
        if code == 2 {
            std::fs::create_dir(dir.path().join(sarif)).unwrap();
            names.push(sarif);
        }
        let html = dir.path().join("report.html").display().to_string();
        let sarif = dir.path().join(sarif).display().to_string();
        let out = sgpair(sample_args(
            dir.path(),
            &["--since", "7d", "-q", "--html", &html, "--sarif", &sarif],
        ))
        .run();
        out.exits(code);
        assert!(out.stderr.contains(said), "{}", out.stderr);
        for f in ["rules.auto.tfvars", "report.md", "report.html"] {
            assert_eq!(
                std::fs::read_to_string(dir.path().join(f)).unwrap(),
                "OLD",
                "{f} was replaced by a run that failed"
            );
        }
        assert_eq!(names_in(dir.path()), names);
    }
}

/// With `--json`, a run that fails prints its error as the one JSON
/// document on stdout, with the exit code and a kind a script can branch
/// on; stderr says the same in words.
#[test]
fn with_json_a_failed_run_prints_its_error_as_a_json_document() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], i32, &str, &str); 4] = [
        (
            &["--since", "7d", "--inventory", "no-such-inventory.json"],
            1,
            "error",
            "cannot read the inventory no-such-inventory.json",
        ),
        (
            &["--since", "banana"],
            2,
            "usage",
            "invalid value 'banana' for '--since <SINCE>'",
        ),
        (
            &[
                "--since",
                "2026-11-25T00:00:00Z",
                "--until",
                "2026-11-24T00:00:00Z",
            ],
            2,
            "usage",
            "the window is empty",
        ),
        (
            &["--since", "7d", "--rule-quota", "1"],
            5,
            "over quota",
            "over",
        ),
    ];
    for (extra, code, kind, said) in cases {
        let mut args = sample_args(dir.path(), extra);
        args.push("--json".into());
        let out = sgpair(args).run();
        out.exits(code);
        let e = &out.json()["error"];
        assert_eq!(e["exit_code"], code, "{extra:?}: {e}");
        assert_eq!(e["kind"], kind, "{extra:?}: {e}");
        let message = e["message"].as_str().unwrap();
        assert!(message.contains(said), "{extra:?}: {message}");
        assert_eq!(out.json()["format_version"], 1);
        assert!(out.stderr.contains("error: "), "{}", out.stderr);
    }
    assert_eq!(names_in(dir.path()), Vec::<String>::new());
}

/// `-q` leaves out the account of the run, not its warnings: a window the
/// logs do not fill is still said.
#[test]
fn quiet_keeps_the_warnings_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = sgpair(sample_args(dir.path(), &["--since", "30d", "-q"])).run();
    out.ok();
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(
        lines[0].starts_with("warning: the window is not filled: "),
        "{}",
        out.stderr
    );
}

/// SGP013 (a source that does not fill the window) names the source as it
/// was given, and fingerprints it however its path was spelled.
#[test]
fn a_source_s_fingerprint_does_not_depend_on_how_its_path_is_spelled() {
    let dir = tempfile::tempdir().unwrap();
    let absolute = crate::support::repo().join("sample-logs/flow-logs");
    let mut seen = Vec::new();
    for logs in [
        "sample-logs/flow-logs".to_string(),
        "./sample-logs/flow-logs".to_string(),
        absolute.display().to_string(),
    ] {
        let sarif = dir.path().join("f.sarif");
        let mut args = sample_args(dir.path(), &["--since", "30d", "-q", "--sarif"]);
        args.push(sarif.display().to_string());
        let at = args
            .iter()
            .position(|a| a == "sample-logs/flow-logs")
            .unwrap();
        args[at] = logs.clone();
        sgpair(args).run().ok();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
        let results = v["runs"][0]["results"].as_array().unwrap();
        let sgp013: Vec<&serde_json::Value> =
            results.iter().filter(|r| r["ruleId"] == "SGP013").collect();
        assert_eq!(sgp013.len(), 1, "{logs}: {results:?}");
        let text = sgp013[0]["message"]["text"].as_str().unwrap();
        assert!(text.contains(&logs), "{logs}: {text}");
        seen.push(sgp013[0]["partialFingerprints"]["sgpair/v1"].clone());
    }
    assert!(seen[0].is_string(), "{seen:?}");
    assert!(seen.iter().all(|f| *f == seen[0]), "{seen:?}");
}

/// Logs (`RUST_LOG`) to a stderr that is not a terminal carry no colour
/// codes: a file of them stays text.
#[test]
fn logs_to_a_file_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = sgpair(sample_args(dir.path(), &["--since", "7d", "-q"]))
        .env("RUST_LOG", "sgpair=debug")
        .run();
    out.ok();
    assert!(out.stderr.contains("DEBUG"), "{}", out.stderr);
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
}

/// A reader that stops reading (`sgpair --json | head`) leaves the run's
/// exit code as it was: no panic, no code 101.
#[test]
fn a_reader_that_stops_reading_stdout_does_not_change_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr) = sgpair(sample_args(dir.path(), &["--since", "7d", "-q", "--json"]))
        .run_with_stdout_closed();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(dir.path().join("rules.auto.tfvars").exists());
}

/// An output that names an input, or the same file as another output, is
/// refused before anything is written: the input stays whole.
#[test]
fn an_output_may_not_replace_an_input_or_another_output() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.json");
    std::fs::copy("sample-logs/inventory.json", &inventory).unwrap();
    let before = std::fs::read(&inventory).unwrap();
    let log = dir.path().join("eni.log");
    std::fs::copy(
        "sample-logs/flow-logs/cloudwatch/eni-05bfd15c7d9ac1e2b-all.log",
        &log,
    )
    .unwrap();
    let (inv, log_arg) = (inventory.display().to_string(), log.display().to_string());
    let other = dir.path().join("other.md").display().to_string();
    let run = |out: &str, report: &str| {
        sgpair([
            "infer",
            "--logs",
            &log_arg,
            "--inventory",
            &inv,
            "--since",
            "7d",
            "--until",
            UNTIL,
            "-q",
            "--out",
            out,
            "--report",
            report,
        ])
        .run()
    };
    let as_report = run(&other, &inv);
    as_report.exits(2);
    assert!(
        as_report.stderr.contains("--report names ")
            && as_report
                .stderr
                .contains("which this run reads (--inventory)"),
        "{}",
        as_report.stderr
    );
    assert_eq!(
        std::fs::read(&inventory).unwrap(),
        before,
        "the inventory was replaced"
    );
    let as_out = run(&log_arg, &other);
    as_out.exits(2);
    assert!(
        as_out.stderr.contains("which this run reads (--logs)"),
        "{}",
        as_out.stderr
    );
    let twice = run(&other, &other);
    twice.exits(2);
    assert!(
        twice.stderr.contains("--out and --report both name "),
        "{}",
        twice.stderr
    );
    assert_eq!(names_in(dir.path()), ["eni.log", "inventory.json"]);
}

/// `--out-dir` and `--terraform` name a folder after each account: an
/// account id that is not one (here a path up and out) is refused, and no
/// file lands outside the folders given.
#[test]
fn an_account_id_that_is_not_12_digits_names_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.json");
    let text = std::fs::read_to_string("sample-logs/inventory.json").unwrap();
    assert!(text.contains("123456789012"));
    std::fs::write(&inventory, text.replace("123456789012", "../../escaped")).unwrap();
    let inner = dir.path().join("a/b");
    std::fs::create_dir_all(&inner).unwrap();
    let out = sgpair([
        "infer",
        "--logs",
        "sample-logs/flow-logs",
        "--inventory",
        &inventory.display().to_string(),
        "--since",
        "7d",
        "--until",
        UNTIL,
        "-q",
        // The logs name the real account: its evidence is not the
        // inventory's account's, which would stop the run first.
        "--allow-empty",
        "--out-dir",
        &inner.display().to_string(),
        "--report",
        &dir.path().join("r.md").display().to_string(),
        "--terraform",
        &dir.path().join("a/tf").display().to_string(),
    ])
    .run();
    out.exits(1);
    assert!(
        out.stderr
            .contains("the account id \"../../escaped\" is not 12 digits"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("escaped").exists());
    assert_eq!(names_in(dir.path()), ["a", "inventory.json"]);
    assert_eq!(names_in(&inner), Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// File modes

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// `infer` on the sample under a given umask, writing into `dir`.
#[cfg(unix)]
fn infer_with_umask(umask: &str, dir: &Path, extra: &[&str]) {
    let mut args = sample_args(dir, &["--since", "7d", "-q"]);
    args.extend(extra.iter().map(|s| s.to_string()));
    sgpair(&args).umask(umask).run().ok();
}

#[cfg(unix)]
#[test]
fn new_outputs_get_the_umask_mode_and_existing_ones_keep_theirs() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let html_arg = html.display().to_string();
    let extra = ["--html", html_arg.as_str()];

    // New files: what a plain write gives, 0666 less the umask.
    infer_with_umask("022", dir.path(), &extra);
    for f in ["rules.auto.tfvars", "report.md", "report.html"] {
        assert_eq!(mode(&dir.path().join(f)), 0o644, "{f}");
    }
    let dir2 = tempfile::tempdir().unwrap();
    infer_with_umask("027", dir2.path(), &[]);
    assert_eq!(mode(&dir2.path().join("report.md")), 0o640);
    assert_eq!(mode(&dir2.path().join("rules.auto.tfvars")), 0o640);

    // Existing files keep their mode whatever the umask.
    let report = dir.path().join("report.md");
    let tfvars = dir.path().join("rules.auto.tfvars");
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::set_permissions(&tfvars, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&html, std::fs::Permissions::from_mode(0o604)).unwrap();
    std::fs::write(&report, "old report").unwrap();
    infer_with_umask("077", dir.path(), &extra);
    assert_eq!(mode(&report), 0o640);
    assert_eq!(mode(&tfvars), 0o644);
    assert_eq!(mode(&html), 0o604);
    assert_ne!(std::fs::read_to_string(&report).unwrap(), "old report");
    // Nothing left behind but the three outputs.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

// ---------------------------------------------------------------------------
// Credentials

/// A machine with no AWS credentials anywhere: an empty HOME, shared files
/// at given paths (absent unless written), no AWS_* variables, and instance
/// metadata disabled unless `imds` names an endpoint.
#[cfg(feature = "aws")]
struct NoCredentials {
    root: tempfile::TempDir,
}

#[cfg(feature = "aws")]
impl NoCredentials {
    fn new() -> NoCredentials {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("home")).unwrap();
        NoCredentials { root }
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("aws-config")
    }

    fn credentials(&self) -> PathBuf {
        self.root.path().join("aws-credentials")
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// `sgpair infer --logs sample-logs/flow-logs --since 7d` and `extra`,
    /// without --inventory (so the inventory is read from EC2).
    fn infer(&self, extra: &[&str], env: &[(&str, &str)]) -> Out {
        let out = sgpair(["infer", "--logs", "sample-logs/flow-logs", "--since", "7d"])
            .arg("--out")
            .arg(self.root.path().join("rules.auto.tfvars"))
            .arg("--report")
            .arg(self.root.path().join("report.md"))
            .args(extra)
            .env_clear()
            .env("HOME", self.home())
            .env("AWS_CONFIG_FILE", self.config())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.credentials())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(env)
            .run();
        assert!(
            !self.root.path().join("report.md").exists(),
            "a failed run writes nothing"
        );
        out
    }
}

#[cfg(feature = "aws")]
#[test]
fn no_credentials_says_so_where_sgpair_looked_and_the_fix() {
    let m = NoCredentials::new();
    let out = m.infer(&[], &[]);
    let stderr = &out.stderr;
    let took = out.took;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: no AWS credentials found\n"),
        "{stderr}"
    );
    for expected in [
        "sgpair looked in:",
        "environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set",
        &format!(
            "shared files: {} (missing), {} (missing); profile \"default\" is not defined there",
            m.config().display(),
            m.credentials().display()
        ),
        "SSO: profile \"default\" has no sso_session or sso_start_url",
        "container credentials (ECS, EKS): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI not set",
        "EC2 instance metadata (IMDS): skipped: AWS_EC2_METADATA_DISABLED=true",
        "--inventory FILE",
        "--profile NAME",
        "aws sso login",
    ] {
        assert!(stderr.contains(expected), "{expected:?} missing:\n{stderr}");
    }
    // Not a network fault.
    for wrong in ["check the network", "dispatch failure", "connection failed"] {
        assert!(!stderr.contains(wrong), "{wrong:?}:\n{stderr}");
    }
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // Files that exist but hold another profile: said too.
    std::fs::write(m.config(), "[profile dev]\nregion = eu-west-1\n").unwrap();
    let out = m.infer(&[], &[]);
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "shared files: {}, {} (missing); profile \"default\" is not defined there",
            m.config().display(),
            m.credentials().display()
        )),
        "{stderr}"
    );
}

#[cfg(feature = "aws")]
#[test]
fn instance_metadata_that_never_answers_is_given_up_on_in_seconds() {
    // An endpoint that accepts connections and never answers, as a
    // firewalled 169.254.169.254 does off EC2.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let _server = std::thread::spawn(move || {
        let mut open = Vec::new();
        for s in listener.incoming().take(16).flatten() {
            open.push(s);
        }
        open.len()
    });
    let m = NoCredentials::new();
    let out = m.infer(
        &[],
        &[
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint),
        ],
    );
    let stderr = &out.stderr;
    let took = out.took;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: no AWS credentials found"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("EC2 instance metadata (IMDS): asked {endpoint}")),
        "{stderr}"
    );
    assert!(!stderr.contains("check the network"), "{stderr}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

#[cfg(feature = "aws")]
#[test]
fn an_unknown_profile_is_named_with_the_profiles_there() {
    let m = NoCredentials::new();
    std::fs::write(
        m.config(),
        "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n",
    )
    .unwrap();
    std::fs::write(
        m.credentials(),
        "[ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n",
    )
    .unwrap();
    let out = m.infer(&["--profile", "nosuch"], &[]);
    let stderr = &out.stderr;
    let took = out.took;
    // A flag value that names nothing: a usage error.
    assert_eq!(out.code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: --profile nosuch: no profile named \"nosuch\" in the shared AWS files ({}, {}); profiles there: ci, default, dev",
            m.config().display(),
            m.credentials().display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("--inventory FILE"), "{stderr}");
    assert!(
        stderr.contains("aws configure --profile nosuch"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");

    // The same name from AWS_PROFILE: the same message, an error (1).
    let out = m.infer(&[], &[("AWS_PROFILE", "nosuch")]);
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.contains("error: AWS_PROFILE=nosuch: no profile named \"nosuch\""),
        "{stderr}"
    );

    // Keys in the environment come first in the chain: a stale AWS_PROFILE
    // does not stop them. The run goes on to its first call (here to a
    // closed port, once).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = m.infer(
        &[],
        &[
            ("AWS_PROFILE", "nosuch"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    );
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(!stderr.contains("no profile named"), "{stderr}");
    // The inventory's calls run together: whichever fails first is named.
    assert!(
        stderr.contains("AWS call ec2:Describe") && stderr.contains("failed: connection failed"),
        "{stderr}"
    );
}

#[cfg(feature = "aws")]
#[test]
fn an_sso_profile_without_a_live_session_says_aws_sso_login() {
    let m = NoCredentials::new();
    std::fs::write(
        m.config(),
        "[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = us-east-1\n\
         [sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    // Never logged in: no cached token.
    let out = m.infer(&["--profile", "corp"], &[]);
    let stderr = &out.stderr;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "error: the SSO session of profile \"corp\" has expired or was never started"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("fix: aws sso login --profile corp"),
        "{stderr}"
    );
    assert!(stderr.contains("--inventory FILE"), "{stderr}");

    // Logged in once, and the token expired (the SDK's cache file name is
    // the SHA-1 of the session name: `printf corp | sha1sum`).
    let cache = m.home().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join("ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
        r#"{"accessToken": "expired-token", "expiresAt": "2020-01-01T00:00:00Z", "region": "us-east-1", "startUrl": "https://example.awsapps.com/start"}"#,
    )
    .unwrap();
    let out = m.infer(&["--profile", "corp"], &[]);
    let stderr = &out.stderr;
    let took = out.took;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the SSO session of profile \"corp\" has expired or was never started"),
        "{stderr}"
    );
    assert!(stderr.contains("expired"), "{stderr}");
    assert!(
        stderr.contains("fix: aws sso login --profile corp"),
        "{stderr}"
    );
    assert!(!stderr.contains("check the network"), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}
