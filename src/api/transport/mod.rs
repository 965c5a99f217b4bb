//! The transport: how a request reaches the server and what came back, with no knowledge of
//! which endpoint it is for. It owns:
//! - building the HTTP clients from the settings (this file: authentication, custom headers,
//!   [`tls`] roots, the [`redirect`] policy), and the [`verbatim`] client for paths a URL
//!   parser would rewrite (pools named `.` and `..`);
//! - the one send loop ([`send`]), whose every try ([`exchange`]) ends as an [`Attempt`]:
//!   answered, worth a retry, or fatal;
//! - the wire shapes of an answer ([`wire`]), reading its [`body`] under a cap, and turning
//!   failures and error bodies into poolsync errors ([`failure`]) with the credentials
//!   blanked out ([`redact`]);
//! - the [`interrupt`] that cuts every wait, and the one diagnosis of a misdirected `404`
//!   ([`misdirected`]).
//!
//! The pacing decisions come from [`super::pacing`]; the CSRF tokens of a write from a
//! [`Tokens`] provider (`endpoints::csrf`), so nothing here calls back into the endpoints.

mod body;
mod exchange;
mod failure;
mod interrupt;
mod misdirected;
mod redact;
mod redirect;
mod send;
mod tls;
mod tokens;
mod verbatim;
mod wire;

pub(crate) use interrupt::Interrupt;
pub(crate) use redact::Redactor;
pub(crate) use send::{Attempt, Retry, Tries};
pub(crate) use tokens::{NoTokens, Outcome, Tokens};
#[cfg(test)]
pub(crate) use verbatim::needed as needs_verbatim;

use super::pacing::{Gate, Pushback, RetryPolicy};
use crate::config::{Auth, Config};
use crate::error::{Error, Result};
use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The `User-Agent` of every request.
const AGENT: &str = concat!("poolsync/", env!("CARGO_PKG_VERSION"));

/// Writes in flight until a budget says otherwise.
const DEFAULT_WRITES: usize = 8;

/// How long a connection may sit idle before it is dropped rather than reused: under the
/// keep-alive timeout of a self-hosted Prefect server (uvicorn's, 5 s unless
/// `PREFECT_SERVER_API_KEEPALIVE_TIMEOUT` says otherwise). A connection idle for just that
/// long was being closed by the server as the request went out on it ("connection closed
/// before message completed"): a read retried, and a PATCH lost that may have landed.
pub(super) const KEEP_IDLE: Duration = Duration::from_secs(4);

/// The way to one Prefect API: the HTTP clients, the gate every request passes, the retry
/// policy and the counters of what was sent.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base: String,
    policy: RetryPolicy,
    retries: AtomicU64,
    requests: AtomicU64,
    /// Whether any request has been sent (answered or not).
    sending: std::sync::atomic::AtomicBool,
    /// Every request passes it: `429` pauses and pacing, and the writes in flight.
    gate: Gate,
    verbose: bool,
    auth_note: &'static str,
    /// Blanks the credentials out of every server text shown.
    redactor: Redactor,
    /// For the paths `reqwest` would rewrite (pools named `.` and `..`).
    verbatim: verbatim::Verbatim,
    /// Cuts every wait, and stops every PATCH, once a signal came.
    interrupt: Interrupt,
    /// The PATCHes in flight, whose `303`s the redirect policy refuses.
    writes: Arc<redirect::Writes>,
}

/// A response that got through: its status and body.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The status the server answered.
    pub status: StatusCode,
    /// The body, read whole.
    pub body: bytes::Bytes,
    /// How many times the request was sent.
    pub tries: u32,
    /// The round trip of the try that got this answer.
    pub took: Duration,
}

