//! Property tests of the pure merge and template checks over generated JSON.
//!
//! Cases per property come from proptest's default config: 256, or `PROPTEST_CASES`.
//! Long run: `PROPTEST_CASES=100000 cargo test --release --test properties`
//! (measured once: 85 s for all six properties in release on 2 cores, build excluded; the
//! three-way properties were added later and not measured).

use poolsync::merge::{Strategy as Merge, UpstreamKind, jq_merge, merge, merge3};
use poolsync::template::{check, job_placeholders, placeholders};
use poolsync::violation::escape_token;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Keys from a small alphabet, so default and current collide often, including the
/// template's own section names.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a"),
        Just("b"),
        Just("c"),
        Just("a/~"),
        Just("{{ c }}"),
        Just("variables"),
        Just("properties"),
        Just("required"),
        Just("job_configuration"),
        Just("type"),
        Just("$defs"),
        Just("definitions"),
    ]
    .prop_map(String::from)
}

/// Strings with and without placeholders, of every kind and spacing.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("{{ a }}".to_string()),
        Just("x {{b}} {{  c  }}".to_string()),
        Just("{{ a.b[0] }}".to_string()),
        Just("{{ prefect.blocks.t.n }} {{ $E }}".to_string()),
        "[ab{} $.\t\né\"]{0,8}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

/// Any JSON value, depth at most 4.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// A property schema of some kind, occasionally not an object at all.
fn property_schema() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "string"})),
        Just(json!({"type": "integer", "default": 1})),
        Just(json!({"anyOf": [{"type": "string"}, {"type": "null"}]})),
        Just(json!({"$ref": "#/definitions/A"})),
        Just(json!({"enum": ["x", "y"]})),
        Just(json!({})),
        Just(Value::Null),
        json_value(),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![Just("a"), Just("b"), Just("c"), Just("a.b[0]"), Just("$E")].prop_map(String::from)
}

/// A base job template, sometimes with a section replaced by arbitrary JSON.
fn template() -> impl Strategy<Value = Value> {
    let jobs = prop::collection::vec((key(), json_value()), 0..4)
        .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>()));
    let properties = prop::collection::vec((name(), property_schema()), 0..4)
        .prop_map(|members| Value::Object(members.into_iter().collect()));
    let required = prop::option::of(prop::collection::vec(
        prop_oneof![name().prop_map(Value::String), leaf()],
        0..4,
    ));
    let defs = prop::option::of(prop_oneof![Just("definitions"), Just("$defs")]);
    let variables = (properties, required, defs).prop_map(|(properties, required, defs)| {
        let mut variables = json!({"type": "object", "properties": properties});
        if let Some(required) = required {
            variables["required"] = Value::Array(required);
        }
        if let Some(defs) = defs {
            variables[defs] = json!({"A": {"type": "string"}});
        }
        variables
    });
    let section = |s: BoxedStrategy<Value>| prop_oneof![8 => s.prop_map(Some), 1 => Just(None), 1 => json_value().prop_map(Some)];
    (section(jobs.boxed()), section(variables.boxed())).prop_map(|(jobs, variables)| {
        let mut template = Map::new();
        if let Some(jobs) = jobs {
            template.insert("job_configuration".into(), jobs);
        }
        if let Some(variables) = variables {
            template.insert("variables".into(), variables);
        }
        Value::Object(template)
    })
}

/// Either a template or any JSON value.
fn document() -> impl Strategy<Value = Value> {
    prop_oneof![3 => template(), 1 => json_value()]
}

