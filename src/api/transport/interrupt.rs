//! A run's interrupt as the client sees it: set once by the first SIGINT or SIGTERM, it cuts
//! every wait of the client (a backoff, a `Retry-After` pause, pacing, a write slot) and
//! keeps any further PATCH from leaving. The signal handling itself lives in
//! `commands::signals`; this is only the flag and the wake-up.

use crate::error::Signal;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use tokio::sync::Notify;

/// Cheap to clone; every clone sees the same interrupt.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interrupt(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    signal: AtomicU8,
    raised: Notify,
}

const NONE: u8 = 0;
const INT: u8 = 1;
const TERM: u8 = 2;

impl Interrupt {
    /// Records `signal` and wakes every wait; returns whether a signal had already arrived.
    pub(crate) fn raise(&self, signal: Signal) -> bool {
        let code = match signal {
            Signal::Interrupt => INT,
            Signal::Terminate => TERM,
        };
        let before = self.0.signal.swap(code, Ordering::SeqCst);
        self.0.raised.notify_waiters();
        before != NONE
    }

    /// The signal that arrived, if one did.
    pub(crate) fn signal(&self) -> Option<Signal> {
        match self.0.signal.load(Ordering::SeqCst) {
            INT => Some(Signal::Interrupt),
            TERM => Some(Signal::Terminate),
            _ => None,
        }
    }

    /// Resolves once a signal has arrived (at once if one already has).
    pub(crate) async fn raised(&self) -> Signal {
        loop {
            // Registered before the check, so a raise in between still wakes it.
            let woken = self.0.raised.notified();
            if let Some(signal) = self.signal() {
                return signal;
            }
            woken.await;
        }
    }

    /// Runs `wait` unless a signal comes first; `Err` names the signal.
    pub(crate) async fn cut<F: Future>(&self, wait: F) -> Result<F::Output, Signal> {
        if let Some(signal) = self.signal() {
            return Err(signal);
        }
        tokio::select! {
            done = wait => Ok(done),
            signal = self.raised() => Err(signal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "current_thread")]
    async fn a_raise_cuts_a_wait_at_once_and_every_later_one() {
        let interrupt = Interrupt::default();
        let raiser = interrupt.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            raiser.raise(Signal::Interrupt);
        });
        let start = std::time::Instant::now();
        let long = interrupt.cut(tokio::time::sleep(Duration::from_secs(3600)));
        assert_eq!(long.await, Err(Signal::Interrupt));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(interrupt.cut(async { 1 }).await, Err(Signal::Interrupt));
        assert!(interrupt.raise(Signal::Terminate), "a second signal");
        assert_eq!(interrupt.signal(), Some(Signal::Terminate));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_a_signal_the_wait_runs_to_its_end() {
        assert_eq!(Interrupt::default().cut(async { 7 }).await, Ok(7));
    }
}
