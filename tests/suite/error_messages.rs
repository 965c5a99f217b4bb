//! What poolsync says when something is off, and the exit code it ends with: each message
//! names what happened and points at the fix, without repeating itself or blaming the
//! wrong thing.

use crate::harness::Run;
use crate::harness::fake::Read;
use crate::harness::raw::{http_json, raw_server};
use serde_json::json;
use wiremock::ResponseTemplate;

/// A listing entry that is not a work pool is named once, "in the response to POST ...".
#[test]
fn an_unreadable_listed_pool_names_the_response_once() {
    let page = json!([{"name": "odd", "type": 5, "base_job_template": {}}]);
    let ran = Run::fake()
        .route(
            "POST /work_pools/filter",
            ResponseTemplate::new(200).set_body_json(page),
        )
        .args(["update", "--all", "--dry-run"])
        .run();
    ran.code(1)
        .stdout_has("work pool \"odd\" in the response to POST");
    let all = format!("{}{}", ran.stdout, ran.stderr);
    assert!(!all.contains("the response to the response"), "{}", ran);
}

/// A number setting that is not a number is a usage error (exit 2), like one out of range,
/// and nothing is sent.
#[test]
fn a_number_setting_that_is_not_a_number_exits_2() {
    for (name, value) in [
        ("PREFECT_CLIENT_MAX_RETRIES", "many"),
        ("POOLSYNC_TIMEOUT", "soon"),
        ("PREFECT_CLIENT_MAX_RETRIES", "-1"),
    ] {
        let ran = Run::update_pool(0)
            .env(name, value)
            .args(["--dry-run"])
            .run();
        ran.code(2)
            .only_routes(&[])
            .stderr_has(&format!("invalid {name}"));
    }
}

/// A redirect loop within the api's origin is reported as a loop, without the hint about
/// redirects to another server.
#[test]
fn a_same_origin_redirect_loop_is_called_a_loop() {
    let to_itself = ResponseTemplate::new(308).insert_header("Location", "/api/loop/k8s");
    let ran = Run::fake()
        .reads("k8s", vec![Read::Reply(to_itself.clone())])
        .route("GET /loop/k8s", to_itself)
        .args(["update", "k8s", "--dry-run"])
        .run();
    ran.code(1).stderr_has("redirects in a loop");
    assert!(!ran.stderr.contains("another server"), "{}", ran);
}

fn prefect_ui(line: &str, _: usize) -> (String, bool) {
    match line.starts_with("GET /api/health ") {
        true => http_json("200 OK", &json!(true)),
        false => http_json("404 Not Found", &json!({"detail": "Not Found"})),
    }
}

/// An api url without `/api` reaches a server that answers 404 to every api path: the error
/// points at the url and its fix, not at the pool.
#[test]
fn an_api_url_without_api_points_at_the_url() {
    let (api, _seen) = raw_server(prefect_ui);
    let root = api.trim_end_matches("/api").to_string();
    for args in [vec![crate::harness::fixtures::POOL], vec!["--all"]] {
        let out = Run::new(["update", "--dry-run"])
            .args(&args)
            .args(["--api-url", &root])
            .env("PREFECT_CLIENT_MAX_RETRIES", "0")
            .run();
        out.code(1);
        assert!(
            out.stderr
                .contains(&format!("set PREFECT_API_URL (or --api-url) to {root}/api")),
            "{out}"
        );
        assert!(!out.stderr.contains("was not found"), "{out}");
    }
}

/// A server that reflects request headers gets the custom headers' values (a Cloudflare
/// Access secret, say) redacted like keys, in the error and under `-v`.
#[test]
fn custom_header_values_echoed_by_the_server_are_redacted() {
    const SECRET: &str = "cf_SENTINEL_custom_4411";
    let headers = json!({"CF-Access-Client-Secret": SECRET}).to_string();
    let reflected = ResponseTemplate::new(400).set_body_json(json!({
        "detail": format!("bad request; headers: cf-access-client-secret: {SECRET}")
    }));
    let ran = Run::update_pool(0)
        .reads(crate::harness::fixtures::POOL, vec![Read::Reply(reflected)])
        .env("PREFECT_CLIENT_CUSTOM_HEADERS", &headers)
        .args(["--dry-run", "-v"])
        .run();
    ran.code(1).stderr_has("[redacted]");
    let all = format!("{}{}", ran.stdout, ran.stderr);
    assert!(!all.contains(SECRET), "{}", ran);
}
