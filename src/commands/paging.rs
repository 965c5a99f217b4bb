//! Where `update --all`'s listing is. Offset pages shift when pools are deleted during the
//! run, and a pool pushed back across a page boundary would be skipped. So each page after
//! the first starts on the last pool of the page before it (the server orders pools by
//! name): if that pool is still there, no pool before the offset went away and nothing was
//! skipped. When a page starts anywhere else (or comes back empty), the listing pages once
//! more from the start after its last page, which finds whatever was skipped; otherwise that
//! second pass is not needed.

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
    pub done: bool,
}

impl Paging {
    /// Takes in the names of the page just read at [`Paging::offset`] and moves on.
    pub fn advance<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        let names: Vec<&str> = names.into_iter().collect();
        if self.offset > 0 {
            let overlaps = names
                .first()
                .is_some_and(|first| self.listed.contains(*first));
            self.shifted |= !overlaps;
        }
        self.listed.extend(names.iter().map(|n| n.to_string()));
        match (names.len() == PAGE_SIZE, self.relist, self.shifted) {
            // The next page starts on this one's last pool.
            (true, _, _) => self.offset += PAGE_SIZE - 1,
            (false, false, true) => {
                self.relist = true;
                self.offset = 0;
            }
            (false, _, _) => self.done = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(from: usize, len: usize) -> Vec<String> {
        (from..from + len).map(|i| format!("p{i:04}")).collect()
    }

    fn advance(paging: &mut Paging, names: &[String]) {
        paging.advance(names.iter().map(String::as_str));
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
    fn pools_created_before_the_offset_skip_nothing() {
        let mut paging = Paging::default();
        advance(&mut paging, &page(0, PAGE_SIZE));
        // Five pools created early: the page starts five pools earlier, on a listed one.
        advance(&mut paging, &page(PAGE_SIZE - 6, 20));
        assert!(paging.done && !paging.relist);
    }
}
