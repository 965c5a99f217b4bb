use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

/// A template whose `variables` is built from `properties` and optional `required`.
fn vars(properties: Value, required: Option<Value>) -> Value {
    let mut variables = json!({"properties": properties});
    if let Some(required) = required {
        variables["required"] = required;
    }
    json!({"job_configuration": {"command": "{{ command }}"}, "variables": variables})
}

#[test]
fn schema_required_table() {
    let props = json!({"a": {}, "b": {}, "c": {}});
    let cases = [
        ("neither side has required: none invented", None, None, None),
        (
            "current's first, then default's new",
            Some(json!(["a", "b"])),
            Some(json!(["c", "a"])),
            Some(json!(["c", "a", "b"])),
        ),
        (
            "only default has required",
            Some(json!(["b"])),
            None,
            Some(json!(["b"])),
        ),
        (
            "only current has required",
            None,
            Some(json!(["a"])),
            Some(json!(["a"])),
        ),
        (
            "undefined and non-string names dropped",
            Some(json!(["a", "gone"])),
            Some(json!([1, "b", "b"])),
            Some(json!(["b", "a"])),
        ),
        (
            "empty lists stay empty",
            Some(json!([])),
            Some(json!([])),
            Some(json!([])),
        ),
    ];
    for (name, default_required, current_required, expected) in cases {
        let default = vars(props.clone(), default_required);
        let current = vars(json!({}), current_required);
        let merged = merge(&default, &current, Strategy::Schema).template;
        assert_eq!(
            merged["variables"].get("required").cloned(),
            expected,
            "{name}"
        );
    }
}

#[test]
fn schema_required_drops_names_undefined_after_merge() {
    // "b" set to null is still a key of the merged properties, so it stays required.
    let default = vars(json!({"a": {}, "b": {}}), Some(json!(["a", "b"])));
    let current = vars(json!({"b": null}), Some(json!(["x"])));
    let merged = merge(&default, &current, Strategy::Schema);
    assert_eq!(merged.template["variables"]["required"], json!(["a", "b"]));
    assert_eq!(
        merged.warnings,
        vec![
            Finding::notice(
                "/variables/properties/b",
                "current value is null and hides the default object; to take the \
                          default, copy its value here (`poolsync default --type TYPE`)"
            ),
            Finding::notice(
                "/variables/required",
                "required variable \"x\" is not defined in variables.properties and was \
                          dropped from required; add the property to keep it required"
            ),
        ]
    );
}

