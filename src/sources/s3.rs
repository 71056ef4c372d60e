//! S3 delivery (`--s3 s3://bucket/prefix`): lists only the date partitions
//! inside the window, in the plain layout
//! (`AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/`) and the
//! Hive-style one (`.../year={yyyy}/month={mm}/day={dd}/[hour={hh}/]`), and
//! reads `.log.gz` text and `.parquet` objects. Text objects are streamed
//! through gzip into the parser; Parquet objects are read whole (the format
//! keeps its index at the end), then handed over row group by row group as
//! typed batches (`parquet::read`).

use crate::window::{Date, FIRST_TIME, LAST_TIME, Window, date_of_day};

#[cfg(feature = "aws")]
pub use live::{IAM_ACTIONS, list, read};

/// `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub prefix: String,
}

impl std::str::FromStr for S3Url {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{s:?} is not an s3://bucket/prefix address"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{s:?} names no bucket"));
        }
        let mut prefix = prefix.to_string();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Ok(S3Url {
            bucket: bucket.into(),
            prefix,
        })
    }
}

/// The day partitions of one region folder that fall inside the window (the
/// day of `until` included). Day numbers, not strings: any window gives a
/// finite list, clipped to the days a record can have (1970..=9999).
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
fn day_prefixes(base: &str, hive: bool, window: &Window) -> Vec<String> {
    let first = window.since.max(FIRST_TIME).div_euclid(86_400);
    let last = window.until.min(LAST_TIME).div_euclid(86_400);
    (first..=last)
        .map(|n| {
            let Date { year, month, day } = date_of_day(n);
            if hive {
                format!("{base}year={year:04}/month={month:02}/day={day:02}/")
            } else {
                format!("{base}{year:04}/{month:02}/{day:02}/")
            }
        })
        .collect()
}

/// A folder whose children are years: the region level of either layout.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
fn year_style(segment: &str) -> Option<bool> {
    let is_year = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    if is_year(segment) {
        Some(false)
    } else if segment.strip_prefix("year=").is_some_and(is_year) {
        Some(true)
    } else {
        None
    }
}

/// The parts that talk to S3 (the `aws` cargo feature).
#[cfg(feature = "aws")]
mod live {
    use std::io::{BufReader, Read};
    use std::sync::Arc;
    use std::time::Duration;

    use anyhow::{Context, Result, bail};
    use aws_sdk_s3::Client;
    use aws_sdk_s3::primitives::ByteStream;
    use flate2::read::MultiGzDecoder;
    use indicatif::ProgressBar;

    use super::{S3Url, day_prefixes, year_style};
    use crate::aws::{DEFAULT_ATTEMPT_TIMEOUT, call_error, paginate, read_bounded};
    use crate::partial::Partial;
    use crate::sources::{Kind, Sink, Stream, fold, parquet};
    use crate::window::Window;

    pub const IAM_ACTIONS: &[&str] = &["s3:ListBucket", "s3:GetObject"];

    /// One listing below a prefix, all pages: the sub-folders (`folders`, with
    /// the `/` delimiter) or every object key.
    async fn list_keys(
        client: &Client,
        bucket: &str,
        prefix: &str,
        folders: bool,
    ) -> Result<Vec<String>> {
        paginate("ListObjectsV2", |token| async move {
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
        })
        .await
    }

