//! Merges of released defaults (trimmed, in `fixtures/`): keyed containers wiring the new
//! Kubernetes variables, and the moved-placeholder rule on the cloud-run defaults and on
//! placeholders in new keys and keyed array elements.

use super::super::{Strategy, Upstream, UpstreamKind, merge, merge3};
use crate::merge::upstream::tests::up;
use crate::template::check;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use UpstreamKind::Conflict;

/// A released default, trimmed to its structure: `job_configuration` whole, each variable's
/// `type`, `default`, `enum` and the like (prefect 2.14.21 and 3.8.8).
fn fixture(name: &str) -> Value {
    let text = match name {
        "cloud-run-2.14.21" => include_str!("fixtures/cloud-run-2.14.21.json"),
        "cloud-run-3.8.8" => include_str!("fixtures/cloud-run-3.8.8.json"),
        "cloud-run-v2-2.14.21" => include_str!("fixtures/cloud-run-v2-2.14.21.json"),
        "kubernetes-2.14.21" => include_str!("fixtures/kubernetes-2.14.21.json"),
        "kubernetes-3.8.8" => include_str!("fixtures/kubernetes-3.8.8.json"),
        _ => include_str!("fixtures/cloud-run-v2-3.8.8.json"),
    };
    serde_json::from_str(text).expect("fixtures are valid json")
}

/// `template` with the `vpc_connector_name` variable deleted, as a user who uses no VPC
/// connector does, with the placeholder at `placeholder` removed too (if any), and a custom
/// image.
fn without_vpc(template: &Value, placeholder: Option<(&str, &str)>) -> Value {
    let mut current = template.clone();
    if let Some(Value::Object(properties)) = current.pointer_mut("/variables/properties") {
        properties.remove("vpc_connector_name");
    }
    if let Some((parent, key)) = placeholder
        && let Some(Value::Object(parent)) = current.pointer_mut(parent)
    {
        parent.remove(key);
    }
    current["variables"]["properties"]["image"]["default"] = json!("acme/flows:7");
    current
}

#[test]
fn upstream_moving_a_placeholder_of_a_deleted_variable_is_a_conflict() {
    let cases = [
        (
            "cloud-run: the annotation moved from the job's metadata to its template's",
            "cloud-run",
            Some((
                "/job_configuration/job_body/metadata/annotations",
                "run.googleapis.com/vpc-access-connector",
            )),
            "/job_configuration/job_body/spec/template/metadata",
        ),
        (
            "cloud-run-v2: the variable, unused in 2.14.21, got wired in 3.8.8",
            "cloud-run-v2",
            None,
            "/job_configuration/job_body/template/template/vpcAccess",
        ),
    ];
    for (label, kind, placeholder, moved) in cases {
        let base = fixture(&format!("{kind}-2.14.21"));
        let default = fixture(&format!("{kind}-3.8.8"));
        let current = without_vpc(&base, placeholder);
        assert_eq!(check(&current), vec![], "{label}: the pool is valid");
        let merged = merge3(Some(&base), &default, &current, Strategy::Schema);
        assert_eq!(check(&merged.template), vec![], "{label}");
        assert_eq!(merged.template.pointer(moved), None, "{label}: not added");
        let properties = &merged.template["variables"]["properties"];
        assert_eq!(
            properties.get("vpc_connector_name"),
            None,
            "{label}: stays deleted"
        );
        assert_eq!(
            properties["image"]["default"],
            json!("acme/flows:7"),
            "{label}"
        );
        let conflicts: Vec<&Upstream> = merged
            .upstream
            .iter()
            .filter(|u| u.kind == Conflict && u.pointer.starts_with("/job_configuration"))
            .collect();
        assert_eq!(
            conflicts,
            vec![&up(
                moved,
                Conflict,
                Value::Null,
                default.pointer(moved).cloned().unwrap_or_default(),
                Value::Null
            )],
            "{label}"
        );
        let pointers: Vec<&str> = merged.warnings.iter().map(|w| w.pointer.as_str()).collect();
        assert!(
            !pointers.iter().any(|p| p.contains("vpc")),
            "{label}: {pointers:?}"
        );
        // The rest of the upgrade still happens: the new default, with the user's changes.
        let mut expected = without_vpc(&default, None);
        if let Some(Value::Object(parent)) =
            expected.pointer_mut(moved.rsplit_once('/').map_or("", |p| p.0))
        {
            parent.remove(moved.rsplit('/').next().unwrap_or_default());
        }
        assert_eq!(merged.template, expected, "{label}");
    }
}

