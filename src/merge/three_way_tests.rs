use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

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

use UpstreamKind::{Added, Conflict, Removed, Updated};

#[test]
fn three_way_rules_table() {
    let cases = [
        (
            "untouched stale value takes upstream's",
            json!({"image": "prefect:2", "keep": 1}),
            json!({"image": "prefect:3", "keep": 1}),
            json!({"image": "prefect:2", "keep": 1}),
            json!({"image": "prefect:3", "keep": 1}),
            vec![up(
                "/image",
                Updated,
                json!("prefect:2"),
                json!("prefect:3"),
                json!("prefect:2"),
            )],
        ),
        (
            "user-changed value is kept, upstream unchanged",
            json!({"image": "prefect:2"}),
            json!({"image": "prefect:2"}),
            json!({"image": "mine:1"}),
            json!({"image": "mine:1"}),
            vec![],
        ),
        (
            "both changed to the same value: no report",
            json!({"image": "prefect:2"}),
            json!({"image": "prefect:3"}),
            json!({"image": "prefect:3"}),
            json!({"image": "prefect:3"}),
            vec![],
        ),
        (
            "both changed differently: conflict, current kept",
            json!({"image": "a"}),
            json!({"image": "b"}),
            json!({"image": "c"}),
            json!({"image": "c"}),
            vec![up("/image", Conflict, json!("a"), json!("b"), json!("c"))],
        ),
        (
            "removed upstream and untouched: removed",
            json!({"stream_output": true, "x": 1}),
            json!({"x": 1}),
            json!({"stream_output": true, "x": 1}),
            json!({"x": 1}),
            vec![up(
                "/stream_output",
                Removed,
                json!(true),
                Value::Null,
                json!(true),
            )],
        ),
        (
            "removed upstream but changed by the user: kept, conflict",
            json!({"stream_output": true}),
            json!({}),
            json!({"stream_output": false}),
            json!({"stream_output": false}),
            vec![up(
                "/stream_output",
                Conflict,
                json!(true),
                Value::Null,
                json!(false),
            )],
        ),
        (
            "user-deleted key stays deleted; upstream changed it: conflict",
            json!({"a": 1, "b": 1}),
            json!({"a": 2, "b": 1}),
            json!({}),
            json!({}),
            vec![up("/a", Conflict, json!(1), json!(2), Value::Null)],
        ),
        (
            "deleted by both sides: no report",
            json!({"a": 1}),
            json!({}),
            json!({}),
            json!({}),
            vec![],
        ),
        (
            "new upstream key is added, a whole subtree in one report",
            json!({}),
            json!({"new": {"x": [1]}}),
            json!({}),
            json!({"new": {"x": [1]}}),
            vec![up(
                "/new",
                Added,
                Value::Null,
                json!({"x": [1]}),
                Value::Null,
            )],
        ),
        (
            "key added by the user only: kept, no report",
            json!({}),
            json!({}),
            json!({"mine": 1}),
            json!({"mine": 1}),
            vec![],
        ),
        (
            "added by both differently: conflict with no base",
            json!({}),
            json!({"k": 1}),
            json!({"k": 2}),
            json!({"k": 2}),
            vec![up("/k", Conflict, Value::Null, json!(1), json!(2))],
        ),
        (
            "nested objects recurse; pointers are escaped",
            json!({"m": {"spec": {"a/b": 1, "c": 1}}}),
            json!({"m": {"spec": {"a/b": 2, "c": 2}}}),
            json!({"m": {"spec": {"a/b": 1, "c": 9}, "extra": 1}}),
            json!({"m": {"spec": {"a/b": 2, "c": 9}, "extra": 1}}),
            vec![
                up("/m/spec/a~1b", Updated, json!(1), json!(2), json!(1)),
                up("/m/spec/c", Conflict, json!(1), json!(2), json!(9)),
            ],
        ),
        (
            "arrays are atomic: one changed item makes the user's array win",
            json!({"args": [1, 2], "env": [{"a": 1}]}),
            json!({"args": [1, 3], "env": [{"a": 2}]}),
            json!({"args": [1, 2, 9], "env": [{"a": 1}]}),
            json!({"args": [1, 2, 9], "env": [{"a": 2}]}),
            vec![
                up(
                    "/args",
                    Conflict,
                    json!([1, 2]),
                    json!([1, 3]),
                    json!([1, 2, 9]),
                ),
                up(
                    "/env",
                    Updated,
                    json!([{"a": 1}]),
                    json!([{"a": 2}]),
                    json!([{"a": 1}]),
                ),
            ],
        ),
        (
            "base not an object there: children have no base",
            json!({"o": 1}),
            json!({"o": {"x": 1, "y": 1}}),
            json!({"o": {"x": 1, "y": 2}}),
            json!({"o": {"x": 1, "y": 2}}),
            vec![up("/o/y", Conflict, Value::Null, json!(1), json!(2))],
        ),
        (
            "untouched object replaced by a scalar upstream",
            json!({"o": {"x": 1}}),
            json!({"o": "flat"}),
            json!({"o": {"x": 1}}),
            json!({"o": "flat"}),
            vec![up(
                "/o",
                Updated,
                json!({"x": 1}),
                json!("flat"),
                json!({"x": 1}),
            )],
        ),
        (
            "top level not objects: the rule applies to the whole value",
            json!([1]),
            json!({"a": 1}),
            json!([1]),
            json!({"a": 1}),
            vec![up("", Updated, json!([1]), json!({"a": 1}), json!([1]))],
        ),
    ];
    for (name, base, default, current, expected, reports) in cases {
        let merged = merge3(Some(&base), &default, &current, Strategy::Schema);
        assert_eq!(merged.template, expected, "{name}");
        assert_eq!(merged.upstream, reports, "{name}");
        assert_eq!(merged.warnings, vec![], "{name}");
    }
}

