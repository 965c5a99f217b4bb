//! The Prefect REST client: one `reqwest` client with connection reuse, authentication,
//! custom headers, CSRF tokens for self-hosted servers, and retries of transient failures;
//! requests for pools named `.` or `..` take the verbatim client instead (same settings).

mod body;
mod csrf;
mod deployments;
mod failure;
mod gate;
mod interrupt;
mod listing;
mod misdirected;
mod pace;
mod redact;
mod redirect;
mod retry;
mod send;
mod tls;
mod types;
mod verbatim;
mod wire;
mod write;
mod write_limit;

pub(crate) use gate::Pushback;
pub(crate) use interrupt::Interrupt;
pub(crate) use listing::Listed;
pub(crate) use pace::MIN_MAX_RPS;
pub(crate) use retry::RetryPolicy;
pub(crate) use send::Tries;
pub(crate) use write::{Attempt, Booking, Fresh};

use gate::Gate;
pub(crate) use types::{Defaults, Deployment, WorkPool};

use failure::detail;
pub use failure::encode;

use crate::config::{Auth, Config};
use crate::error::{Error, Result};
use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};

/// The most pools one `POST /work_pools/filter` may return.
pub(crate) const PAGE_SIZE: usize = 200;

/// Tries of one request answered `429` before it is given up: a throttle says "wait", not
/// "broken", so it gets many more tries than other failures (each waits its `Retry-After`).
pub(crate) const MAX_THROTTLED_TRIES: u32 = 30;

/// The `User-Agent` of every request.
const AGENT: &str = concat!("poolsync/", env!("CARGO_PKG_VERSION"));

/// Writes in flight until a budget says otherwise.
const DEFAULT_WRITES: usize = 8;

/// A connection to one Prefect API.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    cloud: bool,
    policy: RetryPolicy,
    csrf: csrf::Csrf,
    retries: AtomicU64,
    requests: AtomicU64,
    /// Every request passes it: `429` pauses and pacing, and the writes in flight.
    gate: Gate,
    verbose: bool,
    auth_note: &'static str,
    /// Blanks the credentials out of every server text shown.
    redactor: redact::Redactor,
    /// For the paths `reqwest` would rewrite (pools named `.` and `..`).
    verbatim: verbatim::Verbatim,
    /// Cuts every wait, and stops every PATCH, once a signal came.
    interrupt: Interrupt,
    /// The PATCHes in flight, whose `303`s the redirect policy refuses.
    writes: std::sync::Arc<redirect::Writes>,
}

/// A response that got through: its status and body.
struct Reply {
    status: StatusCode,
    body: bytes::Bytes,
    /// How many times the request was sent.
    tries: u32,
    /// The round trip of the try that got this answer.
    took: std::time::Duration,
}

