//! The one way a request leaves the client: through the gate (pacing, pauses after `429`,
//! the write limit), over `reqwest` or the verbatim client, with `-v` logging. Reads retry
//! transient failures here; a write is tried once per call and hands any retry back to the
//! safe write ([`Step::Retry`]), which re-reads the pool before it sends again. Every wait
//! is cut by the client's interrupt.

use super::failure::transport_error;
use super::wire::{Answer, Failure};
use super::{Client, MAX_THROTTLED_TRIES, Reply, body, verbatim};
use crate::error::{Error, Result};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Retries a write has spent so far, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tries {
    /// Retries after a transient failure (`503`, `502`, `408`, a lost connection).
    pub retries: u32,
    /// Retries after a `429`.
    pub throttled: u32,
}

impl Tries {
    /// How many times the write was sent before this try.
    fn sent(self) -> u32 {
        self.retries + self.throttled
    }
}

/// How one try of a write went.
pub(super) enum Step {
    /// The server answered and no retry is due (success, or a final error status).
    Answered(Reply),
    /// Not sent: it could not leave by its deadline (a write slot, pacing or a pause held
    /// it); the pool must be read again first.
    Late,
    /// Sent, and failed in a way worth another try after `wait`, once the pool was read
    /// again; `throttled` when the answer was `429`.
    Retry {
        wait: Duration,
        error: Error,
        throttled: bool,
    },
}

/// When a try may leave.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Whenever the gate admits it.
    Any,
    /// At a send slot booked for it (then as the gate admits it, if a pause came).
    Booked(Instant),
    /// By a deadline (plus one pacing interval), at a booked slot if it has one.
    By(Instant, Option<Instant>),
}

/// What one try got: the answer read whole, or why there was none.
struct Try {
    answer: std::result::Result<Reply, Failure>,
    retry_after: Option<String>,
    /// A `503` to a write that overlapped another write of this client.
    collided: bool,
}

impl Client {
    /// Sends one read (or any request but a PATCH) through the gate, retrying transient
    /// failures; returns whatever status came last. A `429` pauses every request of this
    /// client for its `Retry-After` and is retried up to [`MAX_THROTTLED_TRIES`] times; other
    /// transient failures back off up to `max_retries` times.
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply> {
        self.send_booked(method, path, body, None).await
    }

