//! Arrays keyed by `name`: Kubernetes containers, env and volumes, ECS containerDefinitions,
//! Cloud Run containers. Two such arrays merge element by element, matched by `name`.
//!
//! An array is keyed when it is non-empty and every element is an object whose `name` is a
//! string no other element has. Only two keyed arrays merge by name; any other pair (an empty
//! array, a duplicate name, a mixed array) stays atomic, as in jq. The merged array lists the
//! current template's elements in its order, then the elements only the default has, in the
//! default's order.
//!
//! The two-way merge of such arrays is here; the three-way merge (`three_way.rs`) merges
//! the elements [`pair`] matches by name.

use crate::finding::Finding;
use crate::pointer::Pointer;
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

/// The two-way schema merge at `pointer`: jq's merge, except that two keyed arrays merge by
/// name (each pair of same-named elements recursively, the same way). Warns for each element
/// only the default has: new upstream, or removed or renamed by the user, which two-way
/// cannot tell apart.
pub(super) fn merge_two(
    default: &Value,
    current: &Value,
    pointer: &str,
    out: &mut Vec<Finding>,
) -> Value {
    match (default, current) {
        (Value::Object(default), Value::Object(current)) => {
            let mut merged = default.clone();
            for (key, value) in current {
                let here = format!("{pointer}/{}", Pointer::escape(key));
                let value = match merged.get(key) {
                    Some(base) => merge_two(base, value, &here, out),
                    None => value.clone(),
                };
                merged.insert(key.clone(), value);
            }
            Value::Object(merged)
        }
        (Value::Array(default), Value::Array(current)) => {
            let (Some(theirs), Some(ours)) = (names(default), names(current)) else {
                return Value::Array(current.clone());
            };
            let mut merged = Vec::new();
            for (name, item) in ours.iter().zip(current) {
                let here = format!("{pointer}/{}", merged.len());
                merged.push(match find(&theirs, default, name) {
                    Some((_, base)) => merge_two(base, item, &here, out),
                    None => item.clone(),
                });
            }
            for (name, item) in theirs.iter().zip(default) {
                if ours.contains(name) {
                    continue;
                }
                out.push(Finding::notice(
                    format!("{pointer}/{}", merged.len()),
                    format!(
                        "element {name:?} of the default was added to your array; if you \
                         removed or renamed it, remove it again, or merge three-way (--base) \
                         so a deletion stands"
                    ),
                ));
                merged.push(item.clone());
            }
            Value::Array(merged)
        }
        _ => current.clone(),
    }
}

/// An element of a keyed array, paired by name with the elements of the same name in the
/// other arrays of a three-way merge.
pub(super) enum Paired<'a> {
    /// Current's element at index `at`, with the base's and the default's of its name.
    Current {
        at: usize,
        item: &'a Value,
        base: Option<&'a Value>,
        default: Option<&'a Value>,
    },
    /// An element at index `at` that only the default has, with the base's of its name.
    OnlyDefault {
        at: usize,
        item: &'a Value,
        base: Option<&'a Value>,
    },
}

/// Pairs the elements of two keyed arrays, and the base's (none when the base is not a
/// keyed array), by name: current's elements in its order, then those only the default has,
/// in its order; `None` when `default` or `current` is not keyed.
pub(super) fn pair<'a>(
    base: Option<&'a Value>,
    default: &'a [Value],
    current: &'a [Value],
) -> Option<Vec<Paired<'a>>> {
    let (theirs, ours) = (names(default)?, names(current)?);
    let base = base.and_then(Value::as_array).map(Vec::as_slice);
    let old = base.and_then(names).unwrap_or_default();
    let base = base.unwrap_or_default();
    let in_base = |name: &str| find(&old, base, name).map(|(_, item)| item);
    let mut paired = Vec::with_capacity(ours.len() + theirs.len());
    for (at, (name, item)) in ours.iter().zip(current).enumerate() {
        paired.push(Paired::Current {
            at,
            item,
            base: in_base(name),
            default: find(&theirs, default, name).map(|(_, item)| item),
        });
    }
    for (at, (name, item)) in theirs.iter().zip(default).enumerate() {
        if !ours.contains(name) {
            paired.push(Paired::OnlyDefault {
                at,
                item,
                base: in_base(name),
            });
        }
    }
    Some(paired)
}

#[cfg(test)]
#[path = "keyed_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "released_tests.rs"]
mod released_tests;
