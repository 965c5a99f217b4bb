//! Requests whose path must reach the server as written. A pool named `.` or `..` is the
//! path segment `%2E` or `%2E%2E`, and the URL standard resolves those as dot segments
//! even percent-encoded, so `reqwest` (over `url::Url`) would send the request to
//! `/work_pools/` or `/` instead. These few requests go through hyper with an `http::Uri`,
//! which keeps the path as it is, over the same TLS settings, headers and timeout.
//!
//! They follow no redirect (a 3xx is an answer like any other) and take no proxy: if the
//! environment names a proxy for the API's host, the request is refused, since a proxy may
//! resolve the dot segment itself.

use super::wire::{
    Answer, Body, Failure as WireFailure, Fault, HyperFailure as Failure, retry_after,
};
use crate::error::{Error, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use rustls::pki_types::CertificateDer;
use std::time::Duration;

/// Whether `path` has a segment that URL parsers resolve as `.` or `..`.
pub(crate) fn needed(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/').any(|segment| {
        let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
        matches!(decoded.as_str(), "." | "..")
    })
}

/// What the verbatim client is built from, kept until the first request needs it.
#[derive(Debug)]
pub(super) struct Settings {
    /// Sent with every request: user agent, authorization, custom headers.
    pub headers: HeaderMap,
    pub timeout: Duration,
    pub tls_insecure: bool,
    /// Roots added to the platform's (`PREFECT_API_SSL_CERT_FILE`).
    pub roots: Vec<CertificateDer<'static>>,
}

type Hyper = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The verbatim client: built on first use, since almost no run needs it.
#[derive(Debug)]
pub(super) struct Verbatim {
    settings: Settings,
    client: tokio::sync::OnceCell<Hyper>,
}

impl Verbatim {
    pub(super) fn new(settings: Settings) -> Verbatim {
        Verbatim {
            settings,
            client: tokio::sync::OnceCell::new(),
        }
    }

    /// Sends one request to `url` exactly as written. [`Fault::Fatal`] means it cannot be
    /// sent at all (a proxy is set for the host, or the TLS settings are unusable).
    pub(super) async fn send(
        &self,
        method: &Method,
        url: &str,
        body: Option<Bytes>,
        extra: &[(HeaderName, HeaderValue)],
    ) -> std::result::Result<Answer, Fault> {
        let uri: hyper::Uri = url.parse().map_err(|e| Error::Setting {
            name: "api url".into(),
            message: format!("{url} is not a valid request target: {e}"),
        })?;
        if Matcher::from_env().intercept(&uri).is_some() {
            return Err(Fault::Fatal(Error::UnaddressablePool { url: url.into() }));
        }
        let client = self
            .client
            .get_or_try_init(|| async { self.build() })
            .await?;
        let mut request = hyper::Request::builder().method(method.clone()).uri(uri);
        if let Some(headers) = request.headers_mut() {
            headers.extend(self.settings.headers.clone());
            headers.extend(extra.iter().cloned());
            if body.is_some() {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
        }
        let bytes = body.unwrap_or_default();
        let request = request.body(Full::new(bytes)).map_err(|e| Error::Setting {
            name: "request".into(),
            message: e.to_string(),
        })?;
        let deadline = tokio::time::Instant::now() + self.settings.timeout;
        let sent = match tokio::time::timeout_at(deadline, client.request(request)).await {
            Err(_) => Err(Failure::Timeout),
            Ok(sent) => sent.map_err(Failure::Request),
        };
        sent.map(|response| {
            let (head, incoming) = response.into_parts();
            let length = head
                .headers
                .get(reqwest::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok());
            Answer {
                status: head.status,
                retry_after: retry_after(&head.headers),
                length,
                body: Body::Hyper { incoming, deadline },
            }
        })
        .map_err(|failure| Fault::Lost(WireFailure::Hyper(failure)))
    }

    fn build(&self) -> Result<Hyper> {
        let tls = super::tls::client_config(self.settings.tls_insecure, &self.settings.roots)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(self.settings.timeout.min(Duration::from_secs(10))));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Client::builder(TokioExecutor::new())
            .pool_idle_timeout(super::KEEP_IDLE)
            .pool_timer(TokioTimer::new())
            .build(https))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Building the client is where a bad TLS or connector setting would show (it once
    /// panicked on a preset ALPN list): both verification modes build.
    #[test]
    fn builds_under_either_tls_setting() {
        for tls_insecure in [false, true] {
            let verbatim = Verbatim::new(Settings {
                headers: HeaderMap::new(),
                timeout: Duration::from_secs(5),
                tls_insecure,
                roots: Vec::new(),
            });
            assert!(verbatim.build().is_ok(), "tls_insecure={tls_insecure}");
        }
    }

    #[test]
    fn only_dot_segments_need_the_verbatim_client() {
        for path in [
            "/work_pools/%2E%2E",
            "/work_pools/%2e",
            "/work_pools/.%2E",
            "/a/../b",
        ] {
            assert!(needed(path), "{path}");
        }
        for path in [
            "/work_pools/a.b",
            "/work_pools/...",
            "/work_pools/%2E%2E%2E",
            "/x?y=..",
        ] {
            assert!(!needed(path), "{path}");
        }
    }
}
