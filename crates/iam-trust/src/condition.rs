//! The `Condition` block of a web identity trust statement: the `aud` and `sub` keys, their
//! prefixes, and their values, for Prefect Cloud's issuer or any other.

mod audience;
mod prefect_subject;
mod subject_rule;

use crate::context::Context;
use crate::document::items;
use crate::findings::Findings;
use crate::issuer::SubjectRule;
use crate::prefect_cloud::subject;
use audience::check_aud;
use poolsync_engine::pointer::Pointer;
use prefect_subject::check_sub;
use serde_json::Value;
use subject_rule::check_other_sub;

/// How a condition operator compares; operators that cannot narrow who may assume the role
/// (`StringNotEquals`, `Null`, ...) are not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compare {
    Equals,
    EqualsIgnoreCase,
    Like,
}

pub(crate) fn compare(operator: &str) -> Option<Compare> {
    let base = operator
        .strip_prefix("ForAnyValue:")
        .or_else(|| operator.strip_prefix("ForAllValues:"))
        .unwrap_or(operator);
    let base = base.strip_suffix("IfExists").unwrap_or(base);
    match base {
        "StringEquals" => Some(Compare::Equals),
        "StringEqualsIgnoreCase" => Some(Compare::EqualsIgnoreCase),
        "StringLike" => Some(Compare::Like),
        _ => None,
    }
}

fn has_wildcard(compare: Compare, value: &str) -> bool {
    compare == Compare::Like && value.contains(['*', '?'])
}

/// The condition an issuer statement needs, as JSON text for fixes.
pub(super) fn example(ctx: &Context) -> String {
    let issuer = ctx.issuer;
    let aud = format!("\"{}\": \"{}\"", issuer.aud_key(), issuer.audience_text());
    let sub_key = issuer.sub_key();
    match &issuer.subject {
        SubjectRule::Like(pattern) if pattern.contains(['*', '?']) => format!(
            "{{\"StringEquals\": {{{aud}}}, \"StringLike\": {{\"{sub_key}\": \"{pattern}\"}}}}"
        ),
        _ => format!(
            "{{\"StringEquals\": {{{aud}, \"{sub_key}\": \"{}\"}}}}",
            subject_example(ctx)
        ),
    }
}

/// The subject a fix should name.
fn subject_example(ctx: &Context) -> String {
    match &ctx.issuer.subject {
        SubjectRule::Prefect => subject(&ctx.prefect),
        SubjectRule::Exact(s) | SubjectRule::Like(s) => s.clone(),
        SubjectRule::Tenant => "<subject>".to_string(),
    }
}

/// Warns about a `StringLike` key none of whose values holds a wildcard (shared by every
/// kind of statement).
pub(crate) fn check_like_without_wildcard(
    at: &str,
    operator: &str,
    key: &str,
    values: &Value,
    out: &mut Findings,
) {
    if compare(operator) != Some(Compare::Like) {
        return;
    }
    let values = items(values, at);
    if values.is_empty() || values.iter().any(|(_, v)| v.contains(['*', '?'])) {
        return;
    }
    let equals = operator.replace("StringLike", "StringEquals");
    out.warning(
        at.to_string(),
        format!(
            "{key} is under {operator} but has no wildcard; StringLike without * or ? compares exactly, like StringEquals"
        ),
        format!("move {key:?} under \"{equals}\""),
    );
}

pub(super) fn check(pointer: &str, statement: &Value, ctx: &Context, out: &mut Findings) {
    let pointer = format!("{pointer}/Condition");
    let issuer = ctx.issuer;
    let who = issuer.who();
    let (aud_key, sub_key) = (issuer.aud_key(), issuer.sub_key());
    let operators = statement
        .get("Condition")
        .and_then(Value::as_object)
        .filter(|ops| {
            ops.values()
                .any(|keys| keys.as_object().is_some_and(|k| !k.is_empty()))
        });
    let Some(operators) = operators else {
        out.error(
            pointer,
            format!(
                "the statement allows the role to anyone with a {who} token: it has no Condition"
            ),
            format!("add \"Condition\": {}", example(ctx)),
        );
        return;
    };
    let (mut aud, mut sub) = (false, false);
    for (operator, keys) in operators {
        let (Some(compare), Some(keys)) = (compare(operator), keys.as_object()) else {
            continue;
        };
        for (key, values) in keys {
            let at = format!(
                "{pointer}/{}/{}",
                Pointer::escape(operator),
                Pointer::escape(key)
            );
            check_like_without_wildcard(&at, operator, key, values, out);
            let Some((prefix, claim)) = key.rsplit_once(':') else {
                continue;
            };
            let claim = claim.to_ascii_lowercase();
            if claim != "aud" && claim != "sub" {
                continue;
            }
            if !prefix.eq_ignore_ascii_case(&issuer.provider) {
                let hint = if prefix.starts_with("https://") || prefix.starts_with("http://") {
                    " (iam names the provider without the scheme of the issuer url)"
                } else if prefix.ends_with('/') {
                    " (iam names the provider without a trailing slash)"
                } else {
                    ""
                };
                out.error(
                    at.clone(),
                    format!(
                        "condition key {key:?} has the wrong prefix; iam sets only {}:{claim} \
                         for {who}'s tokens, so this condition never matches{hint}",
                        issuer.provider
                    ),
                    format!("rename the key to \"{}:{claim}\"", issuer.provider),
                );
            }
            if claim == "aud" {
                aud = true;
                check_aud(&at, compare, values, ctx, out);
            } else {
                sub = true;
                if issuer.subject == SubjectRule::Prefect {
                    check_sub(&at, compare, values, ctx, out);
                } else {
                    check_other_sub(&at, compare, values, ctx, out);
                }
            }
        }
    }
    if !aud {
        out.error(
            pointer.clone(),
            format!("the statement has no {aud_key} condition"),
            format!(
                "add \"{aud_key}\": \"{}\" under \"StringEquals\"",
                issuer.audience_text()
            ),
        );
    }
    if !sub {
        let message = if issuer.is_prefect() {
            format!(
                "the statement has no {sub_key} condition, so a token from any prefect cloud account can assume the role"
            )
        } else {
            format!(
                "the statement has no {sub_key} condition, so any token {who} issues, for any of its tenants, can assume the role"
            )
        };
        out.error(
            pointer,
            message,
            format!(
                "add \"{sub_key}\": \"{}\" under \"StringEquals\"",
                subject_example(ctx)
            ),
        );
    }
}
