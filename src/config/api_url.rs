//! What the API URL must not be, and what is risky about it: a query or fragment (poolsync
//! appends paths, and a key there would be shown), credentials over plain http to another
//! machine.

use super::Auth;
use crate::error::{Error, Result};

/// Refuses an API URL with a query (`?...`) or fragment (`#...`). The URL is not echoed:
/// a query is where a pasted key would be.
pub(super) fn check_shape(name: &str, url: &str) -> Result<()> {
    if url.contains(['?', '#']) {
        return Err(Error::Usage(format!(
            "invalid {name}: it has a query (?...) or fragment (#...), which poolsync cannot \
             append paths to; remove it, and pass an api key with --api-key or PREFECT_API_KEY"
        )));
    }
    Ok(())
}

/// The warning to show when credentials go over plain `http://` to a host that is not
/// loopback (127.0.0.0/8, ::1, localhost); `None` when there is nothing to warn about.
pub(super) fn plain_http_warning(url: &str, auth: &Auth) -> Option<String> {
    let what = match auth {
        Auth::None => return None,
        Auth::Bearer(_) => "the api key",
        Auth::Basic(_) => "the auth string",
    };
    let parsed = reqwest::Url::parse(url).ok()?;
    if parsed.scheme() != "http" {
        return None;
    }
    // The URL parser has normalised the host: `127.1` reads `127.0.0.1`, IPv6 is bracketed.
    let host = parsed.host_str()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then(|| {
        format!(
            "{what} is sent over plain http to {host}, where anyone on the network can read \
             it; use an https:// api url"
        )
    })
}
