//! The springboard's permissions policy, linted against the pair: the `Resource` it may
//! assume, and the actions beside `sts:AssumeRole`.

use super::Pair;
use super::grant::{Covers, Ungranted, covers, deny, in_document_order, misspelt};
use crate::actions;
use crate::assume_role::ASSUME_ROLE;
use crate::document::{self, Effect};
use crate::document::{items, statements};
use crate::findings::Findings;
use crate::input_names::InputNames;
use crate::pattern::wildcard_match;
use poolsync_engine::finding::Finding;
use serde_json::Value;

/// Lints the springboard's permissions policy against the pair: it must allow
/// `sts:AssumeRole` on the second role, and no `Deny` may take that back. `names` says how
/// the caller names its inputs in the fixes.
pub fn check_permissions(policy: &Value, pair: &Pair, names: &InputNames) -> Vec<Finding> {
    let mut out = Findings::default();
    document::check_version(policy, &mut out);
    let to = &pair.to.arn;
    let fix_resource = format!("set \"Resource\": \"{to}\"");
    let mut granted = false;
    let mut reported = false;
    let mut wrong: Vec<(String, String)> = Vec::new();
    for (pointer, statement) in statements(policy) {
        if statement.get("Principal").is_some() {
            out.error(
                format!("{pointer}/Principal"),
                "the statement has a Principal: this is a trust policy, and iam refuses a Principal in a role's permissions policy",
                format!("pass the second role's trust policy to {}, and the first role's permissions policy (aws iam get-role-policy) to {}", names.check_trust, names.check_permissions),
            );
            reported = true;
            continue;
        }
        let effect = document::effect(&pointer, statement, &mut out);
        let covers = covers(&pointer, statement);
        if let Some(action) = statement.get("Action") {
            for (at, a) in items(action, &format!("{pointer}/Action")) {
                if let Some(unknown) = actions::unknown(a)
                    && !unknown.other_service
                    && unknown.closest != Some(ASSUME_ROLE)
                {
                    out.error(at, unknown.message(a), unknown.fix(a));
                }
            }
        }
        let (resource, resource_at) =
            match (statement.get("Resource"), statement.get("NotResource")) {
                (Some(r), _) => {
                    let list = items(r, &format!("{pointer}/Resource"));
                    let hit = list.iter().find(|(_, r)| wildcard_match(r, to)).cloned();
                    (hit.is_some(), hit.map(|(at, r)| (at, r.to_string())))
                }
                (None, Some(not)) => {
                    let excluded = items(not, "").iter().any(|(_, r)| wildcard_match(r, to));
                    (
                        !excluded,
                        Some((format!("{pointer}/NotResource"), "NotResource".into())),
                    )
                }
                (None, None) => {
                    if effect == Effect::Allow && covers != Covers::No {
                        out.error(
                            pointer.clone(),
                            "the statement has no Resource",
                            fix_resource.clone(),
                        );
                        reported = true;
                    }
                    continue;
                }
            };
        match effect {
            Effect::Allow => {
                match (&covers, resource) {
                    (Covers::Yes, true) => {
                        granted = true;
                        if let Some((at, r)) = resource_at
                            && r != *to
                        {
                            out.warning(
                            at,
                            format!("resource {r:?} lets the springboard assume other roles than {to} too"),
                            fix_resource.clone(),
                        );
                        }
                    }
                    (Covers::Yes, false) => {
                        let named = statement
                            .get("Resource")
                            .map(Value::to_string)
                            .unwrap_or_default();
                        wrong.push((format!("{pointer}/Resource"), named));
                    }
                    (Covers::Misspelt(at, action), _) => {
                        misspelt(&mut out, at.clone(), action);
                        reported = true;
                    }
                    (Covers::No, true)
                        if statement.get("Resource").is_some_and(|r| {
                            items(r, "").iter().any(|(_, r)| r.eq_ignore_ascii_case(to))
                        }) =>
                    {
                        out.error(
                        format!("{pointer}/Action"),
                        format!("the statement names the second role but does not allow {ASSUME_ROLE}"),
                        format!("add \"{ASSUME_ROLE}\" to \"Action\""),
                    );
                        reported = true;
                    }
                    _ => {}
                }
            }
            Effect::Deny if covers == Covers::Yes && resource => {
                deny(
                    &mut out,
                    &pointer,
                    statement,
                    &format!("{ASSUME_ROLE} on {to}"),
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
            fix: &fix_resource,
            misdirected: &|named| {
                format!(
                    "the statement allows {ASSUME_ROLE} on {named}, not on the second role {to}"
                )
            },
            none: (
                format!("no statement allows {ASSUME_ROLE} on {to}"),
                format!(
                    "add the permissions_policy statement {} prints",
                    names.springboard
                ),
            ),
        }
        .report(&mut out);
    }
    in_document_order(out.0)
}
