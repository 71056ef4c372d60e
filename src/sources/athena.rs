//! Athena: one query run to its end and its result handed on as CSV bytes.
//! StartQueryExecution with the values as execution parameters (none pasted
//! into the SQL), GetQueryExecution polled with backoff until SUCCEEDED
//! (QUEUED may follow RUNNING after a transient retry), FAILED or CANCELLED
//! with Athena's reason; a query that scans more than `--max-scan-gb` is
//! stopped (StopQueryExecution). The result is the CSV Athena wrote to the
//! output location, streamed (its body read a chunk at a time as the rows
//! are folded in, [`BodyReader`]), or else GetQueryResults' pages (1000
//! rows, the first row of the first page the header) written as CSV. The
//! table's partition keys come from Athena's GetTableMetadata
//! ([`partition_keys`]). Throttling (TooManyRequestsException) is retried
//! by the SDK's standard retry, and StartQueryExecution's by this loop too
//! (the active-query quota). Ctrl-C until the query ends ([`Interrupt`]) stops it (StopQueryExecution) and
//! fails the run.

use std::io::Read;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_config::SdkConfig;
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use aws_sdk_s3::primitives::ByteStream;

use crate::aws::{Interrupt, call_error, s3_client};

/// Where and how a query runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: String,
    pub workgroup: Option<String>,
    /// `s3://...` where the workgroup does not set one.
    pub output: Option<String>,
    /// Stop a query that has scanned more than this.
    pub max_scan_bytes: Option<u64>,
    /// The first wait between two polls; doubled up to 5 s.
    pub poll: Duration,
}

/// What a query did and gave.
#[derive(Debug)]
pub struct Outcome {
    pub id: String,
    pub scanned_bytes: u64,
    /// The result as CSV: a header row, then the rows.
    pub rows: Rows,
}

/// Where a query's result CSV is read from.
#[derive(Debug)]
pub enum Rows {
    /// The output CSV's body in S3, not yet read.
    S3(ByteStream),
    /// GetQueryResults' pages, written as CSV.
    Pages(Vec<u8>),
}

/// An S3 body read a chunk at a time from synchronous code (the rows are
/// parsed as the chunks arrive; only one chunk is held).
pub struct BodyReader<'a> {
    rt: &'a tokio::runtime::Runtime,
    body: ByteStream,
    chunk: Vec<u8>,
    pos: usize,
    /// Chunks read so far.
    pub chunks: u64,
}

impl<'a> BodyReader<'a> {
    pub fn new(rt: &'a tokio::runtime::Runtime, body: ByteStream) -> Self {
        BodyReader {
            rt,
            body,
            chunk: Vec::new(),
            pos: 0,
            chunks: 0,
        }
    }
}

impl Read for BodyReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.rt.block_on(self.body.next()) {
                None => return Ok(0),
                Some(Ok(b)) => {
                    self.chunks += 1;
                    self.chunk.clear();
                    self.chunk.extend_from_slice(&b);
                    self.pos = 0;
                }
                Some(Err(e)) => return Err(std::io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A table's partition keys and parameters, as its catalog lists them.
#[derive(Debug, Clone, Default)]
pub struct TableKeys {
    /// Name and type, in order.
    pub keys: Vec<(String, String)>,
    /// The table's parameters (`projection.day.format`, ...).
    pub parameters: std::collections::HashMap<String, String>,
}

/// The data catalog `--athena`'s database is in: Athena's default, the
/// account's Glue catalog.
pub const CATALOG: &str = "AwsDataCatalog";

/// What the caller needs for GetTableMetadata on the default catalog:
/// Athena reads the table from Glue with the caller's own rights.
const TABLE_METADATA_IAM: &str =
    "athena:GetTableMetadata, and glue:GetTable and glue:GetDatabase on the table";

/// The partition keys of `database.table` and its parameters, as Athena
/// lists them (GetTableMetadata on [`CATALOG`], in `workgroup` when given).
/// A table Athena cannot find, or may not read, is an error naming the call
/// and the table.
pub async fn partition_keys(
    config: &SdkConfig,
    database: &str,
    table: &str,
    workgroup: Option<&str>,
) -> Result<TableKeys> {
    let client = aws_sdk_athena::Client::new(config);
    let call = format!("athena:GetTableMetadata ({CATALOG}.{database}.{table})");
    let got = match client
        .get_table_metadata()
        .catalog_name(CATALOG)
        .database_name(database)
        .table_name(table)
        .set_work_group(workgroup.map(str::to_string))
        .send()
        .await
    {
        Ok(got) => got,
        // Athena's answer to a table or database that is not there (and to
        // some refusals of the catalog behind it).
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_metadata_exception()) =>
        {
            let message = e
                .as_service_error()
                .and_then(|se| se.meta().message())
                .unwrap_or("")
                .to_string();
            return Err(anyhow::Error::new(crate::aws::CallError {
                call,
                code: "MetadataException".into(),
                message,
                hint: format!(
                    "check the table's name and --athena-database (default `default`):                      {CATALOG} has no table {database}.{table}, or the caller may not read it                      ({TABLE_METADATA_IAM})"
                ),
            }));
        }
        Err(e) => return Err(call_error(&call, TABLE_METADATA_IAM, e)),
    };
    let Some(t) = got.table_metadata() else {
        bail!("{call}: the answer holds no table");
    };
    let keys = t
        .partition_keys()
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                c.r#type().unwrap_or("string").to_string(),
            )
        })
        .collect();
    Ok(TableKeys {
        keys,
        parameters: t.parameters().cloned().unwrap_or_default(),
    })
}

