//! The one way a request leaves the client: through the gate (pacing, pauses after `429`,
//! the write limit), over `reqwest` or the verbatim client, with retries and `-v` logging.

use super::failure::transport_error;
use super::wire::{Answer, Failure};
use super::{Client, MAX_THROTTLED_TRIES, Reply, body, verbatim};
use crate::error::Result;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::sync::atomic::Ordering;

impl Client {
    /// Sends one request through the gate, retrying transient failures; returns whatever
    /// status came last. A `429` pauses every request of this client for its `Retry-After`
    /// and is retried up to [`MAX_THROTTLED_TRIES`] times; other transient failures back off
    /// up to `max_retries` times. Writes take a slot of the adaptive write limit.
    pub(super) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply> {
        let url = format!("{}{path}", self.base);
        let write = method == Method::PATCH;
        let (mut attempt, mut throttled) = (0u32, 0u32);
        loop {
            // A write first waits for a slot, then for the gate: a 429 that came while it
            // waited for the slot still holds it back.
            let slot = match write {
                true => Some(self.gate.write_slot().await),
                false => None,
            };
            self.gate.admit().await;
            let csrf = match method {
                Method::GET => Vec::new(),
                _ => self.csrf.headers(self).await?,
            };
            let started = std::time::Instant::now();
            let sent = self.exchange(&method, path, &url, body, csrf).await?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let tries = attempt + throttled + 1;
            if self.verbose {
                let answer = match &sent {
                    Ok(answer) => answer.status.to_string(),
                    Err(e) => format!("error: {}", transport_error(&method, &url, e)),
                };
                let ms = started.elapsed().as_millis();
                eprintln!(
                    "poolsync: {method} {url}{} -> {answer} in {ms} ms (attempt {tries})",
                    self.auth_note,
                );
            }
            let mut retry_after = None;
            let error = match sent {
                Ok(answer) => {
                    let status = answer.status;
                    retry_after = answer.retry_after;
                    let read = body::read(answer.body, answer.length, &method, &url).await;
                    if let Some(slot) = slot {
                        match status {
                            // A throttle says nothing about how many writes the server takes.
                            StatusCode::TOO_MANY_REQUESTS => slot.release(),
                            _ => slot.end(status == StatusCode::SERVICE_UNAVAILABLE),
                        }
                    }
                    match read? {
                        Ok(body) => {
                            let reply = Reply {
                                status,
                                body,
                                tries,
                            };
                            if status == StatusCode::TOO_MANY_REQUESTS {
                                let wait = self.policy.delay(1, retry_after.as_deref());
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
                            } else if !self.policy.retries_status(status.as_u16())
                                || attempt >= self.policy.max_retries
                            {
                                return Ok(reply);
                            }
                            None
                        }
                        Err(e) => Some(e),
                    }
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
            let wait = self.policy.delay(attempt, retry_after.as_deref());
            self.gate.back_off(wait).await;
        }
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
