//! Shared AWS plumbing for the sources and the inventory: configuration from
//! the standard chain, and errors that name the call and what to check.

use std::error::Error as StdError;
use std::fmt::Debug;
use std::time::Duration;

use anyhow::Context;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use indicatif::ProgressBar;
use std::sync::Arc;
use tokio::sync::Semaphore;

use crate::aggregate::Aggregator;
use crate::stats::Stats;

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

fn source_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        parts.push(e.to_string());
        cur = e.source();
    }
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
/// `limit` in flight, ticking `pb` per job, and merges their evidence. The
/// first failure ends the run (evidence is never silently incomplete), unless
/// `allow_partial`: then the failure is recorded in `Stats::missing`.
pub async fn read_bounded<I, F, Fut>(
    items: Vec<I>,
    limit: usize,
    allow_partial: bool,
    what: &'static str,
    pb: &ProgressBar,
    job: F,
) -> anyhow::Result<(Aggregator, Stats)>
where
    I: Send + 'static,
    F: Fn(I) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Aggregator, Stats)>> + Send + 'static,
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
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    while let Some(done) = tasks.join_next().await {
        match done.with_context(|| format!("{what} stopped unexpectedly"))? {
            Ok((a, s)) => {
                agg.merge(a);
                stats.merge(s);
            }
            Err(e) if allow_partial => stats.missing.push(format!("{e:#}")),
            Err(e) => return Err(e),
        }
    }
    Ok((agg, stats))
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
    fn hints_say_what_to_check() {
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