/// Athena's price: $5 per TB scanned, at least 10 MB per query.
pub fn cost_usd(scanned: u64) -> f64 {
    scanned.max(10_000_000) as f64 / 1e12 * 5.0
}

/// Runs `sql` with `params` (SQL literals, in placeholder order).
pub async fn run(
    config: &SdkConfig,
    sql: &str,
    params: &[String],
    s: &Settings,
) -> Result<Outcome> {
    let client = aws_sdk_athena::Client::new(config);
    // From before the query starts to its end, Ctrl-C stops it: a query
    // left behind would run on, and be billed.
    let interrupt = Interrupt::catch();
    let mut start = client
        .start_query_execution()
        .query_string(sql)
        .query_execution_context(
            QueryExecutionContext::builder()
                .database(&s.database)
                .build(),
        );
    if let Some(w) = &s.workgroup {
        start = start.work_group(w);
    }
    if let Some(o) = &s.output {
        start =
            start.result_configuration(ResultConfiguration::builder().output_location(o).build());
    }
    for p in params {
        start = start.execution_parameters(p);
    }
    let mut wait = s.poll;
    let mut tries = 0;
    let id = loop {
        match start.clone().send().await {
            Ok(out) => break out.query_execution_id().unwrap_or_default().to_string(),
            Err(e) => {
                let throttled = e
                    .as_service_error()
                    .is_some_and(|se| se.is_too_many_requests_exception());
                tries += 1;
                if throttled && tries < 8 {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                    continue;
                }
                return Err(call_error(
                    "athena:StartQueryExecution",
                    "athena:StartQueryExecution",
                    e,
                ));
            }
        }
    };
    let mut wait = s.poll;
    let (scanned, output) = loop {
        let got = client
            .get_query_execution()
            .query_execution_id(&id)
            .send()
            .await
            .map_err(|e| call_error("athena:GetQueryExecution", "athena:GetQueryExecution", e))?;
        let q = got.query_execution();
        let scanned = q
            .and_then(|q| q.statistics())
            .and_then(|st| st.data_scanned_in_bytes())
            .unwrap_or(0)
            .max(0) as u64;
        let status = q.and_then(|q| q.status());
        let state = status.and_then(|st| st.state()).cloned();
        if let Some(max) = s.max_scan_bytes
            && scanned > max
            && !matches!(state, Some(QueryExecutionState::Succeeded))
        {
            let _ = client
                .stop_query_execution()
                .query_execution_id(&id)
                .send()
                .await;
            bail!(
                "Athena query {id} was stopped: it had scanned {scanned} bytes, more than --max-scan-gb allows"
            );
        }
        match state {
            Some(QueryExecutionState::Succeeded) => {
                let output = q
                    .and_then(|q| q.result_configuration())
                    .and_then(|r| r.output_location())
                    .map(str::to_string);
                break (scanned, output);
            }
            Some(QueryExecutionState::Failed) | Some(QueryExecutionState::Cancelled) => {
                let reason = status
                    .and_then(|st| st.state_change_reason())
                    .unwrap_or("no reason given");
                let state = state.map(|s| s.as_str().to_string()).unwrap_or_default();
                bail!("Athena query {id} {state}: {reason}");
            }
            // QUEUED, RUNNING (QUEUED again after RUNNING is a retry): wait,
            // watching for Ctrl-C.
            _ => {
                let until = tokio::time::Instant::now() + wait;
                while tokio::time::Instant::now() < until {
                    if interrupt.requested() {
                        client
                            .stop_query_execution()
                            .query_execution_id(&id)
                            .send()
                            .await
                            .map_err(|e| {
                                call_error(
                                    "athena:StopQueryExecution",
                                    "athena:StopQueryExecution",
                                    e,
                                )
                            })?;
                        bail!(
                            "Athena query {id}: interrupted (Ctrl-C); cancelled (StopQueryExecution)"
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(50).min(wait)).await;
                }
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    };
    drop(interrupt);
    let rows = match &output {
        Some(url) => match from_s3(config, url).await? {
            Some(body) => Rows::S3(body),
            None => Rows::Pages(from_pages(&client, &id).await?),
        },
        None => Rows::Pages(from_pages(&client, &id).await?),
    };
    Ok(Outcome {
        id,
        scanned_bytes: scanned,
        rows,
    })
}

/// The result CSV's body at the output location, unread, or `None` when
/// there is none (managed query results).
async fn from_s3(config: &SdkConfig, url: &str) -> Result<Option<ByteStream>> {
    let Some(rest) = url.strip_prefix("s3://") else {
        return Ok(None);
    };
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let s3 = s3_client(config);
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(obj) => Ok(Some(obj.body)),
        Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => Ok(None),
        Err(e) => Err(call_error("s3:GetObject", "s3:GetObject", e))
            .with_context(|| format!("the Athena result {url}")),
    }
}

/// GetQueryResults' pages as CSV (every value quoted, NULL empty).
async fn from_pages(client: &aws_sdk_athena::Client, id: &str) -> Result<Vec<u8>> {
    let mut csv = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_query_results()
            .query_execution_id(id)
            .max_results(1000)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| call_error("athena:GetQueryResults", "athena:GetQueryResults", e))?;
        let rows = page.result_set().map(|r| r.rows()).unwrap_or_default();
        for row in rows {
            let values: Vec<String> = row
                .data()
                .iter()
                .map(|d| match d.var_char_value() {
                    Some(v) => format!("\"{}\"", v.replace('"', "\"\"")),
                    None => String::new(),
                })
                .collect();
            // The header row comes once, first; it is kept (the rows are
            // read by their column names).
            csv.extend_from_slice(values.join(",").as_bytes());
            csv.push(b'\n');
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(csv);
        }
    }
}
