//! The data path of one pool up to its write, in three stages: [`gather`] (async: read the
//! pool, find its type's default) -> [`merge_group`] (synchronous, for a group of pools on a
//! blocking thread, off the thread that drives the requests: the backup lookup on disk, the
//! merge, the checks of the merged template) -> [`finish`] (async: the deployments check,
//! then decide). What needs writing becomes a [`Pending`] for
//! [`SafeWrite`](crate::commands::write::SafeWrite); everything else ends in a [`Report`].

use super::shared::{Basis, Shared};
use crate::api::WorkPool;
use crate::backup;
use crate::commands::deployments;
use crate::commands::outcome::{Held, Outcome, Report, Upgrade};
use crate::commands::write::{Pending, Record, Window};
use crate::error::{Error, Result};
use poolsync_engine::finding::Finding;
use poolsync_engine::history::Origin;
use poolsync_engine::merge::{self, Merged};
use serde_json::Value;
use serde_json::value::RawValue;
use std::sync::Arc;

/// Which pool to work on: a name still to read, or a pool a listing already returned.
#[derive(Debug)]
pub(super) enum Target {
    /// Read the pool first (`GET /work_pools/{name}`).
    Name(String),
    /// Already read, with the end of that read's window (a PATCH may follow it without a
    /// re-read until then), when known.
    Pool(WorkPool, Option<Window>),
    /// Could not be read or parsed: ends `failed`, by name.
    Unreadable(String, Error),
}

/// Where one pool's run stands after [`gather`].
#[derive(Debug)]
pub(super) enum Gathered {
    /// Ended already (unreadable, reserved, no default).
    Ended(Box<Report>),
    /// Read (with the end of the read's window), with its type's default: ready to merge.
    Ready(Box<(WorkPool, Arc<Value>, Option<Window>)>),
}

/// Where one pool's run stands after [`merge_group`].
#[derive(Debug)]
pub(super) enum Checked {
    /// Ended already (a stored template that is no object, an unreadable backup).
    Ended(Box<Report>),
    /// Merged and checked: [`finish`] decides.
    Merged(Box<Candidate>),
}

/// A pool merged and checked on the blocking thread.
#[derive(Debug)]
pub(super) struct Candidate {
    /// The pool as read.
    pool: WorkPool,
    /// The merge.
    merge: Merged,
    /// Where the merge's base came from, or why there was none.
    origin: Origin,
    /// What its backup will record.
    record: Record,
    /// What the checks of the merged template found.
    violations: Vec<Finding>,
    /// The merged template is the stored one.
    unchanged: bool,
    /// The JSON Patch operations from the stored template to the merged one: how many, and
    /// as text.
    changes: usize,
    patch: Option<Box<RawValue>>,
    /// The stored template as compact text, for a pool likely to be written.
    text: Option<Box<RawValue>>,
    /// The end of the read's window.
    read_by: Option<Window>,
}

/// Where one pool's run stands after [`finish`].
#[derive(Debug)]
pub(super) enum Prepared {
    /// Nothing to write: the pool's report is final.
    Ended(Box<Report>),
    /// A write is due, carrying the merge to report once it ends.
    Write(Box<Pending<Upgrade>>),
}

impl Target {
    /// The pool's name, read or not.
    fn name(&self) -> &str {
        match self {
            Target::Name(name) | Target::Unreadable(name, _) => name,
            Target::Pool(pool, _) => &pool.name,
        }
    }
}

