//! Work over hostile input ends, and says why: a listing whose pages never end, a
//! Terraform file whose values grow without bound.

use crate::fake::scenario::Scenario;
use crate::mock;
use serde_json::Value;
use wiremock::ResponseTemplate;

/// A full listing page (200 pools), all up to date.
fn full_page() -> Value {
    let pools: Vec<Value> = (0..200)
        .map(|i| {
            let name = format!("p{i:03}");
            mock::pool_body(
                &name,
                "kubernetes",
                &mock::newer_default(),
                "2024-01-01T00:00:00Z",
            )
        })
        .collect();
    Value::Array(pools)
}

/// A server that returns the same page at every offset: the listing stops at the repeat,
/// after two requests, processes the pools it found once, and ends in an error that says why.
#[tokio::test]
async fn a_listing_that_repeats_its_page_stops_and_says_why() {
    let ran = Scenario::new()
        .route(
            "POST /work_pools/filter",
            ResponseTemplate::new(200).set_body_json(full_page()),
        )
        .args(["update", "--all", "--dry-run"])
        .run()
        .await;
    ran.code(1)
        .requests("POST /work_pools/filter", 2)
        .stdout_has("200 pools: 200 up to date")
        .stderr_has("repeats the page before it");
    assert!(
        !ran.out.stderr.contains("the response to the response"),
        "{}",
        ran.out
    );
}
