//! `poolsync update`: the data path of every pool, one stage per function, read top to
//! bottom in [`run`]:
//!
//! [`targets`] (which pools, read or listed as the workers need them) -> [`prepare_each`],
//! `concurrency` at once ([`prepare`]: read -> merge -> check -> decide) -> [`sort`]: a
//! final report to the printer, a write to the queue -> [`write()`]: the queue through the
//! safe write ([`SafeWrite::flow`]: rounds of backups, one re-read that reads back the round
//! before, the PATCHes) -> [`print()`] each report as it ends -> [`exit_code`], the exit rule.
//! The stages run at once: preparing goes on while writes are held back.
//! One pool and many share this path; only the printer differs.

mod prepare;
mod targets;

use super::connect;
use super::outcome::Report;
use super::outcome::Upgrade;
use super::output::Printer;
use super::plan::{ExitRule, Plan};
use super::signals::Stop;
use super::tally::Tally;
use super::write::{Pending, SafeWrite};
use crate::cli::{ConnectionArgs, UpdateArgs};
use crate::error::{Error, Result};
use futures::channel::mpsc;
use futures::{SinkExt, Stream, StreamExt};
use prepare::{Prepared, Shared, Target};
use std::io::IsTerminal;

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
    // Three stages at once: sorting sends each prepared pool to the printer (nothing to
    // write) or to the safe write, which backs it up and queues it for a round (up to a
    // chunk waits, so preparing goes on while writes are held back); the printer prints each
    // end as it comes. A printer error stops them all.
    let (queue, queued) = mpsc::channel(plan.concurrency);
    let (ends, ended) = mpsc::unbounded();
    let sorted = sort(prepared, queue, ends.clone());
    let written = write(&writer, queued, ends, &stop, plan.chunk);
    let printed = print(ended, &mut printer, &ctx, &stop);
    let ((), (), (tally, listing_error)) = futures::try_join!(sorted, written, printed)?;
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

/// One pool's end on its way to the printer, or the error that cut the listing short.
enum End {
    Report(Box<Report>),
    Listing(Error),
}

/// Sends each prepared pool on: a write to the queue, a final report to the printer.
async fn sort(
    prepared: impl Stream<Item = Result<Prepared>>,
    mut queue: mpsc::Sender<Pending<Upgrade>>,
    ends: mpsc::UnboundedSender<End>,
) -> Result<()> {
    let mut prepared = std::pin::pin!(prepared);
    while let Some(step) = prepared.next().await {
        let sent = match step {
            Ok(Prepared::Write(pending)) => queue.send(*pending).await.is_ok(),
            Ok(Prepared::Ended(report)) => ends.unbounded_send(End::Report(report)).is_ok(),
            Err(e) => ends.unbounded_send(End::Listing(e)).is_ok(),
        };
        if !sent {
            break;
        }
    }
    Ok(())
}

/// Writes the queued pools through the safe write, rounds of at most `chunk`, and sends
/// each end to the printer.
async fn write(
    writer: &SafeWrite<'_>,
    queued: mpsc::Receiver<Pending<Upgrade>>,
    ends: mpsc::UnboundedSender<End>,
    stop: &Stop,
    chunk: usize,
) -> Result<()> {
    let out = |written| {
        let _ = ends.unbounded_send(End::Report(Box::new(Report::written(written))));
    };
    writer.flow(queued, chunk, stop, out).await;
    Ok(())
}

/// Prints each report as it ends and adds it up; returns the tally (with what the run cost)
/// and the first listing error.
async fn print(
    ended: impl Stream<Item = End>,
    printer: &mut Printer,
    ctx: &Shared,
    stop: &Stop,
) -> Result<(Tally, Option<Error>)> {
    let mut tally = Tally::default();
    let mut listing_error = None;
    let mut ended = std::pin::pin!(ended);
    while let Some(end) = ended.next().await {
        match end {
            End::Report(report) => {
                tally.add(&report);
                printer.report(*report)?;
            }
            End::Listing(error) => listing_error = listing_error.or(Some(error)),
        }
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
