//! The AWS side of a run (the `aws` cargo feature): one async runtime and
//! one SDK configuration, started only when a run reads from AWS.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use indicatif::ProgressBar;
use tokio::runtime::Runtime;

use super::config::{AwsSettings, RoleTemplate};
use crate::aws::{self, AwsOptions};
use crate::history::{self, History};
use crate::inventory::{self, Inventory};
use crate::partial::Partial;
use crate::pipeline::{Reader, Reading};
use crate::sources::{cloudwatch, s3};
use crate::window::Window;

/// A connection to AWS: credentials found, region known.
pub struct Aws {
    rt: Runtime,
    config: SdkConfig,
}

fn options(settings: &AwsSettings) -> AwsOptions {
    AwsOptions {
        profile: settings.profile.clone(),
        region: settings.region.clone(),
        attempt_timeout: settings.timeout,
    }
}

fn runtime() -> Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

impl Aws {
    /// Starts the runtime and finds credentials (a missing profile or
    /// expired session is an error that says what to do).
    pub fn connect(settings: &AwsSettings) -> Result<Aws> {
        let rt = runtime()?;
        let config = rt.block_on(aws::connect(&options(settings)))?;
        Ok(Aws { rt, config })
    }

    /// A VPC quota's value from Service Quotas (`aws::quotas`' codes).
    pub fn quota(&self, code: &str) -> Result<usize> {
        self.rt.block_on(aws::quotas::value(&self.config, code))
    }

    /// The inventory, read from the EC2 API.
    pub fn inventory(&self) -> Result<Inventory> {
        self.rt.block_on(inventory::ec2::fetch(&self.config))
    }

    /// Each account's inventory, read through its role (`--role-arn`), at
    /// most `concurrency` accounts at once; each result names its account.
    pub fn inventories(
        &self,
        accounts: &[String],
        role: &RoleTemplate,
        concurrency: usize,
    ) -> Vec<(String, Result<Inventory>)> {
        self.rt.block_on(async {
            let gate = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
            let mut jobs = tokio::task::JoinSet::new();
            for (i, account) in accounts.iter().enumerate() {
                let (base, role, account, gate) = (
                    self.config.clone(),
                    role.clone(),
                    account.clone(),
                    gate.clone(),
                );
                jobs.spawn(async move {
                    let _permit = gate.acquire_owned().await;
                    let got = async {
                        let arn = role.for_account(&account);
                        let config =
                            aws::assume(&base, &arn, role.external_id.as_deref(), &account).await?;
                        let mut inv = inventory::ec2::fetch(&config).await?;
                        inv.account_id = Some(account.clone());
                        anyhow::Ok(inv)
                    }
                    .await
                    .with_context(|| {
                        format!(
                            "reading the inventory of account {account} (role {})",
                            role.for_account(&account)
                        )
                    });
                    (i, account, got)
                });
            }
            let mut out = Vec::new();
            while let Some(done) = jobs.join_next().await {
                match done {
                    Ok(r) => out.push(r),
                    Err(e) => out.push((
                        usize::MAX,
                        String::new(),
                        Err(anyhow::anyhow!("an inventory task failed: {e}")),
                    )),
                }
            }
            // In the order the accounts were given, whatever finished first.
            out.sort_by_key(|(i, _, _)| *i);
            out.into_iter().map(|(_, a, r)| (a, r)).collect()
        })
    }

