//! `poolsync update`: the data path of every pool, one stage per function, read top to
//! bottom in [`run`]:
//!
//! [`targets`] (which pools, read or listed as the workers need them) -> [`prepare_each`],
//! `concurrency` at once ([`prepare`]: read -> merge -> check -> decide) -> [`write_chunks`]:
//! what must be written, in chunks, through the safe write ([`SafeWrite::chunk`]: backups,
//! one re-read, the PATCHes, one read-back) -> [`print()`] each report as it ends ->
//! [`exit_code`], the exit rule.
//! One pool and many share this path; only the printer differs.

mod prepare;
mod targets;

use super::connect;
use super::outcome::Report;
use super::output::Printer;
use super::plan::{ExitRule, Plan};
use super::signals::Stop;
use super::tally::Tally;
use super::write::{Forming, SafeWrite};
use crate::cli::{ConnectionArgs, UpdateArgs};
use crate::error::{Error, Result};
use futures::{SinkExt, Stream, StreamExt, stream};
use prepare::{Prepared, Shared, Target};
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
        ctx.options.backup_dir.as_deref(),
        plan.concurrency,
    );
    let mut printer = Printer::new(plan.mode, plan.format, plan.color, plan.progress);

    let store = ctx.options.check_deployments.then_some(&ctx.deployments);
    let bar = printer.progress();
    let targets = targets::targets(
        &ctx.client,
        store,
        plan.selection,
        plan.mode,
        plan.chunk,
        bar,
    );
    let prepared = prepare_each(&ctx, targets, &stop, plan.concurrency);
    // Prepared pools wait in a queue of one chunk, so preparing goes on while writes are
    // held back (by pacing, a slow server, a retry), and the next chunk forms from the queue.
    let (queue, queued) = futures::channel::mpsc::channel(plan.chunk);
    let produce = async move {
        let mut queue = queue.sink_map_err(drop);
        let _ = queue.send_all(&mut prepared.map(Ok)).await;
    };
    let forming = Forming::default();
    let ended = write_chunks(queued, &writer, &forming, &stop, plan.chunk);
    let ((), printed) = futures::join!(produce, print(ended, &mut printer, &ctx, &stop));
    let (tally, listing_error) = printed?;
    let held = printer.finish(&tally)?;
    exit_code(&plan.exit, &tally, held, listing_error)
}

/// Prepares each target, `concurrency` at once, until a signal stops new work.
fn prepare_each<'a>(
    ctx: &'a Shared,
    targets: impl Stream<Item = Result<Target>> + 'a,
    stop: &Stop,
    concurrency: usize,
) -> impl Stream<Item = Result<Prepared>> + 'a {
    let running = stop.clone();
    targets
        .take_while(move |_| std::future::ready(running.running()))
        .map(move |target| async move {
            match target {
                Ok(target) => Ok(prepare::prepare(ctx, target).await),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(concurrency)
}

/// Groups what is ready into chunks of up to `chunk` (a chunk forms once the chunks before
/// it have sent their first round, see [`Forming`]), writes each chunk's pending pools
/// through the safe write, and yields every pool's final report, with a listing's error.
fn write_chunks<'a>(
    prepared: impl Stream<Item = Result<Prepared>> + 'a,
    writer: &'a SafeWrite<'a>,
    forming: &'a Forming,
    stop: &'a Stop,
    chunk: usize,
) -> impl Stream<Item = (Vec<Report>, Option<Error>)> + 'a {
    let chunks = Box::pin(prepared.ready_chunks(chunk));
    stream::unfold(chunks, move |mut chunks| async move {
        forming.due().await;
        let steps = chunks.next().await?;
        Some(((steps, forming.handed()), chunks))
    })
    .map(move |(steps, starting)| async move {
        let (mut reports, mut writes, mut listing) = (Vec::new(), Vec::new(), None);
        for step in steps {
            match step {
                Ok(Prepared::Ended(report)) => reports.push(*report),
                Ok(Prepared::Write(pending)) => writes.push(*pending),
                Err(e) => listing = Some(e),
            }
        }
        if writes.is_empty() {
            drop(starting);
        } else {
            let written = writer.chunk(writes, stop, Some(starting)).await;
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
