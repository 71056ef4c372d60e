//! Reading other accounts: the role `--role-arn` names for an account is
//! assumed (STS AssumeRole from the standard credential chain, with
//! `--external-id` where the role's trust policy asks for one), and the
//! account is read with its own configuration.

use anyhow::{Result, bail};
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

/// The configuration of `account`: `base` with the role's credentials,
/// which are asked for once here so that a role that cannot be assumed is
/// an error naming the account and the role, before any other call.
pub async fn assume(
    base: &SdkConfig,
    arn: &str,
    external_id: Option<&str>,
    account: &str,
) -> Result<SdkConfig> {
    let mut builder = AssumeRoleProvider::builder(arn)
        .session_name("sgpair")
        .configure(base);
    if let Some(id) = external_id {
        builder = builder.external_id(id);
    }
    let provider = builder.build().await;
    if let Err(e) = provider.provide_credentials().await {
        bail!(
            "sts:AssumeRole of {arn} for account {account} failed: {}. Check that the role exists in that account, that its trust policy lets your credentials assume it (and names the external id, when --external-id is given), and that your credentials may call sts:AssumeRole",
            crate::aws::source_chain(&e)
        );
    }
    let shared = SharedCredentialsProvider::new(provider);
    let config = base.to_builder().credentials_provider(shared).build();
    Ok(config)
}
