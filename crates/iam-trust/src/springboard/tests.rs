//! Table tests of the springboard pair: its trust and permissions policies, and its
//! arguments.

use crate::error::Error;
use crate::finding_table::{Case, flags, run};
use crate::springboard::{self, Pair};
use poolsync_engine::finding::Level;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use Level::{Error as E, Warning as W};

const FROM: &str = "arn:aws:iam::123456789012:role/prefect-springboard";
const TO: &str = "arn:aws:iam::210987654321:role/data/loader";

fn pair(external_id: Option<&str>) -> Pair {
    Pair::new(
        springboard::parse_role(FROM).unwrap(),
        springboard::parse_role(TO).unwrap(),
        external_id.map(str::to_string),
    )
    .unwrap()
}

fn statements_of(list: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": list})
}

fn trust_statement(principal: Value, action: Value) -> Value {
    json!({"Effect": "Allow", "Principal": principal, "Action": action})
}

#[test]
fn springboard_trust_policies() {
    let good = springboard::trust_policy(&pair(None));
    let deny_root = json!({"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:*"});
    let cases: Vec<Case> = vec![
        ("the printed policy", good.clone(), vec![]),
        (
            "another principal",
            statements_of(vec![trust_statement(
                json!({"AWS": "arn:aws:iam::123456789012:role/prefect-managed"}),
                json!("sts:AssumeRole"),
            )]),
            vec![(E, "/Statement/0/Principal", "not to the springboard")],
        ),
        (
            "a misspelt action",
            statements_of(vec![trust_statement(
                json!({"AWS": FROM}),
                json!("sts:AssumeRol"),
            )]),
            vec![(E, "/Statement/0/Action", "did you mean sts:AssumeRole")],
        ),
        (
            "another action",
            statements_of(vec![trust_statement(
                json!({"AWS": FROM}),
                json!("sts:TagSession"),
            )]),
            vec![(E, "/Statement/0/Action", "does not allow sts:AssumeRole")],
        ),
        (
            "no statement",
            statements_of(vec![]),
            vec![(E, "/Statement", "no statement allows")],
        ),
        (
            "a Deny cancels the chain",
            {
                let mut p = good.clone();
                p["Statement"]
                    .as_array_mut()
                    .unwrap()
                    .push(deny_root.clone());
                p
            },
            vec![(E, "/Statement/1/Effect", "cancels the chain")],
        ),
        (
            "a Deny with a condition",
            {
                let mut p = good.clone();
                let mut deny = deny_root.clone();
                deny["Condition"] = json!({"Bool": {"aws:MultiFactorAuthPresent": "false"}});
                p["Statement"].as_array_mut().unwrap().push(deny);
                p
            },
            vec![(W, "/Statement/1/Effect", "may cancel the chain")],
        ),
        (
            "a Deny of another role",
            {
                let mut p = good.clone();
                p["Statement"].as_array_mut().unwrap().push(json!({"Effect": "Deny",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:role/other"}, "Action": "sts:AssumeRole"}));
                p
            },
            vec![],
        ),
        (
            "the whole account",
            statements_of(vec![trust_statement(
                json!({"AWS": "123456789012"}),
                json!("sts:AssumeRole"),
            )]),
            vec![(
                W,
                "/Statement/0/Principal/AWS",
                "all of account 123456789012",
            )],
        ),
        (
            "one session",
            statements_of(vec![trust_statement(
                json!({"AWS": "arn:aws:sts::123456789012:assumed-role/prefect-springboard/run-1"}),
                json!("sts:AssumeRole"),
            )]),
            vec![(W, "/Statement/0/Principal/AWS", "one session")],
        ),
        (
            "anyone",
            statements_of(vec![trust_statement(json!("*"), json!("sts:AssumeRole"))]),
            vec![(E, "/Statement/0/Principal", "any aws principal")],
        ),
        (
            "an external id the springboard does not send",
            {
                let mut p = good.clone();
                p["Statement"][0]["Condition"] = json!({"StringEquals": {"sts:ExternalId": "x-1"}});
                p
            },
            vec![(
                E,
                "/Statement/0/Condition/StringEquals/sts:ExternalId",
                "does not send one",
            )],
        ),
        (
            "a permissions policy",
            springboard::permissions_policy(&pair(None)),
            vec![(E, "/Statement/0", "this is a permissions policy")],
        ),
        (
            "a bad version and effect",
            {
                let mut p = good.clone();
                p["Version"] = json!("2012-10-18");
                p["Statement"].as_array_mut().unwrap().push(json!({"Effect": "deny", "Principal": {"AWS": FROM}, "Action": "sts:AssumeRole"}));
                p
            },
            vec![
                (E, "/Version", "not a policy language version"),
                (E, "/Statement/1/Effect", "case-sensitive"),
            ],
        ),
    ];
    run(cases, |p| {
        springboard::check_trust(p, &pair(None), &flags())
    });
    let with_id = pair(Some("x-1"));
    let good = springboard::trust_policy(&with_id);
    let cases: Vec<Case> = vec![
        ("the printed policy", good.clone(), vec![]),
        (
            "another external id",
            {
                let mut p = good.clone();
                p["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = json!("x-2");
                p
            },
            vec![(
                E,
                "/Statement/0/Condition/StringEquals/sts:ExternalId",
                "not --external-id",
            )],
        ),
        (
            "no external id",
            springboard::trust_policy(&pair(None)),
            vec![(W, "/Statement/0/Condition", "sent but not required")],
        ),
    ];
    run(cases, |p| springboard::check_trust(p, &with_id, &flags()));
}

fn permission(action: Value, resource: Value) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resource})
}

#[test]
fn springboard_permissions_policies() {
    let good = springboard::permissions_policy(&pair(None));
    let cases: Vec<Case> = vec![
        ("the printed policy", good.clone(), vec![]),
        (
            "among other permissions",
            statements_of(vec![
                permission(json!(["s3:GetObject"]), json!("arn:aws:s3:::bucket/*")),
                permission(json!(["sts:AssumeRole"]), json!([TO])),
            ]),
            vec![],
        ),
        (
            "another role",
            statements_of(vec![permission(
                json!("sts:AssumeRole"),
                json!("arn:aws:iam::210987654321:role/loader"),
            )]),
            vec![(E, "/Statement/0/Resource", "not on the second role")],
        ),
        (
            "every role",
            statements_of(vec![permission(json!("sts:AssumeRole"), json!("*"))]),
            vec![(W, "/Statement/0/Resource", "other roles than")],
        ),
        (
            "a role pattern",
            statements_of(vec![permission(
                json!("sts:AssumeRole"),
                json!(["arn:aws:s3:::x", "arn:aws:iam::210987654321:role/data/*"]),
            )]),
            vec![(W, "/Statement/0/Resource/1", "other roles than")],
        ),
        (
            "a misspelt action",
            statements_of(vec![permission(json!("sts:AssumeRoles"), json!(TO))]),
            vec![(E, "/Statement/0/Action", "did you mean sts:AssumeRole")],
        ),
        (
            "an unknown sts action",
            statements_of(vec![permission(
                json!(["sts:AssumeRole", "sts:Frobnicate"]),
                json!(TO),
            )]),
            vec![(E, "/Statement/0/Action/1", "is not an sts action")],
        ),
        (
            "the role without the action",
            statements_of(vec![permission(json!("sts:TagSession"), json!(TO))]),
            vec![(E, "/Statement/0/Action", "does not allow sts:AssumeRole")],
        ),
        (
            "no resource",
            statements_of(vec![json!({"Effect": "Allow", "Action": "sts:AssumeRole"})]),
            vec![(E, "/Statement/0", "no Resource")],
        ),
        (
            "nothing at all",
            statements_of(vec![permission(json!("s3:GetObject"), json!("*"))]),
            vec![(E, "/Statement", "no statement allows sts:AssumeRole on")],
        ),
        (
            "a Deny cancels the chain",
            {
                let mut p = good.clone();
                p["Statement"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"Effect": "Deny", "Action": "sts:*", "Resource": "*"}));
                p
            },
            vec![(E, "/Statement/1/Effect", "cancels the chain")],
        ),
        (
            "a Deny with a condition",
            {
                let mut p = good.clone();
                p["Statement"].as_array_mut().unwrap().push(json!({"Effect": "Deny", "Action": "sts:AssumeRole",
                    "Resource": TO, "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}));
                p
            },
            vec![(W, "/Statement/1/Effect", "may cancel the chain")],
        ),
        (
            "a NotResource Deny that spares the role",
            {
                let mut p = good.clone();
                p["Statement"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"Effect": "Deny", "Action": "sts:AssumeRole", "NotResource": TO}));
                p
            },
            vec![],
        ),
        (
            "a trust policy",
            springboard::trust_policy(&pair(None)),
            vec![(E, "/Statement/0/Principal", "this is a trust policy")],
        ),
    ];
    run(cases, |p| {
        springboard::check_permissions(p, &pair(None), &flags())
    });
}

