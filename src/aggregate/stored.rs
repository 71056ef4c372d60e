//! The aggregation as plain data that outlives a run (`--state`): every
//! connection's running sums before the orientation pass, exactly, so that
//! folding a stored aggregation into a new one is the same
//! [`Aggregator::merge`] the workers of one run use, and settling the
//! merged whole decides what one run over both windows would.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::*;
use crate::reduce::Strength;

/// One capturing interface and where its records said it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredInterface {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// One aggregation key's sums: the interface (an index into
/// [`Stored::interfaces`], `None` when the format logged none), client,
/// server, service port, protocol, [records, bytes, packets, SYNs],
/// [first, last], strength (0 weak, 1 clear, 2 certain, -1 none), method
/// (an index of [`METHODS`], -1 none), and the distinct client ports as
/// ranges (`"32768-32770,40001"`). A tuple: the file holds one per key.
pub type StoredConnection = (
    Option<u32>,
    IpAddr,
    IpAddr,
    u16,
    u8,
    [u64; 4],
    [i64; 2],
    i8,
    i8,
    String,
);

/// An address an interface (an index) held, from first to last record.
pub type StoredHeld = (u32, IpAddr, i64, i64);

/// The aggregation of one or more windows, as plain data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub interfaces: Vec<StoredInterface>,
    pub connections: Vec<StoredConnection>,
    pub held: Vec<StoredHeld>,
    /// Address, start of the first record that named it, AWS service.
    pub services: Vec<(IpAddr, i64, String)>,
}

/// The methods in the order of their stored index.
pub const METHODS: [Method; 6] = [
    Method::TcpFlags,
    Method::KnownService,
    Method::FanIn,
    Method::FanOut,
    Method::OneWay,
    Method::PortRange,
];

const STRENGTHS: [Strength; 3] = [Strength::Weak, Strength::Clear, Strength::Certain];

/// Sorted distinct ports as ranges: `a-b` for a run, `a` alone.
fn ports_text(ports: &PortSet) -> String {
    let mut sorted: Vec<u16> = ports.iter().collect();
    sorted.sort_unstable();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end.wrapping_add(1) {
            end += 1;
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
        i += 1;
    }
    out
}

fn ports_of(text: &str) -> Result<PortSet, String> {
    let mut set = PortSet::default();
    if text.is_empty() {
        return Ok(set);
    }
    for part in text.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let parse = |s: &str| {
            s.parse::<u16>()
                .map_err(|_| format!("{part:?} is not a port or a range of ports"))
        };
        let (a, b) = (parse(a)?, parse(b)?);
        if a > b {
            return Err(format!("{part:?} is a range that ends before it starts"));
        }
        for p in a..=b {
            set.insert(p);
        }
    }
    Ok(set)
}

fn index_of<T: PartialEq>(table: &[T], v: Option<T>) -> i8 {
    v.and_then(|v| table.iter().position(|t| *t == v))
        .map_or(-1, |i| i as i8)
}

fn at<T: Copy>(table: &[T], i: i8, what: &str) -> Result<Option<T>, String> {
    match i {
        -1 => Ok(None),
        i if i >= 0 && (i as usize) < table.len() => Ok(Some(table[i as usize])),
        i => Err(format!("{i} is not a {what}")),
    }
}

