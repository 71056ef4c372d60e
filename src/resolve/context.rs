//! Where each captured copy was captured: the capturing interface, its VPC,
//! its own address in the copy, or that it forwarded the connection.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use super::classes::{forwards, is_private};
use super::resolver::{Flow, Resolver};
use super::*;
use crate::aggregate::Connection;
use crate::id::Id;

/// Where a captured copy was captured, as far as the inventory and the
/// records tell. One per copy: it borrows the inventory's VPC ids and names
/// the capturing interface by the copy's own, so it holds no string of its own.
#[derive(Debug, Clone, Default)]
pub(super) struct Context<'a> {
    /// Captured by one interface ([`Context::interface`]: the copy's only
    /// `logged_at`).
    pub(super) captured: bool,
    /// The VPC the copy is resolved in; `None`: not covered by the inventory.
    pub(super) vpc: Option<Cow<'a, str>>,
    /// The capturing interface's own address in this copy.
    pub(super) local: Option<IpAddr>,
    /// The capturing interface holds neither end: it forwarded the connection.
    pub(super) forwarding: bool,
    /// Why an interface the inventory lacks is not covered.
    pub(super) why: Option<AbsentWhy>,
    /// No interface and no VPC: resolved by address alone (unique owners).
    pub(super) global: bool,
}

impl Context<'_> {
    /// The capturing interface of copy `c` (this context's copy).
    pub(super) fn interface<'c>(&self, c: &'c Connection) -> Option<&'c str> {
        c.logged_at
            .first()
            .map(Id::as_str)
            .filter(|_| self.captured)
    }
}

