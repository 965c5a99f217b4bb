//! CSRF protection, fetched lazily: on the fake API (which guards only PATCH), the first write
//! goes without a token and, refused, fetches one token for the run, sent on every write
//! after; no token request at all where the server has CSRF off; a rejected token refreshed
//! and the write sent again; on a real Prefect server with CSRF protection on
//! (`scripts/prefect-server start --csrf`, a second server started once for these tests),
//! poolsync fetches a token once refused and its write lands, where the same write without
//! the token is refused.

use crate::harness::Run;
use crate::harness::fake::{CSRF_TOKEN, Csrf, POOL_PATCH};
use crate::harness::fixtures::{POOL, current, merged};
use crate::harness::live::{csrf_server, fail, send, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

/// Self-hosted with CSRF on: the first PATCH goes without a token and is refused (403);
/// then one token for the whole run, and every write after carries `Prefect-Csrf-Token` and
/// the `Prefect-Csrf-Client` the token was issued to. The refusal settles before the write
/// slot is freed, so the other pool's first PATCH already carries the token: 3 PATCHes.
#[test]
fn csrf_token_is_fetched_once_and_sent_on_every_write() {
    let ran = Run::fake()
        .pool("a", current())
        .pool("b", current())
        .csrf(Csrf::Token("tok-1"))
        .args(["update", "a", "b"])
        .run();
    ran.code(0).requests(CSRF_TOKEN, 1);
    let patches = |pool: &str| {
        let route = format!("/api/work_pools/{pool}");
        let served = ran.served();
        let of = served.requests.iter();
        of.filter(|r| r.method.as_str() == "PATCH" && r.url.path() == route)
            .count()
    };
    let mut counts = [patches("a"), patches("b")];
    counts.sort();
    assert_eq!(
        counts,
        [1, 2],
        "one pool's first PATCH went without a token"
    );
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
    assert_eq!(tokens, [None, Some("tok-1"), Some("tok-1")]);
    let clients = ran.patch_headers("prefect-csrf-client");
    let issued = Some(issued_to.as_str());
    assert_eq!(clients, [None, issued, issued]);
    assert_eq!(ran.stored("a"), merged());
    assert_eq!(ran.stored("b"), merged());
}

/// Self-hosted with CSRF disabled (the default; 422 from `/csrf-token`): the write is taken
/// without CSRF headers, so no token is ever asked for (a request saved).
#[test]
fn csrf_disabled_writes_carry_no_csrf_headers() {
    let ran = Run::update_pool(5).csrf(Csrf::Disabled).run();
    ran.code(0).requests(CSRF_TOKEN, 0).requests(POOL_PATCH, 1);
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
/// and the write is sent again with it. The first PATCH goes without a token (refused, the
/// first fetch), the second with the expired one (refused, the second fetch), the third with
/// the new one.
#[test]
fn rejected_csrf_token_is_refreshed_and_the_write_resent() {
    let old = ResponseTemplate::new(200).set_body_json(
        json!({"token": "old", "client": "c", "expiration": "2999-01-01T00:00:00Z"}),
    );
    let ran = Run::update_pool(5)
        .csrf(Csrf::Token("new"))
        .csrf_replies(vec![old])
        .run();
    ran.code(0).requests(CSRF_TOKEN, 2).requests(POOL_PATCH, 3);
    let tokens = ran.patch_headers("prefect-csrf-token");
    assert_eq!(tokens, [None, Some("old"), Some("new")]);
    assert_eq!(ran.stored(POOL), merged());
}

/// The `Prefect-Csrf-*` headers of a token issued to a new client.
pub(crate) fn csrf_headers(api: &str) -> [(&'static str, String); 2] {
    let client = uuid::Uuid::new_v4().to_string();
    let url = format!("{api}/csrf-token?client={client}");
    let (resp, _) = send("get a csrf token", |c| c.get(&url));
    if resp.status() != StatusCode::OK {
        fail("get a csrf token", resp);
    }
    let token: Value = resp.json().expect("token JSON");
    let token = token["token"].as_str().unwrap_or_default().to_string();
    [
        ("Prefect-Csrf-Token", token),
        ("Prefect-Csrf-Client", client),
    ]
}

/// The server's process default, with `working_dir` dropped (a stale template) and the
/// command customised.
fn stale_process_template(api: &str) -> (Value, Value) {
    let url = format!("{api}/collections/views/aggregate-worker-metadata");
    let (resp, _) = send("read the defaults", |c| c.get(&url));
    let all: Value = resp.json().expect("defaults JSON");
    let default = all
        .as_object()
        .into_iter()
        .flat_map(|packages| packages.values())
        .filter_map(Value::as_object)
        .flat_map(|workers| workers.values())
        .find(|w| w["type"] == "process")
        .map(|w| w["default_base_job_configuration"].clone())
        .unwrap_or_else(|| panic!("no process default: {all}"));
    let mut stale = default.clone();
    if let Some(vars) = stale["variables"]["properties"].as_object_mut() {
        vars.shift_remove("working_dir");
    }
    if let Some(config) = stale["job_configuration"].as_object_mut() {
        config.shift_remove("working_dir");
    }
    stale["variables"]["properties"]["command"]["default"] = json!("python -m corp.flow");
    let mut want = default;
    want["variables"]["properties"]["command"]["default"] = json!("python -m corp.flow");
    (stale, want)
}

#[test]
fn update_on_a_csrf_protected_server_fetches_a_token_and_writes() {
    let api = csrf_server().url.as_str();
    let name = unique("csrf");
    let (stale, want) = stale_process_template(api);
    create_on(api, &name, &stale);

    // Not vacuous: the server refuses a write without the token.
    let pool_url = format!("{api}/work_pools/{name}");
    let patch = json!({"base_job_template": want});
    let (resp, _) = send("PATCH without a token", |c| c.patch(&pool_url).json(&patch));
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "CSRF protection is off"
    );

    let dir = tempfile::tempdir().expect("backup dir");
    let out = Run::new(["update", &name, "-v", "--base", "none"])
        .backup_dir(dir.path())
        .live_csrf()
        .run();
    out.code(0);
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert!(
        stdout.ends_with(&format!("{name}: updated\n")),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("GET {api}/csrf-token")),
        "{stderr}"
    );

    let (resp, _) = send("read the pool", |c| c.get(&pool_url));
    let stored: Value = resp.json().expect("pool JSON");
    assert_eq!(stored["base_job_template"], want);
}

/// `POST /work_pools/` of a process pool on the CSRF-protected server at `api`.
pub(crate) fn create_on(api: &str, name: &str, template: &Value) {
    let headers = csrf_headers(api);
    let body = json!({"name": name, "type": "process", "base_job_template": template});
    let url = format!("{api}/work_pools/");
    let (resp, _) = send("create a pool", |c| {
        headers
            .iter()
            .fold(c.post(&url).json(&body), |r, (k, v)| r.header(*k, v))
    });
    if resp.status() != StatusCode::CREATED {
        fail("create a pool", resp);
    }
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}
