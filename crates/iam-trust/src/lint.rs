//! The lint of a web identity trust policy: every reason the issuer (Prefect Cloud's, or
//! another) could not assume the role, and every way the policy trusts more than it should.
//! A policy that trusts AWS principals instead is linted as a plain `sts:AssumeRole` one.

use crate::context::{Context, PROVIDER_ARN};
use crate::document::{self, federated, statements};
use crate::expect::Expect;
use crate::findings::Findings;
use crate::issuer::Issuer;
use crate::prefect_cloud::{ACTION, provider_arn_for};
use crate::{assume_role, condition, statement};
use poolsync_engine::finding::Finding;
use serde_json::Value;

const AWS_PLACEHOLDER: &str = "<aws-account-id>";
const PREFECT_PLACEHOLDER: &str = "<prefect-account-id>";

/// Lints a trust policy for `issuer` (Prefect Cloud's is [`Issuer::prefect`]): every reason
/// the issuer's tokens could not assume the role, and every way the policy trusts more than
/// one tenant (one Prefect Cloud account). A policy that trusts AWS principals instead is
/// linted as a plain `sts:AssumeRole` policy.
pub fn lint_for(policy: &Value, expect: &Expect, issuer: &Issuer) -> Vec<Finding> {
    let mut out = Findings::default();
    let aws = expect
        .aws_account
        .clone()
        .or_else(|| policy_aws_account(policy));
    let ctx = Context {
        expect,
        issuer,
        aws: aws.unwrap_or_else(|| AWS_PLACEHOLDER.to_string()),
        prefect: expect
            .prefect_account
            .clone()
            .unwrap_or_else(|| PREFECT_PLACEHOLDER.to_string()),
    };
    document::check_version(policy, &mut out);
    let who = issuer.who();
    let mut trusts = 0;
    let mut assume = 0;
    for (pointer, statement) in statements(policy) {
        if !issuer.matches(statement) {
            if assume_role::is_assume_role(statement) {
                assume += 1;
                assume_role::check(&pointer, statement, expect, &mut out);
            }
            continue;
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Allow") => {}
            Some("Deny") => {
                let message = if issuer.is_prefect() {
                    "this Deny statement matches Prefect Cloud's web identity and overrides any Allow"
                        .to_string()
                } else {
                    format!(
                        "this Deny statement matches {who}'s web identity and overrides any Allow"
                    )
                };
                out.warning(
                    format!("{pointer}/Effect"),
                    message,
                    format!("remove the statement unless you mean to block {who}"),
                );
                continue;
            }
            _ => out.error(
                format!("{pointer}/Effect"),
                "the statement's Effect is not \"Allow\"",
                "set \"Effect\": \"Allow\"",
            ),
        }
        trusts += 1;
        statement::check_action(&pointer, statement, &ctx, &mut out);
        statement::check_principal(&pointer, statement, &ctx, &mut out);
        condition::check(&pointer, statement, &ctx, &mut out);
    }
    let required = issuer.required || expect.prefect_account.is_some();
    if trusts == 0 && (required || assume == 0) {
        let (provider, fix) = if issuer.is_prefect() {
            (
                "Prefect Cloud's oidc provider".to_string(),
                format!(
                    "add the statement {} prints",
                    expect.names.trust_policy_for(&ctx.aws, &ctx.prefect)
                ),
            )
        } else {
            (
                format!("the oidc provider {}", issuer.provider),
                format!(
                    "add {{\"Effect\": \"Allow\", \"Principal\": {{\"Federated\": \"{}\"}}, \"Action\": \"{ACTION}\", \"Condition\": {}}}",
                    provider_arn_for(&ctx.aws, &issuer.provider),
                    condition::example(&ctx),
                ),
            )
        };
        out.error(
            "/Statement",
            format!("no statement allows {ACTION} from {provider}"),
            fix,
        );
    }
    out.0
}

/// The account of the first OIDC provider ARN in the policy, to make fixes concrete.
fn policy_aws_account(policy: &Value) -> Option<String> {
    let statements = match policy.get("Statement")? {
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    };
    statements
        .into_iter()
        .flat_map(federated)
        .find_map(|arn| PROVIDER_ARN.captures(arn).map(|c| c[1].to_string()))
}
