//! Plain cross-account `sts:AssumeRole` trust policies, linted by `trust-policy --check`.

use super::{AWS, assert_lines, fixture};
use crate::harness::Run;
use pretty_assertions::assert_eq;

/// Plain cross-account AssumeRole policies are recognised and linted.
#[test]
fn check_lints_assume_role_policies() {
    let out = Run::new([
        "trust-policy",
        "--check",
        &fixture("cross-account.json"),
        "--aws-account",
        AWS,
    ])
    .run();
    out.code(0);
    assert_eq!(out.stdout.clone(), "trust policy ok\n");
    let out = Run::new([
        "trust-policy",
        "--check",
        &fixture("cross-account-bad.json"),
        "--aws-account",
        AWS,
    ])
    .run();
    out.code(1);
    assert_lines(
        &out.stdout.clone(),
        &[
            "error: /Version: version \"2012-10-18\" is not a policy language version",
            "error: /Statement/0/Action: \"sts:AsumeRole\" is not an sts action (did you mean sts:AssumeRole?); fix: write \"sts:AssumeRole\"",
            "warning: /Statement/0/Principal/AWS: \"arn:aws:iam::999988887777:root\" is in aws account 999988887777, not --aws-account 123456789012, and the statement has no sts:ExternalId condition",
            "error: /Statement/1/Principal/AWS: the statement lets any principal in any aws account assume the role",
            "error: /Statement/2/Effect: Effect \"allow\" is neither \"Allow\" nor \"Deny\"",
            "4 errors, 1 warning",
        ],
    );
}
