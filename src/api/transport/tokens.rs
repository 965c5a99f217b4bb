//! The CSRF tokens a request carries, as the transport sees them: each try that is not a
//! `GET` asks a [`Tokens`] provider for its headers, and tells it what became of the try
//! ([`Outcome`]: taken, refused for its token, or anything else). Fetching a token is an endpoint's job (`endpoints::csrf`), which sends its `GET`
//! through the transport with [`NoTokens`]: the arrow points one way only.

use super::Transport;
use crate::error::Result;
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue};

/// The headers of one try.
pub(crate) type Headers = Vec<(HeaderName, HeaderValue)>;

/// What became of a try that asked for CSRF headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The server judged it and did not refuse its token: any answer below 500 but a `429`,
    /// a `408` and a refusal.
    Taken,
    /// Refused for its CSRF token (missing or expired): [`Tokens::rejected`].
    Refused,
    /// Not sent, not answered, or answered before the server judged it.
    Other,
}

impl Outcome {
    /// The outcome of an answer with `status`, `refused` when the provider rejected it.
    pub(crate) fn of(status: StatusCode, refused: bool) -> Outcome {
        let unjudged = status.is_server_error()
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT;
        match (refused, unjudged) {
            (true, _) => Outcome::Refused,
            (false, true) => Outcome::Other,
            (false, false) => Outcome::Taken,
        }
    }
}

/// Where a request's CSRF headers come from.
pub(crate) trait Tokens: Sync {
    /// The headers of one try that is not a `GET`, fetching a token first when none is held
    /// (through `transport`, as a `GET`).
    fn headers(&self, transport: &Transport) -> impl Future<Output = Result<Headers>> + Send;

    /// Whether an answer is the server refusing the token (expired or missing).
    fn rejected(&self, status: StatusCode, body: &[u8]) -> bool;

    /// What became of a try that carried this provider's headers; called once per such
    /// try, before its write slot is freed.
    fn settled(&self, outcome: Outcome);

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

    fn settled(&self, _: Outcome) {}

    async fn reset(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_taken_unless_refused_or_unjudged() {
        assert_eq!(Outcome::of(StatusCode::OK, false), Outcome::Taken);
        assert_eq!(Outcome::of(StatusCode::NOT_FOUND, false), Outcome::Taken);
        assert_eq!(Outcome::of(StatusCode::FORBIDDEN, true), Outcome::Refused);
        for status in [429, 408, 500, 502, 503] {
            let status = StatusCode::from_u16(status).expect("status");
            assert_eq!(Outcome::of(status, false), Outcome::Other, "{status}");
        }
    }
}