/// Stage 1 (async): the pool as the server holds it (read now, or as the listing returned
/// it), and its type's default. Never fails: an error ends the pool in a [`Report`] (its
/// outcome through [`Outcome::of`]), so one pool cannot stop a batch.
pub(super) async fn gather(ctx: &Shared, target: Target) -> Gathered {
    let name = target.name().to_string();
    let (pool, read_by) = match target {
        Target::Pool(pool, read_by) => (pool, read_by),
        Target::Name(name) => match ctx.client.read_pool_timed(&name).await {
            Ok((pool, by)) => (pool, Some(Window::until(by))),
            Err(error) => {
                return Gathered::Ended(Box::new(Report::failed(name, None, None, error)));
            }
        },
        Target::Unreadable(_, error) => {
            return Gathered::Ended(Box::new(Report::failed(name, None, None, error)));
        }
    };
    let pool_type = Some(pool.pool_type.clone());
    let default = match WorkPool::is_reserved(&pool.name) {
        true => Err(Error::ReservedPool {
            pool: pool.name.clone(),
        }),
        false => ctx.default_for(&pool.pool_type).await,
    };
    match default {
        Ok(default) => Gathered::Ready(Box::new((pool, default, read_by))),
        Err(error) => Gathered::Ended(Box::new(Report::failed(name, pool_type, None, error))),
    }
}

/// Stage 2 (synchronous, on a blocking thread): each pool of `group` merged from the base
/// chosen for it (which may read its backups on disk) and its merged template checked, in
/// the group's order.
pub(super) async fn merge_group(ctx: &Shared, group: Vec<Gathered>) -> Vec<Checked> {
    let basis = Arc::clone(&ctx.basis);
    let names: Vec<(String, Option<String>)> = group.iter().map(Gathered::names).collect();
    let merged = tokio::task::spawn_blocking(move || {
        group
            .into_iter()
            .map(|gathered| match gathered {
                Gathered::Ended(report) => Checked::Ended(report),
                Gathered::Ready(ready) => {
                    let (pool, default, read_by) = *ready;
                    merge_one(&basis, pool, default, read_by)
                }
            })
            .collect()
    })
    .await;
    match merged {
        Ok(merged) => merged,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only a runtime shutting down cancels it: nothing of these pools was written.
        Err(e) => {
            let shared = Arc::new(Error::Usage(format!(
                "the merge of this pool was cancelled ({e}), nothing was written; run poolsync again"
            )));
            names
                .into_iter()
                .map(|(name, pool_type)| {
                    let error = Error::Shared(Arc::clone(&shared));
                    Checked::Ended(Box::new(Report::failed(name, pool_type, None, error)))
                })
                .collect()
        }
    }
}

impl Gathered {
    /// The pool's name and, when read, its type.
    fn names(&self) -> (String, Option<String>) {
        match self {
            Gathered::Ended(report) => (report.pool.clone(), report.pool_type.clone()),
            Gathered::Ready(ready) => (ready.0.name.clone(), Some(ready.0.pool_type.clone())),
        }
    }
}

/// One pool's merge of its stored template into `default`, and the checks of the result;
/// `read_by` (the end of the window of the read it came from) is carried on.
fn merge_one(
    basis: &Basis,
    pool: WorkPool,
    default: Arc<Value>,
    read_by: Option<Window>,
) -> Checked {
    let current = &pool.base_job_template;
    if !current.is_object() {
        let error = Error::Shape {
            input: format!("the stored base_job_template of work pool {:?}", pool.name),
            message: format!(
                "is a json {}, not an object; fix it with `prefect work-pool update --base-job-template`",
                crate::input::kind(current)
            ),
        };
        let report = Report::failed(pool.name, Some(pool.pool_type), None, error);
        return Checked::Ended(Box::new(report));
    }
    let base = match basis.base_for(&pool, &default) {
        Ok(base) => base,
        Err(error) => {
            let report = Report::failed(pool.name, Some(pool.pool_type), None, error);
            return Checked::Ended(Box::new(report));
        }
    };
    let options = &basis.options;
    let shared = base
        .template
        .map(|template| basis.share(template, &default));
    let merge = merge::merge3(shared.as_deref(), &default, current, options.strategy);
    let violations = poolsync_engine::checks::before_write(&merge.template);
    let unchanged = merge.template == *current;
    let (changes, patch) = match unchanged {
        true => (0, RawValue::from_string("[]".into()).ok()),
        false => poolsync_engine::diff::json_patch_text(current, &merge.template),
    };
    let likely_written = !unchanged && !options.dry_run && violations.is_empty();
    let text = likely_written
        .then(|| serde_json::value::to_raw_value(current).ok())
        .flatten();
    let record = Record {
        kind: backup::WriteKind::Update,
        base_origin: shared.as_ref().map(|_| base.origin.to_string()),
        default: Some(default),
        base: shared,
        restored: None,
    };
    Checked::Merged(Box::new(Candidate {
        pool,
        merge,
        origin: base.origin,
        record,
        violations,
        unchanged,
        changes,
        patch,
        text,
        read_by,
    }))
}

