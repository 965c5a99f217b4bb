//! SIGINT and SIGTERM during a run: the first one stops new work (no new pool starts, no
//! further PATCH is sent, writes in flight finish), so the report so far can be printed and
//! the run exits 130 or 143; a second one exits at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// Set once a stop signal arrived; cheap to clone and check.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicU8>);

const NONE: u8 = 0;
const INT: u8 = 1;
const TERM: u8 = 2;

impl Stop {
    /// Listens for SIGINT and SIGTERM from now on (on unix; elsewhere Ctrl-C only).
    pub fn listen() -> Stop {
        let stop = Stop::default();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            for (kind, code) in [
                (SignalKind::interrupt(), INT),
                (SignalKind::terminate(), TERM),
            ] {
                let Ok(mut stream) = signal(kind) else {
                    continue;
                };
                let flag = Arc::clone(&stop.0);
                tokio::spawn(async move {
                    while stream.recv().await.is_some() {
                        if flag.swap(code, Ordering::SeqCst) != NONE {
                            // A second signal: the user means it.
                            std::process::exit(i32::from(exit_code(code)));
                        }
                    }
                });
            }
        }
        stop
    }

    /// The signal that stopped the run, if one did.
    pub fn signal(&self) -> Option<&'static str> {
        match self.0.load(Ordering::SeqCst) {
            INT => Some("SIGINT"),
            TERM => Some("SIGTERM"),
            _ => None,
        }
    }

    /// Whether new work may start.
    pub fn running(&self) -> bool {
        self.signal().is_none()
    }

    /// Stops new work as a signal would (for tests and callers that end early).
    #[cfg(test)]
    pub fn raise(&self, terminate: bool) {
        self.0
            .store(if terminate { TERM } else { INT }, Ordering::SeqCst);
    }
}

/// The exit status of a run stopped by a signal: 128 + its number, as shells report it.
pub fn exit_code_of(signal: &str) -> u8 {
    match signal {
        "SIGTERM" => exit_code(TERM),
        _ => exit_code(INT),
    }
}

fn exit_code(code: u8) -> u8 {
    match code {
        TERM => 143,
        _ => 130,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_names_its_signal_and_exit_status() {
        let stop = Stop::default();
        assert!(stop.running());
        stop.raise(false);
        assert_eq!(stop.signal(), Some("SIGINT"));
        assert_eq!(exit_code_of("SIGINT"), 130);
        stop.raise(true);
        assert_eq!(stop.signal(), Some("SIGTERM"));
        assert_eq!(exit_code_of("SIGTERM"), 143);
    }
}
