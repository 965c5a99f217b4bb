//! What every request carries, on the fake API: `PREFECT_API_AUTH_STRING` as HTTP Basic
//! auth and the headers of `PREFECT_CLIENT_CUSTOM_HEADERS`.

use crate::harness::fake::{CSRF_TOKEN, Csrf, POOL_PATCH};
use crate::harness::fixtures::header_is;
use crate::harness::{Output, Run};
use base64::Engine;

/// Every request carried `name: value`.
#[track_caller]
pub(super) fn every_request_has(ran: &Output, name: &str, value: &str) {
    assert!(!ran.served().requests.is_empty(), "no requests; {}", ran);
    for request in &ran.served().requests {
        assert_eq!(
            header_is(request, name),
            Some(value),
            "{} {}",
            request.method,
            request.url
        );
    }
}

/// `PREFECT_API_AUTH_STRING=user:pass` is sent as HTTP Basic auth on every request,
/// the CSRF token request included (CSRF on: the first PATCH, refused, asks for one).
#[test]
fn auth_string_is_sent_as_basic_auth() {
    let ran = Run::update_pool(5)
        .env("PREFECT_API_AUTH_STRING", "user:p@ss:word")
        .csrf(Csrf::Token("tok"))
        .run();
    ran.code(0).requests(CSRF_TOKEN, 1).requests(POOL_PATCH, 2);
    let basic = base64::engine::general_purpose::STANDARD.encode("user:p@ss:word");
    every_request_has(&ran, "authorization", &format!("Basic {basic}"));
    assert!(
        !ran.stderr.contains("p@ss") && !ran.stdout.contains("p@ss"),
        "{}",
        ran
    );
}

/// `PREFECT_CLIENT_CUSTOM_HEADERS` adds its headers to every request, the CSRF token
/// request included.
#[test]
fn custom_headers_are_sent_on_every_request() {
    let ran = Run::update_pool(5)
        .env("PREFECT_CLIENT_CUSTOM_HEADERS", r#"{"X-Team": "data"}"#)
        .csrf(Csrf::Token("tok"))
        .run();
    ran.code(0).requests(CSRF_TOKEN, 1).requests(POOL_PATCH, 2);
    every_request_has(&ran, "x-team", "data");
}
