//! Decoding with polars' Parquet reader (`polars-parquet`): the footer, then
//! one row group's column chunks at a time, each into an Arrow array.

use std::fs::File;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, anyhow, bail};
use polars::prelude::{DataType, Series};
use polars_arrow::array::{Array, BinaryViewArray, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::bitmap::utils::BitmapIter;
use polars_arrow::datatypes::{
    ArrowDataType, ArrowSchema, DTYPE_CATEGORICAL_NEW, Field, IntegerType,
};
use polars_arrow::types::NativeType;
use polars_buffer::Buffer;
use polars_parquet::read::{
    BasicDecompressor, ColumnChunkMetadata, FileMetadata, PageReader, column_iter_to_arrays,
    infer_schema, read_metadata,
};

use super::{Batch, Value, Values, Want, guard, pages};

/// The largest page the reader accepts (compressed or not): flow-log pages
/// are about a megabyte; a header that claims more is refused rather than
/// allocated.
const MAX_PAGE: usize = 256 << 20;

/// The most rows a row group may hold: each decoded text column takes 16
/// bytes a row, so a footer that claims more is refused rather than
/// allocated (writers use 100,000 to a few million rows a group).
const MAX_GROUP_ROWS: usize = 1 << 26;

/// A Parquet file whose footer has been read: its schema and row groups.
/// Shared by the threads that decode its row groups.
pub struct ParquetFile {
    name: String,
    metadata: FileMetadata,
    schema: ArrowSchema,
    data: Data,
    /// Bytes read so far, for progress bars (local files).
    progress: Option<Arc<AtomicU64>>,
}

/// Where the column chunks are.
enum Data {
    File(File),
    Memory(Buffer<u8>),
}

impl ParquetFile {
    /// Opens a local file and reads its footer. `progress` counts the bytes
    /// of each row group as it is read (all of its columns, read or not, so
    /// that a bar reaches the file's size).
    pub fn open(path: &Path, progress: Arc<AtomicU64>) -> Result<ParquetFile> {
        let name = path.display().to_string();
        let mut file = File::open(path).with_context(|| {
            format!("cannot open {name} (listed a moment ago: was it moved or deleted?)")
        })?;
        let metadata = guard::decoding(|| Ok(read_metadata(&mut file)?))
            .with_context(|| format!("{name}: not a readable Parquet file"))?;
        ParquetFile::new(name, metadata, Data::File(file), Some(progress))
    }

    /// A whole Parquet file in memory (an S3 object).
    pub fn from_bytes(name: String, bytes: Vec<u8>) -> Result<ParquetFile> {
        let bytes = Buffer::from_vec(bytes);
        let metadata =
            guard::decoding(|| Ok(read_metadata(&mut std::io::Cursor::new(bytes.clone()))?))
                .with_context(|| format!("{name}: not a readable Parquet file"))?;
        ParquetFile::new(name, metadata, Data::Memory(bytes), None)
    }

    fn new(
        name: String,
        metadata: FileMetadata,
        data: Data,
        progress: Option<Arc<AtomicU64>>,
    ) -> Result<ParquetFile> {
        let schema = guard::decoding(|| Ok(infer_schema(&metadata)?))
            .with_context(|| format!("{name}: cannot read the Parquet schema"))?;
        Ok(ParquetFile {
            name,
            metadata,
            schema,
            data,
            progress,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The column names, in file order.
    pub fn columns(&self) -> Vec<String> {
        self.schema.iter_names().map(|n| n.to_string()).collect()
    }

    pub fn row_groups(&self) -> usize {
        self.metadata.row_groups.len()
    }

    /// Decodes `columns` (indexes into [`ParquetFile::columns`], each as
    /// wanted) of row group `group`; the other columns are not read.
    /// A row group that cannot be decoded is an error naming the file, the
    /// row group (from 1) and its rows, and the column.
    pub fn read(&self, group: usize, columns: &[(usize, Want)]) -> Result<Batch> {
        let md = &self.metadata.row_groups[group];
        let rows = md.num_rows();
        // Saturating: a corrupt footer's counts must not overflow.
        let first_row = self.metadata.row_groups[..group]
            .iter()
            .fold(1u64, |n, g| n.saturating_add(g.num_rows() as u64));
        let place = || {
            format!(
                "{}: row group {} of {} (rows {first_row}..{})",
                self.name,
                group + 1,
                self.row_groups(),
                first_row.saturating_add(rows as u64).saturating_sub(1),
            )
        };
        if rows > MAX_GROUP_ROWS {
            bail!(
                "{}: the footer says {rows} rows, more than a row group may hold ({MAX_GROUP_ROWS})",
                place()
            );
        }
        let values = columns
            .iter()
            .map(|&(c, want)| {
                self.column(group, c, want, rows).with_context(|| {
                    format!(
                        "{}: cannot decode column {}",
                        place(),
                        self.schema.get_at_index(c).map_or("?", |(n, _)| n.as_str())
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(p) = &self.progress {
            p.fetch_add(md.compressed_size() as u64, Ordering::Relaxed);
        }
        Ok(Batch {
            first_row,
            rows,
            columns: values,
        })
    }

    /// One column of one row group as an array of `rows` values.
    fn column(&self, group: usize, column: usize, want: Want, rows: usize) -> Result<Values> {
        let (name, field) = self
            .schema
            .get_at_index(column)
            .ok_or_else(|| anyhow!("no column {column}"))?;
        let chunks: Vec<&ColumnChunkMetadata> = self.metadata.row_groups[group]
            .columns_under_root_iter(name)
            .ok_or_else(|| anyhow!("the row group lacks it"))?
            .collect();
        let mut bytes = Vec::with_capacity(chunks.len());
        let mut dictionary = true;
        for chunk in &chunks {
            let b = self.chunk(chunk)?;
            let values = usize::try_from(chunk.num_values())
                .ok()
                .filter(|v| chunk.descriptor().descriptor.max_rep_level > 0 || *v == rows)
                .ok_or_else(|| {
                    anyhow!(
                        "the column chunk holds {} values in a row group of {rows} rows",
                        chunk.num_values()
                    )
                })?;
            dictionary &= pages::check(&b, values, MAX_PAGE)?.dictionary;
            bytes.push(b);
        }
        let decode = |field: &Field| -> Result<Box<dyn Array>> {
            let mut pages = Vec::with_capacity(chunks.len());
            let mut types = Vec::with_capacity(chunks.len());
            for (chunk, bytes) in chunks.iter().zip(&bytes) {
                let reader = PageReader::new(
                    std::io::Cursor::new(bytes.clone()),
                    chunk,
                    Vec::new(),
                    MAX_PAGE,
                );
                pages.push(BasicDecompressor::new(reader, Vec::new()));
                types.push(&chunk.descriptor().descriptor.primitive_type);
            }
            let array = guard::decoding(|| {
                let (arrays, _) = column_iter_to_arrays(pages, types, field.clone(), None)?;
                Ok(match arrays.len() {
                    1 => arrays.into_iter().next().expect("one array"),
                    _ => polars_arrow::compute::concatenate::concatenate(
                        &arrays.iter().map(|a| a.as_ref()).collect::<Vec<_>>(),
                    )?,
                })
            })?;
            if array.len() != rows {
                bail!("{} values in a row group of {rows} rows", array.len());
            }
            Ok(array)
        };
        // Text that indexes a dictionary is read as the dictionary's keys
        // (each entry read once); a chunk the dictionary decoder refuses is
        // read as text, the same values the usual way.
        if dictionary
            && chunks.len() == 1
            && want != Want::Number
            && field.dtype == ArrowDataType::Utf8View
            && let Ok(array) = decode(&as_dictionary(field))
            && let Some(dict) = Dict::new(array.as_ref(), want)
        {
            return Ok(Values::Dict(dict));
        }
        // A type polars' decoder in this build cannot read: said as such,
        // not as corrupt data.
        if matches!(
            field.dtype,
            ArrowDataType::Decimal(..)
                | ArrowDataType::Decimal32(..)
                | ArrowDataType::Decimal64(..)
                | ArrowDataType::Decimal256(..)
        ) {
            return Err(unreadable(field, want));
        }
        let array = decode(field)?;
        guard::decoding(|| values(field, array, want))
    }

    /// The bytes of one column chunk.
    fn chunk(&self, chunk: &ColumnChunkMetadata) -> Result<Buffer<u8>> {
        let range = chunk.byte_range();
        let (start, len) = (range.start, range.end.saturating_sub(range.start));
        match &self.data {
            Data::Memory(bytes) => {
                let end = start.checked_add(len).filter(|e| *e <= bytes.len() as u64);
                let Some(end) = end else {
                    bail!("a column chunk at bytes {start}..+{len} lies past the file's end");
                };
                Ok(bytes.clone().sliced(start as usize..end as usize))
            }
            Data::File(file) => {
                let len = usize::try_from(len).context("a column chunk too large to read")?;
                let mut buf = vec![0; len];
                read_at(file, &mut buf, start)
                    .with_context(|| format!("cannot read bytes {start}..+{len}"))?;
                Ok(Buffer::from_vec(buf))
            }
        }
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

/// An array as the reader wants it: integers as integers where numbers are
/// wanted, text as text, everything else cast to text as polars prints it.
fn values(
    field: &polars_arrow::datatypes::Field,
    array: Box<dyn Array>,
    want: Want,
) -> Result<Values> {
    // Small integers (a port as UInt16, a protocol as Int8) are whole
    // numbers too: widened to Int32, which every one of them fits.
    if let Some(wide) = widened(array.as_ref()) {
        let field = Field {
            dtype: ArrowDataType::Int32,
            ..field.clone()
        };
        return values(&field, Box::new(wide), want);
    }
    let any = array.as_any();
    match (array.dtype(), want) {
        (ArrowDataType::Int32, Want::Number) => {
            if let Some(a) = any.downcast_ref::<PrimitiveArray<i32>>() {
                return Ok(Values::Int32(Ints::new(a)));
            }
        }
        (ArrowDataType::Int64, Want::Number) => {
            if let Some(a) = any.downcast_ref::<PrimitiveArray<i64>>() {
                return Ok(Values::Int64(Ints::new(a)));
            }
        }
        (ArrowDataType::Utf8View, _) => {
            if let Some(a) = any.downcast_ref::<Utf8ViewArray>() {
                return Ok(Values::Text(Texts(a.to_binview())));
            }
        }
        (ArrowDataType::BinaryView, _) => {
            if let Some(a) = any.downcast_ref::<BinaryViewArray>() {
                return Ok(Values::Text(Texts(a.clone())));
            }
        }
        _ => {}
    }
    let series = Series::try_from((field, array)).map_err(|_| unreadable(field, want))?;
    let text = series
        .cast(&DataType::String)
        .map_err(|_| unreadable(field, want))?;
    let text = text.str()?.rechunk();
    let array = text
        .downcast_iter()
        .next()
        .ok_or_else(|| anyhow!("an empty column"))?;
    Ok(Values::Text(Texts(array.to_binview())))
}

/// An 8- or 16-bit integer column as Int32; `None` for any other.
fn widened(array: &dyn Array) -> Option<PrimitiveArray<i32>> {
    fn to_i32<T: NativeType + Into<i32>>(array: &dyn Array) -> Option<PrimitiveArray<i32>> {
        let a = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
        let values: Vec<i32> = a.values().iter().map(|&v| v.into()).collect();
        Some(PrimitiveArray::new(
            ArrowDataType::Int32,
            Buffer::from_vec(values),
            a.validity().cloned(),
        ))
    }
    match array.dtype() {
        ArrowDataType::Int8 => to_i32::<i8>(array),
        ArrowDataType::Int16 => to_i32::<i16>(array),
        ArrowDataType::UInt8 => to_i32::<u8>(array),
        ArrowDataType::UInt16 => to_i32::<u16>(array),
        _ => None,
    }
}

/// A column whose type cannot be read: its type, and what the field needs.
fn unreadable(field: &Field, want: Want) -> anyhow::Error {
    anyhow!(
        "its type is {:?}, which sgpair cannot read; expected {} (write the column as such, \
         as AWS's Parquet flow logs have it)",
        field.dtype,
        match want {
            Want::Number => "whole numbers: an integer column (INT32 or INT64), or text of digits",
            Want::Text | Want::Address => "text: a string column",
        }
    )
}

/// The value of `row` in a column of `items` (numbers, or keys into a
/// dictionary) made a [`Value`] by `value`; null where `valid` says so.
#[inline(always)]
fn cell<'a, T: Copy>(
    items: &[T],
    valid: Option<&Bitmap>,
    row: usize,
    value: impl Fn(T) -> Value<'a>,
) -> Value<'a> {
    if valid.is_some_and(|v| !v.get_bit(row)) {
        return Value::Null;
    }
    value(items[row])
}

/// [`cell`] for each of `rows`, into `out`: the column read in one pass,
/// its validity (where it has nulls) a bit at a time beside it.
#[inline(always)]
fn cells<'a, 'o, T: Copy>(
    items: &[T],
    valid: Option<&Bitmap>,
    rows: Range<usize>,
    out: impl Iterator<Item = &'o mut Value<'a>>,
    value: impl Fn(T) -> Value<'a>,
) where
    'a: 'o,
{
    let items = &items[rows.clone()];
    match valid {
        None => {
            for (o, v) in out.zip(items) {
                *o = value(*v);
            }
        }
        Some(valid) => {
            let (bytes, offset, _) = valid.as_slice();
            let bits = BitmapIter::new(bytes, offset + rows.start, rows.len());
            for ((o, v), valid) in out.zip(items).zip(bits) {
                *o = if valid { value(*v) } else { Value::Null };
            }
        }
    }
}

/// An integer column.
pub(super) struct Ints<T: NativeType> {
    values: Buffer<T>,
    valid: Option<Bitmap>,
}

impl<T: NativeType + Into<i64>> Ints<T> {
    fn new(a: &PrimitiveArray<T>) -> Ints<T> {
        Ints {
            values: a.values().clone(),
            // A column without nulls reads without its bitmap.
            valid: a.validity().filter(|v| v.unset_bits() > 0).cloned(),
        }
    }

    #[inline]
    pub(super) fn get(&self, row: usize) -> Value<'_> {
        cell(&self.values, self.valid.as_ref(), row, |v| {
            Value::Int(v.into())
        })
    }

    /// [`Ints::get`] for each of `rows`, into `out`.
    pub(super) fn gather<'a, 'o>(
        &'a self,
        rows: Range<usize>,
        out: impl Iterator<Item = &'o mut Value<'a>>,
    ) where
        'a: 'o,
    {
        cells(&self.values, self.valid.as_ref(), rows, out, |v| {
            Value::Int(v.into())
        });
    }
}

/// A text (or binary) column.
pub(super) struct Texts(BinaryViewArray);

impl Texts {
    #[inline]
    pub(super) fn get(&self, row: usize) -> Value<'_> {
        if !self.0.is_valid(row) {
            return Value::Null;
        }
        Value::Text(self.0.value(row))
    }

    /// [`Texts::get`] for each of `rows`, into `out`.
    pub(super) fn gather<'a, 'o>(
        &'a self,
        rows: Range<usize>,
        out: impl Iterator<Item = &'o mut Value<'a>>,
    ) where
        'a: 'o,
    {
        for (o, row) in out.zip(rows) {
            *o = self.get(row);
        }
    }
}

/// `field` as polars' dictionary decoder reads it: keys (u32) into the
/// chunk's dictionary of text. polars takes that path only for a field
/// marked as one of its categoricals; the mark changes nothing else here
/// (the array is read as keys and dictionary, never turned into a polars
/// categorical).
fn as_dictionary(field: &Field) -> Field {
    let mut metadata = field.metadata.as_deref().cloned().unwrap_or_default();
    metadata.insert(DTYPE_CATEGORICAL_NEW.into(), "".into());
    Field {
        dtype: ArrowDataType::Dictionary(
            IntegerType::UInt32,
            Box::new(ArrowDataType::Utf8View),
            false,
        ),
        metadata: Some(Arc::new(metadata)),
        ..field.clone()
    }
}

/// A dictionary-encoded text column: each row's key into the entries.
pub(super) struct Dict {
    keys: Buffer<u32>,
    valid: Option<Bitmap>,
    /// The entries' bytes, one after the other.
    bytes: Vec<u8>,
    /// Per entry: where its bytes are in `bytes`, and its IPv4 address
    /// where it is one and one was asked for ([`Want::Address`]).
    entries: Vec<Entry>,
}

#[derive(Clone, Copy)]
struct Entry {
    start: u32,
    end: u32,
    addr: Option<std::net::Ipv4Addr>,
}

impl Dict {
    /// The dictionary array polars decoded; `None` when it is not one, or a
    /// key lies outside the dictionary (then the column is read as text,
    /// where the decoder's own checks apply).
    fn new(array: &dyn Array, want: Want) -> Option<Dict> {
        let array = array.as_any().downcast_ref::<DictionaryArray<u32>>()?;
        let values = array.values().as_any().downcast_ref::<Utf8ViewArray>()?;
        let keys = array.keys();
        let n = values.len();
        let outside = |(row, k): (usize, &u32)| *k as usize >= n && keys.is_valid(row);
        if keys.values().iter().enumerate().any(outside) {
            return None;
        }
        let mut bytes = Vec::with_capacity(values.total_bytes_len());
        let mut entries = Vec::with_capacity(n);
        for v in values.values_iter() {
            let v = v.as_bytes();
            let start = u32::try_from(bytes.len()).ok()?;
            bytes.extend_from_slice(v);
            entries.push(Entry {
                start,
                end: u32::try_from(bytes.len()).ok()?,
                addr: match want {
                    Want::Address => crate::parse::ipv4(v),
                    _ => None,
                },
            });
        }
        Some(Dict {
            keys: keys.values().clone(),
            valid: keys.validity().filter(|v| v.unset_bits() > 0).cloned(),
            bytes,
            entries,
        })
    }

    #[inline(always)]
    fn entry(&self, key: u32) -> Value<'_> {
        let e = self.entries[key as usize];
        let text = &self.bytes[e.start as usize..e.end as usize];
        match e.addr {
            Some(a) => Value::Addr(a, text),
            None => Value::Text(text),
        }
    }

    #[inline]
    pub(super) fn get(&self, row: usize) -> Value<'_> {
        cell(&self.keys, self.valid.as_ref(), row, |k| self.entry(k))
    }

    /// [`Dict::get`] for each of `rows`, into `out`.
    pub(super) fn gather<'a, 'o>(
        &'a self,
        rows: Range<usize>,
        out: impl Iterator<Item = &'o mut Value<'a>>,
    ) where
        'a: 'o,
    {
        cells(&self.keys, self.valid.as_ref(), rows, out, |k| {
            self.entry(k)
        });
    }
}
