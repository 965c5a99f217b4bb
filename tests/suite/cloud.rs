//! Prefect Cloud, on the fake API: the default comes from Cloud's `work_pool_types`, the
//! key goes as a Bearer token on every request, no CSRF token is asked for, and a default is
//! matched by its pool type.

use super::auth_headers::every_request_has;
use crate::harness::Run;
use crate::harness::fake::{CLOUD_DEFAULTS, CSRF_TOKEN, DEFAULTS, POOL_PATCH};
use crate::harness::fixtures::{POOL, merged, newer_default};
use serde_json::json;

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
