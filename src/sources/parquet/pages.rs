//! The page headers of one column chunk, checked before polars decodes it.
//! The decoder sizes its buffers by the counts and sizes a header states; a
//! corrupt header (a negative count read as a huge one, a size past the
//! chunk) would make it allocate without bound and abort the process, where
//! a corrupt file must be an error naming it.

use anyhow::{Result, anyhow, bail};
use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
use polars_parquet_format::{Encoding, PageHeader, PageType};

/// What the checked pages of a column chunk are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pages {
    /// The chunk starts with a dictionary page and every data page indexes
    /// it: its rows can be decoded as keys into the dictionary.
    pub(super) dictionary: bool,
}

/// Checks the pages of a column chunk (`bytes`) that holds `values` values:
/// every header readable, every page inside the chunk and at most
/// `max_page` bytes compressed and uncompressed, a data page's values
/// within what is left of `values`, a dictionary's within its bytes.
/// Stops where the reader stops, after the page that reaches `values`.
pub(super) fn check(bytes: &[u8], values: usize, max_page: usize) -> Result<Pages> {
    let mut at = 0;
    let mut seen = 0;
    let mut page = 1;
    let mut dictionary = false;
    let indexes = |e: Encoding| matches!(e, Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY);
    while seen < values {
        let rest = bytes.get(at..).filter(|r| !r.is_empty()).ok_or_else(|| {
            anyhow!("page {page} lies past the column chunk's end ({seen} of {values} values read)")
        })?;
        let mut cursor = std::io::Cursor::new(rest);
        let header = PageHeader::read_from_in_protocol(&mut TCompactInputProtocol::new(
            &mut cursor,
            max_page,
        ))
        .map_err(|e| anyhow!("page {page}: an unreadable page header ({e})"))?;
        at += cursor.position() as usize;
        let size = bytes_of(header.compressed_page_size, max_page, page, "a compressed")?;
        bytes_of(
            header.uncompressed_page_size,
            max_page,
            page,
            "an uncompressed",
        )?;
        if at + size > bytes.len() {
            bail!(
                "page {page}: its {size} bytes run past the column chunk's end ({} bytes left)",
                bytes.len() - at
            );
        }
        let left = values - seen;
        let count = |n: i32, what: &str| -> Result<usize> {
            usize::try_from(n)
                .ok()
                .filter(|n| *n <= left)
                .ok_or_else(|| {
                    anyhow!(
                        "page {page}: {what} {n}, where {left} values are left in the column chunk"
                    )
                })
        };
        match header.type_ {
            PageType::DATA_PAGE => {
                let h = header
                    .data_page_header
                    .as_ref()
                    .ok_or_else(|| anyhow!("page {page}: a data page without its header"))?;
                seen += count(h.num_values, "values")?;
                dictionary &= indexes(h.encoding);
            }
            PageType::DATA_PAGE_V2 => {
                let h = header
                    .data_page_header_v2
                    .as_ref()
                    .ok_or_else(|| anyhow!("page {page}: a data page without its header"))?;
                let n = count(h.num_values, "values")?;
                count(h.num_nulls, "nulls")?;
                count(h.num_rows, "rows")?;
                let levels = i64::from(h.definition_levels_byte_length)
                    + i64::from(h.repetition_levels_byte_length);
                if h.definition_levels_byte_length < 0
                    || h.repetition_levels_byte_length < 0
                    || levels > size as i64
                {
                    bail!("page {page}: levels of {levels} bytes in a page of {size}");
                }
                seen += n;
                dictionary &= indexes(h.encoding);
            }
            PageType::DICTIONARY_PAGE => {
                let h = header
                    .dictionary_page_header
                    .as_ref()
                    .ok_or_else(|| anyhow!("page {page}: a dictionary page without its header"))?;
                // Every dictionary entry takes at least one byte.
                let full = header.uncompressed_page_size;
                if h.num_values < 0 || h.num_values > full {
                    bail!(
                        "page {page}: a dictionary of {} values in {full} bytes",
                        h.num_values
                    );
                }
                dictionary = page == 1;
            }
            _ => {}
        }
        at += size;
        page += 1;
    }
    Ok(Pages { dictionary })
}

/// A page's size in bytes, within `0..=max_page`.
fn bytes_of(n: i32, max_page: usize, page: usize, what: &str) -> Result<usize> {
    usize::try_from(n)
        .ok()
        .filter(|n| *n <= max_page)
        .ok_or_else(|| anyhow!("page {page}: {what} size of {n} bytes (at most {max_page})"))
}