#[test]
fn key_order_is_defaults_then_currents_other_keys() {
    let base = json!({"z": 1, "a": 1});
    let default = json!({"z": 2, "a": 1, "m": 3});
    let current = json!({"n": 0, "a": 5, "z": 1});
    let merged = merge3(Some(&base), &default, &current, Strategy::Schema).template;
    assert_eq!(
        serde_json::to_string(&merged).unwrap(),
        r#"{"z":2,"a":5,"m":3,"n":0}"#
    );
}

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
        vec![Warning {
            pointer: "/variables/properties/stream".into(),
            message: "variable \"stream\" was removed upstream but kept, because \
                      job_configuration still uses \"{{ stream }}\"; remove the placeholder, \
                      then the variable"
                .into(),
        }]
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
        let messages: Vec<Warning> = messages
            .into_iter()
            .map(|message| Warning {
                pointer: "/variables/required".into(),
                message: message.into(),
            })
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

#[test]
fn without_base_or_with_jq_it_is_the_two_way_merge() {
    let base = json!({"variables": {"properties": {"a": {"default": 1}}, "required": ["a"]}});
    let default = json!({"variables": {"properties": {"a": {"default": 2}}, "required": ["b"]}});
    let current = json!({"variables": {"properties": {"a": {"default": 1}, "b": null}}});
    for strategy in [Strategy::Schema, Strategy::Jq] {
        let two_way = merge(&default, &current, strategy);
        assert_eq!(merge3(None, &default, &current, strategy), two_way);
        assert!(two_way.upstream.is_empty());
    }
    assert_eq!(
        merge3(Some(&base), &default, &current, Strategy::Jq),
        merge(&default, &current, Strategy::Jq)
    );
}

#[test]
fn display_table() {
    let long = json!("x".repeat(100));
    let cases = [
        (
            up(
                "/variables/properties/image/default",
                Updated,
                json!("prefect:2"),
                json!("prefect:3"),
                json!("prefect:2"),
            ),
            "/variables/properties/image/default: upstream update \"prefect:2\" -> \"prefect:3\"",
        ),
        (
            up(
                "/job_configuration/stream_output",
                Removed,
                json!(true),
                Value::Null,
                json!(true),
            ),
            "/job_configuration/stream_output: removed upstream",
        ),
        (
            up(
                "/variables/properties/image/default",
                Conflict,
                json!("a"),
                json!("b"),
                json!("c"),
            ),
            "/variables/properties/image/default: conflict: base \"a\", upstream \"b\", yours \"c\"; kept yours",
        ),
        (
            up("/a", Conflict, Value::Null, Value::Null, json!(1)),
            "/a: conflict: base absent, upstream removed, yours 1; kept yours",
        ),
        (
            up("/a", Conflict, json!(1), json!(2), Value::Null),
            "/a: conflict: base 1, upstream 2, yours deleted; kept it deleted",
        ),
        (
            up(
                "/m",
                Conflict,
                Value::Null,
                json!({"c": "{{ vpc }}"}),
                Value::Null,
            ),
            "/m: conflict: upstream {\"c\":\"{{ vpc }}\"} uses a variable you deleted; left it out",
        ),
        (
            up("/m", Conflict, json!("x"), json!("{{ vpc }}"), json!("x")),
            "/m: conflict: upstream \"{{ vpc }}\" uses a variable you deleted; kept yours",
        ),
        (
            up(
                "/new",
                Added,
                Value::Null,
                json!({"k": [1, "v"]}),
                Value::Null,
            ),
            "/new: added upstream {\"k\":[1,\"v\"]}",
        ),
        (
            up("", Updated, json!(1), long.clone(), json!(1)),
            &format!("/: upstream update 1 -> \"{}...", "x".repeat(76)),
        ),
    ];
    for (report, expected) in cases {
        assert_eq!(report.to_string(), expected);
    }
}

#[test]
fn serializes_snake_case_and_skips_absent_base() {
    let report = up("/a", Added, Value::Null, json!(1), Value::Null);
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        json!({"pointer": "/a", "kind": "added", "default": 1, "current": null})
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
