//! The process's memory: what it holds (for the stage log), and giving
//! back what it has freed.
//!
//! glibc's allocator keeps freed memory for later allocations instead of
//! returning it. After the reading, the workers' tables are freed and the
//! connections built in their place, mostly in one large new allocation
//! that cannot reuse the freed pieces: the freed memory and the new would
//! add up at the run's peak. [`give_back`] returns the freed pages first.

/// Returns the pages of freed memory to the system (glibc on Linux; a no-op
/// elsewhere). It walks the allocator's free lists: call it between
/// stages, after large structures were dropped, not in a loop.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases pages of free chunks; it reads and
    // writes no memory the program holds, and is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Resident and peak resident memory in MB, from `/proc/self/status`
/// (0 where there is no such file).
pub fn resident_mb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    (kb("VmRSS:") / 1024, kb("VmHWM:") / 1024)
}

#[cfg(test)]
mod tests {
    // Where give_back does something: glibc on Linux.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_memory_goes_back() {
        // 128 MB in many pieces, touched, then freed.
        let pieces: Vec<Vec<u8>> = (0..2048).map(|_| vec![1u8; 64 << 10]).collect();
        let (held, _) = super::resident_mb();
        drop(pieces);
        super::give_back();
        let (after, _) = super::resident_mb();
        assert!(held >= 128, "128 MB held: {held} MB resident");
        assert!(
            after + 64 <= held,
            "{held} MB resident before, {after} MB after"
        );
    }
}
