//! Shared AWS plumbing for the sources and the inventory: configuration from
//! the standard chain, and errors that name the call and what to check.

use std::error::Error as StdError;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ec2::config::ProvideCredentials;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use indicatif::ProgressBar;
use std::sync::Arc;
use tokio::sync::Semaphore;

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

/// The shared config and credentials files, where the SDK reads them:
/// `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config`
/// and `~/.aws/credentials`.
#[derive(Debug, Clone)]
pub struct SharedFiles {
    pub config: Option<PathBuf>,
    pub credentials: Option<PathBuf>,
    /// Text of each file, `None` when it cannot be read (missing).
    config_text: Option<String>,
    credentials_text: Option<String>,
}

impl SharedFiles {
    pub fn locate() -> SharedFiles {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        let path = |var: &str, default: &str| match std::env::var_os(var) {
            Some(p) if !p.is_empty() => Some(expand_home(Path::new(&p), home.as_deref())),
            _ => home.as_ref().map(|h| h.join(".aws").join(default)),
        };
        let config = path("AWS_CONFIG_FILE", "config");
        let credentials = path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let read = |p: &Option<PathBuf>| p.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
        SharedFiles {
            config_text: read(&config),
            credentials_text: read(&credentials),
            config,
            credentials,
        }
    }

    /// The profiles the two files define, sorted, without duplicates.
    pub fn profiles(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .config_text
            .iter()
            .flat_map(|t| profile_sections(t, true))
            .chain(
                self.credentials_text
                    .iter()
                    .flat_map(|t| profile_sections(t, false)),
            )
            .map(|s| s.name)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Whether the config file's section for `profile` uses IAM Identity
    /// Center (SSO): `sso_session` or `sso_start_url`.
    pub fn uses_sso(&self, profile: &str) -> bool {
        self.config_text.iter().any(|t| {
            profile_sections(t, true)
                .iter()
                .any(|s| s.name == profile && s.keys.iter().any(|k| k.starts_with("sso_")))
        })
    }

    /// `--profile NAME` (or `AWS_PROFILE`) must name a profile of the shared
    /// files; the SDK would otherwise fail on the first call with an error
    /// that looks like a network fault.
    pub fn check_profile(&self, opts: &AwsOptions) -> Result<(), UnknownProfile> {
        // Keys in the environment come first in the chain: a stale
        // AWS_PROFILE does not stop them (an explicit --profile still counts).
        let env_keys = std::env::var_os("AWS_ACCESS_KEY_ID").is_some_and(|v| !v.is_empty());
        let (name, from_flag) = match (&opts.profile, std::env::var("AWS_PROFILE")) {
            (Some(p), _) => (p.clone(), true),
            (None, Ok(p)) if !p.is_empty() && !env_keys => (p, false),
            // The default profile may be absent: the chain then goes on to
            // the environment, containers and instance roles.
            _ => return Ok(()),
        };
        let known = self.profiles();
        if known.contains(&name) {
            return Ok(());
        }
        Err(UnknownProfile {
            name,
            from_flag,
            files: self.describe(),
            known,
        })
    }

    /// `/x/config (missing), /x/credentials` for messages.
    fn describe(&self) -> String {
        let one = |p: &Option<PathBuf>, text: &Option<String>, what: &str| match (p, text) {
            (Some(p), Some(_)) => p.display().to_string(),
            (Some(p), None) if p.exists() => format!("{} (unreadable)", p.display()),
            (Some(p), None) => format!("{} (missing)", p.display()),
            (None, _) => format!("no {what} file (HOME is not set)"),
        };
        format!(
            "{}, {}",
            one(&self.config, &self.config_text, "config"),
            one(&self.credentials, &self.credentials_text, "credentials")
        )
    }
}

/// A `~/` at the start of a path from the environment, as the SDK expands it.
fn expand_home(p: &Path, home: Option<&Path>) -> PathBuf {
    match (p.strip_prefix("~"), home) {
        (Ok(rest), Some(h)) => h.join(rest),
        _ => p.to_path_buf(),
    }
}

/// One profile section of a shared file: its name and the keys it sets.
#[derive(Debug, PartialEq, Eq)]
struct Section {
    name: String,
    keys: Vec<String>,
}

/// The profile sections of a shared config file (`[default]`, `[profile
/// NAME]`) or credentials file (`[NAME]`), as the SDK reads them: other
/// sections (`[sso-session x]`, `[services x]`) are not profiles.
fn profile_sections(text: &str, config_file: bool) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut in_profile = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            in_profile = false;
            let Some(end) = rest.find(']') else { continue };
            let header: Vec<&str> = rest[..end].split_whitespace().collect();
            let name = match (config_file, header.as_slice()) {
                (true, ["default"]) | (true, ["profile", "default"]) => "default",
                (true, ["profile", name]) => *name,
                (false, [name]) => *name,
                _ => continue,
            };
            in_profile = true;
            match out.iter().position(|s| s.name == name) {
                // A repeated section adds to the first, as the SDK merges them.
                Some(i) => {
                    let s = out.remove(i);
                    out.push(s);
                }
                None => out.push(Section {
                    name: name.to_string(),
                    keys: Vec::new(),
                }),
            }
            continue;
        }
        if in_profile
            && let Some((key, _)) = line.split_once('=')
            && let Some(s) = out.last_mut()
        {
            s.keys.push(key.trim().to_ascii_lowercase());
        }
    }
    out
}

