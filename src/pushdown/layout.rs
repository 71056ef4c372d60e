//! Which of a table's partition columns hold the day, the account and the
//! region, from the partition keys Athena lists (GetTableMetadata), matched
//! to the documented layouts:
//!
//! - AWS's table with partition projection over the plain prefix
//!   `AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}`:
//!   `accid`, `region`, `day` (`yyyy/MM/dd`);
//! - AWS's table over the Hive-compatible prefix: `aws-account-id`,
//!   `aws-service`, `aws-region`, `year`, `month`, `day` (and `hour`);
//! - AWS's table partitioned by a `date`-typed `date` column;
//! - `sgpair athena-table`'s: `accid`, `log_region`, `day` (`log_region`: a
//!   `region` partition would clash with the v5 `region` field's column).

use super::sql::{Partition, quote_column};

/// One partition key: its name and type as the catalog gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub kind: String,
}

/// The partition columns the queries filter on (quoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// `None`: no column names the day as a documented layout does.
    pub day: Option<Partition>,
    pub account: Option<String>,
    pub region: Option<String>,
}

/// The account's partition column names, in the order they are tried.
pub const ACCOUNT_NAMES: [&str; 2] = ["aws-account-id", "accid"];
/// The region's.
pub const REGION_NAMES: [&str; 3] = ["aws-region", "log_region", "region"];

/// `projection_format`: the table's `projection.COLUMN.format` for a
/// column, where it sets one. An error for a name that cannot be quoted or
/// a day projected in another format.
pub fn layout(
    keys: &[Key],
    projection_format: &dyn Fn(&str) -> Option<String>,
) -> Result<Layout, String> {
    let find = |name: &str| keys.iter().find(|k| k.name.eq_ignore_ascii_case(name));
    let quoted = |k: &Key| quote_column(&k.name);
    let day = match (find("year"), find("month"), find("day"), find("date")) {
        (Some(y), Some(m), Some(d), _) if [y, m, d].iter().all(|k| is_string(k)) => {
            Some(Partition::Hive {
                year: quoted(y)?,
                month: quoted(m)?,
                day: quoted(d)?,
            })
        }
        (_, _, Some(d), _) if day_string(d, projection_format)? => Some(Partition::Day(quoted(d)?)),
        (_, _, _, Some(d)) if d.kind.eq_ignore_ascii_case("date") => {
            Some(Partition::Date(quoted(d)?))
        }
        (_, _, _, Some(d)) if day_string(d, projection_format)? => Some(Partition::Day(quoted(d)?)),
        _ => None,
    };
    let first = |names: &[&str]| -> Result<Option<String>, String> {
        names.iter().find_map(|n| find(n)).map(quoted).transpose()
    };
    Ok(Layout {
        day,
        account: first(&ACCOUNT_NAMES)?,
        region: first(&REGION_NAMES)?,
    })
}

/// A string day column written `yyyy/MM/dd` (the projection's format, when
/// it sets one); an error for another format.
fn day_string(k: &Key, projection_format: &dyn Fn(&str) -> Option<String>) -> Result<bool, String> {
    if !is_string(k) {
        return Ok(false);
    }
    match projection_format(&k.name) {
        None => Ok(true),
        Some(f) if f == "yyyy/MM/dd" => Ok(true),
        Some(f) => Err(format!(
            "its day partition `{}` is projected as {f:?}; sgpair filters days written yyyy/MM/dd",
            k.name
        )),
    }
}

/// A string column (the Hive layout's `year`, `month`, `day` are strings:
/// `2026`, `11`, `05`, compared as text).
fn is_string(k: &Key) -> bool {
    k.kind.eq_ignore_ascii_case("string")
}

/// The keys as the catalog lists them, for messages.
pub fn names(keys: &[Key]) -> String {
    if keys.is_empty() {
        return "none".into();
    }
    keys.iter()
        .map(|k| format!("{} {}", k.name, k.kind))
        .collect::<Vec<_>>()
        .join(", ")
}
