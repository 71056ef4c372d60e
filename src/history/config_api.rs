//! The AWS Config calls of `--history config`: the recorders and their
//! status (is there a history to read?), then each interface's latest
//! configuration item, a hundred at a time (`BatchGetResourceConfig`), and
//! the items of the window only for the interfaces that changed in or
//! after it, or that Config no longer holds as current, which is every
//! deleted one (`GetResourceConfigHistory`, newest first, back to the item
//! the window starts in). The interfaces asked about are the run's: those
//! the logs show and those the inventory holds, not every interface Config
//! ever recorded (an account keeps years of short-lived ones).

use std::collections::HashMap;

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use aws_sdk_config::Client;
use aws_sdk_config::primitives::DateTime;
use aws_sdk_config::types::{
    ChronologicalOrder, ConfigurationItemStatus, ConfigurationRecorder, RecordingFrequency,
    ResourceKey, ResourceType,
};
use indicatif::ProgressBar;

use super::History;
use super::config::{self, Item, RESOURCE_TYPE, Recorder, Recording};
use crate::aws::{call_error, paginate, read_bounded};
use crate::window::in_range;

/// Keys per `BatchGetResourceConfig` (the API's limit).
const BATCH: usize = 100;
/// Items per `GetResourceConfigHistory` page (the API's limit).
const PAGE: i32 = 100;
/// Times the keys a batch left unprocessed are asked again.
const UNPROCESSED_ROUNDS: usize = 5;

/// The history of `interfaces` over `since..until` from AWS Config, with at
/// most `concurrency` calls in flight. Fails, saying what to do, when Config
/// does not record interfaces as they change over the window.
pub async fn read(
    config: &SdkConfig,
    interfaces: Vec<String>,
    since: i64,
    until: i64,
    concurrency: usize,
) -> Result<History> {
    let client = Client::new(config);
    config::check_recorders(&recorders(&client).await?, since, until)?;

    let latest = latest(&client, &interfaces, concurrency).await?;
    let mut history = History::default();
    let mut unreadable = 0;
    let mut add = |history: &mut History, id: &str, items: &[Item]| {
        let (events, bad) = config::events(id, items);
        unreadable += bad;
        history.extend(events);
    };
    // An interface whose latest state was captured before the window kept
    // it through the window; the others need their history.
    let mut asks = Vec::new();
    for id in interfaces {
        match latest.get(&id) {
            Some(item) if item.time <= since && item.has_state() => {
                add(&mut history, &id, std::slice::from_ref(item))
            }
            _ => asks.push(id),
        }
    }
    let (mut unknown, mut untimed) = (Vec::new(), 0u64);
    read_bounded(
        asks,
        concurrency,
        "a GetResourceConfigHistory request",
        &ProgressBar::hidden(),
        |id| {
            let client = client.clone();
            async move {
                let items = items(&client, &id, since, until).await?;
                Ok((id, items))
            }
        },
        |done| {
            match done? {
                (id, Some(items)) => {
                    let timed: Vec<Item> = items.iter().flatten().cloned().collect();
                    untimed += (items.len() - timed.len()) as u64;
                    add(&mut history, &id, &config::from_window_start(timed, since))
                }
                (id, None) => unknown.push(id),
            }
            Ok(())
        },
    )
    .await?;
    if unreadable > 0 {
        history.notes.push(format!(
            "--history config: {unreadable} configuration items of interfaces could not be read (not the shape EC2 describes an interface in, or a status sgpair does not know); each such interface's groups are unknown from that item to its next whole state"
        ));
    }
    if untimed > 0 {
        history.notes.push(format!(
            "--history config: {untimed} configuration items of interfaces had no capture time of 1970..=9999 and could not be placed in time; they were not used"
        ));
    }
    if !unknown.is_empty() {
        unknown.sort();
        let shown: Vec<&str> = unknown.iter().take(5).map(String::as_str).collect();
        history.notes.push(format!(
            "--history config: AWS Config holds nothing of {} interfaces ({}{}): created before it recorded them and gone since, older than its retention, or of another account or region; they keep the inventory's groups, and a deleted one's are unknown",
            unknown.len(),
            shown.join(", "),
            if unknown.len() > shown.len() { ", ..." } else { "" }
        ));
    }
    Ok(history)
}

/// The account's configuration recorders with their status.
async fn recorders(client: &Client) -> Result<Vec<Recorder>> {
    let out = client
        .describe_configuration_recorders()
        .send()
        .await
        .map_err(|e| {
            call_error(
                "config:DescribeConfigurationRecorders",
                "config:DescribeConfigurationRecorders",
                e,
            )
        })?;
    let status = client
        .describe_configuration_recorder_status()
        .send()
        .await
        .map_err(|e| {
            call_error(
                "config:DescribeConfigurationRecorderStatus",
                "config:DescribeConfigurationRecorderStatus",
                e,
            )
        })?;
    Ok(out
        .configuration_recorders()
        .iter()
        .map(|r| {
            let name = r.name().unwrap_or_default().to_string();
            let s = status
                .configuration_recorders_status()
                .iter()
                .find(|s| s.name() == Some(name.as_str()));
            Recorder {
                recording: r.recording_group().map(|g| Recording {
                    all_supported: g.all_supported(),
                    strategy: g
                        .recording_strategy()
                        .and_then(|s| s.use_only())
                        .map(|u| u.as_str().to_string()),
                    included: g
                        .resource_types()
                        .iter()
                        .map(|t| t.as_str().to_string())
                        .collect(),
                    excluded: g
                        .exclusion_by_resource_types()
                        .map(|x| {
                            x.resource_types()
                                .iter()
                                .map(|t| t.as_str().to_string())
                                .collect()
                        })
                        .unwrap_or_default(),
                }),
                daily: daily(r),
                on: s.is_some_and(|s| s.recording()),
                last_start: s.and_then(|s| s.last_start_time()).map(DateTime::secs),
                last_stop: s.and_then(|s| s.last_stop_time()).map(DateTime::secs),
                name,
            }
        })
        .collect())
}

