use super::same_but_defaults;
use crate::finding::Finding;
use crate::template::check;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// A valid template whose `variables` is `variables` (used by no placeholder).
fn with(variables: Value) -> Value {
    json!({"job_configuration": {"command": "x"}, "variables": variables})
}

/// The pointers of the violations `check` finds in a template with these `variables`.
fn pointers(variables: Value) -> Vec<String> {
    check(&with(variables))
        .into_iter()
        .map(|v| v.pointer.as_str().to_string())
        .collect()
}

#[test]
fn defaults_table() {
    let creds = json!({"type": "object", "properties": {"project": {"type": "string"}}, "required": ["project"]});
    let cases = [
        (
            "defaults that match",
            json!({"properties": {
                "n": {"type": "integer", "default": 3},
                "s": {"type": "string", "enum": ["a", "b"], "default": "b"},
                "any": {"default": {"x": [1]}}
            }}),
            vec![],
        ),
        (
            "wrong type and value outside the enum",
            json!({"properties": {
                "n": {"type": "integer", "default": "3"},
                "s": {"type": "string", "enum": ["a", "b"], "default": "c"}
            }}),
            vec![
                "/variables/properties/n/default",
                "/variables/properties/s/default",
            ],
        ),
        (
            "null is a valid default of an optional typed variable, not of a required one",
            json!({"properties": {
                "optional": {"type": "integer", "default": null},
                "needed": {"type": "integer", "default": null}
            }, "required": ["needed"]}),
            vec!["/variables/properties/needed/default"],
        ),
        (
            "$ref into definitions and $defs, the failure located inside the default",
            json!({"properties": {
                "a": {"allOf": [{"$ref": "#/definitions/Creds"}], "default": {"project": 7}},
                "b": {"$ref": "#/$defs/Creds", "default": {"project": "p"}}
            }, "definitions": {"Creds": creds}, "$defs": {"Creds": creds}}),
            vec!["/variables/properties/a/default/project"],
        ),
        (
            "nested required is ignored, as the server does",
            json!({"properties": {
                "a": {"$ref": "#/definitions/Creds", "default": {}}
            }, "definitions": {"Creds": creds}}),
            vec![],
        ),
        (
            "an optional nested field may be null",
            json!({"properties": {
                "a": {"$ref": "#/definitions/Creds", "default": {"project": null}}
            }, "definitions": {"Creds": {"type": "object", "properties": {"project": {"type": "string"}}}}}),
            vec![],
        ),
        (
            "a list of items is a tuple",
            json!({"properties": {
                "t": {"type": "array", "items": [{"type": "integer"}, {"type": "string"}], "default": [1, 2]}
            }}),
            vec!["/variables/properties/t/default/1"],
        ),
        (
            "block references: without an id or with a uuid not validated; a bad id or $ref reported",
            json!({"properties": {
                "a": {"type": "integer", "default": {"$ref": {"other": "x"}}},
                "b": {"type": "integer", "default": {"$ref": {"block_document_id": "1d8c4a0e-5d2e-4e8f-9a41-6f1f3b8f2c11"}}},
                "c": {"type": "integer", "default": {"$ref": {"block_document_id": "nope"}}},
                "d": {"type": "integer", "default": {"$ref": "#/definitions/X"}}
            }}),
            vec![
                "/variables/properties/c/default/$ref/block_document_id",
                "/variables/properties/d/default/$ref",
            ],
        ),
        (
            "a block schema (oneOf the block or a reference) still checks a plain default",
            json!({"properties": {
                "creds": {"allOf": [{"$ref": "#/definitions/GcpCredentials"}], "default": {"project": 1}},
                "ok": {"allOf": [{"$ref": "#/definitions/GcpCredentials"}], "default": {"project": "p"}}
            }, "definitions": {"GcpCredentials": {"title": "GcpCredentials", "block_type_slug": "gcp-credentials", "type": "object", "properties": {"project": {"type": "string"}}, "additionalProperties": false}}}),
            vec!["/variables/properties/creds/default"],
        ),
        (
            "an unresolvable $ref makes the schema invalid",
            json!({"properties": {"a": {"$ref": "#/definitions/Missing", "default": 1}}}),
            vec!["/variables"],
        ),
        (
            "formats are not asserted, as on the server",
            json!({"properties": {"id": {"type": "string", "format": "uuid", "default": "not-a-uuid"}}}),
            vec![],
        ),
        (
            "no defaults: nothing to check, even with a bad $ref",
            json!({"properties": {"a": {"$ref": "#/definitions/Missing"}}}),
            vec![],
        ),
    ];
    for (label, variables, expected) in cases {
        assert_eq!(pointers(variables), expected, "{label}");
    }
}

#[test]
fn default_violation_in_full() {
    let violations = check(&with(
        json!({"properties": {"n": {"type": "integer", "default": "3"}}}),
    ));
    assert_eq!(
        violations,
        vec![Finding::violation(
            "/variables/properties/n/default",
            Some(json!("3")),
            "the default of variable \"n\" does not match its schema: value is not of \
                      type \"integer\" (or null)",
            "change the default of \"n\" to a value its schema accepts, or remove the default"
        )]
    );
}

/// Pools of one type share a compiled schema (their defaults left out of it): each pool's
/// own defaults are still what is checked, in any order, and a schema that differs past its
/// defaults gets its own.
#[test]
fn pools_that_differ_in_defaults_share_a_schema_and_keep_their_own_findings() {
    let schema = |n: Value| {
        json!({"properties": {
            "n": {"type": "integer", "minimum": 1, "default": n},
            "s": {"type": "string", "default": "x"}
        }})
    };
    let bad = vec!["/variables/properties/n/default".to_string()];
    for _ in 0..3 {
        assert_eq!(pointers(schema(json!(3))), Vec::<String>::new());
        assert_eq!(pointers(schema(json!(0))), bad);
        assert_eq!(pointers(schema(json!("3"))), bad);
    }
    // Past its defaults the schema differs: its own check, not the one kept.
    let wider = json!({"properties": {
        "n": {"type": "integer", "minimum": -5, "default": 0},
        "s": {"type": "string", "default": "x"}
    }});
    assert_eq!(pointers(wider), Vec::<String>::new());
    assert_eq!(pointers(schema(json!(0))), bad);
}

/// A kept schema is found by its variables with their defaults aside, and only so: another
/// default matches, another keyword, another order or a `default` elsewhere does not.
#[test]
fn a_kept_schema_is_found_by_its_variables_defaults_aside() {
    let object = |v: Value| v.as_object().cloned().expect("object");
    let kept = object(
        json!({"properties": {"n": {"type": "integer"}, "s": {"type": "string"}},
                             "definitions": {"d": {"default": 1}}}),
    );
    let same = |v: Value| same_but_defaults(&kept, &object(v));
    assert!(same(
        json!({"properties": {"n": {"type": "integer", "default": 3},
                                       "s": {"default": "x", "type": "string"}},
                        "definitions": {"d": {"default": 1}}})
    ));
    assert!(!same(
        json!({"properties": {"n": {"type": "number", "default": 3},
                                        "s": {"type": "string"}},
                         "definitions": {"d": {"default": 1}}})
    ));
    assert!(!same(
        json!({"properties": {"s": {"type": "string"}, "n": {"type": "integer"}},
                         "definitions": {"d": {"default": 1}}})
    ));
    assert!(!same(
        json!({"properties": {"n": {"type": "integer"}, "s": {"type": "string"}},
                         "definitions": {"d": {"default": 2}}})
    ));
    assert!(!same(json!({"properties": {"n": {"type": "integer"}},
                         "definitions": {"d": {"default": 1}}})));
}
