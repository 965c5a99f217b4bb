//! Pure: the released default that best explains a pool's template.
//!
//! Leaves are scalars, nulls and empty objects and arrays, found by JSON pointer through
//! `job_configuration` and `variables` alike. A candidate's score is its leaves that the pool
//! holds unchanged over all its leaves: what `94% of its values match` says, and what
//! [`THRESHOLD`] applies to.
//!
//! The best origin is the eligible candidate that explains the most of the pool's features
//! (see `features.rs`: a variable's schema is one feature, its `default` another) less the
//! pool's features it cannot account for; ties go to more matched leaves, then fewer leaves
//! the pool lacks. Leaves alone mislead because released defaults nest: cloud-run-v2
//! 2.14.13's every leaf is in 2.19.0's, so a 2.19.0 pool whose user deleted
//! `service_account_name` matches 2.14.13 at a higher share, and a merge from that base would
//! bring the deleted variable back; 2.19.0 also explains the pool's `vpcAccess`. The base is
//! then put together from the best and the other plausible origins (`evidence.rs`), and the
//! variables the pool lacks are decided by their cohorts (`cohort.rs`).

use super::features::Fit;
use super::origin::{Base, Origin, percent, ratio};
use super::{History, cohort, evidence};
use ahash::AHashSet;
use serde_json::Value;

/// The lowest score taken as a base. Below it the pool is not recognisably made from any
/// released default, and a three-way merge would treat the pool's own values as stale
/// defaults: better merge two-way. The `threshold` tests show where it sits: a true base
/// with a fifth of its values changed scores 80%; another type's default, 47% at most.
pub(crate) const THRESHOLD: f64 = 0.6;

/// How a candidate's leaves compare with a pool's template.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Agreement {
    /// The candidate's leaves the pool holds equal.
    pub matched: usize,
    /// The candidate's leaves.
    pub leaves: usize,
    /// The candidate's leaves whose pointer the pool has (equal or not).
    pub present: usize,
}

impl Agreement {
    /// `matched / leaves`: the score.
    pub(crate) fn score(self) -> f64 {
        ratio(self.matched, self.leaves)
    }

    /// Whether `self` ranks at least as high as `other`: more matched leaves, then fewer
    /// pointers the pool lacks, then fewer values it changed.
    fn at_least(self, other: Agreement) -> bool {
        let rank = |a: Agreement| {
            let absent = a.leaves - a.present;
            let changed = a.present - a.matched;
            (
                a.matched,
                std::cmp::Reverse(absent),
                std::cmp::Reverse(changed),
            )
        };
        rank(self) >= rank(other)
    }

    fn add(self, other: Agreement) -> Agreement {
        Agreement {
            matched: self.matched + other.matched,
            leaves: self.leaves + other.leaves,
            present: self.present + other.present,
        }
    }
}

/// The leaves of `value`.
pub(crate) fn leaves(value: &Value) -> usize {
    agreement(value, None).leaves
}

/// How `candidate`'s leaves compare with `current` (absent: nothing matches).
pub(crate) fn agreement(candidate: &Value, current: Option<&Value>) -> Agreement {
    match candidate {
        Value::Object(map) if !map.is_empty() => map
            .iter()
            .map(|(key, value)| agreement(value, current.and_then(|c| c.get(key))))
            .fold(Agreement::default(), Agreement::add),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, value)| agreement(value, current.and_then(|c| c.get(i))))
            .fold(Agreement::default(), Agreement::add),
        leaf => Agreement {
            matched: usize::from(current == Some(leaf)),
            leaves: 1,
            present: usize::from(current.is_some()),
        },
    }
}

/// How close to the best candidate another must come to be a plausible origin: its rank
/// (see [`Fit::rank`]) within this share of the best's matched features (and at least
/// [`THRESHOLD`] itself).
pub(crate) const PLAUSIBLE: f64 = 0.2;

