//! The window of the read a pool was merged from, and the listing's backlog: how many
//! listed pools have not yet left for their PATCH.
//!
//! A pool PATCHed within its listing page's window needs no re-read (the page was its
//! conflict check). A page read long before its pools' turn wastes that read: on a server
//! that takes one write at a time (SQLite), 0.5 s holds some 70 PATCHes, so of a page of
//! 200 read at once, most would be read again before their PATCH. So on a link where a
//! request costs little, `update --all` reads the listing in pages of about what the write
//! sends in one window, each once the write has nearly run through the page before it:
//! every listed pool holds a [`Ticket`] until it leaves the listing's hands (its PATCH on
//! the strength of the page is answered, its window closed, or it ended without a write),
//! and the next page is read once at most a lead of them are left.

use crate::api::{PAGE_SIZE, WINDOW_FLOOR};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The most listed pools counted at once; a pool past it is simply not counted.
const COUNTED: u32 = 1 << 24;

/// The smallest page read (a page overlaps the one before by a pool).
pub(crate) const MIN_PAGE: usize = 10;

/// The first page ([`Pace::page`] before the write's pace is known: about what a SQLite
/// server takes in one window).
pub(crate) const FIRST_PAGE: usize = 50;

/// How long before the write runs out of listed pools the next page is read: its answer,
/// parse, merge and backup come in that time.
const LEAD_TIME: Duration = Duration::from_millis(100);

/// The fewest listed pools left when the next page is read.
const MIN_LEAD: usize = 4;

/// The window of the read a pool was merged from (say a listing page): a PATCH that leaves
/// by its end needs no re-read first. A listed pool also holds its place in the listing's
/// backlog, given up with the window.
#[derive(Debug)]
pub(crate) struct Window {
    /// The latest moment a PATCH may leave on the strength of the read.
    pub by: Instant,
    /// The pool's place in the listing's backlog, when the listing counts it.
    ticket: Option<Ticket>,
}

impl Window {
    /// A read's window that no backlog counts.
    pub(crate) fn until(by: Instant) -> Window {
        Window { by, ticket: None }
    }

    /// Its end, and the pool's place in the backlog (held until its PATCH is answered).
    pub(crate) fn split(self) -> (Instant, Option<Ticket>) {
        (self.by, self.ticket)
    }
}

/// One listed pool's place in the backlog, given back when dropped.
#[derive(Debug)]
pub(crate) struct Ticket {
    _permit: OwnedSemaphorePermit,
}

/// The listed pools that have not left the listing's hands. Each holds a permit of a
/// semaphore while it waits; the listing waits for all but a lead of them to be back.
#[derive(Debug, Clone)]
pub(crate) struct Backlog {
    permits: Arc<Semaphore>,
}

impl Default for Backlog {
    fn default() -> Backlog {
        Backlog {
            permits: Arc::new(Semaphore::new(COUNTED as usize)),
        }
    }
}

impl Backlog {
    /// The window of a pool the listing read, ending `by`, counted in the backlog.
    pub(crate) fn window(&self, by: Instant) -> Window {
        let ticket = Arc::clone(&self.permits).try_acquire_owned().ok();
        Window {
            by,
            ticket: ticket.map(|_permit| Ticket { _permit }),
        }
    }

    /// How many listed pools have not left the listing's hands.
    pub(crate) fn waiting(&self) -> usize {
        COUNTED as usize - self.permits.available_permits()
    }

    /// Waits until at most `lead` listed pools are left.
    pub(crate) async fn until_at_most(&self, lead: usize) {
        let lead = u32::try_from(lead).unwrap_or(COUNTED).min(COUNTED);
        // All but `lead` permits back (the listing is the only one that waits).
        if let Ok(back) = self.permits.acquire_many(COUNTED - lead).await {
            drop(back);
        }
    }
}

/// The write's pace since the page before was answered: `left` listed pools left the
/// listing's hands in `took`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    pub left: usize,
    pub took: Duration,
}

impl Pace {
    /// Pools a second (none measured: none).
    fn rate(self) -> Option<f64> {
        let secs = self.took.as_secs_f64();
        (self.left > 0 && secs > 0.0).then(|| self.left as f64 / secs)
    }

    /// How many listed pools are left when the next page is read: those the write sends in
    /// [`LEAD_TIME`], at least [`MIN_LEAD`].
    pub(crate) fn lead(pace: Option<Pace>) -> usize {
        let sent = pace
            .and_then(Pace::rate)
            .map_or(0.0, |r| r * LEAD_TIME.as_secs_f64());
        (sent.ceil() as usize).max(MIN_LEAD)
    }

    /// The next page's size: what the write sends in a window, with a fifth to spare (a pool
    /// past its page's window costs a re-read, not a wrong write), less the lead (sent in the
    /// page's window before its pools), at least [`MIN_PAGE`], at most a full page. Before
    /// any pace: [`FIRST_PAGE`].
    pub(crate) fn page(pace: Option<Pace>) -> usize {
        let Some(rate) = pace.and_then(Pace::rate) else {
            return FIRST_PAGE;
        };
        let fits = (rate * WINDOW_FLOOR.as_secs_f64() * 0.8).floor() as usize;
        fits.saturating_sub(Pace::lead(pace))
            .clamp(MIN_PAGE, PAGE_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_window_holds_its_place_until_dropped_and_the_wait_ends_at_the_lead() {
        let backlog = Backlog::default();
        let now = Instant::now();
        let mut held: Vec<Window> = (0..20).map(|_| backlog.window(now)).collect();
        assert_eq!(backlog.waiting(), 20);
        let waiting = backlog.until_at_most(16);
        let mut waiting = std::pin::pin!(waiting);
        assert!(
            futures::poll!(waiting.as_mut()).is_pending(),
            "20 left, lead 16"
        );
        held.truncate(16);
        assert!(futures::poll!(waiting.as_mut()).is_ready(), "16 left");
        assert_eq!(backlog.waiting(), 16);
        drop(held);
        assert_eq!(backlog.waiting(), 0);
        let untracked = Window::until(now);
        assert_eq!((backlog.waiting(), untracked.by), (0, now));
    }

    #[test]
    fn pages_fit_the_pace_of_the_write() {
        assert_eq!(Pace::page(None), FIRST_PAGE);
        assert_eq!(Pace::lead(None), MIN_LEAD);
        // A slower one: 72 PATCHes a second.
        let slower = Some(Pace {
            left: 36,
            took: Duration::from_millis(500),
        });
        assert_eq!((Pace::page(slower), Pace::lead(slower)), (28 - 8, 8));
        // A SQLite server: one PATCH every 6.5 ms.
        let sqlite = Some(Pace {
            left: 100,
            took: Duration::from_millis(650),
        });
        assert_eq!(Pace::page(sqlite), 61 - 16);
        assert_eq!(Pace::lead(sqlite), 16);
        // Nothing to write: the pools end as fast as they are merged.
        let up_to_date = Some(Pace {
            left: 50,
            took: Duration::from_millis(5),
        });
        assert_eq!(
            (Pace::page(up_to_date), Pace::lead(up_to_date)),
            (PAGE_SIZE, 1000)
        );
        // A slow one: never a page under the least.
        let slow = Some(Pace {
            left: 5,
            took: Duration::from_secs(1),
        });
        assert_eq!(Pace::page(slow), MIN_PAGE);
    }
}
