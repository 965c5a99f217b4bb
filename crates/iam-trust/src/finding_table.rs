//! What the finding tables share: the row, the runner that checks one table, and the
//! expectation the tables beyond Prefect Cloud's first hop lint with (the AWS account
//! alone).

use crate::expect::Expect;
use crate::input_names::InputNames;
use crate::issuer::Issuer;
use crate::lint::lint_for;
use poolsync_engine::finding::{Finding, Level};
use pretty_assertions::assert_eq;
use serde_json::Value;

pub(super) const AWS: &str = "123456789012";

/// name, policy, and each expected finding's level, pointer and message fragment.
pub(super) type Case = (
    &'static str,
    Value,
    Vec<(Level, &'static str, &'static str)>,
);

/// Lints each case and checks every finding's level, pointer and message fragment, in order.
pub(super) fn run(cases: Vec<Case>, lint: impl Fn(&Value) -> Vec<Finding>) {
    for (name, policy, want) in cases {
        let got: Vec<(Option<Level>, String, String)> = lint(&policy)
            .into_iter()
            .map(|f| (f.level, f.pointer.as_str().to_string(), f.message))
            .collect();
        assert_eq!(got.len(), want.len(), "{name}: {got:#?}");
        for ((level, pointer, message), (want_level, want_pointer, fragment)) in
            got.iter().zip(&want)
        {
            assert_eq!(
                (*level, pointer.as_str()),
                (Some(*want_level), *want_pointer),
                "{name}: {message}"
            );
            assert!(
                message.contains(fragment),
                "{name}: {message:?} lacks {fragment:?}"
            );
        }
    }
}

pub(super) fn expect() -> Expect {
    Expect {
        aws_account: Some(AWS.into()),
        prefect_account: None,
        names: flags(),
    }
}

/// The names of a caller that asks for its inputs with flags, as poolsync does.
pub(super) fn flags() -> InputNames {
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

/// Lints a trust policy for Prefect Cloud's issuer.
pub(super) fn lint(policy: &Value, expect: &Expect) -> Vec<Finding> {
    lint_for(policy, expect, &Issuer::prefect())
}