/// `--profile NAME` (or `AWS_PROFILE`) names no profile of the shared files.
#[derive(Debug, Clone)]
pub struct UnknownProfile {
    pub name: String,
    /// Given with `--profile` (a usage error) rather than `AWS_PROFILE`.
    pub from_flag: bool,
    files: String,
    known: Vec<String>,
}

impl std::fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = if self.from_flag {
            format!("--profile {}", self.name)
        } else {
            format!("AWS_PROFILE={}", self.name)
        };
        write!(
            f,
            "{given}: no profile named {:?} in the shared AWS files ({})",
            self.name, self.files
        )?;
        if self.known.is_empty() {
            write!(f, "; they define no profile")?;
        } else {
            write!(f, "; profiles there: {}", self.known.join(", "))?;
        }
        write!(
            f,
            "\n  fix: name one of those with --profile, create it (aws configure --profile {n}, or aws configure sso --profile {n}), or run offline with --inventory FILE and --logs PATH",
            n = self.name
        )
    }
}

impl StdError for UnknownProfile {}

/// Loads credentials once, before any call, so that a missing credential
/// says so instead of surfacing as a failed connection on the first call.
async fn check_credentials(
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
enum Cause {
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
    profile: String,
    cause: Cause,
    looked: Vec<String>,
}

impl NoCredentials {
    fn new(profile: &str, shared: &SharedFiles, cause: Cause) -> NoCredentials {
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

/// The S3 client. Emulators and custom endpoints need path-style addressing.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let path_style =
        config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// An AWS call that failed after the SDK's retries: which call, the
/// service's own code and message, and what the user should check. Kept typed
/// (inside `anyhow::Error`) so callers can tell an expired page token from a
/// denied call.
#[derive(Debug, Clone)]
pub struct CallError {
    pub call: String,
    pub code: String,
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AWS call {} failed: {}: {}\n  {}",
            self.call, self.code, self.message, self.hint
        )
    }
}

impl StdError for CallError {}

impl CallError {
    /// The service refused a page token it gave out earlier (tokens expire:
    /// CloudWatch Logs after 24 hours, EC2 and S3 sooner under load). The
    /// listing can be resumed or restarted; nothing else helps.
    pub fn is_expired_token(&self) -> bool {
        let message = self.message.to_ascii_lowercase();
        match self.code.as_str() {
            "InvalidPaginationToken"
            | "InvalidNextToken"
            | "InvalidNextTokenException"
            | "ExpiredNextTokenException"
            | "ExpiredToken.Pagination" => true,
            // CloudWatch Logs and S3 use generic codes; the message names the token.
            "InvalidParameterException" | "InvalidArgument" => {
                message.contains("token") && !message.contains("security token")
            }
            _ => false,
        }
    }
}

/// Whether `err` is (or wraps) an AWS call that failed on an expired page token.
pub fn is_expired_token(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<CallError>())
        .any(CallError::is_expired_token)
}

