//! The exact set of a connection's distinct client ports: a short vector,
//! then a bitmap of the 64-port words between the lowest and highest port.

/// Distinct 16-bit ports, exact: a vector while small (in insertion order),
/// then a bitmap of the 64-port words between the lowest and the highest port
/// seen (Linux clients' 32768-60999 take 3.5 KiB, not 8).
#[derive(Debug, Clone)]
pub enum PortSet {
    Small(Vec<u16>),
    Bits {
        /// The word (port / 64) of `words[0]`.
        first: u16,
        words: Vec<u64>,
        len: u32,
    },
}

const SMALL_PORTS: usize = 48;

impl Default for PortSet {
    fn default() -> Self {
        PortSet::Small(Vec::new())
    }
}

/// Makes `words` (starting at word `first`) cover word `w`.
fn cover(first: &mut u16, words: &mut Vec<u64>, w: usize) {
    let f = usize::from(*first);
    if words.is_empty() {
        *first = w as u16;
        words.push(0);
    } else if w < f {
        words.splice(0..0, std::iter::repeat_n(0, f - w));
        *first = w as u16;
    } else if w >= f + words.len() {
        words.resize(w - f + 1, 0);
    }
}

impl PortSet {
    pub fn insert(&mut self, p: u16) {
        match self {
            PortSet::Small(v) => {
                // One pass without branches over at most 48 ports: cheaper
                // than a binary search and a shift per new port.
                let present = v.iter().fold(false, |seen, &q| seen | (q == p));
                if !present {
                    if v.len() < SMALL_PORTS {
                        v.push(p);
                    } else {
                        let lo = v.iter().chain([&p]).min().copied().unwrap_or(p) / 64;
                        let hi = v.iter().chain([&p]).max().copied().unwrap_or(p) / 64;
                        let words = vec![0u64; usize::from(hi - lo) + 1];
                        let old = std::mem::take(v);
                        *self = PortSet::Bits {
                            first: lo,
                            words,
                            len: 0,
                        };
                        for q in old.into_iter().chain([p]) {
                            self.insert(q);
                        }
                    }
                }
            }
            PortSet::Bits { first, words, len } => {
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

    pub fn len(&self) -> usize {
        match self {
            PortSet::Small(v) => v.len(),
            PortSet::Bits { len, .. } => *len as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The only port, when there is exactly one.
    pub fn single(&self) -> Option<u16> {
        match self {
            PortSet::Small(v) if v.len() == 1 => Some(v[0]),
            _ => None,
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = u16> + '_> {
        match self {
            PortSet::Small(v) => Box::new(v.iter().copied()),
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
            (
                PortSet::Bits { first, words, len },
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
            (PortSet::Small(mine), PortSet::Bits { .. }) => {
                let mine = std::mem::take(mine);
                *self = other.clone();
                for p in mine {
                    self.insert(p);
                }
            }
            _ => {
                for p in other.iter() {
                    self.insert(p);
                }
            }
        }
    }
}
