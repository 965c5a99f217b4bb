//! Hostile names and servers, with no real server: a pool too deep to parse on a listing
//! page, redirects, huge bodies, bodies echoing credentials, control characters in names,
//! odd settings (broken backups: `backups.rs`). Each test states what must hold.
//! The fake API answers what it does not serve with 418, and each test checks the requests
//! it saw, so an unexpected request fails the test.

use crate::harness::fake::{DEFAULTS, Fake, Read};
use crate::harness::fixtures::{current, pool_reply};
use crate::harness::raw::{Seen, raw_server};
use crate::harness::{Output, Run};
use base64::Engine as _;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

const KEY: &str = "pnu_HARDEN_SENTINEL_93bd";
const AUTH: &str = "admin:HARDEN_pw_5521";
const LIST: &str = "POST /work_pools/filter";
const CSRF: &str = "GET /csrf-token";

/// The requests of `update --all --dry-run` over one listing page, each once, and no other:
/// the page and the defaults (no CSRF token: the listing was taken without one).
fn dry_run_of_one_page(ran: &Output) -> &Output {
    let defaults = format!("GET {DEFAULTS}");
    ran.requests(LIST, 1)
        .requests(&defaults, 1)
        .requests(CSRF, 0)
        .only_routes(&[LIST, &defaults])
}

/// `1` inside `depth` arrays.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!(1), |inner, _| json!([inner]))
}

/// A listing page holding a pool whose template is nested 200 levels deep: that pool is
/// `failed` by name, the pools beside it on the page (`a` before, `z` after: the fake pages
/// by name) still get their outcome. The listing is one page: nothing shifted, no second pass.
#[test]
fn a_pool_too_deep_to_parse_fails_by_name_and_the_page_goes_on() {
    let ran = Run::fake()
        .pool("a", current())
        .pool("deep", json!({"x": nested(200)}))
        .pool("z", current())
        .args(["update", "--all", "--dry-run", "--output", "json"])
        .run();
    dry_run_of_one_page(ran.code(1)).backups(0);
    let offsets: Vec<Value> = ran
        .served()
        .requests
        .iter()
        .filter(|r| crate::harness::fake::route(r) == LIST)
        .map(|r| r.body_json::<Value>().expect("json filter")["offset"].clone())
        .collect();
    assert_eq!(offsets, [json!(0)], "{}", ran);
    let out = &ran;
    let (lines, summary) = out.batch();
    let outcome = |name: &str| {
        lines
            .iter()
            .find(|l| l["pool"] == name)
            .map(|l| (l["outcome"].clone(), l["error"].clone()))
            .unwrap_or_else(|| panic!("no report of {name}; {out}"))
    };
    assert_eq!(outcome("a").0, "would_change", "{out}");
    assert_eq!(outcome("z").0, "would_change", "{out}");
    let (deep_outcome, error) = outcome("deep");
    assert_eq!(deep_outcome, "failed", "{out}");
    assert!(error.as_str().unwrap().contains("128 levels"), "{error}");
    assert_eq!(summary["total"], 3, "{summary}");
    assert_eq!(lines.len(), 3, "a pool reported twice; {out}");
}

/// A read answered with a redirect to another server is refused, naming the target (with
/// the key the server echoed into it redacted); the other server sees no request, and the
/// refused read is neither retried nor followed by other requests.
#[test]
fn a_redirect_to_another_origin_is_refused_naming_it() {
    let elsewhere = Fake::start();
    let target = format!("{}/work_pools/k8s", elsewhere.api());
    let redirect =
        ResponseTemplate::new(307).insert_header("Location", format!("{target}?echo={KEY}"));
    let ran = Run::fake()
        .pool("k8s", current())
        .reads("k8s", vec![Read::Reply(redirect)])
        .args(["update", "k8s", "--dry-run", "--api-key", KEY])
        .run();
    ran.code(1)
        .requests("GET /work_pools/k8s", 1)
        .only_routes(&["GET /work_pools/k8s"])
        .stderr_has("refused a redirect")
        .stderr_has(&target);
    assert!(
        !ran.stderr.contains(KEY) && !ran.stdout.contains(KEY),
        "{}",
        ran
    );
    assert_eq!(elsewhere.routes(), Vec::<String>::new());
}

