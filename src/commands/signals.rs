//! SIGINT and SIGTERM during a run: the first one stops new work (no new pool starts, no
//! further PATCH is sent, writes in flight finish) and cuts every wait of the client
//! (backoff, `Retry-After`, pacing, write slots) through its [`Interrupt`], so the report so
//! far is printed and the run exits 130 or 143 within moments; a second one exits at once.

use crate::api::Interrupt;
use crate::error::Signal;

/// Set once a stop signal arrived; cheap to clone and check.
#[derive(Debug, Clone, Default)]
pub(super) struct Stop(Interrupt);

impl Stop {
    /// Listens for SIGINT and SIGTERM from now on (on unix; elsewhere Ctrl-C only).
    pub(super) fn listen() -> Stop {
        let stop = Stop::default();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            for (kind, caught) in [
                (SignalKind::interrupt(), Signal::Interrupt),
                (SignalKind::terminate(), Signal::Terminate),
            ] {
                let Ok(mut stream) = signal(kind) else {
                    continue;
                };
                let interrupt = stop.0.clone();
                tokio::spawn(async move {
                    while stream.recv().await.is_some() {
                        if interrupt.raise(caught) {
                            // A second signal: the user means it.
                            std::process::exit(i32::from(caught.exit_code()));
                        }
                    }
                });
            }
        }
        stop
    }

    /// The signal that stopped the run, if one did.
    pub(super) fn signal(&self) -> Option<Signal> {
        self.0.signal()
    }

    /// The interrupt the client's waits watch.
    pub(super) fn interrupt(&self) -> Interrupt {
        self.0.clone()
    }

    /// Whether new work may start.
    pub(super) fn running(&self) -> bool {
        self.signal().is_none()
    }

    /// Stops new work as a signal would (for tests and callers that end early).
    #[cfg(test)]
    pub(super) fn raise(&self, signal: Signal) {
        self.0.raise(signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_names_its_signal_and_exit_status() {
        let stop = Stop::default();
        assert!(stop.running());
        stop.raise(Signal::Interrupt);
        assert_eq!(stop.signal(), Some(Signal::Interrupt));
        assert_eq!(Signal::Interrupt.exit_code(), 130);
        assert_eq!(Signal::Interrupt.to_string(), "SIGINT");
        stop.raise(Signal::Terminate);
        assert_eq!(stop.signal(), Some(Signal::Terminate));
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Terminate.to_string(), "SIGTERM");
    }
}
