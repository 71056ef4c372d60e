//! Shared AWS plumbing for the sources and the inventory: configuration from
//! the standard chain, and errors that name the call and what to check.
//!
//! - `profiles.rs`: the shared config and credentials files, and a
//!   `--profile` they do not define;
//! - `credentials.rs`: credentials that cannot be found, said with where
//!   sgpair looked and the fix;
//! - `errors.rs`: a failed call, named, with the service's code and a hint;
//! - `jobs.rs`: bounded concurrent reads and pagination;
//! - `interrupt.rs`: Ctrl-C during a wait on queries run in a service
//!   (Athena, Logs Insights);
//! - `roles.rs`: other accounts, through a role assumed in each;
//! - `quotas.rs`: the rules-per-group and groups-per-interface quotas from
//!   Service Quotas.

mod credentials;
mod errors;
mod interrupt;
mod jobs;
mod profiles;
pub mod quotas;
mod roles;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

pub use credentials::NoCredentials;
use credentials::check_credentials;
pub use errors::{CallError, call_error, is_expired_token, source_chain};
pub use interrupt::Interrupt;
pub use jobs::{TOKEN_RESTARTS, paginate, read_bounded};
pub use profiles::{SharedFiles, UnknownProfile};
pub use roles::assume;

/// Where the credentials and region come from: `--profile`, `--region`, then
/// the standard chain (environment, shared config, SSO, instance roles).
/// `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) are
/// honoured, which is how the tests reach an emulator.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// How long one attempt of a call may take (`--aws-timeout`); a stalled
    /// connection then fails the attempt and the retry policy tries again.
    pub attempt_timeout: Duration,
}

/// `--aws-timeout`'s default.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// Attempts per AWS call when the environment does not say otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

pub async fn load_config(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    // Throttling, 5xx and dropped connections are retried with exponential
    // backoff and jitter: 8 attempts unless AWS_MAX_ATTEMPTS / AWS_RETRY_MODE
    // (read by aws-config) say otherwise.
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none()
        && std::env::var_os("AWS_RETRY_MODE").is_none()
    {
        loader =
            loader.retry_config(RetryConfig::standard().with_max_attempts(DEFAULT_MAX_ATTEMPTS));
    }
    loader = loader.timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(opts.attempt_timeout)
            .build(),
    );
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    loader.load().await
}

/// The configuration for a run that calls AWS, checked before any call: the
/// profile sgpair was told to use exists, and credentials can be loaded. A
/// failure says what is missing, where sgpair looked, and how to fix it.
pub async fn connect(opts: &AwsOptions) -> anyhow::Result<SdkConfig> {
    let shared = SharedFiles::locate();
    shared.check_profile(opts)?;
    let config = load_config(opts).await;
    check_credentials(&config, opts, &shared).await?;
    Ok(config)
}

/// How long loading credentials may take before sgpair gives up: what the
/// SDK's own credentials cache allows (5 s). Instance metadata that does
/// not answer (not on EC2) takes this long.
pub const CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(5);

/// The S3 client. Emulators and custom endpoints need path-style addressing.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let path_style =
        config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

#[cfg(test)]
mod tests;
