//! The `Action` and `Principal` of a web identity trust statement.

use crate::actions;
use crate::context::{Context, PROVIDER_ARN};
use crate::document::items;
use crate::findings::Findings;
use crate::pattern::wildcard_match;
use crate::prefect_cloud::{ACTION, CREATE_PROVIDER, ISSUER_URL, PROVIDER, provider_arn_for};
use serde_json::Value;

pub(super) fn check_action(pointer: &str, statement: &Value, ctx: &Context, out: &mut Findings) {
    let who = ctx.issuer.who();
    let pointer = format!("{pointer}/Action");
    let fix = format!("set \"Action\": \"{ACTION}\"");
    let Some(action) = statement.get("Action") else {
        out.error(
            pointer,
            format!("the statement has no Action; {who} calls {ACTION}"),
            fix,
        );
        return;
    };
    let actions = items(action, &pointer);
    let mut allowed = false;
    let mut misspelt = None;
    for (at, a) in &actions {
        if a.eq_ignore_ascii_case(ACTION) {
            allowed = true;
        } else if a.contains(['*', '?'])
            && wildcard_match(&a.to_ascii_lowercase(), &ACTION.to_ascii_lowercase())
        {
            allowed = true;
            out.warning(
                at.clone(),
                format!("{a:?} allows more actions than {ACTION}"),
                format!("replace {a:?} with \"{ACTION}\""),
            );
        } else if let Some(unknown) = actions::unknown(a) {
            if unknown.closest == Some(ACTION) {
                misspelt = Some((at.clone(), a.to_string()));
            } else {
                out.error(at.clone(), unknown.message(a), unknown.fix(a));
            }
        }
    }
    if let Some((at, a)) = &misspelt {
        if allowed {
            out.error(
                at.clone(),
                format!("{a:?} is not an sts action (did you mean {ACTION}?)"),
                format!("remove {a:?}"),
            );
        } else {
            out.error(
                at.clone(),
                format!("{a:?} is not an sts action, so the statement does not allow {ACTION}; did you mean {ACTION}?"),
                format!("write \"{ACTION}\""),
            );
        }
        return;
    }
    if !allowed {
        let got: Vec<&str> = actions.iter().map(|(_, a)| *a).collect();
        let message = if got.iter().any(|a| a.eq_ignore_ascii_case("sts:AssumeRole")) {
            format!(
                "the statement allows sts:AssumeRole, which is for aws principals; {who} calls {ACTION}"
            )
        } else {
            format!(
                "the statement does not allow {ACTION} (it allows {})",
                serde_json::to_string(&got).unwrap_or_default()
            )
        };
        out.error(pointer, message, fix);
    }
}

pub(super) fn check_principal(pointer: &str, statement: &Value, ctx: &Context, out: &mut Findings) {
    let issuer = ctx.issuer;
    let who = issuer.who();
    let pointer = format!("{pointer}/Principal");
    let principals = statement
        .pointer("/Principal/Federated")
        .map(|v| items(v, &format!("{pointer}/Federated")))
        .unwrap_or_default();
    if principals.is_empty() {
        out.error(
            pointer,
            format!("the statement has no Federated principal; {who} signs in through an iam oidc provider"),
            format!(
                "set \"Principal\": {{\"Federated\": \"{}\"}}",
                provider_arn_for(&ctx.aws, &issuer.provider)
            ),
        );
        return;
    }
    let needle = if issuer.is_prefect() {
        "prefect".to_string()
    } else {
        issuer.host().to_ascii_lowercase()
    };
    let ours: Vec<_> = principals
        .iter()
        .filter(|(_, p)| p.to_ascii_lowercase().contains(&needle))
        .collect();
    let checked = if ours.is_empty() {
        principals.iter().collect()
    } else {
        ours
    };
    let (url, create) = if issuer.is_prefect() {
        (ISSUER_URL.to_string(), CREATE_PROVIDER.to_string())
    } else {
        (issuer.url(), issuer.create_provider())
    };
    for (at, arn) in checked {
        let Some(parts) = PROVIDER_ARN.captures(arn) else {
            out.error(
                at.clone(),
                format!("{arn:?} is not an iam oidc provider arn"),
                format!("use \"{}\"", provider_arn_for(&ctx.aws, &issuer.provider)),
            );
            continue;
        };
        let (account, path) = (&parts[1], &parts[2]);
        let account_for_fix = ctx.expect.aws_account.as_deref().unwrap_or(account);
        let good = provider_arn_for(account_for_fix, &issuer.provider);
        let bare = path
            .strip_prefix("https://")
            .or_else(|| path.strip_prefix("http://"));
        if let Some(bare) = bare {
            out.error(
                at.clone(),
                format!(
                    "the provider arn names {path:?}, with the scheme of the issuer url; iam names oidc providers without it, so no provider has this arn"
                ),
                format!("use \"{}\"", provider_arn_for(account_for_fix, bare.trim_end_matches('/'))),
            );
        } else if path.ends_with('/') {
            out.error(
                at.clone(),
                format!(
                    "the provider arn names {path:?}, with a trailing slash; iam names oidc providers without it, so no provider has this arn"
                ),
                format!("use \"{}\"", provider_arn_for(account_for_fix, path.trim_end_matches('/'))),
            );
        } else if !path.eq_ignore_ascii_case(&issuer.provider) {
            let hint = if issuer.is_prefect() && path.ends_with("/oidc") {
                " (/oidc is a common mistake)"
            } else {
                ""
            };
            let provider = if issuer.is_prefect() {
                PROVIDER
            } else {
                issuer.provider.as_str()
            };
            out.error(
                at.clone(),
                format!(
                    "the principal names oidc provider {path:?}, but {who}'s tokens come from \
                     {url}, so iam matches only oidc-provider/{provider}{hint}"
                ),
                format!("use \"{good}\"; create that provider once with `{create}`"),
            );
        }
        if let Some(expected) = &ctx.expect.aws_account
            && account != expected
        {
            out.error(
                at.clone(),
                format!(
                    "the oidc provider is in aws account {account}, not {} {expected}",
                    ctx.expect.names.aws_account
                ),
                format!(
                    "use \"{}\"; the provider must be in the role's account",
                    provider_arn_for(expected, &issuer.provider)
                ),
            );
        }
    }
}
