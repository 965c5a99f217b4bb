//! Pure: the AWS IAM trust policy Prefect Cloud needs to assume a role with
//! `sts:AssumeRoleWithWebIdentity`: generate it, and lint one for the mistakes behind
//! `AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity`. The same lint
//! takes any other OIDC issuer ([`Issuer`]) and plain `sts:AssumeRole` trust policies
//! ([`assume_role`]); [`springboard`] covers the second hop of a role chain and
//! [`terraform`] finds the policies of a Terraform file.
//!
//! The facts come from Prefect's guide "Using cloud workload identity with Prefect Managed
//! work pools": the issuer is `https://api.prefect.cloud/oidc-provider`, the client id (the
//! token's `aud`) is `prefect-cloud`, and the token's `sub` is `prefect:account:<account id>`.

pub mod actions;
pub mod assume_role;
mod condition;
mod document;
#[cfg(test)]
mod finding_table;
mod issuer;
pub mod springboard;
mod statement;
pub mod terraform;
#[cfg(test)]
mod tests;

pub use issuer::{Issuer, SubjectRule};

use poolsync_engine::violation::escape_token;
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt;
use std::sync::LazyLock;

/// Prefect Cloud's OIDC issuer, as IAM names it (host and path, no scheme).
pub const PROVIDER: &str = "api.prefect.cloud/oidc-provider";
/// The issuer URL to create the IAM OIDC provider with.
pub const ISSUER_URL: &str = "https://api.prefect.cloud/oidc-provider";
/// The audience (client id) of Prefect Cloud's tokens.
pub const AUDIENCE: &str = "prefect-cloud";
/// The one action the trust policy must allow.
pub const ACTION: &str = "sts:AssumeRoleWithWebIdentity";
/// The condition key of the token's audience.
pub const AUD_KEY: &str = "api.prefect.cloud/oidc-provider:aud";
/// The condition key of the token's subject.
pub const SUB_KEY: &str = "api.prefect.cloud/oidc-provider:sub";
/// The subject prefix of Prefect Cloud's tokens; the account uuid follows.
pub const SUBJECT_PREFIX: &str = "prefect:account:";
/// The one-time command that creates Prefect Cloud's OIDC provider in an AWS account.
pub const CREATE_PROVIDER: &str = "aws iam create-open-id-connect-provider --url https://api.prefect.cloud/oidc-provider --client-id-list prefect-cloud";

const AWS_PLACEHOLDER: &str = "<aws-account-id>";
const PREFECT_PLACEHOLDER: &str = "<prefect-account-id>";

static PROVIDER_ARN: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^arn:(?:aws|aws-cn|aws-us-gov):iam::([0-9]{12}):oidc-provider/(.+)$")
        .expect("valid regex")
});

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Prefect Cloud cannot assume the role, or anyone with a Prefect Cloud token can.
    Error,
    /// Works, but trusts more than it needs to.
    Warning,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "error",
            Level::Warning => "warning",
        })
    }
}

/// One problem in a trust policy, located by JSON pointer, with the fix to apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub level: Level,
    /// JSON pointer (RFC 6901) into the policy, e.g. `/Statement/0/Principal/Federated`.
    pub pointer: String,
    /// What is wrong, lowercase.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{}: {pointer}: {}; fix: {}",
            self.level, self.message, self.fix
        )
    }
}

/// What the policy must name, when the user said so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// The 12-digit AWS account that owns the role and the OIDC provider.
    pub aws_account: Option<String>,
    /// The Prefect Cloud account uuid (lowercase, hyphenated).
    pub prefect_account: Option<String>,
}

/// Checks a 12-digit AWS account id; the error is a usage message.
pub fn parse_aws_account(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "invalid --aws-account {text:?}: an aws account id is 12 digits, e.g. 123456789012"
        ))
    }
}

/// Checks a Prefect Cloud account id and returns its canonical (lowercase, hyphenated)
/// form, the one Prefect Cloud puts in the token's subject; the error is a usage message.
pub fn parse_prefect_account(text: &str) -> Result<String, String> {
    match uuid::Uuid::try_parse(text) {
        Ok(id) if text.len() == 36 => Ok(id.hyphenated().to_string()),
        _ => Err(format!(
            "invalid --prefect-account {text:?}: a prefect cloud account id is a uuid such as \
             9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e; it follows /accounts/ in your PREFECT_API_URL"
        )),
    }
}

