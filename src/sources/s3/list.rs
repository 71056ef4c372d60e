//! The walk of `layout.rs` run against S3: each step's listings
//! concurrently, at most `--concurrency` in flight, every page followed.

use anyhow::{Result, bail};
use aws_sdk_s3::Client;
use indicatif::ProgressBar;

use super::S3Url;
use super::layout::{Job, Place, Scope, Walk, is_flow_log, place};
use crate::aws::{call_error, paginate, read_bounded};
use crate::window::Window;

/// The flow-log objects of a location, and what finding them took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Object keys, sorted, each once.
    pub keys: Vec<String>,
    /// ListObjectsV2 requests (pages) made.
    pub requests: u64,
    /// Day partitions listed.
    pub days: u64,
    /// CloudWatch Logs export tasks' folders listed.
    pub exports: u64,
    /// What the run should say about the listing: date folders outside
    /// AWS's layout, or an export task's folder, that `--account` or
    /// `--log-region` cannot narrow.
    pub notes: Vec<String>,
}

/// What one listing gave: sub-folders or object keys, and its pages.
#[derive(Debug, Default)]
pub(super) struct Listed {
    pub items: Vec<String>,
    pub requests: u64,
}

/// The keys of the flow-log objects of `url` in the window's day partitions
/// of the accounts and regions of `scope`, found with at most `concurrency`
/// listings in flight.
pub async fn list(
    client: &Client,
    url: &S3Url,
    window: &Window,
    scope: &Scope,
    concurrency: usize,
) -> Result<Listing> {
    let (client, bucket) = (client.clone(), url.bucket.clone());
    walk(url, window, scope, concurrency, move |job| {
        let (client, bucket) = (client.clone(), bucket.clone());
        async move { list_job(&client, &bucket, &job).await }
    })
    .await
}

/// The walk, with the listing call given (S3, or a bucket in memory in the
/// unit tests). Step by step: the folders a step lists decide the next
/// step's listings; the listings of one step run side by side.
pub(super) async fn walk<F, Fut>(
    url: &S3Url,
    window: &Window,
    scope: &Scope,
    concurrency: usize,
    call: F,
) -> Result<Listing>
where
    F: Fn(Job) -> Fut,
    Fut: std::future::Future<Output = Result<Listed>> + Send + 'static,
{
    let walk = Walk {
        root: &url.prefix,
        scope,
        window,
    };
    let mut out = Listing::default();
    // Flags that asked for some accounts or regions: a folder they cannot
    // narrow is said.
    let narrowed = scope.from_flags && !scope.is_all();
    let mut jobs = walk.start();
    // Listing progress is not reading progress: the run's bar counts objects.
    let quiet = ProgressBar::hidden();
    while !jobs.is_empty() {
        jobs.sort();
        jobs.dedup();
        let mut next = Vec::new();
        read_bounded(
            jobs,
            concurrency,
            "an S3 listing",
            &quiet,
            |job| {
                let listing = call(job.clone());
                async move { Ok((job, listing.await?)) }
            },
            |done| {
                let (job, listed) = done?;
                out.requests += listed.requests;
                match job {
                    Job::Folders(folder) => {
                        let jobs = walk.listed(&folder, listed.items);
                        if narrowed
                            && place(&folder) == Place::Other
                            && jobs.iter().any(|j| matches!(j, Job::Objects(_)))
                        {
                            out.notes.push(format!(
                                "s3://{}/{folder}: date folders outside AWS's AWSLogs/ layout: --account and --log-region do not narrow them, so every object of the window's days is read",
                                url.bucket
                            ));
                        }
                        next.extend(jobs);
                    }
                    Job::Objects(_) => {
                        out.days += 1;
                        out.keys
                            .extend(listed.items.into_iter().filter(|k| is_flow_log(k)));
                    }
                    Job::Export(folder) => {
                        out.exports += 1;
                        if narrowed {
                            out.notes.push(format!(
                                "s3://{}/{folder}: a CloudWatch Logs export task, which has no account or region folders: --account and --log-region do not narrow it, so all of it is read",
                                url.bucket
                            ));
                        }
                        out.keys
                            .extend(listed.items.into_iter().filter(|k| is_flow_log(k)));
                    }
                }
                Ok(())
            },
        )
        .await?;
        jobs = next;
    }
    if out.days == 0 && out.exports == 0 {
        let scope = if scope.is_all() {
            String::new()
        } else {
            format!(" of {scope} (--account, --log-region)")
        };
        bail!(
            "s3://{}/{}: no flow-log date folders{scope} (yyyy/mm/dd or year=/month=/day=) nor CloudWatch Logs export tasks (a folder named by the task's id) below this prefix; point --s3 at the bucket or the prefix the flow log delivers or exports to",
            url.bucket,
            url.prefix
        );
    }
    out.keys.sort();
    out.keys.dedup();
    out.notes.sort();
    Ok(out)
}

/// One listing below a prefix, all pages: the sub-folders (with the `/`
/// delimiter) or every object key.
async fn list_job(client: &Client, bucket: &str, job: &Job) -> Result<Listed> {
    let (prefix, folders) = match job {
        Job::Folders(p) => (p.as_str(), true),
        Job::Objects(p) | Job::Export(p) => (p.as_str(), false),
    };
    let mut requests = 0;
    let items = paginate("ListObjectsV2", |token| {
        requests += 1;
        async move {
            let out = client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_delimiter(folders.then(|| "/".to_string()))
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| {
                    call_error(
                        &format!("s3:ListObjectsV2 on s3://{bucket}/{prefix}"),
                        "s3:ListBucket",
                        e,
                    )
                })?;
            let items = if folders {
                out.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(String::from))
                    .collect()
            } else {
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(String::from))
                    .collect()
            };
            Ok((items, out.next_continuation_token().map(String::from)))
        }
    })
    .await?;
    Ok(Listed { items, requests })
}
