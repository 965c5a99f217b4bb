//! `iam_trust`'s errors and findings in the words of `trust-policy` and `springboard`: the
//! crate names an input by what it is, the command line by its flag.

use iam_trust::{Error, InputNames};

/// How the findings of `trust-policy` and `springboard` name their inputs: by flag.
pub(crate) fn trust_names() -> InputNames {
    InputNames {
        aws_account: "--aws-account".into(),
        prefect_account: "--prefect-account".into(),
        subject: "--subject".into(),
        subject_like: "--subject-like".into(),
        external_id: "--external-id".into(),
        check_trust: "--check-trust".into(),
        check_permissions: "--check-permissions".into(),
        trust_policy: "`poolsync trust-policy --aws-account {aws} --prefect-account {prefect}`"
            .into(),
        springboard: "`poolsync springboard`".into(),
    }
}

/// The usage message of an error in `trust-policy`'s or `springboard`'s arguments, naming
/// the flag; a role arn's error names `--role` (see [`role_usage`] for the real flag).
pub(crate) fn usage(error: &Error) -> String {
    let reason = error.reason();
    match error {
        Error::AwsAccount { text } => format!("invalid --aws-account {text:?}: {reason}"),
        Error::PrefectAccount { text } => format!("invalid --prefect-account {text:?}: {reason}"),
        Error::Issuer { text } => format!("invalid --issuer {text:?}: {reason}"),
        Error::EmptyAudience => format!("invalid --audience \"\": {reason}"),
        Error::SubjectAndPattern => "give --subject or --subject-like, not both".into(),
        Error::WildcardSubject { subject } => format!(
            "invalid --subject {subject:?}: it holds a wildcard; use --subject-like {subject:?} for a pattern"
        ),
        Error::EmptySubject => "--subject and --subject-like need a value".into(),
        Error::RoleArn { .. } => role_usage("--role", error),
        Error::Partition { from, to } => format!(
            "--from-role is in the {from} partition and --to-role in {to}; a role can only assume roles of its own partition"
        ),
        Error::SameRole => "--from-role and --to-role are the same role; give the role the springboard assumes as --to-role".into(),
        Error::ExternalId { text } => format!("invalid --external-id {text:?}: {reason}"),
        Error::SessionName { text } => format!("invalid --session-name {text:?}: {reason}"),
        Error::Duration { seconds, .. } => format!("invalid --duration {seconds}: {reason}"),
        Error::Unevaluable { .. } | Error::Terraform { .. } => error.to_string(),
    }
}

/// The usage message of an error in the role arn given with `flag`.
pub(crate) fn role_usage(flag: &str, error: &Error) -> String {
    match error {
        Error::RoleArn { text, why } => format!("invalid {flag} {text:?}: {why}"),
        other => usage(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iam_trust::springboard::{self, Pair};
    use iam_trust::{Issuer, parse_aws_account, parse_prefect_account};
    use pretty_assertions::assert_eq;

    fn issuer(
        issuer: Option<&str>,
        audience: Option<&str>,
        subject: Option<&str>,
        like: Option<&str>,
    ) -> String {
        Issuer::from_args(issuer, audience, subject, like)
            .map(|_| "ok".to_string())
            .unwrap_or_else(|e| usage(&e))
    }

    #[test]
    fn trust_policy_errors_name_the_flags() {
        let cases = [
            (
                parse_aws_account("1234").map(|_| ()),
                "invalid --aws-account \"1234\": an aws account id is 12 digits, e.g. 123456789012",
            ),
            (
                parse_prefect_account("x").map(|_| ()),
                "invalid --prefect-account \"x\": a prefect cloud account id is a uuid such as \
                 9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e; it follows /accounts/ in your PREFECT_API_URL",
            ),
        ];
        for (result, want) in cases {
            assert_eq!(result.map_err(|e| usage(&e)), Err(want.to_string()));
        }
        assert_eq!(
            issuer(Some("not a host"), None, None, None),
            "invalid --issuer \"not a host\": give the issuer's host and path as iam names the \
             provider, e.g. app.crewai.com or api.prefect.cloud/oidc-provider"
        );
        assert_eq!(
            issuer(None, Some(" "), None, None),
            "invalid --audience \"\": give the token's aud claim"
        );
        assert_eq!(
            issuer(None, None, Some("a"), Some("b*")),
            "give --subject or --subject-like, not both"
        );
        assert_eq!(
            issuer(None, None, Some("organization:*"), None),
            "invalid --subject \"organization:*\": it holds a wildcard; use --subject-like \
             \"organization:*\" for a pattern"
        );
        assert_eq!(
            issuer(None, None, Some(""), None),
            "--subject and --subject-like need a value"
        );
    }

    #[test]
    fn springboard_errors_name_the_flags() {
        let err = springboard::parse_role("arn:aws:iam::123456789012:user/ci").unwrap_err();
        let text = role_usage("--from-role", &err);
        assert!(
            text.starts_with("invalid --from-role \"arn:aws:iam::123456789012:user/ci\": ")
                && text.contains("is not an iam role arn"),
            "{text}"
        );
        let from = springboard::parse_role("arn:aws:iam::123456789012:role/a").unwrap();
        let china = springboard::parse_role("arn:aws-cn:iam::123456789012:role/b").unwrap();
        let to = springboard::parse_role("arn:aws:iam::123456789012:role/b").unwrap();
        let usage_of = |result: Result<Pair, Error>| result.map(|_| ()).map_err(|e| usage(&e));
        assert_eq!(
            usage_of(Pair::new(from.clone(), china, None)),
            Err(
                "--from-role is in the aws partition and --to-role in aws-cn; a role can only \
                 assume roles of its own partition"
                    .into()
            )
        );
        assert_eq!(
            usage_of(Pair::new(from.clone(), from.clone(), None)),
            Err(
                "--from-role and --to-role are the same role; give the role the springboard \
                 assumes as --to-role"
                    .into()
            )
        );
        assert_eq!(
            usage_of(Pair::new(from, to, Some("x".into()))),
            Err(
                "invalid --external-id \"x\": sts takes 2 to 1224 letters, digits and +=,.@:/-_"
                    .into()
            )
        );
        assert_eq!(
            springboard::parse_session_name("x").map_err(|e| usage(&e)),
            Err(
                "invalid --session-name \"x\": sts takes 2 to 64 letters, digits and _+=,.@-"
                    .into()
            )
        );
        assert_eq!(
            springboard::parse_duration(7200).map_err(|e| usage(&e)),
            Err(
                "invalid --duration 7200: a chained role session lasts 900 to 3600 seconds (aws \
                 caps role chaining at one hour)"
                    .into()
            )
        );
    }
}
