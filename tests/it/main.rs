//! The integration tests, in one test binary: one module per subject, and
//! `support` for what they share (running the binary, building inventories
//! and flow-log records, the AWS emulator, the fault proxy, terraform).
//!
//! One binary, not one per file: each test binary links the whole library
//! and its dependencies (the AWS SDK), and linking is most of a test build.
//! `cargo test --test it -- cli::` runs one module's tests.

mod support;

mod audit;
#[cfg(feature = "aws")]
mod aws;
#[cfg(feature = "aws")]
mod aws_faults;
mod bad_input;
mod check;
mod cli;
mod estate;
#[cfg(feature = "aws")]
mod estate_roles;
mod fuzz_regressions;
mod generate;
mod html;
mod insights;
mod log_events;
mod ownership;
mod panics;
#[cfg(feature = "parquet")]
mod parquet;
mod properties;
mod pushdown;
mod quota;
mod report_truth;
mod run;
#[cfg(feature = "aws")]
mod s3_archive;
mod samples;
#[cfg(unix)]
mod scripts;
#[cfg(feature = "aws")]
mod service_quotas;
mod state;
mod terraform;
mod terraform_folder;
mod usage;
