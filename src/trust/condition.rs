//! The `Condition` block of a Prefect trust statement: the `aud` and `sub` keys, their
//! prefixes, and their values.

use super::{
    AUD_KEY, AUDIENCE, Context, Findings, PROVIDER, SUB_KEY, SUBJECT_PREFIX, items, subject, token,
    wildcard_match,
};
use serde_json::Value;

/// How a condition operator compares; operators that cannot narrow who may assume the role
/// (`StringNotEquals`, `Null`, ...) are not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Equals,
    EqualsIgnoreCase,
    Like,
}

fn compare(operator: &str) -> Option<Compare> {
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

pub(super) fn check(pointer: &str, statement: &Value, ctx: &Context, out: &mut Findings) {
    let pointer = format!("{pointer}/Condition");
    let fix = format!(
        "add \"Condition\": {{\"StringEquals\": {{\"{AUD_KEY}\": \"{AUDIENCE}\", \"{SUB_KEY}\": \"{}\"}}}}",
        subject(&ctx.prefect)
    );
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
            "the statement allows the role to anyone with a prefect cloud token: it has no Condition",
            fix,
        );
        return;
    };
    let (mut aud, mut sub) = (false, false);
    for (operator, keys) in operators {
        let (Some(compare), Some(keys)) = (compare(operator), keys.as_object()) else {
            continue;
        };
        for (key, values) in keys {
            let Some((prefix, claim)) = key.rsplit_once(':') else {
                continue;
            };
            let claim = claim.to_ascii_lowercase();
            if claim != "aud" && claim != "sub" {
                continue;
            }
            let at = format!("{pointer}/{}/{}", token(operator), token(key));
            if !prefix.eq_ignore_ascii_case(PROVIDER) {
                out.error(
                    at.clone(),
                    format!(
                        "condition key {key:?} has the wrong prefix; iam sets only {PROVIDER}:{claim} \
                         for prefect cloud's tokens, so this condition never matches"
                    ),
                    format!("rename the key to \"{PROVIDER}:{claim}\""),
                );
            }
            if claim == "aud" {
                aud = true;
                check_aud(&at, compare, values, out);
            } else {
                sub = true;
                check_sub(&at, compare, values, ctx, out);
            }
        }
    }
    if !aud {
        out.error(
            pointer.clone(),
            format!("the statement has no {AUD_KEY} condition"),
            format!("add \"{AUD_KEY}\": \"{AUDIENCE}\" under \"StringEquals\""),
        );
    }
    if !sub {
        out.error(
            pointer,
            format!(
                "the statement has no {SUB_KEY} condition, so a token from any prefect cloud account can assume the role"
            ),
            format!(
                "add \"{SUB_KEY}\": \"{}\" under \"StringEquals\"",
                subject(&ctx.prefect)
            ),
        );
    }
}

fn check_aud(pointer: &str, compare: Compare, values: &Value, out: &mut Findings) {
    let values = items(values, pointer);
    let matches = |v: &str| match compare {
        Compare::Equals => v == AUDIENCE,
        Compare::EqualsIgnoreCase => v.eq_ignore_ascii_case(AUDIENCE),
        Compare::Like => wildcard_match(v, AUDIENCE),
    };
    let any_ok = values.iter().any(|(_, v)| matches(v));
    for (at, v) in &values {
        if matches(v) {
            if has_wildcard(compare, v) {
                out.warning(
                    at.clone(),
                    format!("audience pattern {v:?} matches more than \"{AUDIENCE}\""),
                    format!("use \"{AUDIENCE}\" under \"StringEquals\""),
                );
            }
        } else if any_ok {
            out.warning(
                at.clone(),
                format!(
                    "the condition also allows audience {v:?}, which prefect cloud never sends"
                ),
                format!("remove {v:?}"),
            );
        } else {
            let why = if v.eq_ignore_ascii_case("sts.amazonaws.com") {
                " (sts.amazonaws.com is the audience of github actions and eks tokens)"
            } else {
                ""
            };
            out.error(
                at.clone(),
                format!(
                    "audience {v:?} never matches: prefect cloud's tokens carry aud \"{AUDIENCE}\"{why}"
                ),
                format!("set the audience to \"{AUDIENCE}\""),
            );
        }
    }
}

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

fn check_sub(pointer: &str, compare: Compare, values: &Value, ctx: &Context, out: &mut Findings) {
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
                    "the subject allows prefect account {account}, not --prefect-account {expected}"
                ),
                format!("use \"{}\"", subject(expected)),
            );
        }
    }
}
