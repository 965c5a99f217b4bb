//! Unit tests of [`check_template`] over the fixtures and hand-built templates.

use super::*;
use pretty_assertions::assert_eq;

const LEGACY: &str = include_str!("../../../../tests/fixtures/managed-legacy.json");
const INLINE: &str = include_str!("../../../../tests/fixtures/managed-inline.json");
const REF: &str = include_str!("../../../../tests/fixtures/managed-ref.json");
const INVALID_ARN: &str = include_str!("../../../../tests/fixtures/managed-invalid-arn.json");

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// `(pointer, value)` of each violation.
fn located(violations: &[Finding]) -> Vec<(String, Option<Value>)> {
    violations
        .iter()
        .map(|v| (v.pointer.as_str().to_string(), v.value.clone()))
        .collect()
}

fn at(pointer: &str, value: Value) -> (String, Option<Value>) {
    (pointer.to_string(), Some(value))
}

/// The placeholder names `{{ name }}` used in job_configuration.
fn placeholders(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let re = regex::Regex::new(r"\{\{\s*([\w.-]+)\s*\}\}").unwrap();
            names.extend(re.captures_iter(s).map(|c| c[1].to_string()));
        }
        Value::Array(items) => items.iter().for_each(|v| placeholders(v, names)),
        Value::Object(map) => map.values().for_each(|v| placeholders(v, names)),
        _ => {}
    }
}

#[test]
fn fixtures_pass_the_server_placeholder_rule_and_are_pretty() {
    for text in [LEGACY, INLINE, REF, INVALID_ARN] {
        let template = fixture(text);
        let mut names = Vec::new();
        placeholders(&template["job_configuration"], &mut names);
        assert!(!names.is_empty());
        for name in names {
            assert!(
                template["variables"]["properties"].get(&name).is_some(),
                "{{{{ {name} }}}} has no variable"
            );
        }
        assert_eq!(format!("{template:#}\n"), text);
    }
}

#[test]
fn valid_fixtures_have_no_violations() {
    for text in [LEGACY, INLINE, REF] {
        assert_eq!(check_template(&fixture(text)), vec![]);
    }
}

#[test]
fn invalid_arn_fixture() {
    let violations = check_template(&fixture(INVALID_ARN));
    assert_eq!(
        located(&violations),
        vec![at(
            "/variables/properties/federated_identity/default/aws_role_arn",
            json!("arn:aws:iam::12345:role/x"),
        )]
    );
    assert_eq!(violations[0].message, "aws_role_arn is not an iam role arn");
}

#[test]
fn no_federated_identity_no_violations() {
    assert_eq!(check_template(&json!({})), vec![]);
    assert_eq!(
        check_template(&json!({"variables": {"properties": {}}})),
        vec![]
    );
    assert_eq!(
        check_template(&json!({"job_configuration": {"image": "x"}})),
        vec![]
    );
}

#[test]
fn per_field_defaults_inline() {
    let mut template = fixture(INLINE);
    let props = &mut template["variables"]["properties"]["federated_identity"]["properties"];
    props["kind"]["default"] = json!("gcp");
    props["aws_role_arn"]["default"] = json!(null);
    props["aws_region_name"]["default"] = json!("US-EAST-1");
    let violations = check_template(&template);
    assert_eq!(
        located(&violations),
        vec![
            at(
                "/variables/properties/federated_identity/properties/kind/default",
                json!("gcp")
            ),
            at(
                "/variables/properties/federated_identity/properties/aws_region_name/default",
                json!("US-EAST-1")
            ),
        ]
    );
    assert_eq!(
        violations[1].message,
        "aws_region_name is not an aws region code"
    );
}

#[test]
fn ref_to_definitions_reports_at_the_definition() {
    let mut template = fixture(REF);
    let definition = &mut template["variables"]["definitions"]["FederatedIdentity"];
    definition["properties"]["aws_role_arn"]["default"] = json!("arn:aws:iam::123:user/x");
    template["variables"]["properties"]["federated_identity"]["default"] =
        json!({"kind": "aws", "aws_role_arn": "arn:aws:iam::123456789012:role/r"});
    assert_eq!(
        located(&check_template(&template)),
        vec![
            (
                "/variables/properties/federated_identity/default".to_string(),
                None
            ),
            at(
                "/variables/definitions/FederatedIdentity/properties/aws_role_arn/default",
                json!("arn:aws:iam::123:user/x")
            ),
        ]
    );
}

#[test]
fn defs_one_of_all_of_and_cycles() {
    let bad = json!({"kind": "aws", "aws_role_arn": "arn:aws:iam::123456789012:role/r",
                     "aws_region_name": "cn-north-1"});
    let template = json!({
        "job_configuration": {"federated_identity": "{{ federated_identity }}"},
        "variables": {
            "properties": {
                "federated_identity": {
                    "oneOf": [{"allOf": [{"$ref": "#/$defs/Identity"}]}, {"type": "null"}]
                }
            },
            "$defs": {
                "Identity": {
                    "$ref": "#/$defs/Again",
                    "properties": {"aws_region_name": {"$ref": "#/$defs/Region"}}
                },
                "Again": {"$ref": "#/$defs/Identity", "default": bad},
                "Region": {"type": "string", "default": "eu-west"},
                "Unused": {"default": 42}
            }
        }
    });
    assert_eq!(
        located(&check_template(&template)),
        vec![
            at("/variables/$defs/Region/default", json!("eu-west")),
            at(
                "/variables/$defs/Again/default/aws_region_name",
                json!("cn-north-1")
            ),
        ]
    );
}

#[test]
fn job_configuration_literal_identity() {
    let mut template = fixture(INLINE);
    template["job_configuration"]["federated_identity"] = json!({
        "kind": "aws",
        "aws_role_arn": "arn:aws:iam::123456789012:role/prefect managed",
        "aws_region_name": "{{ region }}",
        "extra": true
    });
    assert_eq!(
        located(&check_template(&template)),
        vec![
            at(
                "/job_configuration/federated_identity/aws_role_arn",
                json!("arn:aws:iam::123456789012:role/prefect managed")
            ),
            at("/job_configuration/federated_identity/extra", json!(true)),
        ]
    );
}
