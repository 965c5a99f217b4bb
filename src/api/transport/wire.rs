//! One request on the wire and its answer, whichever way it went: through `reqwest` (every
//! request but a few), or through hyper for a path a URL parser would rewrite (the verbatim
//! client). The send loop sees one shape for both, and one [`Fault`] when a try got no whole
//! answer.

use crate::error::Error;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use reqwest::StatusCode;

/// A request that got no answer, or lost its body midway.
#[derive(Debug)]
pub(super) enum Failure {
    /// Through `reqwest`.
    Http(reqwest::Error),
    /// Through hyper (the verbatim client).
    Hyper(HyperFailure),
}

/// Why one try got no whole answer: the network failed it (worth another try when
/// [`Failure::retryable`]), or poolsync will not go on with it (final).
#[derive(Debug)]
pub(super) enum Fault {
    /// The connection, the timeout or the body failed.
    Lost(Failure),
    /// Final: a body over the cap, a proxy set for a verbatim path, an unusable setting.
    Fatal(Error),
}

impl From<Failure> for Fault {
    fn from(failure: Failure) -> Fault {
        Fault::Lost(failure)
    }
}

impl From<Error> for Fault {
    fn from(error: Error) -> Fault {
        Fault::Fatal(error)
    }
}

/// Why a request sent through hyper got no answer.
#[derive(Debug, thiserror::Error)]
pub(super) enum HyperFailure {
    #[error("no answer within the timeout")]
    Timeout,
    #[error(transparent)]
    Request(hyper_util::client::legacy::Error),
    #[error(transparent)]
    Body(hyper::Error),
}

impl Failure {
    /// Whether sending again may help: the connection, the timeout or the body failed (but
    /// not over a certificate: it will be refused again).
    pub(super) fn retryable(&self) -> bool {
        if self.is_certificate() {
            return false;
        }
        match self {
            Failure::Http(e) => e.is_connect() || e.is_timeout() || e.is_request() || e.is_body(),
            Failure::Hyper(_) => true,
        }
    }

    pub(super) fn is_timeout(&self) -> bool {
        match self {
            Failure::Http(e) => e.is_timeout(),
            Failure::Hyper(e) => matches!(e, HyperFailure::Timeout),
        }
    }

    pub(super) fn is_connect(&self) -> bool {
        match self {
            Failure::Http(e) => e.is_connect(),
            Failure::Hyper(HyperFailure::Request(e)) => e.is_connect(),
            Failure::Hyper(_) => false,
        }
    }

    /// Whether a TLS certificate was refused (the server's, or by the server).
    pub(super) fn is_certificate(&self) -> bool {
        super::tls::is_certificate_error(self.as_error())
    }

    pub(super) fn is_redirect(&self) -> bool {
        matches!(self, Failure::Http(e) if e.is_redirect())
    }

    /// The error itself, for its message and its chain of causes.
    pub(super) fn as_error(&self) -> &(dyn std::error::Error + 'static) {
        match self {
            Failure::Http(e) => e,
            Failure::Hyper(e) => e,
        }
    }
}

/// The head of an answer, with its body still to read.
pub(super) struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<String>,
    /// The announced `Content-Length`, if any.
    pub length: Option<u64>,
    pub body: Body,
}

/// An answer's body, read chunk by chunk.
pub(super) enum Body {
    Http(reqwest::Response),
    Hyper {
        incoming: hyper::body::Incoming,
        /// The request's timeout covers its body too, as `reqwest`'s does.
        deadline: tokio::time::Instant,
    },
}

impl Answer {
    pub(super) fn of_http(response: reqwest::Response) -> Answer {
        Answer {
            status: response.status(),
            retry_after: retry_after(response.headers()),
            length: response.content_length(),
            body: Body::Http(response),
        }
    }
}

/// The `Retry-After` header, as text.
pub(super) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl Body {
    /// The next chunk, `None` at the end.
    pub(super) async fn chunk(&mut self) -> Result<Option<Bytes>, Failure> {
        match self {
            Body::Http(response) => response.chunk().await.map_err(Failure::Http),
            Body::Hyper { incoming, deadline } => loop {
                let frame = tokio::time::timeout_at(*deadline, incoming.frame())
                    .await
                    .map_err(|_| Failure::Hyper(HyperFailure::Timeout))?;
                match frame {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(Failure::Hyper(HyperFailure::Body(e))),
                    // Trailers carry nothing poolsync reads.
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            return Ok(Some(data));
                        }
                    }
                }
            },
        }
    }
}
