//! polars' decoder checks much of a corrupt file and returns errors, but not
//! all: some corrupt pages make it panic (an assertion, an `unwrap`). A
//! corrupt file must be an error naming it, never a panic, so each call into
//! the decoder runs here: a panic becomes an error with its message, and the
//! default hook does not print it meanwhile (only for this thread, only
//! while it decodes; every other panic is printed as before).

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use anyhow::{Result, anyhow};

thread_local! {
    /// This thread is inside [`decoding`].
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (a call into polars' decoder); a panic in it is an error.
pub(super) fn decoding<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DECODING.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = DECODING.with(|d| d.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    DECODING.with(|d| d.set(was));
    result.unwrap_or_else(|panic| {
        Err(anyhow!(
            "the Parquet decoder failed on corrupt data ({})",
            message(&*panic)
        ))
    })
}

/// A panic's message, where it has one.
fn message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("no message")
}
