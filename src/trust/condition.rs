//! The `Condition` block of a web identity trust statement: the `aud` and `sub` keys, their
//! prefixes, and their values, for Prefect Cloud's issuer or any other.

use super::{
    Context, Findings, SUBJECT_PREFIX, SubjectRule, items, subject, token, wildcard_match,
};
use serde_json::Value;

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
            let at = format!("{pointer}/{}/{}", token(operator), token(key));
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

fn check_aud(pointer: &str, compare: Compare, values: &Value, ctx: &Context, out: &mut Findings) {
    let who = ctx.issuer.who();
    let values = items(values, pointer);
    let Some(audience) = ctx.issuer.audience.as_deref() else {
        for (at, v) in &values {
            if compare == Compare::Like && (*v == "*" || v.starts_with('*')) {
                out.warning(
                    at.clone(),
                    format!("audience pattern {v:?} matches any audience"),
                    "name the audience your issuer sends, under \"StringEquals\"",
                );
            }
        }
        return;
    };
    let matches = |v: &str| match compare {
        Compare::Equals => v == audience,
        Compare::EqualsIgnoreCase => v.eq_ignore_ascii_case(audience),
        Compare::Like => wildcard_match(v, audience),
    };
    let any_ok = values.iter().any(|(_, v)| matches(v));
    for (at, v) in &values {
        if matches(v) {
            if has_wildcard(compare, v) {
                out.warning(
                    at.clone(),
                    format!("audience pattern {v:?} matches more than \"{audience}\""),
                    format!("use \"{audience}\" under \"StringEquals\""),
                );
            }
        } else if any_ok {
            out.warning(
                at.clone(),
                format!("the condition also allows audience {v:?}, which {who} never sends"),
                format!("remove {v:?}"),
            );
        } else {
            let why = if v.eq_ignore_ascii_case("sts.amazonaws.com")
                && !audience.eq_ignore_ascii_case("sts.amazonaws.com")
            {
                " (sts.amazonaws.com is the audience of github actions and eks tokens)"
            } else {
                ""
            };
            out.error(
                at.clone(),
                format!(
                    "audience {v:?} never matches: {who}'s tokens carry aud \"{audience}\"{why}"
                ),
                format!("set the audience to \"{audience}\""),
            );
        }
    }
}

/// How far a subject pattern reaches for an issuer whose subjects are `<kind>:<tenant>...`.
#[derive(Debug, PartialEq, Eq)]
enum Reach {
    /// The wildcard stands for the whole tenant field (or more): every tenant.
    Every,
    /// The wildcard is inside the tenant field: tenants whose ids start the same.
    Partial,
    /// The tenant is written out; the wildcard is after it.
    Within,
}

fn reach(value: &str) -> Reach {
    let literal = &value[..value.find(['*', '?']).unwrap_or(value.len())];
    match literal.split_once(':') {
        None => Reach::Every,
        Some((_, "")) => Reach::Every,
        Some((_, rest)) if rest.contains(':') => Reach::Within,
        Some(_) => Reach::Partial,
    }
}

/// The `sub` values of an issuer other than Prefect Cloud's (or with `--subject`).
fn check_other_sub(
    pointer: &str,
    compare: Compare,
    values: &Value,
    ctx: &Context,
    out: &mut Findings,
) {
    let who = ctx.issuer.who();
    let fold = |s: &str| {
        if compare == Compare::EqualsIgnoreCase {
            s.to_ascii_lowercase()
        } else {
            s.to_string()
        }
    };
    for (at, v) in items(values, pointer) {
        let wildcard = has_wildcard(compare, v);
        let literal_star = !wildcard && v.contains('*');
        let every = || {
            format!(
                "subject pattern {v:?} matches the tokens of every tenant of {who}, so anyone {who} issues tokens for could assume the role"
            )
        };
        match &ctx.issuer.subject {
            SubjectRule::Exact(want) => {
                let fix = format!("use \"{want}\" under \"StringEquals\"");
                let matches = if wildcard {
                    wildcard_match(v, want)
                } else {
                    fold(v) == fold(want)
                };
                if !matches {
                    let hint = if literal_star {
                        " (StringEquals compares * literally)"
                    } else {
                        ""
                    };
                    out.error(
                        at,
                        format!("subject {v:?} does not match --subject {want:?}, so the token is refused{hint}"),
                        fix,
                    );
                } else if wildcard && reach(v) == Reach::Every {
                    out.error(at, every(), fix);
                } else if wildcard {
                    out.warning(
                        at,
                        format!(
                            "subject pattern {v:?} matches more subjects than --subject {want:?}"
                        ),
                        fix,
                    );
                }
            }
            SubjectRule::Like(pattern) => {
                let within = if wildcard {
                    super::pattern_within(&fold(v), &fold(pattern))
                } else {
                    wildcard_match(&fold(pattern), &fold(v))
                };
                if within {
                    continue;
                }
                let fix = if pattern.contains(['*', '?']) {
                    format!("use \"{pattern}\" under \"StringLike\", or narrower")
                } else {
                    format!("use \"{pattern}\" under \"StringEquals\"")
                };
                let message = if wildcard && reach(v) == Reach::Every {
                    format!("{}; it is wider than --subject-like {pattern:?}", every())
                } else if wildcard {
                    format!(
                        "subject pattern {v:?} is wider than --subject-like {pattern:?}: it matches subjects outside it"
                    )
                } else {
                    format!("subject {v:?} does not match --subject-like {pattern:?}")
                };
                out.error(at, message, fix);
            }
            SubjectRule::Tenant | SubjectRule::Prefect => {
                let fix = "name one tenant, e.g. \"organization:<id>\" under \"StringEquals\", or pass --subject / --subject-like to say which subjects you mean";
                if literal_star {
                    out.error(
                        at,
                        format!("subject {v:?} never matches: StringEquals compares * literally"),
                        "move the pattern under \"StringLike\", or write the subject out",
                    );
                } else if wildcard {
                    match reach(v) {
                        Reach::Every => out.error(at, every(), fix),
                        Reach::Partial => out.warning(
                            at,
                            format!(
                                "subject pattern {v:?} has a wildcard inside the tenant id, so it also matches other tenants whose ids start the same"
                            ),
                            fix,
                        ),
                        Reach::Within => {}
                    }
                }
            }
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
