//! CloudWatch Logs (`--log-group NAME`): one stream per interface, one
//! record per event, no header line. The field order comes from the flow log
//! that delivers to the group (`DescribeFlowLogs` → `LogFormat`), else
//! `--log-format`, else the v2 default (said in the output).
//!
//! Streams are read concurrently, with a bounded number of requests in
//! flight; every page is parsed and dropped as it arrives, so memory does not
//! grow with the volume of logs. Throttling is retried with backoff by the
//! SDK's retry policy (see `aws::load_config`).

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::Result;
use aws_sdk_cloudwatchlogs::Client;
use indicatif::ProgressBar;

use crate::aggregate::Aggregator;
use crate::aws::{TOKEN_RESTARTS, call_error, is_expired_token, paginate, read_bounded};
use crate::parse::{Format, FormatOrigin};
use crate::pipeline::{LineReader, ReadOptions};
use crate::stats::Stats;

pub const IAM_ACTIONS: &[&str] = &["logs:DescribeLogStreams", "logs:FilterLogEvents"];

/// The field order for a log group: the flow log's `LogFormat`, the user's
/// `--log-format`, or the v2 default, with a note saying which.
pub fn group_format(
    group: &str,
    flow_log_format: Option<&str>,
    opts: &ReadOptions,
    stats: &mut Stats,
) -> Format {
    if let Some(f) = flow_log_format.and_then(Format::from_names) {
        return f;
    }
    if let Some(f) = &opts.log_format {
        return f.clone();
    }
    stats.notes.push(format!(
        "log group {group}: no flow log delivering to it names a LogFormat and no --log-format was given: the default v2 format was assumed"
    ));
    let mut f = Format::default_v2();
    f.origin = FormatOrigin::Given;
    f
}

/// Reads every stream of a log group over the window.
pub async fn read_group(
    client: &Client,
    group: &str,
    format: Format,
    opts: Arc<ReadOptions>,
    concurrency: usize,
    pb: &ProgressBar,
) -> Result<(Aggregator, Stats)> {
    let since_ms = opts.window.since.saturating_mul(1000);
    let until_ms = opts.window.until.saturating_mul(1000).saturating_add(999);
    let streams = paginate("DescribeLogStreams", |token| async move {
        let out = client
            .describe_log_streams()
            .log_group_name(group)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                call_error(
                    &format!("logs:DescribeLogStreams on {group}"),
                    "logs:DescribeLogStreams",
                    e,
                )
            })?;
        let items: Vec<String> = out
            .log_streams()
            .iter()
            .filter(|s| s.last_event_timestamp().is_none_or(|t| t >= since_ms))
            .filter(|s| s.creation_time().is_none_or(|t| t <= until_ms))
            .filter_map(|s| s.log_stream_name().map(String::from))
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await?;
    tracing::info!(group, streams = streams.len(), "reading log group");
    pb.inc_length(streams.len() as u64);

    let (client, group) = (client.clone(), group.to_string());
    read_bounded(streams, concurrency, opts.allow_partial, "a log-stream reader", pb, move |stream| {
        let (client, group, format, opts) = (client.clone(), group.clone(), format.clone(), opts.clone());
        async move { read_stream(&client, &group, &stream, format, &opts, since_ms, until_ms).await }
    })
    .await
}

/// Reads one stream's events in the window, page by page. Page tokens expire
/// (after 24 hours, or sooner): the read then resumes at the timestamp of the
/// last event read, skipping the events of that millisecond it already has
/// (by event id), so nothing is lost and nothing is counted twice. This
/// relies on a stream's events coming in timestamp order, as they do.
async fn read_stream(
    client: &Client,
    group: &str,
    stream: &str,
    format: Format,
    opts: &ReadOptions,
    since_ms: i64,
    until_ms: i64,
) -> Result<(Aggregator, Stats)> {
    let mut agg = Aggregator::new();
    let mut stats = Stats::default();
    let mut lines = LineReader::new(format!("{group}/{stream}"), opts, Some(format), &mut stats);
    let mut event_no: u64 = 0;
    let mut token: Option<String> = None;
    let mut seen_tokens = HashSet::new();
    let mut start = since_ms;
    let mut restarts = 0;
    // The newest timestamp read and the ids of the events read at it.
    let mut last: Option<i64> = None;
    let mut ids_at_last: HashSet<String> = HashSet::new();
    loop {
        let sent = client
            .filter_log_events()
            .log_group_name(group)
            .log_stream_names(stream)
            .start_time(start)
            .end_time(until_ms)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| {
                call_error(
                    &format!("logs:FilterLogEvents on {group}/{stream}"),
                    "logs:FilterLogEvents",
                    e,
                )
            });
        let page = match sent {
            Ok(page) => page,
            Err(e) if token.is_some() && is_expired_token(&e) && restarts < TOKEN_RESTARTS => {
                restarts += 1;
                start = last.unwrap_or(since_ms);
                tracing::warn!(
                    group,
                    stream,
                    restarts,
                    resume_ms = start,
                    "page token expired; resuming at the last event read"
                );
                token = None;
                seen_tokens.clear();
                continue;
            }
            Err(e) => return Err(e),
        };
        for ev in page.events() {
            let ts = ev.timestamp().unwrap_or(start);
            let id = ev.event_id();
            match last {
                Some(l) if ts == l => {
                    if let Some(id) = id
                        && !ids_at_last.insert(id.to_string())
                    {
                        continue; // read before the token expired
                    }
                }
                Some(l) if ts < l => {}
                _ => {
                    last = Some(ts);
                    ids_at_last.clear();
                    ids_at_last.extend(id.map(String::from));
                }
            }
            event_no += 1;
            if let Some(msg) = ev.message() {
                lines.line(msg.as_bytes(), event_no, &mut agg, &mut stats);
            }
        }
        match page.next_token().filter(|t| !t.is_empty()) {
            Some(t) if seen_tokens.insert(t.to_string()) => token = Some(t.to_string()),
            Some(_) => anyhow::bail!(
                "logs:FilterLogEvents on {group}/{stream} returned the same page token twice"
            ),
            None => break,
        }
    }
    lines.flush(&mut stats);
    Ok((agg, stats))
}
