//! Shared AWS plumbing for the sources and the inventory: configuration from
//! the standard chain, and errors that name the call and what to check.

use std::error::Error as StdError;
use std::fmt::Debug;

use anyhow::Context;
use aws_config::retry::RetryConfig;
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
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
}

pub async fn load_config(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // Throttling and 5xx are retried with exponential backoff and jitter.
        .retry_config(RetryConfig::standard().with_max_attempts(8));
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
    anyhow::anyhow!("AWS call {call} failed: {code}: {message}\n  {hint}")
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

/// Follows a token-paginated API to the end. `fetch(token)` returns one page
/// and the next token; a repeated token is an error rather than a loop.
pub async fn paginate<T, F, Fut>(call: &str, mut fetch: F) -> anyhow::Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(Vec<T>, Option<String>)>>,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        let (items, next) = fetch(token.clone()).await?;
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

    #[test]
    fn hints_say_what_to_check() {
        assert!(
            hint("UnauthorizedOperation", "ec2:DescribeNetworkInterfaces")
                .contains("ec2:DescribeNetworkInterfaces")
        );
        assert!(hint("ExpiredToken", "x").contains("credentials"));
        assert!(hint("ResourceNotFoundException", "x").contains("region"));
    }
}
