//! The one send loop. Every request leaves through it: each try ([`super::exchange`]) ends as
//! an [`Attempt`] (answered, worth a retry, or fatal), decided in [`Transport::judge`] and
//! nowhere else. A read rides out its retries here: it waits out a `429`'s pause (the gate
//! holds it) or backs off. A PATCH hands every retry back ([`Transport::send_write`]) so
//! the safe write can re-read the pool first, except a refused CSRF token, which is fetched
//! or renewed and sent again at once, within the same window (a read's too). Every wait is cut by the interrupt.

use super::exchange::{Request, Slot, Tried};
use super::failure::transport_error;
use super::{Reply, Tokens, Transport};
use crate::api::pacing::{MAX_THROTTLED_TRIES, RetryPolicy};
use crate::error::{Error, Result};
use bytes::Bytes;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How often one write's CSRF token may be refused and the write sent again at once: the
/// first try goes without a token until the server asks for one (`endpoints::csrf`), and a
/// token may expire once.
const MAX_RENEWALS: u32 = 2;

/// Retries a request has spent so far, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tries {
    /// Retries after a transient failure (`503`, `502`, `408`, a lost connection).
    pub retries: u32,
    /// Retries after a `429`.
    pub throttled: u32,
}

impl Tries {
    /// How many times the request was sent before this try.
    fn sent(self) -> u32 {
        self.retries + self.throttled
    }
}

/// How one try of a request went.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// The server answered and no retry is due: success, a final error status, or a
    /// transient one after the retries ran out.
    Answered(Reply),
    /// Worth another try.
    Retry(Retry),
    /// Given up: trying again cannot help (or the retries ran out, or a signal came).
    Fatal(Error),
}

/// Why a request is worth another try, and what comes first.
#[derive(Debug)]
pub(crate) enum Retry {
    /// Not sent: it could not leave by its deadline (a write slot, pacing or a pause held
    /// it); a write's pool must be read again first.
    Late,
    /// Answered `429`: the gate already holds every request of this client for its
    /// `Retry-After`.
    Throttled(Error),
    /// A write's CSRF token was refused and is forgotten: sent again at once with a new
    /// one (a refusal comes before the write is applied).
    Token,
    /// A transient failure (`503`, `502`, `408`, a lost connection, or a read's refused CSRF
    /// token): back off `wait` first.
    Transient {
        /// How long to wait before the next try.
        wait: Duration,
        /// What the server or the network said.
        error: Error,
    },
}

impl Transport {
    /// Sends a read (or any request but a PATCH) through the gate, its first try at the send
    /// slot `booked` if one was booked, riding out transient failures; returns whatever
    /// status came last. A `429` pauses every request of this client for its `Retry-After`
    /// and is retried up to [`MAX_THROTTLED_TRIES`] times; other transient failures back
    /// off up to `max_retries` times.
    pub(crate) async fn send<T: Tokens>(
        &self,
        tokens: &T,
        method: Method,
        path: &str,
        body: Option<&Value>,
        booked: Option<Instant>,
    ) -> Result<Reply> {
        // A JSON value's text (its `Display`) cannot fail to print.
        let body = body.map(|b| Bytes::from(b.to_string()));
        let request = Request::new(&self.base, method, path, body);
        let slot = booked.map_or(Slot::Any, Slot::Booked);
        match self.run(tokens, &request, Tries::default(), slot).await {
            Attempt::Answered(reply) => Ok(reply),
            Attempt::Fatal(error) => Err(error),
            // A read rides out every retry inside the loop; this only names one if it ever
            // came back.
            Attempt::Retry(retry) => Err(retry.into_error(&request)),
        }
    }

    /// Tries one PATCH, unless it cannot leave by `by` ([`Retry::Late`]) or a signal came
    /// ([`Error::Interrupted`]: nothing sent). `spent` is what earlier tries used up; a
    /// transient failure within the budget is handed back as a [`Retry`], never retried
    /// here, so the caller can re-read the pool first.
    pub(crate) async fn send_write<T: Tokens>(
        &self,
        tokens: &T,
        path: &str,
        body: Bytes,
        spent: Tries,
        (by, booked): (Instant, Option<Instant>),
    ) -> Attempt {
        let request = Request::new(&self.base, Method::PATCH, path, Some(body));
        self.run(tokens, &request, spent, Slot::By(by, booked))
            .await
    }

    /// The send loop: one try after another until an answer, a fatal error, or (for a
    /// write) a retry to hand back.
    async fn run<T: Tokens>(
        &self,
        tokens: &T,
        request: &Request<'_>,
        mut spent: Tries,
        mut slot: Slot,
    ) -> Attempt {
        // A write's token is renewed up to MAX_RENEWALS times per call, outside its retry
        // budget.
        let mut renewals = 0;
        loop {
            let tries = spent.sent() + 1 + renewals;
            let attempt = match self.try_once(tokens, request, tries, slot).await {
                Err(error) => Attempt::Fatal(error),
                Ok(Tried::Late) => Attempt::Retry(Retry::Late),
                Ok(tried) => self.judge(tokens, request, tried, spent, renewals).await,
            };
            slot = slot.again();
            match attempt {
                Attempt::Retry(Retry::Token) => renewals += 1,
                Attempt::Retry(retry) if !request.write() => match retry {
                    Retry::Late | Retry::Token => {}
                    Retry::Throttled(_) => spent.throttled += 1,
                    Retry::Transient { wait, .. } => {
                        spent.retries += 1;
                        if let Err(error) = self.pause(wait).await {
                            return Attempt::Fatal(error);
                        }
                    }
                },
                attempt => return attempt,
            }
        }
    }

