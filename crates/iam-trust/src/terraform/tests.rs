use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

fn account() -> Known {
    Known {
        aws_account: Some("123456789012".into()),
        roles: Vec::new(),
    }
}

const ROLE: &str = r#"
variable "prefect_account" {
  default = "9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e"
}

locals {
  provider = "api.prefect.cloud/oidc-provider"
}

resource "aws_iam_role" "prefect" {
  name = "prefect-managed"
  assume_role_policy = jsonencode({
Version = "2012-10-17"
Statement = [
  {
    Effect    = "Allow"
    Action    = "sts:AssumeRoleWithWebIdentity"
    Principal = {
      Federated = "arn:aws:iam::123456789012:oidc-provider/${local.provider}"
    }
    Condition = {
      StringEquals = {
        "${local.provider}:aud" = "prefect-cloud"
        "${local.provider}:sub" = "prefect:account:${var.prefect_account}"
      }
    }
  },
]
  })
}
"#;

#[test]
fn jsonencode_is_evaluated_and_located() {
    let docs = documents(ROLE, PolicyKind::Trust, &Known::default()).unwrap();
    assert_eq!(docs.len(), 1);
    let doc = &docs[0];
    assert_eq!(doc.address, "aws_iam_role.prefect.assume_role_policy");
    assert_eq!(doc.line, 12);
    let policy = doc.policy.as_ref().unwrap();
    assert_eq!(
        policy.pointer("/Statement/0/Condition/StringEquals/api.prefect.cloud~1oidc-provider:sub"),
        Some(&json!(
            "prefect:account:9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e"
        ))
    );
    assert_eq!(doc.line_of("/Statement/0/Action"), 17);
    assert_eq!(doc.line_of("/Statement/0/Principal/Federated"), 19);
    assert_eq!(doc.line_of("/Statement/0/Condition/StringEquals"), 22);
    assert_eq!(doc.line_of("/Version"), 13);
    assert_eq!(doc.line_of("/Statement/7"), 14);
    assert_eq!(doc.line_of(""), 12);
}

const DOCUMENT: &str = r#"
data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
sid     = "Vendor"
actions = ["sts:AssumeRole"]
principals {
  type        = "AWS"
  identifiers = ["arn:aws:iam::999988887777:root"]
}
condition {
  test     = "StringEquals"
  variable = "sts:ExternalId"
  values   = ["vendor-42"]
}
  }
  statement {
actions = ["sts:AssumeRole"]
principals {
  type        = "Service"
  identifiers = ["ecs-tasks.amazonaws.com"]
}
  }
}

resource "aws_iam_role" "vendor" {
  name               = "vendor"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "springboard" {
  role   = aws_iam_role.vendor.id
  policy = jsonencode({
Version   = "2012-10-17"
Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Resource = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/x" }]
  })
}
"#;

#[test]
fn policy_documents_are_rendered_like_the_provider() {
    let docs = documents(DOCUMENT, PolicyKind::Trust, &Known::default()).unwrap();
    assert_eq!(docs.len(), 1);
    let doc = &docs[0];
    assert_eq!(doc.address, "aws_iam_role.vendor.assume_role_policy");
    assert_eq!(doc.line, 29);
    assert_eq!(
        doc.policy.as_ref().unwrap(),
        &json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Vendor", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
             "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "vendor-42"}}},
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
             "Action": "sts:AssumeRole"}]})
    );
    assert_eq!(doc.line_of("/Statement/0/Action"), 7);
    assert_eq!(doc.line_of("/Statement/0/Principal/AWS"), 8);
    assert_eq!(doc.line_of("/Statement/0/Principal/AWS/0"), 10);
    assert_eq!(
        doc.line_of("/Statement/0/Condition/StringEquals/sts:ExternalId"),
        12
    );
    assert_eq!(doc.line_of("/Statement/1/Principal/Service"), 20);
    assert_eq!(doc.line_of("/Statement/1/Effect"), 18);
    assert_eq!(doc.line_of("/Version"), 4);
}

