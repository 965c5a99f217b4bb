use super::super::{Strategy, UpstreamKind, merge, merge3};
use crate::finding::Finding;
use crate::merge::upstream::tests::up;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use UpstreamKind::{Added, Conflict, Removed, Updated};

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
fn two_way_warns_for_each_element_only_the_default_has() {
    let default = doc(json!([
        {"name": "a", "env": [{"name": "X"}, {"name": "Y"}]},
        {"name": "b"}
    ]));
    let current = doc(json!([{"name": "mine"}, {"name": "a", "env": [{"name": "X"}]}]));
    let merged = merge(&default, &current, Strategy::Schema);
    let warnings: Vec<(&str, &str)> = merged
        .warnings
        .iter()
        .map(|w| (w.pointer.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "/c/1/env/1",
                "element \"Y\" of the default was added to your array; if you removed or \
                 renamed it, remove it again, or merge three-way (--base) so a deletion stands"
            ),
            (
                "/c/2",
                "element \"b\" of the default was added to your array; if you removed or \
                 renamed it, remove it again, or merge three-way (--base) so a deletion stands"
            ),
        ]
    );
    // Three-way, the base tells a new element from a deleted one: no warning.
    let three_way = merge3(Some(&default), &default, &current, Strategy::Schema);
    assert_eq!(three_way.warnings, vec![]);
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
    let expected = vec![Finding::notice(
        "/variables/properties/cpu_request",
        "variable \"cpu_request\" is defined but job_configuration never uses it, so \
                  setting it does nothing; the default uses it at \
                  /job_configuration/job_manifest/containers/0/resources/requests/cpu: add \
                  \"{{ cpu_request }}\" there",
    )];
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
