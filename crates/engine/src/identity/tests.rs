//! Unit tests of the federated identity type, its schema, and [`check_value`].

use super::*;
use pretty_assertions::assert_eq;

const SCHEMA_FILE: &str = include_str!("../../../../schemas/federated-identity.schema.json");
const P: &str = "/variables/properties/federated_identity/default";

fn identity(arn: &str, region: &str) -> Value {
    json!({"kind": "aws", "aws_role_arn": arn, "aws_region_name": region})
}

/// `(pointer, value, message)` of each violation, for compact exact assertions.
fn summary(violations: &[Finding]) -> Vec<(String, Option<Value>, String)> {
    violations
        .iter()
        .map(|v| {
            (
                v.pointer.as_str().to_string(),
                v.value.clone(),
                v.message.clone(),
            )
        })
        .collect()
}

#[test]
fn validators_compile() {
    assert!(!LazyLock::force(&VALIDATOR).is_valid(&json!(null)));
    assert_eq!(LazyLock::force(&FIELD_VALIDATORS).len(), FIELDS.len());
}

#[test]
fn committed_schema_matches_generated() {
    let generated = format!("{:#}\n", schema());
    if std::env::var_os("POOLSYNC_BLESS").is_some_and(|v| v == "1") {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/federated-identity.schema.json"
        );
        std::fs::write(path, &generated).unwrap();
        return;
    }
    assert_eq!(
        SCHEMA_FILE, generated,
        "schemas/federated-identity.schema.json is stale; regenerate it with \
         `POOLSYNC_BLESS=1 cargo test -p poolsync-engine identity` and commit it"
    );
}

#[test]
fn schema_carries_patterns_descriptions_and_strictness() {
    let schema = schema();
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(
        schema["required"],
        json!(["kind", "aws_role_arn", "aws_region_name"])
    );
    assert_eq!(schema["properties"]["kind"]["enum"], json!(["aws"]));
    assert_eq!(
        schema["properties"]["aws_role_arn"]["pattern"],
        json!(ROLE_ARN_PATTERN)
    );
    assert_eq!(
        schema["properties"]["aws_region_name"]["pattern"],
        json!(REGION_PATTERN)
    );
    for field in FIELDS {
        let description = schema["properties"][field]["description"].as_str();
        assert!(
            description.is_some_and(|d| d.contains("e.g.")),
            "{field} has no description with an example: {description:?}"
        );
        assert!(schema["properties"][field]["title"].is_string(), "{field}");
    }
}

#[test]
fn serde_type_accepts_valid_and_rejects_unknown_fields() {
    let value = identity(
        "arn:aws:iam::123456789012:role/prefect-managed",
        "us-east-1",
    );
    let parsed: FederatedIdentity = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(parsed.kind, FederatedIdentityKind::Aws);
    assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
    let mut extra = value;
    extra["role"] = json!("x");
    assert!(serde_json::from_value::<FederatedIdentity>(extra).is_err());
}

/// Checks one ARN through jsonschema (with a region of its partition) and through the Rust
/// `regex` crate, which must agree.
fn arn_is_valid(arn: &str) -> bool {
    let region = match arn.split(':').nth(1) {
        Some("aws-cn") => "cn-north-1",
        Some("aws-us-gov") => "us-gov-west-1",
        _ => "us-east-1",
    };
    let by_schema = check_value(&identity(arn, region), "").is_empty();
    let by_regex = regex::Regex::new(ROLE_ARN_PATTERN).unwrap().is_match(arn);
    assert_eq!(
        by_schema, by_regex,
        "jsonschema and regex disagree on {arn}"
    );
    by_schema
}

