//! `poolsync trust-policy`: printing the IAM trust policy and linting one, run as a binary.

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
    let out = poolsync()
        .args(["trust-policy", "--check", &fixture("crewai.json")])
        .args(CREW)
        .arg("--subject")
        .arg("organization:4b1d2c3e-5f60-4a7b-8c9d-0e1f2a3b4c5d")
        .assert()
        .success();
    assert_eq!(stdout(out.get_output()), "trust policy ok\n");
    let out = poolsync()
        .args(["trust-policy", "--check", &fixture("crewai-bad.json")])
        .args(CREW)
        .assert()
        .code(1);
    assert_lines(
        &stdout(out.get_output()),
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
    let out = poolsync()
        .args([
            "trust-policy",
            "--check",
            &fixture("crewai.json"),
            "--prefect-account",
            PREFECT,
        ])
        .assert()
        .code(1);
    assert!(stdout(out.get_output()).contains(
        "no statement allows sts:AssumeRoleWithWebIdentity from Prefect Cloud's oidc provider"
    ));
}

/// Plain cross-account AssumeRole policies are recognised and linted.
#[test]
fn check_lints_assume_role_policies() {
    let out = poolsync()
        .args([
            "trust-policy",
            "--check",
            &fixture("cross-account.json"),
            "--aws-account",
            AWS,
        ])
        .assert()
        .success();
    assert_eq!(stdout(out.get_output()), "trust policy ok\n");
    let out = poolsync()
        .args([
            "trust-policy",
            "--check",
            &fixture("cross-account-bad.json"),
            "--aws-account",
            AWS,
        ])
        .assert()
        .code(1);
    assert_lines(
        &stdout(out.get_output()),
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
        let out = poolsync()
            .arg("trust-policy")
            .args(&args)
            .write_stdin("{}")
            .assert()
            .code(2);
        assert!(out.get_output().stdout.is_empty(), "{args:?}");
    }
}

/// Terraform files: each assume_role_policy is evaluated (jsonencode, data blocks) and its
/// findings carry the file, the line and the resource.
#[test]
fn check_reads_terraform() {
    let out = poolsync()
        .args([
            "trust-policy",
            "--check",
            &fixture("prefect-cloud.tf"),
            "--aws-account",
            AWS,
        ])
        .args(["--prefect-account", PREFECT])
        .assert()
        .success();
    assert_eq!(
        stdout(out.get_output()),
        format!(
            "{}: trust policy ok: aws_iam_role.prefect_managed.assume_role_policy\n",
            fixture("prefect-cloud.tf")
        )
    );
    // Without --aws-account the provider's arn is unknown: not checked is not ok.
    let out = poolsync()
        .args(["trust-policy", "--check", &fixture("prefect-cloud.tf")])
        .assert()
        .code(1);
    let text = stdout(out.get_output());
    assert!(text.contains("prefect-cloud.tf:16: error: aws_iam_role.prefect_managed.assume_role_policy: could not evaluate the policy: undefined variable `aws_iam_openid_connect_provider`"), "{text}");
    assert!(text.contains("pass --aws-account"), "{text}");
    let bad = fixture("bad.tf");
    let out = poolsync()
        .args(["trust-policy", "--check", &bad, "--aws-account", AWS])
        .assert()
        .code(1);
    let starts: Vec<String> = [
        "11: error: aws_iam_role.prefect.assume_role_policy /Statement/0/Principal/Federated: the principal names oidc provider \"api.prefect.cloud/oidc\"",
        "18: error: aws_iam_role.prefect.assume_role_policy /Statement/0/Condition/StringLike/api.prefect.cloud~1oidc-provider:sub: subject \"prefect:cloud:",
        "29: error: aws_iam_role.vendor.assume_role_policy /Statement/0/Action: \"sts:AsumeRole\" is not an sts action (did you mean sts:AssumeRole?)",
        "30: warning: aws_iam_role.vendor.assume_role_policy /Statement/0/Principal/AWS: \"arn:aws:iam::999988887777:root\" is in aws account 999988887777",
    ]
    .iter()
    .map(|s| format!("{bad}:{s}"))
    .collect();
    let mut starts: Vec<&str> = starts.iter().map(String::as_str).collect();
    starts.push("3 errors, 1 warning");
    assert_lines(&stdout(out.get_output()), &starts);
    // On stdin, Terraform is told from JSON by its syntax.
    let out = poolsync()
        .args(["trust-policy", "--check", "-"])
        .write_stdin(std::fs::read_to_string(&bad).unwrap())
        .assert()
        .code(1);
    assert!(stdout(out.get_output()).starts_with("stdin:11: error: "));
    // A syntax error names the file and the line.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.tf");
    std::fs::write(
        &broken,
        "resource \"aws_iam_role\" \"x\" {\n  assume_role_policy = \n}\n",
    )
    .unwrap();
    let out = poolsync()
        .args(["trust-policy", "--check"])
        .arg(&broken)
        .assert()
        .code(1);
    assert!(
        stderr(out.get_output()).contains("line 2"),
        "{}",
        stderr(out.get_output())
    );
}

