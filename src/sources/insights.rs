//! CloudWatch Logs Insights (`--insights LOG_GROUP`): one query per time
//! slice of the window, at most `concurrency` running at once (never more
//! than the service's 30 concurrent queries). StartQuery, then
//! GetQueryResults polled with backoff until Complete (Scheduled and
//! Running come first; results are partial until then), Failed, Cancelled
//! or Timeout with the query named. A result that reaches the row limit
//! (10,000) may be cut: its slice is halved and both halves run again (the
//! query's scanned bytes are still billed and reported). When one query
//! fails, or Ctrl-C is pressed, the others still running are stopped
//! (StopQuery) and the run fails.
//!
//! StartQuery's LimitExceededException (too many concurrent queries) is
//! retried here with backoff; throttling (ThrottlingException) by the SDK's
//! standard retry (see `aws::load_config`). The query text comes from the
//! caller: a source knows nothing of the records' format.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::QueryStatus;

use crate::aws::{Interrupt, call_error};

pub const IAM_ACTIONS: &[&str] = &["logs:StartQuery", "logs:GetQueryResults", "logs:StopQuery"];

/// Rows a query returns at most; a result this long may be cut.
pub const ROW_LIMIT: usize = 10_000;
/// Queries the service runs at once per account (more are refused).
pub const MAX_CONCURRENT: usize = 30;
/// The longest first slice: a day.
pub const FIRST_SLICE: i64 = 86_400;

/// How the queries run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Queries at once (capped at [`MAX_CONCURRENT`]).
    pub concurrency: usize,
    /// The first wait between two polls; doubled up to 5 s.
    pub poll: Duration,
}

/// One query and what it gave.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The slice: records whose start is in `[from, to)`.
    pub from: i64,
    pub to: i64,
    pub id: String,
    /// `statistics.bytesScanned`.
    pub bytes_scanned: f64,
    /// The result reached [`ROW_LIMIT`]: its rows were dropped and the
    /// slice ran again as two halves.
    pub halved: bool,
    /// Each row's (field, value) pairs.
    pub rows: Vec<Vec<(String, String)>>,
}

/// The first slices of `[since, until)`: a day each at most.
pub fn slices(since: i64, until: i64) -> Vec<(i64, i64)> {
    let mut v = Vec::new();
    let mut a = since;
    while a < until {
        let b = a.saturating_add(FIRST_SLICE).min(until);
        v.push((a, b));
        a = b;
    }
    v
}

/// Runs `query(from, to)` over the slices of `[since, until)` in `group`,
/// halving any slice whose result reaches the row limit.
pub async fn run(
    client: &Client,
    group: &str,
    (since, until): (i64, i64),
    query: &(dyn Fn(i64, i64) -> String + Sync),
    s: &Settings,
) -> Result<Vec<Answer>> {
    let mut todo: VecDeque<(i64, i64)> = slices(since, until).into();
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut set = tokio::task::JoinSet::new();
    let most = s.concurrency.clamp(1, MAX_CONCURRENT);
    let mut done = Vec::new();
    let interrupt = Interrupt::catch();
    loop {
        while set.len() < most
            && let Some((from, to)) = todo.pop_front()
        {
            let (client, group, q) = (client.clone(), group.to_string(), query(from, to));
            let (running, poll) = (running.clone(), s.poll);
            set.spawn(async move { one(&client, &group, (from, to), &q, poll, &running).await });
        }
        let joined = tokio::select! {
            j = set.join_next() => j,
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                if interrupt.requested() {
                    set.abort_all();
                    let n = stop_all(client, &running).await;
                    bail!(
                        "Logs Insights on {group}: interrupted (Ctrl-C); {n} running \
                         {} stopped (StopQuery)",
                        if n == 1 { "query" } else { "queries" }
                    );
                }
                continue;
            }
        };
        let Some(joined) = joined else {
            break;
        };
        let got = joined
            .map_err(|e| anyhow!("a Logs Insights query task failed: {e}"))
            .and_then(|r| r);
        let mut ans = match got {
            Ok(a) => a,
            Err(e) => {
                set.abort_all();
                stop_all(client, &running).await;
                return Err(e);
            }
        };
        if ans.rows.len() >= ROW_LIMIT {
            if ans.to - ans.from < 2 {
                set.abort_all();
                stop_all(client, &running).await;
                bail!(
                    "Logs Insights on {group}: the records starting at {} alone give {} rows or \
                     more (query {}); a one-second slice cannot be halved, so its result would be \
                     cut. Read this group with --log-group instead",
                    crate::window::rfc3339(ans.from),
                    ROW_LIMIT,
                    ans.id
                );
            }
            let mid = ans.from + (ans.to - ans.from) / 2;
            todo.push_back((ans.from, mid));
            todo.push_back((mid, ans.to));
            ans.rows = Vec::new();
            ans.halved = true;
        }
        done.push(ans);
    }
    done.sort_by_key(|a| (a.from, a.to, a.halved));
    Ok(done)
}

