//! What every pool of one `update` run shares ([`Shared`]: the client, the options, the
//! defaults fetched once) and the part of it the merge needs off the runtime thread
//! ([`Basis`]: owned, so the synchronous stage can run on a blocking thread).

use crate::api::{Client, Defaults, WorkPool};
use crate::commands::base::backup_base;
use crate::commands::deployments;
use crate::commands::plan::SyncOptions;
use crate::error::{Error, Result};
use poolsync_engine::history::{Base, BaseArg};
use poolsync_engine::merge::Strategy;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::OnceCell;

/// What every pool of one run shares: the client, the options, the defaults (fetched once).
#[derive(Debug)]
pub(super) struct Shared {
    /// The API client (one connection pool and one gate for the whole run).
    pub client: Client,
    /// The per-pool options of the plan, with the server's URL: what the merge reads.
    pub basis: Arc<Basis>,
    /// Fetched once per run; a failure is kept too, so pools do not each retry it.
    defaults: OnceCell<Result<Defaults, Arc<Error>>>,
    /// Each type's default, found once and shared by its pools.
    found: Mutex<HashMap<String, Arc<Value>>>,
    /// The deployments of the pools, read a batch at a time (with `--check-deployments`).
    pub deployments: deployments::Store,
}

/// What the synchronous stage of a pool (backup lookup, merge, checks) reads: owned and
/// shared, so a blocking thread can hold it.
#[derive(Debug)]
pub(super) struct Basis {
    /// The per-pool options of the plan.
    pub options: SyncOptions,
    /// The server's API URL (backups are kept per server).
    pub api_url: String,
    /// Merge bases already met, shared by every pool whose base is the same (an inferred
    /// base is one of a few released defaults): one tree each, not one per pool in flight.
    bases: Mutex<Vec<Arc<Value>>>,
}

/// Distinct merge bases kept for sharing; a base beyond them is held by its pool alone.
const SHARED_BASES: usize = 16;

impl Shared {
    /// A run's shared state.
    pub(super) fn new(client: Client, options: SyncOptions) -> Self {
        let api_url = client.base_url().to_string();
        Shared {
            client,
            basis: Arc::new(Basis {
                options,
                api_url,
                bases: Mutex::default(),
            }),
            defaults: OnceCell::new(),
            found: Mutex::default(),
            deployments: deployments::Store::default(),
        }
    }

    /// The per-pool options of the plan.
    pub(super) fn options(&self) -> &SyncOptions {
        &self.basis.options
    }

    /// The template to merge into a pool of `pool_type`: `--template`, else the server's
    /// default for that type (the defaults are fetched once per run).
    pub(super) async fn default_for(&self, pool_type: &str) -> Result<Arc<Value>> {
        if let Some(hit) = self.found().get(pool_type) {
            return Ok(Arc::clone(hit));
        }
        let default = Arc::new(self.find_default(pool_type).await?);
        self.found()
            .insert(pool_type.to_string(), Arc::clone(&default));
        Ok(default)
    }

    /// The server's default templates, fetched once per run (a failure is kept, and each
    /// pool that needs a default ends with it).
    async fn defaults(&self) -> &Result<Defaults, Arc<Error>> {
        (self.defaults)
            .get_or_init(|| async { self.client.defaults().await.map_err(Arc::new) })
            .await
    }

    /// Fetches the defaults now, alongside the listing, unless `--template` stands in for
    /// them: the first pools listed then need no request after their listing page.
    pub(super) async fn fetch_defaults(&self) {
        if self.options().template.is_none() {
            self.defaults().await;
        }
    }

    fn found(&self) -> MutexGuard<'_, HashMap<String, Arc<Value>>> {
        self.found.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn find_default(&self, pool_type: &str) -> Result<Value> {
        if let Some(template) = &self.options().template {
            return Ok(template.clone());
        }
        let defaults = self.defaults().await;
        let defaults = defaults
            .as_ref()
            .map_err(|e| Error::Shared(Arc::clone(e)))?;
        defaults
            .find(pool_type)
            .cloned()
            .ok_or_else(|| Error::NoDefault {
                pool_type: pool_type.to_string(),
                url: self.client.defaults_url(),
            })
    }
}

impl Basis {
    /// The base for `pool` (see [`poolsync_engine::history::choose`]); a backup that cannot
    /// be read is reported, not ignored. Reads the backup folder: call it off the runtime
    /// thread.
    pub(super) fn base_for(&self, pool: &WorkPool, default: &Value) -> Result<Base> {
        let options = &self.options;
        if options.strategy == Strategy::Jq && options.base != BaseArg::None {
            return Ok(Base::none("--strategy jq merges two-way"));
        }
        let backup = match &options.backup_dir {
            Some(dir) if options.base.wants_backup() => backup_base(dir, &self.api_url, pool)?,
            _ => None,
        };
        Ok(poolsync_engine::history::choose(
            &options.base,
            backup,
            options.history,
            &pool.pool_type,
            &pool.base_job_template,
            default,
        ))
    }

    /// `base` as a shared tree: `default` when it is the same (a backup records the default
    /// its update merged in), else a base met before, else a new one kept for the next pools.
    pub(super) fn share(&self, base: Value, default: &Arc<Value>) -> Arc<Value> {
        if base == **default {
            return Arc::clone(default);
        }
        let mut bases = self.bases.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(met) = bases.iter().find(|met| ***met == base) {
            return Arc::clone(met);
        }
        let base = Arc::new(base);
        if bases.len() < SHARED_BASES {
            bases.push(Arc::clone(&base));
        }
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_bases_share_one_tree() {
        let basis = Basis {
            options: SyncOptions {
                template: None,
                strategy: Strategy::default(),
                dry_run: false,
                backup_dir: None,
                check_deployments: false,
                allow_breaking_deployments: false,
                base: BaseArg::Auto,
                history: crate::input::history(None).expect("the embedded history"),
            },
            api_url: "http://x/api".into(),
            bases: Mutex::default(),
        };
        let default = Arc::new(json!({"v": 2}));
        let same = basis.share(json!({"v": 2}), &default);
        assert!(Arc::ptr_eq(&same, &default));
        let first = basis.share(json!({"v": 1}), &default);
        let again = basis.share(json!({"v": 1}), &default);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(*again, json!({"v": 1}));
        let other = basis.share(json!({"v": 0}), &default);
        assert!(!Arc::ptr_eq(&other, &first));
        assert_eq!(*other, json!({"v": 0}));
    }
}