/// Turns an SDK error into a message that names the call, the service's own
/// code and message, and what the user should check.
pub fn call_error<E, R>(call: &str, iam_action: &str, err: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    let (code, message) = match &err {
        SdkError::ServiceError(s) => (
            s.err().code().unwrap_or("unknown").to_string(),
            s.err().message().unwrap_or("").to_string(),
        ),
        // Credentials that failed to load (an SSO token that expired during
        // the run) surface as a failed dispatch; say what it is.
        other if credentials_failure(other) => ("no credentials".to_string(), source_chain(other)),
        other => (kind(other).to_string(), source_chain(other)),
    };
    let hint = hint(&code, iam_action);
    anyhow::Error::new(CallError {
        call: call.to_string(),
        code,
        message,
        hint,
    })
}

fn kind<E, R>(err: &SdkError<E, R>) -> &'static str {
    match err {
        SdkError::ConstructionFailure(_) => "request not built",
        SdkError::TimeoutError(_) => "timeout",
        SdkError::DispatchFailure(_) => "connection failed",
        SdkError::ResponseError(_) => "unreadable response",
        SdkError::ServiceError(_) => "service error",
        _ => "error",
    }
}

/// Whether a credentials provider's error is among the causes of `err`.
fn credentials_failure(err: &(dyn StdError + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<CredentialsError>().is_some() {
            return true;
        }
        cur = e.source();
    }
    false
}

fn source_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        parts.push(e.to_string());
        cur = e.source();
    }
    // Layers that wrap an error often repeat its words; say them once.
    parts.dedup();
    parts.join(": ")
}

fn hint(code: &str, iam_action: &str) -> String {
    match code {
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" | "Forbidden" => {
            format!("check permissions: the caller needs {iam_action} (README lists every action sgpair uses)")
        }
        "AuthFailure" | "InvalidClientTokenId" | "UnrecognizedClientException" | "ExpiredToken" | "ExpiredTokenException"
        | "InvalidAccessKeyId" | "SignatureDoesNotMatch" => {
            "check credentials: they are missing, expired or wrong (aws sts get-caller-identity; --profile; AWS_PROFILE)".into()
        }
        "ResourceNotFoundException" | "NoSuchBucket" | "NoSuchKey" | "InvalidVpcID.NotFound" => {
            "check the name and the region (--region, AWS_REGION): the resource does not exist there".into()
        }
        "no credentials" => {
            "no usable AWS credentials: name a profile with --profile (aws sso login --profile NAME for SSO), or run offline with --inventory FILE and --logs PATH".into()
        }
        "connection failed" | "timeout" => {
            "check the network, the region (--region) and AWS_ENDPOINT_URL if set".into()
        }
        "request not built" => "check the region (--region or AWS_REGION) and credentials configuration".into(),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException"
        | "SlowDown" | "RequestThrottled" | "LimitExceededException" | "InternalError"
        | "InternalFailure" | "InternalServerError" | "ServiceUnavailable"
        | "ServiceUnavailableException" | "Unavailable" => format!(
            "the service kept refusing after every retry (AWS_MAX_ATTEMPTS, default {DEFAULT_MAX_ATTEMPTS}): try again later, or lower --concurrency"
        ),
        _ => format!("check credentials, region and that the caller may call {iam_action}"),
    }
}

/// Runs one reading job per item (a log stream, an S3 object) with at most
/// `limit` in flight, ticking `pb` per job, and hands each job's result to
/// `done` as it finishes. An error from `done` ends the run (the jobs still
/// running are dropped); `done` decides, through [`crate::partial`], whether
/// a failed job is one.
pub async fn read_bounded<I, T, F, Fut>(
    items: Vec<I>,
    limit: usize,
    what: &'static str,
    pb: &ProgressBar,
    job: F,
    mut done: impl FnMut(anyhow::Result<T>) -> anyhow::Result<()>,
) -> anyhow::Result<()>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>> + Send + 'static,
{
    pb.inc_length(items.len() as u64);
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for item in items {
        let (permits, pb, fut) = (permits.clone(), pb.clone(), job(item));
        tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .context("the request limiter closed")?;
            let result = fut.await;
            pb.inc(1);
            result
        });
    }
    while let Some(finished) = tasks.join_next().await {
        done(finished.with_context(|| format!("{what} stopped unexpectedly"))?)?;
    }
    Ok(())
}

