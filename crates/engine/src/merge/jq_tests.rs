//! `jq_merge` against jq's own semantics, and the jq strategy.

use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

#[test]
fn jq_merge_table() {
    let cases = [
        (
            "nested objects merge recursively",
            json!({"a": {"b": 1, "c": {"d": 2, "e": 3}}}),
            json!({"a": {"c": {"d": 9}, "f": 4}}),
            json!({"a": {"b": 1, "c": {"d": 9, "e": 3}, "f": 4}}),
        ),
        (
            "arrays are replaced, not concatenated",
            json!({"a": [1, 2, 3], "b": [{"x": 1}]}),
            json!({"a": [4], "b": [{"y": 2}]}),
            json!({"a": [4], "b": [{"y": 2}]}),
        ),
        (
            "null replaces an object and a scalar",
            json!({"a": {"b": 1}, "c": 2}),
            json!({"a": null, "c": null}),
            json!({"a": null, "c": null}),
        ),
        (
            "scalar replaces an object and an object replaces a scalar",
            json!({"a": {"b": 1}, "c": 2}),
            json!({"a": "x", "c": {"d": 1}}),
            json!({"a": "x", "c": {"d": 1}}),
        ),
        (
            "empty current keeps the default",
            json!({"a": {"b": [1]}}),
            json!({}),
            json!({"a": {"b": [1]}}),
        ),
        (
            "top level array: current wins",
            json!({"a": 1}),
            json!([1]),
            json!([1]),
        ),
        (
            "top level scalar default: current wins",
            json!(1),
            json!({"a": 1}),
            json!({"a": 1}),
        ),
        (
            "two numbers: current wins (jq multiplies)",
            json!(2),
            json!(3),
            json!(3),
        ),
    ];
    for (name, default, current, expected) in cases {
        assert_eq!(jq_merge(&default, &current), expected, "{name}");
    }
}

#[test]
fn jq_merge_key_order_is_defaults_then_currents_new_keys() {
    let default = json!({"z": 1, "a": {"y": 1, "b": 2}, "m": 3});
    let current = json!({"n": 0, "a": {"c": 5, "b": 9}, "z": 7, "b": 1});
    let merged = serde_json::to_string(&jq_merge(&default, &current)).unwrap();
    assert_eq!(
        merged,
        r#"{"z":7,"a":{"y":1,"b":9,"c":5},"m":3,"n":0,"b":1}"#
    );
}

#[test]
fn jq_strategy_is_jq_merge_without_warnings() {
    let default =
        json!({"variables": {"properties": {"a": {"type": "string"}}, "required": ["a"]}});
    let current = json!({"variables": {"properties": {"a": null}, "required": ["b"]}});
    let merged = merge(&default, &current, Strategy::Jq);
    assert_eq!(merged.template, jq_merge(&default, &current));
    assert_eq!(merged.warnings, vec![]);
}

/// Realistic templates to compare with the real jq binary.
fn jq_cases() -> Vec<(Value, Value)> {
    let default = json!({
        "job_configuration": {
            "command": "{{ command }}",
            "env": "{{ env }}",
            "labels": "{{ labels }}",
            "image": "{{ image }}",
            "job_manifest": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": {"containers": [{"name": "prefect-job", "image": "{{ image }}"}]}}}}
        },
        "variables": {
            "type": "object",
            "properties": {
                "image": {"type": "string", "title": "Image"},
                "env": {"type": "object", "additionalProperties": {"type": "string"}},
                "namespace": {"type": "string", "default": "default"}
            },
            "definitions": {"A": {"type": "string"}}
        }
    });
    let current = json!({
        "variables": {
            "required": ["image"],
            "properties": {
                "image": {"default": "my/image:1", "type": "string"},
                "cpu": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                "env": null
            }
        },
        "job_configuration": {
            "cpu": "{{ cpu }}",
            "job_manifest": {"spec": {"template": {"spec": {"containers": [{"name": "x"}]}}, "backoffLimit": 0}},
            "labels": ["a", 1, 2.5, true, null, "é \" \\ /"]
        }
    });
    vec![
        (default.clone(), current),
        (
            json!({"a": {"b": {"c": [1, 2]}}, "z": 1}),
            json!({"z": {"y": 1}, "a": {"b": {"d": 1}}, "new": [{"k": {}}]}),
        ),
        (default, json!({})),
    ]
}

#[test]
fn jq_merge_matches_the_jq_binary() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if Command::new("jq").arg("--version").output().is_err() {
        eprintln!("jq is not installed; skipping the comparison with the jq binary");
        return;
    }
    for (default, current) in jq_cases() {
        let mut child = Command::new("jq")
            .args(["-c", "-s", ".[0] * .[1]"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let input = format!("{default}\n{current}\n");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        let jq = String::from_utf8(output.stdout).unwrap();
        let ours = serde_json::to_string(&jq_merge(&default, &current)).unwrap();
        assert_eq!(jq.trim_end(), ours);
    }
}
