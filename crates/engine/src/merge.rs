//! Pure merging of a pool's current base job template into the latest default.
//! `jq` is exactly `jq -s '.[0] * .[1]'`; `schema` merges arrays keyed by `name` element by
//! element (see `merge/keyed.rs`) and adds `required` union and warnings.
//! [`merge3`] adds a base (the default last synced) to tell stale defaults from customisations.

mod kept_out;
mod keyed;
mod kind;
mod references;
mod three_way;
mod upstream;
mod wiring;

pub use three_way::merge3;

/// The names of a keyed array's elements (objects, each with a `name` no other element
/// has), in order; `None` when the array is not keyed. Such arrays merge by name.
pub(crate) fn keyed_names(items: &[Value]) -> Option<Vec<&str>> {
    keyed::names(items)
}
pub use kept_out::{HOW_TO_TAKE, KeptOut, Why};
pub use kind::kind;
use kind::kind_changes;
pub use upstream::{Upstream, UpstreamKind};

use crate::finding::Finding;
use crate::ordered::InOrder;
use crate::pointer::Pointer;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// How to merge the current template into the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// jq's merge with arrays keyed by `name` merged by name, plus `variables.required`
    /// union and schema warnings.
    #[default]
    Schema,
    /// Exactly `jq -s '.[0] * .[1]'` (default as base, current wins).
    Jq,
}

/// The merged template and what the merge noticed.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The merged template.
    pub template: Value,
    /// What the merge noticed that the user should look at (never blocking), in document
    /// order.
    pub warnings: Vec<Finding>,
    /// What upstream changed since the base, as [`merge3`] applied or kept it, in merge order;
    /// always empty for a two-way merge.
    pub upstream: Vec<Upstream>,
    /// Every key of the default the merged template lacks, and why.
    pub kept_out: Vec<KeptOut>,
}

/// `jq -s '.[0] * .[1]'`: objects merge recursively, anything else in `current` replaces.
///
/// Key order is jq's: `default`'s keys in their order, then the keys only `current` has, in
/// `current`'s order. `null`, arrays and scalars in `current` replace whatever `default` holds.
/// Deviation: when the two top-level values are not both objects this returns `current`;
/// jq errors instead (or multiplies two numbers, or repeats a string by a number).
pub fn jq_merge(default: &Value, current: &Value) -> Value {
    match (default, current) {
        (Value::Object(default), Value::Object(current)) => {
            let mut out = default.clone();
            for (key, value) in current {
                let merged = match out.get(key) {
                    Some(base @ Value::Object(_)) if value.is_object() => jq_merge(base, value),
                    _ => value.clone(),
                };
                // On an existing key `insert` keeps its position (indexmap), like jq.
                out.insert(key.clone(), merged);
            }
            Value::Object(out)
        }
        _ => current.clone(),
    }
}

/// Merges `current` into `default` with the given strategy.
///
/// [`Strategy::Jq`] is [`jq_merge`] with no warnings. [`Strategy::Schema`] is jq's merge
/// except that two arrays keyed by `name` merge element by element (`merge/keyed.rs`); it
/// then sets `variables.required` to the union of both sides' lists (current's names first),
/// keeps only names defined in the merged `variables.properties`, and warns about dropped
/// names, property schemas whose kind changed upstream (a widened `enum` is no change),
/// `null`s hiding default objects, `variables` holding both `definitions` and `$defs`, and
/// variables the default uses in `job_configuration` that the merged template defines but
/// does not use, and elements of a keyed array only the default has (added: new upstream,
/// or removed by the user).
pub fn merge(default: &Value, current: &Value, strategy: Strategy) -> Merged {
    let mut warnings = Vec::new();
    let mut template = match strategy {
        Strategy::Jq => jq_merge(default, current),
        Strategy::Schema => keyed::merge_two(default, current, "", &mut warnings),
    };
    if strategy == Strategy::Schema {
        if let (Value::Object(default), Value::Object(current)) = (default, current) {
            null_hides_object(default, current, &mut String::new(), &mut warnings);
        }
        kind_changes(default, current, &template, false, &mut warnings);
        union_required(default, current, &mut template, &mut warnings);
        both_definitions(&template, &mut warnings);
        wiring::unwired(default, &template, &mut warnings);
        // Stable sort: warnings at the same pointer keep the order they were found in.
        warnings.sort_by_cached_key(|w| document_position(&template, w.pointer.as_str()));
    }
    let kept_out = kept_out::kept_out(None, default, current, &template, &[]);
    Merged {
        template,
        warnings,
        upstream: Vec::new(),
        kept_out,
    }
}

