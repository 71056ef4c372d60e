//! `infer`'s quota flag: the rules-per-group quota the proposal must fit.

use clap::Args;

#[derive(Args)]
pub struct QuotaArgs {
    /// Rules per security group and direction (Service Quotas L-0EA8095F,
    /// 60 unless raised): a proposal that would pass it is fitted by merging
    /// ports into ranges that add at most 16 unused ports, or refused with
    /// exit code 5 naming the groups, by how many, and the remedies.
    #[arg(long, value_name = "N", default_value_t = sgpair::audit::quota::DEFAULT_RULES_PER_GROUP,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub rule_quota: usize,
}
