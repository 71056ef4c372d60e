//! What the test modules share, each written once:
//!
//! - `run`: the sgpair binary, started (the one place that does), and what
//!   it said and wrote;
//! - `outputs`: reading the outputs back (the tfvars as terraform reads
//!   them, a section of the report);
//! - `days`: an inventory and a log file per day, `infer` and `check`
//!   over some of them;
//! - `flows`: flow-log records and the records of a connection;
//! - `model`: an inventory built in code, the one file here that uses the
//!   library;
//! - `scenario`: an inventory and log files in a temporary folder, and
//!   `infer` over them;
//! - `parquet`: flow-log lines as a Parquet file, as S3 delivery writes it;
//! - `terraform`: the tfvars checked by terraform itself;
//! - `aws_env` and `fault_proxy`: the emulated AWS account and the proxy
//!   that injects AWS's faults in front of it;
//! - `insights`: a Logs Insights that runs sgpair's `stats` queries over
//!   records held in the test (moto's does not);
//! - `aws_config`: AWS Config's recorder in moto, and the configuration
//!   items of interfaces that moto does not record, served by the proxy.

#[cfg(feature = "aws")]
pub mod aws_config;
#[cfg(feature = "aws")]
pub mod aws_env;
pub mod days;
#[cfg(feature = "aws")]
pub mod fault_proxy;
pub mod flows;
pub mod insights;
pub mod model;
pub mod outputs;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod run;
pub mod scenario;
pub mod terraform;

pub use flows::{V2, connection, lines, rec, v2_lines};
pub use model::Estate;
pub use outputs::{TfRule, read, section, v2_rules};
pub use run::{Out, Run, repo, sgpair};
pub use scenario::Scenario;

/// The end of the window the tests use, exclusive: the bundled sample's
/// last day ends here.
pub const UNTIL: &str = "2026-11-25T00:00:00Z";
/// [`UNTIL`] in seconds.
pub const UNTIL_T: i64 = 1_795_564_800;
/// 2026-11-24T00:00:00Z, the window's last day: where records are put
/// unless a test says otherwise.
pub const T0: i64 = UNTIL_T - 86_400;
