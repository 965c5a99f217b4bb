use super::super::{Strategy, Upstream, UpstreamKind, Warning, merge, merge3};
use crate::template::check;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use UpstreamKind::{Added, Conflict, Removed, Updated};

/// A report at `pointer`; `null` in a slot means absent there.
fn up(pointer: &str, kind: UpstreamKind, base: Value, default: Value, current: Value) -> Upstream {
    let some = |v: Value| (!v.is_null()).then_some(v);
    Upstream {
        pointer: pointer.into(),
        kind,
        base: some(base),
        default: some(default),
        current: some(current),
    }
}

/// A document holding `items` as its `c` array.
fn doc(items: Value) -> Value {
    json!({"c": items})
}

#[test]
fn names_table() {
    let cases = [
        (
            "objects with unique names",
            json!([{"name": "a"}, {"name": "b"}]),
            Some(vec!["a", "b"]),
        ),
        ("empty", json!([]), None),
        (
            "duplicate names",
            json!([{"name": "a"}, {"name": "a", "x": 1}]),
            None,
        ),
        (
            "an element without a name",
            json!([{"name": "a"}, {"x": 1}]),
            None,
        ),
        ("a name that is not a string", json!([{"name": 1}]), None),
        ("a scalar element", json!([{"name": "a"}, "b"]), None),
    ];
    for (label, items, expected) in cases {
        let items = items.as_array().cloned().unwrap_or_default();
        assert_eq!(super::names(&items), expected, "{label}");
    }
}

