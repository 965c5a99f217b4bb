//! CSRF tokens for self-hosted Prefect servers that turn protection on, fetched lazily: a
//! request goes without one until the server refuses one for want of it (`403` whose detail
//! names the CSRF token). Then a token is fetched once from `GET /csrf-token?client=<uuid>`
//! and sent as `Prefect-Csrf-Token` / `Prefect-Csrf-Client` on every request that is not a
//! `GET`, and the refused request goes again with it. Prefect's own client fetches the token
//! before its first write (`enable_csrf_support`); a server with CSRF off (the default) then
//! answers that fetch 422, a request spent on nothing. Here the first request that is not a
//! `GET` is the probe: the others wait for its answer, and one taken (`2xx`) says the server
//! wants no token (its CSRF middleware guards every `POST`/`PUT`/`PATCH`/`DELETE` alike). A
//! refusal later still fetches a token. A 422 "CSRF protection is disabled." from the token
//! endpoint turns tokens off for the run. [`Csrf`] is the [`Tokens`] provider the transport
//! asks; the token itself is fetched through the transport with [`NoTokens`], so nothing here
//! is reached again while it is.

use crate::api::transport::{NoTokens, Outcome, Tokens, Transport};
use crate::error::{Error, Result};
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::Notify;

#[derive(Debug)]
enum State {
    /// Nothing sent yet: the next request that is not a `GET` goes without a token.
    Untried,
    /// That request is in flight; the others wait for its answer.
    Probing,
    /// A request without a token was taken: none is sent until one is refused.
    Unneeded,
    /// A request was refused for want of a token: fetch one before the next.
    Unknown,
    /// The server said CSRF protection is disabled (or has no token endpoint).
    Off,
    Token {
        token: String,
        client: String,
    },
}

/// The CSRF state of one client.
#[derive(Debug)]
pub(crate) struct Csrf {
    state: Mutex<State>,
    /// Held while a token is fetched, so concurrent requests fetch one, not one each.
    fetching: tokio::sync::Mutex<()>,
    /// Wakes the requests waiting for the probe's answer or a fetch.
    changed: Notify,
}

/// What a request asks of the state.
enum Step {
    Send(Vec<(HeaderName, HeaderValue)>),
    Wait,
    Fetch,
}

impl Csrf {
    /// `enabled` is false for Prefect Cloud, which has no CSRF endpoint.
    pub(crate) fn new(enabled: bool) -> Self {
        let state = if enabled { State::Untried } else { State::Off };
        Csrf {
            state: Mutex::new(state),
            fetching: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock (a panic elsewhere) still holds a valid state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What the next request does, claiming the probe when nothing was sent yet.
    fn step(&self) -> Result<Step> {
        let mut state = self.state();
        Ok(match &*state {
            State::Untried => {
                *state = State::Probing;
                Step::Send(Vec::new())
            }
            State::Probing => Step::Wait,
            State::Unneeded | State::Off => Step::Send(Vec::new()),
            State::Unknown => Step::Fetch,
            State::Token { token, client } => Step::Send(token_headers(token, client)?),
        })
    }

    /// Moves to `next` and wakes the waiting requests.
    fn set(&self, next: State) {
        *self.state() = next;
        self.changed.notify_waiters();
    }
}

impl Tokens for Csrf {
    /// The CSRF headers of a request that is not a `GET`: none until a request is refused
    /// for want of a token, then the token, fetched once.
    async fn headers(&self, transport: &Transport) -> Result<Vec<(HeaderName, HeaderValue)>> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.step()? {
                Step::Send(headers) => return Ok(headers),
                Step::Wait => changed.await,
                Step::Fetch => {
                    let _one = self.fetching.lock().await;
                    if matches!(*self.state(), State::Unknown) {
                        let fetched = fetch(transport).await?;
                        self.set(fetched);
                    }
                }
            }
        }
    }

    /// Whether a reply is the server refusing our CSRF token (expired or missing).
    fn rejected(&self, status: StatusCode, body: &[u8]) -> bool {
        status == StatusCode::FORBIDDEN && String::from_utf8_lossy(body).contains("CSRF token")
    }

    /// What became of a request sent with this provider's headers: the probe's answer
    /// decides whether tokens are needed; a refusal at any time asks for a new token
    /// before the next request (the write limit's slot is freed only after this).
    fn settled(&self, outcome: Outcome) {
        let mut state = self.state();
        let next = match (&*state, outcome) {
            (State::Off, _) => return,
            (_, Outcome::Refused) => State::Unknown,
            (State::Probing, Outcome::Taken) => State::Unneeded,
            // Not sent, not answered, or answered before the server judged it (a `429`,
            // a `5xx`): the next request probes.
            (State::Probing, Outcome::Other) => State::Untried,
            _ => return,
        };
        *state = next;
        drop(state);
        self.changed.notify_waiters();
    }

    /// Forgets the token so the next request fetches a new one.
    async fn reset(&self) {
        let mut state = self.state();
        if !matches!(*state, State::Off | State::Unknown) {
            *state = State::Unknown;
            drop(state);
            self.changed.notify_waiters();
        }
    }
}

/// The two headers of a token issued to `client`.
fn token_headers(token: &str, client: &str) -> Result<Vec<(HeaderName, HeaderValue)>> {
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
