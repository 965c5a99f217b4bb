//! The data path of one pool up to its write, one function per stage, called top to bottom
//! by [`prepare`]: [`read`] -> [`merge()`] (default, base, three-way merge) -> [`check`] ->
//! [`decide`]. What needs writing becomes a [`Pending`] for
//! [`SafeWrite`](crate::commands::write::SafeWrite); everything else ends here in a [`Report`].

use crate::api::{Client, Defaults, WorkPool};
use crate::backup;
use crate::commands::base::backup_base;
use crate::commands::deployments;
use crate::commands::outcome::{Outcome, Report, Upgrade};
use crate::commands::plan::SyncOptions;
use crate::commands::write::{Pending, Record};
use crate::error::{Error, Result};
use poolsync_engine::history::{Base, BaseArg};
use poolsync_engine::merge::{self, Strategy};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// What every pool of one run shares: the client, the options, the defaults (fetched once).
#[derive(Debug)]
pub(super) struct Shared {
    /// The API client (one connection pool and one gate for the whole run).
    pub client: Client,
    /// The per-pool options of the plan.
    pub options: SyncOptions,
    /// Fetched once per run; a failure is kept too, so pools do not each retry it.
    defaults: OnceCell<Result<Defaults, Arc<Error>>>,
    /// Each type's default, found once and shared by its pools.
    found: std::sync::Mutex<std::collections::HashMap<String, Arc<Value>>>,
    /// The deployments of the pools, read a batch at a time (with `--check-deployments`).
    pub deployments: deployments::Store,
}

/// Which pool to work on: a name still to read, or a pool a listing already returned.
#[derive(Debug)]
pub(super) enum Target {
    /// Read the pool first (`GET /work_pools/{name}`).
    Name(String),
    /// Already read.
    Pool(WorkPool),
    /// Could not be read or parsed: ends `failed`, by name.
    Unreadable(String, Error),
}

/// Where one pool's run stands after [`prepare`].
#[derive(Debug)]
pub(super) enum Prepared {
    /// Nothing to write: the pool's report is final.
    Ended(Box<Report>),
    /// A write is due, carrying the merge to report once it ends.
    Write(Box<Pending<Upgrade>>),
}

impl Shared {
    /// A run's shared state.
    pub(super) fn new(client: Client, options: SyncOptions) -> Self {
        Shared {
            client,
            options,
            defaults: OnceCell::new(),
            found: std::sync::Mutex::default(),
            deployments: deployments::Store::default(),
        }
    }

    /// The template to merge into a pool of `pool_type`: `--template`, else the server's
    /// default for that type (the defaults are fetched once per run).
    async fn default_for(&self, pool_type: &str) -> Result<Arc<Value>> {
        if let Some(hit) = self.found().get(pool_type) {
            return Ok(Arc::clone(hit));
        }
        let default = Arc::new(self.find_default(pool_type).await?);
        self.found()
            .insert(pool_type.to_string(), Arc::clone(&default));
        Ok(default)
    }

