//! Pure: the released default that best explains a pool's template.
//!
//! Leaves are scalars, nulls and empty objects and arrays, found by JSON pointer through
//! `job_configuration` and `variables` alike. A candidate's score is its leaves that the pool
//! holds unchanged over all its leaves: what `94% of its values match` says, and what
//! [`THRESHOLD`] applies to. Candidates are ranked by a stricter share that also counts the
//! pool's leaves the candidate lacks, because released defaults nest: kubernetes 3.0.0's
//! every leaf is in 3.6.23's, so a 3.6.23 pool whose new variables were customised would
//! otherwise match 3.0.0 at 100%. Ties go to the newest release.

use super::History;
use super::origin::{BaseChoice, Origin, percent, ratio};
use serde_json::Value;

/// The lowest score taken as a base. Below it the pool is not recognisably made from any
/// released default, and a three-way merge would treat the pool's own values as stale
/// defaults: better merge two-way. The `threshold` tests show where it sits: a true base
/// with a fifth of its values changed scores 80%; another type's default, 47% at most.
pub const THRESHOLD: f64 = 0.6;

/// How a candidate's leaves compare with a pool's template.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Agreement {
    /// The candidate's leaves the pool holds equal.
    pub matched: usize,
    /// The candidate's leaves.
    pub leaves: usize,
    /// The pool's leaves at pointers the candidate does not have.
    pub extra: usize,
}

impl Agreement {
    /// `matched / leaves`: the score.
    pub fn score(self) -> f64 {
        ratio(self.matched, self.leaves)
    }

    /// Whether `self` ranks at least as high as `other`: `matched / (leaves + extra)`,
    /// compared exactly.
    fn at_least(self, other: Agreement) -> bool {
        self.matched * (other.leaves + other.extra) >= other.matched * (self.leaves + self.extra)
    }

    fn add(self, other: Agreement) -> Agreement {
        Agreement {
            matched: self.matched + other.matched,
            leaves: self.leaves + other.leaves,
            extra: self.extra + other.extra,
        }
    }
}

/// The leaves of `value`.
pub fn leaves(value: &Value) -> usize {
    match value {
        Value::Object(map) if !map.is_empty() => map.values().map(leaves).sum(),
        Value::Array(items) if !items.is_empty() => items.iter().map(leaves).sum(),
        _ => 1,
    }
}

/// How `candidate`'s leaves compare with `current` (absent: nothing matches).
pub fn agreement(candidate: &Value, current: Option<&Value>) -> Agreement {
    match (candidate, current) {
        (Value::Object(map), current) if !map.is_empty() => {
            let inner = map
                .iter()
                .map(|(key, value)| agreement(value, current.and_then(|c| c.get(key))))
                .fold(Agreement::default(), Agreement::add);
            let extra = match current {
                Some(Value::Object(cur)) => cur
                    .iter()
                    .filter(|(key, _)| !map.contains_key(*key))
                    .map(|(_, v)| leaves(v))
                    .sum(),
                _ => 0,
            };
            inner.add(Agreement {
                extra,
                ..Agreement::default()
            })
        }
        (Value::Array(items), current) if !items.is_empty() => {
            let inner = items
                .iter()
                .enumerate()
                .map(|(i, value)| agreement(value, current.and_then(|c| c.get(i))))
                .fold(Agreement::default(), Agreement::add);
            let extra = match current {
                Some(Value::Array(cur)) => cur.iter().skip(items.len()).map(leaves).sum(),
                _ => 0,
            };
            inner.add(Agreement {
                extra,
                ..Agreement::default()
            })
        }
        (leaf, current) => Agreement {
            matched: usize::from(current == Some(leaf)),
            leaves: 1,
            extra: 0,
        },
    }
}

/// The released default of `pool_type` that best explains `current`, or none (with the
/// reason) when poolsync knows no default of that type or the best scores below
/// [`THRESHOLD`].
pub fn infer(history: &History, pool_type: &str, current: &Value) -> BaseChoice {
    let mut best: Option<(usize, Agreement)> = None;
    for (i, candidate) in history.defaults(pool_type).iter().enumerate() {
        let found = agreement(&candidate.template, Some(current));
        // Candidates are oldest first, so `>=` lets the newer win a tie.
        if best.is_none_or(|(_, b)| found.at_least(b)) {
            best = Some((i, found));
        }
    }
    let Some((i, found)) = best else {
        return BaseChoice::none(format!(
            "poolsync knows no released default of type {pool_type:?}"
        ));
    };
    let candidate = &history.defaults(pool_type)[i];
    let score = found.score();
    if score < THRESHOLD {
        return BaseChoice::none(format!(
            "the closest released {pool_type} default (prefect {}) matches only {}% of its \
             values, below {}%; pass --base FILE with the default the pool was made from",
            candidate.range(),
            percent(score),
            percent(THRESHOLD)
        ));
    }
    BaseChoice {
        template: Some(candidate.template.clone()),
        origin: Origin::History {
            pool_type: pool_type.to_string(),
            releases: candidate.range(),
            count: candidate.releases.len(),
            matched: found.matched,
            leaves: found.leaves,
        },
    }
}

#[cfg(test)]
#[path = "infer_tests.rs"]
mod tests;
