//! The server's rule for a run's job variables, and the ignored / unwired / breaks /
//! changes-meaning findings, on small templates shaped like Prefect's.

use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

/// A kubernetes-like template: `image` wired with a default, `cpu` an optional integer
/// without a default, `memory_limit`/`memory_request` wired, `labels` defined but unwired,
/// `namespace` required without a default.
fn template() -> Value {
    json!({
        "job_configuration": {
            "image": "{{ image }}",
            "namespace": "{{ namespace }}",
            "resources": {"cpu": "{{ cpu }}", "limit": "{{ memory_limit }}", "request": "{{ memory_request }}"}
        },
        "variables": {
            "type": "object",
            "required": ["namespace"],
            "properties": {
                "image": {"type": "string", "default": "prefecthq/prefect:3"},
                "namespace": {"type": "string"},
                "cpu": {"type": "integer"},
                "memory_limit": {"type": "string", "default": "1Gi"},
                "memory_request": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        }
    })
}

fn kinds(found: &[Problem]) -> Vec<(ProblemKind, &str, &str)> {
    found
        .iter()
        .map(|f| (f.kind, f.key.as_str(), f.pointer.as_str()))
        .collect()
}

fn run(job_variables: Value) -> Vec<Problem> {
    check(&template(), &job_variables, Options::default())
}

#[test]
fn valid_wired_values_find_nothing() {
    assert_eq!(
        run(json!({"namespace": "etl", "cpu": 2, "image": "x"})),
        vec![]
    );
}

#[test]
fn a_wrong_type_is_invalid_at_its_pointer() {
    let found = run(json!({"namespace": "etl", "cpu": "two"}));
    assert_eq!(
        kinds(&found),
        vec![(ProblemKind::Invalid, "cpu", "/job_variables/cpu")]
    );
    assert!(
        found[0].message.contains("not of type \"integer\""),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].value, Some(json!("two")));
}

#[test]
fn a_nested_error_points_inside_the_value() {
    let found = run(json!({"namespace": "etl", "labels": {"team": 1}}));
    assert_eq!(
        kinds(&found),
        vec![(ProblemKind::Invalid, "labels", "/job_variables/labels/team")]
    );
}

#[test]
fn a_required_variable_without_default_must_be_set() {
    let found = run(json!({"cpu": 1}));
    assert_eq!(
        kinds(&found),
        vec![(
            ProblemKind::Invalid,
            "namespace",
            "/job_variables/namespace"
        )]
    );
    assert!(found[0].message.contains("required"));
}

#[test]
fn null_is_allowed_for_an_optional_field_but_not_a_required_one() {
    assert_eq!(
        run(json!({"namespace": "etl", "cpu": null, "image": null})),
        vec![]
    );
    let found = run(json!({"namespace": null}));
    assert_eq!(
        kinds(&found),
        vec![(
            ProblemKind::Invalid,
            "namespace",
            "/job_variables/namespace"
        )]
    );
}

#[test]
fn an_unknown_key_is_ignored_with_the_closest_names() {
    let found = run(json!({"namespace": "etl", "memory": "12Gi"}));
    assert_eq!(
        kinds(&found),
        vec![(ProblemKind::Ignored, "memory", "/job_variables/memory")]
    );
    assert_eq!(found[0].severity(), Severity::Warning);
    assert!(
        found[0]
            .fix
            .contains("\"memory_limit\", \"memory_request\""),
        "{}",
        found[0].fix
    );
}

#[test]
fn a_defined_variable_no_placeholder_uses_is_unwired() {
    let found = run(json!({"namespace": "etl", "labels": {"team": "data"}}));
    assert_eq!(
        kinds(&found),
        vec![(ProblemKind::Unwired, "labels", "/job_variables/labels")]
    );
}

#[test]
fn an_invalid_default_is_dropped_and_required_is_then_not_checked() {
    let mut template = template();
    template["variables"]["properties"]["image"]["default"] = json!(3);
    assert_eq!(check(&template, &json!({}), Options::default()), vec![]);
    // Still, what the deployment sets is validated.
    let found = check(&template, &json!({"cpu": "x"}), Options::default());
    assert_eq!(
        kinds(&found),
        vec![(ProblemKind::Invalid, "cpu", "/job_variables/cpu")]
    );
}

#[test]
fn a_block_reference_default_counts_as_set() {
    let mut template = template();
    template["variables"]["properties"]["namespace"]["default"] =
        json!({"$ref": {"block_document_id": "6f1b6d0e-9d1a-4a57-9d07-1e7b6f5f0e55"}});
    assert_eq!(check(&template, &json!({}), Options::default()), vec![]);
    // A reference without an id is no default.
    template["variables"]["properties"]["namespace"]["default"] = json!({"$ref": {}});
    let found = check(&template, &json!({}), Options::default());
    assert_eq!(
        kinds(&found),
        vec![(
            ProblemKind::Invalid,
            "namespace",
            "/job_variables/namespace"
        )]
    );
}

