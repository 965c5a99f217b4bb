//! The three-way merge of `variables`: removed variables `job_configuration` still uses,
//! `required`, the schema warnings after the merge, and placeholders of deleted variables.

use super::*;
use crate::merge::upstream::tests::up;
use pretty_assertions::assert_eq;
use serde_json::json;

use UpstreamKind::{Added, Conflict, Removed, Updated};

/// A template from a `job_configuration` and `variables`.
fn tpl(jobs: Value, variables: Value) -> Value {
    json!({"job_configuration": jobs, "variables": variables})
}

#[test]
fn removed_variable_still_used_is_restored_with_a_warning() {
    let old = tpl(
        json!({"image": "{{ image }}", "out": "{{ stream }}"}),
        json!({"properties": {"image": {"type": "string"}, "stream": {"type": "boolean"}}}),
    );
    // Upstream drops both `stream` and its placeholder, but the user rewrote `out`.
    let default = tpl(
        json!({"image": "{{ image }}"}),
        json!({"properties": {"image": {"type": "string"}}}),
    );
    let current = tpl(
        json!({"image": "{{ image }}", "out": "x {{ stream }}"}),
        old["variables"].clone(),
    );
    let merged = merge3(Some(&old), &default, &current, Strategy::Schema);
    assert_eq!(merged.template, current);
    assert_eq!(
        merged.upstream,
        vec![up(
            "/job_configuration/out",
            Conflict,
            json!("{{ stream }}"),
            Value::Null,
            json!("x {{ stream }}")
        )]
    );
    assert_eq!(
        merged.warnings,
        vec![Finding::notice(
            "/variables/properties/stream",
            "variable \"stream\" was removed upstream but kept, because \
                      job_configuration still uses \"{{ stream }}\"; remove the placeholder, \
                      then the variable"
        )]
    );
}

#[test]
fn removed_variable_no_longer_used_is_removed() {
    let old = tpl(
        json!({"out": "{{ stream }}"}),
        json!({"properties": {"stream": {"type": "boolean"}}}),
    );
    let default = tpl(json!({}), json!({"properties": {}}));
    let merged = merge3(Some(&old), &default, &old, Strategy::Schema);
    assert_eq!(merged.template, default);
    assert_eq!(
        merged.upstream,
        vec![
            up(
                "/job_configuration/out",
                Removed,
                json!("{{ stream }}"),
                Value::Null,
                json!("{{ stream }}")
            ),
            up(
                "/variables/properties/stream",
                Removed,
                json!({"type": "boolean"}),
                Value::Null,
                json!({"type": "boolean"})
            ),
        ]
    );
    assert_eq!(merged.warnings, vec![]);
}

#[test]
fn required_is_atomic_then_filtered_to_defined_names() {
    let props = json!({"a": {}, "b": {}});
    let with = |required: Value| {
        tpl(
            json!({}),
            json!({"properties": props, "required": required}),
        )
    };
    let cases = [
        (
            "untouched: takes upstream's list",
            with(json!(["a"])),
            with(json!(["a", "b"])),
            with(json!(["a"])),
            json!(["a", "b"]),
            vec![up(
                "/variables/required",
                Updated,
                json!(["a"]),
                json!(["a", "b"]),
                json!(["a"]),
            )],
            vec![],
        ),
        (
            "changed by the user only: kept, not unioned with upstream's",
            with(json!(["a"])),
            with(json!(["a"])),
            with(json!(["b"])),
            json!(["b"]),
            vec![],
            vec![],
        ),
        (
            "both changed: conflict, user's kept",
            with(json!([])),
            with(json!(["a"])),
            with(json!(["b"])),
            json!(["b"]),
            vec![up(
                "/variables/required",
                Conflict,
                json!([]),
                json!(["a"]),
                json!(["b"]),
            )],
            vec![],
        ),
        (
            "undefined, repeated and non-string names dropped",
            with(json!([])),
            with(json!([])),
            with(json!(["a", "gone", 1, "a"])),
            json!(["a"]),
            vec![],
            vec![
                "required variable \"gone\" is not defined in variables.properties and was \
                 dropped from required; add the property to keep it required",
                "required entry 1 is not a property name and was dropped; list property names \
                 only",
            ],
        ),
    ];
    for (name, base, default, current, expected, reports, messages) in cases {
        let merged = merge3(Some(&base), &default, &current, Strategy::Schema);
        assert_eq!(merged.template["variables"]["required"], expected, "{name}");
        assert_eq!(merged.upstream, reports, "{name}");
        let messages: Vec<Finding> = messages
            .into_iter()
            .map(|message| Finding::notice("/variables/required", message))
            .collect();
        assert_eq!(merged.warnings, messages, "{name}");
    }
}

#[test]
fn required_name_of_a_property_removed_upstream_is_dropped() {
    let base = tpl(
        json!({}),
        json!({"properties": {"a": {}, "old": {}}, "required": ["a"]}),
    );
    let default = tpl(
        json!({}),
        json!({"properties": {"a": {}}, "required": ["a"]}),
    );
    let current = tpl(
        json!({}),
        json!({"properties": {"a": {}, "old": {}}, "required": ["a", "old"]}),
    );
    let merged = merge3(Some(&base), &default, &current, Strategy::Schema);
    assert_eq!(merged.template, default);
    assert_eq!(merged.warnings.len(), 1);
    assert!(merged.warnings[0].message.contains("\"old\""));
}

