//! The second role's trust policy, linted against the pair: which principal names the
//! springboard, and the `sts:ExternalId` the statement requires.

use super::grant::{Covers, Ungranted, covers, deny, in_document_order, misspelt};
use super::{Pair, Role};
use crate::assume_role::{ASSUME_ROLE, has_condition};
use crate::condition::{Compare, compare};
use crate::document::{self, Effect};
use crate::document::{items, statements};
use crate::findings::Findings;
use crate::input_names::InputNames;
use crate::pattern::wildcard_match;
use poolsync_engine::finding::Finding;
use poolsync_engine::pointer::Pointer;
use serde_json::Value;

/// How a statement's principal relates to the springboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    /// The role's ARN.
    Role,
    /// One session of the role (`arn:aws:sts::<account>:assumed-role/<name>/<session>`).
    Session,
    /// The role's account (id or `:root`): whoever the account allows.
    Account,
    /// `"*"`.
    Anyone,
    /// Not the springboard.
    Other,
}

fn names(statement: &Value, from: &Role) -> (Names, String) {
    if let Some(not) = statement.get("NotPrincipal") {
        let listed = not
            .get("AWS")
            .map(|v| items(v, ""))
            .unwrap_or_default()
            .iter()
            .any(|(_, p)| p.eq_ignore_ascii_case(&from.arn));
        let kind = if listed { Names::Other } else { Names::Anyone };
        return (kind, "/NotPrincipal".into());
    }
    let principal = match statement.get("Principal") {
        Some(Value::String(s)) if s == "*" => return (Names::Anyone, "/Principal".into()),
        Some(p) => p,
        None => return (Names::Other, "/Principal".into()),
    };
    let mut best = (Names::Other, "/Principal".to_string());
    let session = format!(
        "arn:{}:sts::{}:assumed-role/{}/",
        from.partition, from.account, from.name
    )
    .to_ascii_lowercase();
    for (at, p) in principal
        .get("AWS")
        .map(|v| items(v, "/Principal/AWS"))
        .unwrap_or_default()
    {
        let lower = p.to_ascii_lowercase();
        let kind = if lower == from.arn.to_ascii_lowercase() {
            Names::Role
        } else if lower.starts_with(&session) {
            Names::Session
        } else if p == "*" {
            Names::Anyone
        } else if p == from.account
            || lower == format!("arn:{}:iam::{}:root", from.partition, from.account)
        {
            Names::Account
        } else {
            continue;
        };
        let rank = |n: Names| match n {
            Names::Role => 0,
            Names::Account => 1,
            Names::Anyone => 2,
            Names::Session => 3,
            Names::Other => 4,
        };
        if rank(kind) < rank(best.0) {
            best = (kind, at);
        }
    }
    best
}

/// The external ids a statement requires (`StringEquals` on `sts:ExternalId`), if any.
fn external_ids(statement: &Value) -> Option<(String, Vec<String>)> {
    let operators = statement.get("Condition")?.as_object()?;
    for (operator, keys) in operators {
        if !matches!(
            compare(operator),
            Some(Compare::Equals | Compare::EqualsIgnoreCase | Compare::Like)
        ) {
            continue;
        }
        for (key, values) in keys.as_object()? {
            if key.eq_ignore_ascii_case("sts:ExternalId") {
                let at = format!(
                    "/Condition/{}/{}",
                    Pointer::escape(operator),
                    Pointer::escape(key)
                );
                let ids = items(values, "")
                    .into_iter()
                    .map(|(_, v)| v.to_string())
                    .collect();
                return Some((at, ids));
            }
        }
    }
    None
}

