//! The engine for local files: workers on every core, each taking the next
//! row group of a Parquet file, the next block of a stream nobody is
//! cutting, or opening the next file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, TryLockError};

use anyhow::{Result, bail};
use indicatif::ProgressBar;

use super::ReadOptions;
use super::layout::BlockStart;
use super::lines::LineReader;
use super::parquet::Table;
use super::progress::progress_bar;
use super::text::{BLOCK, Block, TextSource};
use crate::aggregate::Aggregator;
use crate::partial::Partial;
use crate::sources::{Kind, files};
use crate::stats::Stats;

/// Reads local files, spread over all cores. Every worker takes the next
/// row group of an open Parquet file, the next block of a stream that no
/// other worker is cutting, or opens the next file: many files are decoded
/// side by side, one large file (plain or gzip) is cut by one worker at a
/// time while the others parse the blocks already cut, and the row groups
/// of a Parquet file are decoded in parallel. Each worker folds into its
/// own [`Aggregator`]; they are merged at the end, and merging does not
/// depend on which worker read what.
/// `threads`: how many workers (`--threads`); `None`: one per core.
pub fn read_files(
    paths: &[PathBuf],
    opts: &ReadOptions,
    quiet: bool,
    threads: Option<usize>,
) -> Result<(Aggregator, Stats)> {
    let workers = crate::parallel::workers(threads);
    let (agg, mut stats) = read_files_with(paths, opts, quiet, workers, BLOCK)?;
    stats.roll_up_paths(paths);
    Ok((agg, stats))
}

fn read_files_with(
    paths: &[PathBuf],
    opts: &ReadOptions,
    quiet: bool,
    workers: usize,
    block: usize,
) -> Result<(Aggregator, Stats)> {
    let listing = files::discover(paths)?;
    let (agg, mut stats) = read_listed(&listing.files, opts, quiet, workers, block)?;
    for (path, kind) in &listing.not_files {
        stats.files += 1;
        stats.skip_at(
            "not a file",
            &path.display().to_string(),
            0,
            format_args!(
                "{kind} in a --logs folder, not a file of flow logs: skipped unread (reading it \
                 could wait for ever); to read it, give it to --logs itself"
            ),
        );
    }
    Ok((agg, stats))
}

/// Reads files already listed. A file can change between its listing and
/// its reading: one that is gone fails the run naming it (or, with
/// `--allow-partial`, is recorded as missing), one that shrinks while read
/// likewise (`files::open`).
fn read_listed(
    files: &[PathBuf],
    opts: &ReadOptions,
    quiet: bool,
    workers: usize,
    block: usize,
) -> Result<(Aggregator, Stats)> {
    let (agg, stats, _) = read_listed_with(files, opts, quiet, workers, block, &NO_HOOKS)?;
    Ok((agg, stats))
}

/// [`read_listed`] with `hooks` at the points where workers meet, and the
/// blocks each worker parsed.
fn read_listed_with(
    files: &[PathBuf],
    opts: &ReadOptions,
    quiet: bool,
    workers: usize,
    block: usize,
    hooks: &(dyn Hooks + Sync),
) -> Result<(Aggregator, Stats, Vec<u64>)> {
    let total: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let pb = progress_bar(total, quiet);
    let shared = Shared {
        files,
        block,
        next_file: AtomicUsize::new(0),
        active: Mutex::new(Active::default()),
        changed: Condvar::new(),
        failed: AtomicBool::new(false),
        partial: Partial {
            allow: opts.allow_partial,
        },
        read_bytes: Arc::new(AtomicU64::new(0)),
        hooks,
    };
    let results: Vec<Result<(Aggregator, Stats, u64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| s.spawn(|| shared.work(opts, &pb)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a reader thread panicked")))
            })
            .collect()
    });
    pb.finish_and_clear();
    let mut aggs = Vec::with_capacity(workers);
    let mut stats = Stats::default();
    let mut blocks = Vec::with_capacity(workers);
    let merging = std::time::Instant::now();
    for r in results {
        let (a, s, b) = r?;
        aggs.push(a);
        stats.merge(s);
        blocks.push(b);
    }
    let mut agg = merge_tree(aggs);
    agg.spans_into(&mut stats);
    tracing::debug!(
        workers,
        ms = merging.elapsed().as_millis() as u64,
        "workers' sums merged"
    );
    Ok((agg, stats, blocks))
}

