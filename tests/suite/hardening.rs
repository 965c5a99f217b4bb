//! Hostile names and servers, with no real server: a pool too deep to parse on a listing
//! page, redirects, huge bodies, bodies echoing credentials, control characters in names,
//! odd settings (broken backups: `hardening_backups.rs`). Each test states what must hold.



use base64::Engine as _;
use crate::mock::{
    Seen, api, csrf_disabled, current, defaults_mock, filter_mock, json_lines, pool_reply,
    poolsync, raw_server, run, strict,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "pnu_HARDEN_SENTINEL_93bd";

fn pool(name: &str) -> Value {
    json!({"id": format!("id-{name}"), "name": name, "type": "kubernetes",
           "base_job_template": current(), "updated": "2024-01-01T00:00:00Z"})
}

/// A listing page holding a pool whose template is nested 200 levels deep: that pool is
/// `failed` by name, the pools beside it on the page still get their outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_too_deep_to_parse_fails_by_name_and_the_page_goes_on() {
    let server = MockServer::start().await;
    let deep = format!(
        r#"{{"name": "deep", "type": "kubernetes", "base_job_template": {{"x": {}1{}}}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let page = format!("[{}, {deep}, {}]", pool("a"), pool("b"));
    Mock::given(method("POST"))
        .and(path("/api/work_pools/filter"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", "--all", "--dry-run", "--output", "json"])
        .args(["--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(1);
    let (lines, summary) = json_lines(&out);
    let outcome = |name: &str| {
        lines
            .iter()
            .find(|l| l["pool"] == name)
            .map(|l| (l["outcome"].clone(), l["error"].clone()))
            .unwrap_or_else(|| panic!("no report of {name}; {out}"))
    };
    assert_eq!(outcome("a").0, "would_change", "{out}");
    assert_eq!(outcome("b").0, "would_change", "{out}");
    let (deep_outcome, error) = outcome("deep");
    assert_eq!(deep_outcome, "failed");
    assert!(error.as_str().unwrap().contains("128 levels"), "{error}");
    assert_eq!(summary["total"], 3, "{summary}");
}

/// A read answered with a redirect to another server is refused, naming the target (with
/// the key the server echoed into it redacted); the other server sees no request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_origin_is_refused_naming_it() {
    let (server, elsewhere) = (MockServer::start().await, MockServer::start().await);
    let target = format!("{}/api/work_pools/k8s", elsewhere.uri());
    Mock::given(method("GET"))
        .and(path("/api/work_pools/k8s"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{target}?echo={KEY}").as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    strict(&server).await;
    strict(&elsewhere).await;

    let mut cmd = poolsync();
    cmd.args(["update", "k8s", "--dry-run", "--api-url", &api(&server)])
        .args(["--api-key", KEY]);
    let out = run(cmd).await;
    out.code(1);
    assert!(out.stderr.contains("refused a redirect"), "{out}");
    assert!(out.stderr.contains(&target), "{out}");
    assert!(
        !out.stderr.contains(KEY) && !out.stdout.contains(KEY),
        "{out}"
    );
}

/// A redirect within the same origin is followed, and `-v` logs where it led.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_same_origin_redirect_is_followed_and_logged() {
    let server = MockServer::start().await;
    let moved = format!("{}/api/moved/k8s", server.uri());
    Mock::given(method("GET"))
        .and(path("/api/work_pools/k8s"))
        .respond_with(ResponseTemplate::new(308).insert_header("Location", "/api/moved/k8s"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/moved/k8s"))
        .respond_with(pool_reply("k8s", "kubernetes", &current()))
        .expect(1)
        .mount(&server)
        .await;
    defaults_mock(&server, 1).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args([
        "update",
        "k8s",
        "--dry-run",
        "-v",
        "--api-url",
        &api(&server),
    ]);
    let out = run(cmd).await;
    out.code(0);
    assert!(out.stdout.contains("k8s: would change"), "{out}");
    assert!(
        out.stderr
            .contains(&format!("redirected (308 Permanent Redirect) to {moved}")),
        "{out}"
    );
}

fn huge_chunked(_: &str, _: usize) -> (String, bool) {
    // 65 MiB in 1 MiB chunks, no content-length: only counting while reading can stop it.
    let chunk = "x".repeat(1 << 20);
    let mut reply = String::from(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    for _ in 0..65 {
        reply += &format!("{:x}\r\n{chunk}\r\n", chunk.len());
    }
    reply += "0\r\n\r\n";
    (reply, true)
}

fn huge_announced(_: &str, _: usize) -> (String, bool) {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 524288000\r\n\r\n";
    (format!("{head}{{\"name\""), true)
}

/// A body over 64 MiB, announced or streamed, ends the request with an error naming the
/// URL, without a retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_body_over_64_mib_is_refused() {
    for answer in [
        huge_announced as fn(&str, usize) -> (String, bool),
        huge_chunked,
    ] {
        let (url, seen): (String, Seen) = raw_server(answer);
        let mut cmd = poolsync();
        cmd.args(["update", "k8s", "--dry-run", "--api-url", &url]);
        let out = run(cmd).await;
        out.code(1);
        let want = format!("the response to GET {url}/work_pools/k8s is larger than 64 MiB");
        assert!(out.stderr.contains(&want), "{out}");
        assert_eq!(seen.lock().unwrap().len(), 1, "retried; {out}");
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A server that echoes the Authorization header (raw, base64, inside JSON and plain text)
/// in a 500 body: the key and the auth string appear in no output, `-v` included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoed_credentials_are_redacted_from_errors() {
    const AUTH: &str = "admin:HARDEN_pw_5521";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/work_pools/json"))
        .respond_with(|r: &Request| {
            let header = mock::header_is(r, "authorization")
                .unwrap_or("none")
                .to_string();
            ResponseTemplate::new(500).set_body_json(json!({
                "detail": format!("denied {header}"),
                "echo": b64(&format!("Authorization: {header}")),
            }))
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/work_pools/text"))
        .respond_with(|r: &Request| {
            let header = mock::header_is(r, "authorization")
                .unwrap_or("none")
                .to_string();
            let text = format!("{}x{header} {}", "-".repeat(250), b64(&header));
            ResponseTemplate::new(500).set_body_string(text)
        })
        .mount(&server)
        .await;
    let forms = [
        KEY.to_string(),
        AUTH.to_string(),
        "HARDEN_pw_5521".to_string(),
        b64(AUTH),
        b64(KEY),
    ];
    for pool in ["json", "text"] {
        for cred in [["--api-key", KEY], ["--auth-env", AUTH]] {
            let mut cmd = poolsync();
            cmd.args(["update", pool, "-v", "--api-url", &api(&server)]);
            match cred {
                ["--api-key", key] => cmd.args(["--api-key", key]),
                [_, auth] => cmd.env("PREFECT_API_AUTH_STRING", auth),
            };
            let out = run(cmd).await;
            out.code(1);
            assert!(out.stderr.contains("returned 500"), "{out}");
            assert!(out.stderr.contains("[redacted]"), "{out}");
            assert!(!out.stderr.contains("plain http"), "loopback warned; {out}");
            for form in &forms {
                let text = format!("{}{}", out.stdout, out.stderr);
                assert!(!text.contains(form.as_str()), "{form} leaked; {out}");
                // Nor any 8-character stretch of its base64.
                assert!(!text.contains(&b64(form)[..8]), "{form} leaked; {out}");
            }
        }
    }
    assert!(!server.received_requests().await.unwrap().is_empty());
}

/// An API key over plain http to a host that is not loopback is warned about, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_plain_http_to_another_host_warns_once() {
    let mut cmd = poolsync();
    cmd.args(["update", "k8s", "--dry-run", "--timeout", "1"])
        .args(["--api-url", "http://10.255.255.1:9/api", "--api-key", KEY])
        .env("PREFECT_CLIENT_MAX_RETRIES", "0");
    let out = run(cmd).await;
    out.code(1);
    let warning = "warning: the api key is sent over plain http to 10.255.255.1";
    assert_eq!(out.stderr.matches(warning).count(), 1, "{out}");
    assert!(!out.stderr.contains(KEY), "{out}");
}

/// Flags and environment variables of one run.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

/// Settings that cannot work are usage errors (exit 2), before any request, without
/// echoing a key given in the URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impossible_settings_are_usage_errors() {
    let server = MockServer::start().await;
    strict(&server).await;
    let query = format!("{}?api_key={KEY}", api(&server));
    let fragment = format!("{}#{KEY}", api(&server));
    let (query, fragment) = (["--api-url", &query], ["--api-url", &fragment]);
    let cases: Vec<Case> = vec![
        (&["--timeout", "1e20"], &[]),
        (&["--timeout", "0"], &[]),
        (&["--timeout", "NaN"], &[]),
        (&[], &[("POOLSYNC_TIMEOUT", "1e300")]),
        (&[], &[("PREFECT_CLIENT_MAX_RETRIES", "99999")]),
        (&query, &[]),
        (&fragment, &[]),
    ];
    for (args, env) in &cases {
        let mut cmd = poolsync();
        cmd.args(["update", "k8s", "--dry-run"]).args(*args);
        if !args.contains(&"--api-url") {
            cmd.args(["--api-url", &api(&server)]);
        }
        for (key, value) in *env {
            cmd.env(key, value);
        }
        let out = run(cmd).await;
        out.code(2);
        assert!(!out.stderr.contains(KEY), "{out}");
        assert!(!out.stderr.contains("panicked"), "{out}");
    }
}

/// A name with an escape sequence and a newline cannot clear the terminal or forge a row:
/// text output shows it escaped, on its own row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_names_are_escaped_in_text_output() {
    let server = MockServer::start().await;
    let evil = "evil\u{1b}[2J\nforged  kubernetes  updated";
    filter_mock(&server, vec![pool(evil), pool("calm")]).await;
    defaults_mock(&server, 1).await;
    csrf_disabled(&server, 1).await;
    strict(&server).await;

    let mut cmd = poolsync();
    cmd.args(["update", "--all", "--dry-run", "--api-url", &api(&server)]);
    let out = run(cmd).await;
    out.code(0);
    assert!(!out.stdout.contains('\u{1b}'), "{out}");
    assert!(out.stdout.contains("evil\\u{1b}[2J\\nforged"), "{out}");
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("forged")),
        "{out}"
    );
    // Header, two rows, the counts.
    assert_eq!(out.stdout.lines().count(), 4, "{out}");
}
