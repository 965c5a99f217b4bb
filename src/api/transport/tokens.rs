//! The CSRF tokens a request carries, as the transport sees them: each try that is not a
//! `GET` asks a [`Tokens`] provider for its headers, and tells it when the server refused
//! them. Fetching a token is an endpoint's job (`endpoints::csrf`), which sends its `GET`
//! through the transport with [`NoTokens`]: the arrow points one way only.

use super::Transport;
use crate::error::Result;
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue};

/// The headers of one try.
pub(crate) type Headers = Vec<(HeaderName, HeaderValue)>;

/// Where a request's CSRF headers come from.
pub(crate) trait Tokens: Sync {
    /// The headers of one try that is not a `GET`, fetching a token first when none is held
    /// (through `transport`, as a `GET`).
    fn headers(&self, transport: &Transport) -> impl Future<Output = Result<Headers>> + Send;

    /// Whether an answer is the server refusing the token (expired or missing).
    fn rejected(&self, status: StatusCode, body: &[u8]) -> bool;

    /// Forgets the token so the next try fetches a new one.
    fn reset(&self) -> impl Future<Output = ()> + Send;
}

/// No tokens: for the request that fetches one, and for a server that takes none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoTokens;

impl Tokens for NoTokens {
    async fn headers(&self, _: &Transport) -> Result<Headers> {
        Ok(Vec::new())
    }

    fn rejected(&self, _: StatusCode, _: &[u8]) -> bool {
        false
    }

    async fn reset(&self) {}
}