/// Folds the workers' aggregators into one, in rounds: each round merges
/// pairs side by side, one thread a pair, so N workers' tables cost about
/// log2 N merges of wall time instead of N - 1 one after another. One of
/// each pair is the base the other folds into (copying both into an empty
/// one would hold their keys twice meanwhile); merging does not depend on
/// which worker read what, so neither does the order of the pairs.
fn merge_tree(mut aggs: Vec<Aggregator>) -> Aggregator {
    while aggs.len() > 1 {
        let odd = (aggs.len() % 2 == 1).then(|| aggs.pop()).flatten();
        let mut pairs = Vec::with_capacity(aggs.len() / 2);
        let mut it = aggs.into_iter();
        while let (Some(a), Some(b)) = (it.next(), it.next()) {
            pairs.push((a, b));
        }
        aggs = std::thread::scope(|s| {
            let handles: Vec<_> = pairs
                .into_iter()
                .map(|(mut a, b)| {
                    s.spawn(move || {
                        a.merge(b);
                        a
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        aggs.extend(odd);
    }
    aggs.pop().unwrap_or_default()
}

/// Points where the workers meet, for tests that order them (a barrier
/// instead of a timing). Production runs call nothing.
trait Hooks {
    /// A worker claimed a file and is about to open it.
    fn claimed(&self) {}
    /// A worker found nothing to do yet while a file is being opened.
    fn waiting(&self) {}
    /// A worker holds a stream and is about to read (for gzip: inflate) its
    /// next block.
    fn cutting(&self) {}
    /// The worker of [`Hooks::cutting`] is done with the stream (`block`:
    /// it cut one; else the stream ended), still holding it.
    fn cut(&self, _block: bool) {}
    /// A worker took a block and is about to parse it, holding no stream.
    fn parsing(&self) {}
    /// A worker parsed a block.
    fn parsed(&self) {}
}

struct NoHooks;
impl Hooks for NoHooks {}
static NO_HOOKS: NoHooks = NoHooks;

/// The streams with blocks left, the Parquet files with row groups left,
/// and the files claimed but not yet among them: while one is being opened,
/// work can still appear.
#[derive(Default)]
struct Active {
    streams: Vec<Arc<Mutex<TextSource>>>,
    tables: Vec<Arc<Table>>,
    opening: usize,
}

/// What the workers of [`read_files`] share.
struct Shared<'f> {
    files: &'f [PathBuf],
    block: usize,
    next_file: AtomicUsize,
    active: Mutex<Active>,
    /// Signalled when `active` changes: a stream added or ended, an opening done.
    changed: Condvar,
    /// Set by a worker that failed: the others stop.
    failed: AtomicBool,
    /// `--allow-partial`: a failing file is recorded as missing instead.
    partial: Partial,
    read_bytes: Arc<AtomicU64>,
    hooks: &'f (dyn Hooks + Sync),
}

impl Shared<'_> {
    fn work(&self, opts: &ReadOptions, pb: &ProgressBar) -> Result<(Aggregator, Stats, u64)> {
        let mut agg = Aggregator::new();
        let mut stats = Stats::default();
        let mut blocks = 0;
        let mut buf = Block::with_capacity(BLOCK + BLOCK / 4);
        let outcome = (|| -> Result<()> {
            while let Some((name, at)) = self.next_block(&mut buf, opts, &mut agg, &mut stats)? {
                let first = at.first_line;
                self.hooks.parsing();
                LineReader::for_block(name, opts.window, at)
                    .block(&buf, first, &mut agg, &mut stats);
                blocks += 1;
                self.hooks.parsed();
                pb.set_position(self.read_bytes.load(Ordering::Relaxed));
            }
            Ok(())
        })();
        if outcome.is_err() {
            self.failed.store(true, Ordering::Relaxed);
            self.changed.notify_all();
        }
        outcome.map(|()| (agg, stats, blocks))
    }

    /// The next block for this worker: from an open stream nobody is cutting,
    /// else from the next file, else from a stream another worker is cutting
    /// (waiting for it), else, while another worker is opening a file, after
    /// it has. Row groups of open Parquet files come first: the worker reads
    /// each it claims into `agg` before looking further. `None` only when
    /// every file has been opened and every stream and row group is
    /// exhausted, or a worker failed.
    fn next_block(
        &self,
        buf: &mut Block,
        opts: &ReadOptions,
        agg: &mut Aggregator,
        stats: &mut Stats,
    ) -> Result<Option<(Arc<str>, BlockStart)>> {
        loop {
            if self.failed.load(Ordering::Relaxed) {
                return Ok(None);
            }
            if let Some((table, group)) = self.next_group() {
                let read = table.read(group, agg, stats);
                self.partial.settle(read, "", |m| stats.missing.push(m))?;
                continue;
            }
            let active: Vec<Arc<Mutex<TextSource>>> = self.active().streams.clone();
            for src in &active {
                let mut guard = match src.try_lock() {
                    Ok(g) => g,
                    Err(TryLockError::WouldBlock) => continue,
                    Err(TryLockError::Poisoned(_)) => bail!("a reader thread failed"),
                };
                if let Some(at) = self.cut(src, &mut guard, buf, stats)? {
                    return Ok(Some((guard.name.clone(), at)));
                }
            }
            if let Some(path) = self.claim() {
                self.hooks.claimed();
                tracing::debug!(file = %path.display(), "reading");
                let open = files::open(path, self.read_bytes.clone());
                if open.is_err() {
                    self.opened(None);
                }
                let Some(stream) = self.partial.settle(open, "", |m| stats.missing.push(m))? else {
                    continue;
                };
                if stream.kind == Kind::Events {
                    // A document is read whole by this worker (JSON is read
                    // in order), while the others take what else there is.
                    self.opened(None);
                    let read = super::read_stream(stream, opts, agg, stats, &|| {});
                    self.partial.settle(read, "", |m| stats.missing.push(m))?;
                    continue;
                }
                if stream.kind == Kind::Parquet {
                    drop(stream);
                    let open = Table::open(path, opts, stats, self.read_bytes.clone());
                    if open.is_err() {
                        self.opened(None);
                    }
                    if let Some(table) = self.partial.settle(open, "", |m| stats.missing.push(m))? {
                        self.opened_table(table);
                    }
                    continue;
                }
                let mut src = TextSource::new(
                    stream.name,
                    Box::new(stream.reader),
                    stream.notes,
                    opts,
                    stats,
                );
                src.block = self.block;
                let src = Arc::new(Mutex::new(src));
                let mut guard = src
                    .lock()
                    .map_err(|_| anyhow::anyhow!("a reader thread failed"))?;
                self.opened(Some(src.clone()));
                if let Some(at) = self.cut(&src, &mut guard, buf, stats)? {
                    return Ok(Some((guard.name.clone(), at)));
                }
                continue;
            }
            if active.is_empty() {
                // No stream and no file left: done, unless one is being opened.
                let mut state = self.active();
                while state.streams.is_empty()
                    && state.tables.is_empty()
                    && state.opening > 0
                    && !self.failed.load(Ordering::Relaxed)
                {
                    self.hooks.waiting();
                    state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                }
                if state.streams.is_empty() && state.tables.is_empty() {
                    return Ok(None);
                }
                continue;
            }
            // Every open stream is being cut by another worker: wait for one.
            for src in &active {
                let mut guard = src
                    .lock()
                    .map_err(|_| anyhow::anyhow!("a reader thread failed"))?;
                if let Some(at) = self.cut(src, &mut guard, buf, stats)? {
                    return Ok(Some((guard.name.clone(), at)));
                }
            }
        }
    }

    /// The next file nobody has claimed, counted as being opened until
    /// [`Shared::opened`].
    fn claim(&self) -> Option<&PathBuf> {
        let mut state = self.active();
        let path = self
            .files
            .get(self.next_file.fetch_add(1, Ordering::Relaxed))?;
        state.opening += 1;
        Some(path)
    }

    /// A claimed file is open: its stream joins the active ones (`None`: it
    /// had no stream to add: it failed, or it was read whole).
    fn opened(&self, stream: Option<Arc<Mutex<TextSource>>>) {
        let mut state = self.active();
        state.opening -= 1;
        state.streams.extend(stream);
        self.changed.notify_all();
    }

    /// A claimed Parquet file is open (`None`: it has nothing to read): its
    /// row groups join the work.
    fn opened_table(&self, table: Option<Table>) {
        let mut state = self.active();
        state.opening -= 1;
        state.tables.extend(table.map(Arc::new));
        self.changed.notify_all();
    }

    /// The next row group of an open Parquet file; a file whose groups are
    /// all claimed leaves the list.
    fn next_group(&self) -> Option<(Arc<Table>, usize)> {
        let mut state = self.active();
        while let Some(table) = state.tables.first() {
            if let Some(group) = table.claim() {
                return Some((table.clone(), group));
            }
            state.tables.remove(0);
        }
        None
    }

    /// Cuts the next block of `src`; at its end, takes it off the active list.
    fn cut(
        &self,
        src: &Arc<Mutex<TextSource>>,
        guard: &mut TextSource,
        buf: &mut Block,
        stats: &mut Stats,
    ) -> Result<Option<BlockStart>> {
        // What was read before a failure stays evidence; the rest is missing.
        self.hooks.cutting();
        let cut = guard.next_block(buf, stats);
        self.hooks.cut(matches!(cut, Ok(Some(_))));
        let at = self
            .partial
            .settle(cut, "", |m| stats.missing.push(m))?
            .flatten();
        if at.is_none() {
            self.active().streams.retain(|s| !Arc::ptr_eq(s, src));
            self.changed.notify_all();
        }
        Ok(at)
    }

    fn active(&self) -> std::sync::MutexGuard<'_, Active> {
        // A panic while holding this lock leaves the state consistent.
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests;
