//! `update`'s first stage: the pools to work on, as a stream of [`Target`]s in the order
//! they become known: named pools read in chunks, or listing pages fetched as the workers
//! need them (pages overlap by one pool so a shift is seen; a re-list catches what it
//! skipped). With `--check-deployments`, each chunk's deployments are loaded alongside.
//! [`drive`] runs the stream as a stage of its own, so each read's answer is taken in as it
//! arrives.

use super::listing::Lister;
use super::prepare::Target;
use crate::api::{Client, PAGE_SIZE};
use crate::commands::deployments::Store;
use crate::commands::plan::{Mode, Selection};
use crate::commands::write::Window;
use crate::error::{Error, Result};
use futures::channel::mpsc;
use futures::{SinkExt, Stream, StreamExt, stream};
use indicatif::ProgressBar;
use std::sync::Arc;

/// The pools to work on, in the order they become known. An `Err` is a listing that failed:
/// the run reports it and ends with it after the pools already found.
pub(super) fn targets<'a>(
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
            let lister = Lister::new(client, deployments, types, filter, bar);
            stream::unfold(lister, Lister::next)
                .flat_map(stream::iter)
                .boxed()
        }
    }
}

/// Reads a chunk of named pools in one request; a name the server does not know ends
/// `failed` (not found), and a failed read fails every name of the chunk.
async fn named(client: &Client, names: Vec<String>) -> Vec<Result<Target>> {
    match client.read_pools(&names).await {
        Ok((pools, by)) => {
            let mut found: std::collections::HashMap<String, _> =
                pools.into_iter().map(|p| (p.name.clone(), p)).collect();
            names
                .into_iter()
                .map(|name| match found.remove(&name) {
                    Some(pool) => Ok(Target::Pool(pool, Some(Window::until(by)))),
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

/// Runs `targets` into `found`, one target ahead of the stages after it. A listing page or
/// a chunk of names is read only once they have taken what came before (as when they pull
/// it themselves), but its answer is taken in as soon as it arrives: the window of the pools
/// on it (its `window_end`) starts then. Pulled by the stages
/// after it instead, an answer that came while they were busy (the write's rounds hold
/// them for up to a round) waited there unread, and its window started hundreds of
/// milliseconds after the server had read the pools: a PATCH sent at once on it could
/// leave that much later than README's window allows.
pub(super) async fn drive<T>(targets: impl Stream<Item = T>, found: mpsc::Sender<T>) {
    // An error means the stages after it ended (a printer error): nothing more is needed.
    let _ = targets.map(Ok).forward(found.sink_map_err(drop)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// A stream whose second target takes a read of 20 ms, and when that read's answer was
    /// taken in, while the stage after it waits 300 ms before it pulls again.
    #[tokio::test]
    async fn an_answer_is_taken_in_while_the_stages_after_it_are_busy() {
        let start = Instant::now();
        let taken = OnceLock::new();
        let targets = stream::iter([0, 1]).then(|i| {
            let taken = &taken;
            async move {
                if i == 1 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    taken.get_or_init(|| start.elapsed());
                }
                i
            }
        });
        let (found, mut pulled) = mpsc::channel(0);
        let stages = async {
            assert_eq!(pulled.next().await, Some(0));
            // Busy: the read of the next target goes on without this stage.
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(pulled.next().await, Some(1));
            assert_eq!(pulled.next().await, None);
        };
        futures::join!(drive(targets, found), stages);
        let at = *taken.get().expect("the second target was read");
        assert!(at < Duration::from_millis(200), "taken in after {at:?}");
    }
}
