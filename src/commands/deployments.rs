//! The deployments that run on a pool, checked against its template: each deployment's
//! `job_variables` (see [`poolsync_engine::job_variables`]) and its `federated_identity` override.
//!
//! A run reads the deployments of a whole batch of pools at once ([`Store::load`]: one paged
//! `POST /deployments/filter` by the pools' names, and one `POST /flows/filter` for their
//! flows' names), so checking deployments costs requests per batch, not per pool.

use crate::api::{Client, Deployment};
use crate::error::{Error, Result};
use poolsync_engine::finding::Finding;
use poolsync_engine::identity;
use poolsync_engine::job_variables::{self, Options, Problem, ProblemKind, Severity};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// A deployment as findings name it: its flow's name, its own name and id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Named {
    /// The deployment's id.
    pub id: String,
    /// The deployment's name.
    pub name: String,
    /// Its flow's name, when known.
    pub flow: Option<String>,
    /// Its `job_variables`.
    #[serde(skip)]
    pub job_variables: Value,
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.flow {
            Some(flow) => write!(f, "{flow}/{} ({})", self.name, self.id),
            None => write!(f, "{} ({})", self.name, self.id),
        }
    }
}

/// One finding about one deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Found {
    /// The deployment.
    pub deployment: Named,
    /// Error or warning.
    pub severity: Severity,
    /// What was found.
    #[serde(flatten)]
    pub finding: Problem,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let finding = &self.finding;
        write!(
            f,
            "{severity}[{}]: deployment {} {}: {}; fix: {}",
            finding.kind.label(),
            self.deployment,
            finding.pointer,
            finding.message,
            finding.fix
        )
    }
}

impl Found {
    /// The finding as a blocking violation that names the deployment.
    pub(super) fn violation(&self) -> Finding {
        Finding::violation(
            self.finding.pointer.clone(),
            self.finding.value.clone(),
            format!(
                "{} in deployment {}: {}",
                self.finding.kind.label(),
                self.deployment,
                self.finding.message
            ),
            self.finding.fix.clone(),
        )
    }
}

/// The deployments of one pool, checked: how many, and what was found.
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct Checked {
    /// Deployments checked.
    pub checked: usize,
    /// Every finding, deployment by deployment.
    pub findings: Vec<Found>,
}

/// The counts of a run's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(super) struct Counts {
    /// Deployments checked.
    pub checked: usize,
    /// Deployments an upgrade breaks (valid before, invalid after).
    pub broken: usize,
    /// Deployments the server would refuse runs of (already before an upgrade).
    pub invalid: usize,
    /// Keys the template does not define.
    pub ignored_keys: usize,
    /// Keys no placeholder uses.
    pub unwired_keys: usize,
    /// Keys applied before an upgrade and not after.
    pub changed_meaning_keys: usize,
}

impl Checked {
    /// The counts of these findings.
    pub(super) fn counts(&self) -> Counts {
        let deployments = |kind: ProblemKind| {
            let mut ids: Vec<&str> = self
                .findings
                .iter()
                .filter(|f| f.finding.kind == kind)
                .map(|f| f.deployment.id.as_str())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids.len()
        };
        let keys = |kind: ProblemKind| {
            self.findings
                .iter()
                .filter(|f| f.finding.kind == kind)
                .count()
        };
        Counts {
            checked: self.checked,
            broken: deployments(ProblemKind::Breaks),
            invalid: deployments(ProblemKind::Invalid),
            ignored_keys: keys(ProblemKind::Ignored),
            unwired_keys: keys(ProblemKind::Unwired),
            changed_meaning_keys: keys(ProblemKind::ChangesMeaning),
        }
    }

    /// The findings of `kind`.
    pub(super) fn of(&self, kind: ProblemKind) -> impl Iterator<Item = &Found> {
        self.findings.iter().filter(move |f| f.finding.kind == kind)
    }
}

impl Counts {
    /// Adds another pool's counts.
    pub(super) fn add(&mut self, other: Counts) {
        self.checked += other.checked;
        self.broken += other.broken;
        self.invalid += other.invalid;
        self.ignored_keys += other.ignored_keys;
        self.unwired_keys += other.unwired_keys;
        self.changed_meaning_keys += other.changed_meaning_keys;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} checked, {} broken, {} invalid, {} ignored keys, {} unwired keys, {} keys that \
             change meaning",
            self.checked,
            self.broken,
            self.invalid,
            self.ignored_keys,
            self.unwired_keys,
            self.changed_meaning_keys
        )
    }
}

