//! The data path of one pool, top to bottom: fetch -> default -> merge -> check -> diff ->
//! push. Every pool ends in exactly one [`Outcome`], recorded in a [`Report`].

use crate::api::{Client, Defaults, WorkPool};
use crate::backup;
use crate::error::Error;
use crate::merge::{self, Strategy, Upstream, Warning};
use crate::violation::Violation;
use crate::{identity, template};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// What happened to one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The merged template was pushed.
    Updated,
    /// Nothing to change; nothing sent.
    UpToDate,
    /// Dry run: a change is pending.
    WouldChange,
    /// A placeholder or federated identity check failed; nothing sent.
    Invalid,
    /// The pool changed on the server while poolsync worked on it; nothing sent.
    Conflict,
    /// Not attempted (reserved name, no default for the type).
    Skipped,
    /// An HTTP or network error.
    Failed,
}

impl Outcome {
    /// Every outcome, in the order summaries list them.
    pub const ALL: [Outcome; 7] = [
        Outcome::Updated,
        Outcome::UpToDate,
        Outcome::WouldChange,
        Outcome::Invalid,
        Outcome::Conflict,
        Outcome::Skipped,
        Outcome::Failed,
    ];

    /// The outcome as users read it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Updated => "updated",
            Outcome::UpToDate => "up to date",
            Outcome::WouldChange => "would change",
            Outcome::Invalid => "invalid",
            Outcome::Conflict => "conflict",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
        }
    }
}

/// Everything known about one pool after its run.
#[derive(Debug)]
pub struct Report {
    /// The pool's name.
    pub pool: String,
    /// The pool's type, when it was read.
    pub pool_type: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why, for skipped and failed pools.
    pub error: Option<Error>,
    /// The stored template, when it was read.
    pub current: Option<Value>,
    /// The merged template, when a merge ran.
    pub merged: Option<Value>,
    /// What the merge noticed.
    pub warnings: Vec<Warning>,
    /// What blocked the push.
    pub violations: Vec<Violation>,
    /// What a three-way merge took from upstream, removed, or found changed on both sides.
    pub upstream: Vec<Upstream>,
}

impl Report {
    fn new(pool: &str) -> Report {
        Report {
            pool: pool.to_string(),
            pool_type: None,
            outcome: Outcome::Failed,
            error: None,
            current: None,
            merged: None,
            warnings: Vec::new(),
            violations: Vec::new(),
            upstream: Vec::new(),
        }
    }

    /// The report of a pool that failed before its data path began (e.g. unreadable).
    pub fn failed(pool: &str, error: Error) -> Report {
        Report::new(pool).end(Outcome::Failed, Some(error))
    }

    fn end(mut self, outcome: Outcome, error: Option<Error>) -> Report {
        self.outcome = outcome;
        self.error = error;
        self
    }
}

/// What every pool of one run shares: the client, the defaults (fetched once), options.
#[derive(Debug)]
pub struct Context {
    /// The API client (one connection pool for the whole run).
    pub client: Client,
    /// `--template`: merge this instead of the server's default.
    pub template: Option<Value>,
    /// The merge strategy.
    pub strategy: Strategy,
    /// Write nothing.
    pub dry_run: bool,
    /// Where backups go before each write.
    pub backup_dir: Option<PathBuf>,
    /// Also validate the federated identity overrides of each pool's deployments.
    pub check_deployments: bool,
    /// Where the three-way merge's base comes from.
    pub base: Base,
    /// Fetched once per run; a failure is kept too, so pools do not each retry it.
    defaults: OnceCell<Result<Defaults, Arc<Error>>>,
}

impl Context {
    /// A run's shared state.
    pub fn new(
        client: Client,
        template: Option<Value>,
        strategy: Strategy,
        dry_run: bool,
        backup_dir: Option<PathBuf>,
    ) -> Self {
        Context {
            client,
            template,
            strategy,
            dry_run,
            backup_dir,
            check_deployments: false,
            base: Base::FromBackup,
            defaults: OnceCell::new(),
        }
    }

