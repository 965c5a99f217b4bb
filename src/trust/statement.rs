//! The `Action` and `Principal` of a Prefect trust statement.

use super::{
    ACTION, CREATE_PROVIDER, Context, Findings, ISSUER_URL, PROVIDER, PROVIDER_ARN, items,
    provider_arn, wildcard_match,
};
use serde_json::Value;

pub(super) fn check_action(pointer: &str, statement: &Value, out: &mut Findings) {
    let pointer = format!("{pointer}/Action");
    let fix = format!("set \"Action\": \"{ACTION}\"");
    let Some(action) = statement.get("Action") else {
        out.error(
            pointer,
            format!("the statement has no Action; prefect cloud calls {ACTION}"),
            fix,
        );
        return;
    };
    let actions = items(action, &pointer);
    let mut allowed = false;
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
        }
    }
    if !allowed {
        let got: Vec<&str> = actions.iter().map(|(_, a)| *a).collect();
        let message = if got.iter().any(|a| a.eq_ignore_ascii_case("sts:AssumeRole")) {
            format!(
                "the statement allows sts:AssumeRole, which is for aws principals; prefect cloud calls {ACTION}"
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
    let pointer = format!("{pointer}/Principal");
    let principals = statement
        .pointer("/Principal/Federated")
        .map(|v| items(v, &format!("{pointer}/Federated")))
        .unwrap_or_default();
    if principals.is_empty() {
        out.error(
            pointer,
            "the statement has no Federated principal; prefect cloud signs in through an iam oidc provider",
            format!(
                "set \"Principal\": {{\"Federated\": \"{}\"}}",
                provider_arn(&ctx.aws)
            ),
        );
        return;
    }
    let prefect: Vec<_> = principals
        .iter()
        .filter(|(_, p)| p.to_ascii_lowercase().contains("prefect"))
        .collect();
    let checked = if prefect.is_empty() {
        principals.iter().collect()
    } else {
        prefect
    };
    for (at, arn) in checked {
        let Some(parts) = PROVIDER_ARN.captures(arn) else {
            out.error(
                at.clone(),
                format!("{arn:?} is not an iam oidc provider arn"),
                format!("use \"{}\"", provider_arn(&ctx.aws)),
            );
            continue;
        };
        let (account, path) = (&parts[1], &parts[2]);
        if path != PROVIDER {
            let hint = if path.ends_with("/oidc") {
                " (/oidc is a common mistake)"
            } else {
                ""
            };
            out.error(
                at.clone(),
                format!(
                    "the principal names oidc provider {path:?}, but prefect cloud's tokens come from \
                     {ISSUER_URL}, so iam matches only oidc-provider/{PROVIDER}{hint}"
                ),
                format!(
                    "use \"{}\"; create that provider once with `{CREATE_PROVIDER}`",
                    provider_arn(ctx.expect.aws_account.as_deref().unwrap_or(account))
                ),
            );
        }
        if let Some(expected) = &ctx.expect.aws_account
            && account != expected
        {
            out.error(
                at.clone(),
                format!(
                    "the oidc provider is in aws account {account}, not --aws-account {expected}"
                ),
                format!(
                    "use \"{}\"; the provider must be in the role's account",
                    provider_arn(expected)
                ),
            );
        }
    }
}