#[test]
fn two_way_table() {
    let cases = [
        (
            "element added upstream: current's elements, then the new one",
            json!([{"name": "a", "v": 1}, {"name": "new", "v": 2}]),
            json!([{"name": "mine", "v": 0}, {"name": "a", "v": 9}]),
            json!([{"name": "mine", "v": 0}, {"name": "a", "v": 9}, {"name": "new", "v": 2}]),
        ),
        (
            "same-named elements merge recursively: upstream's new field, current's value",
            json!([{"name": "job", "image": "{{ image }}", "resources": {"cpu": "{{ cpu }}"}}]),
            json!([{"name": "job", "image": "mine", "resources": {"memory": "1Gi"}}]),
            json!([{"name": "job", "image": "mine", "resources": {"cpu": "{{ cpu }}", "memory": "1Gi"}}]),
        ),
        (
            "nested keyed arrays merge too",
            json!([{"name": "job", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]),
            json!([{"name": "job", "env": [{"name": "A", "value": "mine"}]}]),
            json!([{"name": "job", "env": [{"name": "A", "value": "mine"}, {"name": "B", "value": "2"}]}]),
        ),
        (
            "duplicate names: atomic, current wins",
            json!([{"name": "a"}, {"name": "b"}]),
            json!([{"name": "x"}, {"name": "x"}]),
            json!([{"name": "x"}, {"name": "x"}]),
        ),
        (
            "mixed array: atomic, current wins",
            json!([{"name": "a"}, {"name": "b"}]),
            json!([{"name": "x"}, "y"]),
            json!([{"name": "x"}, "y"]),
        ),
        (
            "an empty current array is the user's choice: atomic",
            json!([{"name": "a"}]),
            json!([]),
            json!([]),
        ),
        (
            "unnamed objects: atomic, as in jq",
            json!([{"x": 1}]),
            json!([{"y": 2}]),
            json!([{"y": 2}]),
        ),
    ];
    for (label, default, current, expected) in cases {
        let merged = merge(
            &doc(default.clone()),
            &doc(current.clone()),
            Strategy::Schema,
        );
        assert_eq!(merged.template, doc(expected), "{label}");
        // The jq strategy keeps every array atomic.
        let jq = merge(&doc(default), &doc(current.clone()), Strategy::Jq);
        assert_eq!(jq.template, doc(current), "{label}: jq");
    }
}

#[test]
fn three_way_table() {
    let a = json!({"name": "a", "v": 1});
    let b = json!({"name": "b", "v": 1});
    let cases = [
        (
            "element added upstream: added after current's, one report",
            json!([a]),
            json!([a, {"name": "new", "v": 2}]),
            json!([a, {"name": "mine", "v": 3}]),
            json!([a, {"name": "mine", "v": 3}, {"name": "new", "v": 2}]),
            vec![up(
                "/c/2",
                Added,
                Value::Null,
                json!({"name": "new", "v": 2}),
                Value::Null,
            )],
        ),
        (
            "element field changed upstream, element touched elsewhere by the user",
            json!([{"name": "a", "image": "old", "cpu": 1}]),
            json!([{"name": "a", "image": "new", "cpu": 1}]),
            json!([{"name": "a", "image": "old", "cpu": 4}]),
            json!([{"name": "a", "image": "new", "cpu": 4}]),
            vec![up(
                "/c/0/image",
                Updated,
                json!("old"),
                json!("new"),
                json!("old"),
            )],
        ),
        (
            "element the user added is kept",
            json!([a]),
            json!([a]),
            json!([{"name": "mine"}, a]),
            json!([{"name": "mine"}, a]),
            vec![],
        ),
        (
            "element the user deleted stays deleted; upstream changed it: conflict",
            json!([a, b]),
            json!([a, {"name": "b", "v": 2}]),
            json!([a]),
            json!([a]),
            vec![up(
                "/c/1",
                Conflict,
                b.clone(),
                json!({"name": "b", "v": 2}),
                Value::Null,
            )],
        ),
        (
            "element the user deleted and upstream left alone: no report",
            json!([a, b]),
            json!([b, a]),
            json!([a]),
            json!([a]),
            vec![],
        ),
        (
            "element upstream removed and the user did not touch: goes",
            json!([a, b]),
            json!([a]),
            json!([b, a, {"name": "mine"}]),
            json!([a, {"name": "mine"}]),
            vec![up("/c/0", Removed, b.clone(), Value::Null, b.clone())],
        ),
        (
            "element upstream removed that the user changed: kept, conflict",
            json!([a, b]),
            json!([a]),
            json!([a, {"name": "b", "v": 5}]),
            json!([a, {"name": "b", "v": 5}]),
            vec![up(
                "/c/1",
                Conflict,
                b.clone(),
                Value::Null,
                json!({"name": "b", "v": 5}),
            )],
        ),
        (
            "array the user did not touch takes the default whole, order included",
            json!([a, b]),
            json!([b, a]),
            json!([a, b]),
            json!([b, a]),
            vec![up(
                "/c",
                Updated,
                json!([a, b]),
                json!([b, a]),
                json!([a, b]),
            )],
        ),
        (
            "duplicate names: atomic, the user's array wins with a conflict",
            json!([a]),
            json!([a, b]),
            json!([a, a]),
            json!([a, a]),
            vec![up("/c", Conflict, json!([a]), json!([a, b]), json!([a, a]))],
        ),
        (
            "mixed array: atomic",
            json!([a]),
            json!([a, b]),
            json!([a, "x"]),
            json!([a, "x"]),
            vec![up(
                "/c",
                Conflict,
                json!([a]),
                json!([a, b]),
                json!([a, "x"]),
            )],
        ),
        (
            "base not keyed: elements have no base",
            json!("flat"),
            json!([{"name": "a", "v": 2}]),
            json!([{"name": "a", "v": 1}, b]),
            json!([{"name": "a", "v": 1}, b]),
            vec![up("/c/0/v", Conflict, Value::Null, json!(2), json!(1))],
        ),
    ];
    for (label, base, default, current, expected, reports) in cases {
        let merged = merge3(
            Some(&doc(base)),
            &doc(default),
            &doc(current),
            Strategy::Schema,
        );
        assert_eq!(merged.template, doc(expected), "{label}");
        assert_eq!(merged.upstream, reports, "{label}");
    }
}

#[test]
fn new_placeholders_inside_containers_are_wired_and_unwired_ones_warned() {
    let default = json!({
        "job_configuration": {"job_manifest": {"containers": [
            {"name": "prefect-job", "image": "{{ image }}", "resources": {"requests": {"cpu": "{{ cpu_request }}"}}}
        ]}},
        "variables": {"properties": {"image": {"type": "string"}, "cpu_request": {"type": "string"}}}
    });
    let keyed = json!({
        "job_configuration": {"job_manifest": {"containers": [{"name": "prefect-job", "image": "{{ image }}"}]}},
        "variables": {"properties": {"image": {"type": "string", "default": "mine"}}}
    });
    let merged = merge(&default, &keyed, Strategy::Schema);
    assert_eq!(
        merged.template["job_configuration"]["job_manifest"]["containers"][0]["resources"],
        json!({"requests": {"cpu": "{{ cpu_request }}"}})
    );
    assert_eq!(merged.warnings, vec![]);
    // Containers without names stay atomic: the user's array hides the new placeholder.
    let mut unnamed = keyed.clone();
    unnamed["job_configuration"]["job_manifest"]["containers"] = json!([{"image": "{{ image }}"}]);
    let expected = vec![Warning {
        pointer: "/variables/properties/cpu_request".into(),
        message: "variable \"cpu_request\" is defined but job_configuration never uses it, so \
                  setting it does nothing; the default uses it at \
                  /job_configuration/job_manifest/containers/0/resources/requests/cpu: add \
                  \"{{ cpu_request }}\" there"
            .into(),
    }];
    assert_eq!(
        merge(&default, &unnamed, Strategy::Schema).warnings,
        expected
    );
    // Three-way from a base without the new variable: it is added, and unwired just the same.
    let mut base = keyed.clone();
    base["variables"]["properties"]["image"] = json!({"type": "string"});
    let three_way = merge3(Some(&base), &default, &unnamed, Strategy::Schema);
    assert_eq!(three_way.warnings, expected);
}

/// A released default, trimmed to its structure: `job_configuration` whole, each variable's
/// `type`, `default`, `enum` and the like (prefect 2.14.21 and 3.8.8).
fn fixture(name: &str) -> Value {
    let text = match name {
        "cloud-run-2.14" => include_str!("fixtures/cloud-run-2.14.json"),
        "cloud-run-3.8.8" => include_str!("fixtures/cloud-run-3.8.8.json"),
        "cloud-run-v2-2.14" => include_str!("fixtures/cloud-run-v2-2.14.json"),
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
            "cloud-run-v2: the variable, unused in 2.14, got wired in 3.8.8",
            "cloud-run-v2",
            None,
            "/job_configuration/job_body/template/template/vpcAccess",
        ),
    ];
    for (label, kind, placeholder, moved) in cases {
        let base = fixture(&format!("{kind}-2.14"));
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