#[test]
fn schema_warnings_still_apply() {
    let base = tpl(
        json!({"a": {"b": 1}}),
        json!({"properties": {"p": {"type": "string"}, "q": {"type": "string"}}}),
    );
    // `p`: untouched, upstream changed its kind: taken silently. `q`: the user changed its kind.
    // `a`: the user's null hides the default object upstream left alone.
    let default = tpl(
        json!({"a": {"b": 1}}),
        json!({"properties": {"p": {"type": "integer"}, "q": {"type": "string"}}, "$defs": {}}),
    );
    let current = tpl(
        json!({"a": null}),
        json!({"properties": {"p": {"type": "string"}, "q": {"type": "integer"}}, "definitions": {}}),
    );
    let merged = merge3(Some(&base), &default, &current, Strategy::Schema);
    let pointers: Vec<&str> = merged.warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/job_configuration/a",
            "/variables",
            "/variables/properties/q"
        ]
    );
    assert_eq!(
        merged.template["variables"]["properties"]["p"],
        json!({"type": "integer"})
    );
}

#[test]
fn a_conflict_is_the_one_report_at_its_pointer() {
    let base = tpl(
        json!({"a": {"b": 1}}),
        json!({"properties": {"q": {"type": "string", "title": "Q"}}}),
    );
    // Upstream changed `a` the user set to null, and `q`'s type the user changed too.
    let default = tpl(
        json!({"a": {"b": 2}}),
        json!({"properties": {"q": {"type": "number", "title": "Q"}}}),
    );
    let current = tpl(
        json!({"a": null}),
        json!({"properties": {"q": {"type": "integer", "title": "Q"}}}),
    );
    let merged = merge3(Some(&base), &default, &current, Strategy::Schema);
    assert_eq!(merged.warnings, vec![]);
    let null_over_object = Upstream {
        current: Some(Value::Null),
        ..up(
            "/job_configuration/a",
            Conflict,
            json!({"b": 1}),
            json!({"b": 2}),
            Value::Null,
        )
    };
    assert_eq!(
        merged.upstream,
        vec![
            null_over_object,
            up(
                "/variables/properties/q/type",
                Conflict,
                json!("string"),
                json!("number"),
                json!("integer")
            ),
        ]
    );
    // Without a conflict there, the same two things are warnings.
    let merged = merge(&default, &current, Strategy::Schema);
    let pointers: Vec<&str> = merged.warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/job_configuration/a", "/variables/properties/q"]
    );
}

/// A placeholder-looking key added upstream outside `job_configuration` (here under
/// `variables`) is no placeholder: it is added, not a conflict, even when the user deleted
/// the variable it names (found by the 100k-case property run).
#[test]
fn placeholder_keys_outside_job_configuration_are_plain_additions() {
    let base = tpl(json!({}), json!({"properties": {"c": {"type": "string"}}}));
    let default = tpl(json!({}), json!({"properties": {"b": {"{{ c }}": null}}}));
    let current = tpl(json!({}), json!({"properties": {"b": {"type": "string"}}}));
    let merged = merge3(Some(&base), &default, &current, Strategy::Schema);
    let kinds: Vec<_> = merged
        .upstream
        .iter()
        .map(|u| (u.pointer.as_str(), u.kind))
        .collect();
    assert!(
        kinds.contains(&("/variables/properties/b/{{ c }}", Added)),
        "{kinds:?}"
    );
    assert!(!kinds.iter().any(|(_, k)| *k == Conflict), "{kinds:?}");
}

/// A recorded base is a valid template: where the default wires a variable new since it,
/// the base's value there differs from the default's, so a member the user deleted is a
/// conflict, and the new variable's wiring leaves it deleted.
#[test]
fn a_deleted_member_stays_deleted_where_the_default_wires_a_new_variable() {
    let container = |resources: Option<Value>| {
        let mut c = json!({"name": "job", "image": "{{ image }}"});
        if let Some(r) = resources {
            c["resources"] = r;
        }
        json!({"job_manifest": {"containers": [c]}})
    };
    let vars = |names: &[&str]| {
        let p: Map<String, Value> = names
            .iter()
            .map(|n| (n.to_string(), json!({"type": "string"})))
            .collect();
        json!({ "properties": p })
    };
    let base = tpl(
        container(Some(json!({"limits": {"memory": "{{ memory }}"}}))),
        vars(&["image", "memory"]),
    );
    let default = tpl(
        container(Some(json!({"limits": {"memory": "{{ memory }}"},
                               "requests": {"cpu": "{{ cpu }}"}}))),
        vars(&["image", "memory", "cpu"]),
    );
    let current = tpl(container(None), vars(&["image", "memory"]));
    let merged = merge3(Some(&base), &default, &current, Strategy::Schema);
    let at = "/job_configuration/job_manifest/containers/0/resources";
    assert_eq!(merged.template.pointer(at), None, "the deletion stands");
    assert!(
        merged
            .upstream
            .iter()
            .any(|u| u.pointer.as_str() == at && u.kind == Conflict && u.current.is_none()),
        "reported as a conflict: {:?}",
        merged.upstream
    );
    assert!(
        merged
            .template
            .pointer("/variables/properties/cpu")
            .is_some()
    );
}
