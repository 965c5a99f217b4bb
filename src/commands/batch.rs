//! Running `update` over one or many pools: listing pages lazily, name filters, bounded
//! concurrency over one client, the progress bar, and the run's exit code.

use super::output::{Printer, Tally};
use super::update::{self, Context, Report, Target};
use crate::api::{Listed, PAGE_SIZE};
use crate::cli::UpdateArgs;
use crate::error::{Error, Result};
use futures::{StreamExt, TryStreamExt, stream};
use globset::{Glob, GlobSet, GlobSetBuilder};

/// Name filters of `--name` and `--exclude`.
#[derive(Debug)]
pub struct NameFilter {
    include: Option<GlobSet>,
    exclude: GlobSet,
}

impl NameFilter {
    /// Compiles the globs; an empty include list means every name.
    pub fn new(include: &[String], exclude: &[String]) -> Result<NameFilter> {
        let build = |globs: &[String], flag: &str| -> Result<GlobSet> {
            let mut set = GlobSetBuilder::new();
            for glob in globs {
                set.add(Glob::new(glob).map_err(|e| {
                    Error::Usage(format!("invalid {flag} glob {glob:?}: {}", e.kind()))
                })?);
            }
            set.build()
                .map_err(|e| Error::Usage(format!("invalid {flag} globs: {e}")))
        };
        let include = (!include.is_empty())
            .then(|| build(include, "--name"))
            .transpose()?;
        Ok(NameFilter {
            include,
            exclude: build(exclude, "--exclude")?,
        })
    }

    /// Whether a pool name passes the filters.
    pub fn matches(&self, name: &str) -> bool {
        self.include.as_ref().is_none_or(|set| set.is_match(name)) && !self.exclude.is_match(name)
    }
}

/// Runs `update` for every selected pool and prints the reports; returns the exit code.
pub async fn run(args: &UpdateArgs, ctx: Context, mut printer: Printer) -> Result<u8> {
    let single = !args.all && args.pools.len() == 1;
    let concurrency = usize::from(args.concurrency);
    let ctx = &ctx;
    let mut tally = Tally::default();
    let mut listing_error = None;

    if args.all {
        let filter = NameFilter::new(&args.names, &args.exclude)?;
        let (filter, types, bar) = (&filter, &args.types, printer.progress());
        // Pages are fetched only when the workers need more pools.
        let pages = stream::try_unfold(Some(0usize), move |offset| async move {
            let Some(offset) = offset else {
                return Ok(None);
            };
            let page = ctx.client.filter_pools(types, offset).await?;
            let next = (page.len() == PAGE_SIZE).then_some(offset + PAGE_SIZE);
            Ok::<_, Error>(Some((page, next)))
        });
        let reports = pages
            .map_ok(|page: Vec<Listed>| {
                let page: Vec<_> = page
                    .into_iter()
                    .filter(|p| filter.matches(p.name()))
                    .collect();
                bar.inc_length(page.len() as u64);
                stream::iter(page.into_iter().map(Ok::<_, Error>))
            })
            .try_flatten()
            .map(|listed| async move {
                Ok(match listed? {
                    Listed::Pool(pool) => update::sync(ctx, Target::Pool(pool)).await,
                    Listed::Unreadable { name, error } => Report::failed(&name, error),
                })
            })
            .buffer_unordered(concurrency);
        let mut reports = std::pin::pin!(reports);
        while let Some(report) = reports.next().await {
            match report {
                Ok(report) => {
                    tally.add(&report);
                    printer.report(report)?;
                }
                Err(e) => listing_error = Some(e),
            }
        }
    } else {
        printer.progress().inc_length(args.pools.len() as u64);
        let mut reports = stream::iter(args.pools.iter().cloned())
            .map(|name| update::sync(ctx, Target::Name(name)))
            .buffer_unordered(concurrency);
        while let Some(report) = reports.next().await {
            tally.add(&report);
            if single {
                if let Some(error) = printer.single(report)? {
                    return Err(error);
                }
            } else {
                printer.report(report)?;
            }
        }
    }
    tally.retries = ctx.client.retries();
    if !single {
        printer.finish(&tally)?;
    }
    match listing_error {
        Some(e) => Err(e),
        None => Ok(tally.exit_code(args.dry_run && args.detailed_exitcode)),
    }
}
