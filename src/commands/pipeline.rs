//! Running `update` from a [`Plan`]: one stream of targets and one drain loop for one pool
//! and for many; only the printer differs.
//!
//! targets (names read in chunks, or listing pages fetched as the workers need them, pages
//! that overlap by one pool so a shift is seen, and then a re-list that catches what it
//! skipped) -> [`prepare`] each, `concurrency` at
//! once -> group what is ready into chunks -> [`SafeWrite::chunk`] (backups, one re-read, the
//! PATCHes; the pools whose PATCH waited are re-read again; one read-back) -> print each
//! report as it ends -> the exit rule.

use super::deployments::Store;
use super::output::Printer;
use super::paging::Paging;
use super::plan::{Mode, Plan, Selection};
use super::signals::{self, Stop};
use super::tally::Tally;
use super::update::{Context, Step, Target, prepare};
use super::write::SafeWrite;
use crate::api::{Client, Listed, PAGE_SIZE};
use crate::error::{Error, Result};
use futures::{Stream, StreamExt, stream};
use indicatif::ProgressBar;
use std::collections::HashSet;
use std::sync::Arc;

/// Chunks of writes in flight at once: the next chunks' re-reads and PATCHes overlap a chunk
/// waiting for its slowest write (a retried 503) before its read-back.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Runs `update` as planned; returns the exit code.
pub(super) async fn run(plan: Plan, client: Client) -> Result<u8> {
    let stop = Stop::listen();
    let client = client
        .paced(plan.max_rps, plan.concurrency)
        .interruptible(stop.interrupt());
    let ctx = Context::new(client, plan.sync);
    let writer = SafeWrite::new(
        &ctx.client,
        ctx.options.backup_dir.as_deref(),
        plan.concurrency,
    );
    let mut printer = Printer::new(plan.mode, plan.format, plan.color, plan.progress);
    let (ctx, writer, stop_ref) = (&ctx, &writer, &stop);

    let running = stop.clone();
    let store = ctx.options.check_deployments.then_some(&ctx.deployments);
    let steps = targets(
        &ctx.client,
        store,
        plan.selection,
        plan.mode,
        plan.chunk,
        printer.progress(),
    )
    .take_while(move |_| std::future::ready(running.running()))
    .map(|target| async move {
        match target {
            Ok(target) => Ok(prepare(ctx, target).await),
            Err(e) => Err(e),
        }
    })
    .buffer_unordered(plan.concurrency)
    .ready_chunks(plan.chunk)
    .map(|steps| async move {
        let (mut reports, mut writes, mut listing) = (Vec::new(), Vec::new(), None);
        for step in steps {
            match step {
                Ok(Step::Done(report)) => reports.push(*report),
                Ok(Step::Write(pending)) => writes.push(*pending),
                Err(e) => listing = Some(e),
            }
        }
        if !writes.is_empty() {
            reports.extend(writer.chunk(writes, stop_ref).await);
        }
        (reports, listing)
    })
    .buffer_unordered(CHUNKS_IN_FLIGHT);

    let mut tally = Tally::default();
    let mut listing_error = None;
    let mut steps = std::pin::pin!(steps);
    while let Some((reports, listing)) = steps.next().await {
        for report in reports {
            tally.add(&report);
            printer.report(report)?;
        }
        listing_error = listing_error.or(listing);
    }
    tally.requests = ctx.client.requests();
    tally.retries = ctx.client.retries();
    tally.pushback = ctx.client.pushback();
    tally.interrupted = stop.signal();
    let held = printer.finish(&tally)?;
    if let Some(signal) = tally.interrupted {
        // A listing cut by the signal is no error of its own.
        let listing_error = listing_error.filter(|e| !matches!(e, Error::Interrupted { .. }));
        if let Some(error) = held.or(listing_error) {
            eprintln!("error: {}", error.shown());
        }
        return Ok(signals::exit_code_of(signal));
    }
    match listing_error.or(held) {
        Some(error) => Err(error),
        None => Ok(plan.exit.code(tally.failed(), tally.would_change())),
    }
}

