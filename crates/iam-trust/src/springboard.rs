//! The second hop of a role chain: the first role (the springboard Prefect Cloud assumes
//! with web identity) calls `sts:AssumeRole` into a second role, in another account or with
//! more rights. The chain needs a trust policy on the second role naming the first, and a
//! permissions policy on the first allowing `sts:AssumeRole` on the second; a `Deny` in
//! either cancels it.

mod grant;
mod permissions_check;
#[cfg(test)]
mod tests;
mod trust_check;

pub use permissions_check::check_permissions;
pub use trust_check::check_trust;

use super::assume_role::ASSUME_ROLE;
use super::document;
use crate::error::Error;
use poolsync_engine::identity;
use serde_json::{Value, json};

/// The session length prefect-aws asks for unless told otherwise, in seconds.
pub const DEFAULT_DURATION: u32 = 3600;
/// STS's shortest session.
pub(crate) const MIN_DURATION: u32 = 900;
/// The longest session of a chained role: AWS caps role chaining at one hour.
pub(crate) const MAX_CHAINED_DURATION: u32 = 3600;
/// The session name the generated `AwsCredentials` use unless told otherwise.
pub const DEFAULT_SESSION_NAME: &str = "prefect-springboard";

/// A role ARN, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The whole ARN.
    pub arn: String,
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// The 12-digit account.
    pub account: String,
    /// The role's name, without its path (what `aws iam get-role --role-name` takes).
    pub name: String,
}

/// Checks a role ARN with the federated identity's rules.
pub fn parse_role(text: &str) -> Result<Role, Error> {
    let violations = identity::check_field("aws_role_arn", &json!(text), "");
    if let Some(violation) = violations.first() {
        let hint = if text.contains(":assumed-role/") {
            let name = text.split('/').nth(1).unwrap_or("<role name>");
            let account = text.split(':').nth(4).unwrap_or("<account>");
            format!(
                " ({text:?} is a session of the role, as `aws sts get-caller-identity` prints it; the role is arn:aws:iam::{account}:role/{name})"
            )
        } else {
            String::new()
        };
        return Err(Error::RoleArn {
            text: text.into(),
            why: format!(
                "{} ({}){hint}",
                violation.message.replace("aws_role_arn", "it"),
                violation.fix.as_deref().unwrap_or_default()
            ),
        });
    }
    let mut fields = text.splitn(6, ':');
    let partition = fields.nth(1).unwrap_or_default().to_string();
    let account = fields.nth(2).unwrap_or_default().to_string();
    let name = text.rsplit('/').next().unwrap_or_default().to_string();
    Ok(Role {
        arn: text.to_string(),
        partition,
        account,
        name,
    })
}

/// The two roles of a chain, and what the second hop passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The springboard: the role Prefect Cloud assumes first.
    pub from: Role,
    /// The role it assumes next.
    pub to: Role,
    /// The `sts:ExternalId` the second role requires, if any.
    pub external_id: Option<String>,
}

impl Pair {
    /// Checks that two roles can form a chain, and the external id.
    pub fn new(from: Role, to: Role, external_id: Option<String>) -> Result<Pair, Error> {
        if from.partition != to.partition {
            return Err(Error::Partition {
                from: from.partition,
                to: to.partition,
            });
        }
        if from.arn.eq_ignore_ascii_case(&to.arn) {
            return Err(Error::SameRole);
        }
        if let Some(id) = &external_id {
            let ok = (2..=1224).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/-_".contains(&b));
            if !ok {
                return Err(Error::ExternalId { text: id.clone() });
            }
        }
        Ok(Pair {
            from,
            to,
            external_id,
        })
    }

    /// Whether the chain crosses accounts.
    pub fn cross_account(&self) -> bool {
        self.from.account != self.to.account
    }
}

/// Checks an STS role session name.
pub fn parse_session_name(text: &str) -> Result<String, Error> {
    let ok = (2..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if ok {
        Ok(text.to_string())
    } else {
        Err(Error::SessionName { text: text.into() })
    }
}

/// Checks the chained session's length.
pub fn parse_duration(seconds: u32) -> Result<u32, Error> {
    if (MIN_DURATION..=MAX_CHAINED_DURATION).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(Error::Duration {
            seconds,
            min: MIN_DURATION,
            max: MAX_CHAINED_DURATION,
        })
    }
}

/// The trust policy of the second role: the springboard may assume it.
pub(crate) fn trust_policy(pair: &Pair) -> Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": {"AWS": pair.from.arn},
        "Action": ASSUME_ROLE,
    });
    if let Some(id) = &pair.external_id {
        statement["Condition"] = json!({"StringEquals": {"sts:ExternalId": id}});
    }
    json!({"Version": document::VERSION, "Statement": [statement]})
}

/// The permissions policy of the springboard: it may assume the second role.
pub(crate) fn permissions_policy(pair: &Pair) -> Value {
    json!({
        "Version": document::VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Action": ASSUME_ROLE,
            "Resource": pair.to.arn,
        }],
    })
}

/// Both policies, as one object: `trust_policy` (the second role's) and
/// `permissions_policy` (the springboard's).
pub fn generate(pair: &Pair) -> Value {
    json!({
        "trust_policy": trust_policy(pair),
        "permissions_policy": permissions_policy(pair),
    })
}

/// The name of the inline policy `put-role-policy` gives the springboard.
pub fn policy_name(pair: &Pair) -> String {
    let name = format!("assume-{}", pair.to.name);
    name.chars().take(128).collect()
}

/// The Python lines that assume the second role from a flow run, with prefect-aws.
pub fn aws_credentials(pair: &Pair, session_name: &str, duration: u32) -> String {
    let external = pair
        .external_id
        .as_deref()
        .map(|id| format!(", \"ExternalId\": \"{id}\""))
        .unwrap_or_default();
    format!(
        "from prefect_aws import AwsCredentials\n\
         \n\
         credentials = AwsCredentials(\n    \
             assume_role_arn=\"{}\",\n    \
             assume_role_kwargs={{\"RoleSessionName\": \"{session_name}\", \"DurationSeconds\": {duration}{external}}},\n\
         )",
        pair.to.arn
    )
}
