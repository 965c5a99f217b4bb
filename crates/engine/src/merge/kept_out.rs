//! What of the new default a merge left out, and why: no decision kept silent.
//!
//! A three-way merge leaves a key of the default out when it reads the pool's lack of it as
//! the user's deletion, or when both sides changed it. Each such key is named with its
//! reason, so a user whose pool simply never had it can take it (`--base none`, `--base
//! FILE`). Objects are walked key by key and arrays keyed by `name` element by element; a
//! missing key is reported once, not for each key inside it.

use super::keyed_names;
use super::upstream::{Upstream, UpstreamKind};
use crate::ordered::{self, InOrder};
use crate::pointer::Pointer;
use serde::Serialize;
use serde_json::Value;
use std::fmt::{self, Write as _};

/// Why a key of the new default is not in the merged template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The base had it and the pool does not: read as the user's deletion.
    Deleted,
    /// The user deleted it and upstream changed it.
    Conflict,
    /// It uses a variable the user deleted.
    UsesDeleted,
    /// The pool lacks it for another reason (e.g. a value of the user's own type there).
    Other,
}

/// One key of the new default the merged template lacks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeptOut {
    /// JSON pointer in the new default (array indices are the default's).
    pub pointer: Pointer,
    /// Why it was left out.
    pub why: Why,
    /// The default's value there.
    pub default: Value,
}

impl fmt::Display for KeptOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.why {
            Why::Deleted => "the base has it and your pool does not, so it reads as your deletion",
            Why::Conflict => "you deleted it and upstream changed it (a conflict)",
            Why::UsesDeleted => "it uses a variable you deleted",
            Why::Other => "your pool holds something else there",
        };
        write!(f, "{}: {why}", self.pointer)
    }
}

/// How to take what was kept out, printed once after the list.
pub const HOW_TO_TAKE: &str = "to take these, rerun with --base none (a two-way merge takes every \
     key of the default) or --base FILE (the template the pool was made from)";

/// Every key of `default` that `merged` lacks, with the reason, from the `base` (none: a
/// two-way merge), `current` and the merge's `upstream` reports.
pub(super) fn kept_out(
    base: Option<&Value>,
    default: &Value,
    current: &Value,
    merged: &Value,
    upstream: &[Upstream],
) -> Vec<KeptOut> {
    let mut out = Vec::new();
    let sides = Sides {
        base,
        current: Some(current),
    };
    walk(
        default,
        merged,
        sides,
        &mut String::new(),
        upstream,
        &mut out,
    );
    out
}

/// The base's and current's values at the same place, when they have one.
#[derive(Clone, Copy)]
struct Sides<'a> {
    base: Option<&'a Value>,
    current: Option<&'a Value>,
}

impl<'a> Sides<'a> {
    fn named(self, name: &Value) -> Sides<'a> {
        let find = |side: Option<&'a Value>| {
            side.and_then(Value::as_array)?
                .iter()
                .find(|i| i.get("name") == Some(name))
        };
        Sides {
            base: find(self.base),
            current: find(self.current),
        }
    }
}

/// Adds to `out` what of `default` (at `pointer`: one buffer for the whole walk, extended
/// for each member and left as it was found) `merged` lacks. Keys are looked up in step
/// (see `ordered.rs`): the templates mostly list them alike.
fn walk(
    default: &Value,
    merged: &Value,
    sides: Sides<'_>,
    pointer: &mut String,
    upstream: &[Upstream],
    out: &mut Vec<KeptOut>,
) {
    let len = pointer.len();
    match (default, merged) {
        (Value::Object(theirs), Value::Object(ours)) => {
            let mut mine = InOrder::new(ours);
            let (mut base, mut current) = (InOrder::of(sides.base), InOrder::of(sides.current));
            for (key, value) in theirs {
                pointer.push('/');
                pointer.push_str(&Pointer::escape(key));
                let sides = Sides {
                    base: ordered::get(&mut base, key),
                    current: ordered::get(&mut current, key),
                };
                match mine.get(key) {
                    Some(mine) => walk(value, mine, sides, pointer, upstream, out),
                    None => out.push(classify(value, sides, pointer.clone(), upstream)),
                }
                pointer.truncate(len);
            }
        }
        (Value::Array(theirs), Value::Array(ours))
            if keyed_names(theirs).is_some() && keyed_names(ours).is_some() =>
        {
            for (at, item) in theirs.iter().enumerate() {
                let Some(name) = item.get("name") else {
                    continue;
                };
                // Writing to a String cannot fail.
                let _ = write!(pointer, "/{at}");
                match ours.iter().find(|m| m.get("name") == Some(name)) {
                    Some(mine) => walk(item, mine, sides.named(name), pointer, upstream, out),
                    None => out.push(classify(item, sides.named(name), pointer.clone(), upstream)),
                }
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn classify(default: &Value, sides: Sides<'_>, pointer: String, upstream: &[Upstream]) -> KeptOut {
    let conflict = upstream
        .iter()
        .any(|u| u.kind == UpstreamKind::Conflict && u.pointer == pointer);
    let why = match (sides.base, sides.current) {
        (None, None) if conflict => Why::UsesDeleted,
        _ if conflict => Why::Conflict,
        (Some(_), None) => Why::Deleted,
        (None, None) => Why::UsesDeleted,
        _ => Why::Other,
    };
    KeptOut {
        pointer: pointer.into(),
        why,
        default: default.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_deletion_against_the_base_is_named() {
        let base = json!({"variables": {"properties": {"a": {}, "cpu": {}}}});
        let current = json!({"variables": {"properties": {"a": {}}}});
        let default = json!({"variables": {"properties": {"a": {}, "cpu": {"type": "string"}}}});
        let merged = current.clone();
        let found = kept_out(Some(&base), &default, &current, &merged, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pointer, "/variables/properties/cpu");
        assert_eq!(found[0].why, Why::Deleted);
        assert!(found[0].to_string().contains("reads as your deletion"));
    }

    #[test]
    fn keyed_elements_are_reported_once_by_the_defaults_index() {
        let default = json!({"c": [{"name": "x"}, {"name": "y", "env": [1]}]});
        let current = json!({"c": [{"name": "x"}]});
        let found = kept_out(Some(&default), &default, &current, &current, &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pointer, "/c/1");
    }

    #[test]
    fn a_conflict_and_a_moved_placeholder_say_so() {
        let upstream = |pointer: &str| Upstream {
            pointer: pointer.into(),
            kind: UpstreamKind::Conflict,
            base: None,
            default: None,
            current: None,
        };
        let base = json!({"a": 1});
        let default = json!({"a": 2, "b": "{{ gone }}"});
        let current = json!({});
        let found = kept_out(
            Some(&base),
            &default,
            &current,
            &current,
            &[upstream("/a"), upstream("/b")],
        );
        let whys: Vec<Why> = found.iter().map(|k| k.why).collect();
        assert_eq!(whys, [Why::Conflict, Why::UsesDeleted]);
    }

    #[test]
    fn nothing_left_out_nothing_reported() {
        let default = json!({"a": {"b": 1}});
        let merged = json!({"a": {"b": 2}, "c": 3});
        assert!(kept_out(None, &default, &merged, &merged, &[]).is_empty());
    }
}
