//! Reading the listed objects, a bounded number at a time, each as its
//! first bytes say (`files::typed`): text streamed through gzip into the
//! parser, a document of CloudWatch Logs events (a subscription's delivery
//! through Firehose) through its reader, Parquet whole (the format keeps its index
//! at the end), then handed over row group by row group as typed batches
//! (`parquet::read`); a body that breaks off or goes silent is read again
//! from the start.

use std::io::{BufReader, Read};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use indicatif::ProgressBar;

use super::{S3Url, layout};
use crate::aws::{DEFAULT_ATTEMPT_TIMEOUT, call_error, read_bounded};
use crate::partial::Partial;
use crate::sources::{Kind, Notes, Sink, Stream, events, files, fold, parquet};

pub const IAM_ACTIONS: &[&str] = &["s3:ListBucket", "s3:GetObject"];

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
    let account = layout::key_account(key).map(str::to_string);
    tokio::task::spawn_blocking(move || -> Result<S::Out> {
        let notes = Notes::default();
        // What the object holds is told by its first bytes, as a file's is
        // (a Firehose object of gzip members has no extension).
        let raw = BufReader::with_capacity(256 * 1024, body);
        let (reader, kind) =
            files::typed(raw, &name, &notes).with_context(|| format!("cannot read {name}"))?;
        let stream = Stream {
            name,
            size: 0,
            reader,
            kind,
            notes,
        };
        let mut out = match kind {
            Kind::Parquet => parquet::read(&*sink, stream, keep_partial),
            Kind::Text => sink.stream(stream, keep_partial),
            Kind::Events => events::read(&*sink, stream, keep_partial),
        }?;
        // Records without `account-id` belong to the account the key names.
        if let Some(account) = account {
            sink.located(&mut out, &account);
        }
        Ok(out)
    })
    .await
    .context("an S3 object reader stopped unexpectedly")?
}
