//! `update`'s first stage: the pools to work on, as a stream of [`Target`]s in the order
//! they become known: named pools read in chunks, or listing pages fetched as the workers
//! need them (pages overlap by one pool so a shift is seen; a re-list catches what it
//! skipped). With `--check-deployments`, each chunk's deployments are loaded alongside.

use super::prepare::Target;
use crate::api::{Client, Listed, PAGE_SIZE};
use crate::commands::deployments::Store;
use crate::commands::paging::Paging;
use crate::commands::plan::{Mode, Selection};
use crate::error::{Error, Result};
use futures::{Stream, StreamExt, stream};
use indicatif::ProgressBar;
use std::collections::HashSet;
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
            let listing = Paging::default();
            let seen: HashSet<String> = HashSet::new();
            stream::unfold(
                (listing, seen, types, filter, bar),
                move |(mut listing, mut seen, types, filter, bar)| async move {
                    if listing.done {
                        return None;
                    }
                    let (page, by) = match client.filter_pools(&types, listing.offset).await {
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
                                Listed::Pool(pool) => Target::Pool(pool, Some(by)),
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
                                Ok(Target::Pool(pool, _)) => Some(pool.name.clone()),
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
        Ok((pools, by)) => {
            let mut found: std::collections::HashMap<String, _> =
                pools.into_iter().map(|p| (p.name.clone(), p)).collect();
            names
                .into_iter()
                .map(|name| match found.remove(&name) {
                    Some(pool) => Ok(Target::Pool(pool, Some(by))),
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
