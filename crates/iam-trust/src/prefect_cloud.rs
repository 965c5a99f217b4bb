//! Prefect Cloud's issuer as IAM sees it, and the trust policy generated for it. The facts
//! come from Prefect's guide "Using cloud workload identity with Prefect Managed work pools".

use crate::document::VERSION;
use serde_json::{Value, json};

/// Prefect Cloud's OIDC issuer, as IAM names it (host and path, no scheme).
pub(crate) const PROVIDER: &str = "api.prefect.cloud/oidc-provider";
/// The issuer URL to create the IAM OIDC provider with.
pub(crate) const ISSUER_URL: &str = "https://api.prefect.cloud/oidc-provider";
/// The audience (client id) of Prefect Cloud's tokens.
pub(crate) const AUDIENCE: &str = "prefect-cloud";
/// The one action the trust policy must allow.
pub(crate) const ACTION: &str = "sts:AssumeRoleWithWebIdentity";
/// The condition key of the token's audience.
pub(crate) const AUD_KEY: &str = "api.prefect.cloud/oidc-provider:aud";
/// The condition key of the token's subject.
pub(crate) const SUB_KEY: &str = "api.prefect.cloud/oidc-provider:sub";
/// The subject prefix of Prefect Cloud's tokens; the account uuid follows.
pub(crate) const SUBJECT_PREFIX: &str = "prefect:account:";
/// The one-time command that creates Prefect Cloud's OIDC provider in an AWS account.
pub const CREATE_PROVIDER: &str = "aws iam create-open-id-connect-provider --url https://api.prefect.cloud/oidc-provider --client-id-list prefect-cloud";

/// The ARN of Prefect Cloud's OIDC provider in `aws_account`.
pub(crate) fn provider_arn(aws_account: &str) -> String {
    provider_arn_for(aws_account, PROVIDER)
}

/// The ARN of the OIDC provider `provider` (host and path) in `aws_account`.
pub(crate) fn provider_arn_for(aws_account: &str, provider: &str) -> String {
    format!("arn:aws:iam::{aws_account}:oidc-provider/{provider}")
}

/// The subject of Prefect Cloud's tokens for `prefect_account`.
pub(crate) fn subject(prefect_account: &str) -> String {
    format!("{SUBJECT_PREFIX}{prefect_account}")
}

/// The trust policy that lets Prefect Cloud account `prefect_account` assume a role in
/// `aws_account`, and nothing else.
pub fn generate(aws_account: &str, prefect_account: &str) -> Value {
    json!({
        "Version": VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn(aws_account)},
            "Action": ACTION,
            "Condition": {"StringEquals": {
                AUD_KEY: AUDIENCE,
                SUB_KEY: subject(prefect_account),
            }},
        }],
    })
}
