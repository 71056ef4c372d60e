//! Service Quotas: a VPC quota as it applies to the account and region,
//! read when the run is connected to AWS anyway and the quota's flag was
//! not given. The codes and defaults are `crate::audit::quota`'s (rules per
//! security group, `L-0EA8095F`; security groups per network interface,
//! `L-2AFB9258`).

use aws_config::SdkConfig;

use super::call_error;

/// The service code of the VPC quotas.
pub const SERVICE_CODE: &str = "vpc";

/// The value of the VPC quota `code` in the account and region of `config`.
pub async fn value(config: &SdkConfig, code: &str) -> anyhow::Result<usize> {
    let got = aws_sdk_servicequotas::Client::new(config)
        .get_service_quota()
        .service_code(SERVICE_CODE)
        .quota_code(code)
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
        other => {
            anyhow::bail!("servicequotas:GetServiceQuota {code} gave no usable value ({other:?})")
        }
    }
}