pub(super) fn contexts<'a>(r: &Resolver<'a>, rows: &[Connection]) -> Vec<Context<'a>> {
    // Per interface the inventory lacks: the addresses in every one of its
    // copies (its own address, when it has one), and what `flow-direction` taught.
    let mut seen: BTreeMap<&str, (usize, BTreeMap<IpAddr, usize>)> = BTreeMap::new();
    for c in rows {
        if let [e] = c.logged_at.as_slice()
            && r.interface(e).is_none()
        {
            let s = seen.entry(e.as_str()).or_default();
            s.0 += 1;
            *s.1.entry(c.client).or_default() += 1;
            if c.server != c.client {
                *s.1.entry(c.server).or_default() += 1;
            }
        }
    }
    let mut learned: BTreeMap<&str, BTreeSet<IpAddr>> = BTreeMap::new();
    for h in &r.learned_pairs() {
        learned.entry(h.0).or_default().insert(h.1);
    }
    let common = |e: &str| -> Option<IpAddr> {
        let (n, addrs) = seen.get(e)?;
        let mut all = addrs.iter().filter(|(_, k)| *k == n).map(|(a, _)| *a);
        match (all.next(), all.next()) {
            (Some(a), None) => Some(a),
            _ => None,
        }
    };
    let only_vpc_with = |ip: &IpAddr| r.only_vpc_with(ip).map(String::from);
    // First the copies of interfaces the inventory holds (and of none).
    let mut out: Vec<Option<Context<'a>>> = rows
        .iter()
        .map(|c| {
            let Some(e) = c.logged_at.first().filter(|_| c.logged_at.len() == 1) else {
                // No interface: in the VPC the record logged, else the one
                // VPC that holds an end, else by address alone.
                let vpc = c
                    .vpc
                    .as_deref()
                    .map(|v| Cow::Owned(v.to_string()))
                    .or_else(|| {
                        [c.client, c.server]
                            .iter()
                            .find_map(|ip| r.only_vpc_with(ip))
                            .map(Cow::Borrowed)
                    });
                return Some(Context {
                    global: vpc.is_none(),
                    vpc,
                    ..Context::default()
                });
            };
            let eni = r.interface(e)?;
            // Its own address; else one the logs showed it held (the
            // inventory is older than the address), unless it forwards.
            let local = [c.client, c.server]
                .into_iter()
                .find(|ip| r.own(eni, *ip).is_some())
                .or_else(|| {
                    let mine = learned.get(e.as_str()).filter(|_| !forwards(eni))?;
                    [c.client, c.server]
                        .into_iter()
                        .find(|ip| mine.contains(ip))
                });
            Some(Context {
                captured: true,
                vpc: Some(Cow::Borrowed(r.vpc_of(eni))),
                local,
                forwarding: local.is_none(),
                why: None,
                global: false,
            })
        })
        .collect();
    // Copies that an interface of the inventory captured, by connection: an
    // interface the inventory lacks that captured the same connection at the
    // same time is the other end, in the same VPC. Built only where the
    // inventory lacks a capturing interface: it holds every covered copy.
    let mut covered: FxHashMap<Flow, Vec<(usize, IpAddr)>> = FxHashMap::default();
    let lacking = out.iter().any(Option::is_none);
    for (i, (c, ctx)) in rows.iter().zip(&out).enumerate().filter(|_| lacking) {
        if let Some(Context {
            vpc: Some(_),
            local: Some(l),
            ..
        }) = ctx
        {
            covered
                .entry((c.client, c.server, c.port, c.proto))
                .or_default()
                .push((i, *l));
        }
    }
    let twin = |c: &Connection| -> Option<(String, IpAddr)> {
        let overlapping: Vec<(String, IpAddr)> = covered
            .get(&(c.client, c.server, c.port, c.proto))?
            .iter()
            .filter(|(i, _)| rows[*i].first <= c.last && c.first <= rows[*i].last)
            .filter_map(|(i, l)| Some((out[*i].as_ref()?.vpc.as_deref()?.to_string(), *l)))
            .collect();
        // A VPC where both ends captured the connection has no end left for
        // this interface: in copies of one stack (one address plan), the
        // connection of the stack whose interfaces all still exist.
        let explained: BTreeSet<&(String, IpAddr)> = overlapping.iter().collect();
        let found: BTreeSet<(String, IpAddr)> = overlapping
            .iter()
            .map(|(vpc, l)| {
                let other = if *l == c.client { c.server } else { c.client };
                (vpc.clone(), other)
            })
            .filter(|end| !explained.contains(end))
            .collect();
        match found.len() {
            1 => found.into_iter().next(),
            _ => None,
        }
    };
    let mut twins: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let found: Vec<Option<(String, IpAddr)>> = rows
        .iter()
        .zip(&out)
        .map(|(c, ctx)| {
            if ctx.is_some() {
                return None;
            }
            let t = twin(c)?;
            twins
                .entry(c.logged_at[0].as_str())
                .or_default()
                .insert(t.0.clone());
            Some(t)
        })
        .collect();
    for ((c, ctx), t) in rows.iter().zip(out.iter_mut()).zip(found) {
        if ctx.is_some() {
            continue;
        }
        let e = &c.logged_at[0];
        let mine = learned.get(e.as_str());
        let created = r.history.created(e);
        let local = [c.client, c.server]
            .into_iter()
            .find(|ip| {
                mine.is_some_and(|m| m.contains(ip))
                    || created.is_some_and(|(_, addrs)| addrs.contains(ip))
            })
            .or_else(|| t.as_ref().map(|t| t.1))
            .or_else(|| common(e).filter(|a| *a == c.client || *a == c.server));
        let other_account = c
            .account
            .as_deref()
            .is_some_and(|a| !r.inventory.covers_account(a));
        let (vpc, why) = if other_account {
            (None, AbsentWhy::OtherAccount)
        } else if let Some(v) = c.vpc.as_deref().or(created.and_then(|(v, _)| v)) {
            match r.vpc_of_interface(e, Some(v)) {
                Some(v) => (Some(v), AbsentWhy::Unknown),
                None => (None, AbsentWhy::OtherVpc),
            }
        } else {
            // Nothing logged its VPC: the VPC of the covered interfaces it
            // talked to (when they are all of one), else the one VPC of the
            // inventory whose blocks hold its own address.
            let by_twin = twins.get(e.as_str()).and_then(|v| match v.len() {
                1 => v.first().cloned(),
                _ => None,
            });
            (
                by_twin.or_else(|| local.as_ref().and_then(only_vpc_with)),
                AbsentWhy::Unknown,
            )
        };
        let why = match why {
            AbsentWhy::Unknown if r.history.deleted(e).is_some() => AbsentWhy::Deleted,
            w => w,
        };
        // Outside every covered VPC (nothing is learned from it), where
        // nothing else told its own address: a VPC's interface logs its
        // private address, so where one end alone is private, that is its own.
        let local = local.or_else(|| {
            match (is_private(&c.client), is_private(&c.server)) {
                (true, false) => Some(c.client),
                (false, true) => Some(c.server),
                _ => None,
            }
            .filter(|_| vpc.is_none())
        });
        *ctx = Some(Context {
            captured: true,
            vpc: vpc.map(Cow::Owned),
            local,
            forwarding: false,
            why: Some(why),
            global: false,
        });
    }
    out.into_iter().map(Option::unwrap_or_default).collect()
}
