//! Pure: a template as features, for telling which released default a pool came from.
//!
//! Each variable's schema without its `default` (`/variables/properties/NAME`) is one feature
//! (deleting a variable is one edit, however many leaves its schema has) and its `default`
//! another (what users customise); every other leaf of `variables` and `job_configuration`
//! is one feature by its JSON pointer.

use crate::pointer::Pointer;
use ahash::AHashMap;
use serde_json::Value;
use std::fmt::Write as _;

/// A template's features: JSON pointer -> value (a released default's, worked out once per
/// process and numbered by `index.rs`; a pool's are looked up there, borrowed).
/// Hashed with aHash (SipHash was a tenth of a dry run's CPU), keyed at random as SipHash
/// is, since a template's keys are the server's to choose.
pub(super) type Features = AHashMap<String, Value>;

/// The features of `template`.
pub(super) fn features(template: &Value) -> Features {
    let mut out = AHashMap::new();
    walk(template, &mut String::new(), &mut out);
    out
}

/// Adds the features of `value`, found at pointer `at` (which it extends while it walks
/// and leaves as it found it: one buffer for every pointer, allocated only for a feature).
fn walk(value: &Value, at: &mut String, out: &mut Features) {
    let variable = variable(at).is_some();
    match value {
        Value::Object(schema) if variable => {
            if let Some(default) = schema.get("default") {
                out.insert(format!("{at}/default"), default.clone());
            }
            // In the schema's order, so a pool's schema compares with it in step.
            let rest = schema.iter().filter(|(key, _)| *key != "default");
            let rest = rest.map(|(key, v)| (key.clone(), v.clone())).collect();
            out.insert(at.clone(), Value::Object(rest));
        }
        _ if variable => {
            out.insert(at.clone(), value.clone());
        }
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&Pointer::escape(key));
                walk(v, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                let len = at.len();
                // Writing to a String cannot fail.
                let _ = write!(at, "/{i}");
                walk(v, at, out);
                at.truncate(len);
            }
        }
        leaf => {
            out.insert(at.clone(), leaf.clone());
        }
    }
}

/// How a candidate's features compare with a pool's, by the candidate's features (worked
/// out by `index.rs`, by feature number: a fit is worked out for every candidate of every
/// pool; its lists are lists, each feature once, since only the few plausible candidates are
/// ever compared as sets).
#[derive(Debug, Clone, Default)]
pub(super) struct Fit {
    /// The candidate's features the pool holds equal.
    pub matched: Vec<usize>,
    /// The pool's features the candidate lacks (the user's additions, or a newer origin's).
    pub extra: usize,
    /// The candidate's features the pool lacks (the user's deletions, or what the origin
    /// never had).
    pub lacking: usize,
    /// The variables the candidate and the pool both define (by their schema's feature).
    pub shared_variables: Vec<usize>,
}

impl Fit {
    /// How well the candidate explains the pool: matched features, less the pool's features
    /// it cannot account for.
    pub(super) fn rank(&self) -> i64 {
        self.matched.len() as i64 - self.extra as i64
    }
}

/// The variable a feature's pointer names, when it is a variable's schema.
pub(super) fn variable(pointer: &str) -> Option<&str> {
    pointer
        .strip_prefix("/variables/properties/")
        .filter(|name| !name.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::super::index::Index;
    use super::*;
    use serde_json::json;

    #[test]
    fn a_variable_is_one_feature_and_fit_counts_both_ways() {
        let pool = json!({"variables": {"properties": {"a": {"type": "string", "default": "x"}, "mine": {}}},
                          "job_configuration": {"a": "{{ a }}"}});
        let candidate = json!({"variables": {"properties": {"a": {"default": "x", "type": "string"}, "b": {"type": "string"}}},
                               "job_configuration": {"a": "{{ a }}", "b": "{{ b }}"}});
        assert_eq!(features(&candidate).len(), 5);
        let index = Index::new([&candidate]);
        let found = index.fit(0, &index.pool(&pool));
        assert_eq!(found.matched.len(), 3, "{found:?}");
        assert_eq!(found.extra, 1, "the pool's own variable");
        assert_eq!(found.lacking, 2, "b and its placeholder");
        assert_eq!(found.shared_variables.len(), 1, "a");
        assert_eq!(found.rank(), 2);
    }
}