/// Whether the recorder records interfaces once a day: its frequency for
/// them (an override naming the type, else its default) is DAILY.
fn daily(r: &ConfigurationRecorder) -> bool {
    let Some(mode) = r.recording_mode() else {
        return false;
    };
    let frequency = mode
        .recording_mode_overrides()
        .iter()
        .find(|o| {
            o.resource_types()
                .iter()
                .any(|t| t.as_str() == RESOURCE_TYPE)
        })
        .map_or(mode.recording_frequency(), |o| o.recording_frequency());
    *frequency == RecordingFrequency::Daily
}

/// The latest item of each interface Config holds as current (a deleted
/// interface it does not return), by interface id.
async fn latest(
    client: &Client,
    interfaces: &[String],
    concurrency: usize,
) -> Result<HashMap<String, Item>> {
    let batches: Vec<Vec<String>> = interfaces.chunks(BATCH).map(<[String]>::to_vec).collect();
    let mut found = HashMap::new();
    read_bounded(
        batches,
        concurrency,
        "a BatchGetResourceConfig request",
        &ProgressBar::hidden(),
        |ids| {
            let client = client.clone();
            async move { batch(&client, ids).await }
        },
        |done| {
            found.extend(done?);
            Ok(())
        },
    )
    .await?;
    Ok(found)
}

/// One batch of keys, asked again for those the service left unprocessed.
async fn batch(client: &Client, ids: Vec<String>) -> Result<Vec<(String, Item)>> {
    let mut keys = ids
        .iter()
        .map(|id| {
            ResourceKey::builder()
                .resource_type(ResourceType::from(RESOURCE_TYPE))
                .resource_id(id)
                .build()
                .context("a resource key")
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for _ in 0..UNPROCESSED_ROUNDS {
        if keys.is_empty() {
            return Ok(out);
        }
        let answer = client
            .batch_get_resource_config()
            .set_resource_keys(Some(keys))
            .send()
            .await
            .map_err(|e| {
                call_error(
                    "config:BatchGetResourceConfig",
                    "config:BatchGetResourceConfig",
                    e,
                )
            })?;
        // An item without its interface or time is as good as none: the
        // interface's history is then read item by item.
        out.extend(answer.base_configuration_items().iter().filter_map(|b| {
            let item = item(
                b.configuration_item_capture_time(),
                b.configuration_item_status(),
                b.configuration(),
            )?;
            Some((b.resource_id()?.to_string(), item))
        }));
        keys = answer.unprocessed_resource_keys().to_vec();
    }
    if keys.is_empty() {
        return Ok(out);
    }
    anyhow::bail!(
        "AWS call config:BatchGetResourceConfig left {} of {} interfaces unprocessed {UNPROCESSED_ROUNDS} times in a row; try again later, or lower --concurrency",
        keys.len(),
        ids.len()
    )
}

/// The item of a capture time of 1970..=9999, a status and a configuration.
fn item(
    time: Option<&DateTime>,
    status: Option<&ConfigurationItemStatus>,
    configuration: Option<&str>,
) -> Option<Item> {
    Some(Item {
        time: time.map(DateTime::secs).filter(|t| in_range(*t))?,
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        configuration: configuration.map(String::from),
    })
}

/// Config knows nothing of the interface (`ResourceNotDiscoveredException`).
#[derive(Debug)]
struct NotDiscovered;

impl std::fmt::Display for NotDiscovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not discovered by AWS Config")
    }
}

impl std::error::Error for NotDiscovered {}

/// The interface's items up to `until`, newest first, every page until one
/// at or before `since` (the state the window starts in) or the first item
/// Config recorded; `None` for an item without a time of 1970..=9999.
/// `None` when Config knows nothing of the interface.
async fn items(
    client: &Client,
    id: &str,
    since: i64,
    until: i64,
) -> Result<Option<Vec<Option<Item>>>> {
    let got = paginate("GetResourceConfigHistory", |token| {
        let client = client.clone();
        let id = id.to_string();
        async move {
            let out = client
                .get_resource_config_history()
                .resource_type(ResourceType::from(RESOURCE_TYPE))
                .resource_id(&id)
                .later_time(DateTime::from_secs(until))
                .chronological_order(ChronologicalOrder::Reverse)
                .limit(PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_discovered_exception())
                    {
                        return anyhow::Error::new(NotDiscovered);
                    }
                    call_error(
                        "config:GetResourceConfigHistory",
                        "config:GetResourceConfigHistory",
                        e,
                    )
                    .context(format!("the history of {id}"))
                })?;
            let items: Vec<Option<Item>> = out
                .configuration_items()
                .iter()
                .map(|c| {
                    item(
                        c.configuration_item_capture_time(),
                        c.configuration_item_status(),
                        c.configuration(),
                    )
                })
                .collect();
            // Older items than the one the window starts in change nothing.
            let next = if items.iter().flatten().any(|i| i.time <= since) {
                None
            } else {
                out.next_token().map(String::from)
            };
            Ok((items, next))
        }
    })
    .await;
    match got {
        Ok(items) => Ok(Some(items)),
        Err(e) if e.is::<NotDiscovered>() => Ok(None),
        Err(e) => Err(e),
    }
}