    /// Every stream of a log group over the window.
    pub fn log_group(
        &self,
        group: &str,
        window: Window,
        reader: Reader,
        partial: Partial,
        concurrency: usize,
        pb: &ProgressBar,
    ) -> Result<Reading> {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.config);
        self.rt.block_on(cloudwatch::read_group(
            &logs,
            group,
            window,
            Arc::new(reader),
            partial,
            concurrency,
            pb,
        ))
    }

    /// The objects of an S3 location in the window's day partitions of the
    /// scope's accounts and regions.
    #[allow(clippy::too_many_arguments)]
    pub fn s3(
        &self,
        url: &s3::S3Url,
        window: Window,
        scope: &s3::Scope,
        reader: Reader,
        partial: Partial,
        concurrency: usize,
        pb: &ProgressBar,
    ) -> Result<Reading> {
        let client = aws::s3_client(&self.config);
        self.rt.block_on(async {
            let started = Instant::now();
            let listing = s3::list(&client, url, &window, scope, concurrency).await?;
            // What the listing took, for benches/s3-listing.sh (RUST_LOG=sgpair=info).
            tracing::info!(
                location = %format_args!("s3://{}/{}", url.bucket, url.prefix),
                %scope,
                objects = listing.keys.len(),
                day_prefixes = listing.days,
                export_tasks = listing.exports,
                requests = listing.requests,
                concurrency,
                seconds = %format_args!("{:.3}", started.elapsed().as_secs_f64()),
                "listed S3 location"
            );
            let mut reading = s3::read(
                &client,
                url,
                listing.keys,
                Arc::new(reader),
                partial,
                concurrency,
                pb,
            )
            .await?;
            reading.stats.notes.extend(listing.notes);
            Ok(reading)
        })
    }

    /// One Athena query run to its end (`crate::sources::athena`).
    pub fn athena(
        &self,
        sql: &str,
        params: &[String],
        settings: &crate::sources::athena::Settings,
    ) -> Result<crate::sources::athena::Outcome> {
        self.rt.block_on(crate::sources::athena::run(
            &self.config,
            sql,
            params,
            settings,
        ))
    }

    /// A query's result read by `read` as it arrives: the S3 body a chunk
    /// at a time (never held whole), or the pages' CSV; `read` also gets
    /// how many chunks the body came in (0 for pages).
    pub fn athena_rows<T>(
        &self,
        rows: crate::sources::athena::Rows,
        read: impl FnOnce(&mut dyn std::io::BufRead) -> Result<T>,
    ) -> Result<(T, u64)> {
        use crate::sources::athena::{BodyReader, Rows};
        match rows {
            Rows::S3(body) => {
                let mut r =
                    std::io::BufReader::with_capacity(64 * 1024, BodyReader::new(&self.rt, body));
                let got = read(&mut r)?;
                Ok((got, r.get_ref().chunks))
            }
            Rows::Pages(csv) => Ok((read(&mut &csv[..])?, 0)),
        }
    }

    /// The partition keys of an Athena table and its parameters (Athena
    /// GetTableMetadata).
    pub fn athena_partition_keys(
        &self,
        database: &str,
        table: &str,
        workgroup: Option<&str>,
    ) -> Result<crate::sources::athena::TableKeys> {
        self.rt.block_on(crate::sources::athena::partition_keys(
            &self.config,
            database,
            table,
            workgroup,
        ))
    }

    /// The Logs Insights queries of one log group over `window`
    /// (`crate::sources::insights`).
    pub fn insights(
        &self,
        group: &str,
        window: Window,
        query: &(dyn Fn(i64, i64) -> String + Sync),
        settings: &crate::sources::insights::Settings,
    ) -> Result<Vec<crate::sources::insights::Answer>> {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.config);
        self.rt.block_on(crate::sources::insights::run(
            &logs,
            group,
            (window.since, window.until),
            query,
            settings,
        ))
    }

    /// The interfaces' history from CloudTrail's event history.
    pub fn history(&self, since: i64, until: i64) -> Result<History> {
        self.rt
            .block_on(history::lookup(&self.config, since, until))
    }

    /// The history of `interfaces` from AWS Config's configuration items.
    pub fn config_history(
        &self,
        interfaces: Vec<String>,
        window: Window,
        concurrency: usize,
    ) -> Result<History> {
        self.rt.block_on(history::read_config(
            &self.config,
            interfaces,
            window.since,
            window.until,
            concurrency,
        ))
    }
}

/// A flow log's `LogFormat` (EC2 DescribeFlowLogs), or the v2 default's
/// fields when it has none.
pub fn flow_log_format(settings: &AwsSettings, id: &str) -> Result<String> {
    let aws = Aws::connect(settings)?;
    let ec2 = aws_sdk_ec2::Client::new(&aws.config);
    let out = aws
        .rt
        .block_on(ec2.describe_flow_logs().flow_log_ids(id).send())
        .map_err(|e| aws::call_error("ec2:DescribeFlowLogs", "ec2:DescribeFlowLogs", e))?;
    let Some(f) = out.flow_logs().first() else {
        anyhow::bail!("ec2:DescribeFlowLogs: there is no flow log {id}");
    };
    Ok(f.log_format().map(str::to_string).unwrap_or_else(|| {
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status".into()
    }))
}

/// Runs a DDL statement in Athena to its end; returns the query's id.
pub fn athena_ddl(
    settings: &AwsSettings,
    ddl: &str,
    database: &str,
    workgroup: Option<String>,
    output: Option<String>,
) -> Result<String> {
    let aws = Aws::connect(settings)?;
    let s = crate::sources::athena::Settings {
        database: database.to_string(),
        workgroup,
        output,
        max_scan_bytes: None,
        poll: std::time::Duration::from_millis(200),
    };
    Ok(aws.athena(ddl, &[], &s)?.id)
}

/// `sgpair inventory`: the inventory read from EC2.
pub fn snapshot(settings: &AwsSettings) -> Result<Inventory> {
    Aws::connect(settings)?.inventory()
}

/// An error that is still the user's flag value: a `--profile` that names
/// no profile, or a [`crate::usage::UsageError`] (outputs that collide, an
/// output naming an input or a folder): exit code 2, like any usage error.
pub fn is_usage_error(e: &anyhow::Error) -> bool {
    crate::usage::is_usage(e)
        || e.chain()
            .filter_map(|c| c.downcast_ref::<aws::UnknownProfile>())
            .any(|p| p.from_flag)
}
