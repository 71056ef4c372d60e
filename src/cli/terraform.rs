//! `infer --terraform DIR` and `--module-name`: their own flags, turned into
//! [`Terraform`].

use std::path::PathBuf;

use clap::Args;

use sgpair::emit::terraform::{DEFAULT_MODULE_NAME, check_module_name};
use sgpair::run::Terraform;

#[derive(Args)]
pub struct TerraformArgs {
    /// Also write a Terraform root module in DIR that plans as it is:
    /// rules.auto.tfvars; main.tf (the module call), variables.tf and
    /// versions.tf where missing (an existing one is kept); imports.tf for
    /// the proposed rules that exist already; egress.tf for the egress that
    /// group-to-group rules cannot express (both rewritten by every run,
    /// their header alone when there is none; a file of yours is kept).
    /// With --out-dir, one folder per account, DIR/<account>/. Not inside
    /// a --logs folder.
    #[arg(long, value_name = "DIR")]
    terraform: Option<PathBuf>,

    /// The module block's name in main.tf, which every address of
    /// imports.tf uses (module.<NAME>....).
    #[arg(long, value_name = "NAME", requires = "terraform",
          default_value = DEFAULT_MODULE_NAME, value_parser = module_name)]
    module_name: String,
}

fn module_name(s: &str) -> Result<String, String> {
    check_module_name(s).map(|()| s.to_string())
}

impl TerraformArgs {
    pub fn config(self) -> Option<Terraform> {
        self.terraform.map(|dir| Terraform {
            dir,
            module_name: self.module_name,
        })
    }
}
