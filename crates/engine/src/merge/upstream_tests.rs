use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

/// A report at `pointer`; `null` in a slot means absent there.
pub(in crate::merge) fn up(
    pointer: &str,
    kind: UpstreamKind,
    base: Value,
    default: Value,
    current: Value,
) -> Upstream {
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
