//! Generators and helpers shared by the property tests: arbitrary JSON, base job
//! templates with colliding keys, placeholders and schema kinds, and pointer walks.
//! [`oracle`]: the three-way merge as its specification states it.

pub(crate) mod oracle;

use poolsync_engine::pointer::Pointer;
use poolsync_engine::template::{check, job_placeholders, placeholders};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Keys from a small alphabet, so default and current collide often, including the
/// template's own section names.
pub(crate) fn key() -> impl Strategy<Value = String> {
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
pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("{{ a }}".to_string()),
        Just("x {{b}} {{  c  }}".to_string()),
        Just("{{ a.b[0] }}".to_string()),
        Just("{{ prefect.blocks.t.n }} {{ $E }}".to_string()),
        "[ab{} $.\t\né\"]{0,8}",
    ]
}

/// A JSON scalar: null, a bool, a small integer or a [`text`].
pub(crate) fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

/// Any JSON value, depth at most 4, sometimes holding arrays keyed by `name` (objects with
/// distinct string names, as Kubernetes containers), and sometimes almost keyed.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 4, |inner| {
        let named = (
            prop_oneof![Just("x"), Just("y"), Just("z")],
            prop::collection::vec((key(), inner.clone()), 0..3),
        )
            .prop_map(|(name, members)| {
                let mut object: Map<String, Value> = members.into_iter().collect();
                object.insert("name".into(), Value::from(name));
                Value::Object(object)
            });
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
            prop::collection::vec(named, 0..4).prop_map(Value::Array),
        ]
    })
}

