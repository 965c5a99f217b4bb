//! Lints of Prefect Cloud's trust policy, and the small pieces of the trust module: findings,
//! account ids, wildcards. [`prefect_findings`]: one bad policy per finding;
//! [`other_issuers`]: the findings of any other OIDC issuer.

mod other_issuers;
mod prefect_findings;

use super::finding_table::{AWS, flags};
use super::*;
use crate::finding_table::lint;
use crate::pattern::{pattern_within, wildcard_match};
use crate::prefect_cloud::{ACTION, AUD_KEY, AUDIENCE, SUB_KEY, provider_arn, subject};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const PREFECT: &str = "9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e";
const OTHER: &str = "00000000-1111-4222-8333-444444444444";
const FED: &str = "/Statement/0/Principal/Federated";
const COND: &str = "/Statement/0/Condition";
const EQ_AUD: &str = "/Statement/0/Condition/StringEquals/api.prefect.cloud~1oidc-provider:aud";
const EQ_SUB: &str = "/Statement/0/Condition/StringEquals/api.prefect.cloud~1oidc-provider:sub";
const LIKE_SUB: &str = "/Statement/0/Condition/StringLike/api.prefect.cloud~1oidc-provider:sub";

fn expect() -> Expect {
    Expect {
        aws_account: Some(AWS.into()),
        prefect_account: Some(PREFECT.into()),
        names: flags(),
    }
}

fn good() -> Value {
    generate(AWS, PREFECT)
}

/// The generated policy with the value at `pointer` replaced (or removed, for `null`).
fn with(pointer: &str, value: Value) -> Value {
    let mut policy = good();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = policy.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    if value.is_null() {
        parent.remove(key);
    } else {
        parent.insert(key.to_string(), value);
    }
    policy
}

fn with_condition(condition: Value) -> Value {
    with("/Statement/0/Condition", condition)
}

fn conditions(aud: Value, sub: Value) -> Value {
    with_condition(json!({"StringEquals": {AUD_KEY: aud, SUB_KEY: sub}}))
}

fn like_sub(sub: &str) -> Value {
    with_condition(json!({"StringEquals": {AUD_KEY: AUDIENCE}, "StringLike": {SUB_KEY: sub}}))
}

use Level::{Error as E, Warning as W};

/// A policy with several mistakes reports each one, in document order.
#[test]
fn many_mistakes_are_all_reported() {
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/api.prefect.cloud/oidc"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"api.prefect.cloud/oidc:aud": "sts.amazonaws.com"},
                      "StringLike": {"api.prefect.cloud/oidc:sub": "prefect:account:*"}}}]});
    let levels: Vec<(Level, String)> = lint(&policy, &expect())
        .into_iter()
        .filter_map(|f| Some((f.level?, f.pointer.as_str().to_string())))
        .collect();
    let aud = "/Statement/0/Condition/StringEquals/api.prefect.cloud~1oidc:aud".to_string();
    let sub = "/Statement/0/Condition/StringLike/api.prefect.cloud~1oidc:sub".to_string();
    assert_eq!(
        levels,
        vec![
            (E, "/Statement/0/Action".to_string()),
            (E, FED.to_string()),
            (E, FED.to_string()),
            (E, aud.clone()),
            (E, aud),
            (E, sub.clone()),
            (E, sub),
        ]
    );
}