impl Client {
    /// Builds a client from resolved settings.
    pub(crate) fn new(config: &Config) -> Result<Client> {
        if let Some(warning) = config.plain_http_warning() {
            eprintln!("warning: {warning}");
        }
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
                message: "contains characters not allowed in an http header; check for newlines"
                    .into(),
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
        let mut verbatim_headers = headers.clone();
        verbatim_headers.insert(reqwest::header::USER_AGENT, HeaderValue::from_static(AGENT));
        let mut roots = Vec::new();
        let writes = std::sync::Arc::new(redirect::Writes::default());
        let mut builder = reqwest::Client::builder()
            .user_agent(AGENT)
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(std::time::Duration::from_secs(10)))
            .pool_max_idle_per_host(64)
            .redirect(redirect::policy(
                config.verbose,
                redact::Redactor::new(&config.auth, &config.custom_headers),
                std::sync::Arc::clone(&writes),
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
        Ok(Client {
            http,
            base: config.api_url.clone(),
            cloud: config.cloud,
            policy: RetryPolicy {
                max_retries: config.max_retries,
                extra_codes: config.retry_extra_codes.clone(),
            },
            csrf: csrf::Csrf::new(!config.cloud),
            retries: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            gate: Gate::new(None, DEFAULT_WRITES),
            verbose: config.verbose,
            auth_note: match config.auth {
                Auth::None => "",
                Auth::Bearer(_) => " [authorization: Bearer <redacted>]",
                Auth::Basic(_) => " [authorization: Basic <redacted>]",
            },
            redactor: redact::Redactor::new(&config.auth, &config.custom_headers),
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
    pub(crate) fn base_url(&self) -> &str {
        &self.base
    }

    /// Paces this client: at most `max_rps` requests per second (`None`: learn it from the
    /// server's `429`s) and at most `max_writes` writes in flight.
    pub(crate) fn paced(mut self, max_rps: Option<f64>, max_writes: usize) -> Client {
        self.gate = Gate::new(max_rps, max_writes);
        self
    }

    /// Cuts this client's waits, and stops its PATCHes, once `interrupt` is raised.
    pub(crate) fn interruptible(mut self, interrupt: Interrupt) -> Client {
        self.interrupt = interrupt;
        self
    }

    /// How many retries this client has made so far.
    pub(crate) fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// How many requests this client has sent so far, retries included.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// What the server's pushback cost so far.
    pub(crate) fn pushback(&self) -> Pushback {
        self.gate.pushback()
    }

    /// `GET /work_pools/{name}`.
    pub(crate) async fn read_pool(&self, name: &str) -> Result<WorkPool> {
        let path = failure::pool_path(name);
        let reply = self.send(Method::GET, &path, None).await?;
        match reply.status {
            StatusCode::NOT_FOUND => Err(self
                .not_found(Error::PoolNotFound {
                    pool: name.into(),
                    url: self.base.clone(),
                })
                .await),
            _ => self.parse(Method::GET, &path, reply),
        }
    }

    /// One page of `POST /work_pools/filter`, optionally only pools of `types`. Each pool
    /// is parsed on its own: one that cannot be read is an [`Listed::Unreadable`] entry.
    pub(crate) async fn filter_pools(
        &self,
        types: &[String],
        offset: usize,
    ) -> Result<Vec<Listed>> {
        let path = "/work_pools/filter";
        let mut body = json!({"limit": PAGE_SIZE, "offset": offset});
        if !types.is_empty() {
            body["work_pools"] = json!({"type": {"any_": types}});
        }
        let reply = self.send(Method::POST, path, Some(&body)).await?;
        if reply.status == StatusCode::NOT_FOUND {
            let error = self.status_error(Method::POST, path, &reply);
            return Err(self.not_found(error).await);
        }
        if !reply.status.is_success() {
            return Err(self.status_error(Method::POST, path, &reply));
        }
        let input = format!("the response to POST {}{path}", self.base);
        listing::parse_page(&reply.body, offset, &input, &self.redactor)
            .map_err(|source| self.json_error(input, source))
    }

    /// The pools named `names` (at most [`PAGE_SIZE`]), in one `POST /work_pools/filter`;
    /// names the server does not know are simply absent from the answer.
    pub(crate) async fn read_pools(&self, names: &[String]) -> Result<Vec<WorkPool>> {
        let body = json!({
            "work_pools": {"name": {"any_": names}},
            "limit": names.len().clamp(1, PAGE_SIZE),
        });
        let path = "/work_pools/filter";
        let reply = self.send(Method::POST, path, Some(&body)).await?;
        if reply.status == StatusCode::NOT_FOUND {
            let error = self.status_error(Method::POST, path, &reply);
            return Err(self.not_found(error).await);
        }
        self.parse(Method::POST, path, reply)
    }

    /// The server's default templates: Prefect Cloud's `collections/work_pool_types`, or a
    /// self-hosted server's `collections/views/aggregate-worker-metadata`.
    pub(crate) async fn defaults(&self) -> Result<Defaults> {
        let path = if self.cloud {
            "/collections/work_pool_types"
        } else {
            "/collections/views/aggregate-worker-metadata"
        };
        let reply = self.send(Method::GET, path, None).await?;
        self.parse(Method::GET, path, reply).map(Defaults)
    }

    /// The URL `defaults()` reads, for messages.
    pub(crate) fn defaults_url(&self) -> String {
        match self.cloud {
            true => format!("{}/collections/work_pool_types", self.base),
            false => format!("{}/collections/views/aggregate-worker-metadata", self.base),
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        reply: Reply,
    ) -> Result<T> {
        if !reply.status.is_success() {
            return Err(self.status_error(method, path, &reply));
        }
        let input = format!("the response to {method} {}{path}", self.base);
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
        let redacted = self.redactor.apply(&message);
        match redacted == message {
            true => Error::Json { input, source },
            false => Error::Shape {
                input,
                message: format!("is not valid json: {redacted}"),
            },
        }
    }

    fn status_error(&self, method: Method, path: &str, reply: &Reply) -> Error {
        Error::Status {
            method: method.to_string(),
            url: format!("{}{path}", self.base),
            status: reply.status.as_u16(),
            detail: detail(&reply.body, &self.redactor),
            tries: reply.tries,
        }
    }
}
