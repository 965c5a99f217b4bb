//! One try of a request, on the wire: a write slot for a PATCH, the gate (pacing, pauses
//! after `429`), the CSRF headers, the exchange over `reqwest` or the verbatim client, the
//! `-v` log line and the body read whole. What the try comes to is the send loop's call
//! ([`super::send`]); this file only reports what happened ([`Tried`]).

use super::failure::transport_error;
use super::tokens::{Headers, Outcome};
use super::wire::{Answer, Failure, Fault};
use super::{Reply, Tokens, Transport, body, redirect, verbatim};
use crate::error::{Error, Result};
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// When a try may leave.
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    /// Whenever the gate admits it.
    Any,
    /// At a send slot booked for it (then as the gate admits it, if a pause came).
    Booked(Instant),
    /// By a deadline (plus one pacing interval), at a booked slot if it has one.
    By(Instant, Option<Instant>),
}

impl Slot {
    /// The slot of the next try: a booked slot is used once.
    pub(super) fn again(self) -> Slot {
        match self {
            Slot::Any | Slot::Booked(_) => Slot::Any,
            Slot::By(by, _) => Slot::By(by, None),
        }
    }
}

/// One request, as the loop carries it from try to try.
#[derive(Debug)]
pub(super) struct Request<'a> {
    /// The method; a PATCH is a write.
    pub method: Method,
    /// The path below the API base URL.
    pub path: &'a str,
    /// The whole URL.
    pub url: String,
    /// The JSON body, if any, serialized once for every try.
    pub body: Option<Bytes>,
}

impl<'a> Request<'a> {
    /// A request of `path` below the API base URL `base`.
    pub(super) fn new(
        base: &str,
        method: Method,
        path: &'a str,
        body: Option<Bytes>,
    ) -> Request<'a> {
        let url = format!("{base}{path}");
        Request {
            method,
            path,
            url,
            body,
        }
    }

    /// Whether this is a write (a PATCH), which hands its retries back.
    pub(super) fn write(&self) -> bool {
        self.method == Method::PATCH
    }
}

/// What one try got (the error of [`Transport::try_once`] is final).
#[derive(Debug)]
pub(super) enum Tried {
    /// Not sent: it could not leave by its deadline.
    Late,
    /// Sent, and the network failed it: no answer, or its body was cut.
    Lost {
        /// What failed.
        failure: Failure,
        /// The `Retry-After` of an answer whose body was cut.
        retry_after: Option<String>,
    },
    /// Answered, its body read whole.
    Answered {
        /// The answer.
        reply: Reply,
        /// Its `Retry-After`, as text.
        retry_after: Option<String>,
        /// A `503` to a write that overlapped another write of this client.
        collided: bool,
    },
}

/// Tells a [`Tokens`] provider, once, what became of a try that asked it for headers:
/// [`Outcome::Other`] unless [`Settle::answered`] said otherwise (a try that ended, or was
/// dropped, before its answer was read).
struct Settle<'a, T: Tokens>(Option<&'a T>);

impl<T: Tokens> Settle<'_, T> {
    fn answered(&mut self, outcome: Outcome) {
        if let Some(tokens) = self.0.take() {
            tokens.settled(outcome);
        }
    }
}

impl<T: Tokens> Drop for Settle<'_, T> {
    fn drop(&mut self) {
        self.answered(Outcome::Other);
    }
}

impl Transport {
    /// One try. A request due by a deadline that cannot leave by then (plus one pacing
    /// interval) is not sent ([`Tried::Late`]). No PATCH leaves once a signal came.
    pub(super) async fn try_once<T: Tokens>(
        &self,
        tokens: &T,
        request: &Request<'_>,
        tries: u32,
        slot: Slot,
    ) -> Result<Tried> {
        let Request { method, url, .. } = request;
        let (by, booked) = match slot {
            Slot::Any => (None, None),
            Slot::Booked(at) => (None, Some(at)),
            Slot::By(by, booked) => (Some(by), booked),
        };
        let write = request.write();
        // A write first waits for a slot, then for the gate: a 429 that came while it
        // waited for the slot still holds it back.
        let slot = match (write, by) {
            (false, _) => None,
            (true, None) => Some(self.cut(self.gate.write_slot()).await?),
            (true, Some(by)) => {
                let slot = tokio::time::timeout_at(by.into(), self.gate.write_slot());
                match self.cut(slot).await? {
                    Ok(slot) => Some(slot),
                    Err(_) => return Ok(Tried::Late),
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
            Ok(false) => return Ok(Tried::Late),
            Err(signal) if write => return Err(Error::Interrupted { signal }),
            // After a signal a read goes at once: it confirms a write already answered, and
            // the run is ending.
            Err(_) => {}
        }
        let csrf = match method {
            &Method::GET => Vec::new(),
            _ if write => self.cut(tokens.headers(self)).await??,
            // A read's token fetch is a read too: it goes at once after a signal.
            _ => tokens.headers(self).await?,
        };
        // Every try that asked for headers tells the provider what became of it, on every
        // path out of here (`Other` unless answered).
        let mut settle = Settle((method != Method::GET).then_some(tokens));
        if by.is_some_and(|by| Instant::now() > self.gate.latest(by)) {
            return Ok(Tried::Late);
        }
        if write && let Some(signal) = self.interrupt.signal() {
            return Err(Error::Interrupted { signal });
        }
        let in_flight = write.then(|| redirect::Writes::enter(&self.writes, url));
        let started = Instant::now();
        self.sending.store(true, Ordering::Relaxed);
        let sent = match self.exchange(request, csrf).await {
            Err(Fault::Fatal(error)) => return Err(error),
            Err(Fault::Lost(failure)) => Err(failure),
            Ok(answer) => Ok(answer),
        };
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
                let retry_after = None;
                return Ok(Tried::Lost {
                    failure,
                    retry_after,
                });
            }
        };
        let (status, retry_after) = (answer.status, answer.retry_after);
        let read = body::read(answer.body, answer.length, method, url).await;
        if let Ok(body) = &read {
            settle.answered(Outcome::of(status, tokens.rejected(status, body)));
        }
        // Settled before the write slot is freed: a write waiting for it sees the verdict.
        drop(settle);
        let collided = match (slot, status) {
            (None, _) => false,
            // A throttle says nothing about how many writes the server takes.
            (Some(slot), StatusCode::TOO_MANY_REQUESTS) => {
                slot.release();
                false
            }
            (Some(slot), _) => slot.end(status == StatusCode::SERVICE_UNAVAILABLE),
        };
        match read {
            Ok(body) => Ok(Tried::Answered {
                reply: Reply {
                    status,
                    body,
                    tries,
                    took: started.elapsed(),
                },
                retry_after,
                collided,
            }),
            Err(Fault::Lost(failure)) => Ok(Tried::Lost {
                failure,
                retry_after,
            }),
            Err(Fault::Fatal(error)) => Err(error),
        }
    }

    /// Sends one try: verbatim when its path holds a dot segment, else through `reqwest`.
    async fn exchange(&self, request: &Request<'_>, headers: Headers) -> Result<Answer, Fault> {
        let Request {
            method,
            path,
            url,
            body,
        } = request;
        if verbatim::needed(path) {
            return self
                .verbatim
                .send(method, url, body.clone(), &headers)
                .await;
        }
        let mut sent = self.http.request(method.clone(), url);
        if let Some(body) = body {
            sent = sent
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
        }
        for (name, value) in headers {
            sent = sent.header(name, value);
        }
        let answer = sent.send().await.map_err(Failure::Http)?;
        Ok(Answer::of_http(answer))
    }
}