/// A document outside the template's own sections (no `variables`, no
/// `job_configuration`) and without arrays keyed by `name`, from a tiny alphabet so that
/// base, default and current agree and differ often: the documents whose three-way merge
/// is exactly [`oracle::merge`].
pub(crate) fn plain_document() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        (0i64..2).prop_map(Value::from),
        Just(json!("x")),
    ];
    let key = prop_oneof![Just("a"), Just("b"), Just("c"), Just("a/~")].prop_map(String::from);
    let value = leaf.clone().prop_recursive(3, 24, 3, move |inner| {
        prop_oneof![
            prop::collection::vec(leaf.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    });
    let root = prop::collection::vec((prop_oneof![Just("a"), Just("b"), Just("c")], value), 0..4);
    root.prop_map(|members| {
        Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    })
}

/// A property schema of some kind, occasionally not an object at all.
pub(crate) fn property_schema() -> impl Strategy<Value = Value> {
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

/// A property name from a small alphabet.
pub(crate) fn name() -> impl Strategy<Value = String> {
    prop_oneof![Just("a"), Just("b"), Just("c"), Just("a.b[0]"), Just("$E")].prop_map(String::from)
}

/// A base job template, sometimes with a section replaced by arbitrary JSON.
pub(crate) fn template() -> impl Strategy<Value = Value> {
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
pub(crate) fn document() -> impl Strategy<Value = Value> {
    prop_oneof![3 => template(), 1 => json_value()]
}

/// Every pointer in `value` (pre-order, the root as ""), with its value.
pub(crate) fn pointers(value: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(value: &'a Value, pointer: String, out: &mut Vec<(String, &'a Value)>) {
        out.push((pointer.clone(), value));
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    walk(item, format!("{pointer}/{}", Pointer::escape(key)), out);
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
pub(crate) fn ancestors(pointer: &str) -> Vec<&str> {
    pointer
        .match_indices('/')
        .map(|(i, _)| &pointer[..i])
        .collect()
}

/// `template` without `variables.required` and without the `variables.properties` entries
/// `kept` does not define: the parts a three-way merge's clean-up (filtering `required`,
/// restoring variables still in use) never touches.
pub(crate) fn without_cleanup(template: &Value, kept: &Value) -> Value {
    let mut template = template.clone();
    let theirs = |section: &str| {
        kept.pointer(&format!("/variables/{section}"))
            .and_then(Value::as_object)
    };
    if let Some(Value::Object(variables)) = template.get_mut("variables") {
        variables.remove("required");
        if let Some(Value::Object(properties)) = variables.get_mut("properties") {
            let kept = theirs("properties");
            properties.retain(|name, _| kept.is_some_and(|kept| kept.contains_key(name)));
        }
        // Definitions a restored property references come back with it.
        for section in ["definitions", "$defs"] {
            let kept = theirs(section);
            if let Some(Value::Object(definitions)) = variables.get_mut(section) {
                definitions.retain(|name, _| kept.is_some_and(|kept| kept.contains_key(name)));
            }
            if kept.is_none()
                && variables
                    .get(section)
                    .is_some_and(|d| d.as_object().is_some_and(|d| d.is_empty()))
            {
                variables.remove(section);
            }
        }
    }
    template
}

/// Whether the three-way clean-up leaves `template` alone: its `required` (if an array) lists
/// distinct property names it defines, and its `job_configuration` uses only defined variables.
pub(crate) fn clean(template: &Value) -> bool {
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
pub(crate) fn required_of(template: &Value) -> Vec<Value> {
    template
        .pointer("/variables/required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The variables `base` defines in `variables.properties` that `current` does not (the
/// set difference of their names; none when either side has no properties object).
pub(crate) fn deleted_variables(base: &Value, current: &Value) -> Vec<String> {
    let names = |doc: &Value| -> Option<std::collections::BTreeSet<String>> {
        Some(
            doc["variables"]["properties"]
                .as_object()?
                .keys()
                .cloned()
                .collect(),
        )
    };
    match (names(base), names(current)) {
        (Some(base), Some(current)) => base.difference(&current).cloned().collect(),
        _ => Vec::new(),
    }
}

/// Whether `report` is the wiring of a variable new upstream (see `wire_new_variables` in
/// the engine): an `added` report in `job_configuration`, of the default's value there,
/// which uses a variable the default defines and the base does not. It is added where the
/// merge left nothing, whatever the base held there: a base may be inferred, and what it
/// held there need not be what the pool ever had. Its report names no base value.
pub(crate) fn wires_new_variable(
    report: &poolsync_engine::merge::Upstream,
    base: &Value,
    default: &Value,
) -> bool {
    let defines = |doc: &Value, name: &String| doc["variables"]["properties"].get(name).is_some();
    report.kind == poolsync_engine::merge::UpstreamKind::Added
        && report.base.is_none()
        && report.pointer.starts_with("/job_configuration/")
        && report.default.as_ref() == default.pointer(&report.pointer)
        && job_uses(&report.pointer, report.default.as_ref())
            .iter()
            .any(|name| defines(default, name) && !defines(base, name))
}

/// The placeholders the server counts in `value` found at `pointer`: none outside
/// `job_configuration`, and for a member below its top level, its key's too.
pub(crate) fn job_uses(pointer: &str, value: Option<&Value>) -> Vec<String> {
    let Some(value) = value else {
        return Vec::new();
    };
    if pointer == "/job_configuration" {
        return job_placeholders(value);
    }
    if !pointer.starts_with("/job_configuration/") {
        return Vec::new();
    }
    let mut names = placeholders(value);
    if pointer.split('/').count() > 3 {
        let key = pointer.rsplit('/').next().unwrap_or_default();
        let key = key.replace("~1", "/").replace("~0", "~");
        names.extend(placeholders(&Value::String(key)));
    }
    names
}

/// The names of the placeholders `check` reports undefined.
pub(crate) fn undefined_placeholders(template: &Value) -> Vec<String> {
    check(template)
        .iter()
        .filter(|v| v.message.starts_with("placeholder"))
        .filter_map(|v| {
            Some(
                v.message
                    .split("{{ ")
                    .nth(1)?
                    .split(" }}")
                    .next()?
                    .to_string(),
            )
        })
        .collect()
}

/// Whether `template` has non-empty `job_configuration` and `variables` objects, an object
/// `variables.properties`, and no undefined placeholder.
pub(crate) fn well_formed(template: &Value) -> bool {
    let object = |pointer: &str| template.pointer(pointer).and_then(Value::as_object);
    object("/job_configuration").is_some_and(|o| !o.is_empty())
        && object("/variables").is_some_and(|o| !o.is_empty())
        && object("/variables/properties").is_some()
        && undefined_placeholders(template).is_empty()
}

/// A template the server accepts: [`template`] with missing sections filled in and a
/// property for every placeholder it uses.
pub(crate) fn valid_template() -> impl Strategy<Value = Value> {
    template().prop_map(|mut template| {
        let filled = |value: Option<&Value>| {
            value
                .and_then(Value::as_object)
                .is_some_and(|o| !o.is_empty())
        };
        if !filled(template.get("job_configuration")) {
            template["job_configuration"] = json!({"command": "{{ a }}"});
        }
        if !template
            .pointer("/variables/properties")
            .is_some_and(Value::is_object)
        {
            template["variables"] = json!({"type": "object", "properties": {}});
        }
        let used = job_placeholders(&template["job_configuration"]);
        if let Some(Value::Object(properties)) = template.pointer_mut("/variables/properties") {
            for name in used {
                properties.entry(name).or_insert_with(|| json!({}));
            }
        }
        template
    })
}

/// Whether `value` is an array the schema merge keys by `name`: non-empty, every element an
/// object whose string `name` no other element has.
pub(crate) fn keyed(value: Option<&Value>) -> bool {
    let Some(items) = value
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
    else {
        return false;
    };
    let names: Vec<Option<&str>> = items
        .iter()
        .map(|item| item.get("name")?.as_str())
        .collect();
    names
        .iter()
        .enumerate()
        .all(|(i, name)| name.is_some() && !names[..i].contains(name))
}

/// Whether a three-way report at `pointer` lies inside arrays merged by name: at a proper
/// ancestor, default and current both hold keyed arrays and current differs from base.
pub(crate) fn under_keyed_merge(
    pointer: &str,
    base: &Value,
    default: &Value,
    current: &Value,
) -> bool {
    ancestors(pointer).into_iter().any(|at| {
        keyed(default.pointer(at))
            && keyed(current.pointer(at))
            && current.pointer(at) != base.pointer(at)
    })
}
