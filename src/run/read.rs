//! The evidence of every source of a run: local files on every core, then
//! each log group, then each S3 location, each source's failure settled by
//! the one partial-failure policy ([`crate::partial`]).

use anyhow::{Context, Result};

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
    for path in &cfg.sources.athena_results {
        let label = path.display().to_string();
        let got = pushed_file(path, &label);
        source(&mut read, partial, got, &label)?;
    }
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
    for group in &cfg.sources.insights {
        let label = format!("Logs Insights on {group}");
        let format = insights_format(group, cfg, inventory, &mut read.stats);
        let got = insights(aws, group, &format, cfg, &label);
        source(&mut read, partial, got, &label)?;
    }
    if let Some(a) = &cfg.sources.athena {
        let label = format!("Athena table {}.{}", a.database, a.table.name);
        let got = athena(aws, a, cfg.window, &label);
        source(&mut read, partial, got, &label)?;
    }
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

/// One saved result of a pushed-down query: its rows, and the records they
/// sum as the records read and used.
fn pushed_file(path: &std::path::Path, label: &str) -> Result<Reading> {
    let f = std::fs::File::open(path).with_context(|| format!("{label}: cannot open"))?;
    let mut r = Reading::default();
    let got = crate::pushdown::read_csv(std::io::BufReader::new(f), label, &mut r.agg)?;
    got.count(&mut r.stats);
    if got.span.records > 0 {
        r.stats.add_stream_span(label, &got.span);
    }
    r.agg.spans_into(&mut r.stats);
    Ok(r)
}

/// The two pushed-down queries of `--athena`, their rows folded in; bytes
/// scanned and their cost noted per query and in total.
#[cfg(feature = "aws")]
fn athena(
    aws: &Aws,
    a: &super::config::Athena,
    window: crate::window::Window,
    label: &str,
) -> Result<Reading> {
    use crate::sources::athena::Settings;
    // Ctrl-C while a query runs stops it (`sources::athena`, through
    // `aws::Interrupt`).
    let settings = Settings {
        database: a.database.clone(),
        workgroup: a.workgroup.clone(),
        output: a.output.clone(),
        max_scan_bytes: a.max_scan_bytes,
        poll: std::time::Duration::from_millis(200),
    };
    athena_queries(aws, a, window, label, &settings)
}

#[cfg(feature = "aws")]
fn athena_queries(
    aws: &Aws,
    a: &super::config::Athena,
    window: crate::window::Window,
    label: &str,
    settings: &crate::sources::athena::Settings,
) -> Result<Reading> {
    use crate::pushdown::sql;
    use crate::sources::athena::cost_usd;
    let mut r = Reading::default();
    let table = athena_table(aws, a, &mut r.stats.notes, label)?;
    let (mut total, mut cost) = (0u64, 0.0);
    for (name, q) in [
        ("connections", sql::connections(&table, &window)),
        ("timeline", sql::timeline(&table, &window)),
    ] {
        let q = q.map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
        let out = aws.athena(&q.sql, &q.params, settings)?;
        total += out.scanned_bytes;
        cost += cost_usd(out.scanned_bytes);
        r.stats.notes.push(format!(
            "{label}: the {name} query ({}) scanned {} bytes (${:.4} at $5 per TB)",
            out.id,
            out.scanned_bytes,
            cost_usd(out.scanned_bytes)
        ));
        let what = format!("{label}, {name} query {}", out.id);
        let from_s3 = matches!(out.rows, crate::sources::athena::Rows::S3(_));
        let (got, chunks) = aws.athena_rows(out.rows, |csv| {
            crate::pushdown::read_csv(csv, &what, &mut r.agg)
        })?;
        r.stats.notes.push(format!(
            "{label}: the {name} query gave {} rows, read {}",
            got.rows,
            if from_s3 {
                format!("from its output CSV in S3 as it arrived ({chunks} chunks)")
            } else {
                "through GetQueryResults".to_string()
            }
        ));
        got.count(&mut r.stats);
        if got.span.records > 0 {
            r.stats.add_stream_span(label, &got.span);
        }
    }
    r.stats.notes.push(format!(
        "{label}: {total} bytes scanned in all (${cost:.4}, each query billed at least 10 MB)"
    ));
    r.agg.spans_into(&mut r.stats);
    Ok(r)
}

