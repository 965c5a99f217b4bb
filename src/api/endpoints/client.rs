//! [`Client`], the façade the commands use: its construction from the settings, its
//! counters, and what every endpoint shares: a request through the transport's send loop
//! with this client's CSRF tokens, and parsing an answer into a shape.

use super::Csrf;
use crate::api::pacing::Pushback;
use crate::api::transport::{Interrupt, Reply, Transport};
use crate::config::Config;
use crate::error::{Error, Result};
use reqwest::Method;
use serde_json::Value;
use std::time::Instant;

/// A connection to one Prefect API: the one type the commands use. Its requests are the
/// endpoints' methods (`read_pool`, `filter_pools`, `defaults`, `deployments_on`,
/// `try_patch`...); this file holds its construction, its counters, and what every
/// endpoint shares.
#[derive(Debug)]
pub(crate) struct Client {
    /// The way to the server, shared by every endpoint.
    pub(super) transport: Transport,
    /// The CSRF tokens of a self-hosted server (off for Prefect Cloud).
    pub(super) csrf: Csrf,
    /// Whether the server is Prefect Cloud (its default templates live elsewhere).
    pub(super) cloud: bool,
    /// The re-reads' round trips, which time a re-read sent ahead and widen a paced
    /// round's booking.
    pub(super) trips: std::sync::Mutex<super::pools::Trips>,
}

impl Client {
    /// Builds a client from resolved settings.
    pub(crate) fn new(config: &Config) -> Result<Client> {
        Ok(Client {
            transport: Transport::new(config)?,
            csrf: Csrf::new(!config.cloud),
            cloud: config.cloud,
            trips: std::sync::Mutex::default(),
        })
    }

    /// The API base URL.
    pub(crate) fn base_url(&self) -> &str {
        self.transport.base()
    }

    /// Paces this client: at most `max_rps` requests per second (`None`: learn it from the
    /// server's `429`s) and at most `max_writes` writes in flight.
    pub(crate) fn paced(mut self, max_rps: Option<f64>, max_writes: usize) -> Client {
        self.transport.pace(max_rps, max_writes);
        self
    }

    /// Cuts this client's waits, and stops its PATCHes, once `interrupt` is raised.
    pub(crate) fn interruptible(mut self, interrupt: Interrupt) -> Client {
        self.transport.interrupt_on(interrupt);
        self
    }

    /// How many retries this client has made so far.
    pub(crate) fn retries(&self) -> u64 {
        self.transport.retries()
    }

    /// How many requests this client has sent so far, retries included.
    pub(crate) fn requests(&self) -> u64 {
        self.transport.requests()
    }

    /// What the server's pushback cost so far.
    pub(crate) fn pushback(&self) -> Pushback {
        self.transport.pushback()
    }
}

impl Client {
    /// Sends a read (any request but a PATCH) through the transport's send loop with this
    /// client's CSRF tokens; returns whatever status came last.
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
        booked: Option<Instant>,
    ) -> Result<Reply> {
        let transport = &self.transport;
        transport.send(&self.csrf, method, path, body, booked).await
    }

    /// A successful answer's body as `T`; an error status is an error naming the request,
    /// and so is a number too wide to keep exactly.
    pub(super) fn parse<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        reply: Reply,
    ) -> Result<T> {
        if !reply.status.is_success() {
            return Err(self.transport.status_error(method, path, &reply));
        }
        let base = self.transport.base();
        let input = format!("the response to {method} {base}{path}");
        let parsed = serde_json::from_slice(&reply.body)
            .map_err(|source| self.json_error(input.clone(), source))?;
        let wide = poolsync_engine::big_integers::find(&String::from_utf8_lossy(&reply.body));
        match wide.is_empty() {
            true => Ok(parsed),
            false => Err(Error::Shape {
                input,
                message: poolsync_engine::big_integers::refusal(&wide),
            }),
        }
    }

    /// A parse error; a serde message can quote the body, so it is redacted.
    pub(super) fn json_error(&self, input: String, source: serde_json::Error) -> Error {
        let message = source.to_string();
        let redacted = self.transport.redactor().apply(&message);
        match redacted == message {
            true => Error::Json { input, source },
            false => Error::Shape {
                input,
                message: format!("is not valid json: {redacted}"),
            },
        }
    }
}
