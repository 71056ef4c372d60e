//! A Parquet file's rows → evidence. The column names give the layout (as a
//! header line would: `interface_id` is `interface-id`); only the columns of
//! fields sgpair uses are decoded, numbers as numbers; each row takes the
//! checks of a text record from its typed values (`Parser::record_fast`
//! into a record kept from row to row, else `Parser::record`), and is
//! counted with its row number (from 1 in the file) as its place.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
#[cfg(feature = "parquet")]
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;

use super::ReadOptions;
use super::layout::{BlockStart, start_format};
use super::lines::{Kept, LineReader};
use crate::aggregate::Aggregator;
use crate::parse::{Fields, Format, FormatError, FormatOrigin, Malformed, Parser, Slot, num};
#[cfg(feature = "parquet")]
use crate::sources::parquet::ParquetFile;
use crate::sources::parquet::{Batch, Value, Want};
use crate::stats::Stats;
use crate::window::Window;

/// Rows laid side by side at a time (`Batch::gather`), each as one value
/// per slot: 128 rows take 63 KB, within a core's L2 cache.
const ROWS: usize = 128;

/// How one Parquet file's rows are read: its layout and the columns to
/// decode. Shared by the workers that read its row groups.
pub(super) struct RowLayout {
    name: Arc<str>,
    window: Window,
    format: Format,
    parser: Result<Parser, FormatError>,
    /// The columns to decode (indexes into the file's columns), and how.
    columns: Vec<(usize, Want)>,
    /// The slot of each of `columns`.
    slots: Vec<Slot>,
}

impl RowLayout {
    /// The layout of a file with these column names. The file is counted;
    /// columns that are not flow-log fields are noted. `None` when no column
    /// is a flow-log field: the file is then skipped with the reason.
    pub(super) fn new(
        name: &str,
        names: &[String],
        opts: &ReadOptions,
        stats: &mut Stats,
    ) -> Option<RowLayout> {
        let Some(mut format) = Format::from_names(&names.join(" ")) else {
            stats.files += 1;
            stats.skip_at(
                "unusable format",
                name,
                0,
                format!(
                    "no column is a flow-log field (columns: {})",
                    names.join(", ")
                ),
            );
            return None;
        };
        format.origin = FormatOrigin::Header;
        if !format.unknown.is_empty() {
            stats.notes.push(format!(
                "{name}: columns that are not flow-log fields are ignored: {}",
                format.unknown.join(", ")
            ));
        }
        let (format, parser) = start_format(name, opts, Some(format), stats);
        let mut columns = Vec::new();
        let mut slots = Vec::new();
        if let Ok(p) = &parser {
            for (column, slot) in p.columns() {
                slots.push(slot);
                let want = if slot.holds_number() {
                    Want::Number
                } else if slot.holds_address() {
                    Want::Address
                } else {
                    Want::Text
                };
                columns.push((column, want));
            }
        }
        Some(RowLayout {
            name: name.into(),
            window: opts.window,
            format,
            parser,
            columns,
            slots,
        })
    }

    /// The columns to decode, and how.
    pub(super) fn columns(&self) -> &[(usize, Want)] {
        &self.columns
    }

    /// Every row of one row group (decoded as [`RowLayout::columns`] says).
    pub(super) fn read(&self, batch: &Batch, agg: &mut Aggregator, stats: &mut Stats) {
        let mut reader = LineReader::for_block(
            self.name.clone(),
            self.window,
            BlockStart {
                first_line: batch.first_row,
                format: self.format.clone(),
                parser: self.parser.clone(),
            },
        );
        let mut kept = Kept::default();
        // Each row's values by slot: a slot no column holds stays null.
        let mut cells = vec![[Value::Null; Slot::COUNT]; ROWS];
        for start in (0..batch.rows).step_by(ROWS) {
            let end = (start + ROWS).min(batch.rows);
            for (column, slot) in self.slots.iter().enumerate() {
                batch.gather(column, start..end, &mut cells, slot.index());
            }
            for (row, cells) in (start..end).zip(&cells) {
                let fields = Row { cells };
                let place = batch.first_row.saturating_add(row as u64);
                reader.fields(&fields, place, agg, stats, &mut kept);
            }
        }
        reader.flush(stats);
    }
}

/// A local Parquet file whose row groups the engine's workers read, each
/// group by the worker that claims it.
#[cfg(feature = "parquet")]
pub(super) struct Table {
    file: ParquetFile,
    layout: RowLayout,
    /// The next row group nobody has claimed.
    next: AtomicUsize,
}

