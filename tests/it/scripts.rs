//! `scripts/test-tools.sh`, the install step of `scripts/test`, run as it
//! runs on a stock Debian or Ubuntu machine: the only `python3` on PATH
//! refuses `pip install` (PEP 668, "externally-managed-environment") and
//! creates virtual environments. moto comes from a local wheel built here
//! (pip's own `PIP_NO_INDEX`/`PIP_FIND_LINKS`), so the test needs no network
//! but runs the real `python3 -m venv` and the real pip of the environment.
//! Needs bash and a python3 with the venv module (Debian: python3-venv); a
//! test fails and says so when one is missing.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::repo;

/// The system Python (Debian's `/usr/bin/python3`), else the first on PATH.
fn real_python() -> PathBuf {
    let system = PathBuf::from("/usr/bin/python3");
    if system.exists() {
        return system;
    }
    which("python3").expect(
        "python3 not found: the install step needs one (apt-get install python3 python3-venv)",
    )
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}

fn write_exe(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A folder for PATH: `python3` behaving like a PEP 668 system Python that
/// logs each call to `calls.log`, and links to the few commands the install
/// step runs. Nothing else: no pip, no moto_server, no chromium.
struct StockMachine {
    root: tempfile::TempDir,
}

impl StockMachine {
    fn new() -> StockMachine {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::create_dir(root.path().join("home")).unwrap();
        let python = real_python();
        write_exe(
            &bin.join("python3"),
            &format!(
                r#"#!/bin/sh
# A system Python under PEP 668.
echo "$*" >> "{log}"
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  echo "error: externally-managed-environment" >&2
  exit 1
fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ] && [ -n "${{FAKE_NO_VENV:-}}" ]; then
  echo "The virtual environment was not created successfully because ensurepip is not available." >&2
  exit 1
fi
exec "{python}" "$@"
"#,
                log = root.path().join("calls.log").display(),
                python = python.display()
            ),
        );
        for tool in [
            "sh", "bash", "env", "mkdir", "rm", "mktemp", "tail", "ln", "sed", "id", "timeout",
        ] {
            let target = which(tool).unwrap_or_else(|| panic!("{tool} not found on PATH"));
            std::os::unix::fs::symlink(target, bin.join(tool)).unwrap();
        }
        StockMachine { root }
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.root.path().join(sub)
    }

    fn tools(&self) -> PathBuf {
        self.path("tools")
    }

    /// Calls made to the system `python3`.
    fn python_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// A wheel named `moto` with a `moto_server` command printing a line,
    /// written by the real Python's zipfile module into `wheels/`.
    fn build_wheel(&self) -> PathBuf {
        let wheels = self.path("wheels");
        std::fs::create_dir_all(&wheels).unwrap();
        let script = r#"
import base64, hashlib, sys, zipfile
files = {
    "moto/__init__.py": "__version__ = '0.0.1'\n",
    "moto/server.py": "def main():\n    print('moto_server from the test wheel')\n",
    "moto-0.0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: moto\nVersion: 0.0.1\nProvides-Extra: server\n",
    "moto-0.0.1.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: sgpair-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    "moto-0.0.1.dist-info/entry_points.txt": "[console_scripts]\nmoto_server = moto.server:main\n",
}
record = []
for name, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{name},sha256={digest},{len(text.encode())}")
record.append("moto-0.0.1.dist-info/RECORD,,")
files["moto-0.0.1.dist-info/RECORD"] = "\n".join(record) + "\n"
with zipfile.ZipFile(sys.argv[1] + "/moto-0.0.1-py3-none-any.whl", "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
"#;
        let out = Command::new(real_python())
            .args(["-c", script])
            .arg(&wheels)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cannot build the test wheel: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        wheels
    }

    /// `bash -c` with the install step sourced, under `set -euo pipefail`,
    /// with only this machine's PATH; pip reads packages from `find_links`.
    fn run(&self, script: &str, find_links: &Path, env: &[(&str, &str)]) -> (Output, String) {
        let out = Command::new(self.path("bin/bash"))
            .arg("-c")
            .arg(format!(
                "set -euo pipefail\nsource scripts/test-tools.sh\n{script}"
            ))
            .current_dir(repo())
            .env_clear()
            .env("PATH", self.path("bin"))
            .env("HOME", self.path("home"))
            .env("SGPAIR_TOOLS", self.tools())
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", find_links)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .envs(env.iter().copied())
            .output()
            .expect("bash runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out, text)
    }
}

#[test]
fn moto_goes_into_a_virtual_environment_on_a_python_that_refuses_pip() {
    let m = StockMachine::new();
    let wheels = m.build_wheel();
    let script = "tools_moto\necho \"found: $(command -v moto_server)\"\nmoto_server";
    let (out, text) = m.run(script, &wheels, &[]);
    assert!(out.status.success(), "{text}");
    let venv = m.tools().join("venv");
    assert!(
        text.contains(&format!(
            "moto: creating a virtual environment at {}",
            venv.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "moto: installing \"moto[server]\" from PyPI into {}",
            venv.display()
        )),
        "{text}"
    );
    // Found on PATH where the script said, and it is the installed one.
    let link = m.tools().join("bin/moto_server");
    assert!(
        text.contains(&format!("found: {}", link.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "moto: {} -> {}/bin/moto_server (moto 0.0.1)",
            link.display(),
            venv.display()
        )),
        "{text}"
    );
    assert!(text.contains("moto_server from the test wheel"), "{text}");
    // The system Python made the environment and was never asked to pip.
    let calls = m.python_calls();
    assert!(calls.iter().any(|c| c.starts_with("-m venv ")), "{calls:?}");
    assert!(
        !calls.iter().any(|c| c.contains("pip")),
        "the system python3 was asked to pip: {calls:?}"
    );
    assert!(!text.contains("externally-managed-environment"), "{text}");

    // A second run reuses the environment: nothing is installed again.
    let (out, text) = m.run(script, &wheels, &[]);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("installing"), "{text}");
    assert!(!text.contains("creating"), "{text}");
    assert!(text.contains("moto_server from the test wheel"), "{text}");
}

#[test]
fn a_failed_moto_install_is_reported_and_the_run_goes_on() {
    let m = StockMachine::new();
    // No wheel anywhere and no index: pip cannot install.
    let empty = m.path("empty");
    std::fs::create_dir(&empty).unwrap();
    let script = "tools_moto\necho \"after the install step\"\ncommand -v moto_server || echo \"moto_server: not on PATH\"";
    let (out, text) = m.run(script, &empty, &[]);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("moto: NOT INSTALLED: pip install into"),
        "{text}"
    );
    assert!(
        text.contains("tests/it/aws.rs and tests/it/aws_faults.rs will fail and say so"),
        "{text}"
    );
    assert!(text.contains("after the install step"), "{text}");
    assert!(text.contains("moto_server: not on PATH"), "{text}");

    // A Python without the venv module (Debian without python3-venv).
    let m = StockMachine::new();
    let (out, text) = m.run(script, &empty, &[("FAKE_NO_VENV", "1")]);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("moto: NOT INSTALLED: python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"),
        "{text}"
    );
    assert!(text.contains("after the install step"), "{text}");
    assert!(
        !m.tools().join("venv").exists(),
        "a broken environment is not left behind"
    );
}

