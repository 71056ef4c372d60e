//! A usage error found once the run looks at the files its flags name (two
//! outputs naming one file, an output naming an input or a folder): the
//! command was asked for wrongly, not run on bad data, so it exits with
//! code 2 as clap's own usage errors do, and a script can tell the two
//! apart.

use std::fmt;

/// What was asked for wrongly, and how to ask instead.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Whether `e`, or an error under it, is a [`UsageError`].
pub fn is_usage(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<UsageError>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_usage_error_is_found_under_the_context_added_to_it() {
        let e: anyhow::Result<()> = Err(UsageError("--out and --report both name x".into()).into());
        let e = e.context("cannot write the outputs").unwrap_err();
        assert!(is_usage(&e));
        assert!(!is_usage(&anyhow::anyhow!("cannot read x")));
    }
}