/// The pools to work on, in the order they become known. An `Err` is a listing that failed:
/// the run reports it and ends with it after the pools already found.
fn targets<'a>(
    client: &'a Client,
    deployments: Option<&'a Store>,
    selection: Selection,
    mode: Mode,
    chunk: usize,
    bar: ProgressBar,
) -> impl Stream<Item = Result<Target>> + 'a {
    match selection {
        Selection::Names(names) if mode == Mode::One => {
            bar.inc_length(names.len() as u64);
            stream::iter(names.into_iter().map(|n| Ok(Target::Name(n)))).boxed()
        }
        Selection::Names(names) => {
            bar.inc_length(names.len() as u64);
            let chunks: Vec<Vec<String>> = names
                .chunks(chunk.min(PAGE_SIZE))
                .map(<[String]>::to_vec)
                .collect();
            // The deployments of every named pool, in one paged listing, before any pool runs.
            let load = async move {
                if let Some(store) = deployments {
                    store.load(client, &names).await;
                }
            };
            stream::once(load)
                .flat_map(move |()| stream::iter(chunks.clone()))
                .then(move |names| named(client, names))
                .flat_map(stream::iter)
                .boxed()
        }
        Selection::All { types, filter } => {
            let listing = Paging::default();
            let seen: HashSet<String> = HashSet::new();
            stream::unfold(
                (listing, seen, types, filter, bar),
                move |(mut listing, mut seen, types, filter, bar)| async move {
                    if listing.done {
                        return None;
                    }
                    let page = match client.filter_pools(&types, listing.offset).await {
                        Ok(page) => page,
                        Err(e) => {
                            listing.done = true;
                            return Some((vec![Err(e)], (listing, seen, types, filter, bar)));
                        }
                    };
                    listing.advance(page.iter().map(Listed::name));
                    let stopped = listing.stopped.take().map(|why| {
                        Err(Error::ListingStopped {
                            url: format!("{}/work_pools/filter", client.base_url()),
                            why,
                        })
                    });
                    let mut new: Vec<Result<Target>> = page
                        .into_iter()
                        .filter(|listed| filter.matches(listed.name()))
                        .filter(|listed| seen.insert(listed.name().to_string()))
                        .map(|listed| {
                            Ok(match listed {
                                Listed::Pool(pool) => Target::Pool(pool),
                                Listed::Unreadable { name, error } => {
                                    Target::Unreadable(name, error)
                                }
                            })
                        })
                        .collect();
                    bar.inc_length(new.len() as u64);
                    if let Some(store) = deployments {
                        // The deployments of the page's pools, in one paged listing.
                        let names: Vec<String> = new
                            .iter()
                            .filter_map(|t| match t {
                                Ok(Target::Pool(pool)) => Some(pool.name.clone()),
                                _ => None,
                            })
                            .collect();
                        store.load(client, &names).await;
                    }
                    new.extend(stopped);
                    Some((new, (listing, seen, types, filter, bar)))
                },
            )
            .flat_map(stream::iter)
            .boxed()
        }
    }
}

/// Reads a chunk of named pools in one request; a name the server does not know ends
/// `failed` (not found), and a failed read fails every name of the chunk.
async fn named(client: &Client, names: Vec<String>) -> Vec<Result<Target>> {
    match client.read_pools(&names).await {
        Ok(pools) => {
            let mut found: std::collections::HashMap<String, _> =
                pools.into_iter().map(|p| (p.name.clone(), p)).collect();
            names
                .into_iter()
                .map(|name| match found.remove(&name) {
                    Some(pool) => Ok(Target::Pool(pool)),
                    None => {
                        let error = Error::PoolNotFound {
                            pool: name.clone(),
                            url: client.base_url().to_string(),
                        };
                        Ok(Target::Unreadable(name, error))
                    }
                })
                .collect()
        }
        Err(e) => {
            let shared = Arc::new(e);
            names
                .into_iter()
                .map(|name| Ok(Target::Unreadable(name, Error::Shared(Arc::clone(&shared)))))
                .collect()
        }
    }
}
