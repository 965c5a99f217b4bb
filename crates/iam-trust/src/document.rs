//! What every kind of policy shares: reading its statements and string-or-array values,
//! and the policy-wide checks of the `Version` element and a statement's `Effect`.

use crate::findings::Findings;
use serde_json::Value;

/// The current policy language version.
pub(crate) const VERSION: &str = "2012-10-17";

/// Checks `Version`: IAM knows `2012-10-17` and the older `2008-10-17` (under which policy
/// variables are literal text); anything else is refused. A missing `Version` means
/// `2008-10-17`, which matters only when the policy uses variables.
pub(crate) fn check_version(policy: &Value, out: &mut Findings) {
    let Some(object) = policy.as_object() else {
        return;
    };
    let fix = format!("set \"Version\": \"{VERSION}\"");
    match object.get("Version") {
        Some(Value::String(v)) if v == VERSION => {}
        Some(Value::String(v)) if v == "2008-10-17" => out.warning(
            "/Version",
            "version 2008-10-17 is the old policy language: policy variables such as ${aws:username} are literal text under it",
            fix,
        ),
        Some(other) => out.error(
            "/Version",
            format!(
                "version {other} is not a policy language version; iam refuses the document (MalformedPolicyDocument)"
            ),
            fix,
        ),
        None if uses_variables(policy) => out.warning(
            "",
            "the policy has no Version, so iam reads it as 2008-10-17 and its ${...} policy variables are literal text",
            fix,
        ),
        None => {}
    }
}

fn uses_variables(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("${"),
        Value::Array(list) => list.iter().any(uses_variables),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains("${") || uses_variables(v)),
        _ => false,
    }
}

/// What a statement's `Effect` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
    /// Missing or invalid (reported).
    Invalid,
}

/// Reads and checks a statement's `Effect`: only `Allow` and `Deny`, in that case.
pub(crate) fn effect(pointer: &str, statement: &Value, out: &mut Findings) -> Effect {
    let at = format!("{pointer}/Effect");
    match statement.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(Value::String(e)) => {
            let fix = if e.eq_ignore_ascii_case("deny") {
                "set \"Effect\": \"Deny\""
            } else {
                "set \"Effect\": \"Allow\""
            };
            out.error(
                at,
                format!("Effect {e:?} is neither \"Allow\" nor \"Deny\" (they are case-sensitive); iam refuses the document"),
                fix,
            );
            Effect::Invalid
        }
        Some(other) => {
            out.error(
                at,
                format!("Effect {other} is neither \"Allow\" nor \"Deny\""),
                "set \"Effect\": \"Allow\"",
            );
            Effect::Invalid
        }
        None => {
            out.error(
                at,
                "the statement has no Effect",
                "add \"Effect\": \"Allow\"",
            );
            Effect::Invalid
        }
    }
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

/// The federated principals of a statement (`Principal.Federated`, one or a list).
pub(crate) fn federated(statement: &Value) -> Vec<&str> {
    statement
        .pointer("/Principal/Federated")
        .map(|v| items(v, "").into_iter().map(|(_, s)| s).collect())
        .unwrap_or_default()
}
