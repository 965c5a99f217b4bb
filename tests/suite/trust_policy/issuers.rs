//! Other OIDC issuers than Prefect Cloud's: `--issuer` and its companions, linting a
//! CrewAI-style policy, and the flags that do not fit together.

use super::{AWS, PREFECT, assert_lines, fixture};
use crate::harness::Run;
use pretty_assertions::assert_eq;

const CREW: [&str; 6] = [
    "--issuer",
    "app.crewai.com",
    "--audience",
    "sts.amazonaws.com",
    "--aws-account",
    AWS,
];

/// Another OIDC issuer: the CrewAI-style fixture lints clean; its broken twin shows each
/// mistake of a non-Prefect issuer.
#[test]
fn check_takes_any_issuer() {
    let out = Run::new(["trust-policy", "--check", &fixture("crewai.json")])
        .args(CREW)
        .arg("--subject")
        .arg("organization:4b1d2c3e-5f60-4a7b-8c9d-0e1f2a3b4c5d")
        .run();
    out.code(0);
    assert_eq!(out.stdout.clone(), "trust policy ok\n");
    let out = Run::new(["trust-policy", "--check", &fixture("crewai-bad.json")])
        .args(CREW)
        .run();
    out.code(1);
    assert_lines(
        &out.stdout.clone(),
        &[
            "error: /Statement/0/Principal/Federated: the provider arn names \"https://app.crewai.com/\", with the scheme",
            "error: /Statement/0/Principal/Federated: the oidc provider is in aws account 210987654321, not --aws-account 123456789012",
            "error: /Statement/0/Condition/StringEquals/https:~1~1app.crewai.com:aud: condition key \"https://app.crewai.com:aud\" has the wrong prefix",
            "error: /Statement/0/Condition/StringEquals/https:~1~1app.crewai.com:aud: audience \"crewai\" never matches",
            "error: /Statement/0/Condition/StringLike/app.crewai.com:sub/0: subject pattern \"organization:*\" matches the tokens of every tenant",
            "5 errors, 0 warnings",
        ],
    );
    // Prefect Cloud's issuer is the default: the CrewAI policy has no statement for it.
    let out = Run::new([
        "trust-policy",
        "--check",
        &fixture("crewai.json"),
        "--prefect-account",
        PREFECT,
    ])
    .run();
    out.code(1);
    assert!(out.stdout.clone().contains(
        "no statement allows sts:AssumeRoleWithWebIdentity from Prefect Cloud's oidc provider"
    ));
}

/// Issuer flags that do not fit together are usage errors.
#[test]
fn issuer_flags_are_checked() {
    for args in [
        vec!["--issuer", "app.crewai.com"],
        vec!["--check", "-", "--subject", "a", "--subject-like", "b*"],
        vec![
            "--check",
            "-",
            "--issuer",
            "app.crewai.com",
            "--prefect-account",
            PREFECT,
        ],
        vec!["--check", "-", "--issuer", "not a host"],
        vec!["--check", "-", "--subject", "organization:*"],
    ] {
        let out = Run::new(["trust-policy"]).args(&args).stdin("{}").run();
        out.code(2);
        assert!(out.raw.is_empty(), "{args:?}");
    }
}
