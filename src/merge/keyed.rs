//! Arrays keyed by `name`: Kubernetes containers, env and volumes, ECS containerDefinitions,
//! Cloud Run containers. Two such arrays merge element by element, matched by `name`.
//!
//! An array is keyed when it is non-empty and every element is an object whose `name` is a
//! string no other element has. Only two keyed arrays merge by name; any other pair (an empty
//! array, a duplicate name, a mixed array) stays atomic, as in jq. The merged array lists the
//! current template's elements in its order, then the elements only the default has, in the
//! default's order.

use super::three_way::{Walk, merge_value};
use serde_json::Value;

/// The names of a keyed array's elements, in order; `None` when the array is not keyed.
pub(super) fn names(items: &[Value]) -> Option<Vec<&str>> {
    if items.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = Vec::with_capacity(items.len());
    for item in items {
        let name = item.get("name")?.as_str()?;
        if names.contains(&name) {
            return None;
        }
        names.push(name);
    }
    Some(names)
}

/// The element named `name` of a keyed array, with its index.
fn find<'a>(names: &[&str], items: &'a [Value], name: &str) -> Option<(usize, &'a Value)> {
    let at = names.iter().position(|n| *n == name)?;
    items.get(at).map(|item| (at, item))
}

/// The two-way schema merge: jq's merge, except that two keyed arrays merge by name (each
/// pair of same-named elements recursively, the same way).
pub(super) fn merge_two(default: &Value, current: &Value) -> Value {
    match (default, current) {
        (Value::Object(default), Value::Object(current)) => {
            let mut out = default.clone();
            for (key, value) in current {
                let merged = match out.get(key) {
                    Some(base) => merge_two(base, value),
                    None => value.clone(),
                };
                out.insert(key.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(default), Value::Array(current)) => {
            let (Some(theirs), Some(ours)) = (names(default), names(current)) else {
                return Value::Array(current.clone());
            };
            let mut out: Vec<Value> = ours
                .iter()
                .zip(current)
                .map(|(name, item)| match find(&theirs, default, name) {
                    Some((_, base)) => merge_two(base, item),
                    None => item.clone(),
                })
                .collect();
            out.extend(
                theirs
                    .iter()
                    .zip(default)
                    .filter(|(name, _)| !ours.contains(name))
                    .map(|(_, item)| item.clone()),
            );
            Value::Array(out)
        }
        _ => current.clone(),
    }
}

/// The three-way merge of two keyed arrays at `pointer`, each element merged with the
/// base's element of the same name (none when the base is not a keyed array); `None` when
/// `default` or `current` is not keyed, so the caller treats the arrays as one value.
///
/// An element's reports are located by its index in the merged array; an element that is
/// not in it by its index in current (removed upstream) or in default (deleted by the user,
/// or not added because it uses a variable the user deleted).
pub(super) fn merge_three(
    base: Option<&Value>,
    default: &[Value],
    current: &[Value],
    pointer: &str,
    walk: &mut Walk,
) -> Option<Value> {
    let (theirs, ours) = (names(default)?, names(current)?);
    let base = base.and_then(Value::as_array).map(Vec::as_slice);
    let old = base.and_then(names).unwrap_or_default();
    let base = base.unwrap_or_default();
    let in_base = |name: &str| find(&old, base, name).map(|(_, item)| item);
    let mut out = Vec::new();
    for (at, (name, item)) in ours.iter().zip(current).enumerate() {
        let (b, d) = (in_base(name), find(&theirs, default, name).map(|f| f.1));
        // Removed upstream and untouched: it goes, so it keeps current's index.
        let index = if d.is_none() && b == Some(item) {
            at
        } else {
            out.len()
        };
        let here = format!("{pointer}/{index}");
        out.extend(merge_value(b, d, Some(item), &here, walk));
    }
    for (at, (name, item)) in theirs.iter().zip(default).enumerate() {
        if ours.contains(name) {
            continue;
        }
        let b = in_base(name);
        // Not added (deleted by the user, or holding a placeholder of a variable the user
        // deleted): it keeps default's index.
        let next = format!("{pointer}/{}", out.len());
        let added = b.is_none() && !walk.revives_deleted(&next, item, None);
        let index = if added { out.len() } else { at };
        let here = format!("{pointer}/{index}");
        out.extend(merge_value(b, Some(item), None, &here, walk));
    }
    Some(Value::Array(out))
}

#[cfg(test)]
#[path = "keyed_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "moved_tests.rs"]
mod moved_tests;
