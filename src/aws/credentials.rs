//! Credentials that cannot be found or have expired: said with where sgpair
//! looked and the fix.

use std::error::Error as StdError;
use std::fmt::Debug;

use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ec2::config::ProvideCredentials;

use super::errors::*;
use super::profiles::*;
use super::*;

/// Loads credentials once, before any call, so that a missing credential
/// says so instead of surfacing as a failed connection on the first call.
pub(super) async fn check_credentials(
    config: &SdkConfig,
    opts: &AwsOptions,
    shared: &SharedFiles,
) -> anyhow::Result<()> {
    let profile = opts
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_string());
    let Some(provider) = config.credentials_provider() else {
        return Err(NoCredentials::new(&profile, shared, Cause::NotFound).into());
    };
    let cause =
        match tokio::time::timeout(CREDENTIALS_TIMEOUT, provider.provide_credentials()).await {
            Ok(Ok(_)) => return Ok(()),
            Err(_) => Cause::TimedOut,
            Ok(Err(e)) => Cause::from_error(&e),
        };
    let cause = match cause {
        Cause::Failed(detail) if shared.uses_sso(&profile) => Cause::Sso(detail),
        other => other,
    };
    Err(NoCredentials::new(&profile, shared, cause).into())
}

/// Why no credentials were loaded.
#[derive(Debug, Clone)]
pub(super) enum Cause {
    /// Every provider of the chain came back empty.
    NotFound,
    /// The chain did not finish within `CREDENTIALS_TIMEOUT`.
    TimedOut,
    /// The profile uses SSO and its token could not be used.
    Sso(String),
    /// A provider found its source but failed to load from it.
    Failed(String),
}

impl Cause {
    fn from_error(e: &CredentialsError) -> Cause {
        match e {
            CredentialsError::CredentialsNotLoaded(_) => Cause::NotFound,
            CredentialsError::ProviderTimedOut(_) => Cause::TimedOut,
            other => Cause::Failed(source_chain(other)),
        }
    }
}

/// No usable AWS credentials: what went wrong, where sgpair looked, the fix.
#[derive(Debug, Clone)]
pub struct NoCredentials {
    pub(super) profile: String,
    cause: Cause,
    pub(super) looked: Vec<String>,
}

impl NoCredentials {
    pub(super) fn new(profile: &str, shared: &SharedFiles, cause: Cause) -> NoCredentials {
        let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
        let env_keys = match (set("AWS_ACCESS_KEY_ID"), set("AWS_SECRET_ACCESS_KEY")) {
            (true, true) => "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set",
            (true, false) => "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
            (false, true) => "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
            (false, false) => "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set",
        };
        let defined = shared.profiles().iter().any(|p| p == profile);
        let sso = if shared.uses_sso(profile) {
            format!("profile {profile:?} uses SSO (its token is in ~/.aws/sso/cache)")
        } else {
            format!("profile {profile:?} has no sso_session or sso_start_url")
        };
        let container = if set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        {
            "AWS_CONTAINER_CREDENTIALS_*_URI is set"
        } else {
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI not set"
        };
        let endpoint = std::env::var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| "http://169.254.169.254".to_string());
        let imds = match (std::env::var("AWS_EC2_METADATA_DISABLED"), &cause) {
            (Ok(v), _) if v.eq_ignore_ascii_case("true") => {
                "skipped: AWS_EC2_METADATA_DISABLED=true".to_string()
            }
            (_, Cause::TimedOut) => format!(
                "asked {endpoint}: no answer within {} s (not on EC2?)",
                CREDENTIALS_TIMEOUT.as_secs()
            ),
            _ => format!("asked {endpoint}: no instance role credentials (not on EC2?)"),
        };
        let looked = vec![
            format!(
                "environment: {env_keys}; AWS_WEB_IDENTITY_TOKEN_FILE {}",
                if set("AWS_WEB_IDENTITY_TOKEN_FILE") {
                    "set"
                } else {
                    "not set"
                }
            ),
            format!(
                "shared files: {}; profile {profile:?} {}",
                shared.describe(),
                if defined {
                    "is defined there"
                } else {
                    "is not defined there"
                }
            ),
            format!("SSO: {sso}"),
            format!("container credentials (ECS, EKS): {container}"),
            format!("EC2 instance metadata (IMDS): {imds}"),
        ];
        NoCredentials {
            profile: profile.to_string(),
            cause,
            looked,
        }
    }
}

impl std::fmt::Display for NoCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.profile;
        match &self.cause {
            Cause::NotFound => write!(f, "no AWS credentials found")?,
            Cause::TimedOut => write!(
                f,
                "no AWS credentials found within {} s",
                CREDENTIALS_TIMEOUT.as_secs()
            )?,
            Cause::Sso(detail) => write!(
                f,
                "the SSO session of profile {p:?} has expired or was never started ({detail})"
            )?,
            Cause::Failed(detail) => write!(f, "AWS credentials could not be loaded: {detail}")?,
        }
        write!(f, "\n  sgpair looked in:")?;
        for l in &self.looked {
            write!(f, "\n    - {l}")?;
        }
        write!(f, "\n  fix: ")?;
        if matches!(self.cause, Cause::Sso(_)) {
            write!(f, "aws sso login --profile {p}, then run sgpair again; ")?;
        }
        write!(
            f,
            "name a profile with credentials (--profile NAME, or aws sso login --profile NAME for SSO); \
             or run offline: --inventory FILE (a snapshot `sgpair inventory` wrote where credentials exist) with --logs PATH"
        )
    }
}

impl StdError for NoCredentials {}
