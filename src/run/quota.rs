//! The quotas in a run: the rules-per-group quota (`--rule-quota`) and the
//! groups-per-interface quota (`--groups-per-interface`), each the flag's,
//! else Service Quotas' when the run is connected, else AWS's default. The
//! proposal is fitted under them before anything is written
//! (`crate::audit::quota`), or the run refused with [`OverQuota`], which
//! `main` turns into its own exit code.

use super::connection::Aws;
use crate::analysis::Analysis;
use crate::audit::quota::{
    DEFAULT_GROUPS_PER_INTERFACE, DEFAULT_RULES_PER_GROUP, GROUPS_PER_INTERFACE, Over, Quotas,
    RULES_PER_GROUP, fit,
};
use crate::audit::{Direction, RuleUse};
use crate::present::service;

/// One quota, as the run's notes name it.
struct Quota {
    /// Service Quotas' code.
    code: &'static str,
    /// In the notes: "the {name} quota".
    name: &'static str,
    /// The flag that gives it.
    flag: &'static str,
    default: usize,
}

const RULES: Quota = Quota {
    code: RULES_PER_GROUP,
    name: "rules-per-group",
    flag: "--rule-quota",
    default: DEFAULT_RULES_PER_GROUP,
};

const GROUPS: Quota = Quota {
    code: GROUPS_PER_INTERFACE,
    name: "groups-per-interface",
    flag: "--groups-per-interface",
    default: DEFAULT_GROUPS_PER_INTERFACE,
};

/// The proposal cannot apply: groups over the rules-per-group quota.
#[derive(Debug)]
pub struct OverQuota {
    pub over: Vec<Over>,
}

impl std::fmt::Display for OverQuota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the proposal would pass the rules-per-group quota; nothing was written:"
        )?;
        for o in &self.over {
            let d = match o.direction {
                Direction::Ingress => "inbound",
                Direction::Egress => "outbound",
            };
            let name = if o.group_name.is_empty() {
                String::new()
            } else {
                format!(" ({})", o.group_name)
            };
            write!(
                f,
                "\n  {}{name} {d}: {} rules that stay + {} proposed = {}, over the quota of {} by {}; {}",
                o.group_id,
                o.staying,
                o.proposed,
                o.staying + o.proposed,
                o.quota,
                o.by(),
                o.remedies()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for OverQuota {}

/// The quotas the proposal must fit, from `--rule-quota` and
/// `--groups-per-interface` (`given`, in that order).
pub(super) fn limits(
    given: (Option<usize>, Option<usize>),
    aws: Option<&Aws>,
    notes: &mut Vec<String>,
) -> Quotas {
    Quotas {
        rules_per_group: limit(&RULES, given.0, aws, notes),
        groups_per_interface: limit(&GROUPS, given.1, aws, notes),
    }
}

/// One quota: its flag's value, else Service Quotas' when the run is
/// connected to AWS (a refusal or fault is a note, and the default
/// applies), else the default.
fn limit(q: &Quota, given: Option<usize>, aws: Option<&Aws>, notes: &mut Vec<String>) -> usize {
    if let Some(n) = given {
        return n;
    }
    let Some(aws) = aws else {
        return q.default;
    };
    match aws.quota(q.code) {
        Ok(n) => {
            notes.push(format!(
                "the {} quota is {n} (Service Quotas {})",
                q.name, q.code
            ));
            n
        }
        Err(e) => {
            notes.push(format!(
                "the {} quota could not be read from Service Quotas ({}); {} assumed (give {})",
                q.name,
                format!("{e:#}").lines().next().unwrap_or_default(),
                q.default,
                q.flag
            ));
            q.default
        }
    }
}

/// Fits `a`'s proposal under `quotas`: merges noted in the run's notes, or
/// the groups still over it as the error. `used`: [`crate::audit::measure`] of `a`.
pub(super) fn apply(a: &mut Analysis, quotas: Quotas, used: &RuleUse) -> Result<(), OverQuota> {
    let quota = quotas.rules_per_group;
    let got = fit(a, quotas, used);
    if !got.over.is_empty() {
        return Err(OverQuota { over: got.over });
    }
    for m in &got.merges {
        a.stats.notes.push(format!(
            "rules-per-group quota ({quota}): {} to {} merged into {} ({} ports no connection used)",
            m.source_sg,
            m.target_sg,
            service::spell(m.proto, m.from_port, m.to_port),
            m.unseen
        ));
    }
    if !got.merges.is_empty() {
        a.proposal.rules = got.rules;
    }
    Ok(())
}