    /// [`Client::send`], whose first try goes at the send slot `booked` if one was booked.
    pub(super) async fn send_booked(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        mut booked: Option<Instant>,
    ) -> Result<Reply> {
        let url = format!("{}{path}", self.base);
        let (mut attempt, mut throttled) = (0u32, 0u32);
        loop {
            let tries = attempt + throttled + 1;
            let slot = booked.take().map_or(Slot::Any, Slot::Booked);
            let Some(tried) = self
                .try_once(&method, path, &url, body, tries, slot)
                .await?
            else {
                continue;
            };
            let error = match tried.answer {
                Ok(reply) => {
                    if reply.status == StatusCode::TOO_MANY_REQUESTS {
                        let wait = self.policy.delay(1, tried.retry_after.as_deref());
                        self.gate.throttle(wait);
                        if throttled + 1 >= MAX_THROTTLED_TRIES {
                            return Ok(reply);
                        }
                        throttled += 1;
                        self.retries.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    self.gate.through();
                    if self.csrf.rejected(&reply.status, &reply.body) && attempt == 0 {
                        self.csrf.reset().await;
                    } else if !self.policy.retries_status(reply.status.as_u16())
                        || attempt >= self.policy.max_retries
                    {
                        return Ok(reply);
                    }
                    None
                }
                Err(e) => Some(e),
            };
            if let Some(error) = &error
                && (attempt >= self.policy.max_retries || !error.retryable())
            {
                return Err(transport_error(&method, &url, error).after(tries));
            }
            attempt += 1;
            self.retries.fetch_add(1, Ordering::Relaxed);
            let wait = self.policy.delay(attempt, tried.retry_after.as_deref());
            self.pause(wait).await?;
        }
    }

    /// Tries one PATCH, unless it cannot leave by `by` ([`Step::Late`]) or a signal came
    /// ([`Error::Interrupted`]: nothing sent). `spent` is what earlier tries used up; a
    /// transient failure within the budget is handed back as [`Step::Retry`], never retried
    /// here, so the caller can re-read the pool first.
    pub(super) async fn send_write(
        &self,
        path: &str,
        body: &Value,
        spent: Tries,
        (by, booked): (Instant, Option<Instant>),
    ) -> Result<Step> {
        let (method, url) = (Method::PATCH, format!("{}{path}", self.base));
        let mut csrf_renewed = false;
        loop {
            let tries = spent.sent() + 1 + u32::from(csrf_renewed);
            let slot = Slot::By(by, booked.filter(|_| !csrf_renewed));
            let Some(tried) = self
                .try_once(&method, path, &url, Some(body), tries, slot)
                .await?
            else {
                return Ok(Step::Late);
            };
            let reply = match tried.answer {
                Ok(reply) => reply,
                Err(failure) => {
                    let error = transport_error(&method, &url, &failure).after(tries);
                    if !failure.retryable() || spent.retries >= self.policy.max_retries {
                        return Err(error);
                    }
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    let wait = self.policy.delay(spent.retries + 1, None);
                    let throttled = false;
                    return Ok(Step::Retry {
                        wait,
                        error,
                        throttled,
                    });
                }
            };
            if reply.status == StatusCode::TOO_MANY_REQUESTS {
                // The gate's pause holds back every request, the re-read included.
                let wait = self.policy.delay(1, tried.retry_after.as_deref());
                self.gate.throttle(wait);
                if spent.throttled + 1 >= MAX_THROTTLED_TRIES {
                    return Ok(Step::Answered(reply));
                }
                self.retries.fetch_add(1, Ordering::Relaxed);
                let error = self.status_error(method, path, &reply);
                let (wait, throttled) = (Duration::ZERO, true);
                return Ok(Step::Retry {
                    wait,
                    error,
                    throttled,
                });
            }
            self.gate.through();
            if self.csrf.rejected(&reply.status, &reply.body) && !csrf_renewed {
                // Refused before it was applied: sent again at once, within the window.
                self.csrf.reset().await;
                csrf_renewed = true;
                continue;
            }
            if !self.policy.retries_status(reply.status.as_u16())
                || spent.retries >= self.policy.max_retries
            {
                return Ok(Step::Answered(reply));
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            let wait = retry_wait(
                &self.policy,
                spent.retries + 1,
                &tried.retry_after,
                tried.collided,
            );
            let error = self.status_error(method, path, &reply);
            let throttled = false;
            return Ok(Step::Retry {
                wait,
                error,
                throttled,
            });
        }
    }

    /// Sleeps a retry's backoff, counted as time spent on pushback; a signal cuts it.
    pub(super) async fn pause(&self, wait: Duration) -> Result<()> {
        self.cut(self.gate.back_off(wait)).await
    }

    /// Runs a wait unless the run is interrupted first.
    pub(super) async fn cut<F: Future>(&self, wait: F) -> Result<F::Output> {
        self.interrupt
            .cut(wait)
            .await
            .map_err(|signal| Error::Interrupted { signal })
    }

    /// One try: a write slot for a PATCH, the gate, the CSRF token, the exchange and its
    /// log line. A request due by a deadline that cannot leave by then (plus one pacing
    /// interval) is not sent (`None`). No PATCH leaves once a signal came.
    async fn try_once(
        &self,
        method: &Method,
        path: &str,
        url: &str,
        body: Option<&Value>,
        tries: u32,
        slot: Slot,
    ) -> Result<Option<Try>> {
        let (by, booked) = match slot {
            Slot::Any => (None, None),
            Slot::Booked(at) => (None, Some(at)),
            Slot::By(by, booked) => (Some(by), booked),
        };
        let write = method == Method::PATCH;
        // A write first waits for a slot, then for the gate: a 429 that came while it
        // waited for the slot still holds it back.
        let slot = match (write, by) {
            (false, _) => None,
            (true, None) => Some(self.cut(self.gate.write_slot()).await?),
            (true, Some(by)) => {
                let slot = tokio::time::timeout_at(by.into(), self.gate.write_slot());
                match self.cut(slot).await? {
                    Ok(slot) => Some(slot),
                    Err(_) => return Ok(None),
                }
            }
        };
        let admitted = async {
            match booked {
                // A pause that came since the booking holds a read back as any other; a
                // write goes back to be re-read.
                Some(at) => match self.gate.admit_booked(at).await {
                    true => true,
                    false if by.is_some() => false,
                    false => self.gate.admit(None).await,
                },
                None => self.gate.admit(by).await,
            }
        };
        match self.interrupt.cut(admitted).await {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(signal) if write => return Err(Error::Interrupted { signal }),
            // After a signal a read goes at once: it confirms a write already answered, and
            // the run is ending.
            Err(_) => {}
        }
        let csrf = match method {
            &Method::GET => Vec::new(),
            _ if write => self.cut(self.csrf.headers(self)).await??,
            // A read's token fetch is a read too: it goes at once after a signal.
            _ => self.csrf.headers(self).await?,
        };
        if by.is_some_and(|by| Instant::now() > self.gate.latest(by)) {
            return Ok(None);
        }
        if write && let Some(signal) = self.interrupt.signal() {
            return Err(Error::Interrupted { signal });
        }
        let in_flight = write.then(|| super::redirect::Writes::enter(&self.writes, url));
        let started = Instant::now();
        let sent = self.exchange(method, path, url, body, csrf).await?;
        drop(in_flight);
        self.requests.fetch_add(1, Ordering::Relaxed);
        if self.verbose {
            let answer = match &sent {
                Ok(answer) => answer.status.to_string(),
                Err(e) => format!("error: {}", transport_error(method, url, e)),
            };
            let ms = started.elapsed().as_millis();
            eprintln!(
                "poolsync: {method} {url}{} -> {answer} in {ms} ms (attempt {tries})",
                self.auth_note,
            );
        }
        let answer = match sent {
            Ok(answer) => answer,
            Err(failure) => {
                let (answer, retry_after) = (Err(failure), None);
                return Ok(Some(Try {
                    answer,
                    retry_after,
                    collided: false,
                }));
            }
        };
        let (status, retry_after) = (answer.status, answer.retry_after);
        let read = body::read(answer.body, answer.length, method, url).await;
        let collided = match (slot, status) {
            (None, _) => false,
            // A throttle says nothing about how many writes the server takes.
            (Some(slot), StatusCode::TOO_MANY_REQUESTS) => {
                slot.release();
                false
            }
            (Some(slot), _) => slot.end(status == StatusCode::SERVICE_UNAVAILABLE),
        };
        let answer = read?.map(|body| Reply {
            status,
            body,
            tries,
            took: started.elapsed(),
        });
        Ok(Some(Try {
            answer,
            retry_after,
            collided,
        }))
    }

    /// One try of a request: verbatim when `path` holds a dot segment, else `reqwest`.
    async fn exchange(
        &self,
        method: &Method,
        path: &str,
        url: &str,
        body: Option<&Value>,
        headers: Vec<(HeaderName, HeaderValue)>,
    ) -> Result<std::result::Result<Answer, Failure>> {
        if verbatim::needed(path) {
            return self.verbatim.send(method, url, body, &headers).await;
        }
        let mut request = self.http.request(method.clone(), url);
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        Ok(request
            .send()
            .await
            .map(Answer::of_http)
            .map_err(Failure::Http))
    }
}

/// How long a PATCH answered with a transient status waits before its re-read: a `503` that
/// collided with another write of ours (and named no `Retry-After`) goes as soon as ours
/// are done, which the write limit (lowered by that `503`) already waits for; any other
/// waits out the backoff.
fn retry_wait(
    policy: &super::RetryPolicy,
    attempt: u32,
    retry_after: &Option<String>,
    collided: bool,
) -> Duration {
    match (collided, retry_after.as_deref()) {
        (true, None) => Duration::ZERO,
        (_, retry_after) => policy.delay(attempt, retry_after),
    }
}
