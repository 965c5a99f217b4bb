//! The Prefect API, one module per job, each adding its methods to [`Client`]:
//! - [`pools`]: work pools: read one or a few, the paged listing, and the client's side of a
//!   safe write (the timed re-read and one try of a PATCH);
//! - [`defaults`]: the server's default templates;
//! - [`deployments`]: the deployments on a batch of pools and their flows' names;
//! - [`csrf`]: the CSRF tokens of a self-hosted server, the transport's [`Tokens`] provider;
//! - [`path`]: building request paths ([`encode`]).
//!
//! This file holds what they share: a request through the transport with this client's
//! tokens, and parsing an answer into a shape.
//!
//! [`Tokens`]: crate::api::transport::Tokens

mod csrf;
mod defaults;
mod deployments;
mod path;
mod pools;

pub(crate) use csrf::Csrf;
pub(crate) use defaults::Defaults;
pub(crate) use deployments::Deployment;
pub use path::encode;
pub(crate) use pools::{Booking, Fresh, Listed, WorkPool, WriteAttempt};

use super::Client;
use super::transport::Reply;
use crate::error::{Error, Result};
use reqwest::Method;
use serde_json::Value;
use std::time::Instant;

/// The most pools one `POST /work_pools/filter` may return.
pub(crate) const PAGE_SIZE: usize = 200;

impl Client {
    /// Sends a read (any request but a PATCH) through the transport's send loop with this
    /// client's CSRF tokens; returns whatever status came last.
    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply> {
        self.send_booked(method, path, body, None).await
    }

    /// [`Client::send`], whose first try goes at the send slot `booked` if one was booked.
    async fn send_booked(
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
    fn parse<T: serde::de::DeserializeOwned>(
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
    fn json_error(&self, input: String, source: serde_json::Error) -> Error {
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
