use super::*;
use serde_json::json;

#[test]
fn a_definition_a_kept_property_references_is_restored() {
    let default = json!({"variables": {"properties": {}}});
    let current = json!({"variables": {"properties": {"s": {"$ref": "#/definitions/Secret"}},
                                       "definitions": {"Secret": {"type": "object"}}}});
    let mut merged = json!({"variables": {"properties": {"s": {"$ref": "#/definitions/Secret"}}}});
    let mut warnings = Vec::new();
    restore_definitions(
        &default,
        &current,
        &mut merged,
        &mut Vec::new(),
        &mut warnings,
    );
    assert_eq!(
        merged.pointer("/variables/definitions/Secret"),
        Some(&json!({"type": "object"}))
    );
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].pointer, "/variables/definitions/Secret");
}

#[test]
fn a_present_or_unknown_definition_is_left_alone() {
    let current = json!({"variables": {"properties": {"s": {"$ref": "#/$defs/Nowhere"}}}});
    let mut merged = current.clone();
    let mut warnings = Vec::new();
    restore_definitions(
        &json!({}),
        &current,
        &mut merged,
        &mut Vec::new(),
        &mut warnings,
    );
    assert_eq!(merged, current);
    assert!(warnings.is_empty());
}

fn k8s(resources: Option<Value>, variables: &[&str]) -> Value {
    let mut container = json!({"name": "prefect-job", "image": "{{ image }}"});
    if let Some(resources) = resources {
        container["resources"] = resources;
    }
    let properties: Map<String, Value> = variables
        .iter()
        .map(|v| (v.to_string(), json!({"type": "string"})))
        .collect();
    json!({
        "job_configuration": {"job_manifest": {"spec": {"containers": [container]}}},
        "variables": {"properties": properties},
    })
}

#[test]
fn a_new_variable_is_wired_where_the_default_wires_it() {
    let base = k8s(None, &["image"]);
    let default = k8s(
        Some(json!({"requests": {"cpu": "{{ cpu_request }}"}})),
        &["image", "cpu_request"],
    );
    let mut merged = k8s(None, &["image", "cpu_request"]);
    merged["job_configuration"]["job_manifest"]["spec"]["containers"][0]["image"] = json!("mine");
    let mut upstream = Vec::new();
    wire_new_variables(&base, &default, &mut merged, &mut upstream, &[]);
    let container = &merged["job_configuration"]["job_manifest"]["spec"]["containers"][0];
    assert_eq!(
        container["resources"]["requests"]["cpu"],
        "{{ cpu_request }}"
    );
    assert_eq!(container["image"], "mine", "the user's value is kept");
    assert_eq!(upstream.len(), 1);
    assert_eq!(
        upstream[0].pointer,
        "/job_configuration/job_manifest/spec/containers/0/resources"
    );
}

#[test]
fn a_variable_the_base_had_or_a_place_the_user_filled_is_not_rewired() {
    let default = k8s(
        Some(json!({"requests": {"cpu": "{{ cpu_request }}"}})),
        &["image", "cpu_request"],
    );
    // The base had cpu_request: unwiring it was the user's choice.
    let mut merged = k8s(None, &["image", "cpu_request"]);
    let mut upstream = Vec::new();
    wire_new_variables(&default, &default, &mut merged, &mut upstream, &[]);
    assert!(upstream.is_empty());
    // The user holds a value of their own there.
    let mut merged = k8s(
        Some(json!({"requests": {"cpu": "2"}})),
        &["image", "cpu_request"],
    );
    wire_new_variables(
        &k8s(None, &["image"]),
        &default,
        &mut merged,
        &mut upstream,
        &[],
    );
    assert!(upstream.is_empty());
    assert_eq!(
        merged["job_configuration"]["job_manifest"]["spec"]["containers"][0]["resources"],
        json!({"requests": {"cpu": "2"}})
    );
}

#[test]
fn a_restored_definition_is_no_longer_reported_removed() {
    let current = json!({"variables": {"properties": {"s": {"$ref": "#/definitions/A"}},
                                       "definitions": {"A": {"type": "string"}, "B": {}}}});
    let mut merged = json!({"variables": {"properties": {"s": {"$ref": "#/definitions/A"}}}});
    let mut upstream = vec![Upstream {
        pointer: "/variables/definitions".into(),
        kind: UpstreamKind::Removed,
        base: current.pointer("/variables/definitions").cloned(),
        default: None,
        current: current.pointer("/variables/definitions").cloned(),
    }];
    let mut warnings = Vec::new();
    restore_definitions(
        &json!({}),
        &current,
        &mut merged,
        &mut upstream,
        &mut warnings,
    );
    let pointers: Vec<&str> = upstream.iter().map(|u| u.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/variables/definitions/B"],
        "only B is still removed"
    );
}