/// Stage 3 (async): with `--check-deployments`, the pool's deployments checked against the
/// merged template; then what blocks the push ends the pool `invalid`, and the rest is
/// decided: nothing to write (up to date, or a dry run), or a write for the safe write.
pub(super) async fn finish(ctx: &Shared, checked: Checked) -> Prepared {
    let candidate = match checked {
        Checked::Ended(report) => return Prepared::Ended(report),
        Checked::Merged(candidate) => *candidate,
    };
    let Candidate {
        pool,
        merge,
        origin,
        record,
        violations,
        unchanged,
        changes,
        patch,
        text,
        read_by,
    } = candidate;
    let mut merged = Upgrade {
        current: Held::Tree(Value::Null),
        template: merge.template,
        changes,
        patch,
        origin,
        warnings: merge.warnings,
        upstream: merge.upstream,
        kept_out: merge.kept_out,
        violations,
        deployments: None,
    };
    let options = ctx.options();
    let blocked = match options.check_deployments {
        true => check_deployments(ctx, &pool, &mut merged).await,
        false => Ok(()),
    }
    .and_then(|()| blocked(&pool, &merged));
    let (name, pool_type) = (pool.name.clone(), Some(pool.pool_type.clone()));
    let outcome = match blocked {
        Err(error) => Err(error),
        Ok(()) if unchanged => Ok(Outcome::UpToDate),
        Ok(()) if options.dry_run => Ok(Outcome::WouldChange),
        Ok(()) => {
            merged.current = match text {
                Some(text) => Held::Text(text),
                None => Held::compact(&pool.base_job_template),
            };
            return Prepared::Write(Box::new(Pending {
                pool,
                record,
                carried: merged,
                read_by,
            }));
        }
    };
    merged.current = Held::Tree(pool.base_job_template);
    let report = match outcome {
        Ok(outcome) => Report::ended(name, pool_type, Some(Box::new(merged)), outcome),
        Err(error) => Report::failed(name, pool_type, Some(Box::new(merged)), error),
    };
    Prepared::Ended(Box::new(report))
}

/// The pool's deployments against the merged template: what they find is kept in `merged`.
async fn check_deployments(ctx: &Shared, pool: &WorkPool, merged: &mut Upgrade) -> Result<()> {
    let found = ctx.deployments.of(&ctx.client, &pool.name).await?;
    merged.violations.extend(deployments::identity(&found));
    let checked = deployments::compare(&pool.base_job_template, &merged.template, &found);
    if !ctx.options().allow_breaking_deployments {
        merged.violations.extend(
            checked
                .of(poolsync_engine::job_variables::ProblemKind::Breaks)
                .map(deployments::Found::violation),
        );
    }
    merged.deployments = Some(checked);
    Ok(())
}

/// Whether what the checks found blocks the push.
fn blocked(pool: &WorkPool, merged: &Upgrade) -> Result<()> {
    match merged.violations.is_empty() {
        true => Ok(()),
        false => Err(Error::Invalid {
            blocked: true,
            subject: format!("merged template for work pool {:?}", pool.name),
            violations: merged.violations.clone(),
        }),
    }
}
