//! How many threads a run's parallel steps use, and the one way they split
//! work: contiguous chunks of a slice, one scoped thread each.

/// Items below which a step stays on the calling thread: starting threads
/// costs more than the work.
const MIN_PARALLEL: usize = 4096;

/// The number of threads for `--threads` (`None`: one per core).
pub fn workers(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1)
}

/// Calls `f` on each item of `items` with the item of `with` at the same
/// place, on up to `threads` threads, each taking one contiguous chunk. The
/// items are changed in place: nothing is copied or collected, and the
/// result does not depend on how the slice was cut.
pub fn each_mut<T, C, F>(threads: usize, items: &mut [T], with: &[C], f: F)
where
    T: Send,
    C: Sync,
    F: Fn(&mut T, &C) + Sync,
{
    assert_eq!(items.len(), with.len(), "one companion per item");
    if threads <= 1 || items.len() < MIN_PARALLEL {
        items.iter_mut().zip(with).for_each(|(t, c)| f(t, c));
        return;
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        for (ts, cs) in items.chunks_mut(chunk).zip(with.chunks(chunk)) {
            s.spawn(move || ts.iter_mut().zip(cs).for_each(|(t, c)| f(t, c)));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every item is visited once with its own companion, whatever the
    /// number of threads, and the result is the sequential one.
    #[test]
    fn each_item_meets_its_companion_once_on_any_number_of_threads() {
        let with: Vec<u64> = (0..10_000).map(|i| i * 3).collect();
        let mut want: Vec<u64> = (0..10_000).collect();
        each_mut(1, &mut want, &with, |t, c| *t = *t * 7 + c);
        for threads in [2, 3, 8, 64] {
            let mut got: Vec<u64> = (0..10_000).collect();
            each_mut(threads, &mut got, &with, |t, c| *t = *t * 7 + c);
            assert_eq!(got, want, "{threads} threads");
        }
        assert_eq!(want[10], 10 * 7 + 30);
    }

    #[test]
    fn workers_are_at_least_one() {
        assert_eq!(workers(Some(0)), 1);
        assert_eq!(workers(Some(3)), 3);
        assert!(workers(None) >= 1);
    }
}
