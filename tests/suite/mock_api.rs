//! `poolsync update` against the fake Prefect API: Prefect Cloud endpoints, authentication,
//! CSRF, custom headers, malformed replies, dry runs and JSON Patch output. Retries and
//! time-outs are in `mock_retry.rs`. Each test counts the requests per route.

use crate::harness::fake::{CLOUD_DEFAULTS, CSRF_TOKEN, Csrf, DEFAULTS, POOL_PATCH, Read};
use crate::harness::fixtures::{POOL, current, detail, header_is, merged, newer_default};
use crate::harness::{Output, Run};
use base64::Engine;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

/// Every request carried `name: value`.
#[track_caller]
fn every_request_has(ran: &Output, name: &str, value: &str) {
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

/// Cloud: the default comes from `collections/work_pool_types`, every request carries the
/// Bearer key, the merged template is PATCHed, `/csrf-token` is never asked, and the key is
/// printed nowhere.
fn cloud_update_with_key(key_from_env: bool) {
    let scenario = Run::update_pool(5).cloud();
    let scenario = match key_from_env {
        true => scenario.env("PREFECT_API_KEY", "pnu_sentinel"),
        false => scenario.args(["--api-key", "pnu_sentinel"]),
    };
    let ran = scenario.run();
    ran.code(0)
        .stdout_ends(&format!("{POOL}: updated\n"))
        .requests(&format!("GET {CLOUD_DEFAULTS}"), 1)
        .requests(&format!("GET {DEFAULTS}"), 0)
        .requests(CSRF_TOKEN, 0)
        .requests(POOL_PATCH, 1);
    every_request_has(&ran, "authorization", "Bearer pnu_sentinel");
    assert!(
        ran.served()
            .requests
            .iter()
            .all(|r| r.url.path().contains("/workspaces/"))
    );
    assert_eq!(ran.stored(POOL), merged());
    assert!(
        !ran.stdout.contains("pnu_sentinel"),
        "key on stdout: {}",
        ran
    );
    assert!(
        !ran.stderr.contains("pnu_sentinel"),
        "key on stderr: {}",
        ran
    );
}

/// Cloud with `--api-key`: Bearer on every request, work_pool_types, no CSRF, no key leak.
#[test]
fn cloud_update_sends_api_key_flag_as_bearer_and_skips_csrf() {
    cloud_update_with_key(false);
}

/// Cloud with `PREFECT_API_KEY`: the same as with `--api-key`.
#[test]
fn cloud_update_sends_api_key_env_as_bearer_and_skips_csrf() {
    cloud_update_with_key(true);
}

/// Cloud: a default is found by its entry's `type`, not by its key; an entry whose key is
/// the pool type but whose `type` differs is not used.
#[test]
fn cloud_default_is_matched_by_type_not_key() {
    let decoy = json!({"job_configuration": {"x": "{{ x }}"}, "variables": {"type": "object",
        "properties": {"x": {"type": "string"}}}});
    let body = json!({
        "prefect-kubernetes": {
            "kubernetes": {"type": "docker", "default_base_job_configuration": decoy},
            "k8s-worker-v2": {"type": "kubernetes", "default_base_job_configuration": newer_default()}
        }
    });
    let ran = Run::update_pool(5).cloud().defaults(body).run();
    ran.code(0)
        .requests(&format!("GET {CLOUD_DEFAULTS}"), 1)
        .requests(POOL_PATCH, 1);
    ran.patched_merged(POOL, 1);
}

/// Self-hosted with CSRF on: one token for the whole run, and every write carries
/// `Prefect-Csrf-Token` and the `Prefect-Csrf-Client` the token was issued to.
#[test]
fn csrf_token_is_fetched_once_and_sent_on_every_write() {
    let ran = Run::fake()
        .pool("a", current())
        .pool("b", current())
        .csrf(Csrf::Token("tok-1"))
        .args(["update", "a", "b"])
        .run();
    ran.code(0)
        .requests(CSRF_TOKEN, 1)
        .requests("PATCH /work_pools/a", 1)
        .requests("PATCH /work_pools/b", 1);
    let issued_to = ran
        .served()
        .requests
        .iter()
        .find(|r| r.url.path() == "/api/csrf-token")
        .and_then(|r| r.url.query_pairs().find(|(k, _)| k == "client"))
        .map(|(_, v)| v.to_string())
        .expect("csrf-token asked with ?client=");
    assert!(uuid_like(&issued_to), "client id {issued_to:?}");
    let tokens = ran.patch_headers("prefect-csrf-token");
    assert_eq!(tokens, [Some("tok-1"); 2]);
    let clients = ran.patch_headers("prefect-csrf-client");
    assert_eq!(clients, [Some(issued_to.as_str()); 2]);
    assert_eq!(ran.stored("a"), merged());
    assert_eq!(ran.stored("b"), merged());
}

/// Self-hosted with CSRF disabled (422 from `/csrf-token`): writes go without CSRF headers.
#[test]
fn csrf_disabled_writes_carry_no_csrf_headers() {
    let ran = Run::update_pool(5).csrf(Csrf::Disabled).run();
    ran.code(0).requests(CSRF_TOKEN, 1).requests(POOL_PATCH, 1);
    for patch in ran
        .served()
        .requests
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
    {
        assert!(!patch.headers.contains_key("prefect-csrf-token"));
        assert!(!patch.headers.contains_key("prefect-csrf-client"));
    }
}

/// An expired CSRF token (403 "Invalid CSRF token...") is replaced: a new token is fetched
/// and the write is sent again with it.
#[test]
fn rejected_csrf_token_is_refreshed_and_the_write_resent() {
    let old = ResponseTemplate::new(200).set_body_json(
        json!({"token": "old", "client": "c", "expiration": "2999-01-01T00:00:00Z"}),
    );
    let ran = Run::update_pool(5)
        .csrf(Csrf::Token("new"))
        .csrf_replies(vec![old])
        .run();
    ran.code(0).requests(CSRF_TOKEN, 2).requests(POOL_PATCH, 2);
    let tokens = ran.patch_headers("prefect-csrf-token");
    assert_eq!(tokens, [Some("old"), Some("new")]);
    assert_eq!(ran.stored(POOL), merged());
}

/// `PREFECT_API_AUTH_STRING=user:pass` is sent as HTTP Basic auth on every request,
/// the CSRF token request included.
#[test]
fn auth_string_is_sent_as_basic_auth() {
    let ran = Run::update_pool(5)
        .env("PREFECT_API_AUTH_STRING", "user:p@ss:word")
        .run();
    ran.code(0).requests(CSRF_TOKEN, 1).requests(POOL_PATCH, 1);
    let basic = base64::engine::general_purpose::STANDARD.encode("user:p@ss:word");
    every_request_has(&ran, "authorization", &format!("Basic {basic}"));
    assert!(
        !ran.stderr.contains("p@ss") && !ran.stdout.contains("p@ss"),
        "{}",
        ran
    );
}

/// `PREFECT_CLIENT_CUSTOM_HEADERS` adds its headers to every request.
#[test]
fn custom_headers_are_sent_on_every_request() {
    let ran = Run::update_pool(5)
        .env("PREFECT_CLIENT_CUSTOM_HEADERS", r#"{"X-Team": "data"}"#)
        .run();
    ran.code(0).requests(CSRF_TOKEN, 1).requests(POOL_PATCH, 1);
    every_request_has(&ran, "x-team", "data");
}

/// A 200 reply whose body is not JSON fails with the URL and "not valid json".
#[test]
fn malformed_pool_body_is_reported_with_its_url() {
    let cut = ResponseTemplate::new(200).set_body_raw("{\"name\": \"x\", ", "application/json");
    let ran = Run::fake()
        .reads("x", vec![Read::Reply(cut)])
        .args(["update", "x"])
        .run();
    ran.code(1)
        .stderr_has(&format!("GET {}/work_pools/x", ran.api))
        .stderr_has("not valid json")
        .requests("GET /work_pools/x", 1)
        .only_routes(&["GET /work_pools/x"]);
}

/// A pool with a reserved name (`Prefect-x`) is read but never written: exit 1, "reserved".
#[test]
fn reserved_pool_is_not_written() {
    let ran = Run::fake()
        .pool("Prefect-x", current())
        .args(["update", "Prefect-x"])
        .run();
    ran.code(1)
        .stderr_has("reserved")
        .requests("PATCH /work_pools/Prefect-x", 0);
    assert_eq!(ran.stored("Prefect-x"), current());
}

/// A dry run writes nothing (no PATCH, no CSRF token) and `--detailed-exitcode` exits 3.
#[test]
fn dry_run_writes_nothing_and_exits_3_with_detailed_exitcode() {
    let ran = Run::update_pool(5)
        .args(["--dry-run", "--detailed-exitcode"])
        .run();
    ran.code(3)
        .stdout_has("would change (dry run, nothing sent)")
        .requests(POOL_PATCH, 0)
        .requests(CSRF_TOKEN, 0);
    assert_eq!(ran.stored(POOL), current());
    ran.backups(0);
}

/// A pool already on the newest default is left alone: no PATCH, exit 0.
#[test]
fn up_to_date_pool_is_not_written() {
    let ran = Run::fake()
        .pool(POOL, merged())
        .args(["update", POOL])
        .run();
    ran.code(0).requests(POOL_PATCH, 0);
    // The fixture is no released default: no base is inferred, and the run says so.
    assert!(
        ran.stdout.starts_with("base: none, merging two-way: "),
        "{}",
        ran
    );
    assert!(
        ran.stdout
            .ends_with(&format!("\n{POOL}: up to date, nothing sent\n")),
        "{}",
        ran
    );
    ran.backups(0);
}

/// A 500 from the defaults endpoint fails the pool with the URL, status and detail; nothing
/// is written and the 500 is not retried.
#[test]
fn defaults_500_is_a_clear_error() {
    let boom = detail(500, "boom");
    let ran = Run::update_pool(5).defaults_reply(boom).run();
    ran.code(1)
        .stderr_has(&format!("{}{DEFAULTS}", ran.api))
        .stderr_has("500")
        .stderr_has("boom")
        .requests(&format!("GET {DEFAULTS}"), 1)
        .requests(POOL_PATCH, 0);
}

/// `--output json-patch` prints RFC 6902 operations that turn the stored template into
/// exactly the template that was PATCHed.
#[test]
fn json_patch_output_turns_current_into_the_patched_template() {
    let ran = Run::update_pool(5).args(["--output", "json-patch"]).run();
    ran.code(0).requests(POOL_PATCH, 1);
    let ops: Value = serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}: {}", ran));
    assert!(ops.as_array().is_some_and(|a| !a.is_empty()), "{}", ran);
    let ops: json_patch::Patch = serde_json::from_value(ops).expect("RFC 6902 operations");
    let sent = ran.patch_bodies(POOL).remove(0);
    let mut doc = current();
    json_patch::patch(&mut doc, &ops).expect("the patch applies to the stored template");
    assert_eq!(doc, sent["base_job_template"]);
    assert_eq!(doc, merged());
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}