const FROM: &str = "arn:aws:iam::123456789012:role/prefect-springboard";
const TO: &str = "arn:aws:iam::210987654321:role/data/loader";

/// The pair on stdout is the springboard fixtures; the commands and prefect-aws lines go to
/// stderr.
#[test]
fn springboard_prints_the_pair() {
    let out = poolsync()
        .args(["springboard", "--from-role", FROM, "--to-role", TO])
        .assert()
        .success();
    let printed: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
    };
    assert_eq!(
        printed,
        json!({"trust_policy": read("springboard-trust.json"),
               "permissions_policy": read("springboard-permissions.json")})
    );
    let notes = stderr(out.get_output());
    for line in [
        "aws iam update-assume-role-policy --role-name loader --policy-document file://trust-policy.json",
        "aws iam put-role-policy --role-name prefect-springboard --policy-name assume-loader --policy-document file://permissions-policy.json",
        "from prefect_aws import AwsCredentials",
        &format!("assume_role_arn=\"{TO}\","),
        "assume_role_kwargs={\"RoleSessionName\": \"prefect-springboard\", \"DurationSeconds\": 3600},",
    ] {
        assert!(notes.contains(line), "{line}\n{notes}");
    }
    let out = poolsync()
        .args(["springboard", "--from-role", FROM, "--to-role", TO])
        .args([
            "--external-id",
            "vendor-4f2a9c",
            "--session-name",
            "nightly",
            "--duration",
            "900",
        ])
        .assert()
        .success();
    let printed: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        printed["trust_policy"]["Statement"][0]["Condition"],
        json!({"StringEquals": {"sts:ExternalId": "vendor-4f2a9c"}})
    );
    assert!(stderr(out.get_output()).contains(
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
        let out = poolsync().arg("springboard").args(&args).assert().code(2);
        let text = stderr(out.get_output());
        assert!(text.contains(fragment), "{args:?}: {text}");
        assert!(out.get_output().stdout.is_empty());
    }
}

/// Existing policies are linted against the pair, JSON or Terraform.
#[test]
fn springboard_checks_policies() {
    let trust = fixture("springboard-trust.json");
    let permissions = fixture("springboard-permissions.json");
    let out = poolsync()
        .args(["springboard", "--from-role", FROM, "--to-role", TO])
        .args(["--check-trust", &trust, "--check-permissions", &permissions])
        .assert()
        .success();
    assert_eq!(
        stdout(out.get_output()),
        format!("{trust}: trust policy ok\n{permissions}: permissions policy ok\n")
    );
    let trust = fixture("springboard-trust-bad.json");
    let permissions = fixture("springboard-permissions-bad.json");
    let out = poolsync()
        .args(["springboard", "--from-role", FROM, "--to-role", TO])
        .args(["--check-trust", &trust, "--check-permissions", &permissions])
        .assert()
        .code(1);
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
    assert_lines(&stdout(out.get_output()), &starts);
    let tf = fixture("springboard.tf");
    let out = poolsync()
        .args(["springboard", "--from-role", FROM, "--to-role", TO])
        .args(["--check-trust", &tf, "--check-permissions", &tf])
        .assert()
        .success();
    assert_eq!(
        stdout(out.get_output()),
        format!(
            "{tf}: trust policy ok: aws_iam_role.loader.assume_role_policy\n\
             {tf}: permissions policy ok: aws_iam_role_policy.springboard_assume_loader.policy\n"
        )
    );
    // The trust policy given as the permissions policy is named for what it is.
    let out = poolsync()
        .args(["springboard", "--from-role", FROM, "--to-role", TO])
        .args(["--check-permissions", "-"])
        .write_stdin(std::fs::read_to_string(fixture("springboard-trust.json")).unwrap())
        .assert()
        .code(1);
    assert!(stdout(out.get_output()).starts_with("stdin: error: /Statement/0/Principal: the statement has a Principal: this is a trust policy"));
}