impl Aggregator {
    /// The aggregation as plain data, sorted (the same sums give the same
    /// data, whatever the order records came in).
    pub fn to_stored(&mut self) -> Stored {
        // Interfaces by id: the stored order does not depend on interning.
        let mut order: Vec<u32> = (0..self.enis.len() as u32).collect();
        order.sort_unstable_by(|a, b| self.enis[*a as usize].cmp(&self.enis[*b as usize]));
        let mut index = vec![0u32; self.enis.len()];
        for (i, id) in order.iter().enumerate() {
            index[*id as usize] = i as u32;
        }
        let eni = |id: u32| (id != NO_ENI).then(|| index[id as usize]);
        let interfaces = order
            .iter()
            .map(|&id| StoredInterface {
                id: self.enis[id as usize].clone(),
                vpc: self.places[id as usize].vpc.get().map(str::to_string),
                account: self.places[id as usize].account.get().map(str::to_string),
            })
            .collect();
        let mut connections: Vec<StoredConnection> = self
            .conns
            .iter()
            .map(|(k, a)| {
                (
                    eni(k.eni),
                    k.key.client,
                    k.key.server,
                    k.key.port,
                    k.key.proto,
                    [a.records, a.bytes, a.packets, a.syns],
                    [a.first, a.last],
                    index_of(&STRENGTHS, a.strength),
                    index_of(&METHODS, a.method),
                    ports_text(&a.client_ports),
                )
            })
            .collect();
        connections.sort_unstable_by_key(|c| (c.4, c.3, c.2, c.1, c.0));
        let mut held: Vec<StoredHeld> = self
            .held
            .iter()
            .filter(|((e, _), _)| *e != NO_ENI)
            .map(|((e, addr), (first, last))| (index[*e as usize], *addr, *first, *last))
            .collect();
        held.sort_unstable();
        let mut services: Vec<(IpAddr, i64, String)> = self
            .services
            .iter()
            .map(|(a, (start, s))| (*a, *start, s.clone()))
            .collect();
        services.sort_unstable();
        Stored {
            interfaces,
            connections,
            held,
            services,
        }
    }

    /// An aggregator holding what `stored` holds: [`Aggregator::merge`]
    /// then folds it into another. An entry out of range names itself.
    pub fn from_stored(stored: &Stored) -> Result<Aggregator, String> {
        let mut agg = Aggregator::new();
        let ids: Vec<u32> = stored
            .interfaces
            .iter()
            .map(|i| {
                let id = agg.intern(Some(&i.id));
                agg.place(id, i.vpc.as_deref(), i.account.as_deref());
                id
            })
            .collect();
        let eni = |i: Option<u32>, n: usize| -> Result<u32, String> {
            match i {
                None => Ok(NO_ENI),
                Some(i) => ids.get(i as usize).copied().ok_or_else(|| {
                    format!("connection {n}: interface {i} is not in the file's list")
                }),
            }
        };
        for (n, c) in stored.connections.iter().enumerate() {
            let (e, client, server, port, proto) = (c.0, c.1, c.2, c.3, c.4);
            let [records, bytes, packets, syns] = c.5;
            let [first, last] = c.6;
            let key = AggKey {
                key: ConnKey {
                    server,
                    port,
                    client,
                    proto,
                },
                eni: eni(e, n)?,
            };
            let acc = Acc {
                client_ports: ports_of(&c.9).map_err(|e| format!("connection {n}: {e}"))?,
                last_port: NO_PORT,
                records,
                bytes,
                packets,
                syns,
                first,
                last,
                strength: at(&STRENGTHS, c.7, "strength")
                    .map_err(|e| format!("connection {n}: {e}"))?,
                method: at(&METHODS, c.8, "method").map_err(|e| format!("connection {n}: {e}"))?,
            };
            if first > last || records == 0 {
                return Err(format!(
                    "connection {n}: no record, or a first time after the last"
                ));
            }
            agg.conns.merge_in(key, acc);
        }
        for (n, (e, addr, first, last)) in stored.held.iter().enumerate() {
            let e = eni(Some(*e), n).map_err(|m| m.replace("connection", "held address"))?;
            agg.learn(*addr, *first, *last, e);
        }
        for (addr, start, s) in &stored.services {
            agg.name_service(*addr, *start, s);
        }
        Ok(agg)
    }

    /// Forgets the evidence last seen before `cutoff` (`--keep`): the
    /// connections and held addresses whose last record ended earlier.
    /// Returns how many connections went.
    pub fn expire(&mut self, cutoff: i64) -> usize {
        let before = self.conns.len();
        self.conns.retain(|_, a| a.last >= cutoff);
        self.held.retain(|_, (_, last)| *last >= cutoff);
        before - self.conns.len()
    }

    /// The time of the latest record the aggregation holds.
    pub fn last_record(&mut self) -> Option<i64> {
        self.conns.values().map(|a| a.last).max()
    }
}
