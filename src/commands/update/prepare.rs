//! The data path of one pool up to its write, top to bottom: fetch -> default -> base ->
//! merge -> check -> decide. What needs writing becomes a [`Pending`] for
//! [`SafeWrite`](crate::commands::write::SafeWrite); everything else ends here in a [`Report`].

use crate::api::{Client, Defaults, WorkPool};
use crate::backup;
use crate::commands::base::backup_base;
use crate::commands::deployments;
use crate::commands::outcome::{Outcome, Report};
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
pub(super) struct Context {
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
pub(super) enum Step {
    /// Nothing to write: the report is final.
    Done(Box<Report>),
    /// A write is due.
    Write(Box<Pending>),
}

impl Context {
    /// A run's shared state.
    pub(super) fn new(client: Client, options: SyncOptions) -> Self {
        Context {
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

/// Runs one pool's path up to its write. Never fails: every error becomes the report's
/// outcome (through [`Outcome::of`]), so one pool cannot stop a batch.
pub(super) async fn prepare(ctx: &Context, target: Target) -> Step {
    let name = match &target {
        Target::Name(name) | Target::Unreadable(name, _) => name.clone(),
        Target::Pool(pool) => pool.name.clone(),
    };
    let mut report = Report::new(&name);
    match plan_write(ctx, target, &mut report).await {
        Ok(Some((pool, record))) => Step::Write(Box::new(Pending {
            pool,
            record,
            report,
        })),
        Ok(None) => Step::Done(Box::new(report)),
        Err(error) => Step::Done(Box::new(report.fail(error))),
    }
}

/// The path itself: fills `report` and says what to write, if anything.
async fn plan_write(
    ctx: &Context,
    target: Target,
    report: &mut Report,
) -> Result<Option<(WorkPool, Record)>> {
    let pool = match target {
        Target::Pool(pool) => pool,
        Target::Name(name) => ctx.client.read_pool(&name).await?,
        Target::Unreadable(_, error) => return Err(error),
    };
    report.pool_type = Some(pool.pool_type.clone());
    if WorkPool::is_reserved(&pool.name) {
        return Err(Error::ReservedPool { pool: pool.name });
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
    let base = ctx.base_for(&pool, &default)?;
    let base_origin = base.template.as_ref().map(|_| base.origin.to_string());
    report.base = Some(base.origin);
    let merged = merge::merge3(
        base.template.as_ref(),
        &default,
        &current,
        ctx.options.strategy,
    );
    report.current = Some(current.clone());
    report.merged = Some(merged.template);
    report.warnings = merged.warnings;
    report.upstream = merged.upstream;
    report.kept_out = merged.kept_out;
    let template = report.merged.as_ref().unwrap_or(&Value::Null);
    report.violations = poolsync_engine::checks::before_write(template);
    if ctx.options.check_deployments {
        let deployments = ctx.deployments.of(&ctx.client, &pool.name).await?;
        report
            .violations
            .extend(deployments::identity(&deployments));
        let checked = deployments::compare(&current, template, &deployments);
        if !ctx.options.allow_breaking_deployments {
            report.violations.extend(
                checked
                    .of(poolsync_engine::job_variables::Kind::Breaks)
                    .map(deployments::Found::violation),
            );
        }
        report.deployments = Some(checked);
    }
    if !report.violations.is_empty() {
        return Err(Error::Invalid {
            blocked: true,
            subject: format!("merged template for work pool {:?}", pool.name),
            violations: report.violations.clone(),
        });
    }
    if report.merged.as_ref() == Some(&current) {
        report.outcome = Outcome::UpToDate;
        return Ok(None);
    }
    if ctx.options.dry_run {
        report.outcome = Outcome::WouldChange;
        return Ok(None);
    }
    let record = Record {
        kind: backup::Kind::Update,
        default: Some(default),
        base: base.template,
        base_origin,
        restored: None,
    };
    Ok(Some((pool, record)))
}
