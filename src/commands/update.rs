//! `poolsync update`: the data path of every pool, one stage per function, read top to
//! bottom in [`run`]:
//!
//! [`targets`] (which pools, read or listed as the workers need them) -> [`gather_each`],
//! `concurrency` at once ([`prepare::gather`]: read, find the default) -> [`write_chunks`]:
//! in chunks, each chunk merged and checked on a blocking thread ([`prepare::merge_group`],
//! so the merge never holds up the requests in flight), decided ([`prepare::finish`]), and
//! what must be written sent through the safe write ([`SafeWrite::chunk`]: backups, one
//! re-read, the PATCHes, one read-back) -> [`print()`] each report as it ends ->
//! [`exit_code`], the exit rule.
//! One pool and many share this path; only the printer differs.

mod prepare;
mod shared;
mod targets;

use super::connect;
use super::outcome::Report;
use super::output::Printer;
use super::plan::{ExitRule, Plan};
use super::signals::Stop;
use super::tally::Tally;
use super::write::SafeWrite;
use crate::cli::{ConnectionArgs, UpdateArgs};
use crate::error::{Error, Result};
use futures::{Stream, StreamExt, stream};
use prepare::{Gathered, Prepared, Target};
use shared::Shared;
use std::io::IsTerminal;

/// Chunks of writes in flight at once: the next chunks' re-reads and PATCHes overlap a chunk
/// waiting for its slowest write (a retried 503) before its read-back.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Runs `update`; returns the exit code. Each stage is one function, in data-path order.
pub(super) async fn run(connection: &ConnectionArgs, args: &UpdateArgs, color: bool) -> Result<u8> {
    let plan = Plan::new(args, color, std::io::stderr().is_terminal())?;
    let stop = Stop::listen();
    let client = connect::client(connection)?
        .paced(plan.max_rps, plan.concurrency)
        .interruptible(stop.interrupt());
    let ctx = Shared::new(client, plan.sync);
    let writer = SafeWrite::new(
        &ctx.client,
        ctx.options().backup_dir.as_deref(),
        plan.concurrency,
    );
    let mut printer = Printer::new(plan.mode, plan.format, plan.color, plan.progress);

    let store = ctx.options().check_deployments.then_some(&ctx.deployments);
    let bar = printer.progress();
    let targets = targets::targets(
        &ctx.client,
        store,
        plan.selection,
        plan.mode,
        plan.chunk,
        bar,
    );
    let gathered = gather_each(&ctx, targets, &stop, plan.concurrency);
    let chunks = Chunks {
        ctx: &ctx,
        writer: &writer,
        stop: &stop,
        chunk: plan.chunk,
        concurrency: plan.concurrency,
    };
    let ended = write_chunks(gathered, chunks);
    let (tally, listing_error) = print(ended, &mut printer, &ctx, &stop).await?;
    let held = printer.finish(&tally)?;
    exit_code(&plan.exit, &tally, held, listing_error)
}

/// Reads each target and finds its default, `concurrency` at once, in the targets' order,
/// until a signal stops new work.
fn gather_each<'a>(
    ctx: &'a Shared,
    targets: impl Stream<Item = Result<Target>> + 'a,
    stop: &Stop,
    concurrency: usize,
) -> impl Stream<Item = Result<Gathered>> + 'a {
    let running = stop.clone();
    targets
        .take_while(move |_| std::future::ready(running.running()))
        .map(move |target| async move {
            match target {
                Ok(target) => Ok(prepare::gather(ctx, target).await),
                Err(e) => Err(e),
            }
        })
        .buffered(concurrency)
}

/// What [`write_chunks`] works with.
#[derive(Clone, Copy)]
struct Chunks<'a> {
    /// What every pool of the run shares.
    ctx: &'a Shared,
    /// The safe write.
    writer: &'a SafeWrite<'a>,
    /// Set by a signal: no new PATCH starts.
    stop: &'a Stop,
    /// Pools per chunk.
    chunk: usize,
    /// Pools decided at once (their deployments may need reading).
    concurrency: usize,
}

/// Groups what is gathered into chunks of `chunk`; merges and checks each chunk on a
/// blocking thread while the chunks before it write; writes each chunk's pending pools
/// through the safe write, and yields every pool's final report, with a listing's error.
fn write_chunks<'a>(
    gathered: impl Stream<Item = Result<Gathered>> + 'a,
    at: Chunks<'a>,
) -> impl Stream<Item = (Vec<Report>, Option<Error>)> + 'a {
    gathered
        .ready_chunks(at.chunk)
        .map(move |steps| async move {
            let (mut group, mut listing) = (Vec::new(), None);
            for step in steps {
                match step {
                    Ok(gathered) => group.push(gathered),
                    Err(e) => listing = Some(e),
                }
            }
            let checked = match group.is_empty() {
                true => Vec::new(),
                false => prepare::merge_group(at.ctx, group).await,
            };
            (checked, listing)
        })
        // Merged only when a chunk can start writing: no merged chunk waits in memory.
        .buffered(1)
        .map(move |(checked, listing)| async move {
            let decided: Vec<Prepared> = stream::iter(checked)
                .map(|checked| prepare::finish(at.ctx, checked))
                .buffered(at.concurrency)
                .collect()
                .await;
            let (mut reports, mut writes) = (Vec::new(), Vec::new());
            for step in decided {
                match step {
                    Prepared::Ended(report) => reports.push(*report),
                    Prepared::Write(pending) => writes.push(*pending),
                }
            }
            if !writes.is_empty() {
                let written = at.writer.chunk(writes, at.stop).await;
                reports.extend(written.into_iter().map(Report::written));
            }
            (reports, listing)
        })
        .buffer_unordered(CHUNKS_IN_FLIGHT)
}

/// Prints each report as it ends and adds it up; returns the tally (with what the run cost)
/// and the first listing error.
async fn print(
    ended: impl Stream<Item = (Vec<Report>, Option<Error>)>,
    printer: &mut Printer,
    ctx: &Shared,
    stop: &Stop,
) -> Result<(Tally, Option<Error>)> {
    let mut tally = Tally::default();
    let mut listing_error = None;
    let mut ended = std::pin::pin!(ended);
    while let Some((reports, listing)) = ended.next().await {
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
    Ok((tally, listing_error))
}

/// The exit rule: a signal's code (after saying what went wrong), else the first error held
/// back (a failed listing first), else what the exit rule makes of the tally.
fn exit_code(
    rule: &ExitRule,
    tally: &Tally,
    held: Option<Error>,
    listing_error: Option<Error>,
) -> Result<u8> {
    if let Some(signal) = tally.interrupted {
        // A listing cut by the signal is no error of its own.
        let listing_error = listing_error.filter(|e| !matches!(e, Error::Interrupted { .. }));
        if let Some(error) = held.or(listing_error) {
            eprintln!("error: {}", error.shown());
        }
        return Ok(signal.exit_code());
    }
    match listing_error.or(held) {
        Some(error) => Err(error),
        None => Ok(rule.code(tally.failed(), tally.would_change())),
    }
}