#[test]
fn chromium_is_announced_before_apt_get_and_a_failed_install_does_not_stop_the_run() {
    let m = StockMachine::new();
    let bin = m.path("bin");
    // Root, and an apt-get that records its calls and cannot find the package.
    std::fs::remove_file(bin.join("id")).unwrap();
    write_exe(&bin.join("id"), "#!/bin/sh\necho 0\n");
    write_exe(
        &bin.join("apt-get"),
        &format!(
            "#!/bin/sh\necho \"$*\" >> \"{}\"\n[ \"$1\" = update ] && exit 0\necho 'E: Unable to locate package chromium' >&2\nexit 100\n",
            m.path("apt.log").display()
        ),
    );
    let empty = m.path("empty");
    std::fs::create_dir(&empty).unwrap();
    let (out, text) = m.run(
        "tools_chromium\necho \"after the install step\"",
        &empty,
        &[],
    );
    assert!(out.status.success(), "{text}");
    let announced = text
        .find("chromium: not found; installing Debian's chromium package system-wide:")
        .unwrap_or_else(|| panic!("the install is not announced:\n{text}"));
    let failed = text
        .find("chromium: NOT INSTALLED: apt-get failed")
        .unwrap_or_else(|| panic!("the failure is not reported:\n{text}"));
    assert!(announced < failed, "{text}");
    assert!(
        text.contains("E: Unable to locate package chromium"),
        "{text}"
    );
    assert!(text.contains("after the install step"), "{text}");
    let apt = std::fs::read_to_string(m.path("apt.log")).unwrap();
    assert_eq!(
        apt.lines().collect::<Vec<_>>(),
        [
            "update -qq",
            "install -y -qq --no-install-recommends chromium"
        ],
        "{apt}"
    );

    // Without apt-get at all: said, and the run goes on.
    std::fs::remove_file(bin.join("apt-get")).unwrap();
    let (out, text) = m.run(
        "tools_chromium\necho \"after the install step\"",
        &empty,
        &[],
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("chromium: NOT INSTALLED: not found on PATH and there is no apt-get here"),
        "{text}"
    );
    assert!(text.contains("after the install step"), "{text}");
}
