//! Plain `sts:AssumeRole` trust statements: principals `AWS` (accounts, roles, users) and
//! `Service` (`ec2.amazonaws.com`, ...). The mistakes that slip through review: misspelt
//! actions, `"*"` principals without conditions, third parties without `sts:ExternalId`,
//! and `Effect` values IAM refuses.

#[cfg(test)]
mod tests;

use super::condition::{Compare, check_like_without_wildcard, compare};
use super::document::{Effect, effect};
use crate::actions;
use crate::document::items;
use crate::expect::Expect;
use crate::findings::Findings;
use crate::pattern::wildcard_match;
use poolsync_engine::identity::ROLE_ARN_PATTERN;
use poolsync_engine::pointer::Pointer;
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// The action AWS and service principals call.
pub(crate) const ASSUME_ROLE: &str = "sts:AssumeRole";

static PRINCIPAL_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:(aws|aws-cn|aws-us-gov):(iam|sts)::([0-9]{12}):(.+)$").expect("valid regex")
});
static ROLE_ARN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(ROLE_ARN_PATTERN).expect("valid regex"));
static NAME_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,128}$").expect("valid regex")
});
static SERVICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?$").expect("valid regex")
});

/// An `AWS` principal value, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AwsPrincipal {
    /// `"*"`: every AWS principal.
    Anyone,
    /// A 12-digit account id, or the account's `:root` ARN: every principal of the account
    /// that its own policies allow.
    Account(String),
    /// A user, role or session ARN in an account.
    Arn {
        /// The account.
        account: String,
        /// The whole ARN.
        arn: String,
    },
    /// Not a valid principal; the message says why.
    Invalid(String),
}

/// Reads one `AWS` principal value.
pub(crate) fn aws_principal(value: &str) -> AwsPrincipal {
    if value == "*" {
        return AwsPrincipal::Anyone;
    }
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return AwsPrincipal::Account(value.to_string());
    }
    let Some(parts) = PRINCIPAL_ARN.captures(value) else {
        return AwsPrincipal::Invalid(
            "is not an aws principal: use a 12-digit account id, an account's arn:aws:iam::<account>:root, or a role or user arn"
                .into(),
        );
    };
    let (service, account, resource) = (&parts[2], parts[3].to_string(), &parts[4]);
    let ok = match (service, resource.split_once('/')) {
        ("iam", None) => resource == "root",
        ("iam", Some(("role", _))) => ROLE_ARN.is_match(value),
        ("iam", Some(("user", rest))) => NAME_PATH.is_match(rest),
        ("iam", Some(("group", _))) => {
            return AwsPrincipal::Invalid(
                "is an iam group, and groups cannot be principals; name the users or a role".into(),
            );
        }
        ("sts", Some(("assumed-role", rest))) => rest.split('/').count() == 2,
        ("sts", Some(("federated-user", rest))) => NAME_PATH.is_match(rest),
        _ => false,
    };
    if !ok {
        return AwsPrincipal::Invalid(format!(
            "is not an aws principal arn (the {service} resource {resource:?} is not root, role/<name>, user/<name> or an sts session)"
        ));
    }
    if resource == "root" {
        AwsPrincipal::Account(account)
    } else {
        AwsPrincipal::Arn {
            account,
            arn: value.to_string(),
        }
    }
}

/// Whether a statement is a plain AssumeRole trust statement: it names `AWS` or `Service`
/// principals, `"*"`, or (without a federated principal) an action that is or resembles
/// `sts:AssumeRole`.
pub(crate) fn is_assume_role(statement: &Value) -> bool {
    let principal = statement
        .get("Principal")
        .or_else(|| statement.get("NotPrincipal"));
    let (named, federated) = match principal {
        Some(Value::String(_)) => (true, false),
        Some(Value::Object(map)) => (
            map.keys().any(|k| k != "Federated"),
            map.contains_key("Federated"),
        ),
        _ => (false, false),
    };
    let assume = statement.get("Action").is_some_and(|a| {
        items(a, "")
            .iter()
            .any(|(_, a)| is_assume_role_action(a).is_some())
    });
    named || (assume && !federated)
}

/// `Some(true)` for `sts:AssumeRole` (or a wildcard over it), `Some(false)` for a misspelling
/// of it, `None` otherwise.
fn is_assume_role_action(action: &str) -> Option<bool> {
    if action.eq_ignore_ascii_case(ASSUME_ROLE)
        || (action.contains(['*', '?'])
            && wildcard_match(
                &action.to_ascii_lowercase(),
                &ASSUME_ROLE.to_ascii_lowercase(),
            ))
    {
        Some(true)
    } else if actions::unknown(action).and_then(|u| u.closest) == Some(ASSUME_ROLE) {
        Some(false)
    } else {
        None
    }
}