    /// What one try that was sent comes to: the only place a request is judged answered,
    /// worth a retry or given up. `spent` counts the retries before it; `renewals` how often
    /// a write's CSRF token was renewed already.
    async fn judge<T: Tokens>(
        &self,
        tokens: &T,
        request: &Request<'_>,
        tried: Tried,
        spent: Tries,
        renewals: u32,
    ) -> Attempt {
        let Request { method, path, .. } = request;
        let tries = spent.sent() + 1 + renewals;
        let next = spent.retries + 1;
        let (reply, retry_after, collided) = match tried {
            Tried::Late => return Attempt::Retry(Retry::Late),
            Tried::Lost {
                failure,
                retry_after,
            } => {
                let error = transport_error(method, &request.url, &failure).after(tries);
                if !failure.retryable() || spent.retries >= self.policy.max_retries {
                    return Attempt::Fatal(error);
                }
                self.retries.fetch_add(1, Ordering::Relaxed);
                // A read whose body was cut honours the `Retry-After` of its head; a write
                // backs off.
                let retry_after = retry_after.filter(|_| !request.write());
                let wait = self.policy.delay(next, retry_after.as_deref());
                return Attempt::Retry(Retry::Transient { wait, error });
            }
            Tried::Answered {
                reply,
                retry_after,
                collided,
            } => (reply, retry_after, collided),
        };
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            // The gate's pause holds back every request, a write's re-read included.
            let wait = self.policy.delay(1, retry_after.as_deref());
            self.gate.throttle(wait, reply.took);
            if spent.throttled + 1 >= MAX_THROTTLED_TRIES {
                return Attempt::Answered(reply);
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            return Attempt::Retry(Retry::Throttled(self.status_error(
                method.clone(),
                path,
                &reply,
            )));
        }
        self.gate.through(reply.took);
        let renewable = match request.write() {
            true => renewals < MAX_RENEWALS,
            false => spent.retries == 0,
        };
        if renewable && tokens.rejected(reply.status, &reply.body) {
            tokens.reset().await;
            if request.write() {
                return Attempt::Retry(Retry::Token);
            }
            // A read refused for its token (nothing applied) goes again at once with one.
            let error = self.status_error(method.clone(), path, &reply);
            let wait = Duration::ZERO;
            return Attempt::Retry(Retry::Transient { wait, error });
        }
        if !self.policy.retries_status(reply.status.as_u16())
            || spent.retries >= self.policy.max_retries
        {
            return Attempt::Answered(reply);
        }
        self.retries.fetch_add(1, Ordering::Relaxed);
        let wait = retry_wait(&self.policy, next, retry_after.as_deref(), collided);
        let error = self.status_error(method.clone(), path, &reply);
        Attempt::Retry(Retry::Transient { wait, error })
    }
}

impl Retry {
    /// The error a retry stands for, were it the last word on `request`.
    fn into_error(self, request: &Request<'_>) -> Error {
        match self {
            Retry::Throttled(error) | Retry::Transient { error, .. } => error,
            Retry::Late | Retry::Token => Error::Transport {
                method: request.method.to_string(),
                url: request.url.clone(),
                cause: "the request was not sent".into(),
                hint: "run poolsync again",
                tries: 1,
            },
        }
    }
}

/// How long a request answered with a transient status waits before its next try (a
/// write's, before its re-read): a `503` to a write that collided with another write of
/// ours (and named no `Retry-After`) goes as soon as ours are done, which the write limit
/// (lowered by that `503`) already waits for; any other waits out the backoff.
fn retry_wait(
    policy: &RetryPolicy,
    attempt: u32,
    retry_after: Option<&str>,
    collided: bool,
) -> Duration {
    match (collided, retry_after) {
        (true, None) => Duration::ZERO,
        (_, retry_after) => policy.delay(attempt, retry_after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            extra_codes: Vec::new(),
        }
    }

    #[test]
    fn a_collided_write_goes_at_once_unless_the_server_named_a_wait() {
        assert_eq!(retry_wait(&policy(), 3, None, true), Duration::ZERO);
        assert_eq!(
            retry_wait(&policy(), 3, Some("2"), true),
            Duration::from_secs(2)
        );
        assert_eq!(
            retry_wait(&policy(), 1, Some("7"), false),
            Duration::from_secs(7)
        );
        // Otherwise the backoff: 4 s +-20% for the third retry.
        let backoff = retry_wait(&policy(), 3, None, false).as_secs_f64();
        assert!((3.2..=4.8).contains(&backoff), "{backoff}");
    }

    #[test]
    fn a_booked_slot_is_used_once_and_a_deadline_kept() {
        let (by, at) = (Instant::now(), Instant::now());
        assert!(matches!(Slot::Booked(at).again(), Slot::Any));
        assert!(matches!(Slot::Any.again(), Slot::Any));
        assert!(matches!(Slot::By(by, Some(at)).again(), Slot::By(b, None) if b == by));
    }
}
