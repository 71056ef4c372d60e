//! `sgpair athena-table`: the `CREATE EXTERNAL TABLE` of a flow log's
//! records in S3 (AWS's plain layout, `AWSLogs/{account}/vpcflowlogs/
//! {region}/{yyyy}/{mm}/{dd}/`), with partition projection on the account
//! (`accid`, AWS's name), the region (`log_region`: `region` is a column of
//! v5 formats) and the day, so no partition is ever added by hand and
//! `--athena` reads only the window's days of the accounts and regions it is
//! given. The columns are the flow log's own fields, in its order.

use crate::parse::{Field, Format};

use super::sql::column;

/// Where the table reads, and how its files are written.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// Lower case: letters, digits, `_`.
    pub name: String,
    /// `s3://bucket/prefix`: the folder that holds `AWSLogs/`.
    pub location: String,
    /// The accounts and regions projected (at least one each).
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub parquet: bool,
    /// The first day projected, `yyyy/MM/dd`.
    pub first_day: String,
}

/// The Hive type of a field's column, as AWS's documented table types it.
fn hive_type(f: Field) -> &'static str {
    match f {
        Field::Version | Field::SrcPort | Field::DstPort | Field::TcpFlags | Field::TrafficPath => {
            "int"
        }
        Field::Protocol | Field::Packets | Field::Bytes | Field::Start | Field::End => "bigint",
        _ => "string",
    }
}

/// A value pasted into the DDL (Athena takes no parameters in DDL): only
/// what an S3 location, an account id or a region can hold.
fn checked<'a>(what: &str, v: &'a str) -> Result<&'a str, String> {
    let ok = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:".contains(&b));
    if ok {
        Ok(v)
    } else {
        Err(format!(
            "{what} {v:?} holds characters a table's DDL cannot take (letters, digits, - _ . / : only)"
        ))
    }
}

/// The DDL, or why it cannot be written (a field with no column, a value
/// that cannot be pasted).
pub fn create_table(spec: &TableSpec, format: &Format) -> Result<String, String> {
    let name = super::sql::quote_name(&spec.name)?;
    let name = name.trim_matches('"');
    let base = checked("the location", spec.location.trim_end_matches('/'))?;
    let list = |what: &str, vs: &[String]| -> Result<String, String> {
        if vs.is_empty() {
            return Err(format!("{what}: at least one is needed"));
        }
        let vs = vs
            .iter()
            .map(|v| checked(what, v))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(vs.join(","))
    };
    let accounts = list("the account", &spec.accounts)?;
    let regions = list("the region", &spec.regions)?;
    let first = checked("the first day", &spec.first_day)?;
    let mut cols = Vec::new();
    for (i, f) in format.columns.iter().enumerate() {
        let Some(f) = f else {
            return Err(format!(
                "column {} of the format is not a flow-log field",
                i + 1
            ));
        };
        let Some(c) = column(*f) else {
            return Err(format!(
                "{f:?} fields have no column in the documented table"
            ));
        };
        cols.push(format!("  `{}` {}", c.trim_matches('"'), hive_type(*f)));
    }
    let prefix = format!("{base}/AWSLogs");
    let storage = if spec.parquet {
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\n\
         STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'\n\
         OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'"
    } else {
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '"
    };
    let header = if spec.parquet {
        ""
    } else {
        "  'skip.header.line.count' = '1',\n"
    };
    Ok(format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS `{name}` (\n{cols}\n)\n\
         PARTITIONED BY (`accid` string, `log_region` string, `day` string)\n{storage}\n\
         LOCATION '{prefix}/'\n\
         TBLPROPERTIES (\n{header}  \
         'projection.enabled' = 'true',\n  \
         'projection.accid.type' = 'enum',\n  \
         'projection.accid.values' = '{accounts}',\n  \
         'projection.log_region.type' = 'enum',\n  \
         'projection.log_region.values' = '{regions}',\n  \
         'projection.day.type' = 'date',\n  \
         'projection.day.format' = 'yyyy/MM/dd',\n  \
         'projection.day.range' = '{first},NOW',\n  \
         'projection.day.interval' = '1',\n  \
         'projection.day.interval.unit' = 'DAYS',\n  \
         'storage.location.template' = '{prefix}/${{accid}}/vpcflowlogs/${{log_region}}/${{day}}'\n)\n",
        cols = cols.join(",\n"),
    ))
}