#[test]
fn a_block_reference_value_is_accepted_where_a_block_is() {
    let template = json!({
        "job_configuration": {"credentials": "{{ credentials }}"},
        "variables": {
            "properties": {"credentials": {"allOf": [{"$ref": "#/definitions/AwsCredentials"}]}},
            "definitions": {"AwsCredentials": {
                "title": "AwsCredentials", "type": "object", "block_type_slug": "aws-credentials",
                "properties": {"region_name": {"type": "string"}}, "required": ["region_name"]
            }}
        }
    });
    let reference = json!({"credentials": {"$ref": {"block_document_id": "6f1b6d0e-9d1a-4a57-9d07-1e7b6f5f0e55"}}});
    assert_eq!(check(&template, &reference, Options::default()), vec![]);
    let wrong = json!({"credentials": {"region": 1}});
    assert_eq!(
        kinds(&check(&template, &wrong, Options::default())),
        vec![(
            ProblemKind::Invalid,
            "credentials",
            "/job_variables/credentials"
        )]
    );
}

#[test]
fn templated_values_are_unknown_only_when_asked() {
    let values = json!({"namespace": "etl", "cpu": "{{ prefect.variables.cpu }}"});
    let offline = Options {
        templated_unknown: true,
    };
    assert_eq!(check(&template(), &values, offline), vec![]);
    assert_eq!(
        kinds(&check(&template(), &values, Options::default())),
        vec![(ProblemKind::Invalid, "cpu", "/job_variables/cpu")]
    );
}

#[test]
fn no_variables_checks_nothing() {
    assert_eq!(
        check(&json!({}), &json!({"x": 1}), Options::default()),
        vec![]
    );
}

#[test]
fn an_invalid_schema_refuses_every_run() {
    let template = json!({"job_configuration": {"a": "{{ a }}"},
                          "variables": {"properties": {"a": {"type": "no-such-type"}}}});
    let found = check(&template, &json!({}), Options::default());
    assert_eq!(
        kinds(&found),
        vec![(ProblemKind::Invalid, "", "/job_variables")]
    );
}

#[test]
fn a_retyped_variable_breaks_a_valid_deployment() {
    let mut after = template();
    after["variables"]["properties"]["cpu"] = json!({"type": "string"});
    let found = compare(
        &template(),
        &after,
        &json!({"namespace": "etl", "cpu": 2}),
        Options::default(),
    );
    assert_eq!(
        kinds(&found),
        vec![(ProblemKind::Breaks, "cpu", "/job_variables/cpu")]
    );
    assert_eq!(found[0].severity(), Severity::Error);
    // Invalid before and after: still invalid, not a break.
    let found = compare(&template(), &after, &json!({"cpu": 2}), Options::default());
    assert_eq!(
        kinds(&found),
        vec![
            (
                ProblemKind::Invalid,
                "namespace",
                "/job_variables/namespace"
            ),
            (ProblemKind::Breaks, "cpu", "/job_variables/cpu")
        ]
    );
}

#[test]
fn a_variable_removed_or_unwired_changes_meaning() {
    let mut after = template();
    after["variables"]["properties"]
        .as_object_mut()
        .map(|p| p.shift_remove("memory_request"));
    after["job_configuration"]["resources"]["request"] = json!("{{ memory_limit }}");
    after["job_configuration"]["resources"]["cpu"] = json!("1");
    let values = json!({"namespace": "etl", "memory_request": "2Gi", "cpu": 1, "labels": {}});
    let found = compare(&template(), &after, &values, Options::default());
    assert_eq!(
        kinds(&found),
        vec![
            (
                ProblemKind::ChangesMeaning,
                "memory_request",
                "/job_variables/memory_request"
            ),
            (ProblemKind::ChangesMeaning, "cpu", "/job_variables/cpu"),
            (ProblemKind::Unwired, "labels", "/job_variables/labels"),
        ]
    );
    assert!(found[0].message.contains("removes the variable"));
    assert!(found[1].message.contains("no placeholder"));
}

#[test]
fn a_key_a_closed_schema_forbids_is_invalid_not_ignored() {
    let mut template = template();
    template["variables"]["additionalProperties"] = json!(false);
    let found = check(
        &template,
        &json!({"namespace": "etl", "memory": "1Gi"}),
        Options::default(),
    );
    assert_eq!(
        kinds(&found),
        vec![(ProblemKind::Invalid, "memory", "/job_variables/memory")]
    );
    assert_eq!(found[0].value, Some(json!("1Gi")));
}
