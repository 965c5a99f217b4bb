//! `poolsync trust-policy`: printing the IAM trust policy and linting one, run as a binary.
//! [`issuers`]: other OIDC issuers and their flags; [`assume_role`]: plain `sts:AssumeRole`
//! policies; [`terraform`]: Terraform files; [`springboard`]: `poolsync springboard`.

mod assume_role;
mod issuers;
mod springboard;
mod terraform;

use crate::mock;

use mock::poolsync;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const AWS: &str = "123456789012";
const PREFECT: &str = "9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/trust/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Prints exactly the policy of Prefect's guide on stdout, and the provider set-up on stderr.
#[test]
fn prints_the_policy_as_json() {
    let out = poolsync()
        .args(["trust-policy", "--aws-account", AWS, "--prefect-account"])
        .arg(PREFECT.to_uppercase())
        .assert()
        .success();
    let policy: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        policy,
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/api.prefect.cloud/oidc-provider"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                "api.prefect.cloud/oidc-provider:aud": "prefect-cloud",
                "api.prefect.cloud/oidc-provider:sub": format!("prefect:account:{PREFECT}")}}}]})
    );
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
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
    let out = poolsync()
        .args([
            "trust-policy",
            "--aws-account",
            AWS,
            "--prefect-account",
            PREFECT,
        ])
        .assert()
        .success();
    let fixture = std::fs::read_to_string(fixture("good.json")).unwrap();
    assert_eq!(stdout(out.get_output()), fixture);
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
        let out = poolsync().arg("trust-policy").args(args).assert().code(2);
        let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(stderr.contains(fragment), "{stderr}");
        assert!(out.get_output().stdout.is_empty());
    }
    let out = poolsync()
        .args([
            "trust-policy",
            "--check",
            &fixture("good.json"),
            "--aws-account",
            "x",
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("12 digits"), "{stderr}");
    poolsync()
        .args(["trust-policy", "--aws-account", AWS])
        .assert()
        .code(2);
}

/// A correct policy lints clean, with and without the expected accounts.
#[test]
fn check_accepts_the_good_fixture() {
    for extra in [
        vec![],
        vec!["--aws-account", AWS, "--prefect-account", PREFECT],
    ] {
        let out = poolsync()
            .args(["trust-policy", "--check", &fixture("good.json")])
            .args(extra)
            .assert()
            .success();
        assert_eq!(stdout(out.get_output()), "trust policy ok\n");
    }
}

/// A policy with several mistakes prints each finding with its fix, a summary, and exits 1.
#[test]
fn check_reports_every_mistake() {
    let out = poolsync()
        .args([
            "trust-policy",
            "--check",
            &fixture("bad.json"),
            "--aws-account",
            AWS,
        ])
        .assert()
        .code(1);
    let text = stdout(out.get_output());
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
    let out = poolsync()
        .args(["trust-policy", "--check", "-"])
        .write_stdin(policy)
        .assert()
        .success();
    let text = stdout(out.get_output());
    assert!(text.starts_with("warning: /Statement/0/Action: "), "{text}");
    assert!(text.ends_with("0 errors, 1 warning\n"), "{text}");
}

/// `--check -` reads the policy from stdin.
#[test]
fn check_reads_stdin() {
    let policy = std::fs::read_to_string(fixture("bad.json")).unwrap();
    let out = poolsync()
        .args(["trust-policy", "--check", "-"])
        .write_stdin(policy)
        .assert()
        .code(1);
    assert!(stdout(out.get_output()).ends_with("5 errors, 1 warning\n"));
    let good = std::fs::read_to_string(fixture("good.json")).unwrap();
    poolsync()
        .args(["trust-policy", "--check", "-", "--prefect-account", PREFECT])
        .write_stdin(good)
        .assert()
        .success()
        .stdout("trust policy ok\n");
}

/// A file that is not JSON is the usual json error, exit 1, naming the input.
#[test]
fn check_rejects_non_json() {
    let out = poolsync()
        .args(["trust-policy", "--check", "-"])
        .write_stdin("Version: 2012-10-17\n")
        .assert()
        .code(1);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("stdin is not valid json"), "{stderr}");
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
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
