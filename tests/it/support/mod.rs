//! What the test modules share.

#[cfg(feature = "aws")]
pub mod aws_env;
#[cfg(feature = "aws")]
pub mod fault_proxy;
pub mod terraform;
