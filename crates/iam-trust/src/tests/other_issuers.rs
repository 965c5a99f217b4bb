//! Table tests of the findings of OIDC issuers other than Prefect Cloud's: a CrewAI-style
//! issuer, with the tenant rule, `--subject`, `--subject-like` and no audience.

use crate::finding_table::{AWS, Case, expect, run};
use crate::issuer::{Issuer, SubjectRule};
use crate::lint::lint_for;
use crate::prefect_cloud::{ACTION, generate};
use poolsync_engine::finding::Level;
use serde_json::{Value, json};

use Level::{Error as E, Warning as W};

const CREW: &str = "app.crewai.com";
const ORG: &str = "4b1d2c3e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

fn crewai(subject: SubjectRule) -> Issuer {
    Issuer {
        provider: CREW.into(),
        audience: Some("sts.amazonaws.com".into()),
        subject,
        required: true,
    }
}

fn crew_sub() -> String {
    format!("organization:{ORG}")
}

/// The CrewAI-style policy of the fixture, with `edit` applied to its one statement.
fn crew(edit: impl FnOnce(&mut Value)) -> Value {
    let mut policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{AWS}:oidc-provider/{CREW}")},
        "Action": ACTION,
        "Condition": {"StringEquals": {
            "app.crewai.com:aud": "sts.amazonaws.com",
            "app.crewai.com:sub": crew_sub(),
        }},
    }]});
    edit(&mut policy["Statement"][0]);
    policy
}

fn crew_sub_like(pattern: &str) -> Value {
    crew(|s| {
        s["Condition"] = json!({"StringEquals": {"app.crewai.com:aud": "sts.amazonaws.com"},
            "StringLike": {"app.crewai.com:sub": pattern}});
    })
}

const FED: &str = "/Statement/0/Principal/Federated";
const COND: &str = "/Statement/0/Condition";
const CREW_AUD: &str = "/Statement/0/Condition/StringEquals/app.crewai.com:aud";
const CREW_SUB: &str = "/Statement/0/Condition/StringEquals/app.crewai.com:sub";
const CREW_LIKE: &str = "/Statement/0/Condition/StringLike/app.crewai.com:sub";

#[test]
fn other_issuers() {
    let cases: Vec<Case> = vec![
        ("the fixture's policy", crew(|_| {}), vec![]),
        (
            "provider arn with a scheme",
            crew(|s| {
                s["Principal"]["Federated"] =
                    json!(format!("arn:aws:iam::{AWS}:oidc-provider/https://{CREW}"))
            }),
            vec![(E, FED, "with the scheme of the issuer url")],
        ),
        (
            "provider arn with a trailing slash",
            crew(|s| {
                s["Principal"]["Federated"] =
                    json!(format!("arn:aws:iam::{AWS}:oidc-provider/{CREW}/"))
            }),
            vec![(E, FED, "with a trailing slash")],
        ),
        (
            "provider of another issuer",
            crew(|s| {
                s["Principal"]["Federated"] =
                    json!(format!("arn:aws:iam::{AWS}:oidc-provider/{CREW}/oidc"))
            }),
            vec![(E, FED, "iam matches only oidc-provider/app.crewai.com")],
        ),
        (
            "provider in another account",
            crew(|s| {
                s["Principal"]["Federated"] =
                    json!(format!("arn:aws:iam::210987654321:oidc-provider/{CREW}"))
            }),
            vec![(E, FED, "not --aws-account 123456789012")],
        ),
        (
            "condition key with the scheme",
            crew(|s| {
                s["Condition"] = json!({"StringEquals": {
                "https://app.crewai.com:aud": "sts.amazonaws.com", "app.crewai.com:sub": crew_sub()}})
            }),
            vec![(
                E,
                "/Statement/0/Condition/StringEquals/https:~1~1app.crewai.com:aud",
                "without the scheme",
            )],
        ),
        (
            "condition key with a trailing slash",
            crew(|s| {
                s["Condition"] = json!({"StringEquals": {
                "app.crewai.com/:aud": "sts.amazonaws.com", "app.crewai.com:sub": crew_sub()}})
            }),
            vec![(
                E,
                "/Statement/0/Condition/StringEquals/app.crewai.com~1:aud",
                "without a trailing slash",
            )],
        ),
        (
            "condition key of another host",
            crew(|s| {
                s["Condition"] = json!({"StringEquals": {
                "crewai.com:aud": "sts.amazonaws.com", "app.crewai.com:sub": crew_sub()}})
            }),
            vec![(
                E,
                "/Statement/0/Condition/StringEquals/crewai.com:aud",
                "wrong prefix",
            )],
        ),
        (
            "wrong audience",
            crew(|s| s["Condition"]["StringEquals"]["app.crewai.com:aud"] = json!("crewai")),
            vec![(E, CREW_AUD, "audience \"crewai\" never matches")],
        ),
        (
            "an extra audience",
            crew(|s| {
                s["Condition"]["StringEquals"]["app.crewai.com:aud"] =
                    json!(["sts.amazonaws.com", "crewai"])
            }),
            vec![(
                W,
                "/Statement/0/Condition/StringEquals/app.crewai.com:aud/1",
                "app.crewai.com never sends",
            )],
        ),
        (
            "every tenant",
            crew_sub_like("organization:*"),
            vec![(E, CREW_LIKE, "every tenant of app.crewai.com")],
        ),
        (
            "any subject at all",
            crew_sub_like("*"),
            vec![(E, CREW_LIKE, "every tenant")],
        ),
        (
            "a wildcard inside the tenant id",
            crew_sub_like("organization:4b1d*"),
            vec![(W, CREW_LIKE, "inside the tenant id")],
        ),
        (
            "a wildcard after the tenant",
            crew_sub_like(&format!("organization:{ORG}:*")),
            vec![],
        ),
        (
            "StringLike without a wildcard",
            crew_sub_like(&crew_sub()),
            vec![(W, CREW_LIKE, "has no wildcard")],
        ),
        (
            "a star under StringEquals",
            crew(|s| {
                s["Condition"]["StringEquals"]["app.crewai.com:sub"] = json!("organization:*")
            }),
            vec![(E, CREW_SUB, "StringEquals compares * literally")],
        ),
        (
            "no sub condition",
            crew(|s| {
                s["Condition"] =
                    json!({"StringEquals": {"app.crewai.com:aud": "sts.amazonaws.com"}})
            }),
            vec![(E, COND, "for any of its tenants")],
        ),
        (
            "no aud condition",
            crew(|s| s["Condition"] = json!({"StringEquals": {"app.crewai.com:sub": crew_sub()}})),
            vec![(E, COND, "no app.crewai.com:aud condition")],
        ),
        (
            "no condition",
            crew(|s| {
                s.as_object_mut().unwrap().remove("Condition");
            }),
            vec![(E, COND, "anyone with a app.crewai.com token")],
        ),
        (
            "only a prefect statement",
            generate(AWS, "9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e"),
            vec![(E, "/Statement", "from the oidc provider app.crewai.com")],
        ),
        (
            "a misspelt web identity action",
            crew(|s| s["Action"] = json!("sts:AssumeRoleWithWebIdentiy")),
            vec![(
                E,
                "/Statement/0/Action",
                "did you mean sts:AssumeRoleWithWebIdentity",
            )],
        ),
        (
            "a Deny of the issuer",
            crew(|s| s["Effect"] = json!("Deny")),
            vec![
                (
                    W,
                    "/Statement/0/Effect",
                    "matches app.crewai.com's web identity",
                ),
                (E, "/Statement", "no statement allows"),
            ],
        ),
    ];
    run(cases, |p| {
        lint_for(p, &expect(), &crewai(SubjectRule::Tenant))
    });
}

