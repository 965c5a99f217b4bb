//! Table tests of the findings beyond Prefect Cloud's first hop: other OIDC issuers, plain
//! AssumeRole trust policies, the policy version, and the springboard pair.

use super::springboard::{self, Pair};
use super::*;
use pretty_assertions::assert_eq;

use Level::{Error as E, Warning as W};

const AWS: &str = "123456789012";
const CREW: &str = "app.crewai.com";
const ORG: &str = "4b1d2c3e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

/// name, policy, and each expected finding's level, pointer and message fragment.
pub(super) type Case = (
    &'static str,
    Value,
    Vec<(Level, &'static str, &'static str)>,
);

/// Lints each case and checks every finding's level, pointer and message fragment, in order.
pub(super) fn run(cases: Vec<Case>, lint: impl Fn(&Value) -> Vec<Finding>) {
    for (name, policy, want) in cases {
        let got: Vec<(Level, String, String)> = lint(&policy)
            .into_iter()
            .map(|f| (f.level, f.pointer, f.message))
            .collect();
        assert_eq!(got.len(), want.len(), "{name}: {got:#?}");
        for ((level, pointer, message), (want_level, want_pointer, fragment)) in
            got.iter().zip(&want)
        {
            assert_eq!(
                (level, pointer.as_str()),
                (want_level, *want_pointer),
                "{name}: {message}"
            );
            assert!(
                message.contains(fragment),
                "{name}: {message:?} lacks {fragment:?}"
            );
        }
    }
}

fn expect() -> Expect {
    Expect {
        aws_account: Some(AWS.into()),
        prefect_account: None,
    }
}

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

const FROM: &str = "arn:aws:iam::123456789012:role/prefect-springboard";
const TO: &str = "arn:aws:iam::210987654321:role/data/loader";

fn pair(external_id: Option<&str>) -> Pair {
    Pair::new(
        springboard::parse_role("--from-role", FROM).unwrap(),
        springboard::parse_role("--to-role", TO).unwrap(),
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
    run(cases, |p| springboard::check_trust(p, &pair(None)));
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
    run(cases, |p| springboard::check_trust(p, &with_id));
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
    run(cases, |p| springboard::check_permissions(p, &pair(None)));
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
        let err = springboard::parse_role("--from-role", arn).unwrap_err();
        assert!(err.starts_with("invalid --from-role"), "{err}");
        assert!(err.contains(fragment), "{err}");
    }
    let role = springboard::parse_role("--to-role", TO).unwrap();
    assert_eq!(
        (role.account.as_str(), role.name.as_str()),
        ("210987654321", "loader")
    );
    assert_eq!(role.partition, "aws");
    let from = springboard::parse_role("--from-role", FROM).unwrap();
    let china =
        springboard::parse_role("--to-role", "arn:aws-cn:iam::210987654321:role/x").unwrap();
    assert!(
        Pair::new(from.clone(), china, None)
            .unwrap_err()
            .contains("partition")
    );
    assert!(
        Pair::new(from.clone(), from.clone(), None)
            .unwrap_err()
            .contains("same role")
    );
    assert!(
        Pair::new(from.clone(), role.clone(), Some("x".into()))
            .unwrap_err()
            .contains("--external-id")
    );
    assert!(Pair::new(from, role, None).unwrap().cross_account());
    assert!(
        springboard::parse_duration(7200)
            .unwrap_err()
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