#[test]
fn schema_warnings_table() {
    let cases = [
        (
            "nothing noteworthy",
            vars(json!({"image": {"type": "string"}}), Some(json!(["image"]))),
            vars(
                json!({"image": {"type": "string", "default": "x"}, "new": {}}),
                None,
            ),
            vec![],
        ),
        (
            "type changed upstream",
            vars(json!({"image": {"type": "string"}}), None),
            vars(json!({"image": {"type": "integer"}}), None),
            vec![(
                "/variables/properties/image",
                "property \"image\" changed kind upstream (default: type string; current: type \
                 integer); the current schema was kept, review it",
            )],
        ),
        (
            "anyOf upstream, type in current: merged mixes both",
            vars(
                json!({"cpu": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}),
                None,
            ),
            vars(json!({"cpu": {"type": "integer"}}), None),
            vec![(
                "/variables/properties/cpu",
                "property \"cpu\" changed kind upstream (default: anyOf [integer, null]; current: \
                 type integer); the merged schema mixes both (type integer, anyOf [integer, \
                 null]), review it",
            )],
        ),
        (
            "ref and enum changes",
            vars(
                json!({"a": {"$ref": "#/$defs/A"}, "b": {"enum": ["x", "y"]}}),
                None,
            ),
            vars(
                json!({"a": {"$ref": "#/definitions/A"}, "b": {"enum": ["x", "z"]}}),
                None,
            ),
            vec![
                (
                    "/variables/properties/a",
                    "property \"a\" changed kind upstream (default: $ref #/$defs/A; current: $ref \
                     #/definitions/A); the current schema was kept, review it",
                ),
                (
                    "/variables/properties/b",
                    "property \"b\" changed kind upstream (default: enum [\"x\",\"y\"]; current: \
                     enum [\"x\",\"z\"]); the current schema was kept, review it",
                ),
            ],
        ),
        (
            "a widened enum is not a changed kind, at the top or in a branch",
            vars(
                json!({
                    "stage": {"type": "string", "enum": ["GA", "BETA", "ALPHA"]},
                    "mode": {"anyOf": [{"enum": ["a", "b"]}, {"type": "null"}]}
                }),
                None,
            ),
            vars(
                json!({
                    "stage": {"type": "string", "enum": ["BETA", "GA"]},
                    "mode": {"anyOf": [{"enum": ["a"]}, {"type": "null"}]}
                }),
                None,
            ),
            vec![],
        ),
        (
            "a widened enum whose type changed is a changed kind",
            vars(json!({"n": {"type": "integer", "enum": [1, 2]}}), None),
            vars(json!({"n": {"type": "number", "enum": [1]}}), None),
            vec![(
                "/variables/properties/n",
                "property \"n\" changed kind upstream (default: type integer, enum [1,2]; \
                 current: type number, enum [1]); the current schema was kept, review it",
            )],
        ),
        (
            "null hides a nested default object, in document order",
            json!({"job_configuration": {"a": {"b": {"c": 1}}, "z": {}}, "variables": {"properties": {}}}),
            json!({"job_configuration": {"z": null, "a": {"b": null}}}),
            vec![
                (
                    "/job_configuration/a/b",
                    "current value is null and hides the default object; to take the default, \
                     copy its value here (`poolsync default --type TYPE`)",
                ),
                (
                    "/job_configuration/z",
                    "current value is null and hides the default object; to take the default, \
                     copy its value here (`poolsync default --type TYPE`)",
                ),
            ],
        ),
        (
            "null hides a default object inside a keyed array element, at current's index",
            json!({"job_configuration": {"containers": [
                {"name": "prefect-job", "resources": {"limits": {}}}
            ]}}),
            json!({"job_configuration": {"containers": [
                {"name": "sidecar"},
                {"name": "prefect-job", "resources": null}
            ]}}),
            vec![(
                "/job_configuration/containers/1/resources",
                "current value is null and hides the default object; to take the default, \
                 copy its value here (`poolsync default --type TYPE`)",
            )],
        ),
        (
            "null over a scalar is not noteworthy",
            json!({"job_configuration": {"a": 1}}),
            json!({"job_configuration": {"a": null}}),
            vec![],
        ),
        (
            "definitions and $defs",
            json!({"variables": {"properties": {}, "$defs": {"A": {}}}}),
            json!({"variables": {"definitions": {"A": {}}}}),
            vec![(
                "/variables",
                "variables has both \"definitions\" and \"$defs\"; a $ref may resolve to the \
                 wrong one, move every definition under one of them and fix the $refs",
            )],
        ),
    ];
    for (name, default, current, expected) in cases {
        let expected: Vec<Finding> = expected
            .into_iter()
            .map(|(pointer, message)| Finding::notice(pointer, message))
            .collect();
        let merged = merge(&default, &current, Strategy::Schema);
        assert_eq!(merged.warnings, expected, "{name}");
        assert_eq!(
            merged.template["variables"]["properties"],
            jq_merge(&default, &current)["variables"]["properties"],
            "{name}"
        );
    }
}

#[test]
fn schema_strategy_on_non_object_top_level_returns_current() {
    let merged = merge(
        &json!({"variables": {"required": ["a"]}}),
        &json!([1]),
        Strategy::Schema,
    );
    assert_eq!(
        merged,
        Merged {
            template: json!([1]),
            warnings: vec![],
            upstream: vec![],
            kept_out: vec![],
        }
    );
}

#[test]
fn document_position_orders_pre_order() {
    let root = json!({"b": {"x": 1, "y": [0, {"z": 1}]}, "a/~": 2});
    let cases = [
        ("", vec![]),
        ("/b", vec![0]),
        ("/b/y/1/z", vec![0, 1, 1, 0]),
        ("/a~1~0", vec![1]),
        ("/missing/x", vec![usize::MAX, usize::MAX]),
    ];
    for (pointer, expected) in cases {
        assert_eq!(document_position(&root, pointer), expected, "{pointer}");
    }
}
