//! `poolsync update`: the data path of every pool, one stage per function, read top to
//! bottom in [`run`]:
//!
//! [`targets`] (which pools, read or listed as the workers need them) -> [`prepare_each`]
//! ([`prepare::gather`]: read, find the default, `concurrency` at once -> a group at a time
//! on a blocking thread, [`prepare::merge_group`]: merge, check -> [`prepare::finish`]:
//! decide) -> [`sort`]: a final report to the printer, a write to the queue -> [`write()`]:
//! the queue through the
//! safe write ([`SafeWrite::flow`]: rounds of backups, one re-read that reads back the round
//! before, the PATCHes) -> [`print()`] each report as it ends -> [`exit_code`], the exit rule.
//! The stages run at once: preparing goes on while writes are held back.
//! One pool and many share this path; only the printer differs.

mod listing;
mod prepare;
mod shared;
mod targets;

use super::connect;
use super::outcome::Report;
use super::outcome::Upgrade;
use super::output::Printer;
use super::plan::{ExitRule, Plan, Selection};
use super::signals::Stop;
use super::tally::Tally;
use super::write::{Pending, SafeWrite};
use crate::cli::{ConnectionArgs, UpdateArgs};
use crate::error::{Error, Result};
use futures::channel::mpsc;
use futures::{SinkExt, Stream, StreamExt, stream};
use prepare::{Gathered, Prepared, Target};
use shared::Shared;
use std::io::IsTerminal;
use std::task::Poll;

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
    let listed = matches!(plan.selection, Selection::All { .. });
    let bar = printer.progress();
    let listing = targets::targets(
        &ctx.client,
        store,
        plan.selection,
        plan.mode,
        plan.chunk,
        bar,
    );
    // The targets are read by a stage of their own, so each page's answer, and the window
    // of the pools on it, is taken in as it arrives (see `targets::drive`).
    let (found, targets) = mpsc::channel(0);
    let listing = async {
        targets::drive(listing, found).await;
        Ok(())
    };
    let prepared = prepare_each(&ctx, targets, &stop, plan.concurrency, plan.chunk);
    // Three stages at once: sorting sends each prepared pool to the printer (nothing to
    // write) or to the safe write, which backs it up and queues it for a round (up to a
    // chunk waits, so preparing goes on while writes are held back); the printer prints each
    // end as it comes. A printer error stops them all.
    let (queue, queued) = mpsc::channel(plan.concurrency);
    let (ends, ended) = mpsc::unbounded();
    let sorted = sort(prepared, queue, ends.clone());
    let written = write(&writer, queued, ends, &stop, plan.chunk);
    let printed = print(ended, &mut printer, &ctx, &stop);
    // A listing's pools all need defaults: both reads go at once.
    let early = async {
        if listed {
            ctx.fetch_defaults().await;
        }
        Ok(())
    };
    let ((), (), (), (tally, listing_error), ()) =
        futures::try_join!(listing, sorted, written, printed, early)?;
    let held = printer.finish(&tally)?;
    exit_code(&plan.exit, &tally, held, listing_error)
}

/// Prepares each target until a signal stops new work: reads it and finds its default
/// (`concurrency` at once, in the targets' order); merges and checks what is gathered, up to
/// `concurrency` (at most `chunk`) at a time, on a blocking thread, so the merge never holds
/// up the requests in flight (one group at a time: what waits merged is bounded by the
/// write queue); decides (`concurrency` at once: the deployments check may read).
fn prepare_each<'a>(
    ctx: &'a Shared,
    targets: impl Stream<Item = Result<Target>> + 'a,
    stop: &Stop,
    concurrency: usize,
    chunk: usize,
) -> impl Stream<Item = Result<Prepared>> + 'a {
    // Groups of at most `concurrency`: the first pools listed are merged, and sent, while
    // the rest of their page is merged, not after it.
    let group = concurrency.clamp(1, chunk.max(1));
    ramped(
        Box::pin(gather_each(ctx, targets, stop, concurrency)),
        group,
    )
    .map(move |steps| async move {
        let (mut group, mut listing) = (Vec::new(), Vec::new());
        for step in steps {
            match step {
                Ok(gathered) => group.push(gathered),
                Err(e) => listing.push(e),
            }
        }
        let checked = match group.is_empty() {
            true => Vec::new(),
            false => prepare::merge_group(ctx, group).await,
        };
        let listing = listing.into_iter().map(Err);
        stream::iter(checked.into_iter().map(Ok).chain(listing))
    })
    .buffered(1)
    .flatten()
    .map(move |step| async move {
        match step {
            Ok(checked) => Ok(prepare::finish(ctx, checked).await),
            Err(e) => Err(e),
        }
    })
    .buffered(concurrency)
}

/// What `items` has ready, in groups that double from one up to `cap`: the first pool is
/// merged, and its PATCH sent, on its own, and each group is merged while the one before it
/// is sent, so the server's first write does not wait for a whole group's merges.
fn ramped<S: Stream + Unpin>(items: S, cap: usize) -> impl Stream<Item = Vec<S::Item>> {
    stream::unfold((items.fuse(), 1), move |(mut items, size)| async move {
        let mut group = vec![items.next().await?];
        while group.len() < size {
            let ready = std::future::poll_fn(|cx| Poll::Ready(items.poll_next_unpin(cx)));
            match ready.await {
                Poll::Ready(Some(item)) => group.push(item),
                Poll::Ready(None) | Poll::Pending => break,
            }
        }
        Some((group, (items, (size * 2).min(cap.max(1)))))
    })
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
                // A round's reports come at once: the write, in the same task, sends its
                // next PATCH between two of them, not after them all.
                tokio::task::yield_now().await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    fn sizes(groups: &[Vec<u32>]) -> Vec<usize> {
        groups.iter().map(Vec::len).collect()
    }

    #[test]
    fn groups_double_from_one_up_to_the_cap() {
        let groups: Vec<Vec<u32>> = block_on(ramped(stream::iter(0..30), 8).collect());
        assert_eq!(sizes(&groups), [1, 2, 4, 8, 8, 7]);
        let order: Vec<u32> = groups.into_iter().flatten().collect();
        assert_eq!(order, (0..30).collect::<Vec<_>>(), "in the order they came");
    }

    #[test]
    fn a_group_takes_only_what_is_ready() {
        let (tx, rx) = mpsc::unbounded();
        for i in 0..3 {
            tx.unbounded_send(i).unwrap();
        }
        let mut groups = Box::pin(ramped(rx, 8));
        let mut next = || block_on(groups.next());
        assert_eq!(next(), Some(vec![0]));
        assert_eq!(next(), Some(vec![1, 2]));
        tx.unbounded_send(3).unwrap();
        assert_eq!(next(), Some(vec![3]), "one ready, not four awaited");
        tx.close_channel();
        assert_eq!(next(), None);
    }

    #[test]
    fn a_cap_of_one_or_none_sends_each_alone() {
        for cap in [0, 1] {
            let groups: Vec<Vec<u32>> = block_on(ramped(stream::iter(0..4), cap).collect());
            assert_eq!(sizes(&groups), [1, 1, 1, 1]);
        }
    }
}