/// Whether the statement has a condition that narrows it (any operator with a key).
pub(crate) fn has_condition(statement: &Value) -> bool {
    statement
        .get("Condition")
        .and_then(Value::as_object)
        .is_some_and(|ops| {
            ops.values()
                .any(|keys| keys.as_object().is_some_and(|k| !k.is_empty()))
        })
}

/// Whether the statement requires an `sts:ExternalId`.
pub(crate) fn has_external_id(statement: &Value) -> bool {
    statement
        .get("Condition")
        .and_then(Value::as_object)
        .is_some_and(|ops| {
            ops.iter().any(|(op, keys)| {
                compare(op).is_some()
                    && keys.as_object().is_some_and(|keys| {
                        keys.keys()
                            .any(|k| k.eq_ignore_ascii_case("sts:ExternalId"))
                    })
            })
        })
}

/// Lints one AssumeRole trust statement.
pub(crate) fn check(pointer: &str, statement: &Value, expect: &Expect, out: &mut Findings) {
    let effect = effect(pointer, statement, out);
    let grants = check_action(pointer, statement, effect, out);
    check_principal(pointer, statement, effect, grants, expect, out);
    check_condition(pointer, statement, out);
}

/// Checks the actions; returns whether they cover `sts:AssumeRole`.
fn check_action(pointer: &str, statement: &Value, effect: Effect, out: &mut Findings) -> bool {
    let at = format!("{pointer}/Action");
    let fix = format!("set \"Action\": \"{ASSUME_ROLE}\"");
    let Some(action) = statement.get("Action") else {
        if statement.get("NotAction").is_some() {
            out.warning(
                format!("{pointer}/NotAction"),
                "NotAction allows every action except those listed",
                format!("use \"Action\": \"{ASSUME_ROLE}\""),
            );
            return true;
        }
        out.error(at, "the statement has no Action", fix);
        return false;
    };
    let list = items(action, &at);
    let (mut grants, mut misspelt) = (false, false);
    for (item, a) in &list {
        match is_assume_role_action(a) {
            Some(true) => {
                grants = true;
                if a.contains(['*', '?']) && effect == Effect::Allow {
                    out.warning(
                        item.clone(),
                        format!("{a:?} allows more actions than {ASSUME_ROLE}"),
                        format!("replace {a:?} with \"{ASSUME_ROLE}\" (add sts:TagSession if you pass session tags)"),
                    );
                }
                continue;
            }
            Some(false) => misspelt = true,
            None => {}
        }
        if let Some(unknown) = actions::unknown(a) {
            out.error(item.clone(), unknown.message(a), unknown.fix(a));
        } else if !a.contains(['*', '?'])
            && !actions::TRUST_ACTIONS
                .iter()
                .any(|t| t.eq_ignore_ascii_case(a))
        {
            out.warning(
                item.clone(),
                format!("{a:?} has no meaning in a trust policy, which governs only who may assume the role"),
                format!("remove {a:?}; grant it in a permissions policy instead"),
            );
        }
    }
    if !grants && !misspelt && effect == Effect::Allow {
        let got: Vec<&str> = list.iter().map(|(_, a)| *a).collect();
        let why = if got.iter().any(|a| {
            a.eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity")
                || a.eq_ignore_ascii_case("sts:AssumeRoleWithSAML")
        }) {
            "; web identity and saml are for Federated principals, aws and service principals call sts:AssumeRole"
        } else {
            ""
        };
        out.error(
            at,
            format!(
                "the statement does not allow {ASSUME_ROLE} (it allows {}){why}",
                serde_json::to_string(&got).unwrap_or_default()
            ),
            fix,
        );
    }
    grants
}