/// Every pointer in `value` (pre-order, the root as ""), with its value.
fn pointers(value: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(value: &'a Value, pointer: String, out: &mut Vec<(String, &'a Value)>) {
        out.push((pointer.clone(), value));
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    walk(item, format!("{pointer}/{}", escape_token(key)), out);
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, format!("{pointer}/{index}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// The proper ancestors of a pointer, the root first.
fn ancestors(pointer: &str) -> Vec<&str> {
    pointer
        .match_indices('/')
        .map(|(i, _)| &pointer[..i])
        .collect()
}

/// `template` without `variables.required` and without the `variables.properties` entries
/// `kept` does not define: the parts a three-way merge's clean-up (filtering `required`,
/// restoring variables still in use) never touches.
fn without_cleanup(template: &Value, kept: &Value) -> Value {
    let mut template = template.clone();
    let kept = kept
        .pointer("/variables/properties")
        .and_then(Value::as_object);
    if let Some(Value::Object(variables)) = template.get_mut("variables") {
        variables.remove("required");
        if let Some(Value::Object(properties)) = variables.get_mut("properties") {
            properties.retain(|name, _| kept.is_some_and(|kept| kept.contains_key(name)));
        }
    }
    template
}

/// Whether the three-way clean-up leaves `template` alone: its `required` (if an array) lists
/// distinct property names it defines, and its `job_configuration` uses only defined variables.
fn clean(template: &Value) -> bool {
    let properties = template
        .pointer("/variables/properties")
        .and_then(Value::as_object);
    let defined = |name: &str| properties.is_some_and(|p| p.contains_key(name));
    let required_ok = template
        .pointer("/variables/required")
        .and_then(Value::as_array)
        .is_none_or(|required| {
            required.iter().enumerate().all(|(i, entry)| {
                entry.as_str().is_some_and(defined) && !required[..i].contains(entry)
            })
        });
    let used = template
        .get("job_configuration")
        .map(job_placeholders)
        .unwrap_or_default();
    required_ok && (properties.is_none() || used.iter().all(|name| defined(name)))
}

/// `template`'s `variables.required` entries, when an array.
fn required_of(template: &Value) -> Vec<Value> {
    template
        .pointer("/variables/required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

proptest! {
    #[test]
    fn nothing_panics(default in document(), current in document()) {
        let _ = merge(&default, &current, Merge::Schema);
        let _ = merge(&default, &current, Merge::Jq);
        let _ = merge3(Some(&current), &default, &current, Merge::Schema);
        let _ = merge3(Some(&default), &current, &default, Merge::Schema);
        let _ = check(&current);
        let _ = placeholders(&current);
        let _ = job_placeholders(&current);
    }

    #[test]
    fn jq_keeps_every_non_object_value_of_current(default in document(), current in document()) {
        let merged = jq_merge(&default, &current);
        for (pointer, value) in pointers(&current) {
            // Inside an array of current the whole array was copied, so this holds there too.
            if !value.is_object() {
                prop_assert_eq!(merged.pointer(&pointer), Some(value), "at {}", pointer);
            }
        }
    }

    #[test]
    fn merging_again_changes_nothing(default in document(), current in document()) {
        let once = jq_merge(&default, &current);
        prop_assert_eq!(&jq_merge(&once, &current), &once);
        prop_assert_eq!(&jq_merge(&default, &once), &once);
        let schema = merge(&default, &current, Merge::Schema).template;
        prop_assert_eq!(merge(&default, &schema, Merge::Schema).template, schema);
    }

    /// A default pointer survives unless, at some proper ancestor, current holds a value and
    /// the two sides are not both objects there (then current's value replaced the subtree).
    #[test]
    fn jq_keeps_default_pointers_current_does_not_replace(
        default in document(),
        current in document(),
    ) {
        let merged = jq_merge(&default, &current);
        for (pointer, _) in pointers(&default) {
            let replaced = ancestors(&pointer).into_iter().any(|at| {
                current.pointer(at).is_some_and(|ours| {
                    !(ours.is_object() && default.pointer(at).is_some_and(Value::is_object))
                })
            });
            if !replaced {
                prop_assert!(merged.pointer(&pointer).is_some(), "{} was lost", pointer);
            }
        }
    }

    #[test]
    fn schema_keeps_currents_required_names(default in document(), current in document()) {
        let merged = merge(&default, &current, Merge::Schema).template;
        let Some(ours) = current.pointer("/variables/required").and_then(Value::as_array) else {
            return Ok(());
        };
        let Some(properties) = merged.pointer("/variables/properties").and_then(Value::as_object)
        else {
            return Ok(());
        };
        let kept = merged.pointer("/variables/required").and_then(Value::as_array);
        for name in ours.iter().filter_map(Value::as_str) {
            if properties.contains_key(name) {
                prop_assert!(
                    kept.is_some_and(|kept| kept.contains(&Value::from(name))),
                    "{} was dropped", name
                );
            }
        }
    }

    /// For well-formed sections, the violations are exactly the undefined placeholders.
    #[test]
    fn check_reports_exactly_the_undefined_placeholders(template in template()) {
        let violations = check(&template);
        let jobs = template.get("job_configuration").and_then(Value::as_object);
        let properties = template.pointer("/variables/properties").and_then(Value::as_object);
        let (Some(jobs), Some(properties)) = (jobs, properties) else {
            return Ok(());
        };
        if jobs.is_empty() {
            prop_assert!(!violations.is_empty());
            return Ok(());
        }
        let mut undefined: Vec<String> = job_placeholders(&template["job_configuration"])
            .into_iter()
            .filter(|name| !properties.contains_key(name))
            .collect();
        let mut reported: Vec<String> = violations
            .iter()
            .filter_map(|v| v.message.split("{{ ").nth(1)?.split(" }}").next())
            .map(String::from)
            .collect();
        undefined.sort();
        reported.sort();
        reported.dedup();
        prop_assert_eq!(reported, undefined);
    }

    #[test]
    fn merge3_nothing_panics(
        base in prop::option::of(document()),
        default in document(),
        current in document(),
    ) {
        let merged = merge3(base.as_ref(), &default, &current, Merge::Schema);
        for report in &merged.upstream {
            let _ = report.to_string();
        }
    }

    /// Without a base, or with the jq strategy, the three-way merge is the two-way one.
    #[test]
    fn merge3_without_base_or_with_jq_is_merge(
        base in document(),
        default in document(),
        current in document(),
    ) {
        for strategy in [Merge::Schema, Merge::Jq] {
            prop_assert_eq!(
                merge3(None, &default, &current, strategy),
                merge(&default, &current, strategy)
            );
        }
        prop_assert_eq!(
            merge3(Some(&base), &default, &current, Merge::Jq),
            merge(&default, &current, Merge::Jq)
        );
    }

    /// Base == current (the user changed nothing): the result is the default, except for the
    /// clean-up: `required` keeps only the default's names that are defined, and variables the
    /// default dropped but its own `job_configuration` still uses come back from current. With
    /// a default the clean-up leaves alone, the result is exactly the default, in its key
    /// order. No report is a conflict.
    #[test]
    fn merge3_untouched_current_takes_the_default(
        default in document(),
        current in document(),
    ) {
        let merged = merge3(Some(&current), &default, &current, Merge::Schema);
        let template = &merged.template;
        prop_assert!(merged.upstream.iter().all(|u| u.kind != UpstreamKind::Conflict));
        prop_assert_eq!(
            without_cleanup(template, &default),
            without_cleanup(&default, &default)
        );
        let theirs = required_of(&default);
        prop_assert!(required_of(template).iter().all(|name| theirs.contains(name)));
        let restored = template
            .pointer("/variables/properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(name, _)| default.pointer("/variables/properties").and_then(|p| p.get(name.as_str())).is_none());
        for (name, schema) in restored {
            prop_assert_eq!(Some(schema), current.pointer("/variables/properties").and_then(|p| p.get(name)));
        }
        if clean(&default) {
            prop_assert_eq!(template.to_string(), default.to_string());
        }
    }

    /// Base == default (upstream changed nothing): the result is current, except that
    /// `required` keeps only current's names that are defined; nothing is reported.
    #[test]
    fn merge3_unchanged_upstream_keeps_current(default in document(), current in document()) {
        let merged = merge3(Some(&default), &default, &current, Merge::Schema);
        prop_assert_eq!(&merged.upstream, &vec![]);
        prop_assert_eq!(
            without_cleanup(&merged.template, &current),
            without_cleanup(&current, &current)
        );
        let ours = required_of(&current);
        prop_assert!(required_of(&merged.template).iter().all(|name| ours.contains(name)));
        if clean(&current) {
            prop_assert_eq!(&merged.template, &current);
        }
    }

    /// Syncing a merged template again against the same default changes nothing, key order
    /// included, and reports nothing.
    #[test]
    fn merge3_merging_again_changes_nothing(
        base in prop::option::of(document()),
        default in document(),
        current in document(),
    ) {
        let once = merge3(base.as_ref(), &default, &current, Merge::Schema).template;
        let again = merge3(Some(&default), &default, &once, Merge::Schema);
        prop_assert_eq!(again.template.to_string(), once.to_string());
        prop_assert_eq!(again.upstream, vec![]);
    }

    /// Each report holds the three documents' values at its pointer, its kind matches them,
    /// and the merged template holds the value the rule chose (default's if current equals
    /// base, else current's).
    #[test]
    fn merge3_reports_match_the_inputs(
        base in document(),
        default in document(),
        current in document(),
    ) {
        let merged = merge3(Some(&base), &default, &current, Merge::Schema);
        for report in &merged.upstream {
            let at = |doc: &Value| doc.pointer(&report.pointer).cloned();
            let (b, d, c) = (at(&base), at(&default), at(&current));
            prop_assert_eq!(&report.base, &b, "{}", report);
            prop_assert_eq!(&report.default, &d, "{}", report);
            prop_assert_eq!(&report.current, &c, "{}", report);
            let expected = match () {
                _ if c != b => UpstreamKind::Conflict,
                _ if b.is_none() => UpstreamKind::Added,
                _ if d.is_none() => UpstreamKind::Removed,
                _ => UpstreamKind::Updated,
            };
            prop_assert_eq!(report.kind, expected, "{}", report);
            prop_assert!(d != b && d != c, "{}", report);
            if ["", "/variables", "/variables/required"].contains(&report.pointer.as_str()) {
                continue; // `required` in there is filtered after the three-way step
            }
            let merged_value = merged.template.pointer(&report.pointer).cloned();
            let kept = if c == b { d } else { c };
            prop_assert_eq!(merged_value, kept, "{}", report);
        }
    }
}
