//! Terraform for the tests that check the tfvars with terraform itself
//! (the `terraform`, `cli` and `ownership` tests): a root module in a temporary
//! folder, initialised and validated, then planned and applied offline
//! (no provider, no resource, local state) and read back through an output.
//!
//! Needs `terraform` >= 1.3 on PATH; without it the tests fail, they never
//! skip.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The module 2 `rules` variable as skwashd/mutual-security-groups/aws
/// declares it: its type and its validation.
const MODULE_V2_RULES: &str = r#"
variable "rules" {
  type = map(object({
    source_sg_id       = string
    target_sg_id       = string
    from_port          = number
    to_port            = optional(number)
    protocol           = optional(string, "tcp")
    description        = optional(string, "")
    description_source = optional(string, "")
    description_target = optional(string, "")
  }))

  validation {
    condition = alltrue([
      for r in values(var.rules) :
      (r.description != "" && r.description_source == "" && r.description_target == "") ||
      (r.description == "" && r.description_source != "" && r.description_target != "")
    ])
    error_message = "Set description, or both description_source and description_target."
  }
}
"#;

/// A root module that declares only the module 2 `rules` variable, plus
/// `output`: the caller's `summary` output of what terraform made of each entry.
pub fn module_v2_root(output: &str) -> String {
    format!("{MODULE_V2_RULES}{output}")
}

/// The terraform binary on PATH; a missing terraform is a failure, not a skip.
pub fn terraform() -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("terraform"))
        .find(|p| p.is_file())
        .expect("terraform not found on PATH: install terraform >= 1.3 to run this test")
}

/// Runs terraform in `dir`, offline and without prompts.
pub fn tf<I, S>(dir: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(terraform())
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("NO_COLOR", "1")
        .output()
        .expect("terraform runs")
}

/// The exit status and both streams, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs terraform in `dir` and asserts that it succeeded.
pub fn ok(dir: &Path, args: &[&str]) -> Output {
    let o = tf(dir, args);
    assert!(
        o.status.success(),
        "terraform {args:?} failed\n{}",
        text(&o)
    );
    o
}

/// A root module with `root` as `main.tf` and `tfvars` as
/// `rules.auto.tfvars`, initialised and validated.
pub fn workspace(root: &str, tfvars: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("main.tf"), root).unwrap();
    std::fs::write(dir.path().join("rules.auto.tfvars"), tfvars).unwrap();
    ok(dir.path(), &["init", "-input=false", "-backend=false"]);
    ok(dir.path(), &["validate"]);
    dir
}

/// `terraform plan` with the tfvars; the caller checks the outcome.
pub fn plan(dir: &Path) -> Output {
    tf(dir, ["plan", "-input=false", "-var-file=rules.auto.tfvars"])
}

/// Plans, applies (outputs only, local state) and returns the summary output.
pub fn summary(dir: &Path) -> String {
    let p = plan(dir);
    assert!(p.status.success(), "plan failed\n{}", text(&p));
    ok(
        dir,
        &[
            "apply",
            "-input=false",
            "-auto-approve",
            "-var-file=rules.auto.tfvars",
        ],
    );
    let out = ok(dir, &["output", "-raw", "summary"]);
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// `terraform fmt -check` of the tfvars; the caller checks the outcome.
pub fn fmt_check(dir: &Path) -> Output {
    tf(dir, ["fmt", "-check", "-diff", "rules.auto.tfvars"])
}
