//! TLS against a raw HTTPS server whose certificate was made with a plain
//! `openssl req -x509` (so it is marked a CA): poolsync accepts it through
//! `PREFECT_API_SSL_CERT_FILE` as curl and Python do, fails fast with a certificate hint
//! without it, and refuses a CA file that holds no certificate.

use crate::harness::Run;
use crate::harness::raw::http_json;
use crate::harness::tls;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn prefect(line: &str) -> (String, bool) {
    let pool = crate::harness::fixtures::pool_body(
        crate::harness::fixtures::POOL,
        "kubernetes",
        &crate::harness::fixtures::current(),
        "2024-01-01T00:00:00Z",
    );
    match line.split(' ').nth(1).unwrap_or_default() {
        "/api/work_pools/k8s" => http_json("200 OK", &pool),
        "/api/collections/views/aggregate-worker-metadata" => http_json(
            "200 OK",
            &crate::harness::fixtures::defaults("kubernetes", "kubernetes"),
        ),
        _ => http_json("404 Not Found", &json!({"detail": "Not Found"})),
    }
}

/// The CA file holding the server's own (CA-marked) certificate is enough, as for curl.
#[test]
fn a_self_signed_openssl_certificate_in_the_ca_file_is_accepted() {
    let dir = tempfile::tempdir().expect("dir");
    let (cert, key) = tls::self_signed(dir.path());
    let (api, _) = tls::server(&cert, &key, prefect);
    let out = Run::new([
        "update",
        crate::harness::fixtures::POOL,
        "--dry-run",
        "--api-url",
        &api,
    ])
    .env("PREFECT_API_SSL_CERT_FILE", &cert)
    .run();
    out.code(0);
    assert!(out.stdout.contains("k8s: would change"), "{out}");
}

/// Without the CA file the certificate is refused once, not retried, and the error says
/// it is about the certificate, not the server's load or whether it runs.
#[test]
fn a_refused_certificate_fails_fast_with_a_certificate_hint() {
    let dir = tempfile::tempdir().expect("dir");
    let (cert, key) = tls::self_signed(dir.path());
    let (api, accepted) = tls::server(&cert, &key, prefect);
    let out = Run::new([
        "update",
        crate::harness::fixtures::POOL,
        "--dry-run",
        "--api-url",
        &api,
    ])
    .run();
    out.code(1);
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "tried once: {out}");
    assert!(out.elapsed < Duration::from_secs(5), "{out}");
    assert!(out.stderr.contains("certificate"), "{out}");
    assert!(out.stderr.contains("PREFECT_API_SSL_CERT_FILE"), "{out}");
    for wrong in [
        "check that the server is running",
        "pushback",
        "after 6 tries",
    ] {
        assert!(!out.stderr.contains(wrong), "{wrong:?}: {out}");
    }
}

/// A CA file with no certificate in it is refused before any request, naming it.
#[test]
fn a_ca_file_without_a_certificate_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let (cert, key) = tls::self_signed(dir.path());
    let (api, accepted) = tls::server(&cert, &key, prefect);
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate\n").expect("write");
    let out = Run::new([
        "update",
        crate::harness::fixtures::POOL,
        "--dry-run",
        "--api-url",
        &api,
    ])
    .env("PREFECT_API_SSL_CERT_FILE", &garbage)
    .run();
    out.code(2);
    assert!(out.stderr.contains("holds no certificate"), "{out}");
    assert!(out.stderr.contains("garbage.pem"), "{out}");
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "{out}");
}
