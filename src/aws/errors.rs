//! An AWS call that failed: which call, the service's code and message,
//! and what to check.

use std::error::Error as StdError;
use std::fmt::Debug;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use super::*;

/// An AWS call that failed after the SDK's retries: which call, the
/// service's own code and message, and what the user should check. Kept typed
/// (inside `anyhow::Error`) so callers can tell an expired page token from a
/// denied call.
#[derive(Debug, Clone)]
pub struct CallError {
    pub call: String,
    pub code: String,
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AWS call {} failed: {}: {}\n  {}",
            self.call, self.code, self.message, self.hint
        )
    }
}

impl StdError for CallError {}

impl CallError {
    /// The service refused a page token it gave out earlier (tokens expire:
    /// CloudWatch Logs after 24 hours, EC2 and S3 sooner under load). The
    /// listing can be resumed or restarted; nothing else helps.
    pub fn is_expired_token(&self) -> bool {
        let message = self.message.to_ascii_lowercase();
        match self.code.as_str() {
            "InvalidPaginationToken"
            | "InvalidNextToken"
            | "InvalidNextTokenException"
            | "ExpiredNextTokenException"
            | "ExpiredToken.Pagination" => true,
            // CloudWatch Logs and S3 use generic codes; the message names the token.
            "InvalidParameterException" | "InvalidArgument" => {
                message.contains("token") && !message.contains("security token")
            }
            _ => false,
        }
    }
}

/// Whether `err` is (or wraps) an AWS call that failed on an expired page token.
pub fn is_expired_token(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<CallError>())
        .any(CallError::is_expired_token)
}

/// Turns an SDK error into a message that names the call, the service's own
/// code and message, and what the user should check.
pub fn call_error<E, R>(call: &str, iam_action: &str, err: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    let (code, message) = match &err {
        SdkError::ServiceError(s) => (
            s.err().code().unwrap_or("unknown").to_string(),
            s.err().message().unwrap_or("").to_string(),
        ),
        // Credentials that failed to load (an SSO token that expired during
        // the run) surface as a failed dispatch; say what it is.
        other if credentials_failure(other) => ("no credentials".to_string(), source_chain(other)),
        other => (kind(other).to_string(), source_chain(other)),
    };
    let hint = hint(&code, iam_action);
    anyhow::Error::new(CallError {
        call: call.to_string(),
        code,
        message,
        hint,
    })
}

fn kind<E, R>(err: &SdkError<E, R>) -> &'static str {
    match err {
        SdkError::ConstructionFailure(_) => "request not built",
        SdkError::TimeoutError(_) => "timeout",
        SdkError::DispatchFailure(_) => "connection failed",
        SdkError::ResponseError(_) => "unreadable response",
        SdkError::ServiceError(_) => "service error",
        _ => "error",
    }
}

/// Whether a credentials provider's error is among the causes of `err`.
fn credentials_failure(err: &(dyn StdError + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<CredentialsError>().is_some() {
            return true;
        }
        cur = e.source();
    }
    false
}

pub fn source_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        parts.push(e.to_string());
        cur = e.source();
    }
    // Layers that wrap an error often repeat its words; say them once.
    parts.dedup();
    parts.join(": ")
}

pub(super) fn hint(code: &str, iam_action: &str) -> String {
    match code {
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" | "Forbidden" => {
            format!("check permissions: the caller needs {iam_action} (README lists every action sgpair uses)")
        }
        "AuthFailure" | "InvalidClientTokenId" | "UnrecognizedClientException" | "ExpiredToken" | "ExpiredTokenException"
        | "InvalidAccessKeyId" | "SignatureDoesNotMatch" => {
            "check credentials: they are missing, expired or wrong (aws sts get-caller-identity; --profile; AWS_PROFILE)".into()
        }
        "ResourceNotFoundException" | "NoSuchBucket" | "NoSuchKey" | "InvalidVpcID.NotFound" => {
            "check the name and the region (--region, AWS_REGION): the resource does not exist there".into()
        }
        "no credentials" => {
            "no usable AWS credentials: name a profile with --profile (aws sso login --profile NAME for SSO), or run offline with --inventory FILE and --logs PATH".into()
        }
        "connection failed" | "timeout" => {
            "check the network, the region (--region) and AWS_ENDPOINT_URL if set".into()
        }
        "request not built" => "check the region (--region or AWS_REGION) and credentials configuration".into(),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException"
        | "SlowDown" | "RequestThrottled" | "LimitExceededException" | "InternalError"
        | "InternalFailure" | "InternalServerError" | "ServiceUnavailable"
        | "ServiceUnavailableException" | "Unavailable" => format!(
            "the service kept refusing after every retry (AWS_MAX_ATTEMPTS, default {DEFAULT_MAX_ATTEMPTS}): try again later, or lower --concurrency"
        ),
        _ => format!("check credentials, region and that the caller may call {iam_action}"),
    }
}