/// Warns wherever `current` holds `null` at a key where `default` holds an object, walking
/// every pair of objects that jq merges recursively, and the elements of keyed arrays
/// (paired by name, as the schema strategy merges them). `pointer` is one buffer for the
/// whole walk, extended for each member and left as it was found.
fn null_hides_object(
    default: &Map<String, Value>,
    current: &Map<String, Value>,
    pointer: &mut String,
    out: &mut Vec<Finding>,
) {
    let len = pointer.len();
    let mut ours = InOrder::new(current);
    for (key, base) in default {
        let value = ours.get(key);
        // Only these pairs are looked into: the pointer is written for them alone.
        if !matches!(
            (base, value),
            (Value::Object(_), Some(Value::Null | Value::Object(_)))
                | (Value::Array(_), Some(Value::Array(_)))
        ) {
            continue;
        }
        pointer.push('/');
        pointer.push_str(&Pointer::escape(key));
        match (base, value) {
            (Value::Object(_), Some(Value::Null)) => out.push(Finding::notice(
                pointer.as_str(),
                "current value is null and hides the default object; to take the \
                          default, copy its value here (`poolsync default --type TYPE`)",
            )),
            (Value::Object(base), Some(Value::Object(value))) => {
                null_hides_object(base, value, pointer, out);
            }
            (Value::Array(base), Some(Value::Array(value))) => {
                let here = pointer.len();
                for paired in keyed::pair(None, base, value).into_iter().flatten() {
                    if let keyed::Paired::Current {
                        at,
                        item: Value::Object(item),
                        default: Some(Value::Object(theirs)),
                        ..
                    } = paired
                    {
                        // Writing to a String cannot fail.
                        let _ = write!(pointer, "/{at}");
                        null_hides_object(theirs, item, pointer, out);
                        pointer.truncate(here);
                    }
                }
            }
            _ => {}
        }
        pointer.truncate(len);
    }
}

/// `variables.properties` of a template, when it is an object.
fn properties(template: &Value) -> Option<&Map<String, Value>> {
    template.get("variables")?.get("properties")?.as_object()
}

/// The entries of `variables.required`, when it is an array.
fn required(template: &Value) -> Option<&Vec<Value>> {
    template.get("variables")?.get("required")?.as_array()
}

/// Sets `variables.required` of `merged` to the union of both sides' lists, current's first,
/// keeping only string names defined in the merged `variables.properties`. Writes nothing
/// when neither side has a `required` array or `variables` is not an object.
fn union_required(default: &Value, current: &Value, merged: &mut Value, out: &mut Vec<Finding>) {
    let (ours, base) = (required(current), required(default));
    if (ours.is_none() && base.is_none()) || !merged.get("variables").is_some_and(Value::is_object)
    {
        return;
    }
    let names = keep_defined(
        ours.into_iter().chain(base).flatten(),
        properties(merged),
        out,
    );
    if let Some(Value::Object(variables)) = merged.get_mut("variables") {
        variables.insert("required".into(), Value::Array(names));
    }
}

/// The `required` entries that are string names defined in `defined`, first occurrence
/// only, in order; warns at `/variables/required` for each entry dropped otherwise.
fn keep_defined<'a>(
    entries: impl IntoIterator<Item = &'a Value>,
    defined: Option<&Map<String, Value>>,
    out: &mut Vec<Finding>,
) -> Vec<Value> {
    let mut names: Vec<Value> = Vec::new();
    for entry in entries {
        if names.contains(entry) {
            continue;
        }
        match entry.as_str() {
            Some(name) if defined.is_some_and(|p| p.contains_key(name)) => {
                names.push(entry.clone());
            }
            Some(name) => out.push(Finding::notice(
                "/variables/required",
                format!(
                    "required variable {name:?} is not defined in variables.properties and was \
                     dropped from required; add the property to keep it required"
                ),
            )),
            None => out.push(Finding::notice(
                "/variables/required",
                format!(
                    "required entry {entry} is not a property name and was dropped; list \
                     property names only"
                ),
            )),
        }
    }
    names
}

/// Warns when the merged `variables` holds both `definitions` and `$defs`.
fn both_definitions(merged: &Value, out: &mut Vec<Finding>) {
    let Some(variables) = merged.get("variables").and_then(Value::as_object) else {
        return;
    };
    if variables.contains_key("definitions") && variables.contains_key("$defs") {
        out.push(Finding::notice(
            "/variables",
            "variables has both \"definitions\" and \"$defs\"; a $ref may resolve to \
                      the wrong one, move every definition under one of them and fix the $refs",
        ));
    }
}

/// Where `pointer` sits in a pre-order walk of `root`: the index of each step among its
/// siblings; a missing step sorts last. Sorting by it gives document order.
fn document_position(root: &Value, pointer: &str) -> Vec<usize> {
    let mut position = Vec::new();
    let mut node = Some(root);
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let step = match node {
            Some(Value::Object(map)) => map
                .iter()
                .enumerate()
                .find(|(_, (key, _))| **key == token)
                .map(|(i, (_, v))| (i, v)),
            Some(Value::Array(items)) => token
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).map(|v| (i, v))),
            _ => None,
        };
        position.push(step.map_or(usize::MAX, |(i, _)| i));
        node = step.map(|(_, v)| v);
    }
    position
}

#[cfg(test)]
#[path = "merge/tests.rs"]
mod tests;

#[cfg(test)]
#[path = "merge/jq_tests.rs"]
mod jq_tests;
