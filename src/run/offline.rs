//! The AWS side of a run in a build without the `aws` cargo feature: there
//! is no connection, and asking for one says how to run without it.

use anyhow::{Result, bail};
use indicatif::ProgressBar;

use super::config::{AwsSettings, RoleTemplate};
use crate::history::History;
use crate::inventory::Inventory;
use crate::partial::Partial;
use crate::pipeline::{Reader, Reading};
use crate::sources::s3;
use crate::window::Window;

/// No connection can exist in this build.
pub enum Aws {}

const NO_AWS: &str = "this sgpair was built without the `aws` feature: give local files with --logs and the inventory with --inventory FILE (or build with default features)";

impl Aws {
    pub fn connect(_settings: &AwsSettings) -> Result<Aws> {
        bail!(NO_AWS)
    }

    pub fn inventory(&self) -> Result<Inventory> {
        match *self {}
    }

    pub fn quota(&self, _code: &str) -> Result<usize> {
        match *self {}
    }

    pub fn inventories(
        &self,
        _accounts: &[String],
        _role: &RoleTemplate,
        _concurrency: usize,
    ) -> Vec<(String, Result<Inventory>)> {
        match *self {}
    }

    pub fn log_group(
        &self,
        _group: &str,
        _window: Window,
        _reader: Reader,
        _partial: Partial,
        _concurrency: usize,
        _pb: &ProgressBar,
    ) -> Result<Reading> {
        match *self {}
    }

    #[allow(clippy::too_many_arguments)]
    pub fn s3(
        &self,
        _url: &s3::S3Url,
        _window: Window,
        _scope: &s3::Scope,
        _reader: Reader,
        _partial: Partial,
        _concurrency: usize,
        _pb: &ProgressBar,
    ) -> Result<Reading> {
        match *self {}
    }

    pub fn history(&self, _since: i64, _until: i64) -> Result<History> {
        match *self {}
    }

    pub fn config_history(
        &self,
        _interfaces: Vec<String>,
        _window: Window,
        _concurrency: usize,
    ) -> Result<History> {
        match *self {}
    }
}

pub fn snapshot(_settings: &AwsSettings) -> Result<Inventory> {
    bail!(NO_AWS)
}

/// A [`crate::usage::UsageError`] (outputs that collide, an output naming
/// an input or a folder): exit code 2, like any usage error.
pub fn is_usage_error(e: &anyhow::Error) -> bool {
    crate::usage::is_usage(e)
}