impl Transport {
    /// Builds the transport from resolved settings.
    pub(crate) fn new(config: &Config) -> Result<Transport> {
        if let Some(warning) = config.plain_http_warning() {
            eprintln!("warning: {warning}");
        }
        let headers = headers(config)?;
        let mut verbatim_headers = headers.clone();
        verbatim_headers.insert(reqwest::header::USER_AGENT, HeaderValue::from_static(AGENT));
        let mut roots = Vec::new();
        let writes = Arc::new(redirect::Writes::default());
        let mut builder = reqwest::Client::builder()
            .user_agent(AGENT)
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(64)
            .pool_idle_timeout(KEEP_IDLE)
            .redirect(redirect::policy(
                config.verbose,
                Redactor::new(&config.auth, &config.custom_headers),
                Arc::clone(&writes),
            ))
            .tls_danger_accept_invalid_certs(config.tls_insecure);
        if let Some(path) = &config.ssl_cert_file {
            let pem = std::fs::read(path).map_err(|source| Error::Io {
                action: "read PREFECT_API_SSL_CERT_FILE",
                path: path.clone(),
                source,
            })?;
            roots = tls::roots(path, &pem)?;
            // poolsync's own verifier, which takes the CA file's certificates as curl does.
            let mut tls = tls::client_config(config.tls_insecure, &roots)?;
            tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            builder = builder.tls_backend_preconfigured(tls);
        }
        let http = builder.build().map_err(|e| Error::Setting {
            name: "http client".into(),
            message: e.to_string(),
        })?;
        Ok(Transport {
            http,
            base: config.api_url.clone(),
            policy: RetryPolicy {
                max_retries: config.max_retries,
                extra_codes: config.retry_extra_codes.clone(),
            },
            retries: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            sending: std::sync::atomic::AtomicBool::new(false),
            gate: Gate::new(None, DEFAULT_WRITES),
            verbose: config.verbose,
            auth_note: match config.auth {
                Auth::None => "",
                Auth::Bearer(_) => " [authorization: Bearer <redacted>]",
                Auth::Basic(_) => " [authorization: Basic <redacted>]",
            },
            redactor: Redactor::new(&config.auth, &config.custom_headers),
            verbatim: verbatim::Verbatim::new(verbatim::Settings {
                headers: verbatim_headers,
                timeout: config.timeout,
                tls_insecure: config.tls_insecure,
                roots,
            }),
            interrupt: Interrupt::default(),
            writes,
        })
    }

    /// The API base URL.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Blanks the credentials out of server texts.
    pub(crate) fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Paces every request: at most `max_rps` per second (`None`: learn it from the server's
    /// `429`s) and at most `max_writes` writes in flight.
    pub(crate) fn pace(&mut self, max_rps: Option<f64>, max_writes: usize) {
        self.gate = Gate::new(max_rps, max_writes);
    }

    /// Cuts every wait, and stops every PATCH, once `interrupt` is raised.
    pub(crate) fn interrupt_on(&mut self, interrupt: Interrupt) {
        self.interrupt = interrupt;
    }

    /// How many retries were made so far.
    pub(crate) fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Whether any request has been sent yet (answered or not).
    pub(crate) fn sent_any(&self) -> bool {
        self.sending.load(Ordering::Relaxed)
    }

    /// How many requests were sent so far, retries included.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// What the server's pushback cost so far.
    pub(crate) fn pushback(&self) -> Pushback {
        self.gate.pushback()
    }

    /// The time between two requests, when the transport paces.
    pub(crate) fn interval(&self) -> Option<Duration> {
        self.gate.interval()
    }

    /// The quickest answer to any request so far (see [`Gate::quickest`]).
    pub(crate) fn quickest(&self) -> Option<Duration> {
        self.gate.quickest()
    }

    /// Whether the server showed it takes one write at a time (see [`Gate::one_writer`]).
    pub(crate) fn one_writer(&self) -> bool {
        self.gate.one_writer()
    }

    /// Books `n` send slots within `window` plus one interval (see [`Gate::book`]).
    pub(crate) fn book(&self, n: usize, window: Duration) -> Vec<Instant> {
        self.gate.book(n, window)
    }

    /// How many PATCHes fit after one booked re-read (see [`Gate::fits`]).
    pub(crate) fn fits(&self, window: Duration) -> Option<usize> {
        self.gate.fits(window)
    }

    /// Sleeps a retry's backoff, counted as time spent on pushback; a signal cuts it.
    pub(crate) async fn pause(&self, wait: Duration) -> Result<()> {
        self.cut(self.gate.back_off(wait)).await
    }

    /// Runs a wait unless the run is interrupted first.
    async fn cut<F: Future>(&self, wait: F) -> Result<F::Output> {
        self.interrupt
            .cut(wait)
            .await
            .map_err(|signal| Error::Interrupted { signal })
    }
}

/// The headers of every request: authorization and the custom headers, all sensitive.
fn headers(config: &Config) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    let auth = match &config.auth {
        Auth::None => None,
        Auth::Bearer(key) => Some(format!("Bearer {}", key.expose())),
        Auth::Basic(pair) => Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair.expose())
        )),
    };
    if let Some(auth) = auth {
        let mut value = HeaderValue::from_str(&auth).map_err(|_| Error::Setting {
            name: "api key".into(),
            message: "contains characters not allowed in an http header; check for newlines".into(),
        })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    for (name, value) in &config.custom_headers {
        // Neither the name nor the value is echoed: a pasted secret may sit in either.
        let bad = || Error::Setting {
            name: "PREFECT_CLIENT_CUSTOM_HEADERS".into(),
            message: "a header name or value is not valid http (names have no spaces or \
                      ':', values no newlines); check the JSON object"
                .into(),
        };
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
        let mut value = HeaderValue::from_str(value).map_err(|_| bad())?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    Ok(headers)
}