#[test]
fn role_arns() {
    let long_path = format!("{}/", "p".repeat(511));
    let too_long_path = format!("{}/", "p".repeat(512));
    let cases = [
        ("arn:aws:iam::123456789012:role/prefect-managed", true),
        ("arn:aws-cn:iam::123456789012:role/prefect-managed", true),
        (
            "arn:aws-us-gov:iam::123456789012:role/prefect-managed",
            true,
        ),
        ("arn:aws:iam::123456789012:role/service-role/my-role", true),
        ("arn:aws-cn:iam::123456789012:role/a/b/c/my-role", true),
        (
            "arn:aws-us-gov:iam::123456789012:role/service-role/my-role",
            true,
        ),
        ("arn:aws:iam::123456789012:role/n+=,.@_-9", true),
        (
            &format!("arn:aws:iam::123456789012:role/{}", "r".repeat(64)),
            true,
        ),
        (
            &format!("arn:aws:iam::123456789012:role/{long_path}r"),
            true,
        ),
        (
            &format!("arn:aws:iam::123456789012:role/{too_long_path}r"),
            false,
        ),
        (
            &format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65)),
            false,
        ),
        ("arn:aws:iam::12345:role/x", false),
        ("arn:aws:iam::1234567890123:role/x", false),
        ("arn:aws:iam::12345678901a:role/x", false),
        ("arn:aws:iam::123456789012:user/x", false),
        ("arn:aws:iam::123456789012:role/", false),
        ("arn:aws:iam::123456789012:role/service-role/", false),
        ("arn:aws:iam::123456789012:role//x", false),
        ("arn:aws:iam::123456789012:role/bad name", false),
        ("arn:aws:iam::123456789012:role/bad*name", false),
        ("arn:aws:iam::123456789012:role/caf\u{e9}", false),
        ("arn:aws-iso:iam::123456789012:role/x", false),
        ("arn:aws:sts::123456789012:role/x", false),
        ("xarn:aws:iam::123456789012:role/x", false),
        ("arn:aws:iam::123456789012:role/x\n", false),
    ];
    for (arn, valid) in cases {
        assert_eq!(arn_is_valid(arn), valid, "{arn}");
    }
}

#[test]
fn region_names() {
    let regex = regex::Regex::new(REGION_PATTERN).unwrap();
    let cases = [
        ("us-east-1", true),
        ("eu-central-2", true),
        ("ap-southeast-1", true),
        ("cn-north-1", true),
        ("us-gov-west-1", true),
        ("il-central-1", true),
        ("me-south-1", true),
        ("ca-west-1", true),
        ("mx-central-1", true),
        ("us-east", false),
        ("US-EAST-1", false),
        ("useast1", false),
        ("us-east-12", false),
        ("u-east-1", false),
        ("us-east-1 ", false),
        ("", false),
    ];
    for (region, valid) in cases {
        let violations = check_field("aws_region_name", &json!(region), "/r");
        assert_eq!(violations.is_empty(), valid, "{region}");
        assert_eq!(regex.is_match(region), valid, "regex crate on {region}");
    }
}

#[test]
fn null_means_no_identity() {
    assert_eq!(check_value(&json!(null), P), vec![]);
}

#[test]
fn bad_arn_is_reported_at_the_field_with_a_fix() {
    let value = identity("arn:aws:iam::12345:role/x", "us-east-1");
    assert_eq!(
        check_value(&value, P),
        vec![Finding::violation(
            format!("{P}/aws_role_arn"),
            Some(json!("arn:aws:iam::12345:role/x")),
            "aws_role_arn is not an iam role arn",
            "use arn:aws:iam::<12-digit account id>:role/<role name>, \
                  e.g. arn:aws:iam::123456789012:role/prefect-managed"
        )]
    );
}

