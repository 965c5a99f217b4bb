//! Which redirects the client follows: those that stay on the API's origin (scheme, host
//! and port), at most ten, each logged under `-v`. A redirect to another origin is refused:
//! the PATCH body, custom headers and CSRF token would go to a server the user never named,
//! while `-v` and the backup name the original one.

use super::redact::Redactor;
use reqwest::StatusCode;
use reqwest::redirect::{Attempt, Policy};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The most redirects followed for one request.
const MAX_HOPS: usize = 10;

/// The URLs of the PATCHes in flight. A `301`, `302` or `303` to one of them is refused:
/// following it would turn the write into a `GET` (as HTTP says to), whose answer would then
/// be taken for the write's.
#[derive(Debug, Default)]
pub(super) struct Writes(Mutex<HashMap<String, usize>>);

/// A PATCH in flight to one URL, until dropped.
pub(super) struct InFlight {
    writes: Arc<Writes>,
    url: String,
}

impl Writes {
    /// Marks a PATCH to `url` in flight.
    pub(super) fn enter(writes: &Arc<Writes>, url: &str) -> InFlight {
        let url = reqwest::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.to_string());
        *lock(&writes.0).entry(url.clone()).or_default() += 1;
        let writes = Arc::clone(writes);
        InFlight { writes, url }
    }

    fn has(&self, url: &reqwest::Url) -> bool {
        lock(&self.0).contains_key(url.as_str())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut map = lock(&self.writes.0);
        if let Some(count) = map.get_mut(&self.url) {
            *count -= 1;
            if *count == 0 {
                map.remove(&self.url);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The client's redirect policy; `verbose` logs every hop followed. URLs shown go through
/// `redactor`: a server chooses the Location, and may echo a credential into it.
pub(super) fn policy(verbose: bool, redactor: Redactor, writes: Arc<Writes>) -> Policy {
    Policy::custom(move |attempt| decide(attempt, verbose, &redactor, &writes))
}

fn decide(
    attempt: Attempt<'_>,
    verbose: bool,
    redactor: &Redactor,
    writes: &Writes,
) -> reqwest::redirect::Action {
    let Some(first) = attempt.previous().first() else {
        return attempt.stop();
    };
    let (from, to) = (shown(first), redactor.apply(&shown(attempt.url())));
    let rewrites = [
        StatusCode::MOVED_PERMANENTLY,
        StatusCode::FOUND,
        StatusCode::SEE_OTHER,
    ];
    if rewrites.contains(&attempt.status()) && writes.has(first) {
        let message = format!(
            "the server answered the PATCH of {from} with {} to {to}; poolsync follows no \
             redirect of a write (it would become a GET, and the write was not taken here): \
             set the api url to the server that takes writes",
            attempt.status()
        );
        return attempt.error(message);
    }
    if attempt.url().origin() != first.origin() {
        let message = format!(
            "refused a redirect ({}) from {from} to {to}, another origin; poolsync only \
             follows redirects within the api url's scheme, host and port: set the api url \
             to the server that answers",
            attempt.status()
        );
        return attempt.error(message);
    }
    if attempt.previous().len() > MAX_HOPS {
        return attempt.error(format!(
            "more than {MAX_HOPS} redirects from {from}; check the api url"
        ));
    }
    if verbose {
        eprintln!("poolsync: redirected ({}) to {to}", attempt.status());
    }
    attempt.follow()
}

/// A URL as messages show it: without user info (the credentials poolsync never puts in a
/// URL, but a server's Location header might).
fn shown(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}