/// Without the `parquet` feature there is no Parquet file to read.
#[cfg(not(feature = "parquet"))]
pub(super) enum Table {}

#[cfg(feature = "parquet")]
impl Table {
    /// Opens a local Parquet file (its footer only) and counts it. `None`
    /// when there is nothing to read: no column is a flow-log field
    /// (skipped with the reason).
    pub(super) fn open(
        path: &Path,
        opts: &ReadOptions,
        stats: &mut Stats,
        progress: Arc<AtomicU64>,
    ) -> Result<Option<Table>> {
        let file = ParquetFile::open(path, progress)?;
        let Some(layout) = RowLayout::new(file.name(), &file.columns(), opts, stats) else {
            return Ok(None);
        };
        Ok(Some(Table {
            file,
            layout,
            next: AtomicUsize::new(0),
        }))
    }

    /// Claims the next row group; `None` when every group is claimed.
    pub(super) fn claim(&self) -> Option<usize> {
        let group = self.next.fetch_add(1, Ordering::Relaxed);
        (group < self.file.row_groups()).then_some(group)
    }

    /// Decodes row group `group` and reads its rows.
    pub(super) fn read(&self, group: usize, agg: &mut Aggregator, stats: &mut Stats) -> Result<()> {
        let batch = self.file.read(group, self.layout.columns())?;
        self.layout.read(&batch, agg, stats);
        Ok(())
    }
}

#[cfg(not(feature = "parquet"))]
impl Table {
    /// This build cannot read Parquet: the file is skipped with the reason.
    pub(super) fn open(
        path: &Path,
        _opts: &ReadOptions,
        stats: &mut Stats,
        _progress: Arc<AtomicU64>,
    ) -> Result<Option<Table>> {
        super::skip_unsupported_parquet(&path.display().to_string(), stats);
        Ok(None)
    }

    pub(super) fn claim(&self) -> Option<usize> {
        match *self {}
    }

    pub(super) fn read(
        &self,
        _group: usize,
        _agg: &mut Aggregator,
        _stats: &mut Stats,
    ) -> Result<()> {
        match *self {}
    }
}

/// One row of a batch (its value in each slot), as the parser reads a
/// record's fields.
struct Row<'c, 'b> {
    cells: &'c [Value<'b>; Slot::COUNT],
}

impl<'b> Row<'_, 'b> {
    #[inline(always)]
    fn value(&self, slot: Slot) -> Value<'b> {
        self.cells[slot.index()]
    }
}

/// A text value that stands for no value: empty, `-` (as in text flow
/// logs), or `None` (as pandas writes a missing value).
#[inline]
fn missing(v: &[u8]) -> bool {
    matches!(v, b"" | b"-" | b"None")
}

impl<'b> Fields<'b> for Row<'_, 'b> {
    // Always inlined: called per cell of every row, and a call each (the
    // compiler's choice after the typed fast path) cost 2% of a Parquet run.
    #[inline(always)]
    fn text(&self, slot: Slot) -> Option<&'b [u8]> {
        match self.value(slot) {
            Value::Text(v) if !missing(v) => Some(v),
            Value::Addr(_, v) => Some(v),
            // Text fields are decoded as text (`Want::Text`): no integer here.
            _ => None,
        }
    }

    #[inline(always)]
    fn ipv4(&self, slot: Slot) -> Option<std::net::Ipv4Addr> {
        match self.value(slot) {
            Value::Addr(a, _) => Some(a),
            _ => None,
        }
    }

    #[inline(always)]
    fn number(&self, slot: Slot, field: &'static str) -> Result<Option<u64>, Malformed> {
        match self.value(slot) {
            Value::Null => Ok(None),
            Value::Int(v) => u64::try_from(v).map(Some).map_err(|_| Malformed::Invalid {
                field,
                value: v.to_string(),
            }),
            Value::Text(v) if missing(v) => Ok(None),
            Value::Text(v) | Value::Addr(_, v) => num(v, field).map(Some),
        }
    }

    #[cold]
    fn shown(&self, slot: Slot) -> String {
        match self.value(slot) {
            Value::Null => "-".to_string(),
            Value::Int(v) => v.to_string(),
            Value::Text(v) | Value::Addr(_, v) => String::from_utf8_lossy(v).into_owned(),
        }
    }
}

#[cfg(all(test, feature = "parquet"))]
mod tests;
