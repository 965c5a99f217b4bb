//! Pacing: when a request may leave and how long a retry waits. It owns the decisions, not
//! the sending (that is [`super::transport`]'s):
//! - [`pace`]: the request rate, learnt from the server's `429`s or capped by `--max-rps`,
//!   and the pauses a `429` imposes (pure arithmetic over instants, unit-tested);
//! - [`write_limit`]: how many writes may be in flight, lowered by `503`s (pure, unit-tested);
//! - [`retry`]: which statuses and failures are worth another try, and the backoff (pure);
//! - [`gate`]: the one async [`Gate`] per client that applies the first two (locks, sleeps and
//!   wakes), and what the server's pushback cost ([`Pushback`]).

mod gate;
mod pace;
mod retry;
mod write_limit;

pub(crate) use gate::{Gate, Pushback};
pub(crate) use retry::{MAX_THROTTLED_TRIES, RetryPolicy};
