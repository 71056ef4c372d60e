//! Terraform for the tests that check the tfvars with terraform itself
//! (the `terraform`, `cli` and `ownership` tests): a root module in a temporary
//! folder, initialised and validated, then planned and applied offline
//! (no provider, no resource, local state) and read back through an output.
//!
//! Needs `terraform` >= 1.3 on PATH (1.5 for the `--terraform` folder's
//! import blocks, which also needs the AWS provider: [`plugin_dir`]);
//! without them the tests fail, they never skip.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The headings of the report's Terraform section (`--terraform`), in order,
/// as both the Markdown and the HTML report write them.
pub const SECTION_HEADINGS: [&str; 6] = [
    "The Terraform folder",
    "The change per owner",
    "Rules that exist already (imports.tf)",
    "Groups another tool manages",
    "Egress the module cannot express (egress.tf)",
    "How to roll out",
];

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

/// Where the AWS provider is for `terraform init -plugin-dir` (no registry
/// offline): `SGPAIR_TF_PLUGIN_DIR`, else `/opt/tf-plugins`, laid out as a
/// filesystem mirror (`registry.terraform.io/hashicorp/aws/...`). Missing,
/// the test fails and says how to provide it.
pub fn plugin_dir() -> PathBuf {
    let dir = std::env::var_os("SGPAIR_TF_PLUGIN_DIR")
        .map_or_else(|| PathBuf::from("/opt/tf-plugins"), PathBuf::from);
    assert!(
        dir.join("registry.terraform.io/hashicorp/aws").is_dir(),
        "the AWS provider is not in {}: put hashicorp/aws there as a filesystem mirror \
         (terraform providers mirror DIR, once online) or set SGPAIR_TF_PLUGIN_DIR",
        dir.display()
    );
    dir
}

/// A local module that stands in for skwashd/mutual-security-groups/aws
/// 2.x: the same input variables and the same two resources, for_each over
/// the rules (ingress on the target, egress on the source), so that
/// terraform checks the folder's addresses, imports and types offline.
/// Its `rules` variable is [`MODULE_V2_RULES`]; this is the rest.
const STAND_IN_REST: &str = r#"
variable "tags" {
  type    = map(string)
  default = {}
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each                     = var.rules
  security_group_id            = each.value.target_sg_id
  referenced_security_group_id = each.value.source_sg_id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.from_port
  to_port                      = coalesce(each.value.to_port, each.value.from_port)
  description                  = each.value.description
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each                     = var.rules
  security_group_id            = each.value.source_sg_id
  referenced_security_group_id = each.value.target_sg_id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.from_port
  to_port                      = coalesce(each.value.to_port, each.value.from_port)
  description                  = each.value.description
  tags                         = var.tags
}
"#;

/// The provider set up to plan without AWS: fixed credentials, no calls
/// to check them (a plan that only creates resources reads nothing).
const OFFLINE_PROVIDER: &str = r#"provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}
"#;

/// A copy of the folder sgpair wrote, its module source swapped for the
/// local stand-in (and the version, which a local source cannot have),
/// initialised offline and validated.
pub fn stand_in(folder: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for entry in std::fs::read_dir(folder).expect("the folder") {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let main = dir.path().join("main.tf");
    let text = std::fs::read_to_string(&main).expect("main.tf");
    let swapped: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("version = \"~> 2.0\""))
        .map(|l| {
            if l.trim_start().starts_with("source")
                && l.contains("skwashd/mutual-security-groups/aws")
            {
                "  source = \"./stand-in\"".to_string()
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect();
    assert_ne!(swapped, text, "main.tf calls the registry module");
    std::fs::write(&main, swapped).unwrap();
    std::fs::create_dir(dir.path().join("stand-in")).unwrap();
    std::fs::write(
        dir.path().join("stand-in/main.tf"),
        format!("{MODULE_V2_RULES}{STAND_IN_REST}"),
    )
    .unwrap();
    let plugins = plugin_dir();
    ok(
        dir.path(),
        &[
            "init",
            "-input=false",
            "-backend=false",
            &format!("-plugin-dir={}", plugins.display()),
        ],
    );
    ok(dir.path(), &["validate"]);
    dir
}

/// `terraform plan` of a [`stand_in`] folder with the provider set up to
/// plan offline; its output, asserted to succeed.
pub fn plan_offline(dir: &Path) -> String {
    std::fs::write(dir.join("offline_provider.tf"), OFFLINE_PROVIDER).unwrap();
    let o = ok(dir, &["plan", "-input=false", "-no-color"]);
    String::from_utf8(o.stdout).expect("utf-8 output")
}

/// `terraform plan` of a [`stand_in`] folder against an AWS emulator at
/// `endpoint` (EC2 only: the import blocks read the rules they adopt);
/// its output, asserted to succeed.
#[cfg(feature = "aws")]
pub fn plan_against(dir: &Path, endpoint: &str) -> String {
    let provider = OFFLINE_PROVIDER.replace(
        "  skip_metadata_api_check     = true\n",
        &format!(
            "  skip_metadata_api_check     = true\n\n  endpoints {{\n    ec2 = \"{endpoint}\"\n  }}\n"
        ),
    );
    std::fs::write(dir.join("offline_provider.tf"), provider).unwrap();
    let o = ok(dir, &["plan", "-input=false", "-no-color"]);
    String::from_utf8(o.stdout).expect("utf-8 output")
}

/// `terraform fmt -check` of every file of a folder; asserted to succeed.
pub fn fmt_check_all(dir: &Path) {
    ok(dir, &["fmt", "-check", "-diff", "."]);
}
