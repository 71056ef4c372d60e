//! The exact set of a connection's distinct client ports: inline while
//! few, then a sorted vector, then a bitmap of the 64-port words between
//! the lowest and the highest port, whichever is smaller.

/// Ports kept inline, without an allocation: most keys see a few client
/// ports (an internet client, a pooled connection), and the set then costs
/// no more than the enum itself.
const INLINE: usize = 11;

/// The most ports a sorted vector holds: past it, a new port shifts a
/// kilobyte on average, and the bitmap (at most 8 KiB, 3.5 KiB for Linux's
/// ephemeral range) costs one bit whatever the count.
const SORTED_MAX: usize = 384;

/// Distinct 16-bit ports, exact. Inline up to [`INLINE`] ports (in insertion
/// order), then a sorted vector while two bytes a port take less room than
/// the bitmap of their range would, then that bitmap: the 64-port words
/// between the lowest and the highest port seen (Linux clients' 32768-60999
/// take 3.5 KiB, reached at about 1,500 ports; 200 ports take 400 bytes).
///
/// The variants' fields are laid out flat (no struct inside a variant), so
/// the tag shares a word with them: the set is 24 bytes (a `Vec` inside a
/// variant made it 32), and an entry of the table of sums 128 (`table.rs`).
#[derive(Debug, Clone)]
pub enum PortSet {
    Inline {
        len: u8,
        ports: [u16; INLINE],
    },
    /// The first `len` of `ports` (whose length is the capacity), sorted.
    Sorted {
        len: u16,
        ports: Box<[u16]>,
    },
    Bits {
        /// The word (port / 64) of `words[0]`.
        first: u16,
        len: u32,
        words: Box<[u64]>,
    },
}

impl Default for PortSet {
    fn default() -> Self {
        PortSet::Inline {
            len: 0,
            ports: [0; INLINE],
        }
    }
}

/// Bytes of the bitmap covering `lo..=hi`.
fn bitmap_bytes(lo: u16, hi: u16) -> usize {
    (usize::from(hi / 64) - usize::from(lo / 64) + 1) * 8
}

/// The bitmap of sorted, distinct `ports` (at least one).
fn bits_of(ports: &[u16]) -> PortSet {
    let (lo, hi) = (ports[0], ports[ports.len() - 1]);
    let first = lo / 64;
    let mut words = vec![0u64; usize::from(hi / 64 - first) + 1];
    for &p in ports {
        words[usize::from(p / 64 - first)] |= 1 << (p % 64);
    }
    PortSet::Bits {
        first,
        len: ports.len() as u32,
        words: words.into_boxed_slice(),
    }
}

/// Sorted, distinct `ports` as the smaller of a vector and a bitmap.
fn of_sorted(ports: Vec<u16>) -> PortSet {
    match (ports.first(), ports.last()) {
        _ if ports.len() <= INLINE => {
            let mut set = PortSet::default();
            for p in ports {
                set.insert(p);
            }
            set
        }
        (Some(&lo), Some(&hi)) if 2 * ports.len() > bitmap_bytes(lo, hi) => bits_of(&ports),
        _ => sorted(&ports, ports.len()),
    }
}

/// A [`PortSet::Sorted`] of sorted, distinct `ports` (at most
/// [`SORTED_MAX`] + 1), with room for `room` of them.
fn sorted(ports: &[u16], room: usize) -> PortSet {
    PortSet::Sorted {
        len: u16::try_from(ports.len())
            .expect("a vector holds fewer ports than its bitmap has bytes (8 KiB)"),
        ports: with_room(ports, room),
    }
}

/// The sorted union of two sorted sets, each element once.
pub(super) fn sorted_union<T: Ord + Copy>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// `ports` first in a buffer of `room` (at least their number), zeros after.
fn with_room(ports: &[u16], room: usize) -> Box<[u16]> {
    let mut all = vec![0u16; room.max(ports.len())].into_boxed_slice();
    all[..ports.len()].copy_from_slice(ports);
    all
}

impl PortSet {
    #[inline]
    pub fn insert(&mut self, p: u16) {
        match self {
            PortSet::Inline { len, ports } => {
                let n = usize::from(*len);
                // One pass without branches over at most 11 ports.
                if ports[..n].iter().fold(false, |seen, &q| seen | (q == p)) {
                    return;
                }
                if n < INLINE {
                    ports[n] = p;
                    *len += 1;
                    return;
                }
                let mut v = [0u16; INLINE + 1];
                v[..INLINE].copy_from_slice(ports);
                v[INLINE] = p;
                v.sort_unstable();
                *self = sorted(&v, 2 * (INLINE + 1));
            }
            PortSet::Sorted { len, ports } => {
                let n = usize::from(*len);
                let Err(at) = ports[..n].binary_search(&p) else {
                    return;
                };
                if n == ports.len() {
                    // Growing would double the vector: the bitmap instead,
                    // if smaller, or once inserting costs a long shift.
                    let (lo, hi) = (ports[0].min(p), ports[n - 1].max(p));
                    if n >= SORTED_MAX || bitmap_bytes(lo, hi) <= 4 * n {
                        let mut v = ports.to_vec();
                        v.insert(at, p);
                        *self = bits_of(&v);
                        return;
                    }
                    *ports = with_room(ports, 2 * n);
                }
                ports.copy_within(at..n, at + 1);
                ports[at] = p;
                *len += 1;
            }
            PortSet::Bits { first, len, words } => {
                let w = usize::from(p / 64);
                let f = usize::from(*first);
                if w < f || w >= f + words.len() {
                    cover(first, words, w);
                }
                let word = &mut words[w - usize::from(*first)];
                let bit = 1u64 << (p % 64);
                if *word & bit == 0 {
                    *word |= bit;
                    *len += 1;
                }
            }
        }
    }

