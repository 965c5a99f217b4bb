//! `poolsync springboard`: print the trust policy and permissions policy that let a
//! springboard role assume a second role, with the `aws iam` commands and the prefect-aws
//! lines that use them; or lint existing policies against the pair.

use super::policy_report::{PolicyReport, load};
use crate::cli::{SpringboardArgs, role_usage, trust_names, trust_usage};
use crate::error::{Error, Result};
use crate::exit;
use iam_trust::springboard::{self, Pair};
use iam_trust::terraform::{Known, PolicyKind};
use std::path::Path;

/// Runs `springboard`; returns the exit code.
pub(super) fn run(args: &SpringboardArgs) -> Result<u8> {
    let usage = |e: iam_trust::Error| Error::Usage(trust_usage(&e));
    let role =
        |flag, text| springboard::parse_role(text).map_err(|e| Error::Usage(role_usage(flag, &e)));
    let from = role("--from-role", &args.from_role)?;
    let to = role("--to-role", &args.to_role)?;
    let pair = Pair::new(from, to, args.external_id.clone()).map_err(usage)?;
    let session = springboard::parse_session_name(&args.session_name).map_err(usage)?;
    let duration = springboard::parse_duration(args.duration).map_err(usage)?;
    if args.check_trust.is_some() || args.check_permissions.is_some() {
        let stdin = Path::new("-");
        if args.check_trust.as_deref() == Some(stdin)
            && args.check_permissions.as_deref() == Some(stdin)
        {
            return Err(Error::Usage(
                "only one of --check-trust and --check-permissions can read stdin (-)".into(),
            ));
        }
        let mut report = PolicyReport::default();
        let names = trust_names();
        let known = Known {
            aws_account: None,
            roles: vec![pair.from.arn.clone(), pair.to.arn.clone()],
        };
        if let Some(path) = &args.check_trust {
            let source = load(path, PolicyKind::Trust, &known)?;
            report.documents(&source, "trust", |policy| {
                springboard::check_trust(policy, &pair, &names)
            });
        }
        if let Some(path) = &args.check_permissions {
            let source = load(path, PolicyKind::Permissions, &known)?;
            report.documents(&source, "permissions", |policy| {
                springboard::check_permissions(policy, &pair, &names)
            });
        }
        return Ok(report.finish());
    }
    let text = serde_json::to_string_pretty(&springboard::generate(&pair))
        .map_err(|e| Error::Usage(e.to_string()))?;
    println!("{text}");
    eprintln!("{}", notes(args, &pair, &session, duration));
    Ok(exit::SUCCESS)
}

/// The set-up commands and the flow code, for stderr.
fn notes(args: &SpringboardArgs, pair: &Pair, session: &str, duration: u32) -> String {
    let mut command = format!(
        "poolsync springboard --from-role {} --to-role {}",
        pair.from.arn, pair.to.arn
    );
    if let Some(id) = &pair.external_id {
        command.push_str(&format!(" --external-id {id}"));
    }
    if args.session_name != springboard::DEFAULT_SESSION_NAME {
        command.push_str(&format!(" --session-name {session}"));
    }
    if duration != springboard::DEFAULT_DURATION {
        command.push_str(&format!(" --duration {duration}"));
    }
    let indent = |text: &str| {
        text.lines()
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("  {l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let same = if pair.cross_account() {
        String::new()
    } else {
        " (both roles are in one account: the trust policy alone would do, the permissions policy makes the grant explicit)".to_string()
    };
    format!(
        "note: save the two policies:\n  \
         {command} > springboard.json\n  \
         jq .trust_policy springboard.json > trust-policy.json\n  \
         jq .permissions_policy springboard.json > permissions-policy.json\n\
         let the second role trust the springboard (as an admin of account {to_account}):\n  \
         aws iam update-assume-role-policy --role-name {to_name} --policy-document file://trust-policy.json\n\
         let the springboard assume the second role (as an admin of account {from_account}){same}:\n  \
         aws iam put-role-policy --role-name {from_name} --policy-name {policy} --policy-document file://permissions-policy.json\n\
         then, in the flow (its credentials are the springboard's), with prefect-aws:\n\
         {code}\n\
         a chained session lasts at most one hour; check both policies with\n  \
         {command} --check-trust trust-policy.json --check-permissions permissions-policy.json",
        to_account = pair.to.account,
        to_name = pair.to.name,
        from_account = pair.from.account,
        from_name = pair.from.name,
        policy = springboard::policy_name(pair),
        code = indent(&springboard::aws_credentials(pair, session, duration)),
    )
}
