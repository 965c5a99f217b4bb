//! Turning what the transport and the server said into poolsync errors: the cause of a
//! failed request ([`transport_error`]), an error status with the `detail` of its body
//! ([`Transport::status_error`]).

use super::redact::Redactor;
use super::wire::Failure;
use super::{Reply, Transport};
use crate::error::Error;
use reqwest::Method;
use serde_json::Value;

impl Transport {
    /// The error of an answer with an error status, naming the request and the server's
    /// explanation (redacted).
    pub(crate) fn status_error(&self, method: Method, path: &str, reply: &Reply) -> Error {
        Error::Status {
            method: method.to_string(),
            url: format!("{}{path}", self.base),
            status: reply.status.as_u16(),
            detail: detail(&reply.body, &self.redactor),
            tries: reply.tries,
        }
    }
}

/// A request that got no answer, as a poolsync error with a hint at the likely cause.
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

/// The server's explanation of an error: `detail`, or a 422's `exception_detail` messages,
/// with the credentials blanked out (before and after it is taken apart, so neither a
/// truncation nor a JSON escape lets a fragment through) and control characters escaped.
fn detail(body: &[u8], redactor: &Redactor) -> String {
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
}
