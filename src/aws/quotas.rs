//! Service Quotas: the rules-per-group quota as it applies to the account
//! (`L-0EA8095F`, 60 unless raised), read when the run is connected to AWS
//! anyway and `--rule-quota` was not given.

use aws_config::SdkConfig;

use super::call_error;

/// The service code and quota code of inbound (and outbound) rules per security group.
pub const SERVICE_CODE: &str = "vpc";
pub const RULES_PER_GROUP: &str = "L-0EA8095F";

/// The quota's value in the account and region of `config`.
pub async fn rules_per_group(config: &SdkConfig) -> anyhow::Result<usize> {
    let got = aws_sdk_servicequotas::Client::new(config)
        .get_service_quota()
        .service_code(SERVICE_CODE)
        .quota_code(RULES_PER_GROUP)
        .send()
        .await
        .map_err(|e| {
            call_error(
                "servicequotas:GetServiceQuota",
                "servicequotas:GetServiceQuota",
                e,
            )
        })?;
    match got.quota().and_then(|q| q.value()) {
        Some(v) if (1.0..=10_000.0).contains(&v) => Ok(v as usize),
        other => anyhow::bail!(
            "servicequotas:GetServiceQuota {RULES_PER_GROUP} gave no usable value ({other:?})"
        ),
    }
}
