//! Where `update --all`'s listing is. Offset pages shift when pools are deleted during the
//! run, and a pool pushed back across a page boundary would be skipped. So each page after
//! the first starts on the last pool of the page before it (the server orders pools by
//! name): if that pool is still there, no pool before the offset went away and nothing was
//! skipped. When a page starts anywhere else (or comes back empty), the listing pages once
//! more from the start after its last page, which finds whatever was skipped; otherwise that
//! second pass is not needed.
//!
//! Pages may differ in size (`update --all` reads smaller pages on a link where requests cost
//! little, see [`crate::commands::write::Backlog`]); a page is full when it holds as many
//! pools as were asked for.
//!
//! A server that ignores the offset (or cycles through pages) would make that endless, so
//! the listing stops when a page repeats the page before it, or when it has read more pages
//! than twice what the pools seen so far fill, and says which.

use crate::api::PAGE_SIZE;
use std::collections::HashSet;

/// The listing's position and what it has seen.
#[derive(Debug, Default)]
pub(super) struct Paging {
    /// The offset of the next page.
    pub offset: usize,
    /// Whether the second pass (the re-list from 0) has started.
    relist: bool,
    /// Whether a page did not start on a pool already listed: pools may have been skipped.
    shifted: bool,
    /// Every name the listing returned, matched or not.
    listed: HashSet<String>,
    /// The names of the page before, to notice a server that answers every offset alike.
    previous: Vec<String>,
    /// Pages read so far.
    pages: usize,
    /// The smallest page asked for so far.
    smallest: Option<usize>,
    pub done: bool,
    /// Why the listing was cut short, when it was.
    pub stopped: Option<String>,
}

