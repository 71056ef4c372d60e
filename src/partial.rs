//! The partial-failure policy, written once: a source that fails part-way
//! (a file that breaks off, a denied log group, an unreadable S3 object)
//! fails the run, unless `--allow-partial`, where what was read is used and
//! the failure is recorded as missing evidence, which the report and the
//! summary then name.

use anyhow::Result;

/// What a failure that `--allow-partial` would have let through says first.
#[derive(Debug)]
struct NotReadInFull;

impl std::fmt::Display for NotReadInFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a source could not be read in full (--allow-partial goes on with what was read, and the report names what is missing)")
    }
}

/// `--allow-partial` or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Partial {
    pub allow: bool,
}

impl Partial {
    /// `Ok(Some(value))` when `result` holds one. A failure is the run's
    /// error, or, with `--allow-partial`, handed to `record` as one line
    /// (`prefix` and the error's chain) and `Ok(None)`.
    pub fn settle<T>(
        self,
        result: Result<T>,
        prefix: &str,
        record: impl FnOnce(String),
    ) -> Result<Option<T>> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(e) if self.allow => {
                record(format!("{prefix}{e:#}"));
                Ok(None)
            }
            // The flag that goes on is the way out: said once, where a
            // stream's failure is also its source's.
            Err(e) if e.downcast_ref::<NotReadInFull>().is_some() => Err(e),
            Err(e) => Err(e.context(NotReadInFull)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_fails_the_run_unless_partial_reads_are_allowed() {
        let failed = || -> Result<u8> { Err(anyhow::anyhow!("denied").context("log group g")) };
        let mut recorded = Vec::new();
        let strict = Partial { allow: false };
        let err = strict
            .settle(failed(), "", |m| recorded.push(m))
            .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "a source could not be read in full (--allow-partial goes on with what was read, and the report names what is missing): log group g: denied"
        );
        // A stream's failure, failing its source too, says it once.
        let again = strict.settle::<u8>(Err(err), "", |m| recorded.push(m));
        assert_eq!(
            format!("{:#}", again.unwrap_err())
                .matches("--allow-partial")
                .count(),
            1
        );
        assert!(recorded.is_empty());
        let partial = Partial { allow: true };
        assert_eq!(
            partial.settle(Ok(7), "x: ", |m| recorded.push(m)).unwrap(),
            Some(7)
        );
        assert_eq!(
            partial
                .settle(failed(), "x: ", |m| recorded.push(m))
                .unwrap(),
            None
        );
        assert_eq!(recorded, ["x: log group g: denied"]);
    }
}