/// One query run to its end.
async fn one(
    client: &Client,
    group: &str,
    (from, to): (i64, i64),
    query: &str,
    poll: Duration,
    running: &Mutex<HashSet<String>>,
) -> Result<Answer> {
    let start = client
        .start_query()
        .log_group_name(group)
        .start_time(from)
        // Inclusive, in seconds: an event's timestamp is its record's start.
        .end_time(to - 1)
        .query_string(query)
        .limit(ROW_LIMIT as i32);
    let mut wait = poll;
    let mut tries = 0;
    let id = loop {
        match start.clone().send().await {
            Ok(out) => break out.query_id().unwrap_or_default().to_string(),
            Err(e) => {
                let busy = e
                    .as_service_error()
                    .is_some_and(|se| se.is_limit_exceeded_exception());
                tries += 1;
                if busy && tries < 10 {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                    continue;
                }
                return Err(call_error(
                    &format!("logs:StartQuery on {group}"),
                    "logs:StartQuery",
                    e,
                ));
            }
        }
    };
    running.lock().unwrap().insert(id.clone());
    let mut wait = poll;
    loop {
        let got = client
            .get_query_results()
            .query_id(&id)
            .send()
            .await
            .map_err(|e| {
                call_error(
                    &format!("logs:GetQueryResults on {group} (query {id})"),
                    "logs:GetQueryResults",
                    e,
                )
            })?;
        let bytes_scanned = got.statistics().map_or(0.0, |st| st.bytes_scanned());
        match got.status() {
            Some(QueryStatus::Complete) => {
                running.lock().unwrap().remove(&id);
                let rows = got
                    .results()
                    .iter()
                    .map(|row| {
                        row.iter()
                            .filter_map(|f| Some((f.field()?.to_string(), f.value()?.to_string())))
                            .filter(|(f, _)| !f.starts_with('@'))
                            .collect()
                    })
                    .collect();
                return Ok(Answer {
                    from,
                    to,
                    id,
                    bytes_scanned,
                    halved: false,
                    rows,
                });
            }
            Some(QueryStatus::Scheduled | QueryStatus::Running) | None => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Some(other) => {
                running.lock().unwrap().remove(&id);
                bail!(
                    "Logs Insights query {id} on {group} ({} to {}) ended {}",
                    crate::window::rfc3339(from),
                    crate::window::rfc3339(to),
                    other.as_str()
                );
            }
        }
    }
}

/// Stops every query still running (best effort: the run fails anyway);
/// returns how many there were.
async fn stop_all(client: &Client, running: &Mutex<HashSet<String>>) -> usize {
    let ids: Vec<String> = running.lock().unwrap().drain().collect();
    let n = ids.len();
    for id in ids {
        if let Err(e) = client.stop_query().query_id(&id).send().await {
            tracing::warn!(query = id, error = %e, "StopQuery failed");
        }
    }
    n
}
