//! Reference-aware repairs after a three-way merge, so a guessed base cannot leave the merged
//! template half-upgraded:
//! - a `$ref` into `definitions`/`$defs` that a kept property still holds finds its
//!   definition (restored from the default, else from current): no dangling `$ref`;
//! - a variable new upstream (absent from the base) that the merged template defines is
//!   wired where the default wires it, when that place exists in the merged
//!   `job_configuration` and holds nothing yet: no new variable left unwired.

use super::keyed_names;
use super::properties;
use super::upstream::{Upstream, UpstreamKind};
use crate::finding::Finding;
use crate::pointer::Pointer;
use crate::template::{placeholders, uses};
use serde_json::{Map, Value};

/// The sections of `variables` a local `$ref` can point into.
const SECTIONS: [&str; 2] = ["definitions", "$defs"];

/// Restores every definition a `$ref` in the merged `variables` points at but the merged
/// template lacks, from `current`'s, with a warning naming it; a reference the default holds
/// too is the default's own (left as it is, for the checks to report).
pub(super) fn restore_definitions(
    default: &Value,
    current: &Value,
    merged: &mut Value,
    upstream: &mut Vec<Upstream>,
    out: &mut Vec<Finding>,
) {
    let mut refs = Vec::new();
    if let Some(variables) = merged.get("variables") {
        collect_refs(variables, &mut refs);
    }
    let mut theirs = Vec::new();
    if let Some(variables) = default.get("variables") {
        collect_refs(variables, &mut theirs);
    }
    refs.retain(|r| !theirs.contains(r));
    for (section, name) in refs {
        let pointer = format!("/variables/{section}/{}", Pointer::escape(&name));
        if merged.pointer(&pointer).is_some() {
            continue;
        }
        let Some(found) = current.pointer(&pointer).cloned() else {
            continue;
        };
        let Some(Value::Object(variables)) = merged.get_mut("variables") else {
            continue;
        };
        let entry = variables
            .entry(section.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(definitions) = entry {
            definitions.insert(name.clone(), found);
            unreport(upstream, &section, &name);
            out.push(Finding::notice(
                pointer,
                format!(
                    "definition {name:?} was kept because a property still references it \
                     (\"#/{section}/{name}\"); remove the reference first to drop it"
                ),
            ));
        }
    }
}

/// Drops the report that upstream removed the definition `name` of `section`, now kept; a
/// report of the whole section removed becomes one per definition still removed.
fn unreport(upstream: &mut Vec<Upstream>, section: &str, name: &str) {
    let whole = format!("/variables/{section}");
    let one = format!("{whole}/{}", Pointer::escape(name));
    let removed = |u: &Upstream, at: &str| u.kind == UpstreamKind::Removed && u.pointer == at;
    upstream.retain(|u| !removed(u, &one));
    let Some(at) = upstream.iter().position(|u| removed(u, &whole)) else {
        return;
    };
    let report = upstream.remove(at);
    let gone = |side: &Option<Value>, key: &str| side.as_ref().and_then(|s| s.get(key)).cloned();
    let names: Vec<String> = report
        .current
        .as_ref()
        .and_then(Value::as_object)
        .map(|d| d.keys().filter(|k| *k != name).cloned().collect())
        .unwrap_or_default();
    for (i, other) in names.into_iter().enumerate() {
        upstream.insert(
            at + i,
            Upstream {
                pointer: format!("{whole}/{}", Pointer::escape(&other)).into(),
                kind: UpstreamKind::Removed,
                base: gone(&report.base, &other),
                default: None,
                current: gone(&report.current, &other),
            },
        );
    }
}

/// Every local `$ref` (`#/definitions/NAME`, `#/$defs/NAME`) under `value`, once each.
fn collect_refs(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                for section in SECTIONS {
                    let prefix = format!("#/{section}/");
                    if let Some(name) = target.strip_prefix(&prefix) {
                        let name = name.replace("~1", "/").replace("~0", "~");
                        let found = (section.to_string(), name);
                        if !out.contains(&found) {
                            out.push(found);
                        }
                    }
                }
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Wires each variable the default defines and the base did not (new upstream) that the
/// merged template defines and its `job_configuration` never uses, where `default` uses it:
/// each place the default's value holds its placeholder and the merged template has nothing
/// yet is filled with the default's value, reported as `added upstream`.
pub(super) fn wire_new_variables(
    base: &Value,
    default: &Value,
    merged: &mut Value,
    upstream: &mut Vec<Upstream>,
    deleted: &[String],
) {
    let known = properties(base);
    let (Some(defined), Some(new)) = (properties(merged), properties(default)) else {
        return;
    };
    let Some(theirs) = default.get("job_configuration") else {
        return;
    };
    // Borrowed, not copied: only the job_configuration of `merged` changes below.
    let names: Vec<&String> = new
        .keys()
        .filter(|n| !known.is_some_and(|k| k.contains_key(*n)) && defined.contains_key(*n))
        .collect();
    // The placeholders the merged job_configuration uses, worked out again only after a
    // variable's wiring added to it.
    let mut used: Option<Vec<String>> = None;
    for name in names {
        let uses = used.get_or_insert_with(|| {
            merged
                .get("job_configuration")
                .map(placeholders)
                .unwrap_or_default()
        });
        if uses.contains(name) {
            continue;
        }
        if let Some(Value::Object(ours)) = merged.get_mut("job_configuration") {
            let mut fill = Fill {
                name,
                deleted,
                decided: upstream,
                found: Vec::new(),
            };
            fill.object(theirs.as_object(), ours, "/job_configuration");
            let found = fill.found;
            if !found.is_empty() {
                used = None;
            }
            upstream.extend(found);
        }
    }
}

/// One variable's wiring walk.
struct Fill<'a> {
    /// The variable to wire.
    name: &'a str,
    /// Variables the user deleted: a value using one is never added (the deletion stands).
    deleted: &'a [String],
    /// What the merge already decided (e.g. a conflict left out): not touched.
    decided: &'a [Upstream],
    /// What was added.
    found: Vec<Upstream>,
}

impl Fill<'_> {
    /// Fills, under `ours`, each member of `theirs` that uses the variable and `ours` lacks.
    fn object(
        &mut self,
        theirs: Option<&Map<String, Value>>,
        ours: &mut Map<String, Value>,
        pointer: &str,
    ) {
        for (key, value) in theirs.into_iter().flatten() {
            if !uses(value, self.name) {
                continue;
            }
            let here = format!("{pointer}/{}", Pointer::escape(key));
            match ours.get_mut(key) {
                None => {
                    let mut names = placeholders(value);
                    names.extend(placeholders(&Value::String(key.clone())));
                    let revives = names.iter().any(|n| self.deleted.contains(n));
                    let decided = self.decided.iter().any(|u| u.pointer.as_str() == here);
                    if revives || decided {
                        continue;
                    }
                    ours.insert(key.clone(), value.clone());
                    self.found.push(Upstream {
                        pointer: here.into(),
                        kind: UpstreamKind::Added,
                        base: None,
                        default: Some(value.clone()),
                        current: None,
                    });
                }
                Some(mine) => self.value(value, mine, &here),
            }
        }
    }

    /// Descends into two objects, or two keyed arrays element by element (by name).
    fn value(&mut self, theirs: &Value, ours: &mut Value, pointer: &str) {
        match (theirs, ours) {
            (Value::Object(theirs), Value::Object(ours)) => {
                self.object(Some(theirs), ours, pointer);
            }
            (Value::Array(theirs), Value::Array(ours))
                if keyed_names(theirs).is_some() && keyed_names(ours).is_some() =>
            {
                for item in theirs {
                    let Some(wanted) = item.get("name") else {
                        continue;
                    };
                    let Some((at, mine)) = ours
                        .iter_mut()
                        .enumerate()
                        .find(|(_, m)| m.get("name") == Some(wanted))
                    else {
                        continue;
                    };
                    self.value(item, mine, &format!("{pointer}/{at}"));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[path = "references_tests.rs"]
mod tests;
