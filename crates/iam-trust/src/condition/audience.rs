//! The `aud` values of a web identity condition: they must name the audience the issuer
//! sends, and only it.

use super::{Compare, has_wildcard};
use crate::context::Context;
use crate::document::items;
use crate::findings::Findings;
use crate::pattern::wildcard_match;
use serde_json::Value;

pub(super) fn check_aud(
    pointer: &str,
    compare: Compare,
    values: &Value,
    ctx: &Context,
    out: &mut Findings,
) {
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
