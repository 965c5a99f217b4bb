//! Three-way merge against a base: the default template the pool was last synced from.
//!
//! With the base, a value the user never touched (current equals base) can take upstream's
//! new value or be removed with it, while a value the user changed is kept, and a value both
//! sides changed differently is kept and reported as a conflict.

use super::keyed::{self, Paired};
use super::upstream::{Upstream, UpstreamKind};
use super::{
    Merged, Strategy, both_definitions, document_position, keep_defined, kind_changes, merge,
    null_hides_object, properties, required,
};
use super::{kept_out, references, wiring};
use crate::finding::Finding;
use crate::ordered::{self, InOrder, same_option};
use crate::pointer::Pointer;
use crate::template::{job_placeholders, placeholders};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// Merges `current` into `default`, using `base` (the default `current` was last synced
/// from) to tell the user's changes from stale defaults.
///
/// Without a base, or with [`Strategy::Jq`] (which ignores the base), this is [`merge`].
/// Otherwise objects present in both `default` and `current` merge key by key (`default`'s
/// keys first, then `current`'s others), and two arrays keyed by `name` that the user changed
/// merge element by element, each with the base's element of the same name (see
/// `merge/keyed.rs`); anything else is one value, decided by: current equal to base (both
/// possibly absent) takes default's value, else current's is kept, and a default that
/// differs from both is a conflict. One exception: where taking default's value would add to
/// `job_configuration` a placeholder of a variable the user deleted (upstream moved or wired
/// it), the user's value is kept and reported as a conflict, so the deletion stands.
/// Afterwards a variable removed upstream that the merged `job_configuration` still uses is
/// restored from current with a warning, `variables.required` keeps only defined names, and
/// the schema warnings of [`merge`] apply, except where a conflict at the same pointer (or
/// inside the property, for a changed kind) already reports it.
pub fn merge3(
    base: Option<&Value>,
    default: &Value,
    current: &Value,
    strategy: Strategy,
) -> Merged {
    let Some(base) = base.filter(|_| strategy != Strategy::Jq) else {
        return merge(default, current, strategy);
    };
    let deleted = deleted_variables(base, current);
    let mut walk = Walk {
        deleted: deleted.clone(),
        upstream: Vec::new(),
    };
    let mut pointer = String::new();
    let merged = merge_value(
        Some(base),
        Some(default),
        Some(current),
        &mut pointer,
        &mut walk,
    );
    let mut upstream = walk.upstream;
    // Unreachable fallback: with current and default both present the result is one of them.
    let mut template = merged.unwrap_or_else(|| current.clone());
    let mut warnings = Vec::new();
    keep_used_variables(&mut template, &mut upstream, &mut warnings);
    references::restore_definitions(
        default,
        current,
        &mut template,
        &mut upstream,
        &mut warnings,
    );
    references::wire_new_variables(base, default, &mut template, &mut upstream, &deleted);
    if let (Value::Object(default), Value::Object(merged)) = (default, &template) {
        null_hides_object(default, merged, &mut String::new(), &mut warnings);
    }
    let mut kinds = Vec::new();
    kind_changes(default, current, &template, true, &mut kinds);
    // A conflict inside a property already tells of its kind change.
    kinds.retain(|w| !conflict_within(&upstream, w.pointer.as_str()));
    warnings.extend(kinds);
    filter_required(&mut template, &mut warnings);
    both_definitions(&template, &mut warnings);
    wiring::unwired(default, &template, &mut warnings);
    // One pointer, one report: a conflict there says it already.
    warnings.retain(|w| {
        !upstream
            .iter()
            .any(|u| is_conflict_at(u, w.pointer.as_str()))
    });
    warnings.sort_by_cached_key(|w| document_position(&template, w.pointer.as_str()));
    let kept_out = kept_out::kept_out(Some(base), default, current, &template, &upstream);
    Merged {
        template,
        warnings,
        upstream,
        kept_out,
    }
}

/// The state of one three-way walk: the variables the user deleted, and the reports.
struct Walk {
    /// Variables in the base's `variables.properties` that current's no longer has.
    deleted: Vec<String>,
    /// What upstream did, in merge order.
    upstream: Vec<Upstream>,
}

