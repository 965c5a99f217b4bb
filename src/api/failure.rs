//! Turning what the transport and the server said into poolsync errors: the cause of a
//! failed request, the `detail` of an error body, and the path encoding of pool names.

use super::redact::Redactor;
use super::wire::Failure;
use crate::error::Error;
use reqwest::Method;
use serde_json::Value;

pub(super) fn transport_error(method: &Method, url: &str, failure: &Failure) -> Error {
    // The top-level message repeats the URL; the chain below it says what happened.
    let error = failure.as_error();
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(inner) = source {
        causes.push(inner.to_string());
        source = inner.source();
    }
    let cause = if causes.is_empty() {
        error.to_string()
    } else {
        causes.join(": ")
    };
    let hint = if failure.is_timeout() {
        "the server did not answer in time; raise --timeout or check the server's load"
    } else if failure.is_redirect() && cause.contains("another origin") {
        "poolsync follows no redirect to another server"
    } else if failure.is_redirect() {
        "the server redirects in a loop; check the api url and any proxy in front of the server"
    } else if failure.is_certificate() {
        "the server's tls certificate was not accepted; if your own CA signed it, set \
         PREFECT_API_SSL_CERT_FILE to a PEM file holding that CA (or the certificate itself)"
    } else if failure.is_connect() {
        "check that the server is running and the api url is right"
    } else {
        "check the network and the api url"
    };
    Error::Transport {
        method: method.to_string(),
        url: url.to_string(),
        cause,
        hint,
        tries: 1,
    }
}

/// Percent-encodes one URL path segment (a pool name).
pub fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `/work_pools/{name}`, the path of one pool. The names `.` and `..` are encoded whole
/// (`%2E`, `%2E%2E`); URL parsers still resolve those as dot segments, so such paths go
/// through the [`verbatim`](super::verbatim) client.
pub(super) fn pool_path(name: &str) -> String {
    match name {
        "." | ".." => format!("/work_pools/{}", name.replace('.', "%2E")),
        _ => format!("/work_pools/{}", encode(name)),
    }
}

/// The server's explanation of an error: `detail`, or a 422's `exception_detail` messages,
/// with the credentials blanked out (before and after it is taken apart, so neither a
/// truncation nor a JSON escape lets a fragment through) and control characters escaped.
pub(super) fn detail(body: &[u8], redactor: &Redactor) -> String {
    let text = redactor.apply(&String::from_utf8_lossy(body));
    poolsync_engine::display::escape(&redactor.apply(&explain(text.as_bytes()))).into_owned()
}

fn explain(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return match text.chars().count() {
            0 => "(empty body)".to_string(),
            n if n > 300 => format!("{}...", text.chars().take(300).collect::<String>()),
            _ => text.to_string(),
        };
    };
    let messages = |list: &Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|item| {
                let msg = item.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                match item.get("loc") {
                    Some(loc) => format!("{msg} (at {loc})"),
                    None => msg.to_string(),
                }
            })
            .collect()
    };
    let mut parts = Vec::new();
    if let Some(message) = value.get("exception_message").and_then(Value::as_str) {
        parts.push(message.to_string());
    }
    parts.extend(messages(
        value.get("exception_detail").unwrap_or(&Value::Null),
    ));
    match value.get("detail") {
        Some(Value::String(s)) => parts.push(s.clone()),
        Some(list @ Value::Array(_)) => parts.extend(messages(list)),
        _ => {}
    }
    if parts.is_empty() {
        value.to_string()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn details_from_prefect_bodies() {
        let cases = [
            (
                r#"{"detail": "Work pool not found."}"#,
                "Work pool not found.",
            ),
            (
                r#"{"exception_message": "Invalid request received.", "exception_detail": [{"loc": ["body", "base_job_template"], "msg": "Value error, missing keys", "type": "value_error"}]}"#,
                r#"Invalid request received.; Value error, missing keys (at ["body","base_job_template"])"#,
            ),
            (
                r#"{"exception_message":"Service Unavailable"}"#,
                "Service Unavailable",
            ),
            ("<html>bad gateway</html>", "<html>bad gateway</html>"),
            ("", "(empty body)"),
            ("\u{1b}[2Jgone\nrow", "\\u{1b}[2Jgone\\nrow"),
            (r#"{"detail": "a\u001bb"}"#, "a\\u{1b}b"),
        ];
        for (body, want) in cases {
            assert_eq!(detail(body.as_bytes(), &Redactor::default()), want);
        }
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(encode("my pool/é"), "my%20pool%2F%C3%A9");
        assert_eq!(encode("k8s-pool_1.x"), "k8s-pool_1.x");
        assert_eq!(encode("?a#b%c\\d"), "%3Fa%23b%25c%5Cd");
    }

    #[test]
    fn pool_paths_survive_url_parsing_or_take_the_verbatim_client() {
        for name in ["...", "..x", ". ", "a/..", "%2E%2E", "?x", "#"] {
            let path = pool_path(name);
            let url = reqwest::Url::parse(&format!("http://h/api{path}")).unwrap();
            assert_eq!(url.path(), format!("/api{path}"), "{name:?}");
            assert_eq!(url.query(), None, "{name:?}");
            assert!(!super::super::verbatim::needed(&path), "{name:?}");
        }
        for (name, want) in [(".", "/work_pools/%2E"), ("..", "/work_pools/%2E%2E")] {
            assert_eq!(pool_path(name), want);
            assert!(super::super::verbatim::needed(want), "{name:?}");
            // Why: the URL standard resolves encoded dot segments too.
            let url = reqwest::Url::parse(&format!("http://h/api{want}")).unwrap();
            assert_ne!(url.path(), format!("/api{want}"));
        }
    }
}
