//! Terraform files given to `trust-policy --check`: each policy evaluated, each finding
//! with its file, line and resource.

use super::{AWS, PREFECT, assert_lines, fixture};
use crate::harness::Run;
use pretty_assertions::assert_eq;

/// Terraform files: each assume_role_policy is evaluated (jsonencode, data blocks) and its
/// findings carry the file, the line and the resource.
#[test]
fn check_reads_terraform() {
    let out = Run::new([
        "trust-policy",
        "--check",
        &fixture("prefect-cloud.tf"),
        "--aws-account",
        AWS,
    ])
    .args(["--prefect-account", PREFECT])
    .run();
    out.code(0);
    assert_eq!(
        out.stdout.clone(),
        format!(
            "{}: trust policy ok: aws_iam_role.prefect_managed.assume_role_policy\n",
            fixture("prefect-cloud.tf")
        )
    );
    // Without --aws-account the provider's arn is unknown: not checked is not ok.
    let out = Run::new(["trust-policy", "--check", &fixture("prefect-cloud.tf")]).run();
    out.code(1);
    let text = out.stdout.clone();
    assert!(text.contains("prefect-cloud.tf:16: error: aws_iam_role.prefect_managed.assume_role_policy: could not evaluate the policy: undefined variable `aws_iam_openid_connect_provider`"), "{text}");
    assert!(text.contains("pass --aws-account"), "{text}");
    let bad = fixture("bad.tf");
    let out = Run::new(["trust-policy", "--check", &bad, "--aws-account", AWS]).run();
    out.code(1);
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
    assert_lines(&out.stdout.clone(), &starts);
    // On stdin, Terraform is told from JSON by its syntax.
    let out = Run::new(["trust-policy", "--check", "-"])
        .stdin(std::fs::read_to_string(&bad).unwrap())
        .run();
    out.code(1);
    assert!(out.stdout.clone().starts_with("stdin:11: error: "));
    // A syntax error names the file and the line.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.tf");
    std::fs::write(
        &broken,
        "resource \"aws_iam_role\" \"x\" {\n  assume_role_policy = \n}\n",
    )
    .unwrap();
    let out = Run::new(["trust-policy", "--check"]).arg(&broken).run();
    out.code(1);
    assert!(
        out.stderr.clone().contains("line 2"),
        "{}",
        out.stderr.clone()
    );
}