impl Walk {
    /// Whether taking `default` at `pointer` instead of `current` would add, inside
    /// `job_configuration`, a placeholder of a variable the user deleted (in the value, or in
    /// the member's key when current has no such member).
    fn revives_deleted(&self, pointer: &str, default: &Value, current: Option<&Value>) -> bool {
        let uses = |value: &Value| match pointer {
            "/job_configuration" => job_placeholders(value),
            _ if pointer.starts_with("/job_configuration/") => placeholders(value),
            _ => Vec::new(),
        };
        let before = current.map(uses).unwrap_or_default();
        let mut added = uses(default);
        // The server counts keys below job_configuration's own, as strings.
        if current.is_none()
            && pointer.starts_with("/job_configuration/")
            && pointer.split('/').count() > 3
            && let Some((_, key)) = pointer.rsplit_once('/')
        {
            let key = key.replace("~1", "/").replace("~0", "~");
            added.extend(placeholders(&Value::String(key)));
        }
        added
            .iter()
            .any(|name| self.deleted.contains(name) && !before.contains(name))
    }
}

/// The variables defined in the base's `variables.properties` but not in current's.
fn deleted_variables(base: &Value, current: &Value) -> Vec<String> {
    let (Some(base), Some(current)) = (properties(base), properties(current)) else {
        return Vec::new();
    };
    base.keys()
        .filter(|name| !current.contains_key(*name))
        .cloned()
        .collect()
}

/// Whether `report` is a conflict at `pointer`.
fn is_conflict_at(report: &Upstream, pointer: &str) -> bool {
    report.kind == UpstreamKind::Conflict && report.pointer == pointer
}