/// A redirect within the same origin is followed, and `-v` logs where it led.
#[test]
fn a_same_origin_redirect_is_followed_and_logged() {
    let redirect = ResponseTemplate::new(308).insert_header("Location", "/api/moved/k8s");
    let ran = Run::fake()
        .reads("k8s", vec![Read::Reply(redirect)])
        .route(
            "GET /moved/k8s",
            pool_reply("k8s", "kubernetes", &current()),
        )
        .args(["update", "k8s", "--dry-run", "-v"])
        .run();
    let moved = format!("{}/moved/k8s", ran.api);
    ran.code(0)
        .requests("GET /work_pools/k8s", 1)
        .requests("GET /moved/k8s", 1)
        .requests(&format!("GET {DEFAULTS}"), 1)
        .only_routes(&[
            "GET /work_pools/k8s",
            "GET /moved/k8s",
            &format!("GET {DEFAULTS}"),
        ])
        .stdout_has("k8s: would change")
        .stderr_has(&format!("redirected (308 Permanent Redirect) to {moved}"));
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

/// A body over 64 MiB, announced (500 MB) or streamed, ends the request with an error
/// naming the URL, without a retry (retries left at their default).
#[test]
fn a_response_body_over_64_mib_is_refused() {
    for answer in [
        huge_announced as fn(&str, usize) -> (String, bool),
        huge_chunked,
    ] {
        let (url, seen): (String, Seen) = raw_server(answer);
        let out = Run::new(["update", "k8s", "--dry-run"]).api(&url).run();
        out.code(1);
        let want = format!("the response to GET {url}/work_pools/k8s is larger than 64 MiB");
        assert!(out.stderr.contains(&want), "{out}");
        let lines: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.line.clone())
            .collect();
        assert_eq!(
            lines,
            ["GET /api/work_pools/k8s HTTP/1.1"],
            "retried; {out}"
        );
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The header inside JSON, raw and in base64.
fn echo_json(header: &str) -> ResponseTemplate {
    ResponseTemplate::new(500).set_body_json(json!({
        "detail": format!("denied {header}"),
        "echo": b64(&format!("Authorization: {header}")),
    }))
}

/// The header in plain text past the first 250 characters, raw and in base64.
fn echo_text(header: &str) -> ResponseTemplate {
    let text = format!("{}x{header} {}", "-".repeat(250), b64(header));
    ResponseTemplate::new(500).set_body_string(text)
}

/// A server that echoes the Authorization header (raw, base64, inside JSON and plain text)
/// in a 500 body: the key and the auth string appear in no output, `-v` included. Not
/// vacuous: the server did get the credentials.
#[test]
fn echoed_credentials_are_redacted_from_errors() {
    let forms = [
        KEY.to_string(),
        AUTH.to_string(),
        "HARDEN_pw_5521".to_string(),
        b64(AUTH),
        b64(KEY),
    ];
    let bearer = format!("Bearer {KEY}");
    let basic = format!("Basic {}", b64(AUTH));
    for (pool, echo) in [
        ("json", echo_json as crate::harness::fake::Echo),
        ("text", echo_text),
    ] {
        for by_flag in [true, false] {
            let scenario = Run::fake().echo(pool, echo).args(["update", pool, "-v"]);
            let (scenario, header) = match by_flag {
                true => (scenario.args(["--api-key", KEY]), &bearer),
                false => (scenario.env("PREFECT_API_AUTH_STRING", AUTH), &basic),
            };
            let ran = scenario.run();
            let route = format!("GET /work_pools/{pool}");
            ran.code(1)
                .requests(&route, 1)
                .only_routes(&[&route])
                .stderr_has("returned 500")
                .stderr_has("[redacted]");
            let out = &ran;
            assert!(!out.stderr.contains("plain http"), "loopback warned; {out}");
            for request in &ran.served().requests {
                let sent = crate::harness::fixtures::header_is(request, "authorization");
                assert_eq!(sent, Some(header.as_str()), "{}", request.url);
            }
            let text = format!("{}{}", out.stdout, out.stderr);
            for form in &forms {
                assert!(!text.contains(form.as_str()), "{form} leaked; {out}");
                // Nor any 8-character stretch of its base64.
                assert!(!text.contains(&b64(form)[..8]), "{form} leaked; {out}");
            }
        }
    }
}

/// An API key over plain http to a host that is not loopback is warned about, once.
#[test]
fn a_key_over_plain_http_to_another_host_warns_once() {
    let out = Run::new(["update", "k8s", "--dry-run", "--timeout", "1"])
        .args(["--api-url", "http://10.255.255.1:9/api", "--api-key", KEY])
        .env("PREFECT_CLIENT_MAX_RETRIES", "0")
        .run();
    out.code(1);
    let warning = "warning: the api key is sent over plain http to 10.255.255.1";
    assert_eq!(out.stderr.matches(warning).count(), 1, "{out}");
    assert!(!out.stderr.contains(KEY), "{out}");
}

/// Settings that cannot work are usage errors (exit 2), before any request, without
/// echoing a key given in the URL.
#[test]
fn impossible_settings_are_usage_errors() {
    let (query, fragment) = (format!("?api_key={KEY}"), format!("#{KEY}"));
    let update = || {
        Run::fake()
            .pool("k8s", current())
            .args(["update", "k8s", "--dry-run"])
    };
    let cases = [
        update().args(["--timeout", "1e20"]),
        update().args(["--timeout", "0"]),
        update().args(["--timeout", "NaN"]),
        update().env("POOLSYNC_TIMEOUT", "1e300"),
        update().env("PREFECT_CLIENT_MAX_RETRIES", "99999"),
        update().api_suffix(&query),
        update().api_suffix(&fragment),
    ];
    for scenario in cases {
        let ran = scenario.run();
        ran.code(2).only_routes(&[]).stderr_has("error: invalid ");
        assert!(!ran.stderr.contains(KEY), "{}", ran);
        assert!(!ran.stderr.contains("panicked"), "{}", ran);
    }
}

/// A name with an escape sequence and a newline cannot clear the terminal or forge a row:
/// text output shows it escaped, on its own row.
#[test]
fn control_characters_in_names_are_escaped_in_text_output() {
    let evil = "evil\u{1b}[2J\nforged  kubernetes  updated";
    let ran = Run::fake()
        .pool(evil, current())
        .pool("calm", current())
        .args(["update", "--all", "--dry-run"])
        .run();
    dry_run_of_one_page(ran.code(0))
        .stdout_has("evil\\u{1b}[2J\\nforged")
        .backups(0);
    let out = &ran;
    assert!(!out.stdout.contains('\u{1b}'), "{out}");
    assert!(
        !out.stdout.lines().any(|l| l.starts_with("forged")),
        "{out}"
    );
    // Header, two rows, the counts.
    assert_eq!(out.stdout.lines().count(), 4, "{out}");
}
