//! sgpair: least-privilege, mutual security-group rules from VPC Flow Logs.
//!
//! The data flows one way, one module per stage:
//! [`sources`] → [`parse`] → [`reduce`] → [`aggregate`] → [`resolve`] →
//! [`synthesize`] → [`emit`]. [`pipeline`] connects them; [`inventory`] is the
//! model of the environment that [`resolve`] looks addresses up in.

pub mod aggregate;
pub mod analysis;
pub mod audit;
#[cfg(feature = "aws")]
pub mod aws;
pub mod config;
pub mod emit;
pub mod endpoint;
#[doc(hidden)]
pub mod fuzzing;
pub mod generate;
pub mod history;
pub mod id;
pub mod inventory;
pub mod memory;
pub mod parallel;
pub mod parse;
pub mod partial;
pub mod pipeline;
pub mod present;
pub mod proposal;
pub mod pushdown;
pub mod reduce;
pub mod resolve;
pub mod run;
pub mod sources;
pub mod state;
pub mod stats;
pub mod synthesize;
pub mod usage;
pub mod window;
