//! S3 delivery (`--s3 s3://bucket/prefix`): lists only the date partitions
//! inside the window, of only the accounts and regions asked for, and reads
//! `.log.gz` text and `.parquet` objects.
//!
//! - `layout.rs`: where AWS puts flow logs (the plain layout
//!   `AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/` and the
//!   Hive-compatible one `AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={yyyy}/month={mm}/day={dd}/`,
//!   each with optional hour folders), the [`Scope`] of a listing, and which
//!   folder to list next: plain data, no calls;
//! - `list.rs`: that walk run against S3, the listings of each step
//!   concurrently within `--concurrency`, every page followed;
//! - `read.rs`: the objects read, text streamed through gzip into the
//!   parser, Parquet whole (the format keeps its index at the end), then
//!   decoded one row group at a time; a body that breaks off is read again.

#[cfg_attr(not(feature = "aws"), allow(dead_code))]
mod layout;
#[cfg(feature = "aws")]
mod list;
#[cfg(feature = "aws")]
mod read;

pub use layout::{Scope, account_id, region_name};
#[cfg(feature = "aws")]
pub use list::{Listing, list};
#[cfg(feature = "aws")]
pub use read::{IAM_ACTIONS, read};

/// `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub prefix: String,
}

impl std::str::FromStr for S3Url {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{s:?} is not an s3://bucket/prefix address"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{s:?} names no bucket"));
        }
        let mut prefix = prefix.to_string();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Ok(S3Url {
            bucket: bucket.into(),
            prefix,
        })
    }
}

#[cfg(test)]
mod tests;