#[test]
fn value_violations() {
    let arn = "arn:aws:iam::123456789012:role/prefect-managed";
    let cases = [
        (
            json!({"kind": "gcp", "aws_role_arn": arn, "aws_region_name": "us-east-1"}),
            vec![(
                "/kind",
                Some(json!("gcp")),
                "kind is not a supported identity kind",
            )],
        ),
        (
            json!({"kind": 7, "aws_role_arn": arn, "aws_region_name": "us-east-1"}),
            vec![(
                "/kind",
                Some(json!(7)),
                "kind is not a supported identity kind",
            )],
        ),
        (
            json!({"kind": "aws", "aws_role_arn": arn}),
            vec![("", None, "federated identity is missing aws_region_name")],
        ),
        (
            json!({"kind": "aws", "aws_role_arn": arn, "aws_region_name": "us-east-1", "a/b": 1}),
            vec![(
                "/a~1b",
                Some(json!(1)),
                "federated identity has unknown field a/b",
            )],
        ),
        (
            json!({"kind": "aws", "aws_role_arn": arn, "aws_region_name": "useast1"}),
            vec![(
                "/aws_region_name",
                Some(json!("useast1")),
                "aws_region_name is not an aws region code",
            )],
        ),
        (
            json!("{{ federated_identity }}"),
            vec![(
                "",
                Some(json!("{{ federated_identity }}")),
                "federated identity is not an object",
            )],
        ),
        (
            json!({}),
            vec![
                ("", None, "federated identity is missing kind"),
                ("", None, "federated identity is missing aws_role_arn"),
                ("", None, "federated identity is missing aws_region_name"),
            ],
        ),
    ];
    for (value, expected) in cases {
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(p, v, m)| (format!("{P}{p}"), v, m.to_string()))
            .collect();
        assert_eq!(summary(&check_value(&value, P)), expected, "{value}");
    }
}

#[test]
fn missing_field_fix_gives_an_example() {
    let violations = check_value(&json!({"kind": "aws", "aws_region_name": "us-east-1"}), "");
    assert_eq!(
        violations
            .iter()
            .map(|v| v.fix.as_deref().unwrap_or("(no fix)"))
            .collect::<Vec<_>>(),
        vec![
            "add aws_role_arn, e.g. \"aws_role_arn\": \
             \"arn:aws:iam::123456789012:role/prefect-managed\""
        ]
    );
}

#[test]
fn partitions() {
    let cases = [
        ("arn:aws:iam::123456789012:role/r", "us-east-1", None),
        ("arn:aws:iam::123456789012:role/r", "il-central-1", None),
        (
            "arn:aws-cn:iam::123456789012:role/r",
            "cn-northwest-1",
            None,
        ),
        (
            "arn:aws-us-gov:iam::123456789012:role/r",
            "us-gov-east-1",
            None,
        ),
        (
            "arn:aws-cn:iam::123456789012:role/r",
            "us-east-1",
            Some("aws_region_name us-east-1 is outside the aws-cn partition of aws_role_arn"),
        ),
        (
            "arn:aws:iam::123456789012:role/r",
            "cn-north-1",
            Some("aws_region_name cn-north-1 is outside the aws partition of aws_role_arn"),
        ),
        (
            "arn:aws:iam::123456789012:role/r",
            "us-gov-west-1",
            Some("aws_region_name us-gov-west-1 is outside the aws partition of aws_role_arn"),
        ),
        (
            "arn:aws-us-gov:iam::123456789012:role/r",
            "eu-west-1",
            Some("aws_region_name eu-west-1 is outside the aws-us-gov partition of aws_role_arn"),
        ),
    ];
    for (arn, region, message) in cases {
        let expected: Vec<_> = message
            .into_iter()
            .map(|m| {
                (
                    format!("{P}/aws_region_name"),
                    Some(json!(region)),
                    m.to_string(),
                )
            })
            .collect();
        assert_eq!(
            summary(&check_value(&identity(arn, region), P)),
            expected,
            "{arn} {region}"
        );
    }
}

#[test]
fn partition_fix_names_regions_of_the_arn_partition() {
    let value = identity("arn:aws-cn:iam::123456789012:role/r", "us-east-1");
    let fixes: Vec<_> = check_value(&value, "").into_iter().map(|v| v.fix).collect();
    let fixes: Vec<String> = fixes.into_iter().map(|f| f.unwrap_or_default()).collect();
    assert_eq!(
        fixes,
        vec![
            "use a region of the aws-cn partition such as cn-north-1 or cn-northwest-1, \
             or a role arn of the aws partition (arn:aws:iam::...)"
                .to_string()
        ]
    );
}