/// Each deployment checked against `template`.
pub(super) fn check(template: &Value, deployments: &[Named], options: Options) -> Checked {
    findings(deployments, |d| {
        job_variables::check(template, &d.job_variables, options)
    })
}

/// Each deployment checked against `after`, knowing it ran against `before`.
pub(super) fn compare(before: &Value, after: &Value, deployments: &[Named]) -> Checked {
    findings(deployments, |d| {
        job_variables::compare(before, after, &d.job_variables, Options::default())
    })
}

fn findings(deployments: &[Named], mut each: impl FnMut(&Named) -> Vec<Problem>) -> Checked {
    let mut findings = Vec::new();
    for deployment in deployments {
        findings.extend(each(deployment).into_iter().map(|finding| Found {
            deployment: deployment.clone(),
            severity: finding.severity(),
            finding,
        }));
    }
    Checked {
        checked: deployments.len(),
        findings,
    }
}

/// Every federated identity violation in the deployments' overrides, naming the deployment.
pub(super) fn identity(deployments: &[Named]) -> Vec<Finding> {
    let mut found = Vec::new();
    for deployment in deployments {
        let Some(value) = deployment.job_variables.get("federated_identity") else {
            continue;
        };
        for mut violation in identity::check_value(value, "/job_variables/federated_identity") {
            violation.message = format!(
                "in deployment {:?} ({}): {}",
                deployment.name, deployment.id, violation.message
            );
            found.push(violation);
        }
    }
    found
}

/// What a load found for one pool: its deployments, or the shared error of the listing.
type Loaded = std::result::Result<Arc<Vec<Named>>, Arc<Error>>;

/// The deployments of the pools a run has loaded, by pool name.
#[derive(Debug, Default)]
pub(super) struct Store {
    pools: Mutex<HashMap<String, Loaded>>,
}

impl Store {
    /// The deployments on `pool`: loaded with its batch, else read now (for this pool alone).
    pub(super) async fn of(&self, client: &Client, pool: &str) -> Result<Arc<Vec<Named>>> {
        if !self.has(pool) {
            self.load(client, &[pool.to_string()]).await;
        }
        match self.lock().get(pool) {
            Some(Ok(found)) => Ok(Arc::clone(found)),
            Some(Err(error)) => Err(Error::Shared(Arc::clone(error))),
            None => Ok(Arc::default()),
        }
    }

    /// Reads the deployments of every pool of `pools` not loaded yet: one paged
    /// `POST /deployments/filter`, one `POST /flows/filter` per 200 flows. A failure is kept
    /// for each of these pools.
    pub(super) async fn load(&self, client: &Client, pools: &[String]) {
        let wanted: Vec<String> = pools.iter().filter(|p| !self.has(p)).cloned().collect();
        if wanted.is_empty() {
            return;
        }
        let read = read(client, &wanted).await;
        let mut store = self.lock();
        match read {
            Ok(mut by_pool) => {
                for pool in wanted {
                    let found = by_pool.remove(&pool).unwrap_or_default();
                    store.insert(pool, Ok(Arc::new(found)));
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                for pool in wanted {
                    store.insert(pool, Err(Arc::clone(&error)));
                }
            }
        }
    }

    fn has(&self, pool: &str) -> bool {
        self.lock().contains_key(pool)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Loaded>> {
        self.pools.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The deployments on `pools`, with their flows' names, by pool.
async fn read(client: &Client, pools: &[String]) -> Result<HashMap<String, Vec<Named>>> {
    let deployments = client.deployments_on(pools).await?;
    let mut ids: Vec<String> = deployments
        .iter()
        .filter_map(|d| d.flow_id.clone())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let flows = match ids.is_empty() {
        true => HashMap::new(),
        false => client.flow_names(&ids).await?,
    };
    let mut by_pool: HashMap<String, Vec<Named>> = HashMap::new();
    for deployment in deployments {
        let Deployment {
            id,
            name,
            flow_id,
            work_pool_name,
            job_variables,
        } = deployment;
        let flow = flow_id.and_then(|id| flows.get(&id).cloned());
        let named = Named {
            id,
            name,
            flow,
            job_variables,
        };
        by_pool
            .entry(work_pool_name.unwrap_or_default())
            .or_default()
            .push(named);
    }
    Ok(by_pool)
}
