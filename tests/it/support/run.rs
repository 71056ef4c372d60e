//! Running the sgpair binary under test (`CARGO_BIN_EXE_sgpair`): the one
//! place that starts it. `sgpair(args)` sets a run up, `run()` runs it to
//! its end, and `run_with(dir)` keeps the folder that holds its outputs with
//! the result.

use std::cell::OnceCell;
use std::ffi::{OsStr, OsString};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::outputs::{TfRule, read, v2_rules};

/// The repository's folder: the bundled sample and the fixtures are found
/// from here, and runs start here unless told otherwise.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A run of the binary being set up. It runs in the repository's folder
/// unless `cwd` says otherwise, and without `RUST_LOG` from the test's
/// environment (log lines would mix with the messages the tests read).
#[must_use]
pub struct Sgpair {
    args: Vec<OsString>,
    cwd: PathBuf,
    env: Vec<(OsString, Option<OsString>)>,
    env_clear: bool,
    umask: Option<String>,
}

/// `sgpair` with these arguments.
pub fn sgpair<I, S>(args: I) -> Sgpair
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Sgpair {
        args: Vec::new(),
        cwd: repo(),
        env: Vec::new(),
        env_clear: false,
        umask: None,
    }
    .args(args)
}

impl Sgpair {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = dir.as_ref().to_path_buf();
        self
    }

    /// Runs under this umask (`sh -c 'umask MASK && exec sgpair ...'`).
    pub fn umask(mut self, mask: &str) -> Self {
        self.umask = Some(mask.to_string());
        self
    }

    /// Runs the binary to its end. A panic is never what a test expects:
    /// it fails here, whatever the test checks next.
    pub fn run(self) -> Out {
        self.run_until(None::<fn() -> bool>)
    }

    /// Runs the binary and, once `ready` says so (polled every 20 ms, at
    /// most 60 s), sends it SIGINT, as Ctrl-C would; then waits for its end.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    pub fn run_interrupted(self, ready: impl Fn() -> bool) -> Out {
        self.run_until(Some(ready))
    }

    fn run_until(self, ready: Option<impl Fn() -> bool>) -> Out {
        let bin = env!("CARGO_BIN_EXE_sgpair");
        let mut cmd = self.command();
        let started = Instant::now();
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
        if let Some(ready) = ready {
            while !ready() {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(60),
                    "sgpair {:?} never got ready to be interrupted",
                    self.args
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let sent = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill runs");
            assert!(sent.success(), "SIGINT sent");
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
        let took = started.elapsed();
        let out = Out {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
            took,
            json: OnceCell::new(),
        };
        assert_ne!(
            out.code,
            Some(101),
            "sgpair {:?} panicked:\n{}",
            self.args,
            out.stderr
        );
        out
    }

    fn command(&self) -> Command {
        let bin = env!("CARGO_BIN_EXE_sgpair");
        let mut cmd = match &self.umask {
            None => Command::new(bin),
            Some(mask) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("umask {mask} && exec \"$0\" \"$@\""))
                    .arg(bin);
                sh
            }
        };
        cmd.args(&self.args).current_dir(&self.cwd);
        if self.env_clear {
            cmd.env_clear();
        } else {
            cmd.env_remove("RUST_LOG");
        }
        for (key, value) in &self.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        cmd
    }

    /// Runs with stdout a pipe whose reader is gone before the run prints
    /// (as `sgpair ... | head -c 0` would leave it): the exit code and stderr.
    pub fn run_with_stdout_closed(self) -> (Option<i32>, String) {
        let mut child = self
            .command()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("cannot run sgpair");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("sgpair's end");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs, and keeps `dir`, the folder of the run's outputs, with the result.
    pub fn run_with(self, dir: tempfile::TempDir) -> Run {
        Run {
            out: self.run(),
            dir,
        }
    }
}

/// The environment of the run; only the tests of the AWS paths (the `aws`
/// feature) set it.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
impl Sgpair {
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    pub fn envs(mut self, vars: &[(&str, &str)]) -> Self {
        for (k, v) in vars {
            self = self.env(k, v);
        }
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    /// Nothing from the test's environment: only the variables set here.
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self
    }
}

/// What a finished run said: its exit code and both streams.
#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// From start to exit.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    pub took: Duration,
    json: OnceCell<Json>,
}

impl Out {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Asserts that the run succeeded; both streams in the message.
    pub fn ok(&self) -> &Self {
        self.exits(0)
    }

    /// Asserts the exit code; both streams in the message.
    pub fn exits(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "sgpair's exit code\n--- stderr\n{}\n--- stdout\n{}",
            self.stderr,
            self.stdout
        );
        self
    }

    /// The JSON report on stdout (runs made with `--json`).
    pub fn json(&self) -> &Json {
        self.json.get_or_init(|| {
            serde_json::from_str(&self.stdout)
                .unwrap_or_else(|e| panic!("--json printed no JSON ({e}):\n{}", self.stdout))
        })
    }

    /// The one-line summary on stderr (`read N records from ...`).
    pub fn summary(&self) -> &str {
        self.stderr
            .lines()
            .find(|l| l.starts_with("read "))
            .unwrap_or_else(|| panic!("no summary line on stderr:\n{}", self.stderr))
    }
}

/// A finished run, and the temporary folder that holds its outputs (gone
/// when the run is dropped).
pub struct Run {
    pub out: Out,
    pub dir: tempfile::TempDir,
}

impl Deref for Run {
    type Target = Out;

    fn deref(&self) -> &Out {
        &self.out
    }
}

impl Run {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// An output's text; a missing file fails the test, with the run's stderr.
    pub fn file(&self, name: &str) -> String {
        let path = self.path(name);
        assert!(
            path.is_file(),
            "{name} was not written\n--- stderr\n{}",
            self.stderr
        );
        read(path)
    }

    /// `rules.auto.tfvars`.
    pub fn tfvars(&self) -> String {
        self.file("rules.auto.tfvars")
    }

    /// `report.md`, where runs made with `infer` here write the report.
    pub fn report(&self) -> String {
        self.file("report.md")
    }

    /// The module 2 rules of the tfvars, read as terraform would.
    pub fn rules(&self) -> Vec<TfRule> {
        v2_rules(&self.tfvars())
    }
}

/// `sgpair infer` over `logs` with `inventory`, from `cwd` (where relative
/// paths start), over the week that ends at [`super::UNTIL`], writing
/// `rules.auto.tfvars` and `report.md` into a fresh folder; and `extra`.
pub fn infer(cwd: &Path, logs: &[&Path], inventory: &Path, extra: &[&str]) -> Run {
    infer_with(cwd, logs, inventory, extra, |cmd| cmd)
}

/// [`infer`], the run set up further by `setup` (its environment).
pub fn infer_with(
    cwd: &Path,
    logs: &[&Path],
    inventory: &Path,
    extra: &[&str],
    setup: impl FnOnce(Sgpair) -> Sgpair,
) -> Run {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut cmd = sgpair(["infer"]).cwd(cwd);
    for l in logs {
        cmd = cmd.arg("--logs").arg(l);
    }
    let cmd = cmd
        .arg("--inventory")
        .arg(inventory)
        .args(["--since", "7d", "--until", super::UNTIL])
        .arg("--out")
        .arg(dir.path().join("rules.auto.tfvars"))
        .arg("--report")
        .arg(dir.path().join("report.md"))
        .args(extra);
    setup(cmd).run_with(dir)
}