impl Paging {
    /// Takes in the names of the page of at most `limit` (2 to [`PAGE_SIZE`]) just read at
    /// [`Paging::offset`] and moves on.
    pub(super) fn advance<'a>(&mut self, names: impl IntoIterator<Item = &'a str>, limit: usize) {
        let names: Vec<&str> = names.into_iter().collect();
        let limit = limit.clamp(2, PAGE_SIZE);
        self.pages += 1;
        self.smallest = Some(self.smallest.map_or(limit, |s| s.min(limit)));
        if !names.is_empty() && names == self.previous {
            return self.stop(format!(
                "the page at offset {} repeats the page before it; the server seems to \
                 ignore the offset",
                self.offset
            ));
        }
        self.previous = names.iter().map(|n| n.to_string()).collect();
        if self.offset > 0 {
            let overlaps = names
                .first()
                .is_some_and(|first| self.listed.contains(*first));
            self.shifted |= !overlaps;
        }
        self.listed.extend(names.iter().map(|n| n.to_string()));
        match (names.len() >= limit, self.relist, self.shifted) {
            // The next page starts on this one's last pool.
            (true, _, _) => self.offset += limit - 1,
            (false, false, true) => {
                self.relist = true;
                self.offset = 0;
            }
            (false, _, _) => self.done = true,
        }
        let bound = self.bound();
        if !self.done && self.pages >= bound {
            self.stop(format!(
                "{} pages were read but {} pools seen fill at most {bound}; the server's \
                 pages do not add up",
                self.pages,
                self.listed.len()
            ));
        }
    }

    /// The most pages a listing of the pools seen so far takes in pages of the smallest
    /// size asked for: both passes, each with a last short or empty page.
    fn bound(&self) -> usize {
        let page = self.smallest.unwrap_or(PAGE_SIZE);
        2 * (self.listed.len() / (page - 1) + 2)
    }

    fn stop(&mut self, why: String) {
        self.done = true;
        self.stopped = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(from: usize, len: usize) -> Vec<String> {
        (from..from + len).map(|i| format!("p{i:04}")).collect()
    }

    fn advance(paging: &mut Paging, names: &[String]) {
        paging.advance(names.iter().map(String::as_str), PAGE_SIZE);
    }

    #[test]
    fn pages_overlap_by_one_and_end_without_a_second_pass() {
        let mut paging = Paging::default();
        advance(&mut paging, &page(0, PAGE_SIZE));
        assert_eq!((paging.offset, paging.done), (PAGE_SIZE - 1, false));
        advance(&mut paging, &page(PAGE_SIZE - 1, PAGE_SIZE));
        assert_eq!(paging.offset, 2 * PAGE_SIZE - 2);
        advance(&mut paging, &page(2 * PAGE_SIZE - 2, 3));
        assert!(paging.done && !paging.relist);
    }

    #[test]
    fn a_page_that_starts_past_the_last_pool_seen_pages_once_more_from_the_start() {
        let mut paging = Paging::default();
        advance(&mut paging, &page(0, PAGE_SIZE));
        // Ten pools of the first page were deleted: the page starts ten pools later.
        advance(&mut paging, &page(PAGE_SIZE + 9, 40));
        assert_eq!(
            (paging.offset, paging.relist, paging.done),
            (0, true, false)
        );
        advance(&mut paging, &page(10, PAGE_SIZE));
        advance(&mut paging, &page(PAGE_SIZE + 9, 40));
        assert!(paging.done, "one second pass, not more");
    }

    #[test]
    fn an_empty_page_after_a_full_one_pages_once_more() {
        let mut paging = Paging::default();
        advance(&mut paging, &page(0, PAGE_SIZE));
        advance(&mut paging, &[]);
        assert!(paging.relist && !paging.done);
    }

    #[test]
    fn a_server_that_answers_every_offset_alike_stops_at_the_repeat() {
        let mut paging = Paging::default();
        advance(&mut paging, &page(0, PAGE_SIZE));
        advance(&mut paging, &page(0, PAGE_SIZE));
        assert!(paging.done, "the listing goes on");
        let why = paging.stopped.unwrap_or_default();
        assert!(why.contains("repeats the page before it"), "{why}");
    }

    #[test]
    fn pages_that_cycle_stop_at_a_bound_scaled_by_the_pools_seen() {
        let mut paging = Paging::default();
        let mut read = 0;
        while !paging.done && read < 1000 {
            advance(&mut paging, &page(PAGE_SIZE * (read % 3), PAGE_SIZE));
            read += 1;
        }
        assert!(paging.done && read <= 12, "{read} pages read");
        assert!(
            paging
                .stopped
                .is_some_and(|why| why.contains("do not add up"))
        );
    }

    #[test]
    fn a_long_listing_with_a_second_pass_is_not_cut_short() {
        let mut paging = Paging::default();
        let pools = 5 * PAGE_SIZE;
        let mut read = 0;
        while !paging.done {
            // One pool deleted before the offset on every page: each page starts one later.
            let from = paging.offset + if paging.offset > 0 { 1 } else { 0 };
            let len = PAGE_SIZE.min(pools.saturating_sub(from));
            advance(&mut paging, &page(from, len));
            read += 1;
        }
        assert!(
            paging.relist && paging.stopped.is_none(),
            "{:?}",
            paging.stopped
        );
        assert!(read > 6, "{read}");
    }

    #[test]
    fn pages_of_other_sizes_overlap_by_one_and_are_not_cut_short() {
        let mut paging = Paging::default();
        let (pools, mut read, mut seen) = (1000, 0, 0);
        // Pages as `update --all` reads them on a local server: 50, then 10 to 200.
        for limit in [50, 10, 30, 200, 10].into_iter().cycle() {
            if paging.done {
                break;
            }
            let from = paging.offset;
            let len = limit.min(pools - from.min(pools));
            let names = page(from, len);
            if from > 0 {
                assert_eq!(
                    names.first(),
                    page(from, 1).first(),
                    "starts on a listed pool"
                );
            }
            seen = seen.max(from + len);
            paging.advance(names.iter().map(String::as_str), limit);
            read += 1;
        }
        assert_eq!(seen, pools);
        assert!(
            !paging.relist && paging.stopped.is_none(),
            "{:?}",
            paging.stopped
        );
        assert!(read > 1000 / 60, "{read} pages");
    }

    #[test]
    fn pools_created_before_the_offset_skip_nothing() {
        let mut paging = Paging::default();
        advance(&mut paging, &page(0, PAGE_SIZE));
        // Five pools created early: the page starts five pools earlier, on a listed one.
        advance(&mut paging, &page(PAGE_SIZE - 6, 20));
        assert!(paging.done && !paging.relist);
    }
}
