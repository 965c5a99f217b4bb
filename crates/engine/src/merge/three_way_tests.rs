use super::*;
use crate::merge::upstream::tests::up;
use pretty_assertions::assert_eq;
use serde_json::json;

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