/// Lints the second role's trust policy against the pair: the springboard must be allowed
/// `sts:AssumeRole`, and no `Deny` may take that back. `inputs` says how the caller names its
/// inputs in the fixes.
pub fn check_trust(policy: &Value, pair: &Pair, inputs: &InputNames) -> Vec<Finding> {
    let mut out = Findings::default();
    document::check_version(policy, &mut out);
    let from = &pair.from;
    let fix_principal = format!("set \"Principal\": {{\"AWS\": \"{}\"}}", from.arn);
    let mut granted = false;
    let mut reported = false;
    let mut wrong: Vec<(String, String)> = Vec::new();
    let list = statements(policy);
    for (pointer, statement) in &list {
        if statement.get("Resource").is_some() && statement.get("Principal").is_none() {
            out.error(
                pointer.clone(),
                "the statement has a Resource and no Principal: this is a permissions policy, not a trust policy",
                format!("pass the first role's permissions policy to {}, and the second role's trust policy (aws iam get-role --role-name NAME --query Role.AssumeRolePolicyDocument) to {}", inputs.check_permissions, inputs.check_trust),
            );
            reported = true;
            continue;
        }
        let effect = document::effect(pointer, statement, &mut out);
        let (who, principal_at) = names(statement, from);
        let principal_at = format!("{pointer}{principal_at}");
        let covers = covers(pointer, statement);
        match effect {
            Effect::Allow => {
                match (who, &covers) {
                    (Names::Other, Covers::Yes) => {
                        let named = statement
                            .get("Principal")
                            .map(Value::to_string)
                            .unwrap_or_else(|| "nobody".into());
                        wrong.push((principal_at, named));
                    }
                    (Names::Other, _) => {}
                    (who, Covers::Yes) => {
                        granted = true;
                        match who {
                        Names::Session => out.warning(
                            principal_at,
                            format!("the principal is one session of {}, so the chain works only for that session name", from.arn),
                            fix_principal.clone(),
                        ),
                        Names::Account => out.warning(
                            principal_at,
                            format!("the principal is all of account {}, so any of its roles and users that may call {ASSUME_ROLE} can assume this role, not just the springboard", from.account),
                            fix_principal.clone(),
                        ),
                        Names::Anyone if !has_condition(statement) => out.error(
                            principal_at,
                            "the principal is \"*\" and the statement has no Condition, so any aws principal can assume this role",
                            fix_principal.clone(),
                        ),
                        _ => {}
                    }
                        check_external_id(pointer, statement, pair, inputs, &mut out);
                    }
                    (_, Covers::Misspelt(at, action)) => {
                        misspelt(&mut out, at.clone(), action);
                        reported = true;
                    }
                    (_, Covers::No) if who == Names::Role => {
                        out.error(
                        format!("{pointer}/Action"),
                        format!("the statement names the springboard but does not allow {ASSUME_ROLE}"),
                        format!("set \"Action\": \"{ASSUME_ROLE}\""),
                    );
                        reported = true;
                    }
                    _ => {}
                }
            }
            Effect::Deny if who != Names::Other && covers == Covers::Yes => {
                deny(
                    &mut out,
                    pointer,
                    statement,
                    &format!("{ASSUME_ROLE} to {}", from.arn),
                );
                reported = true;
            }
            _ => {}
        }
    }
    if !granted {
        Ungranted {
            wrong: &wrong,
            reported,
            fix: &fix_principal,
            misdirected: &|named| {
                format!(
                    "the statement allows {ASSUME_ROLE} to {named}, not to the springboard {}",
                    from.arn
                )
            },
            none: (
                format!(
                    "no statement allows {} to call {ASSUME_ROLE} on this role",
                    from.arn
                ),
                format!(
                    "add the trust_policy statement {} prints",
                    inputs.springboard
                ),
            ),
        }
        .report(&mut out);
    }
    in_document_order(out.0)
}

fn check_external_id(
    pointer: &str,
    statement: &Value,
    pair: &Pair,
    inputs: &InputNames,
    out: &mut Findings,
) {
    let flag = &inputs.external_id;
    match (external_ids(statement), &pair.external_id) {
        (Some((at, ids)), None) => out.error(
            format!("{pointer}{at}"),
            format!("the statement requires sts:ExternalId {ids:?}, and the springboard does not send one"),
            format!("pass {flag} with that id, so the AwsCredentials lines send it"),
        ),
        (Some((at, ids)), Some(id)) if !ids.iter().any(|v| wildcard_match(v, id)) => out.error(
            format!("{pointer}{at}"),
            format!("the statement requires sts:ExternalId {ids:?}, not {flag} {id:?}"),
            format!("set \"sts:ExternalId\": \"{id}\", or pass the id the statement names"),
        ),
        (None, Some(id)) => out.warning(
            format!("{pointer}/Condition"),
            format!("the statement does not check sts:ExternalId, so {flag} {id:?} is sent but not required"),
            format!("add \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"{id}\"}}}}"),
        ),
        _ => {}
    }
}