fn check_principal(
    pointer: &str,
    statement: &Value,
    effect: Effect,
    grants: bool,
    expect: &Expect,
    out: &mut Findings,
) {
    let at = format!("{pointer}/Principal");
    let conditioned = has_condition(statement);
    let example = format!(
        "\"Principal\": {{\"AWS\": \"arn:aws:iam::{}:root\"}}",
        expect.aws_account.as_deref().unwrap_or("<account id>")
    );
    if statement.get("NotPrincipal").is_some() && effect == Effect::Allow {
        out.error(
            format!("{pointer}/NotPrincipal"),
            "NotPrincipal with Allow trusts every principal except those listed, in every aws account",
            format!("use {example}, naming who may assume the role"),
        );
        return;
    }
    let anyone = |out: &mut Findings, at: String| {
        match effect {
        Effect::Allow if !conditioned => out.error(
            at,
            "the statement lets any principal in any aws account assume the role: its principal is \"*\" and it has no Condition",
            format!("name the account or role, e.g. {example}, or add a Condition such as aws:PrincipalOrgID"),
        ),
        Effect::Deny if !conditioned && grants => out.error(
            at,
            format!("this Deny of {ASSUME_ROLE} to \"*\" has no Condition, so no principal can assume the role, whatever the Allow statements say"),
            "add the Condition the Deny is meant for, or remove the statement",
        ),
        _ => {}
    }
    };
    let principal = match statement.get("Principal") {
        None => {
            if statement.get("NotPrincipal").is_none() {
                out.error(
                    pointer.to_string(),
                    "the statement has no Principal; a trust policy names who may assume the role",
                    format!("add {example}"),
                );
            }
            return;
        }
        Some(Value::String(s)) if s == "*" => return anyone(out, at),
        Some(Value::Object(map)) => map,
        Some(other) => {
            out.error(
                at,
                format!(
                    "Principal {other} is neither \"*\" nor an object such as {{\"AWS\": ...}}"
                ),
                format!("use {example}"),
            );
            return;
        }
    };
    let external = has_external_id(statement);
    for (kind, values) in principal {
        let base = format!("{at}/{}", Pointer::escape(kind));
        match kind.as_str() {
            "AWS" => {
                for (item, value) in items(values, &base) {
                    let account = match aws_principal(value) {
                        AwsPrincipal::Anyone => {
                            anyone(out, item);
                            continue;
                        }
                        AwsPrincipal::Invalid(why) => {
                            out.error(item, format!("{value:?} {why}"), format!("use {example}"));
                            continue;
                        }
                        AwsPrincipal::Account(account) | AwsPrincipal::Arn { account, .. } => {
                            account
                        }
                    };
                    if let Some(own) = &expect.aws_account
                        && &account != own
                        && effect == Effect::Allow
                        && !external
                    {
                        out.warning(
                            item,
                            format!(
                                "{value:?} is in aws account {account}, not {} {own}, and the statement has no sts:ExternalId condition; a third party should have to pass the external id you agreed on (the confused deputy problem)",
                                expect.names.aws_account
                            ),
                            format!(
                                "add \"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"<external id>\"}}}}; if {account} is your own account, no external id is needed"
                            ),
                        );
                    }
                }
            }
            "Service" => {
                for (item, value) in items(values, &base) {
                    if !SERVICE.is_match(value) {
                        out.error(
                            item,
                            format!("{value:?} is not a service principal; they look like ec2.amazonaws.com or ecs-tasks.amazonaws.com"),
                            "write the service's principal name, <service>.amazonaws.com",
                        );
                    }
                }
            }
            "Federated" | "CanonicalUser" => {}
            other => {
                let fix = ["AWS", "Service", "Federated"]
                    .into_iter()
                    .find(|k| k.eq_ignore_ascii_case(other))
                    .map(|k| format!("rename {other:?} to \"{k}\""))
                    .unwrap_or_else(|| "use \"AWS\", \"Service\" or \"Federated\"".into());
                out.error(
                    base,
                    format!("principal type {other:?} is not one of AWS, Service or Federated (they are case-sensitive), so it names nobody"),
                    fix,
                );
            }
        }
    }
}

fn check_condition(pointer: &str, statement: &Value, out: &mut Findings) {
    let Some(operators) = statement.get("Condition").and_then(Value::as_object) else {
        return;
    };
    for (operator, keys) in operators {
        let Some(keys) = keys.as_object() else {
            continue;
        };
        for (key, values) in keys {
            let at = format!(
                "{pointer}/Condition/{}/{}",
                Pointer::escape(operator),
                Pointer::escape(key)
            );
            check_like_without_wildcard(&at, operator, key, values, out);
            if key.eq_ignore_ascii_case("sts:ExternalId")
                && compare(operator) == Some(Compare::Like)
            {
                for (item, v) in items(values, &at) {
                    if v.contains('*') {
                        out.warning(
                            item,
                            format!("external id pattern {v:?} accepts external ids you never agreed on"),
                            "compare sts:ExternalId with StringEquals against the one id you agreed on",
                        );
                    }
                }
            }
        }
    }
}
