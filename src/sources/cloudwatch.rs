//! CloudWatch Logs (`--log-group NAME`): one stream per interface, one
//! record per event, no header line. Each event's message goes to the
//! sink's [`Lines`] of its stream; the field order is the sink's business
//! (the pipeline takes it from the flow log that delivers to the group).
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

use crate::aws::{TOKEN_RESTARTS, call_error, is_expired_token, paginate, read_bounded};
use crate::partial::Partial;
use crate::sources::{Lines, Sink, fold};
use crate::window::Window;

pub const IAM_ACTIONS: &[&str] = &["logs:DescribeLogStreams", "logs:FilterLogEvents"];

/// Reads every stream of a log group over the window.
pub async fn read_group<S: Sink>(
    client: &Client,
    group: &str,
    window: Window,
    sink: Arc<S>,
    partial: Partial,
    concurrency: usize,
    pb: &ProgressBar,
) -> Result<S::Out> {
    let since_ms = window.since.saturating_mul(1000);
    let until_ms = window.until.saturating_mul(1000).saturating_add(999);
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

    let mut out = sink.empty();
    let (client, group, reader) = (client.clone(), group.to_string(), sink.clone());
    read_bounded(
        streams,
        concurrency,
        "a log-stream reader",
        pb,
        move |stream| {
            let (client, group, sink) = (client.clone(), group.clone(), reader.clone());
            async move { read_stream(&client, &group, &stream, &*sink, since_ms, until_ms).await }
        },
        |read| fold(&*sink, partial, &mut out, read),
    )
    .await?;
    Ok(out)
}

/// Reads one stream's events in the window, page by page. Page tokens expire
/// (after 24 hours, or sooner): the read then resumes at the timestamp of the
/// last event read, skipping the events of that millisecond it already has
/// (by event id), so nothing is lost and nothing is counted twice. This
/// relies on a stream's events coming in timestamp order, as they do.
async fn read_stream<S: Sink>(
    client: &Client,
    group: &str,
    stream: &str,
    sink: &S,
    since_ms: i64,
    until_ms: i64,
) -> Result<S::Out> {
    let mut lines = sink.lines(format!("{group}/{stream}"));
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
            match ev.message() {
                Some(msg) => lines.line(msg.as_bytes(), event_no),
                None => lines.no_line(event_no, "an event without a message"),
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
    Ok(lines.finish())
}