/// The base for `current` from the released defaults of `pool_type`: put together from every
/// plausible origin (see `evidence.rs`), given the new `default`; or none (with the reason)
/// when poolsync knows no default of that type or the best scores below [`THRESHOLD`].
///
/// The best origin is the eligible candidate (at least [`THRESHOLD`] of its values match)
/// with the highest [`Fit::rank`]. Others are plausible when they come within [`PLAUSIBLE`]
/// of it, define every variable of the pool the best explains (one that lacks some was
/// outgrown since the pool's origin), and hold evidence of their own: a feature of the pool
/// they match and the best does not. An exact match has no other plausible origin.
pub fn infer(history: &History, pool_type: &str, current: &Value, default: &Value) -> Base {
    let candidates = history.defaults(pool_type);
    if candidates.is_empty() {
        return Base::none(format!(
            "poolsync knows no released default of type {pool_type:?}"
        ));
    }
    let Some(index) = history.index(pool_type) else {
        return Base::none(format!(
            "poolsync knows no released default of type {pool_type:?}"
        ));
    };
    let pool = index.pool(current);
    let scored: Vec<(usize, Agreement, Fit)> = (0..candidates.len())
        .map(|i| (i, index.agreement(i, &pool), index.fit(i, &pool)))
        .collect();
    let eligible: Vec<&(usize, Agreement, Fit)> = scored
        .iter()
        .filter(|(_, a, _)| a.score() >= THRESHOLD)
        .collect();
    // On equal features, more matched leaves (a variable's schema is one feature, so one
    // edited value hides the rest of it), then fewer leaves the pool lacks, then fewer
    // features; candidates are oldest first within a package, so then the later wins.
    let key = |(i, a, f): &(usize, Agreement, Fit)| {
        let absent = a.leaves - a.present;
        (
            f.rank(),
            a.matched,
            std::cmp::Reverse(absent),
            std::cmp::Reverse(f.lacking),
            *i,
        )
    };
    let best = eligible.iter().copied().max_by_key(|c| key(c));
    let Some((i, found, fit)) = best else {
        let (i, closest) = scored
            .iter()
            .map(|(i, a, _)| (*i, *a))
            .reduce(|x, y| if y.1.at_least(x.1) { y } else { x })
            .unwrap_or((0, Agreement::default()));
        return Base::none(format!(
            "the closest released {pool_type} default ({}) matches only {}% of its \
             values, below {}%; pass --base FILE with the default the pool was made from",
            candidates[i].label(),
            percent(closest.score()),
            percent(THRESHOLD)
        ));
    };
    let candidate = &candidates[*i];
    let exact = found.matched == found.leaves && found.leaves == leaves(current);
    let margin = (fit.matched.len() as f64 * PLAUSIBLE).max(1.0);
    let best_matched: AHashSet<usize> = fit.matched.iter().copied().collect();
    let plausible: Vec<usize> = eligible
        .iter()
        .filter(|(j, _, other)| {
            *j != *i
                && !exact
                && other.rank() as f64 >= fit.rank() as f64 - margin
                // It must define every variable of the pool the best explains: one that
                // lacks some has been outgrown (or was cut down) since the pool's origin.
                && fit
                    .shared_variables
                    .iter()
                    .all(|v| other.shared_variables.contains(v))
                && !other.matched.iter().all(|p| best_matched.contains(p))
        })
        .map(|(j, _, _)| *j)
        .collect();
    let order: Vec<usize> = std::iter::once(*i)
        .chain(plausible.iter().copied())
        .collect();
    let origins: Vec<Option<&Value>> = order
        .iter()
        .map(|j| Some(&candidates[*j].template))
        .collect();
    let mut template = evidence::synthesize(Some(current), &origins, Some(default))
        .unwrap_or_else(|| candidate.template.clone());
    // Variables the pool lacks: deleted, or never in its origin, by their cohorts.
    let known: Vec<&Value> = std::iter::once(*i)
        .chain(eligible.iter().map(|(j, _, _)| *j).filter(|j| j != i))
        .map(|j| &candidates[j].template)
        .collect();
    cohort::decide(&mut template, current, &known);
    Base {
        template: Some(template),
        origin: Origin::History {
            pool_type: pool_type.to_string(),
            package: candidate.package.clone(),
            releases: candidate.range(),
            count: candidate.releases.len(),
            matched: found.matched,
            leaves: found.leaves,
            plausible: plausible.iter().map(|j| candidates[*j].label()).collect(),
        },
    }
}

#[cfg(test)]
#[path = "infer_tests.rs"]
mod tests;