/// `--athena`'s table with the partition columns its queries filter on:
/// from the partition keys Athena lists (GetTableMetadata;
/// `--athena-partitions auto`), else as the flag named them; no day filter with `--athena-full-scan`.
#[cfg(feature = "aws")]
fn athena_table(
    aws: &Aws,
    a: &super::config::Athena,
    notes: &mut Vec<String>,
    label: &str,
) -> Result<crate::pushdown::sql::Table> {
    use crate::pushdown::layout::{Key, layout, names};
    use crate::pushdown::sql::Partition;
    let mut table = a.table.clone();
    if a.layout_from_catalog {
        let name = table.name.trim_matches('"');
        let got = aws
            .athena_partition_keys(&a.database, name, a.workgroup.as_deref())
            .with_context(|| format!("{label}: its partition columns"))?;
        let params = got.parameters;
        let keys: Vec<Key> = got
            .keys
            .into_iter()
            .map(|(name, kind)| Key { name, kind })
            .collect();
        let format = |c: &str| params.get(&format!("projection.{c}.format")).cloned();
        let l = layout(&keys, &format).map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
        notes.push(format!(
            "{label}: partition columns (Athena GetTableMetadata): {}; the queries filter on the day{}{}",
            names(&keys),
            if l.account.is_some() {
                ", the account"
            } else {
                ""
            },
            if l.region.is_some() {
                ", the region"
            } else {
                ""
            },
        ));
        match l.day {
            Some(day) => table.partition = day,
            None if a.full_scan => {}
            None => anyhow::bail!(
                "{label}: its partition columns ({}) name no day as the documented layouts do \
                 (`day` yyyy/MM/dd; `year`, `month`, `day`; a `date` date), so a query would \
                 read every file of the table; --athena-full-scan allows that",
                names(&keys)
            ),
        }
        table.account_column = l.account;
        table.region_column = l.region;
    }
    if a.full_scan {
        table.partition = Partition::FullScan;
    }
    Ok(table)
}

/// The layout of `group`'s records: the flow log's `LogFormat`, else
/// `--log-format`, else the v2 default (noted), as `--log-group` decides.
fn insights_format(
    group: &str,
    cfg: &Config,
    inventory: &Inventory,
    stats: &mut crate::stats::Stats,
) -> crate::parse::Format {
    use crate::parse::{Format, FormatOrigin};
    if let Some(f) = inventory
        .log_format_for_group(group)
        .and_then(Format::from_names)
    {
        return f;
    }
    if let Some(f) = &cfg.log_format {
        return f.clone();
    }
    stats.notes.push(format!(
        "Logs Insights on {group}: no flow log delivering to it names a LogFormat and no \
         --log-format was given: the default v2 format was assumed"
    ));
    let mut f = Format::default_v2();
    f.origin = FormatOrigin::Given;
    f
}

/// The Logs Insights queries of one log group (`--insights`), their rows
/// folded in; bytes scanned and their cost noted per query and in total.
#[cfg(feature = "aws")]
fn insights(
    aws: &Aws,
    group: &str,
    format: &crate::parse::Format,
    cfg: &Config,
    label: &str,
) -> Result<Reading> {
    use crate::pushdown::insights::{Insights, cost_usd};
    use crate::sources::insights::Settings;
    let q = Insights::new(format).map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
    let settings = Settings {
        concurrency: cfg.concurrency,
        poll: std::time::Duration::from_millis(200),
    };
    let answers = aws.insights(group, cfg.window, &|a, b| q.query(a, b), &settings)?;
    let mut r = Reading::default();
    let mut span = crate::stats::Span::default();
    let (mut total, mut rows, mut halved) = (0.0, 0u64, 0usize);
    for a in &answers {
        total += a.bytes_scanned;
        let (from, to) = (crate::window::rfc3339(a.from), crate::window::rfc3339(a.to));
        r.stats.notes.push(format!(
            "{label}: query {} ({from} to {to}) scanned {:.0} bytes (${:.6} at $0.005 per GB){}",
            a.id,
            a.bytes_scanned,
            cost_usd(a.bytes_scanned),
            if a.halved {
                ", reached the 10,000-row limit: run again as two halves"
            } else {
                ""
            }
        ));
        halved += usize::from(a.halved);
        let name = format!("{label}, query {}", a.id);
        for (i, row) in a.rows.iter().enumerate() {
            q.fold(
                row,
                (&name, i as u64 + 1),
                &mut r.agg,
                &mut r.stats,
                &mut span,
            )
            .map_err(|e| anyhow::anyhow!("{name}, row {}: {e}", i + 1))?;
            rows += 1;
        }
    }
    r.stats.notes.push(format!(
        "{label}: {} queries ({halved} halved at the row limit), {rows} rows, {total:.0} bytes \
         scanned in all (${:.6})",
        answers.len(),
        cost_usd(total)
    ));
    if span.records > 0 {
        r.stats.add_stream_span(label, &span);
    }
    r.agg.spans_into(&mut r.stats);
    Ok(r)
}

#[cfg(not(feature = "aws"))]
fn insights(aws: &Aws, _: &str, _: &crate::parse::Format, _: &Config, _: &str) -> Result<Reading> {
    match *aws {}
}

#[cfg(not(feature = "aws"))]
fn athena(
    aws: &Aws,
    _: &super::config::Athena,
    _: crate::window::Window,
    _: &str,
) -> Result<Reading> {
    match *aws {}
}
