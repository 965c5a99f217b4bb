//! Smoke test of the integration-test harness against a real Prefect server.

use crate::harness::live;

use live::*;
use serde_json::json;

#[test]
fn pool_round_trip_and_default_template() {
    let name = unique("harness");
    let template = json!({
        "job_configuration": {
            "image": "{{ image }}",
            "labels": {"team": "poolsync"}
        },
        "variables": {
            "type": "object",
            "properties": {
                "image": {"type": "string", "default": "python:3.11"}
            }
        }
    });

    let created = create_pool(&name, "kubernetes", &template);
    assert_eq!(created["name"], name);
    assert_eq!(created["type"], "kubernetes");

    let pool = read_pool(&name);
    assert_eq!(pool["base_job_template"], template);

    let default = default_template("kubernetes");
    assert!(default["job_configuration"].is_object(), "{default:#}");
    assert!(
        default["variables"]["properties"].is_object(),
        "{default:#}"
    );

    delete_pool(&name);
    assert!(try_read_pool(&name).is_none(), "pool {name} still exists");
    delete_pool(&name); // idempotent
}

#[test]
fn unique_names_differ() {
    let a = unique("x");
    let b = unique("x");
    assert_ne!(a, b);
    assert!(a.starts_with(&format!("x-{}-", std::process::id())));
}