#[test]
fn a_placeholder_of_a_deleted_variable_in_a_new_key_or_element_is_not_added() {
    let vars = |names: &[&str]| {
        let properties: serde_json::Map<String, Value> = names
            .iter()
            .map(|name| (name.to_string(), json!({"type": "string"})))
            .collect();
        json!({"properties": properties})
    };
    let tpl =
        |jobs: Value, names: &[&str]| json!({"job_configuration": jobs, "variables": vars(names)});
    let base = tpl(
        json!({"m": {"labels": {}, "env": [{"name": "A"}]}}),
        &["gone", "kept"],
    );
    let default = tpl(
        json!({"m": {
            "labels": {"{{ gone }}": "x", "{{ kept }}": "y"},
            "env": [{"name": "A"}, {"name": "B", "value": "{{ gone }}"}, {"name": "C", "value": "{{ kept }}"}]
        }}),
        &["gone", "kept"],
    );
    let current = tpl(
        json!({"m": {"labels": {}, "env": [{"name": "A", "value": "1"}]}}),
        &["kept"],
    );
    let merged = merge3(Some(&base), &default, &current, Strategy::Schema);
    assert_eq!(
        merged.template["job_configuration"],
        json!({"m": {
            "labels": {"{{ kept }}": "y"},
            "env": [{"name": "A", "value": "1"}, {"name": "C", "value": "{{ kept }}"}]
        }})
    );
    assert_eq!(check(&merged.template), vec![]);
    let conflicts: Vec<&str> = merged
        .upstream
        .iter()
        .filter(|u| u.kind == Conflict)
        .map(|u| u.pointer.as_str())
        .collect();
    assert_eq!(
        conflicts,
        [
            "/job_configuration/m/labels/{{ gone }}",
            "/job_configuration/m/env/1"
        ]
    );
}

#[test]
fn customised_kubernetes_containers_get_the_new_resource_placeholders() {
    let base = fixture("kubernetes-2.14.21");
    let default = fixture("kubernetes-3.8.8");
    // The user mounts a volume into the job's container and sets a default image.
    let containers = "/job_configuration/job_manifest/spec/template/spec/containers";
    let mut current = base.clone();
    if let Some(Value::Array(containers)) = current.pointer_mut(containers) {
        containers[0]["volumeMounts"] = json!([{"name": "data", "mountPath": "/data"}]);
    }
    current["variables"]["properties"]["image"]["default"] = json!("acme/flows:7");
    let resources = json!({
        "limits": {"cpu": "{{ cpu_limit }}", "memory": "{{ memory_limit }}"},
        "requests": {"cpu": "{{ cpu_request }}", "memory": "{{ memory_request }}"}
    });
    let two_way = merge(&default, &current, Strategy::Schema);
    let three_way = merge3(Some(&base), &default, &current, Strategy::Schema);
    for (label, merged) in [("two-way", two_way), ("three-way", three_way)] {
        let container = merged.template.pointer(&format!("{containers}/0"));
        assert_eq!(
            container.map(|c| &c["resources"]),
            Some(&resources),
            "{label}"
        );
        assert_eq!(
            container.map(|c| &c["volumeMounts"]),
            Some(&json!([{"name": "data", "mountPath": "/data"}])),
            "{label}"
        );
        assert_eq!(
            merged.warnings,
            vec![],
            "{label}: every new variable is wired"
        );
        assert_eq!(check(&merged.template), vec![], "{label}");
    }
    // jq replaces the whole array: the four new variables are defined and do nothing.
    let jq = merge(&default, &current, Strategy::Jq).template;
    assert_eq!(jq.pointer(&format!("{containers}/0/resources")), None);
}