#[test]
fn unknowns_are_reported_and_the_account_fills_them() {
    let docs = documents(DOCUMENT, PolicyKind::Permissions, &Known::default()).unwrap();
    assert_eq!(docs[0].address, "aws_iam_role_policy.springboard.policy");
    let err = docs[0].policy.as_ref().unwrap_err();
    let err = err.to_string();
    assert!(err.contains("aws_caller_identity"), "{err}");
    let docs = documents(DOCUMENT, PolicyKind::Permissions, &account()).unwrap();
    assert_eq!(
        docs[0].policy.as_ref().unwrap()["Statement"][0]["Resource"],
        json!("arn:aws:iam::123456789012:role/x")
    );
    assert_eq!(docs[0].line_of("/Statement/0/Resource"), 36);
}

#[test]
fn heredocs_references_and_errors() {
    let text = r#"
resource "aws_iam_openid_connect_provider" "crewai" {
  url            = "https://app.crewai.com"
  client_id_list = ["sts.amazonaws.com"]
}
resource "aws_iam_role" "a" {
  assume_role_policy = <<EOF
{"Version": "2012-10-17", "Statement": []}
EOF
}
resource "aws_iam_role" "b" {
  assume_role_policy = { Version = "2012-10-17" }
}
resource "aws_iam_role" "c" {
  assume_role_policy = jsonencode({ Statement = [{ Principal = { Federated = aws_iam_openid_connect_provider.crewai.arn } }] })
}
"#;
    let docs = documents(text, PolicyKind::Trust, &account()).unwrap();
    assert_eq!(docs.len(), 3);
    assert_eq!(
        docs[0].policy,
        Ok(json!({"Version": "2012-10-17", "Statement": []}))
    );
    assert_eq!(docs[0].line_of("/Statement"), 7);
    assert!(
        docs[1]
            .policy
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("wrap it in jsonencode")
    );
    assert_eq!(
        docs[2].policy.as_ref().unwrap()["Statement"][0]["Principal"]["Federated"],
        json!("arn:aws:iam::123456789012:oidc-provider/app.crewai.com")
    );
    let err = documents(
        "resource \"x\" \"y\" {\n  a = \n}",
        PolicyKind::Trust,
        &Known::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains('2') || err.contains("line"), "{err}");
    let err = documents(
        "resource \"x\" \"y\" {}\n",
        PolicyKind::Trust,
        &Known::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no assume_role_policy"), "{err}");
    assert!(looks_like_terraform("a = 1\n"));
    assert!(!looks_like_terraform("Version: 2012-10-17\n"));
    assert!(!looks_like_terraform(""));
}

#[test]
fn lone_policy_documents_are_checked() {
    let text = r#"
data "aws_iam_policy_document" "trust" {
  source_policy_documents = [jsonencode({ Statement = [{ Sid = "Base", Effect = "Allow", Action = "sts:TagSession", Principal = { AWS = "*" } }] })]
  statement {
actions = ["sts:AsumeRole"]
principals {
  type        = "*"
  identifiers = ["*"]
}
  }
}
data "aws_iam_policy_document" "permissions" {
  statement {
actions   = ["sts:AssumeRole"]
resources = ["*"]
  }
}
"#;
    let trust = documents(text, PolicyKind::Trust, &Known::default()).unwrap();
    assert_eq!(trust.len(), 1);
    assert_eq!(trust[0].address, "data.aws_iam_policy_document.trust");
    let policy = trust[0].policy.as_ref().unwrap();
    assert_eq!(policy["Statement"][0]["Sid"], json!("Base"));
    assert_eq!(policy["Statement"][1]["Principal"], json!("*"));
    assert_eq!(trust[0].line_of("/Statement/1/Action"), 5);
    assert_eq!(trust[0].line_of("/Statement/0/Action"), 2);
    let permissions = documents(text, PolicyKind::Permissions, &Known::default()).unwrap();
    assert_eq!(
        permissions[0].address,
        "data.aws_iam_policy_document.permissions"
    );
    assert_eq!(permissions[0].line, 12);
}
