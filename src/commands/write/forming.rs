//! When a batch hands the safe write its next chunk: only once every chunk handed before it
//! has sent its first round. A chunk formed then holds everything prepared meanwhile, so
//! when pacing or a slow server holds writes back, chunks fill (and with them the rounds
//! that share one re-read), and the first chunk of a run leaves as soon as anything is ready.

use std::sync::{Mutex, PoisonError};
use tokio::sync::Notify;

/// The chunks handed to the safe write that have not sent their first round yet.
#[derive(Debug, Default)]
pub(crate) struct Forming {
    starting: Mutex<usize>,
    started: Notify,
}

impl Forming {
    /// Waits until no chunk handed in is before its first round.
    pub(crate) async fn due(&self) {
        loop {
            let started = self.started.notified();
            if *self.starting.lock().unwrap_or_else(PoisonError::into_inner) == 0 {
                return;
            }
            started.await;
        }
    }

    /// A chunk is handed in: it counts until the returned guard goes (after its first round,
    /// or when it ends without one).
    pub(crate) fn handed(&self) -> Starting<'_> {
        *self.starting.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        Starting(self)
    }
}

/// One chunk before its first round; dropping it lets the next chunk form.
#[derive(Debug)]
pub(crate) struct Starting<'a>(&'a Forming);

impl Drop for Starting<'_> {
    fn drop(&mut self) {
        let mut starting = self
            .0
            .starting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *starting = starting.saturating_sub(1);
        self.0.started.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn a_chunk_is_due_once_every_chunk_handed_in_has_started() {
        let forming = Forming::default();
        assert!(forming.due().now_or_never().is_some(), "nothing handed in");
        let first = forming.handed();
        let second = forming.handed();
        assert!(
            forming.due().now_or_never().is_none(),
            "two before their first round"
        );
        drop(first);
        assert!(
            forming.due().now_or_never().is_none(),
            "one before its first round"
        );
        drop(second);
        assert!(forming.due().now_or_never().is_some(), "both started");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_waiting_batch_wakes_when_the_last_chunk_starts() {
        let forming = Forming::default();
        let started = forming.handed();
        let (due, ()) = tokio::join!(
            tokio::time::timeout(std::time::Duration::from_secs(5), forming.due()),
            async move { drop(started) },
        );
        assert!(due.is_ok(), "woken");
    }
}
