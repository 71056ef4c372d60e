//! The rules-per-group quota in a run (`--rule-quota`): the proposal fitted
//! under it before anything is written (`crate::audit::quota`), or the run
//! refused with [`OverQuota`], which `main` turns into its own exit code.

use super::connection::Aws;
use crate::analysis::Analysis;
use crate::audit::Direction;
use crate::audit::quota::{DEFAULT_RULES_PER_GROUP, Over, fit};
use crate::present::service;

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

/// The quota the proposal must fit: `--rule-quota`, else Service Quotas'
/// when the run is connected to AWS (a refusal or fault is a note, and the
/// default applies), else the default.
pub(super) fn limit(given: Option<usize>, aws: Option<&Aws>, notes: &mut Vec<String>) -> usize {
    if let Some(n) = given {
        return n;
    }
    let Some(aws) = aws else {
        return DEFAULT_RULES_PER_GROUP;
    };
    match aws.rule_quota() {
        Ok(n) => {
            notes.push(format!(
                "the rules-per-group quota is {n} (Service Quotas L-0EA8095F)"
            ));
            n
        }
        Err(e) => {
            notes.push(format!(
                "the rules-per-group quota could not be read from Service Quotas ({}); {DEFAULT_RULES_PER_GROUP} assumed (give --rule-quota)",
                format!("{e:#}").lines().next().unwrap_or_default()
            ));
            DEFAULT_RULES_PER_GROUP
        }
    }
}

/// Fits `a`'s proposal under `quota`: merges noted in the run's notes, or
/// the groups still over it as the error.
pub(super) fn apply(a: &mut Analysis, quota: usize) -> Result<(), OverQuota> {
    let got = fit(a, quota);
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
