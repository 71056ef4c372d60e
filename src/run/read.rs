//! The evidence of every source of a run: local files on every core, then
//! each log group, then each S3 location, each source's failure settled by
//! the one partial-failure policy ([`crate::partial`]).

use anyhow::Result;

use super::config::Config;
use super::connection::Aws;
use crate::inventory::Inventory;
use crate::partial::Partial;
use crate::pipeline::{self, ReadOptions, Reader, Reading};
use crate::sources::s3::Scope;

/// Reads every source of `cfg`; `aws` is there when the run reads from AWS.
/// `scope`: the accounts and regions the S3 listing is limited to.
pub(super) fn evidence(
    cfg: &Config,
    scope: &Scope,
    aws: Option<&Aws>,
    inventory: &Inventory,
) -> Result<Reading> {
    let opts = ReadOptions {
        window: cfg.window,
        log_format: cfg.log_format.clone(),
        allow_partial: cfg.allow_partial,
    };
    let partial = Partial {
        allow: cfg.allow_partial,
    };
    let mut read = if cfg.sources.logs.is_empty() {
        Reading::default()
    } else {
        let (agg, stats) = pipeline::read_files(&cfg.sources.logs, &opts, cfg.quiet, cfg.threads)?;
        Reading { agg, stats }
    };
    let Some(aws) = aws else {
        return Ok(read);
    };
    let pb = pipeline::progress_counter("AWS streams and objects", cfg.quiet);
    for group in &cfg.sources.log_groups {
        let reader = Reader::for_group(
            opts.clone(),
            group,
            inventory.log_format_for_group(group),
            &mut read.stats,
        );
        let got = aws.log_group(group, cfg.window, reader, partial, cfg.concurrency, &pb);
        source(&mut read, partial, got, &format!("log group {group}"))?;
    }
    for url in &cfg.sources.s3 {
        let reader = Reader::new(opts.clone());
        let got = aws.s3(
            url,
            cfg.window,
            scope,
            reader,
            partial,
            cfg.concurrency,
            &pb,
        );
        source(
            &mut read,
            partial,
            got,
            &format!("s3://{}/{}", url.bucket, url.prefix),
        )?;
    }
    pb.finish_and_clear();
    Ok(read)
}

/// Folds what one source (`label`) gave into the run's reading, its spans
/// under the source's name; a failure is the run's, or missing evidence.
fn source(read: &mut Reading, partial: Partial, got: Result<Reading>, label: &str) -> Result<()> {
    let missing = &mut read.stats.missing;
    if let Some(mut r) = partial.settle(got, &format!("{label}: "), |m| missing.push(m))? {
        r.stats.roll_up(label);
        read.agg.merge(r.agg);
        read.stats.merge(r.stats);
    }
    Ok(())
}
