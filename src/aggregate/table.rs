//! The running sums by aggregation key: a dense vector of (key, sums) and
//! an open-addressing index of positions into it.
//!
//! The hot path of the reading looks up one key per record. A hash map of
//! (key, sums) holds each entry in a bucket of its table, and the table
//! doubles: with 230,000 keys it was 512 Ki buckets of 136 bytes (70 MB a
//! worker). Here the table holds 8 bytes a slot (a tag of the hash and the
//! entry's position) and the entries (128 bytes) sit in insertion order,
//! without holes: the same keys take under 40 MB, and a lookup reads the slot and the one
//! entry it names. The key of the record before is remembered with its
//! position, so a record of the same connection as the one before (a
//! request and its response, the records of one pooled connection) skips
//! the hash altogether.
//!
//! A lookup waits on memory twice (the slot, then the entry): with many
//! keys neither is in a near cache. So a record's sums are not added at
//! once: [`Conns::add`] queues them with the key's hash and asks the CPU
//! for the slot's cache line; [`DEPTH`]/2 records later the slot is read
//! and the entry's line asked for; [`DEPTH`]*3/4 records later the entry
//! is read, its position kept with the record, and the word of its client
//! ports the record will touch asked for; [`DEPTH`] records later the sums
//! are added at that position, by then from the cache (a key new to the
//! table is looked up then). The queue is a ring of fixed size.
//! Sums commute, so the order of adding does not matter; every method that
//! reads the table adds what is queued first, so nothing queued is ever
//! missed.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use super::AggKey;
use super::acc::{Acc, Sample};

/// Records queued before their sums are added (see the module docs).
const DEPTH: usize = 16;

/// A record's sums waiting to be added.
#[derive(Debug, Clone, Copy)]
struct Pending {
    key: AggKey,
    hash: u64,
    /// The key's position, once a look-ahead found it ([`FREE`] until
    /// then): the sums are then added without looking the key up again.
    at: u32,
    sample: Sample,
}

/// The queue of [`Pending`] records: a ring of fixed size, whose length
/// never passes [`DEPTH`] + 1.
#[derive(Debug)]
struct Queue {
    /// `None` where no record was ever queued; past the length, a record
    /// already taken (never read again).
    items: Box<[Option<Pending>; RING]>,
    /// The oldest record's place.
    head: usize,
    len: usize,
}

/// The ring's size: a power of two above [`DEPTH`].
const RING: usize = (DEPTH + 1).next_power_of_two();

impl Default for Queue {
    fn default() -> Self {
        Queue {
            items: Box::new([None; RING]),
            head: 0,
            len: 0,
        }
    }
}

impl Queue {
    #[inline]
    fn len(&self) -> usize {
        self.len
    }

    /// The `i`-th oldest record.
    #[inline]
    fn get_mut(&mut self, i: usize) -> Option<&mut Pending> {
        if i >= self.len {
            return None;
        }
        self.items[(self.head + i) % RING].as_mut()
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&Pending> {
        if i >= self.len {
            return None;
        }
        self.items[(self.head + i) % RING].as_ref()
    }

    #[inline]
    fn push_back(&mut self, p: Pending) {
        assert!(self.len < RING, "the queue is emptied past DEPTH");
        self.items[(self.head + self.len) % RING] = Some(p);
        self.len += 1;
    }

    #[inline]
    fn pop_front(&mut self) -> Option<Pending> {
        if self.len == 0 {
            return None;
        }
        // Copied out, not taken: a place past the queue's length is never
        // read, so it need not be written back as `None` (a record's 14
        // words written twice).
        let p = self.items[self.head];
        self.head = (self.head + 1) % RING;
        self.len -= 1;
        p
    }
}

/// A free slot.
const FREE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The high half of the key's hash: most other keys differ here, so
    /// the entry is read only for a likely match.
    tag: u32,
    /// Position in `entries`, or [`FREE`].
    at: u32,
}

const EMPTY: Slot = Slot { tag: 0, at: FREE };

/// A key and its sums take 128 bytes (136 before the port set was laid
/// out flat): 6% less memory per key, where the reading waits on memory.
const _: () = assert!(std::mem::size_of::<(AggKey, Acc)>() == 128);

/// (key, sums) pairs with unique keys, in insertion order.
#[derive(Debug, Default)]
pub(super) struct Conns {
    entries: Vec<(AggKey, Acc)>,
    /// Power-of-two length, at most half full; empty until the first insert.
    slots: Vec<Slot>,
    /// The key looked up last and its position.
    last: Option<(AggKey, u32)>,
    /// Records whose sums are not added yet, oldest first.
    pending: Queue,
}

#[inline]
fn hash_of(k: &AggKey) -> u64 {
    FxBuildHasher.hash_one(k)
}

