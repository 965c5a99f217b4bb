//! Pure: the released defaults of one pool type, numbered, so a pool is compared with each
//! of them by number rather than by pointer.
//!
//! Every pool is compared with every released default of its type twice: by features (see
//! `features.rs`) and by leaves ([`agreement`](super::infer::agreement)). Looking each of a
//! candidate's pointers up in the pool hashed one pointer per feature and per leaf of every
//! candidate. Here each distinct pointer of the type's candidates is numbered once (per
//! process); a pool's features and nodes are looked up once each ([`Index::pool`], borrowed,
//! not copied), and a candidate then reads the pool's value for each of its pointers by
//! number. The results are exactly those of the pointer lookups they replace.

use super::features::{self, Fit, variable};
use super::infer::Agreement;
use crate::ordered::{same, same_without};
use crate::pointer::Pointer;
use ahash::AHashMap;
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// The numbered features and leaves of one type's released defaults.
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    /// Each feature's pointer (see `features.rs`), numbered.
    features: AHashMap<String, usize>,
    /// Each leaf's path (see [`step`]), numbered.
    leaves: AHashMap<String, usize>,
    /// Per candidate (in the type's order), its features and leaves by number.
    candidates: Vec<Numbered>,
}

/// One candidate's features and leaves by number.
#[derive(Debug, Clone)]
struct Numbered {
    /// Feature number, value (a variable's schema without its `default`), and whether it is
    /// a variable's schema.
    features: Vec<(usize, Value, bool)>,
    /// Leaf number and value.
    leaves: Vec<(usize, Value)>,
}

/// A pool's feature, borrowed from its template.
#[derive(Debug, Clone, Copy)]
enum Feature<'a> {
    /// A leaf, a variable's `default`, or a variable whose schema is not an object.
    Value(&'a Value),
    /// A variable's schema; its `default` is a feature of its own, so it is left out.
    Schema(&'a Map<String, Value>),
}

impl Feature<'_> {
    /// Whether it equals a candidate's feature.
    fn equals(self, theirs: &Value) -> bool {
        match self {
            Feature::Value(mine) => same(mine, theirs),
            Feature::Schema(mine) => theirs
                .as_object()
                .is_some_and(|theirs| same_without(mine, "default", theirs)),
        }
    }
}

/// A pool's template, looked up once against an [`Index`]: its value for each numbered
/// feature and leaf path.
#[derive(Debug)]
pub(super) struct Pool<'a> {
    /// By feature number: the pool's feature there.
    features: Vec<Option<Feature<'a>>>,
    /// How many features the pool has, numbered or not.
    count: usize,
    /// By leaf number: the pool's value at that path (a leaf or not).
    nodes: Vec<Option<&'a Value>>,
}

impl Index {
    /// The index of `candidates` (one type's released defaults, in order).
    pub(super) fn new<'a>(candidates: impl IntoIterator<Item = &'a Value>) -> Index {
        let mut index = Index::default();
        for template in candidates {
            let mut features: Vec<(usize, Value, bool)> = features::features(template)
                .into_iter()
                .map(|(pointer, value)| {
                    let next = index.features.len();
                    let id = *index.features.entry(pointer.clone()).or_insert(next);
                    (id, value, variable(&pointer).is_some())
                })
                .collect();
            features.sort_by_key(|(id, _, _)| *id);
            let mut leaves = Vec::new();
            index.number_leaves(template, &mut String::new(), &mut leaves);
            index.candidates.push(Numbered { features, leaves });
        }
        index
    }

    /// Numbers the leaves under `value` (at path `at`) as [`agreement`](super::infer::agreement)
    /// finds them: scalars, nulls, and empty objects and arrays.
    fn number_leaves(&mut self, value: &Value, at: &mut String, out: &mut Vec<(usize, Value)>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, v) in map {
                    let len = at.len();
                    step(at, Step::Key(key));
                    self.number_leaves(v, at, out);
                    at.truncate(len);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (i, v) in items.iter().enumerate() {
                    let len = at.len();
                    step(at, Step::Index(i));
                    self.number_leaves(v, at, out);
                    at.truncate(len);
                }
            }
            leaf => {
                let next = self.leaves.len();
                let id = *self.leaves.entry(at.clone()).or_insert(next);
                out.push((id, leaf.clone()));
            }
        }
    }

    /// `template`'s features and nodes, by this index's numbers.
    pub(super) fn pool<'a>(&self, template: &'a Value) -> Pool<'a> {
        let mut pool = Pool {
            features: vec![None; self.features.len()],
            count: 0,
            nodes: vec![None; self.leaves.len()],
        };
        let mut paths = Paths::default();
        self.walk(template, &mut paths, true, &mut pool);
        pool
    }

    /// Records `value` (at `paths`) and what is under it in `pool`; `features`: whether its
    /// features are still to be found (not inside a variable's schema, one feature).
    fn walk<'a>(&self, value: &'a Value, paths: &mut Paths, features: bool, pool: &mut Pool<'a>) {
        if let Some(id) = self.leaves.get(paths.leaf.as_str()) {
            pool.nodes[*id] = Some(value);
        }
        let variable = variable(&paths.feature).is_some();
        let mut features = features;
        match value {
            _ if !features => {}
            Value::Object(schema) if variable => {
                if let Some(default) = schema.get("default") {
                    let len = paths.feature.len();
                    paths.feature.push_str("/default");
                    self.feature(&paths.feature, Feature::Value(default), pool);
                    paths.feature.truncate(len);
                }
                self.feature(&paths.feature, Feature::Schema(schema), pool);
                features = false;
            }
            _ if variable => {
                self.feature(&paths.feature, Feature::Value(value), pool);
                features = false;
            }
            Value::Object(map) if !map.is_empty() => {}
            Value::Array(items) if !items.is_empty() => {}
            leaf => self.feature(&paths.feature, Feature::Value(leaf), pool),
        }
        // Every node is looked up for `agreement`, inside a variable's schema too.
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    let len = paths.push(Step::Key(key));
                    self.walk(v, paths, features, pool);
                    paths.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    let len = paths.push(Step::Index(i));
                    self.walk(v, paths, features, pool);
                    paths.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// Records the pool's feature at `pointer`.
    fn feature<'a>(&self, pointer: &str, feature: Feature<'a>, pool: &mut Pool<'a>) {
        pool.count += 1;
        if let Some(id) = self.features.get(pointer) {
            pool.features[*id] = Some(feature);
        }
    }

    /// How candidate `i`'s leaves compare with the pool's template (as
    /// [`agreement`](super::infer::agreement) with the template).
    pub(super) fn agreement(&self, i: usize, pool: &Pool<'_>) -> Agreement {
        let mut out = Agreement::default();
        for (id, leaf) in self.candidates.get(i).map_or(&[][..], |c| &c.leaves) {
            out.leaves += 1;
            if let Some(node) = pool.nodes[*id] {
                out.present += 1;
                out.matched += usize::from(same(node, leaf));
            }
        }
        out
    }

    /// How candidate `i` fits the pool: its features looked up among the pool's by number,
    /// where a fit once looked each pointer up in a map of the pool's features.
    pub(super) fn fit(&self, i: usize, pool: &Pool<'_>) -> Fit {
        let theirs = self.candidates.get(i).map_or(&[][..], |c| &c.features);
        let mut out = Fit {
            matched: Vec::with_capacity(theirs.len()),
            ..Fit::default()
        };
        let mut present = 0;
        for (id, value, is_variable) in theirs {
            match pool.features[*id] {
                Some(mine) => {
                    present += 1;
                    if mine.equals(value) {
                        out.matched.push(*id);
                    }
                    if *is_variable {
                        out.shared_variables.push(*id);
                    }
                }
                None => out.lacking += 1,
            }
        }
        out.extra = pool.count - present;
        out
    }
}

