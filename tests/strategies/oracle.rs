//! The three-way merge as its specification states it, written from the rules and not from
//! `merge/three_way.rs`: per key, where `base` is what the pool was last synced from,
//! `theirs` the new default and `ours` the pool's current template,
//!
//! - base == ours (we did not touch it): take theirs;
//! - base == theirs (they did not touch it): keep ours;
//! - ours == theirs (the same change on both sides): keep ours;
//! - otherwise a conflict, and ours is kept.
//!
//! Where theirs and ours are both objects the rules apply key by key (theirs' keys first,
//! then ours' others). "Absent" is a value like any other: taking an absent value removes
//! the key. The template-specific steps after the walk (the clean-up of `variables`,
//! placeholders of deleted variables, arrays keyed by `name`) are not part of this oracle:
//! [`super::plain_document`] generates documents they leave alone.

use poolsync_engine::merge::UpstreamKind;
use serde_json::{Map, Value};

/// The value the rules keep for one key that is not an object on both sides.
pub(crate) fn pick(
    base: Option<&Value>,
    theirs: Option<&Value>,
    ours: Option<&Value>,
) -> Option<Value> {
    if base == ours { theirs } else { ours }.cloned()
}

/// What upstream did to one key that is not an object on both sides, as the report names
/// it; `None` when there is nothing to report (they did not touch it, or made our change).
pub(crate) fn kind(
    base: Option<&Value>,
    theirs: Option<&Value>,
    ours: Option<&Value>,
) -> Option<UpstreamKind> {
    if base == theirs || ours == theirs {
        None
    } else if base != ours {
        Some(UpstreamKind::Conflict)
    } else if base.is_none() {
        Some(UpstreamKind::Added)
    } else if theirs.is_none() {
        Some(UpstreamKind::Removed)
    } else {
        Some(UpstreamKind::Updated)
    }
}

/// The whole merge by the rules: the merged document (`None`: absent) and the pointers of
/// the conflicts, in document order.
pub(crate) fn merge(
    base: Option<&Value>,
    theirs: Option<&Value>,
    ours: Option<&Value>,
    pointer: &str,
    conflicts: &mut Vec<String>,
) -> Option<Value> {
    let (Some(Value::Object(t)), Some(Value::Object(o))) = (theirs, ours) else {
        if kind(base, theirs, ours) == Some(UpstreamKind::Conflict) {
            conflicts.push(pointer.to_string());
        }
        return pick(base, theirs, ours);
    };
    let b = base.and_then(Value::as_object);
    let mut merged = Map::new();
    for key in t.keys().chain(o.keys().filter(|k| !t.contains_key(*k))) {
        let at = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
        let base = b.and_then(|b| b.get(key));
        if let Some(value) = merge(base, t.get(key), o.get(key), &at, conflicts) {
            merged.insert(key.clone(), value);
        }
    }
    Some(Value::Object(merged))
}
