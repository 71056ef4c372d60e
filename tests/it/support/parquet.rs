//! Flow-log lines as a Parquet file, the way S3 delivery writes one: AWS's
//! column names (`interface_id`) and types (INT_32 ports and protocol,
//! INT_64 counters and times, STRING for the rest), `-` as a null, in row
//! groups of a chosen size.

use polars::prelude::{Column, DataFrame, ParquetCompression, ParquetWriter};

/// The v2 lines of `text` (no header) as a Parquet file of `group` rows a
/// row group, compressed with ZSTD.
pub fn parquet(text: &str, group: usize) -> Vec<u8> {
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    let columns: Vec<Column> = super::V2
        .split(' ')
        .enumerate()
        .map(|(i, field)| {
            let name = field.replace('-', "_");
            let cells = rows.iter().map(|r| Some(r[i]).filter(|v| *v != "-"));
            match field {
                "version" | "srcport" | "dstport" | "protocol" => Column::new(
                    name.into(),
                    cells
                        .map(|v| v.map(|v| v.parse::<i32>().expect("an INT_32 field")))
                        .collect::<Vec<_>>(),
                ),
                "packets" | "bytes" | "start" | "end" => Column::new(
                    name.into(),
                    cells
                        .map(|v| v.map(|v| v.parse::<i64>().expect("an INT_64 field")))
                        .collect::<Vec<_>>(),
                ),
                _ => Column::new(
                    name.into(),
                    cells.map(|v| v.map(str::to_string)).collect::<Vec<_>>(),
                ),
            }
        })
        .collect();
    let mut df = DataFrame::new_infer_height(columns).expect("columns of one height");
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .with_compression(ParquetCompression::Zstd(None))
        .with_row_group_size(Some(group))
        .finish(&mut df)
        .expect("written");
    buf
}