#[test]
fn given_subjects() {
    let exact = crewai(SubjectRule::Exact(crew_sub()));
    let cases: Vec<Case> = vec![
        ("the subject", crew(|_| {}), vec![]),
        (
            "another subject",
            crew(|s| {
                s["Condition"]["StringEquals"]["app.crewai.com:sub"] = json!("organization:other")
            }),
            vec![(E, CREW_SUB, "does not match --subject")],
        ),
        (
            "a pattern over it and more",
            crew_sub_like("organization:4b1d*"),
            vec![(W, CREW_LIKE, "matches more subjects than --subject")],
        ),
        (
            "a pattern over every tenant",
            crew_sub_like("organization:*"),
            vec![(E, CREW_LIKE, "every tenant")],
        ),
    ];
    run(cases, |p| lint_for(p, &expect(), &exact));
    let like = crewai(SubjectRule::Like("organization:4b1d*".into()));
    let cases: Vec<Case> = vec![
        ("a subject within", crew(|_| {}), vec![]),
        (
            "a narrower pattern",
            crew_sub_like("organization:4b1d2c*"),
            vec![],
        ),
        (
            "a subject outside",
            crew(|s| {
                s["Condition"]["StringEquals"]["app.crewai.com:sub"] = json!("organization:ffff")
            }),
            vec![(E, CREW_SUB, "does not match --subject-like")],
        ),
        (
            "a wider pattern",
            crew_sub_like("organization:4b*"),
            vec![(E, CREW_LIKE, "wider than --subject-like")],
        ),
        (
            "a pattern over every tenant",
            crew_sub_like("organization:*"),
            vec![(E, CREW_LIKE, "every tenant")],
        ),
    ];
    run(cases, |p| lint_for(p, &expect(), &like));
    let open = Issuer {
        audience: None,
        ..crewai(SubjectRule::Tenant)
    };
    let cases: Vec<Case> = vec![
        (
            "any audience value",
            crew(|s| s["Condition"]["StringEquals"]["app.crewai.com:aud"] = json!("x")),
            vec![],
        ),
        (
            "an audience wildcard",
            crew(|s| {
                s["Condition"] = json!({"StringLike": {"app.crewai.com:aud": "*"},
                "StringEquals": {"app.crewai.com:sub": crew_sub()}})
            }),
            vec![(
                W,
                "/Statement/0/Condition/StringLike/app.crewai.com:aud",
                "matches any audience",
            )],
        ),
    ];
    run(cases, |p| lint_for(p, &expect(), &open));
}
