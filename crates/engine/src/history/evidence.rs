//! Pure: one base from the evidence of every plausible origin of a pool.
//!
//! A single inferred candidate that differs from the pool's true origin turns each difference
//! into a decision: absent reads as deleted, different as customised. So the base a first
//! run merges from is put together key by key from every plausible origin (best first):
//! - a key the pool lacks is the user's deletion only if every plausible origin had it;
//!   otherwise the base lacks it too, so a key the new default has is an upstream addition;
//! - a value equal to some plausible origin's value is an untouched default (the base holds
//!   the pool's value, so the merge takes upstream's). A key the pool has that some plausible
//!   origin lacks, the best origin does not hold and the new default lacks too is kept: the
//!   base lacks it, as if the user added it (removing a possibly customised key on a guess is
//!   the worse mistake);
//! - anything else is a customisation: the base holds the best origin's value; except the
//!   annotations of a JSON Schema (`description`, `title`, `example`, `examples`), which
//!   users do not edit and each release rewrites: one no origin holds is a stale
//!   annotation of an origin poolsync does not know, and takes upstream's.
//!
//! Objects are decided key by key and arrays keyed by `name` element by element (as the
//! merge pairs them); other arrays are one value.

use crate::merge::keyed_names;
use crate::ordered::{self, InOrder, same};
use serde_json::{Map, Value};

/// Schema keywords that only annotate: upstream's text, not a setting.
const ANNOTATIONS: [&str; 4] = ["description", "title", "example", "examples"];

/// The base for `current` from `origins` (best first; `None` where an origin lacks the
/// value), given the new `default` there; `None`: the base lacks it.
pub(super) fn synthesize(
    current: Option<&Value>,
    origins: &[Option<&Value>],
    default: Option<&Value>,
) -> Option<Value> {
    decide(current, origins, default, Place::Root)
}

/// Where a value sits: the template itself, inside `variables` (under the member `key`),
/// or elsewhere.
#[derive(Clone, Copy)]
enum Place<'a> {
    Root,
    Variables(Option<&'a str>),
    Other,
}

impl<'a> Place<'a> {
    fn member(self, key: &'a str) -> Place<'a> {
        match self {
            Place::Root if key == "variables" => Place::Variables(None),
            Place::Variables(_) => Place::Variables(Some(key)),
            _ => Place::Other,
        }
    }

    /// Whether the value is a JSON Schema annotation inside `variables`.
    fn annotation(self) -> bool {
        matches!(self, Place::Variables(Some(key)) if ANNOTATIONS.contains(&key))
    }
}

/// [`synthesize`] at `place`.
fn decide(
    current: Option<&Value>,
    origins: &[Option<&Value>],
    default: Option<&Value>,
    place: Place<'_>,
) -> Option<Value> {
    let best = origins.iter().flatten().next().copied()?;
    let every = origins.iter().all(Option::is_some);
    let Some(current) = current else {
        // Deleted by the user only if every plausible origin had it.
        return every.then(|| best.clone());
    };
    if every && origins.iter().flatten().all(|o| same(o, current)) {
        return Some(current.clone());
    }
    match current {
        Value::Object(ours) => {
            let theirs: Vec<Option<&Map<String, Value>>> = origins
                .iter()
                .map(|o| o.and_then(Value::as_object))
                .collect();
            if theirs.iter().all(Option::is_none) {
                return Some(best.clone());
            }
            Some(Value::Object(objects(ours, &theirs, default, place)))
        }
        Value::Array(ours) if keyed_names(ours).is_some() => {
            let theirs: Vec<Option<&Vec<Value>>> = origins
                .iter()
                .map(|o| {
                    o.and_then(Value::as_array)
                        .filter(|a| keyed_names(a).is_some())
                })
                .collect();
            if theirs.iter().all(Option::is_none) {
                return Some(best.clone());
            }
            Some(Value::Array(arrays(ours, &theirs, default, place)))
        }
        // An untouched default. Kept (base absent) when upstream dropped it, the best origin
        // lacks it and some plausible origin never had it: the user may have added it.
        _ if origins.iter().flatten().any(|o| same(o, current)) => {
            let from_best = origins
                .first()
                .copied()
                .flatten()
                .is_some_and(|o| same(o, current));
            (every || from_best || default.is_some()).then(|| current.clone())
        }
        _ if place.annotation() => Some(current.clone()),
        _ => Some(best.clone()),
    }
}

/// Key by key: the best origin's keys first, then the other origins', then the pool's.
fn objects(
    ours: &Map<String, Value>,
    theirs: &[Option<&Map<String, Value>>],
    default: Option<&Value>,
    place: Place<'_>,
) -> Map<String, Value> {
    let mut keys: Vec<&String> = Vec::new();
    for map in theirs.iter().flatten().copied().chain([ours]) {
        for key in map.keys() {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    // Looked up in step: the keys mostly come in each map's own order.
    let mut lookups: Vec<Option<InOrder<'_>>> =
        theirs.iter().map(|m| m.map(InOrder::new)).collect();
    let (mut mine, mut defaults) = (InOrder::new(ours), InOrder::of(default));
    let mut out = Map::new();
    let mut origins: Vec<Option<&Value>> = Vec::with_capacity(theirs.len());
    for key in keys {
        origins.clear();
        origins.extend(lookups.iter_mut().map(|m| ordered::get(m, key)));
        let default = ordered::get(&mut defaults, key);
        if let Some(value) = decide(mine.get(key), &origins, default, place.member(key)) {
            out.insert(key.clone(), value);
        }
    }
    out
}

/// Element by element, paired by `name`: the pool's elements in its order, then the ones
/// only origins have.
fn arrays<'a>(
    ours: &'a [Value],
    theirs: &[Option<&'a Vec<Value>>],
    default: Option<&'a Value>,
    place: Place<'_>,
) -> Vec<Value> {
    let named = |items: &'a [Value], name: &str| -> Option<&'a Value> {
        items
            .iter()
            .find(|item| item.get("name").and_then(Value::as_str) == Some(name))
    };
    let mut names: Vec<String> = Vec::new();
    for items in theirs.iter().flatten().map(|a| a.as_slice()).chain([ours]) {
        for name in items.iter().filter_map(|i| i.get("name")?.as_str()) {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    // The pool's elements first, in its order.
    names.sort_by_key(|name| {
        ours.iter()
            .position(|i| i.get("name").and_then(Value::as_str) == Some(name))
            .unwrap_or(usize::MAX)
    });
    let default_items = default.and_then(Value::as_array);
    names
        .iter()
        .filter_map(|name| {
            let origins: Vec<Option<&Value>> = theirs
                .iter()
                .map(|a| a.and_then(|a| named(a, name)))
                .collect();
            let mine = named(ours, name);
            let default = default_items.and_then(|d| named(d, name));
            let place = match place {
                Place::Variables(_) => Place::Variables(None),
                other => other,
            };
            decide(mine, &origins, default, place)
        })
        .collect()
}

#[cfg(test)]
#[path = "evidence_tests.rs"]
mod tests;