/// One step down a template: an object's member, or an array's element.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Extends a leaf path by `step`. Unlike a JSON pointer, a path tells an array's element
/// (`/~2` and its index) from an object's member of the same digits (`/` and the escaped
/// key, in which `~` is only ever followed by `0` or `1`), as `Value::get` does.
fn step(at: &mut String, step: Step<'_>) {
    match step {
        Step::Key(key) => {
            at.push('/');
            at.push_str(&Pointer::escape(key));
        }
        Step::Index(i) => {
            // Writing to a String cannot fail.
            let _ = write!(at, "/~2{i}");
        }
    }
}

/// Where a pool's walk is: the feature pointer and the leaf path, extended in step (one
/// buffer each for the whole walk).
#[derive(Default)]
struct Paths {
    feature: String,
    leaf: String,
}

impl Paths {
    /// Extends both by `step`; returns their lengths before, for [`Paths::truncate`].
    fn push(&mut self, s: Step<'_>) -> (usize, usize) {
        let before = (self.feature.len(), self.leaf.len());
        match s {
            Step::Key(key) => {
                let key = Pointer::escape(key);
                for path in [&mut self.feature, &mut self.leaf] {
                    path.push('/');
                    path.push_str(&key);
                }
            }
            Step::Index(i) => {
                // Writing to a String cannot fail.
                let _ = write!(self.feature, "/{i}");
                step(&mut self.leaf, Step::Index(i));
            }
        }
        before
    }

    fn truncate(&mut self, (feature, leaf): (usize, usize)) {
        self.feature.truncate(feature);
        self.leaf.truncate(leaf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::embedded;
    use crate::history::infer::agreement;
    use serde_json::json;

    #[test]
    fn agreement_by_number_is_agreement_by_pointer() {
        let history = embedded().expect("decodes");
        for pool_type in history.types() {
            let defaults = history.defaults(pool_type);
            let index = Index::new(defaults.iter().map(|d| &d.template));
            for pool in defaults {
                let numbered = index.pool(&pool.template);
                for (i, candidate) in defaults.iter().enumerate() {
                    let by_pointer = agreement(&candidate.template, Some(&pool.template));
                    assert_eq!(index.agreement(i, &numbered), by_pointer, "{pool_type}");
                }
            }
        }
    }

    #[test]
    fn an_element_is_not_a_member_of_the_same_digits() {
        let candidate = json!({"a": [1, {}], "b": {"0": 1}, "c": {}});
        let pool = json!({"a": {"0": 1, "1": {}}, "b": [1], "c": {"x": 1}});
        let index = Index::new([&candidate]);
        let found = index.agreement(0, &index.pool(&pool));
        assert_eq!(found, agreement(&candidate, Some(&pool)));
        assert_eq!((found.matched, found.present, found.leaves), (0, 1, 4));
    }
}
