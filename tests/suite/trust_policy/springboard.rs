//! `poolsync springboard`: the pair of policies it prints, its arguments, and the policies
//! it lints against the pair.

use super::{assert_lines, fixture};
use crate::harness::Run;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const FROM: &str = "arn:aws:iam::123456789012:role/prefect-springboard";
const TO: &str = "arn:aws:iam::210987654321:role/data/loader";

/// The pair on stdout is the springboard fixtures; the commands and prefect-aws lines go to
/// stderr.
#[test]
fn springboard_prints_the_pair() {
    let out = Run::new(["springboard", "--from-role", FROM, "--to-role", TO]).run();
    out.code(0);
    let printed: Value = serde_json::from_slice(&out.raw).unwrap();
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
    };
    assert_eq!(
        printed,
        json!({"trust_policy": read("springboard-trust.json"),
               "permissions_policy": read("springboard-permissions.json")})
    );
    let notes = out.stderr.clone();
    for line in [
        "aws iam update-assume-role-policy --role-name loader --policy-document file://trust-policy.json",
        "aws iam put-role-policy --role-name prefect-springboard --policy-name assume-loader --policy-document file://permissions-policy.json",
        "from prefect_aws import AwsCredentials",
        &format!("assume_role_arn=\"{TO}\","),
        "assume_role_kwargs={\"RoleSessionName\": \"prefect-springboard\", \"DurationSeconds\": 3600},",
    ] {
        assert!(notes.contains(line), "{line}\n{notes}");
    }
    let out = Run::new(["springboard", "--from-role", FROM, "--to-role", TO])
        .args([
            "--external-id",
            "vendor-4f2a9c",
            "--session-name",
            "nightly",
            "--duration",
            "900",
        ])
        .run();
    out.code(0);
    let printed: Value = serde_json::from_slice(&out.raw).unwrap();
    assert_eq!(
        printed["trust_policy"]["Statement"][0]["Condition"],
        json!({"StringEquals": {"sts:ExternalId": "vendor-4f2a9c"}})
    );
    assert!(out.stderr.clone().contains(
        "{\"RoleSessionName\": \"nightly\", \"DurationSeconds\": 900, \"ExternalId\": \"vendor-4f2a9c\"}"
    ));
}

/// Bad ARNs and values are usage errors that say what is expected.
#[test]
fn springboard_checks_its_arguments() {
    for (args, fragment) in [
        (
            vec![
                "--from-role",
                "arn:aws:iam::123456789012:user/ci",
                "--to-role",
                TO,
            ],
            "is not an iam role arn",
        ),
        (
            vec!["--from-role", FROM, "--to-role", "loader"],
            "invalid --to-role",
        ),
        (vec!["--from-role", FROM, "--to-role", FROM], "same role"),
        (
            vec!["--from-role", FROM, "--to-role", TO, "--duration", "7200"],
            "one hour",
        ),
        (
            vec![
                "--from-role",
                FROM,
                "--to-role",
                TO,
                "--session-name",
                "a b",
            ],
            "--session-name",
        ),
        (
            vec![
                "--from-role",
                FROM,
                "--to-role",
                TO,
                "--check-trust",
                "-",
                "--check-permissions",
                "-",
            ],
            "stdin",
        ),
    ] {
        let out = Run::new(["springboard"]).args(&args).run();
        out.code(2);
        let text = out.stderr.clone();
        assert!(text.contains(fragment), "{args:?}: {text}");
        assert!(out.raw.is_empty());
    }
}

/// Existing policies are linted against the pair, JSON or Terraform.
#[test]
fn springboard_checks_policies() {
    let trust = fixture("springboard-trust.json");
    let permissions = fixture("springboard-permissions.json");
    let out = Run::new(["springboard", "--from-role", FROM, "--to-role", TO])
        .args(["--check-trust", &trust, "--check-permissions", &permissions])
        .run();
    out.code(0);
    assert_eq!(
        out.stdout.clone(),
        format!("{trust}: trust policy ok\n{permissions}: permissions policy ok\n")
    );
    let trust = fixture("springboard-trust-bad.json");
    let permissions = fixture("springboard-permissions-bad.json");
    let out = Run::new(["springboard", "--from-role", FROM, "--to-role", TO])
        .args(["--check-trust", &trust, "--check-permissions", &permissions])
        .run();
    out.code(1);
    let starts = [
        format!(
            "{trust}: error: /Statement/0/Principal: the statement allows sts:AssumeRole to {{\"AWS\":\"arn:aws:iam::123456789012:role/prefect-managed\"}}, not to the springboard"
        ),
        format!(
            "{trust}: error: /Statement/1/Action: \"sts:AssumeRol\" is not an sts action, so the chain is refused (did you mean sts:AssumeRole?)"
        ),
        format!(
            "{trust}: error: /Statement/2/Effect: this Deny of sts:AssumeRole to {FROM} cancels the chain"
        ),
        format!(
            "{permissions}: error: /Statement/0/Resource: the statement allows sts:AssumeRole on \"arn:aws:iam::210987654321:role/loader\", not on the second role {TO}"
        ),
        format!(
            "{permissions}: error: /Statement/1/Effect: this Deny of sts:AssumeRole on {TO} cancels the chain"
        ),
        "5 errors, 0 warnings".to_string(),
    ];
    let starts: Vec<&str> = starts.iter().map(String::as_str).collect();
    assert_lines(&out.stdout.clone(), &starts);
    let tf = fixture("springboard.tf");
    let out = Run::new(["springboard", "--from-role", FROM, "--to-role", TO])
        .args(["--check-trust", &tf, "--check-permissions", &tf])
        .run();
    out.code(0);
    assert_eq!(
        out.stdout.clone(),
        format!(
            "{tf}: trust policy ok: aws_iam_role.loader.assume_role_policy\n\
             {tf}: permissions policy ok: aws_iam_role_policy.springboard_assume_loader.policy\n"
        )
    );
    // The trust policy given as the permissions policy is named for what it is.
    let out = Run::new(["springboard", "--from-role", FROM, "--to-role", TO])
        .args(["--check-permissions", "-"])
        .stdin(std::fs::read_to_string(fixture("springboard-trust.json")).unwrap())
        .run();
    out.code(1);
    assert!(out.stdout.clone().starts_with("stdin: error: /Statement/0/Principal: the statement has a Principal: this is a trust policy"));
}