    /// The template to merge into a pool of `pool_type`: `--template`, else the server's
    /// default for that type (the defaults are fetched once per run).
    async fn default_for(&self, pool_type: &str) -> Result<Value, Error> {
        if let Some(template) = &self.template {
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
}

/// The base of a three-way merge (the default the pool was last synced from).
#[derive(Debug, Clone)]
pub enum Base {
    /// The default recorded in the pool's newest backup, if there is one.
    FromBackup,
    /// This template (`--base FILE`).
    Given(Value),
    /// Two-way merge (`--no-base`).
    Off,
}

impl Context {
    /// The base for `pool` (see [`backup::recorded_base`]: the newest confirmed backup of
    /// this very pool id; unreadable backups are reported and skipped).
    fn base_for(&self, pool: &WorkPool) -> Result<Option<Value>, Error> {
        match (&self.base, &self.backup_dir) {
            (Base::Off, _) | (Base::FromBackup, None) => Ok(None),
            (Base::Given(base), _) => Ok(Some(base.clone())),
            (Base::FromBackup, Some(dir)) => {
                let id = pool.rest.get("id").and_then(Value::as_str);
                backup::recorded_base(dir, self.client.base_url(), &pool.name, id)
            }
        }
    }
}

/// Which pool to work on: a name still to read, or a pool a listing already returned.
#[derive(Debug)]
pub enum Target {
    /// Read the pool first.
    Name(String),
    /// Already read.
    Pool(WorkPool),
}

/// Runs the whole data path for one pool. Never returns early with an error: every failure
/// becomes the report's outcome, so one pool cannot stop a batch.
pub async fn sync(ctx: &Context, target: Target) -> Report {
    let pool = match target {
        Target::Pool(pool) => pool,
        Target::Name(name) => match ctx.client.read_pool(&name).await {
            Ok(pool) => pool,
            Err(e) => return Report::new(&name).end(Outcome::Failed, Some(e)),
        },
    };
    let mut report = Report::new(&pool.name);
    report.pool_type = Some(pool.pool_type.clone());
    if WorkPool::is_reserved(&pool.name) {
        return report.end(
            Outcome::Skipped,
            Some(Error::ReservedPool { pool: pool.name }),
        );
    }
    let default = match ctx.default_for(&pool.pool_type).await {
        Ok(default) => default,
        Err(e @ Error::NoDefault { .. }) => return report.end(Outcome::Skipped, Some(e)),
        Err(e) => return report.end(Outcome::Failed, Some(e)),
    };
    let current = pool.base_job_template.clone();
    if !current.is_object() {
        let e = Error::Shape {
            input: format!("the stored base_job_template of work pool {:?}", pool.name),
            message: format!(
                "is a json {}, not an object; fix it with `prefect work-pool update --base-job-template`",
                crate::input::kind(&current)
            ),
        };
        return report.end(Outcome::Failed, Some(e));
    }

    let base = match ctx.base_for(&pool) {
        Ok(base) => base,
        Err(e) => return report.end(Outcome::Failed, Some(e)),
    };
    let merged = merge::merge3(base.as_ref(), &default, &current, ctx.strategy);
    let mut violations = template::check(&merged.template);
    violations.extend(identity::check_template(&merged.template));
    if ctx.check_deployments {
        match super::deployments::check(&ctx.client, &pool.name).await {
            Ok(found) => violations.extend(found),
            Err(e) => return report.end(Outcome::Failed, Some(e)),
        }
    }
    let outcome = if !violations.is_empty() {
        Outcome::Invalid
    } else if merged.template == current {
        Outcome::UpToDate
    } else if ctx.dry_run {
        Outcome::WouldChange
    } else {
        match super::push::push(ctx, &pool, &merged.template, Some(&default)).await {
            Ok(()) => Outcome::Updated,
            Err(e @ Error::Conflict { .. }) => {
                report.error = Some(e);
                Outcome::Conflict
            }
            Err(e) => {
                report.error = Some(e);
                Outcome::Failed
            }
        }
    };
    report.outcome = outcome;
    report.warnings = merged.warnings;
    report.upstream = merged.upstream;
    report.violations = violations;
    report.current = Some(current);
    report.merged = Some(merged.template);
    report
}
