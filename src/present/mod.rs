//! The words every output says the same way, shared by the audit (its
//! findings' subjects, evidence and fixes) and the emitters (the reports,
//! the tfvars, SARIF): rule keys and group names ([`names`]), how a service
//! is spelled ([`service`]), and how a span of days is said ([`time`]),
//! and who manages a group as its tags tell ([`owner`]).
//!
//! Downstream of the model (inventory, synthesize, window), upstream of
//! both `audit` and `emit`: neither imports the other for a word.

pub mod names;
pub mod owner;
pub mod service;
pub mod time;