    fn found(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Arc<Value>>> {
        self.found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn find_default(&self, pool_type: &str) -> Result<Value> {
        if let Some(template) = &self.options.template {
            return Ok(template.clone());
        }
        let fetched = self
            .defaults
            .get_or_init(|| async { self.client.defaults().await.map_err(Arc::new) })
            .await;
        let defaults = fetched.as_ref().map_err(|e| Error::Shared(Arc::clone(e)))?;
        defaults
            .find(pool_type)
            .cloned()
            .ok_or_else(|| Error::NoDefault {
                pool_type: pool_type.to_string(),
                url: self.client.defaults_url(),
            })
    }

    /// The base for `pool` (see [`poolsync_engine::history::choose`]); a backup that cannot be read
    /// is reported, not ignored.
    fn base_for(&self, pool: &WorkPool, default: &Value) -> Result<Base> {
        if self.options.strategy == Strategy::Jq && self.options.base != BaseArg::None {
            return Ok(Base::none("--strategy jq merges two-way"));
        }
        let backup = match &self.options.backup_dir {
            Some(dir) if self.options.base.wants_backup() => {
                backup_base(dir, self.client.base_url(), pool)?
            }
            _ => None,
        };
        Ok(poolsync_engine::history::choose(
            &self.options.base,
            backup,
            self.options.history,
            &pool.pool_type,
            &pool.base_job_template,
            default,
        ))
    }
}

/// Runs one pool's path up to its write, one stage per step: read -> merge -> check ->
/// decide. Never fails: an error ends the pool in a [`Report`] (its outcome through
/// [`Outcome::of`]) with what was known by then, so one pool cannot stop a batch.
pub(super) async fn prepare(ctx: &Shared, target: Target) -> Prepared {
    let name = target.name().to_string();
    let pool = match read(ctx, target).await {
        Ok(pool) => pool,
        Err(error) => return Prepared::Ended(Box::new(Report::failed(name, None, None, error))),
    };
    let pool_type = Some(pool.pool_type.clone());
    let (mut merged, record) = match merge(ctx, &pool).await {
        Ok(merge) => merge,
        Err(error) => {
            return Prepared::Ended(Box::new(Report::failed(name, pool_type, None, error)));
        }
    };
    if let Err(error) = check(ctx, &pool, &mut merged).await {
        let report = Report::failed(name, pool_type, Some(Box::new(merged)), error);
        return Prepared::Ended(Box::new(report));
    }
    decide(ctx, name, pool, merged, record)
}

impl Target {
    /// The pool's name, read or not.
    fn name(&self) -> &str {
        match self {
            Target::Name(name) | Target::Unreadable(name, _) => name,
            Target::Pool(pool) => &pool.name,
        }
    }
}

/// Stage 1: the pool as the server holds it (read now, or as the listing returned it).
async fn read(ctx: &Shared, target: Target) -> Result<WorkPool> {
    match target {
        Target::Pool(pool) => Ok(pool),
        Target::Name(name) => ctx.client.read_pool(&name).await,
        Target::Unreadable(_, error) => Err(error),
    }
}

/// Stage 2: the merge of the pool's template into its type's default, from the base chosen
/// for it; with what its backup will record.
async fn merge(ctx: &Shared, pool: &WorkPool) -> Result<(Upgrade, Record)> {
    if WorkPool::is_reserved(&pool.name) {
        return Err(Error::ReservedPool {
            pool: pool.name.clone(),
        });
    }
    let default = ctx.default_for(&pool.pool_type).await?;
    let current = pool.base_job_template.clone();
    if !current.is_object() {
        return Err(Error::Shape {
            input: format!("the stored base_job_template of work pool {:?}", pool.name),
            message: format!(
                "is a json {}, not an object; fix it with `prefect work-pool update --base-job-template`",
                crate::input::kind(&current)
            ),
        });
    }
    let base = ctx.base_for(pool, &default)?;
    let merge = merge::merge3(
        base.template.as_ref(),
        &default,
        &current,
        ctx.options.strategy,
    );
    let record = Record {
        kind: backup::WriteKind::Update,
        base_origin: base.template.as_ref().map(|_| base.origin.to_string()),
        default: Some(default),
        base: base.template,
        restored: None,
    };
    let merged = Upgrade {
        current,
        template: merge.template,
        origin: base.origin,
        warnings: merge.warnings,
        upstream: merge.upstream,
        kept_out: merge.kept_out,
        violations: Vec::new(),
        deployments: None,
    };
    Ok((merged, record))
}

/// Stage 3: the checks of the merged template (and, with `--check-deployments`, of the
/// pool's deployments against it); what they find is kept in `merged`, and any blocks the
/// push.
async fn check(ctx: &Shared, pool: &WorkPool, merged: &mut Upgrade) -> Result<()> {
    merged.violations = poolsync_engine::checks::before_write(&merged.template);
    if ctx.options.check_deployments {
        let found = ctx.deployments.of(&ctx.client, &pool.name).await?;
        merged.violations.extend(deployments::identity(&found));
        let checked = deployments::compare(&merged.current, &merged.template, &found);
        if !ctx.options.allow_breaking_deployments {
            merged.violations.extend(
                checked
                    .of(poolsync_engine::job_variables::ProblemKind::Breaks)
                    .map(deployments::Found::violation),
            );
        }
        merged.deployments = Some(checked);
    }
    if !merged.violations.is_empty() {
        return Err(Error::Invalid {
            blocked: true,
            subject: format!("merged template for work pool {:?}", pool.name),
            violations: merged.violations.clone(),
        });
    }
    Ok(())
}

/// Stage 4: nothing to write (up to date, or a dry run), or a write for the safe write.
fn decide(ctx: &Shared, name: String, pool: WorkPool, merged: Upgrade, record: Record) -> Prepared {
    let pool_type = Some(pool.pool_type.clone());
    let outcome = match () {
        () if merged.template == merged.current => Outcome::UpToDate,
        () if ctx.options.dry_run => Outcome::WouldChange,
        () => {
            return Prepared::Write(Box::new(Pending {
                pool,
                record,
                carried: merged,
            }));
        }
    };
    Prepared::Ended(Box::new(Report::ended(
        name,
        pool_type,
        Some(Box::new(merged)),
        outcome,
    )))
}