/// How many times a listing starts over after its page token expired.
pub const TOKEN_RESTARTS: u32 = 3;

/// Follows a token-paginated API to the end. `fetch(token)` returns one page
/// and the next token; a repeated token is an error rather than a loop. When
/// the service refuses a token it gave out (it expired), the listing starts
/// over from the first page, at most `TOKEN_RESTARTS` times: listings are
/// read-only, so a fresh one is as good as the interrupted one.
pub async fn paginate<T, F, Fut>(call: &str, mut fetch: F) -> anyhow::Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Vec<T>, Option<String>)>>,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = std::collections::HashSet::new();
    let mut restarts = 0;
    loop {
        let (items, next) = match fetch(token.clone()).await {
            Ok(page) => page,
            Err(e) if token.is_some() && is_expired_token(&e) && restarts < TOKEN_RESTARTS => {
                restarts += 1;
                tracing::warn!(
                    call,
                    restarts,
                    "page token expired; listing again from the start"
                );
                out.clear();
                seen.clear();
                token = None;
                continue;
            }
            Err(e) => return Err(e),
        };
        out.extend(items);
        match next.filter(|t| !t.is_empty()) {
            Some(t) => {
                if !seen.insert(t.clone()) {
                    anyhow::bail!(
                        "AWS call {call} returned the same page token twice; stopping instead of looping"
                    );
                }
                token = Some(t);
            }
            None => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paginate_follows_every_page_in_order() {
        let pages = [
            (vec![1, 2], Some("a")),
            (vec![3], Some("b")),
            (vec![4, 5], None),
        ];
        let mut calls = Vec::new();
        let out = paginate("Test", |token: Option<String>| {
            calls.push(token.clone());
            let i = match token.as_deref() {
                None => 0,
                Some("a") => 1,
                Some("b") => 2,
                other => panic!("unexpected token {other:?}"),
            };
            let (items, next) = pages[i].clone();
            async move { Ok((items, next.map(String::from))) }
        })
        .await
        .unwrap();
        assert_eq!(out, vec![1, 2, 3, 4, 5]);
        assert_eq!(calls, vec![None, Some("a".into()), Some("b".into())]);
    }

    #[tokio::test]
    async fn a_repeated_token_is_an_error_not_a_loop() {
        let err = paginate("DescribeThings", |_t: Option<String>| async {
            Ok((vec![1], Some("same".to_string())))
        })
        .await
        .unwrap_err();
        assert!(err.to_string().contains("DescribeThings"), "{err}");
    }

    fn expired(call: &str) -> anyhow::Error {
        anyhow::Error::new(CallError {
            call: call.into(),
            code: "InvalidPaginationToken".into(),
            message: "The pagination token is not valid or is expired.".into(),
            hint: String::new(),
        })
    }

    #[tokio::test]
    async fn an_expired_token_starts_the_listing_over_without_duplicates() {
        let mut calls = Vec::new();
        let mut expired_once = false;
        let out = paginate("DescribeThings", |token: Option<String>| {
            calls.push(token.clone());
            let page = match token.as_deref() {
                None => Ok((vec![1, 2], Some("a".to_string()))),
                Some("a") if !expired_once => {
                    expired_once = true;
                    Err(expired("DescribeThings"))
                }
                Some("a") => Ok((vec![3], None)),
                other => panic!("unexpected token {other:?}"),
            };
            async move { page }
        })
        .await
        .unwrap();
        assert_eq!(out, vec![1, 2, 3]);
        assert_eq!(calls, vec![None, Some("a".into()), None, Some("a".into())]);
    }

    #[tokio::test]
    async fn a_token_that_keeps_expiring_is_an_error_after_the_restarts() {
        let mut calls = 0;
        let err = paginate("DescribeThings", |token: Option<String>| {
            calls += 1;
            let page = match token {
                None => Ok((vec![1], Some("a".to_string()))),
                Some(_) => Err(expired("DescribeThings")),
            };
            async move { page }
        })
        .await
        .unwrap_err();
        assert!(is_expired_token(&err), "{err}");
        assert_eq!(calls, 2 * (TOKEN_RESTARTS as usize + 1));
    }

    #[tokio::test]
    async fn other_errors_are_not_retried_by_the_paginator() {
        let mut calls = 0;
        let err = paginate("DescribeThings", |token: Option<String>| {
            calls += 1;
            let page = match token {
                None => Ok((vec![1], Some("a".to_string()))),
                Some(_) => Err(anyhow::Error::new(CallError {
                    call: "ec2:DescribeThings".into(),
                    code: "UnauthorizedOperation".into(),
                    message: "You are not authorized".into(),
                    hint: hint("UnauthorizedOperation", "ec2:DescribeThings"),
                })),
            };
            async move { page }
        })
        .await
        .unwrap_err();
        assert_eq!(calls, 2);
        assert!(!is_expired_token(&err));
        assert!(
            err.to_string()
                .contains("the caller needs ec2:DescribeThings"),
            "{err}"
        );
    }

    #[test]
    fn expired_tokens_are_told_from_other_bad_parameters() {
        let e = |code: &str, message: &str| CallError {
            call: String::new(),
            code: code.into(),
            message: message.into(),
            hint: String::new(),
        };
        assert!(
            e(
                "InvalidParameterException",
                "The specified nextToken is invalid."
            )
            .is_expired_token()
        );
        assert!(
            e(
                "InvalidArgument",
                "The continuation token provided is incorrect"
            )
            .is_expired_token()
        );
        assert!(
            !e(
                "InvalidParameterException",
                "1 validation error: logGroupName"
            )
            .is_expired_token()
        );
        assert!(
            !e(
                "InvalidClientTokenId",
                "The security token included in the request is invalid"
            )
            .is_expired_token()
        );
        assert!(!e("ThrottlingException", "Rate exceeded").is_expired_token());
    }

    #[test]
    fn profile_sections_follow_the_sdk_rules() {
        let config = "# c\n[default]\nregion = eu-west-1\n[profile dev]\nsso_session = corp\n\
                      [sso-session corp]\nsso_start_url = https://x\n[services s]\n[stray]\n\
                      [profile  prod ] ; comment\nrole_arn=arn\n";
        let names: Vec<String> = profile_sections(config, true)
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["default", "dev", "prod"]);
        let dev = profile_sections(config, true)
            .into_iter()
            .find(|s| s.name == "dev")
            .unwrap();
        assert_eq!(dev.keys, ["sso_session"]);
        let creds = "[ci]\naws_access_key_id = x\n[profile odd]\n";
        let names: Vec<String> = profile_sections(creds, false)
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["ci"]);
    }

    #[test]
    fn a_home_relative_path_is_expanded() {
        assert_eq!(
            expand_home(Path::new("~/aws/config"), Some(Path::new("/h"))),
            PathBuf::from("/h/aws/config")
        );
        assert_eq!(
            expand_home(Path::new("/etc/aws"), Some(Path::new("/h"))),
            PathBuf::from("/etc/aws")
        );
    }

    #[test]
    fn hints_say_what_to_check() {
        assert!(hint("no credentials", "x").contains("--inventory FILE"));
        assert!(
            hint("UnauthorizedOperation", "ec2:DescribeNetworkInterfaces")
                .contains("ec2:DescribeNetworkInterfaces")
        );
        assert!(hint("ExpiredToken", "x").contains("credentials"));
        assert!(hint("ResourceNotFoundException", "x").contains("region"));
        assert!(hint("ThrottlingException", "x").contains("AWS_MAX_ATTEMPTS"));
        assert!(hint("InternalError", "x").contains("--concurrency"));
    }
}
