//! Bounded concurrent reads and token pagination.

use std::sync::Arc;

use anyhow::Context;
use indicatif::ProgressBar;
use tokio::sync::Semaphore;

use super::errors::*;

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
