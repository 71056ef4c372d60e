//! Several snapshots (one per account and region, `--inventory` given more
//! than once, or read through `--role-arn` per account) as one inventory:
//! every resource keeps the account it came from, so that a record is
//! resolved only against its own account's interfaces and a rule's halves
//! are applied by the accounts that own its groups.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};

use super::{Inventory, SecurityGroup};

/// A group or interface of no known account (a snapshot without
/// `account_id`): the name of its folder under `--out-dir`.
pub const UNKNOWN_ACCOUNT: &str = "unknown-account";

impl Inventory {
    /// The snapshots as one. Each is labelled (a file name, `account
    /// 111122223333`) for errors; the same account and region twice, or one
    /// id in two snapshots, is an error naming both. One snapshot is returned
    /// as it is.
    pub fn combine(parts: Vec<(String, Inventory)>) -> Result<Inventory> {
        if parts.len() == 1 {
            return Ok(parts.into_iter().next().map(|(_, i)| i).unwrap_or_default());
        }
        let mut places: BTreeMap<(Option<String>, Option<String>), String> = BTreeMap::new();
        let mut ids: BTreeMap<String, String> = BTreeMap::new();
        let mut out = Inventory::default();
        let mut accounts = BTreeSet::new();
        for (label, mut inv) in parts {
            let place = (inv.account_id.clone(), inv.region.clone());
            if let Some(first) = places.insert(place.clone(), label.clone()) {
                bail!(
                    "{label} and {first} are both the inventory of account {} in region {}: give each account and region once",
                    place.0.as_deref().unwrap_or("(not named)"),
                    place.1.as_deref().unwrap_or("(not named)")
                );
            }
            let owned = inv
                .vpcs
                .iter()
                .map(|v| &v.id)
                .chain(inv.network_interfaces.iter().map(|e| &e.id))
                .chain(inv.security_groups.iter().map(|g| &g.id));
            for id in owned {
                if let Some(first) = ids.insert(id.clone(), label.clone()) {
                    bail!(
                        "{id} is in both {first} and {label}: give each account's inventory once"
                    );
                }
            }
            if let Some(a) = &inv.account_id {
                accounts.insert(a.clone());
                for v in inv.vpcs.iter_mut().filter(|v| v.owner_id.is_none()) {
                    v.owner_id = Some(a.clone());
                }
                for g in inv
                    .security_groups
                    .iter_mut()
                    .filter(|g| g.owner_id.is_none())
                {
                    g.owner_id = Some(a.clone());
                }
            }
            out.format_version = inv.format_version;
            out.captured_at = match (out.captured_at.take(), inv.captured_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            out.vpcs.extend(inv.vpcs);
            out.subnets.extend(inv.subnets);
            out.network_interfaces.extend(inv.network_interfaces);
            out.security_groups.extend(inv.security_groups);
            // A managed prefix list (`com.amazonaws...`) is in every account's snapshot.
            for p in inv.prefix_lists {
                if !out.prefix_lists.iter().any(|q| q.id == p.id) {
                    out.prefix_lists.push(p);
                }
            }
            out.flow_logs.extend(inv.flow_logs);
            // A peering between two covered accounts is in both snapshots.
            for p in inv.peerings {
                if !out.peerings.iter().any(|q| q.id == p.id) {
                    out.peerings.push(p);
                }
            }
            out.transit_gateway_attachments
                .extend(inv.transit_gateway_attachments);
        }
        let regions: BTreeSet<&Option<String>> = places.keys().map(|(_, r)| r).collect();
        out.region = match regions.into_iter().collect::<Vec<_>>().as_slice() {
            [one] => (*one).clone(),
            _ => None,
        };
        out.account_id = match accounts.iter().collect::<Vec<_>>().as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        };
        out.accounts = accounts.into_iter().collect();
        out.check()?;
        Ok(out)
    }

    /// The accounts this inventory covers: those of a combined estate, else
    /// its own account, else none known.
    pub fn covered_accounts(&self) -> Vec<&str> {
        if self.accounts.is_empty() {
            self.account_id.iter().map(String::as_str).collect()
        } else {
            self.accounts.iter().map(String::as_str).collect()
        }
    }

    /// Whether records of `account` may be resolved against this inventory:
    /// yes when it is covered, or when the inventory names no account.
    pub fn covers_account(&self, account: &str) -> bool {
        let covered = self.covered_accounts();
        covered.is_empty() || covered.contains(&account)
    }

    /// The account that owns a group (and applies its rules), by id; see
    /// [`Inventory::account_of`].
    pub fn group_account(&self, id: &str) -> Option<&str> {
        self.account_of(self.group(id)?)
    }

    /// The account that owns `g`: its `owner_id`, else its VPC's owner,
    /// else the inventory's account.
    pub fn account_of<'a>(&'a self, g: &'a SecurityGroup) -> Option<&'a str> {
        g.owner_id
            .as_deref()
            .or_else(|| {
                let vpc = g.vpc_id.as_deref()?;
                self.vpcs.iter().find(|v| v.id == vpc)?.owner_id.as_deref()
            })
            .or(self.account_id.as_deref())
    }

    /// Every group's account, by group id: one lookup per group, for stages
    /// that ask per connection or per rule.
    pub fn group_accounts(&self) -> BTreeMap<&str, Option<&str>> {
        self.security_groups
            .iter()
            .map(|g| (g.id.as_str(), self.account_of(g)))
            .collect()
    }

    /// The part of the inventory one account owns (its groups, VPCs,
    /// subnets and interfaces), as a snapshot of that account alone would
    /// hold it: what its own `rules.auto.tfvars` is written against.
    pub fn of_account(&self, account: &str) -> Inventory {
        let vpcs: Vec<_> = self
            .vpcs
            .iter()
            .filter(|v| v.owner_id.as_deref().or(self.account_id.as_deref()) == Some(account))
            .cloned()
            .collect();
        let in_vpcs = |v: Option<&str>| v.is_some_and(|v| vpcs.iter().any(|x| x.id == v));
        Inventory {
            format_version: self.format_version,
            account_id: Some(account.to_string()),
            region: self.region.clone(),
            captured_at: self.captured_at.clone(),
            subnets: self
                .subnets
                .iter()
                .filter(|s| in_vpcs(Some(&s.vpc_id)))
                .cloned()
                .collect(),
            network_interfaces: self
                .network_interfaces
                .iter()
                .filter(|e| in_vpcs(e.vpc_id.as_deref()))
                .cloned()
                .collect(),
            security_groups: self
                .security_groups
                .iter()
                .filter(|g| self.account_of(g) == Some(account))
                .cloned()
                .collect(),
            prefix_lists: self.prefix_lists.clone(),
            flow_logs: Vec::new(),
            peerings: Vec::new(),
            transit_gateway_attachments: Vec::new(),
            accounts: Vec::new(),
            vpcs,
        }
    }
}