#[test]
fn springboard_arguments() {
    let bad = [
        (
            "arn:aws:iam::123456789012:user/ci",
            "is not an iam role arn",
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/prefect/x",
            "the role is arn:aws:iam::123456789012:role/prefect",
        ),
        ("prefect-springboard", "12-digit account id"),
    ];
    for (arn, fragment) in bad {
        let err = springboard::parse_role(arn).unwrap_err();
        assert!(matches!(err, Error::RoleArn { .. }), "{err}");
        let err = err.to_string();
        assert!(
            err.starts_with(&format!("invalid role arn {arn:?}: ")),
            "{err}"
        );
        assert!(err.contains(fragment), "{err}");
    }
    let role = springboard::parse_role(TO).unwrap();
    assert_eq!(
        (role.account.as_str(), role.name.as_str()),
        ("210987654321", "loader")
    );
    assert_eq!(role.partition, "aws");
    let from = springboard::parse_role(FROM).unwrap();
    let china = springboard::parse_role("arn:aws-cn:iam::210987654321:role/x").unwrap();
    assert!(
        Pair::new(from.clone(), china, None)
            .unwrap_err()
            .to_string()
            .contains("partition")
    );
    assert!(
        Pair::new(from.clone(), from.clone(), None)
            .unwrap_err()
            .to_string()
            .contains("same role")
    );
    assert!(
        Pair::new(from.clone(), role.clone(), Some("x".into())).unwrap_err()
            == Error::ExternalId { text: "x".into() }
    );
    assert!(Pair::new(from, role, None).unwrap().cross_account());
    assert!(
        springboard::parse_duration(7200)
            .unwrap_err()
            .to_string()
            .contains("one hour")
    );
    assert!(springboard::parse_duration(899).is_err());
    assert_eq!(springboard::parse_duration(900), Ok(900));
    assert!(springboard::parse_session_name("a b").is_err());
    assert!(springboard::parse_session_name("x").is_err());
    assert_eq!(springboard::parse_session_name("run@x").unwrap(), "run@x");
    let code = springboard::aws_credentials(&pair(Some("x-1")), "s", 900);
    assert!(
        code.contains(&format!("assume_role_arn=\"{TO}\"")),
        "{code}"
    );
    assert!(
        code.contains(r#"assume_role_kwargs={"RoleSessionName": "s", "DurationSeconds": 900, "ExternalId": "x-1"}"#),
        "{code}"
    );
    assert_eq!(springboard::policy_name(&pair(None)), "assume-loader");
}