    /// Asks the CPU for the memory [`PortSet::insert`] of `p` will read
    /// (the set's heap part; inline ports are in the entry already).
    #[inline]
    pub(super) fn prefetch(&self, p: u16) {
        match self {
            PortSet::Inline { .. } => {}
            PortSet::Sorted { len, ports } => {
                if let Some(mid) = ports.get(usize::from(*len) / 2) {
                    super::table::prefetch(mid);
                }
            }
            PortSet::Bits { first, words, .. } => {
                if let Some(w) = usize::from(p / 64)
                    .checked_sub(usize::from(*first))
                    .and_then(|i| words.get(i))
                {
                    super::table::prefetch(w);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            PortSet::Inline { len, .. } => usize::from(*len),
            PortSet::Sorted { len, .. } => usize::from(*len),
            PortSet::Bits { len, .. } => *len as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The only port, when there is exactly one. Asked of every key after
    /// the reading: read in place, without the boxed iterator of
    /// [`PortSet::iter`].
    pub fn single(&self) -> Option<u16> {
        match self {
            PortSet::Inline { len, ports } => (*len == 1).then_some(ports[0]),
            // Made past `INLINE` ports, and sets only grow.
            PortSet::Sorted { .. } | PortSet::Bits { .. } => None,
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = u16> + '_> {
        match self {
            PortSet::Inline { len, ports } => Box::new(ports[..usize::from(*len)].iter().copied()),
            PortSet::Sorted { len, ports } => Box::new(ports[..usize::from(*len)].iter().copied()),
            PortSet::Bits { first, words, .. } => {
                let base = usize::from(*first);
                Box::new(words.iter().enumerate().flat_map(move |(i, &w)| {
                    let mut w = w;
                    std::iter::from_fn(move || {
                        (w != 0).then(|| {
                            let b = w.trailing_zeros();
                            w &= w - 1;
                            ((base + i) * 64) as u16 + b as u16
                        })
                    })
                }))
            }
        }
    }

    pub fn union(&mut self, other: &PortSet) {
        match (&mut *self, other) {
            (_, PortSet::Inline { len, ports }) => {
                for &p in &ports[..usize::from(*len)] {
                    self.insert(p);
                }
            }
            (
                PortSet::Bits { first, len, words },
                PortSet::Bits {
                    first: their_first,
                    words: theirs,
                    ..
                },
            ) => {
                let tf = usize::from(*their_first);
                cover(first, words, tf);
                cover(first, words, tf + theirs.len() - 1);
                let off = tf - usize::from(*first);
                for (w, t) in words[off..].iter_mut().zip(theirs.iter()) {
                    *w |= *t;
                }
                *len = words.iter().map(|w| w.count_ones()).sum();
            }
            (PortSet::Bits { .. }, PortSet::Sorted { len, ports }) => {
                for &p in &ports[..usize::from(*len)] {
                    self.insert(p);
                }
            }
            (
                PortSet::Sorted { len, ports },
                PortSet::Sorted {
                    len: their_len,
                    ports: their_ports,
                },
            ) => {
                let mine = &ports[..usize::from(*len)];
                let theirs = &their_ports[..usize::from(*their_len)];
                *self = of_sorted(sorted_union(mine, theirs));
            }
            // A smaller kind into a larger one: start from the larger.
            (_, larger) => {
                let mine: Vec<u16> = self.iter().collect();
                *self = larger.clone();
                for p in mine {
                    self.insert(p);
                }
            }
        }
    }
}

/// Makes `words` (starting at word `first`) cover word `w`.
fn cover(first: &mut u16, words: &mut Box<[u64]>, w: usize) {
    let f = usize::from(*first);
    if w < f {
        let mut grown = vec![0u64; f - w];
        grown.extend_from_slice(words);
        *words = grown.into_boxed_slice();
        *first = w as u16;
    } else if w >= f + words.len() {
        let mut grown = words.to_vec();
        grown.resize(w - f + 1, 0);
        *words = grown.into_boxed_slice();
    }
}
