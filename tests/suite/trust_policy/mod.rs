//! `poolsync trust-policy`: printing the IAM trust policy and linting one, run as a binary.
//! [`issuers`]: other OIDC issuers and their flags; [`assume_role`]: plain `sts:AssumeRole`
//! policies; [`terraform`]: Terraform files; [`springboard`]: `poolsync springboard`.

use crate::harness::Run;
use crate::harness::fixtures;
mod assume_role;
mod issuers;
mod springboard;
mod terraform;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const AWS: &str = "123456789012";
const PREFECT: &str = "9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e";

fn fixture(name: &str) -> String {
    fixtures::fixture(&format!("trust/{name}"))
}

/// Prints exactly the policy of Prefect's guide on stdout, and the provider set-up on stderr.
#[test]
fn prints_the_policy_as_json() {
    let out = Run::new(["trust-policy", "--aws-account", AWS, "--prefect-account"])
        .arg(PREFECT.to_uppercase())
        .run();
    out.code(0);
    let policy: Value = serde_json::from_slice(&out.raw).unwrap();
    assert_eq!(
        policy,
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/api.prefect.cloud/oidc-provider"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                "api.prefect.cloud/oidc-provider:aud": "prefect-cloud",
                "api.prefect.cloud/oidc-provider:sub": format!("prefect:account:{PREFECT}")}}}]})
    );
    let stderr = out.stderr.clone();
    assert!(
        stderr.contains(
            "aws iam create-open-id-connect-provider --url https://api.prefect.cloud/oidc-provider --client-id-list prefect-cloud"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("aws iam create-role --role-name prefect-managed --assume-role-policy-document file://trust-policy.json"),
        "{stderr}"
    );
}

/// The committed good fixture is what the command prints.
#[test]
fn good_fixture_is_the_printed_policy() {
    let out = Run::new([
        "trust-policy",
        "--aws-account",
        AWS,
        "--prefect-account",
        PREFECT,
    ])
    .run();
    out.code(0);
    let fixture = std::fs::read_to_string(fixture("good.json")).unwrap();
    assert_eq!(out.stdout.clone(), fixture);
}

/// Malformed account ids are usage errors (exit 2) that say what is expected.
#[test]
fn bad_accounts_are_usage_errors() {
    let cases = [
        (
            ["--aws-account", "12345", "--prefect-account", PREFECT],
            "12 digits",
        ),
        (
            ["--aws-account", AWS, "--prefect-account", "acct-1"],
            "is a uuid",
        ),
    ];
    for (args, fragment) in cases {
        let out = Run::new(["trust-policy"]).args(args).run();
        out.code(2);
        let stderr = out.stderr.clone();
        assert!(stderr.contains(fragment), "{stderr}");
        assert!(out.raw.is_empty());
    }
    let out = Run::new([
        "trust-policy",
        "--check",
        &fixture("good.json"),
        "--aws-account",
        "x",
    ])
    .run();
    out.code(2);
    let stderr = out.stderr.clone();
    assert!(stderr.contains("12 digits"), "{stderr}");
    Run::new(["trust-policy", "--aws-account", AWS])
        .run()
        .code(2);
}

/// A correct policy lints clean, with and without the expected accounts.
#[test]
fn check_accepts_the_good_fixture() {
    for extra in [
        vec![],
        vec!["--aws-account", AWS, "--prefect-account", PREFECT],
    ] {
        let out = Run::new(["trust-policy", "--check", &fixture("good.json")])
            .args(extra)
            .run();
        out.code(0);
        assert_eq!(out.stdout.clone(), "trust policy ok\n");
    }
}

/// A policy with several mistakes prints each finding with its fix, a summary, and exits 1.
#[test]
fn check_reports_every_mistake() {
    let out = Run::new([
        "trust-policy",
        "--check",
        &fixture("bad.json"),
        "--aws-account",
        AWS,
    ])
    .run();
    out.code(1);
    let text = out.stdout.clone();
    let lines: Vec<&str> = text.lines().collect();
    let starts = [
        "error: /Statement/0/Action: the statement allows sts:AssumeRole",
        "error: /Statement/0/Principal/Federated: the principal names oidc provider \"api.prefect.cloud/oidc\"",
        "error: /Statement/0/Principal/Federated: the oidc provider is in aws account 111111111111",
        "error: /Statement/0/Condition/StringEquals/api.prefect.cloud~1oidc:aud: condition key",
        "error: /Statement/0/Condition/StringEquals/api.prefect.cloud~1oidc:aud: audience \"sts.amazonaws.com\"",
        "error: /Statement/0/Condition/StringLike/api.prefect.cloud~1oidc-provider:sub/0: subject pattern \"prefect:account:*\" matches the tokens of every",
        "warning: /Statement/0/Condition/StringLike/api.prefect.cloud~1oidc-provider:sub/1: subject pattern",
        "6 errors, 1 warning",
    ];
    assert_eq!(lines.len(), starts.len(), "{text}");
    for (line, start) in lines.iter().zip(starts) {
        assert!(
            line.starts_with(start),
            "{line:?} does not start with {start:?}"
        );
    }
    assert!(lines[..7].iter().all(|l| l.contains("; fix: ")), "{text}");
}

/// Warnings alone do not fail the check.
#[test]
fn warnings_alone_exit_zero() {
    let policy = std::fs::read_to_string(fixture("good.json"))
        .unwrap()
        .replace("\"sts:AssumeRoleWithWebIdentity\"", "\"sts:*\"");
    let out = Run::new(["trust-policy", "--check", "-"])
        .stdin(policy)
        .run();
    out.code(0);
    let text = out.stdout.clone();
    assert!(text.starts_with("warning: /Statement/0/Action: "), "{text}");
    assert!(text.ends_with("0 errors, 1 warning\n"), "{text}");
}

/// `--check -` reads the policy from stdin.
#[test]
fn check_reads_stdin() {
    let policy = std::fs::read_to_string(fixture("bad.json")).unwrap();
    let out = Run::new(["trust-policy", "--check", "-"])
        .stdin(policy)
        .run();
    out.code(1);
    assert!(out.stdout.clone().ends_with("5 errors, 1 warning\n"));
    let good = std::fs::read_to_string(fixture("good.json")).unwrap();
    Run::new(["trust-policy", "--check", "-", "--prefect-account", PREFECT])
        .stdin(good)
        .run()
        .code(0)
        .stdout_is("trust policy ok\n");
}

/// A file that is not JSON is the usual json error, exit 1, naming the input.
#[test]
fn check_rejects_non_json() {
    let out = Run::new(["trust-policy", "--check", "-"])
        .stdin("Version: 2012-10-17\n")
        .run();
    out.code(1);
    let stderr = out.stderr.clone();
    assert!(stderr.contains("stdin is not valid json"), "{stderr}");
}

/// Asserts the lines of stdout start with `starts`, one each, in order.
fn assert_lines(text: &str, starts: &[&str]) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), starts.len(), "{text}");
    for (line, start) in lines.iter().zip(starts) {
        assert!(
            line.starts_with(start),
            "{line:?} does not start with {start:?}"
        );
    }
}
