//! `update --all`'s listing: pages of `POST /work_pools/filter`, each read once the stages
//! after it have taken the page before. On a link where a request costs little
//! ([`Client::pages_by_window`]), a page holds about what the write sends in one window,
//! and is read once the write has nearly run through the pools listed before it (see
//! [`Backlog`]): each pool is then PATCHed within its page's window, with no re-read.

use super::prepare::Target;
use crate::api::{Client, Listed, PAGE_SIZE};
use crate::commands::deployments::Store;
use crate::commands::paging::Paging;
use crate::commands::plan::NameFilter;
use crate::commands::write::{Backlog, Pace};
use crate::error::{Error, Result};
use indicatif::ProgressBar;
use std::collections::HashSet;
use std::time::Instant;

/// Where the listing stands.
pub(super) struct Lister<'a> {
    client: &'a Client,
    /// With `--check-deployments`: where each page's deployments are loaded.
    deployments: Option<&'a Store>,
    types: Vec<String>,
    filter: NameFilter,
    bar: ProgressBar,
    paging: Paging,
    /// Every name already handed on (a re-list returns some again).
    seen: HashSet<String>,
    /// The listed pools not yet gone for their PATCH.
    backlog: Backlog,
    /// When the page before was answered, and how many listed pools were left then; none
    /// before the first page.
    mark: Option<(Instant, usize)>,
    /// The write's pace between the last two pages.
    pace: Option<Pace>,
    /// Whether pages go by the write's window, decided before the first.
    windowed: bool,
}

impl<'a> Lister<'a> {
    /// A listing of the pools of `types` (all when empty) that `filter` matches, before its
    /// first page.
    pub(super) fn new(
        client: &'a Client,
        deployments: Option<&'a Store>,
        types: Vec<String>,
        filter: NameFilter,
        bar: ProgressBar,
    ) -> Lister<'a> {
        Lister {
            client,
            deployments,
            types,
            filter,
            bar,
            paging: Paging::default(),
            seen: HashSet::new(),
            backlog: Backlog::default(),
            mark: None,
            pace: None,
            windowed: false,
        }
    }

    /// The next page's targets (a failed read is one `Err`), or none once the listing is done.
    pub(super) async fn next(mut self) -> Option<(Vec<Result<Target>>, Self)> {
        if self.paging.done {
            return None;
        }
        let limit = self.limit().await;
        let client = self.client;
        let (page, by) = match client
            .filter_pools(&self.types, self.paging.offset, limit)
            .await
        {
            Ok(page) => page,
            Err(e) => {
                self.paging.done = true;
                return Some((vec![Err(e)], self));
            }
        };
        self.paging.advance(page.iter().map(Listed::name), limit);
        let stopped = self.paging.stopped.take().map(|why| {
            Err(Error::ListingStopped {
                url: format!("{}/work_pools/filter", client.base_url()),
                why,
            })
        });
        let Lister {
            filter,
            seen,
            backlog,
            ..
        } = &mut self;
        let mut new: Vec<Result<Target>> = page
            .into_iter()
            .filter(|listed| filter.matches(listed.name()))
            .filter(|listed| seen.insert(listed.name().to_string()))
            .map(|listed| {
                Ok(match listed {
                    Listed::Pool(pool) => Target::Pool(pool, Some(backlog.window(by))),
                    Listed::Unreadable { name, error } => Target::Unreadable(name, error),
                })
            })
            .collect();
        self.mark = Some((Instant::now(), self.backlog.waiting()));
        self.bar.inc_length(new.len() as u64);
        if let Some(store) = self.deployments {
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
        Some((new, self))
    }

    /// The next page's size: full, unless pages go by the write's window; then the first is
    /// [`Pace::page`] of no pace, and each after it waits until the write has
    /// nearly run through the pools listed before, and fits the pace it took meanwhile.
    async fn limit(&mut self) -> usize {
        let Some((at, waiting)) = self.mark else {
            self.windowed = self.client.pages_by_window().await;
            return match self.windowed {
                true => Pace::page(None),
                false => PAGE_SIZE,
            };
        };
        // Paced since (a `429`), pages are full again.
        if !self.windowed || !self.client.unpaced() {
            return PAGE_SIZE;
        }
        self.backlog.until_at_most(Pace::lead(self.pace)).await;
        let pace = Pace {
            left: waiting.saturating_sub(self.backlog.waiting()),
            took: at.elapsed(),
        };
        self.pace = Some(pace);
        Pace::page(self.pace)
    }
}
