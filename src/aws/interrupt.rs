//! Ctrl-C while queries run in an AWS service (Logs Insights, and any
//! other long-running query a source starts): the first one is noted, so
//! the source stops its queries (they would otherwise run, and bill, on
//! their own) and fails the run; a second one ends the process at once.
//! Outside such a wait Ctrl-C ends the process as it always does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// `true`: Ctrl-C ends the process (the default action); `false`: a wait is
/// on and the first Ctrl-C only sets [`Interrupt::requested`].
static FLAGS: OnceLock<Option<(Arc<AtomicBool>, Arc<AtomicBool>)>> = OnceLock::new();

/// A wait that Ctrl-C interrupts; dropping it gives Ctrl-C its default
/// action back.
pub struct Interrupt {
    flags: Option<(Arc<AtomicBool>, Arc<AtomicBool>)>,
}

impl Interrupt {
    /// Catches Ctrl-C until dropped (where signals can be caught at all).
    pub fn catch() -> Interrupt {
        let flags = FLAGS.get_or_init(register).clone();
        if let Some((default, seen)) = &flags {
            seen.store(false, Ordering::SeqCst);
            default.store(false, Ordering::SeqCst);
        }
        Interrupt { flags }
    }

    /// Ctrl-C came since [`Interrupt::catch`].
    pub fn requested(&self) -> bool {
        self.flags
            .as_ref()
            .is_some_and(|(_, seen)| seen.load(Ordering::SeqCst))
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        if let Some((default, _)) = &self.flags {
            default.store(true, Ordering::SeqCst);
        }
    }
}

/// Registers, once: first the default action when `default` is set (or a
/// Ctrl-C was already seen: the second ends the process), then the flag.
#[cfg(unix)]
fn register() -> Option<(Arc<AtomicBool>, Arc<AtomicBool>)> {
    use signal_hook::consts::SIGINT;
    use signal_hook::flag;
    let default = Arc::new(AtomicBool::new(true));
    let seen = Arc::new(AtomicBool::new(false));
    flag::register_conditional_default(SIGINT, default.clone()).ok()?;
    flag::register_conditional_default(SIGINT, seen.clone()).ok()?;
    flag::register(SIGINT, seen.clone()).ok()?;
    Some((default, seen))
}

#[cfg(not(unix))]
fn register() -> Option<(Arc<AtomicBool>, Arc<AtomicBool>)> {
    None
}
