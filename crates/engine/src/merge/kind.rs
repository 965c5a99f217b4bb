//! The kind of a property schema (its type, combinators, `$ref`, `enum`), and the warnings
//! for properties whose kind changed upstream.

use super::properties;
use crate::finding::Finding;
use crate::ordered::{same_objects, same_option};
use crate::pointer::Pointer;
use serde_json::{Map, Value};

/// Warns for every property defined as an object on both sides whose kind differs; with
/// `three_way`, only where the merged schema's kind is not the default's (the user's change
/// survived), since there an untouched property simply takes the default.
pub(super) fn kind_changes(
    default: &Value,
    current: &Value,
    merged: &Value,
    three_way: bool,
    out: &mut Vec<Finding>,
) {
    let (Some(base), Some(ours)) = (properties(default), properties(current)) else {
        return;
    };
    for (name, base) in base {
        let (Some(base), Some(Value::Object(ours))) = (base.as_object(), ours.get(name)) else {
            continue;
        };
        // Equal, or equal in every keyword `kind` reads: the same kind, told without writing
        // it out (most properties are untouched, or only their `default` differs).
        if same_objects(base, ours)
            || KEYWORDS
                .iter()
                .all(|k| same_option(base.get(*k), ours.get(*k)))
        {
            continue;
        }
        let (was, now) = (kind(base), kind(ours));
        if was == now || widened(base, ours) {
            continue;
        }
        let mixed = properties(merged)
            .and_then(|p| p.get(name))
            .and_then(Value::as_object)
            .map(kind);
        if three_way && mixed.as_ref() == Some(&was) {
            continue;
        }
        let mixed = mixed.filter(|merged| *merged != now);
        let outcome = match mixed {
            None => "the current schema was kept, review it".to_string(),
            Some(mixed) => format!("the merged schema mixes both ({mixed}), review it"),
        };
        out.push(Finding::notice(
            format!("/variables/properties/{}", Pointer::escape(name)),
            format!(
                "property {name:?} changed kind upstream (default: {was}; current: {now}); \
                 {outcome}"
            ),
        ));
    }
}

/// The kind of a property schema: its `type`, `anyOf`/`allOf`/`oneOf` branches (each by
/// `$ref` or `type`), `$ref` and `enum`, described as text (equal text, equal kind).
pub fn kind(schema: &Map<String, Value>) -> String {
    let mut parts = Vec::new();
    if let Some(ty) = schema.get("type") {
        parts.push(format!("type {}", compact(ty)));
    }
    for combinator in COMBINATORS {
        if let Some(branches) = schema.get(combinator) {
            let summary = match branches.as_array() {
                Some(branches) => {
                    let names: Vec<String> = branches.iter().map(branch).collect();
                    format!("[{}]", names.join(", "))
                }
                None => compact(branches),
            };
            parts.push(format!("{combinator} {summary}"));
        }
    }
    if let Some(reference) = schema.get("$ref") {
        parts.push(format!("$ref {}", compact(reference)));
    }
    if let Some(values) = schema.get("enum") {
        parts.push(format!("enum {values}"));
    }
    if parts.is_empty() {
        "any value".into()
    } else {
        parts.join(", ")
    }
}

/// Whether `base` is `ours` with values added to its `enum`s and nothing else changed in
/// its kind: the same kind without the `enum`s, each of ours's `enum`s a subset of base's.
fn widened(base: &Map<String, Value>, ours: &Map<String, Value>) -> bool {
    let (theirs, mine) = (enums(base), enums(ours));
    theirs.len() == mine.len()
        && !theirs.is_empty()
        && kind(&without_enums(base)) == kind(&without_enums(ours))
        && theirs
            .iter()
            .zip(&mine)
            .all(|(theirs, mine)| mine.iter().all(|value| theirs.contains(value)))
}

/// The combinators whose branches [`kind`] describes.
const COMBINATORS: [&str; 3] = ["anyOf", "allOf", "oneOf"];

/// Every keyword [`kind`] reads.
const KEYWORDS: [&str; 6] = ["type", "anyOf", "allOf", "oneOf", "$ref", "enum"];

/// The `enum` arrays of a schema and of its combinators' branches, in [`kind`]'s order.
fn enums(schema: &Map<String, Value>) -> Vec<&Vec<Value>> {
    let branches = COMBINATORS
        .iter()
        .filter_map(|c| schema.get(*c)?.as_array())
        .flatten()
        .filter_map(|branch| branch.get("enum")?.as_array());
    schema
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .chain(branches)
        .collect()
}

/// A schema without its `enum`s and its combinators' branches' `enum`s.
fn without_enums(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut schema = schema.clone();
    schema.remove("enum");
    for combinator in COMBINATORS {
        if let Some(Value::Array(branches)) = schema.get_mut(combinator) {
            for branch in branches.iter_mut().filter_map(Value::as_object_mut) {
                branch.remove("enum");
            }
        }
    }
    schema
}

/// One branch of a combinator, by `$ref`, else `type`, else `enum`, else `schema`.
fn branch(schema: &Value) -> String {
    let field = |name| schema.get(name).map(compact);
    field("$ref")
        .or_else(|| field("type"))
        .or_else(|| schema.get("enum").map(|e| format!("enum {e}")))
        .unwrap_or_else(|| "schema".into())
}

/// A string as itself, anything else as compact JSON.
fn compact(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(compact).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}
