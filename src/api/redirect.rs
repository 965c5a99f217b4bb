//! Which redirects the client follows: those that stay on the API's origin (scheme, host
//! and port), at most ten, each logged under `-v`. A redirect to another origin is refused:
//! the PATCH body, custom headers and CSRF token would go to a server the user never named,
//! while `-v` and the backup name the original one.

use super::redact::Redactor;
use reqwest::redirect::{Attempt, Policy};

/// The most redirects followed for one request.
const MAX_HOPS: usize = 10;

/// The client's redirect policy; `verbose` logs every hop followed. URLs shown go through
/// `redactor`: a server chooses the Location, and may echo a credential into it.
pub(super) fn policy(verbose: bool, redactor: Redactor) -> Policy {
    Policy::custom(move |attempt| decide(attempt, verbose, &redactor))
}

fn decide(attempt: Attempt<'_>, verbose: bool, redactor: &Redactor) -> reqwest::redirect::Action {
    let Some(first) = attempt.previous().first() else {
        return attempt.stop();
    };
    let (from, to) = (shown(first), redactor.apply(&shown(attempt.url())));
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
