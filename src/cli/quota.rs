//! `infer`'s quota flags: the rules-per-group quota the proposal must fit,
//! and the groups-per-interface quota its remedies name.

use clap::Args;

#[derive(Args)]
pub struct QuotaArgs {
    /// Rules per security group and direction. Default: Service Quotas'
    /// L-0EA8095F when the run reads from AWS (else 60). A proposal that
    /// would pass it is fitted by merging ports into ranges that add at most
    /// 16 unused ports, or refused with exit code 5 naming the groups, by
    /// how many, and the remedies.
    #[arg(long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub rule_quota: Option<usize>,

    /// Security groups per network interface. Default: Service Quotas'
    /// L-2AFB9258 when the run reads from AWS (else 5). A refusal names the
    /// interfaces of a group over the rules-per-group quota that already
    /// have this many groups: a dedicated group cannot be added to them.
    #[arg(long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=16))]
    pub groups_per_interface: Option<usize>,
}
