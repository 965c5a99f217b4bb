//! The `sub` values of an issuer other than Prefect Cloud's, or given as an exact subject or
//! a subject pattern: against the subject rule, and how far a wildcard reaches over tenants.

use super::{Compare, has_wildcard};
use crate::context::Context;
use crate::document::items;
use crate::findings::Findings;
use crate::issuer::SubjectRule;
use crate::pattern::{pattern_within, wildcard_match};
use serde_json::Value;

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

/// The `sub` values of an issuer other than Prefect Cloud's (or with an exact subject).
pub(super) fn check_other_sub(
    pointer: &str,
    compare: Compare,
    values: &Value,
    ctx: &Context,
    out: &mut Findings,
) {
    let who = ctx.issuer.who();
    let names = &ctx.expect.names;
    let (subject, subject_like) = (&names.subject, &names.subject_like);
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
                        format!("subject {v:?} does not match {subject} {want:?}, so the token is refused{hint}"),
                        fix,
                    );
                } else if wildcard && reach(v) == Reach::Every {
                    out.error(at, every(), fix);
                } else if wildcard {
                    out.warning(
                        at,
                        format!(
                            "subject pattern {v:?} matches more subjects than {subject} {want:?}"
                        ),
                        fix,
                    );
                }
            }
            SubjectRule::Like(pattern) => {
                let within = if wildcard {
                    pattern_within(&fold(v), &fold(pattern))
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
                    format!("{}; it is wider than {subject_like} {pattern:?}", every())
                } else if wildcard {
                    format!(
                        "subject pattern {v:?} is wider than {subject_like} {pattern:?}: it matches subjects outside it"
                    )
                } else {
                    format!("subject {v:?} does not match {subject_like} {pattern:?}")
                };
                out.error(at, message, fix);
            }
            SubjectRule::Tenant | SubjectRule::Prefect => {
                let fix = format!(
                    "name one tenant, e.g. \"organization:<id>\" under \"StringEquals\", or pass {subject} / {subject_like} to say which subjects you mean"
                );
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