/// Asks the CPU to bring `v`'s cache line in. A hint: it reads nothing
/// and cannot fault.
#[inline(always)]
pub(super) fn prefetch<T>(v: &T) {
    prefetch_at(std::ptr::from_ref(v).cast());
}

/// [`prefetch`] of the line that holds the byte at `p`, which need not be
/// the program's memory: nothing is read.
#[inline(always)]
fn prefetch_at(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch does not access memory as the program sees it (it
    // cannot fault, whatever the address).
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// [`prefetch`] of every cache line `v` spans: an entry of the table
/// spans two or three, and [`Acc::add`] writes to all of them.
#[inline(always)]
fn prefetch_lines<T>(v: &T) {
    let start = std::ptr::from_ref(v).cast::<u8>();
    let end = start.wrapping_add(std::mem::size_of::<T>().max(1) - 1);
    let mut line = start.wrapping_sub(start as usize % 64);
    while line <= end {
        prefetch_at(line);
        line = line.wrapping_add(64);
    }
}

impl Conns {
    pub(super) fn len(&mut self) -> usize {
        self.flush();
        self.entries.len()
    }

    /// Adds a record's sums under `k`: queued, and added [`DEPTH`] records
    /// later (or when the table is next read).
    #[inline]
    pub(super) fn add(&mut self, k: AggKey, sample: Sample) {
        let hash = hash_of(&k);
        if !self.slots.is_empty() {
            prefetch(&self.slots[hash as usize & (self.slots.len() - 1)]);
        }
        // The slot asked for half the queue ago is in by now: ask for its
        // entry; the entry asked for a quarter ago: ask for the word of its
        // client ports that the record's port will touch.
        let n = self.pending.len();
        if let Some(p) = n.checked_sub(DEPTH / 2).and_then(|i| self.pending.get(i)) {
            self.prefetch_entry(p.hash);
        }
        if let Some(i) = n.checked_sub(3 * DEPTH / 4)
            && let Some(p) = self.pending.get(i)
            && let Ok(at) = self.find(p.hash, &p.key)
        {
            let port = p.sample.client_port;
            self.entries[at as usize].1.client_ports.prefetch(port);
            if let Some(p) = self.pending.get_mut(i) {
                p.at = at;
            }
        }
        self.pending.push_back(Pending {
            key: k,
            hash,
            at: FREE,
            sample,
        });
        if self.pending.len() > DEPTH
            && let Some(p) = self.pending.pop_front()
        {
            self.apply(p);
        }
    }

    /// Adds every queued record's sums.
    pub(super) fn flush(&mut self) {
        while let Some(p) = self.pending.pop_front() {
            self.apply(p);
        }
    }

    #[inline]
    fn apply(&mut self, p: Pending) {
        // Found by the look-ahead: entries only ever get appended while
        // records are queued, so the position still holds the key.
        let acc = match self.entries.get_mut(p.at as usize) {
            Some((_, acc)) => acc,
            None => self.entry_hashed(p.key, p.hash),
        };
        acc.add(&p.sample);
    }

    /// Asks for the entry the first slot with `hash`'s tag names.
    #[inline]
    fn prefetch_entry(&self, hash: u64) {
        if self.slots.is_empty() {
            return;
        }
        let s = self.slots[hash as usize & (self.slots.len() - 1)];
        if s.at != FREE
            && s.tag == (hash >> 32) as u32
            && let Some(e) = self.entries.get(s.at as usize)
        {
            prefetch_lines(e);
        }
    }

    /// The sums of `k`, inserted empty when new.
    pub(super) fn entry(&mut self, k: AggKey) -> &mut Acc {
        self.flush();
        self.entry_hashed(k, hash_of(&k))
    }

    /// [`Conns::entry`] for a key whose hash is `h`.
    #[inline]
    fn entry_hashed(&mut self, k: AggKey, h: u64) -> &mut Acc {
        if let Some((last, at)) = self.last
            && last == k
        {
            return &mut self.entries[at as usize].1;
        }
        let at = match self.find(h, &k) {
            Ok(at) => at,
            Err(slot) => self.push(slot, h, k, Acc::default()),
        };
        self.last = Some((k, at));
        &mut self.entries[at as usize].1
    }

    /// Adds `acc` under `k`, merged into the sums already there.
    pub(super) fn merge_in(&mut self, k: AggKey, acc: Acc) {
        self.flush();
        self.merge_hashed(k, acc, hash_of(&k));
    }

    /// Adds every entry of `other`, its key changed by `key` first (an
    /// interface interned by another aggregator), as [`Conns::merge_in`]
    /// would one by one. The lookups wait on memory as the reading's do,
    /// so they are asked for ahead as the reading's are (see the module
    /// docs): the slot [`DEPTH`] entries ahead, the entry [`DEPTH`]/2 ahead.
    pub(super) fn merge_all(&mut self, mut other: Conns, key: impl Fn(AggKey) -> AggKey) {
        self.flush();
        other.flush();
        let mut entries = other.entries;
        for (k, _) in &mut entries {
            *k = key(*k);
        }
        let hashes: Vec<u64> = entries.iter().map(|(k, _)| hash_of(k)).collect();
        for (i, ((k, acc), &h)) in entries.into_iter().zip(&hashes).enumerate() {
            if let Some(&ahead) = hashes.get(i + DEPTH)
                && !self.slots.is_empty()
            {
                prefetch(&self.slots[ahead as usize & (self.slots.len() - 1)]);
            }
            if let Some(&ahead) = hashes.get(i + DEPTH / 2) {
                self.prefetch_entry(ahead);
            }
            self.merge_hashed(k, acc, h);
        }
    }

    /// [`Conns::merge_in`] of a key whose hash is `h`, nothing queued.
    #[inline]
    fn merge_hashed(&mut self, k: AggKey, acc: Acc, h: u64) {
        match self.find(h, &k) {
            Ok(at) => self.entries[at as usize].1.merge(&acc),
            Err(slot) => {
                self.push(slot, h, k, acc);
            }
        }
    }

    /// The entries in insertion order, once [`Conns::flush`] has added
    /// what was queued (a queued record is in no entry yet).
    pub(super) fn flushed(&self) -> &[(AggKey, Acc)] {
        debug_assert!(self.pending.len() == 0, "flush first");
        &self.entries
    }

    /// Where `k` is in [`Conns::flushed`]'s entries.
    pub(super) fn position(&self, k: &AggKey) -> Option<usize> {
        debug_assert!(self.pending.len() == 0, "flush first");
        self.find(hash_of(k), k).ok().map(|at| at as usize)
    }

    pub(super) fn iter(&mut self) -> impl Iterator<Item = (&AggKey, &Acc)> {
        self.flush();
        self.entries.iter().map(|(k, a)| (k, a))
    }

    pub(super) fn values(&mut self) -> impl Iterator<Item = &Acc> {
        self.flush();
        self.entries.iter().map(|(_, a)| a)
    }

    /// Keeps the entries `keep` says to keep (`--keep`: rare), then
    /// rebuilds the index.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&AggKey, &Acc) -> bool) {
        self.flush();
        self.entries.retain(|(k, a)| keep(k, a));
        self.last = None;
        let n = self.entries.len();
        self.rebuild((2 * n).next_power_of_two().max(16));
    }

    /// `Ok(position)` of `k`, or `Err(slot)`: the free slot where it goes.
    #[inline]
    fn find(&self, h: u64, k: &AggKey) -> Result<u32, usize> {
        if self.slots.is_empty() {
            return Err(usize::MAX);
        }
        let mask = self.slots.len() - 1;
        let tag = (h >> 32) as u32;
        let mut i = h as usize & mask;
        loop {
            let s = self.slots[i];
            if s.at == FREE {
                return Err(i);
            }
            if s.tag == tag && self.entries[s.at as usize].0 == *k {
                return Ok(s.at);
            }
            i = (i + 1) & mask;
        }
    }

    /// Appends a new entry at the free `slot` [`Conns::find`] gave.
    #[cold]
    #[inline(never)]
    fn push(&mut self, slot: usize, h: u64, k: AggKey, acc: Acc) -> u32 {
        let at = u32::try_from(self.entries.len()).expect("fewer than 4 billion keys");
        self.entries.push((k, acc));
        if 2 * self.entries.len() > self.slots.len() {
            // Over half full (or the first entry): double, then place every
            // entry again, this one included.
            self.rebuild((2 * self.slots.len()).max(16));
        } else {
            self.slots[slot] = Slot {
                tag: (h >> 32) as u32,
                at,
            };
        }
        at
    }

    /// A fresh index of `len` slots over the entries.
    fn rebuild(&mut self, len: usize) {
        self.slots = vec![EMPTY; len];
        let mask = len - 1;
        for (at, (k, _)) in self.entries.iter().enumerate() {
            let h = hash_of(k);
            let mut i = h as usize & mask;
            while self.slots[i].at != FREE {
                i = (i + 1) & mask;
            }
            self.slots[i] = Slot {
                tag: (h >> 32) as u32,
                at: at as u32,
            };
        }
    }
}

impl IntoIterator for Conns {
    type Item = (AggKey, Acc);
    type IntoIter = std::vec::IntoIter<(AggKey, Acc)>;

    fn into_iter(mut self) -> Self::IntoIter {
        self.flush();
        self.entries.into_iter()
    }
}