    /// Finds the region folders below the prefix (at most six levels down:
    /// AWSLogs / account / vpcflowlogs / region) and returns the keys of the
    /// flow-log objects in the window's day partitions.
    pub async fn list(client: &Client, url: &S3Url, window: &Window) -> Result<Vec<String>> {
        let mut frontier = vec![url.prefix.clone()];
        let mut day_folders = Vec::new();
        for _depth in 0..6 {
            let mut next = Vec::new();
            for p in &frontier {
                let children = list_keys(client, &url.bucket, p, true).await?;
                let style = children.iter().find_map(|c| {
                    year_style(c.trim_end_matches('/').rsplit('/').next().unwrap_or(""))
                });
                match style {
                    Some(hive) => day_folders.extend(day_prefixes(p, hive, window)),
                    None => next.extend(children),
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        if day_folders.is_empty() {
            bail!(
                "s3://{}/{}: no flow-log date folders (yyyy/mm/dd or year=/month=/day=) below this prefix; point --s3 at the bucket or the prefix the flow log delivers to",
                url.bucket,
                url.prefix
            );
        }
        let mut keys = Vec::new();
        for folder in day_folders {
            keys.extend(
                list_keys(client, &url.bucket, &folder, false)
                    .await?
                    .into_iter()
                    .filter(|k| {
                        k.ends_with(".log.gz") || k.ends_with(".log") || k.ends_with(".parquet")
                    }),
            );
        }
        keys.sort();
        Ok(keys)
    }

    /// Reads the listed objects, a bounded number at a time.
    pub async fn read<S: Sink>(
        client: &Client,
        url: &S3Url,
        keys: Vec<String>,
        sink: Arc<S>,
        partial: Partial,
        concurrency: usize,
        pb: &ProgressBar,
    ) -> Result<S::Out> {
        let mut out = sink.empty();
        let (client, bucket, reader) = (client.clone(), url.bucket.clone(), sink.clone());
        read_bounded(
            keys,
            concurrency,
            "an S3 object reader",
            pb,
            move |key| {
                let (client, bucket, sink) = (client.clone(), bucket.clone(), reader.clone());
                async move { read_object(&client, &bucket, &key, sink, partial).await }
            },
            |read| fold(&*sink, partial, &mut out, read),
        )
        .await?;
        Ok(out)
    }

    /// Downloads of one object before an interrupted body is given up on.
    pub const DOWNLOAD_ATTEMPTS: u32 = 3;

    /// A download whose body broke off (connection reset, closed early). The
    /// SDK retries a failed request, not a body that stops half-way, so the
    /// object is read again from the start: each attempt has its own
    /// aggregator, so nothing is counted twice. Bad content is not retried.
    async fn read_object<S: Sink>(
        client: &Client,
        bucket: &str,
        key: &str,
        sink: Arc<S>,
        partial: Partial,
    ) -> Result<S::Out> {
        let mut attempt = 1;
        loop {
            let last = attempt == DOWNLOAD_ATTEMPTS;
            // Only the last attempt keeps a partial read (--allow-partial);
            // earlier ones fail on a break so that it can be retried.
            let keep_partial = last && partial.allow;
            match read_object_once(client, bucket, key, sink.clone(), keep_partial).await {
                Err(e) if is_interrupted(&e) && !last => {
                    tracing::warn!(
                        bucket,
                        key,
                        attempt,
                        "download broke off; reading the object again: {e:#}"
                    );
                    attempt += 1;
                }
                Err(e) if is_interrupted(&e) => {
                    return Err(e.context(format!(
                        "s3:GetObject: the download broke off {DOWNLOAD_ATTEMPTS} times (check the network, then run again)"
                    )));
                }
                other => return other,
            }
        }
    }

    /// A network failure while reading a response body, or a body that sent
    /// nothing for longer than the request timeout (`--aws-timeout`).
    #[derive(Debug)]
    struct Interrupted(String);

    impl std::fmt::Display for Interrupted {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "the download broke off: {}", self.0)
        }
    }

    impl std::error::Error for Interrupted {}

    /// The body of a download, for the blocking parser: an async task pulls
    /// the chunks (a few ahead) and the parser reads them from a channel.
    /// Failures arrive as `Interrupted`, and so does a body that sends
    /// nothing for `idle`: a stuck connection is retried like a broken one,
    /// while a slow one that keeps sending is left alone.
    fn download(mut body: ByteStream, idle: Duration) -> impl Read + Send {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            loop {
                let chunk = match tokio::time::timeout(idle, body.next()).await {
                    Ok(Some(Ok(chunk))) => Ok(chunk),
                    Ok(Some(Err(e))) => Err(interrupted(e.to_string())),
                    Ok(None) => return,
                    Err(_) => Err(interrupted(format!(
                        "no data for {} s (--aws-timeout)",
                        idle.as_secs()
                    ))),
                };
                let failed = chunk.is_err();
                // A closed channel: the reader is done or gone.
                if tx.send(chunk).await.is_err() || failed {
                    return;
                }
            }
        });
        Download {
            chunks: rx,
            current: Default::default(),
            at: 0,
        }
    }

    struct Download<B> {
        chunks: tokio::sync::mpsc::Receiver<std::io::Result<B>>,
        current: B,
        at: usize,
    }

    fn interrupted(why: String) -> std::io::Error {
        std::io::Error::other(Interrupted(why))
    }

    impl<B: AsRef<[u8]>> Read for Download<B> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            while self.at == self.current.as_ref().len() {
                match self.chunks.blocking_recv() {
                    Some(chunk) => {
                        self.current = chunk?;
                        self.at = 0;
                    }
                    None => return Ok(0),
                }
            }
            let rest = &self.current.as_ref()[self.at..];
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.at += n;
            Ok(n)
        }
    }

    fn is_interrupted(err: &anyhow::Error) -> bool {
        err.chain().any(|e| {
            e.is::<Interrupted>()
                || e.downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref())
                    .is_some_and(|inner| inner.is::<Interrupted>())
        })
    }

    async fn read_object_once<S: Sink>(
        client: &Client,
        bucket: &str,
        key: &str,
        sink: Arc<S>,
        keep_partial: bool,
    ) -> Result<S::Out> {
        let name = format!("s3://{bucket}/{key}");
        let obj = client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| call_error(&format!("s3:GetObject on {name}"), "s3:GetObject", e))?;
        let idle = client
            .config()
            .timeout_config()
            .and_then(|t| t.operation_attempt_timeout())
            .unwrap_or(DEFAULT_ATTEMPT_TIMEOUT);
        let body = download(obj.body, idle);
        let kind = if key.ends_with(".parquet") {
            Kind::Parquet
        } else {
            Kind::Text
        };
        let gz = key.ends_with(".gz");
        tokio::task::spawn_blocking(move || -> Result<S::Out> {
            let reader: Box<dyn std::io::BufRead + Send> = if gz {
                Box::new(BufReader::with_capacity(
                    256 * 1024,
                    MultiGzDecoder::new(BufReader::new(body)),
                ))
            } else {
                Box::new(BufReader::with_capacity(256 * 1024, body))
            };
            let stream = Stream {
                name,
                size: 0,
                reader,
                kind,
            };
            match kind {
                Kind::Parquet => parquet::read(&*sink, stream, keep_partial),
                Kind::Text => sink.stream(stream, keep_partial),
            }
        })
        .await
        .context("an S3 object reader stopped unexpectedly")?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            "s3://logs/vpc".parse::<S3Url>().unwrap(),
            S3Url {
                bucket: "logs".into(),
                prefix: "vpc/".into()
            }
        );
        assert_eq!("s3://logs".parse::<S3Url>().unwrap().prefix, "");
        assert!("logs/vpc".parse::<S3Url>().is_err());
        assert!("s3:///x".parse::<S3Url>().is_err());
    }

    #[test]
    fn only_the_days_of_the_window_are_listed() {
        // 2026-11-23T12:00:00Z .. 2026-11-25T00:00:00Z
        let w = Window {
            since: 1_795_348_800 + 43_200,
            until: 1_795_564_800,
        };
        assert_eq!(
            day_prefixes("AWSLogs/1/vpcflowlogs/us-east-1/", false, &w),
            vec![
                "AWSLogs/1/vpcflowlogs/us-east-1/2026/11/23/",
                "AWSLogs/1/vpcflowlogs/us-east-1/2026/11/24/",
                "AWSLogs/1/vpcflowlogs/us-east-1/2026/11/25/",
            ]
        );
        assert_eq!(
            day_prefixes("p/", true, &w)[0],
            "p/year=2026/month=11/day=23/"
        );
        // Windows at and past the ends of time: clipped, never a panic or an endless loop.
        let all = day_prefixes("p/", false, &Window::ALL);
        assert_eq!(all.len(), 2_932_897);
        assert_eq!(all[0], "p/1970/01/01/");
        assert_eq!(all[all.len() - 1], "p/9999/12/31/");
        let before = Window {
            since: i64::MIN,
            until: -1,
        };
        assert!(day_prefixes("p/", true, &before).is_empty());
        let after = Window {
            since: i64::MAX - 1,
            until: i64::MAX,
        };
        assert!(day_prefixes("p/", true, &after).is_empty());
        assert_eq!(year_style("2026"), Some(false));
        assert_eq!(year_style("year=2026"), Some(true));
        assert_eq!(year_style("us-east-1"), None);
    }
}
