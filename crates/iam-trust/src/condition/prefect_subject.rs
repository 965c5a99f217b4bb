//! The `sub` values of Prefect Cloud's tokens, `prefect:account:<account id>`: exactly one
//! account, in canonical form, the expected one when the caller names it.

use super::{Compare, has_wildcard};
use crate::context::Context;
use crate::document::items;
use crate::findings::Findings;
use crate::pattern::wildcard_match;
use crate::prefect_cloud::{SUBJECT_PREFIX, subject};
use serde_json::Value;

/// What a `sub` condition value allows.
enum Subject {
    /// Exactly one account's subject.
    Account(String),
    /// A wildcard within one account: it matches that account's subject, or it does not.
    WithinAccount { account: String, matches: bool },
    /// A wildcard over more than one account.
    Broad,
    /// `prefect:account:` followed by a uuid not in lowercase hyphenated form.
    NotCanonical(String),
    /// Some other shape.
    Shape,
}

fn classify(compare: Compare, value: &str) -> Subject {
    let value = if compare == Compare::EqualsIgnoreCase {
        value.to_ascii_lowercase()
    } else {
        value.to_string()
    };
    let wildcard = has_wildcard(compare, &value);
    let literal = if wildcard {
        &value[..value.find(['*', '?']).unwrap_or(value.len())]
    } else {
        value.as_str()
    };
    if wildcard && SUBJECT_PREFIX.starts_with(literal) {
        return Subject::Broad;
    }
    let Some(rest) = literal.strip_prefix(SUBJECT_PREFIX) else {
        return Subject::Shape;
    };
    let id = rest.get(..36).unwrap_or(rest);
    if id.len() < 36 {
        return if wildcard {
            Subject::Broad
        } else {
            Subject::Shape
        };
    }
    let Ok(uuid) = uuid::Uuid::try_parse(id) else {
        return Subject::Shape;
    };
    let canonical = uuid.hyphenated().to_string();
    if canonical != id {
        return Subject::NotCanonical(canonical);
    }
    if wildcard {
        Subject::WithinAccount {
            matches: wildcard_match(&value, &subject(&canonical)),
            account: canonical,
        }
    } else if rest.len() == 36 {
        Subject::Account(canonical)
    } else {
        Subject::Shape
    }
}

/// The account a fix should name: the expected one, else the one the value holds.
fn fix_account(ctx: &Context, value: &str) -> String {
    if ctx.expect.prefect_account.is_some() {
        return ctx.prefect.clone();
    }
    value
        .split(':')
        .find(|part| part.len() == 36 && uuid::Uuid::try_parse(part).is_ok())
        .map(str::to_ascii_lowercase)
        .unwrap_or_else(|| ctx.prefect.clone())
}

pub(super) fn check_sub(
    pointer: &str,
    compare: Compare,
    values: &Value,
    ctx: &Context,
    out: &mut Findings,
) {
    for (at, v) in items(values, pointer) {
        let exact = format!(
            "use \"{}\" under \"StringEquals\"",
            subject(&fix_account(ctx, v))
        );
        let account = match classify(compare, v) {
            Subject::Account(account) => account,
            Subject::WithinAccount { account, matches } => {
                if matches {
                    out.warning(
                        at.clone(),
                        format!(
                            "subject pattern {v:?} is a wildcard, but prefect cloud's subject is exactly \"{}\"",
                            subject(&account)
                        ),
                        exact,
                    );
                } else {
                    out.error(
                        at.clone(),
                        format!(
                            "subject pattern {v:?} never matches: prefect cloud's subject is exactly \"{}\", with nothing after the account id",
                            subject(&account)
                        ),
                        exact,
                    );
                }
                account
            }
            Subject::Broad => {
                out.error(
                    at.clone(),
                    format!(
                        "subject pattern {v:?} matches the tokens of every prefect cloud account, so any prefect cloud user could assume the role"
                    ),
                    exact,
                );
                continue;
            }
            Subject::NotCanonical(account) => {
                out.error(
                    at.clone(),
                    format!(
                        "subject {v:?} never matches: prefect cloud writes the account id in lowercase, hyphenated"
                    ),
                    format!("use \"{}\"", subject(&account)),
                );
                account
            }
            Subject::Shape => {
                let mut hint = String::new();
                if v.starts_with("prefect:cloud:") {
                    hint.push_str(" (prefect:cloud: is a common mistake for prefect:account:)");
                }
                if compare != Compare::Like && v.contains('*') {
                    hint.push_str(" (StringEquals compares * literally)");
                }
                out.error(
                    at.clone(),
                    format!(
                        "subject {v:?} never matches: prefect cloud's tokens carry sub \"{SUBJECT_PREFIX}<account id>\"{hint}"
                    ),
                    exact,
                );
                continue;
            }
        };
        if let Some(expected) = &ctx.expect.prefect_account
            && &account != expected
        {
            out.error(
                at.clone(),
                format!(
                    "the subject allows prefect account {account}, not {} {expected}",
                    ctx.expect.names.prefect_account
                ),
                format!("use \"{}\"", subject(expected)),
            );
        }
    }
}