/// Policies that work and trust one account lint clean, in their usual variations.
#[test]
fn correct_variations_lint_clean() {
    let github = format!("arn:aws:iam::{AWS}:oidc-provider/token.actions.githubusercontent.com");
    let clean = [
        with("/Statement/0/Action", json!([ACTION])),
        with(
            "/Statement/0/Action",
            json!("sts:assumerolewithwebidentity"),
        ),
        with(FED, json!([github.clone(), provider_arn(AWS)])),
        with_condition(
            json!({"StringEqualsIgnoreCase": {AUD_KEY: AUDIENCE, SUB_KEY: subject(&PREFECT.to_uppercase())}}),
        ),
        with_condition(json!({"StringEquals": {AUD_KEY: [AUDIENCE], SUB_KEY: [subject(PREFECT)]}})),
        with_condition(
            json!({"StringEquals": {AUD_KEY: AUDIENCE, SUB_KEY: subject(PREFECT), "aws:SourceIp": "10.0.0.0/8"}}),
        ),
        {
            let mut policy = good();
            policy["Statement"].as_array_mut().unwrap().push(json!({"Effect": "Allow",
                "Principal": {"Federated": github}, "Action": ACTION,
                "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}));
            policy
        },
    ];
    for policy in clean {
        assert_eq!(lint(&policy, &expect()), vec![], "{policy:#}");
    }
}

/// Without --aws-account and --prefect-account, fixes name the policy's own values.
#[test]
fn fixes_name_the_policys_accounts() {
    let policy = conditions(json!(AUDIENCE), json!(format!("prefect:cloud:{PREFECT}")));
    let policy = {
        let mut p = policy;
        p["Statement"][0]["Principal"]["Federated"] =
            json!("arn:aws:iam::111111111111:oidc-provider/api.prefect.cloud/oidc");
        p
    };
    let findings = lint(&policy, &Expect::default());
    let fixes: Vec<&str> = findings
        .iter()
        .map(|f| f.fix.as_deref().unwrap_or("(no fix)"))
        .collect();
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(
        fixes[0].starts_with(
            "use \"arn:aws:iam::111111111111:oidc-provider/api.prefect.cloud/oidc-provider\""
        ),
        "{}",
        fixes[0]
    );
    assert!(fixes[0].contains(CREATE_PROVIDER));
    assert_eq!(
        fixes[1],
        format!("use \"prefect:account:{PREFECT}\" under \"StringEquals\"")
    );
    let flags = Expect {
        names: flags(),
        ..Expect::default()
    };
    let none = lint(&json!({}), &flags);
    let fix = none[0].fix.as_deref().unwrap_or_default();
    assert!(
        fix.contains("--aws-account <aws-account-id> --prefect-account <prefect-account-id>"),
        "{fix}"
    );
}

#[test]
fn finding_display_and_json() {
    let finding = Finding::graded(
        Level::Warning,
        "/Statement/0/Action",
        "too broad",
        "narrow it",
    );
    assert_eq!(
        finding.to_string(),
        "warning: /Statement/0/Action: too broad; fix: narrow it"
    );
    assert_eq!(
        serde_json::to_value(&finding).unwrap()["level"],
        json!("warning")
    );
    let root = Finding {
        pointer: "".into(),
        level: Some(Level::Error),
        ..finding
    };
    assert!(root.to_string().starts_with("error: /: "));
}

#[test]
fn account_ids_are_checked_and_canonical() {
    assert_eq!(parse_aws_account(AWS).unwrap(), AWS);
    for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
        let err = parse_aws_account(bad).unwrap_err().to_string();
        assert!(err.contains("12 digits"), "{err}");
    }
    assert_eq!(
        parse_prefect_account(&PREFECT.to_uppercase()).unwrap(),
        PREFECT
    );
    for bad in [
        "9f6c5e1a0b7d4c3e8a215d4f3b2a1c0e",
        "not-a-uuid",
        "{9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e}",
    ] {
        let err = parse_prefect_account(bad).unwrap_err().to_string();
        assert!(err.contains("/accounts/ in your PREFECT_API_URL"), "{err}");
    }
}

#[test]
fn wildcards_match_like_iam() {
    assert!(wildcard_match("sts:*", "sts:assumerolewithwebidentity"));
    assert!(wildcard_match("*", ""));
    assert!(wildcard_match("a?c", "abc"));
    assert!(!wildcard_match("a?c", "ac"));
    assert!(!wildcard_match("sts:AssumeRole", ACTION));
}

#[test]
fn patterns_within_patterns() {
    for (inner, outer, want) in [
        ("organization:abc", "organization:*", true),
        ("organization:ab*", "organization:*", true),
        ("organization:*", "organization:ab*", false),
        ("*", "organization:*", false),
        ("a?c", "a*", true),
        ("a*c", "a?c", false),
        ("a?c", "a?c", true),
        ("abc", "a?c", true),
    ] {
        assert_eq!(pattern_within(inner, outer), want, "{inner} within {outer}");
    }
}
