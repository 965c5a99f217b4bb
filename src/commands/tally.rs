//! What a run adds up to: pools per outcome, requests, retries, the server's pushback, keys
//! kept out and deployments checked. Every output format reads it at the end.

use super::deployments::Counts;
use super::outcome::{Outcome, Report};
use crate::api::Pushback;
use crate::error::Signal;
use std::collections::BTreeMap;

/// Counts per outcome, and what the run cost in requests and pushback.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Pools per outcome.
    pub counts: BTreeMap<Outcome, usize>,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Retries of transient HTTP failures and throttled requests.
    pub retries: u64,
    /// What the server's pushback cost.
    pub pushback: Pushback,
    /// The signal that stopped the run early, if one did.
    pub interrupted: Option<Signal>,
    /// Pools whose merged template leaves keys of the new default out, and those keys.
    pub kept_out: (usize, usize),
    /// What `--check-deployments` found, over every pool (`None`: not checked).
    pub deployments: Option<Counts>,
}

impl Tally {
    /// Counts one report.
    pub(super) fn add(&mut self, report: &Report) {
        *self.counts.entry(report.outcome).or_default() += 1;
        if !report.kept_out().is_empty() {
            self.kept_out.0 += 1;
            self.kept_out.1 += report.kept_out().len();
        }
        if let Some(checked) = report.deployments() {
            self.deployments
                .get_or_insert_with(Counts::default)
                .add(checked.counts());
        }
    }

    /// Pools that ended in `outcome`.
    pub(super) fn count(&self, outcome: Outcome) -> usize {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    /// Pools that failed, were invalid or had a conflict.
    pub(super) fn failed(&self) -> usize {
        [Outcome::Failed, Outcome::Invalid, Outcome::Conflict]
            .iter()
            .map(|o| self.count(*o))
            .sum()
    }

    /// Pools a dry run would change.
    pub(super) fn would_change(&self) -> usize {
        self.count(Outcome::WouldChange)
    }
}
