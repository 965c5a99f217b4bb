//! Table tests of plain `sts:AssumeRole` trust policies, and of the policy version.

use crate::expect::Expect;
use crate::finding_table::lint;
use crate::finding_table::{AWS, Case, expect, run};
use poolsync_engine::finding::Level;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use Level::{Error as E, Warning as W};

/// A plain AssumeRole statement trusting `principal`, with `extra` merged in.
fn assume(principal: Value, extra: Value) -> Value {
    let mut statement =
        json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            statement.as_object_mut().unwrap().remove(k);
        } else {
            statement[k] = v.clone();
        }
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

fn vendor(extra: Value) -> Value {
    assume(json!({"AWS": "arn:aws:iam::999988887777:root"}), extra)
}

fn own(extra: Value) -> Value {
    assume(
        json!({"AWS": format!("arn:aws:iam::{AWS}:role/deployer")}),
        extra,
    )
}

const ACT: &str = "/Statement/0/Action";
const AWS_PRINCIPAL: &str = "/Statement/0/Principal/AWS";

#[test]
fn assume_role_policies() {
    let with_external = json!({"Condition": {"StringEquals": {"sts:ExternalId": "vendor-4f2a9c"}}});
    let cases: Vec<Case> = vec![
        (
            "a vendor with an external id",
            vendor(with_external.clone()),
            vec![],
        ),
        ("a role of the account", own(json!({})), vec![]),
        (
            "an account id",
            assume(json!({"AWS": AWS}), json!({})),
            vec![],
        ),
        (
            "a service",
            assume(json!({"Service": "ecs-tasks.amazonaws.com"}), json!({})),
            vec![],
        ),
        (
            "a session tag too",
            own(json!({"Action": ["sts:AssumeRole", "sts:TagSession"]})),
            vec![],
        ),
        (
            "lower-case action",
            own(json!({"Action": "sts:assumerole"})),
            vec![],
        ),
        (
            "anyone in the organization",
            assume(
                json!({"AWS": "*"}),
                json!({"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}),
            ),
            vec![],
        ),
        (
            "misspelt action",
            own(json!({"Action": "sts:AsumeRole"})),
            vec![(E, ACT, "did you mean sts:AssumeRole")],
        ),
        (
            "misspelt action in a list",
            own(json!({"Action": ["sts:AssumeRole", "sts:TagSesion"]})),
            vec![(E, "/Statement/0/Action/1", "did you mean sts:TagSession")],
        ),
        (
            "action without its prefix",
            own(json!({"Action": "AssumeRole"})),
            vec![(E, ACT, "did you mean sts:AssumeRole")],
        ),
        (
            "unknown sts action",
            own(json!({"Action": "sts:Frobnicate"})),
            vec![
                (E, ACT, "\"sts:Frobnicate\" is not an sts action"),
                (E, ACT, "does not allow sts:AssumeRole"),
            ],
        ),
        (
            "another service's action",
            own(json!({"Action": "s3:GetObject"})),
            vec![
                (E, ACT, "only sts actions"),
                (E, ACT, "does not allow sts:AssumeRole"),
            ],
        ),
        (
            "an sts action that is not for trust policies",
            own(json!({"Action": ["sts:AssumeRole", "sts:GetCallerIdentity"]})),
            vec![(W, "/Statement/0/Action/1", "no meaning in a trust policy")],
        ),
        (
            "web identity for an aws principal",
            own(json!({"Action": "sts:AssumeRoleWithWebIdentity"})),
            vec![(E, ACT, "web identity and saml are for Federated principals")],
        ),
        (
            "a wildcard action",
            own(json!({"Action": "sts:*"})),
            vec![(W, ACT, "allows more actions")],
        ),
        (
            "no action",
            own(json!({"Action": null})),
            vec![(E, ACT, "no Action")],
        ),
        (
            "NotAction",
            own(json!({"Action": null, "NotAction": "sts:TagSession"})),
            vec![(W, "/Statement/0/NotAction", "every action except")],
        ),
        (
            "aws * without conditions",
            assume(json!({"AWS": "*"}), json!({})),
            vec![(E, AWS_PRINCIPAL, "any principal in any aws account")],
        ),
        (
            "* in a principal list",
            assume(
                json!({"AWS": [format!("arn:aws:iam::{AWS}:root"), "*"]}),
                json!({}),
            ),
            vec![(
                E,
                "/Statement/0/Principal/AWS/1",
                "any principal in any aws account",
            )],
        ),
        (
            "Principal * without conditions",
            assume(json!("*"), json!({})),
            vec![(E, "/Statement/0/Principal", "its principal is \"*\"")],
        ),
        (
            "a Deny of everyone",
            assume(json!("*"), json!({"Effect": "Deny"})),
            vec![(
                E,
                "/Statement/0/Principal",
                "no principal can assume the role",
            )],
        ),
        (
            "a third party without an external id",
            vendor(json!({})),
            vec![(W, AWS_PRINCIPAL, "no sts:ExternalId condition")],
        ),
        (
            "an external id pattern",
            vendor(json!({"Condition": {"StringLike": {"sts:ExternalId": "vendor-*"}}})),
            vec![(
                W,
                "/Statement/0/Condition/StringLike/sts:ExternalId",
                "never agreed on",
            )],
        ),
        (
            "an external id under StringLike",
            vendor(json!({"Condition": {"StringLike": {"sts:ExternalId": "vendor-4f2a9c"}}})),
            vec![(
                W,
                "/Statement/0/Condition/StringLike/sts:ExternalId",
                "has no wildcard",
            )],
        ),
        (
            "Effect in lower case",
            own(json!({"Effect": "allow"})),
            vec![(E, "/Statement/0/Effect", "case-sensitive")],
        ),
        (
            "Effect Permit",
            own(json!({"Effect": "Permit"})),
            vec![(E, "/Statement/0/Effect", "neither \"Allow\" nor \"Deny\"")],
        ),
        (
            "Effect missing",
            own(json!({"Effect": null})),
            vec![(E, "/Statement/0/Effect", "no Effect")],
        ),
        (
            "Effect not a string",
            own(json!({"Effect": true})),
            vec![(E, "/Statement/0/Effect", "neither")],
        ),
        (
            "not a principal",
            assume(json!({"AWS": "deployer"}), json!({})),
            vec![(E, AWS_PRINCIPAL, "is not an aws principal")],
        ),
        (
            "an iam group",
            assume(
                json!({"AWS": format!("arn:aws:iam::{AWS}:group/admins")}),
                json!({}),
            ),
            vec![(E, AWS_PRINCIPAL, "groups cannot be principals")],
        ),
        (
            "an arn of another resource",
            assume(
                json!({"AWS": format!("arn:aws:iam::{AWS}:policy/x")}),
                json!({}),
            ),
            vec![(E, AWS_PRINCIPAL, "is not an aws principal arn")],
        ),
        (
            "a session arn",
            assume(
                json!({"AWS": format!("arn:aws:sts::{AWS}:assumed-role/deployer/ci")}),
                json!({}),
            ),
            vec![],
        ),
        (
            "a bad service",
            assume(json!({"Service": "ec2"}), json!({})),
            vec![(
                E,
                "/Statement/0/Principal/Service",
                "not a service principal",
            )],
        ),
        (
            "a principal type in lower case",
            assume(json!({"aws": AWS}), json!({})),
            vec![(E, "/Statement/0/Principal/aws", "case-sensitive")],
        ),
        (
            "a principal that is not an object",
            assume(json!(["x"]), json!({})),
            vec![(E, "/Statement/0/Principal", "neither \"*\" nor an object")],
        ),
        (
            "no principal",
            own(json!({"Principal": null})),
            vec![(E, "/Statement/0", "no Principal")],
        ),
        (
            "NotPrincipal with Allow",
            own(json!({"Principal": null, "NotPrincipal": {"AWS": AWS}})),
            vec![(E, "/Statement/0/NotPrincipal", "every principal except")],
        ),
    ];
    run(cases, |p| lint(p, &expect()));
    // Without --aws-account nothing says which account is the role's own.
    assert_eq!(lint(&vendor(json!({})), &Expect::default()), vec![]);
    // Naming Prefect Cloud's account makes its statement required.
    let prefect = Expect {
        aws_account: None,
        prefect_account: Some("9f6c5e1a-0b7d-4c3e-8a21-5d4f3b2a1c0e".into()),
        ..Expect::default()
    };
    let findings = lint(&own(json!({})), &prefect);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(findings[0].message.contains("no statement allows"));
}

#[test]
fn policy_versions() {
    let cases: Vec<Case> = vec![
        (
            "a made-up version",
            {
                let mut p = own(json!({}));
                p["Version"] = json!("2012-10-18");
                p
            },
            vec![(E, "/Version", "MalformedPolicyDocument")],
        ),
        (
            "a number",
            {
                let mut p = own(json!({}));
                p["Version"] = json!(2012);
                p
            },
            vec![(E, "/Version", "not a policy language version")],
        ),
        (
            "the old version",
            {
                let mut p = own(json!({}));
                p["Version"] = json!("2008-10-17");
                p
            },
            vec![(W, "/Version", "literal text")],
        ),
        (
            "no version, no variables",
            {
                let mut p = own(json!({}));
                p.as_object_mut().unwrap().remove("Version");
                p
            },
            vec![],
        ),
        (
            "no version, with variables",
            {
                let mut p = own(
                    json!({"Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}}),
                );
                p.as_object_mut().unwrap().remove("Version");
                p
            },
            vec![(W, "", "no Version")],
        ),
    ];
    run(cases, |p| lint(p, &expect()));
}