/// The ARN of Prefect Cloud's OIDC provider in `aws_account`.
pub fn provider_arn(aws_account: &str) -> String {
    provider_arn_for(aws_account, PROVIDER)
}

/// The ARN of the OIDC provider `provider` (host and path) in `aws_account`.
pub fn provider_arn_for(aws_account: &str, provider: &str) -> String {
    format!("arn:aws:iam::{aws_account}:oidc-provider/{provider}")
}

/// The subject of Prefect Cloud's tokens for `prefect_account`.
pub fn subject(prefect_account: &str) -> String {
    format!("{SUBJECT_PREFIX}{prefect_account}")
}

/// The trust policy that lets Prefect Cloud account `prefect_account` assume a role in
/// `aws_account`, and nothing else.
pub fn generate(aws_account: &str, prefect_account: &str) -> Value {
    json!({
        "Version": "2012-10-17",
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

/// Lints a trust policy for Prefect Cloud's issuer: every reason Prefect Cloud could not
/// assume the role, and every way the policy trusts more than one Prefect Cloud account. A
/// policy that trusts AWS principals instead is linted as a plain `sts:AssumeRole` policy.
pub fn lint(policy: &Value, expect: &Expect) -> Vec<Finding> {
    lint_for(policy, expect, &Issuer::prefect())
}

/// Lints a trust policy for `issuer` (see [`lint`]).
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
                    "add the statement `poolsync trust-policy --aws-account {} --prefect-account {}` prints",
                    ctx.aws, ctx.prefect
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

/// Values the fixes name: the expected accounts, or the policy's, or placeholders.
struct Context<'a> {
    expect: &'a Expect,
    issuer: &'a Issuer,
    aws: String,
    prefect: String,
}

/// The statements of a policy, each with its pointer (`Statement` may be one object).
pub(crate) fn statements(policy: &Value) -> Vec<(String, &Value)> {
    match policy.get("Statement") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("/Statement/{i}"), s))
            .collect(),
        Some(one @ Value::Object(_)) => vec![("/Statement".to_string(), one)],
        _ => Vec::new(),
    }
}

#[derive(Default)]
pub(crate) struct Findings(pub(crate) Vec<Finding>);

impl Findings {
    pub(crate) fn push(
        &mut self,
        level: Level,
        pointer: impl Into<String>,
        message: String,
        fix: String,
    ) {
        self.0.push(Finding {
            level,
            pointer: pointer.into(),
            message,
            fix,
        });
    }

    pub(crate) fn error(
        &mut self,
        pointer: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Level::Error, pointer, message.into(), fix.into());
    }

    pub(crate) fn warning(
        &mut self,
        pointer: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.push(Level::Warning, pointer, message.into(), fix.into());
    }
}

/// The strings of a string-or-array value, each with its pointer.
pub(crate) fn items<'a>(value: &'a Value, pointer: &str) -> Vec<(String, &'a str)> {
    match value {
        Value::String(s) => vec![(pointer.to_string(), s.as_str())],
        Value::Array(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((format!("{pointer}/{i}"), v.as_str()?)))
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn federated(statement: &Value) -> Vec<&str> {
    statement
        .pointer("/Principal/Federated")
        .map(|v| items(v, "").into_iter().map(|(_, s)| s).collect())
        .unwrap_or_default()
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

/// `*` and `?` wildcards as IAM evaluates them in actions and `StringLike`.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// A pointer token for a condition operator or key (which hold `/`).
pub(crate) fn token(text: &str) -> String {
    escape_token(text)
}

/// Whether every string IAM pattern `inner` matches is also matched by `outer` (sound: a
/// `true` is always right; patterns of the usual shapes are judged exactly).
pub(crate) fn pattern_within(inner: &str, outer: &str) -> bool {
    fn go(i: &[u8], o: &[u8]) -> bool {
        match (o.first(), i.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(i, &o[1..]) || (!i.is_empty() && go(&i[1..], o)),
            (Some(b'?'), Some(c)) if *c != b'*' => go(&i[1..], &o[1..]),
            (Some(a), Some(b)) if a == b && *a != b'?' => go(&i[1..], &o[1..]),
            _ => false,
        }
    }
    go(inner.as_bytes(), outer.as_bytes())
}
