//! Pure: comparing JSON objects, and looking keys up in them, when their keys mostly come in
//! the same order.
//!
//! serde_json's `Map` (an `IndexMap` with SipHash, under `preserve_order`) compares two
//! objects by hashing every key of one to find it in the other, and every `get` hashes its
//! key. A pool's template and the released defaults it is compared with list their keys
//! alike (one was made from the other), so walking both in step costs one string comparison
//! per key; only keys out of step are hashed. Results are exactly serde_json's.

use serde_json::map::Iter;
use serde_json::{Map, Value};

/// `a == b`, with objects compared in step while their keys come in the same order.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => same_objects(a, b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        _ => a == b,
    }
}

/// `a == b` for two optional values (`None`: absent), as [`same`].
pub(crate) fn same_option(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// `a == b` for two objects: equal sizes, and each key of `a` in `b` with an equal value.
pub(crate) fn same_objects(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut theirs = b.iter();
    let mut ours = a.iter();
    for (key, value) in ours.by_ref() {
        match theirs.next() {
            Some((k, v)) if k == key => {
                if !same(value, v) {
                    return false;
                }
            }
            // Out of step: the rest of `a` (this key too) is looked up.
            _ => {
                return b.get(key).is_some_and(|v| same(value, v))
                    && ours.all(|(k, value)| b.get(k).is_some_and(|v| same(value, v)));
            }
        }
    }
    true
}

/// Whether `ours` without its member `skip` equals `theirs` (which lacks `skip`): `ours`
/// with `skip` removed `== theirs`, without building that copy.
pub(crate) fn same_without(
    ours: &Map<String, Value>,
    skip: &str,
    theirs: &Map<String, Value>,
) -> bool {
    let mut rest = theirs.iter();
    for (key, value) in ours {
        if key == skip {
            continue;
        }
        match rest.next() {
            Some((k, v)) if k == key => {
                if !same(value, v) {
                    return false;
                }
            }
            _ => {
                let skipped = usize::from(ours.contains_key(skip));
                return theirs.len() + skipped == ours.len()
                    && !theirs.contains_key(skip)
                    && theirs
                        .iter()
                        .all(|(k, v)| ours.get(k).is_some_and(|value| same(value, v)));
            }
        }
    }
    rest.next().is_none()
}

/// How many entries past the last key found [`InOrder::get`] tries before hashing: a key
/// the other side added or dropped puts the two out of step by one.
const LOOKAHEAD: usize = 3;

/// Looks keys up in one object, expecting them in (mostly) its own order.
#[derive(Clone)]
pub(crate) struct InOrder<'a> {
    map: &'a Map<String, Value>,
    /// The entries after the last one found in step.
    rest: Iter<'a>,
}

impl<'a> InOrder<'a> {
    /// Lookups in `map`, from its first key.
    pub(crate) fn new(map: &'a Map<String, Value>) -> InOrder<'a> {
        InOrder {
            map,
            rest: map.iter(),
        }
    }

    /// Lookups in `value` when it is an object; none otherwise.
    pub(crate) fn of(value: Option<&'a Value>) -> Option<InOrder<'a>> {
        value.and_then(Value::as_object).map(InOrder::new)
    }

    /// `map.get(key)`: one of the next few entries when it is there, else hashed.
    pub(crate) fn get(&mut self, key: &str) -> Option<&'a Value> {
        let mut ahead = self.rest.clone();
        for _ in 0..LOOKAHEAD {
            match ahead.next() {
                Some((k, v)) if k == key => {
                    self.rest = ahead;
                    return Some(v);
                }
                Some(_) => {}
                None => break,
            }
        }
        self.map.get(key)
    }
}

/// [`InOrder::get`] on an optional object: `None` when there is none.
pub(crate) fn get<'a>(side: &mut Option<InOrder<'a>>, key: &str) -> Option<&'a Value> {
    side.as_mut().and_then(|s| s.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_is_equality_whatever_the_key_order() {
        let values = [
            json!({"a": 1, "b": {"c": [1, {"d": 2}]}}),
            json!({"b": {"c": [1, {"d": 2}]}, "a": 1}),
            json!({"a": 1, "b": {"c": [1, {"d": 3}]}}),
            json!({"a": 1, "x": {"c": [1, {"d": 2}]}}),
            json!({"a": 1}),
            json!({"a": 1, "b": 2, "c": 3}),
            json!({"c": 3, "a": 1, "b": 2}),
            json!({"c": 3, "a": 1, "x": 2}),
            json!([1, 2]),
            json!(null),
        ];
        for a in &values {
            for b in &values {
                assert_eq!(same(a, b), a == b, "{a} {b}");
            }
        }
    }

    #[test]
    fn same_without_ignores_one_member() {
        let theirs = json!({"type": "string", "title": "T"});
        let theirs = theirs.as_object().expect("object");
        for (ours, equal) in [
            (
                json!({"type": "string", "default": "x", "title": "T"}),
                true,
            ),
            (json!({"title": "T", "type": "string"}), true),
            (json!({"default": 1, "title": "T", "type": "string"}), true),
            (json!({"type": "string", "default": "x"}), false),
            (
                json!({"type": "string", "title": "U", "default": "x"}),
                false,
            ),
            (json!({"type": "string", "title": "T", "x": 1}), false),
        ] {
            let ours = ours.as_object().expect("object");
            assert_eq!(same_without(ours, "default", theirs), equal, "{ours:?}");
        }
    }

    #[test]
    fn in_order_finds_what_get_finds() {
        let map = json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6});
        let map = map.as_object().expect("object");
        let keys = ["a", "x", "c", "b", "f", "e", "a", "zz", "d"];
        let mut lookups = InOrder::new(map);
        for key in keys {
            assert_eq!(lookups.get(key), map.get(key), "{key}");
        }
    }
}