/// Whether a conflict lies at `pointer` or under it.
fn conflict_within(upstream: &[Upstream], pointer: &str) -> bool {
    upstream.iter().any(|u| {
        u.kind == UpstreamKind::Conflict
            && u.pointer
                .strip_prefix(pointer)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The merged value at `pointer` from the base, default and current values there (`None`:
/// absent), recording what upstream did in `walk`; `None` leaves the key out. `pointer` is
/// one buffer for the whole walk, extended for each member and left as it was found.
fn merge_value(
    base: Option<&Value>,
    default: Option<&Value>,
    current: Option<&Value>,
    pointer: &mut String,
    walk: &mut Walk,
) -> Option<Value> {
    match (default, current) {
        (Some(Value::Object(default)), Some(Value::Object(current))) => {
            let base = base.and_then(Value::as_object);
            return Some(Value::Object(merge_objects(
                base, default, current, pointer, walk,
            )));
        }
        // Untouched arrays take the default whole (its order too), below.
        (Some(Value::Array(default)), Some(Value::Array(items))) if !same_option(current, base) => {
            if let Some(merged) = merge_keyed(base, default, items, pointer, walk) {
                return Some(merged);
            }
        }
        _ => {}
    }
    let pointer = pointer.as_str();
    let untouched = same_option(current, base);
    let report = |kind| Upstream {
        pointer: pointer.into(),
        kind,
        base: base.cloned(),
        default: default.cloned(),
        current: current.cloned(),
    };
    if untouched
        && let Some(default) = default.filter(|d| !same_option(Some(d), base))
        && walk.revives_deleted(pointer, default, current)
    {
        // Upstream moved a placeholder of a variable the user deleted: the deletion stands.
        walk.upstream.push(report(UpstreamKind::Conflict));
        return current.cloned();
    }
    let out = &mut walk.upstream;
    if untouched {
        let kind = match (base, default) {
            _ if same_option(default, base) => None,
            (None, _) => Some(UpstreamKind::Added),
            (_, None) => Some(UpstreamKind::Removed),
            _ => Some(UpstreamKind::Updated),
        };
        out.extend(kind.map(report));
        default.cloned()
    } else {
        if !same_option(default, base) && !same_option(default, current) {
            out.push(report(UpstreamKind::Conflict));
        }
        current.cloned()
    }
}

/// The three-way merge of two keyed arrays at `pointer`, each element merged with the
/// base's element of the same name (none when the base is not a keyed array); `None` when
/// `default` or `current` is not keyed, so the caller treats the arrays as one value.
///
/// An element's reports are located by its index in the merged array; an element that is
/// not in it by its index in current (removed upstream) or in default (deleted by the user,
/// or not added because it uses a variable the user deleted).
fn merge_keyed(
    base: Option<&Value>,
    default: &[Value],
    current: &[Value],
    pointer: &mut String,
    walk: &mut Walk,
) -> Option<Value> {
    let mut out = Vec::new();
    let len = pointer.len();
    for paired in keyed::pair(base, default, current)? {
        let (b, d, c, index) = match paired {
            Paired::Current {
                at,
                item,
                base,
                default,
            } => {
                // Removed upstream and untouched: it goes, so it keeps current's index.
                let index = if default.is_none() && base == Some(item) {
                    at
                } else {
                    out.len()
                };
                (base, default, Some(item), index)
            }
            Paired::OnlyDefault { at, item, base } => {
                // Not added (deleted by the user, or holding a placeholder of a variable the
                // user deleted): it keeps default's index.
                // Writing to a String cannot fail.
                let _ = write!(pointer, "/{}", out.len());
                let added = base.is_none() && !walk.revives_deleted(pointer, item, None);
                pointer.truncate(len);
                let index = if added { out.len() } else { at };
                (base, Some(item), None, index)
            }
        };
        // Writing to a String cannot fail.
        let _ = write!(pointer, "/{index}");
        out.extend(merge_value(b, d, c, pointer, walk));
        pointer.truncate(len);
    }
    Some(Value::Array(out))
}

/// Merges two objects key by key: `default`'s keys in order, then `current`'s other keys.
/// The keys are looked up in step (see `ordered.rs`): the three mostly list them alike.
fn merge_objects(
    base: Option<&Map<String, Value>>,
    default: &Map<String, Value>,
    current: &Map<String, Value>,
    pointer: &mut String,
    walk: &mut Walk,
) -> Map<String, Value> {
    let mut merged = Map::with_capacity(default.len());
    let len = pointer.len();
    let (mut theirs, mut ours) = (base.map(InOrder::new), InOrder::new(current));
    for (key, d) in default {
        pointer.push('/');
        pointer.push_str(&Pointer::escape(key));
        let (b, c) = (ordered::get(&mut theirs, key), ours.get(key));
        if let Some(value) = merge_value(b, Some(d), c, pointer, walk) {
            merged.insert(key.clone(), value);
        }
        pointer.truncate(len);
    }
    let (mut theirs, mut known) = (base.map(InOrder::new), InOrder::new(default));
    for (key, c) in current {
        if known.get(key).is_some() {
            continue;
        }
        pointer.push('/');
        pointer.push_str(&Pointer::escape(key));
        let b = ordered::get(&mut theirs, key);
        if let Some(value) = merge_value(b, None, Some(c), pointer, walk) {
            merged.insert(key.clone(), value);
        }
        pointer.truncate(len);
    }
    merged
}

/// Restores every variable removed upstream that the merged `job_configuration` still uses
/// as a placeholder (appended to `variables.properties`), turning its report into a warning.
fn keep_used_variables(
    template: &mut Value,
    upstream: &mut Vec<Upstream>,
    warnings: &mut Vec<Finding>,
) {
    let used = template
        .get("job_configuration")
        .map(job_placeholders)
        .unwrap_or_default();
    for name in used {
        let pointer = format!("/variables/properties/{}", Pointer::escape(&name));
        let Some(at) = upstream
            .iter()
            .position(|u| u.kind == UpstreamKind::Removed && u.pointer == pointer)
        else {
            continue;
        };
        let Some(Value::Object(properties)) = template.pointer_mut("/variables/properties") else {
            continue;
        };
        let removed = upstream.remove(at);
        properties.insert(name.clone(), removed.current.unwrap_or_default());
        warnings.push(Finding::notice(
            pointer,
            format!(
                "variable {name:?} was removed upstream but kept, because job_configuration \
                 still uses \"{{{{ {name} }}}}\"; remove the placeholder, then the variable"
            ),
        ));
    }
}

/// Keeps only string names defined in the merged `variables.properties` in an array
/// `variables.required`, first occurrence only, warning for each dropped entry.
fn filter_required(template: &mut Value, out: &mut Vec<Finding>) {
    let Some(entries) = required(template) else {
        return;
    };
    let names = keep_defined(entries, properties(template), out);
    if let Some(Value::Object(variables)) = template.get_mut("variables") {
        variables.insert("required".into(), Value::Array(names));
    }
}

#[cfg(test)]
#[path = "three_way_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "three_way_variables_tests.rs"]
mod variables_tests;
