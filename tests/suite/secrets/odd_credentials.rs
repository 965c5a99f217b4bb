//! Credentials given oddly leak nowhere either: a key or auth string that cannot be sent
//! is refused without being echoed, a whole header line pasted as a custom header's name is
//! not repeated, and credentials written into the API URL are used yet printed nowhere.

use super::{AUTH, KEY, b64, sentinels, template, unused_port};
use crate::harness::Run;
use crate::harness::fake::Fake;
use crate::harness::fixtures::{current, files_under};
use serde_json::json;
use tempfile::TempDir;
use wiremock::ResponseTemplate;

/// A key that cannot be a header value (a pasted newline) is refused without echoing it (a
/// usage error, exit 2); an auth string with one is base64-encoded, so it is sent (here to
/// a closed port: exit 1) and not echoed either.
#[test]
fn unusable_key_is_refused_without_echo() {
    for (flag, value, code) in [
        ("PREFECT_API_KEY", format!("{KEY}\n"), 2),
        ("PREFECT_API_AUTH_STRING", format!("{AUTH}\r\nx"), 1),
    ] {
        let home = TempDir::new().unwrap();
        let url = format!("http://127.0.0.1:{}/api", unused_port());
        let out = Run::new(["update", "k8s"])
            .api(&url)
            .home(home.path())
            .env("PREFECT_CLIENT_MAX_RETRIES", "0")
            .env(flag, &value)
            .run();
        out.code(code);
        for s in sentinels() {
            assert!(
                !out.stdout.contains(&s) && !out.stderr.contains(&s),
                "{s}: {out}"
            );
        }
        assert!(!out.stderr.is_empty(), "{out}");
        assert!(files_under(home.path()).is_empty());
    }
}

/// A whole header line pasted as a custom header's name (`{"Authorization: Bearer KEY":
/// ""}`) is not a valid header name, and the error repeats the name verbatim, key and all.
#[test]
fn invalid_custom_header_name_is_not_echoed() {
    let headers = format!("{{\"Authorization: Bearer {KEY}\": \"\"}}");
    let url = format!("http://127.0.0.1:{}/api", unused_port());
    let out = Run::new(["update", "k8s"])
        .api(&url)
        .env("PREFECT_CLIENT_CUSTOM_HEADERS", &headers)
        .env("PREFECT_CLIENT_MAX_RETRIES", "0")
        .run();
    out.code(2);
    assert!(
        out.stderr.contains("PREFECT_CLIENT_CUSTOM_HEADERS"),
        "{out}"
    );
    assert!(!out.stderr.contains(KEY), "{out}");
}

/// Credentials written into the API URL (`http://user:pass@host/api`) are used (reqwest
/// sends them as Basic auth), yet the URL is printed verbatim by `-v`, in every error
/// message, and stored in each backup's `api_url` (only the backup folder name strips them).
#[test]
fn credentials_in_the_api_url_leak_nowhere() {
    let fake = Fake::serving(&["k8s"], &current());
    fake.always(
        "denied",
        ResponseTemplate::new(401).set_body_json(json!({"detail": "Unauthorized"})),
    );
    let api = fake.api().replace("http://", "http://user:SENTINEL_pw_77@");
    let dir = TempDir::new().unwrap();

    let mut outs = Vec::new();
    for (pool, code) in [("k8s", 0), ("denied", 1)] {
        let out = Run::new(["update", pool, "-v"])
            .env("PREFECT_CLIENT_MAX_RETRIES", "0")
            .api(&api)
            .backup_dir(dir.path())
            .run();
        out.code(code);
        outs.push(out);
    }

    let requests = fake.requests();
    let routes: Vec<String> = requests.iter().map(crate::harness::fake::route).collect();
    assert_eq!(
        routes
            .iter()
            .filter(|r| *r == "PATCH /work_pools/k8s")
            .count(),
        1,
        "{routes:?}"
    );
    assert_eq!(
        routes
            .iter()
            .filter(|r| *r == "GET /work_pools/denied")
            .count(),
        1,
        "{routes:?}"
    );
    assert_eq!(template(&fake, "k8s"), crate::harness::fixtures::merged());
    let basic = format!("Basic {}", b64(AUTH));
    assert!(
        requests.iter().all(
            |r| crate::harness::fixtures::header_is(r, "authorization") == Some(basic.as_str())
        )
    );
    let files = files_under(dir.path());
    assert_eq!(files.len(), 1);
    let stored = std::fs::read_to_string(&files[0]).unwrap();
    for s in sentinels() {
        for out in &outs {
            assert!(
                !out.stdout.contains(&s) && !out.stderr.contains(&s),
                "{s}: {out}"
            );
        }
        assert!(
            !stored.contains(&s),
            "{s} in {}:\n{stored}",
            files[0].display()
        );
    }
}
