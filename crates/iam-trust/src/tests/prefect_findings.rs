//! One bad Prefect Cloud trust policy per finding: the level, pointer and a message
//! fragment of every finding.

use super::*;
use crate::finding_table::{Case, run};

/// One bad policy per finding: the level, pointer and a message fragment of every finding.
#[test]
fn every_finding() {
    let other_sub = format!("prefect:account:{OTHER}");
    let cases: Vec<Case> = vec![
        (
            "provider path /oidc",
            with(
                FED,
                json!(format!(
                    "arn:aws:iam::{AWS}:oidc-provider/api.prefect.cloud/oidc"
                )),
            ),
            vec![(E, FED, "/oidc is a common mistake")],
        ),
        (
            "provider on another host",
            with(
                FED,
                json!(format!(
                    "arn:aws:iam::{AWS}:oidc-provider/oidc.prefect.cloud"
                )),
            ),
            vec![(E, FED, "names oidc provider \"oidc.prefect.cloud\"")],
        ),
        (
            "federated principal not an arn",
            with(FED, json!("api.prefect.cloud/oidc-provider")),
            vec![(E, FED, "is not an iam oidc provider arn")],
        ),
        (
            "provider in another aws account",
            with(FED, json!(provider_arn("111111111111"))),
            vec![(
                E,
                FED,
                "aws account 111111111111, not --aws-account 123456789012",
            )],
        ),
        (
            "no federated principal",
            with("/Statement/0/Principal", json!("*")),
            vec![(E, "/Statement/0/Principal", "no Federated principal")],
        ),
        (
            "aud key with /oidc prefix",
            with_condition(
                json!({"StringEquals": {"api.prefect.cloud/oidc:aud": AUDIENCE, SUB_KEY: subject(PREFECT)}}),
            ),
            vec![(
                E,
                "/Statement/0/Condition/StringEquals/api.prefect.cloud~1oidc:aud",
                "wrong prefix",
            )],
        ),
        (
            "aud key without a path",
            with_condition(
                json!({"StringEquals": {"api.prefect.cloud:aud": AUDIENCE, SUB_KEY: subject(PREFECT)}}),
            ),
            vec![(
                E,
                "/Statement/0/Condition/StringEquals/api.prefect.cloud:aud",
                "wrong prefix",
            )],
        ),
        (
            "sub key on another host",
            with_condition(
                json!({"StringEquals": {AUD_KEY: AUDIENCE, "oidc.prefect.cloud/oidc-provider:sub": subject(PREFECT)}}),
            ),
            vec![(
                E,
                "/Statement/0/Condition/StringEquals/oidc.prefect.cloud~1oidc-provider:sub",
                "wrong prefix",
            )],
        ),
        (
            "audience sts.amazonaws.com",
            conditions(json!("sts.amazonaws.com"), json!(subject(PREFECT))),
            vec![(E, EQ_AUD, "github actions and eks")],
        ),
        (
            "audience something else",
            conditions(json!("prefect"), json!(subject(PREFECT))),
            vec![(E, EQ_AUD, "audience \"prefect\" never matches")],
        ),
        (
            "an extra audience",
            conditions(
                json!([AUDIENCE, "sts.amazonaws.com"]),
                json!(subject(PREFECT)),
            ),
            vec![(
                W,
                "/Statement/0/Condition/StringEquals/api.prefect.cloud~1oidc-provider:aud/1",
                "also allows audience",
            )],
        ),
        (
            "audience wildcard",
            with_condition(
                json!({"StringLike": {AUD_KEY: "*"}, "StringEquals": {SUB_KEY: subject(PREFECT)}}),
            ),
            vec![(
                W,
                "/Statement/0/Condition/StringLike/api.prefect.cloud~1oidc-provider:aud",
                "matches more than",
            )],
        ),
        (
            "subject prefect:cloud:",
            conditions(json!(AUDIENCE), json!(format!("prefect:cloud:{PREFECT}"))),
            vec![(E, EQ_SUB, "prefect:cloud: is a common mistake")],
        ),
        (
            "subject of another shape",
            conditions(json!(AUDIENCE), json!(PREFECT)),
            vec![(E, EQ_SUB, "never matches")],
        ),
        (
            "subject of another account",
            conditions(json!(AUDIENCE), json!(other_sub)),
            vec![(E, EQ_SUB, "not --prefect-account")],
        ),
        (
            "subject in upper case",
            conditions(json!(AUDIENCE), json!(subject(&PREFECT.to_uppercase()))),
            vec![(E, EQ_SUB, "lowercase")],
        ),
        (
            "wildcard over every account",
            like_sub("prefect:account:*"),
            vec![(E, LIKE_SUB, "every prefect cloud account")],
        ),
        (
            "wildcard over every prefect subject",
            like_sub("prefect:*"),
            vec![(E, LIKE_SUB, "every prefect cloud account")],
        ),
        (
            "wildcard over part of an account id",
            like_sub("prefect:account:9f6c*"),
            vec![(E, LIKE_SUB, "every prefect cloud account")],
        ),
        (
            "wildcard within one account",
            like_sub(&format!("prefect:account:{PREFECT}*")),
            vec![(W, LIKE_SUB, "is a wildcard")],
        ),
        (
            "wildcard after the account id never matches",
            like_sub(&format!("prefect:account:{PREFECT}:*")),
            vec![(E, LIKE_SUB, "nothing after the account id")],
        ),
        (
            "StringLike without a wildcard",
            with_condition(
                json!({"StringEquals": {AUD_KEY: [AUDIENCE]}, "StringLike": {SUB_KEY: subject(PREFECT)}}),
            ),
            vec![(W, LIKE_SUB, "has no wildcard")],
        ),
        (
            "wildcard under StringEquals",
            conditions(json!(AUDIENCE), json!("prefect:account:*")),
            vec![(E, EQ_SUB, "StringEquals compares * literally")],
        ),
        (
            "no action",
            with("/Statement/0/Action", Value::Null),
            vec![(E, "/Statement/0/Action", "no Action")],
        ),
        (
            "sts:AssumeRole",
            with("/Statement/0/Action", json!("sts:AssumeRole")),
            vec![(
                E,
                "/Statement/0/Action",
                "sts:AssumeRole, which is for aws principals",
            )],
        ),
        (
            "another action",
            with("/Statement/0/Action", json!(["sts:TagSession"])),
            vec![(
                E,
                "/Statement/0/Action",
                "does not allow sts:AssumeRoleWithWebIdentity",
            )],
        ),
        (
            "sts:*",
            with("/Statement/0/Action", json!("sts:*")),
            vec![(W, "/Statement/0/Action", "allows more actions")],
        ),
        (
            "* in an action list",
            with("/Statement/0/Action", json!(["*"])),
            vec![(W, "/Statement/0/Action/0", "allows more actions")],
        ),
        (
            "no condition",
            with("/Statement/0/Condition", Value::Null),
            vec![(E, COND, "anyone with a prefect cloud token")],
        ),
        (
            "empty condition",
            with_condition(json!({"StringEquals": {}})),
            vec![(E, COND, "no Condition")],
        ),
        (
            "no aud condition",
            with_condition(json!({"StringEquals": {SUB_KEY: subject(PREFECT)}})),
            vec![(E, COND, "no api.prefect.cloud/oidc-provider:aud condition")],
        ),
        (
            "no sub condition",
            with_condition(json!({"StringEquals": {AUD_KEY: AUDIENCE}})),
            vec![(E, COND, "any prefect cloud account")],
        ),
        (
            "a negated sub condition narrows nothing",
            with_condition(
                json!({"StringEquals": {AUD_KEY: AUDIENCE}, "StringNotEquals": {SUB_KEY: other_sub}}),
            ),
            vec![(E, COND, "no api.prefect.cloud/oidc-provider:sub condition")],
        ),
        (
            "no prefect statement",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{AWS}:oidc-provider/token.actions.githubusercontent.com")},
                "Action": ACTION,
                "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}]}),
            vec![(E, "/Statement", "no statement allows")],
        ),
        (
            "no Statement at all",
            json!({"Version": "2012-10-17"}),
            vec![(E, "/Statement", "no statement allows")],
        ),
        (
            "not an object",
            json!([1, 2]),
            vec![(E, "/Statement", "no statement allows")],
        ),
        (
            "Effect missing",
            with("/Statement/0/Effect", Value::Null),
            vec![(E, "/Statement/0/Effect", "not \"Allow\"")],
        ),
        (
            "only a Deny",
            with("/Statement/0/Effect", json!("Deny")),
            vec![
                (W, "/Statement/0/Effect", "overrides any Allow"),
                (E, "/Statement", "no statement allows"),
            ],
        ),
        (
            "Statement as one object",
            {
                let mut policy = with("/Statement/0/Action", json!("sts:AssumeRole"));
                policy["Statement"] = policy["Statement"][0].take();
                policy
            },
            vec![(E, "/Statement/Action", "sts:AssumeRole")],
        ),
    ];
    let expect = expect();
    run(cases, |policy| lint(policy, &expect));
}
