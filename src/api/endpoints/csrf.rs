//! CSRF tokens for self-hosted Prefect servers that turn protection on: fetched once from
//! `GET /csrf-token?client=<uuid>` and sent as `Prefect-Csrf-Token` / `Prefect-Csrf-Client`
//! on every write. A 422 "CSRF protection is disabled." means the server does not want them.
//! [`Csrf`] is the [`Tokens`] provider the transport asks; the token itself is fetched
//! through the transport with [`NoTokens`], so nothing here is reached again while it is.

use crate::api::transport::{NoTokens, Tokens, Transport};
use crate::error::{Error, Result};
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue};
use tokio::sync::Mutex;

#[derive(Debug)]
enum State {
    Unknown,
    Off,
    Token { token: String, client: String },
}

/// The CSRF state of one client.
#[derive(Debug)]
pub(crate) struct Csrf {
    state: Mutex<State>,
}

impl Csrf {
    /// `enabled` is false for Prefect Cloud, which has no CSRF endpoint.
    pub(crate) fn new(enabled: bool) -> Self {
        let state = if enabled { State::Unknown } else { State::Off };
        Csrf {
            state: Mutex::new(state),
        }
    }
}

impl Tokens for Csrf {
    /// The CSRF headers of a write request, fetching a token the first time.
    async fn headers(&self, transport: &Transport) -> Result<Vec<(HeaderName, HeaderValue)>> {
        let mut state = self.state.lock().await;
        if matches!(*state, State::Unknown) {
            *state = fetch(transport).await?;
        }
        let State::Token { token, client } = &*state else {
            return Ok(Vec::new());
        };
        let value = |text: &str| {
            let mut value = HeaderValue::from_str(text).map_err(|_| Error::Shape {
                input: "the csrf token from the server".into(),
                message: "is not a valid http header value; check the server".into(),
            })?;
            value.set_sensitive(true);
            Ok::<_, Error>(value)
        };
        Ok(vec![
            (HeaderName::from_static("prefect-csrf-token"), value(token)?),
            (
                HeaderName::from_static("prefect-csrf-client"),
                value(client)?,
            ),
        ])
    }

    /// Whether a reply is the server refusing our CSRF token (expired or missing).
    fn rejected(&self, status: StatusCode, body: &[u8]) -> bool {
        status == StatusCode::FORBIDDEN && String::from_utf8_lossy(body).contains("CSRF token")
    }

    /// Forgets the token so the next write fetches a new one.
    async fn reset(&self) {
        let mut state = self.state.lock().await;
        if !matches!(*state, State::Off) {
            *state = State::Unknown;
        }
    }
}

/// `GET /csrf-token?client=<uuid>`, through the send loop like every other request.
async fn fetch(transport: &Transport) -> Result<State> {
    let id = uuid::Uuid::new_v4().to_string();
    let path = format!("/csrf-token?client={id}");
    let get = reqwest::Method::GET;
    let reply = transport.send(&NoTokens, get, &path, None, None).await?;
    match reply.status {
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::NOT_FOUND => Ok(State::Off),
        status if status.is_success() => {
            let body: serde_json::Value =
                serde_json::from_slice(&reply.body).map_err(|source| Error::Json {
                    input: format!("the response to GET {}/csrf-token", transport.base()),
                    source,
                })?;
            match body.get("token").and_then(serde_json::Value::as_str) {
                Some(token) => Ok(State::Token {
                    token: token.to_string(),
                    client: id,
                }),
                None => Err(Error::Shape {
                    input: format!("the response to GET {}/csrf-token", transport.base()),
                    message: "has no \"token\" string; is this a Prefect server?".into(),
                }),
            }
        }
        _ => Err(transport.status_error(reqwest::Method::GET, "/csrf-token", &reply)),
    }
}
