//! Work over hostile input ends, and says why: a listing whose pages never end, a
//! Terraform file whose values grow without bound.

use crate::harness::Run;
use serde_json::Value;
use wiremock::ResponseTemplate;

/// A full listing page (200 pools), all up to date.
fn full_page() -> Value {
    let pools: Vec<Value> = (0..200)
        .map(|i| {
            let name = format!("p{i:03}");
            crate::harness::fixtures::pool_body(
                &name,
                "kubernetes",
                &crate::harness::fixtures::newer_default(),
                "2024-01-01T00:00:00Z",
            )
        })
        .collect();
    Value::Array(pools)
}

/// A server that returns the same page at every offset: the listing stops at the repeat,
/// after two requests, processes the pools it found once, and ends in an error that says why.
#[test]
fn a_listing_that_repeats_its_page_stops_and_says_why() {
    let ran = Run::fake()
        .route(
            "POST /work_pools/filter",
            ResponseTemplate::new(200).set_body_json(full_page()),
        )
        .args(["update", "--all", "--dry-run"])
        .run();
    ran.code(1)
        .requests("POST /work_pools/filter", 2)
        .stdout_has("200 pools: 200 up to date")
        .stderr_has("repeats the page before it");
    assert!(
        !ran.stderr.contains("the response to the response"),
        "{}",
        ran
    );
}

/// A 41-line Terraform file whose locals double at every line (`l2 = [local.l1, local.l1]`):
/// 2^38 values if evaluated. The trust linters refuse it within a second or two, in little
/// memory (the run is capped at 1 GiB of address space), naming the file and the line.
#[test]
fn terraform_locals_that_double_at_every_line_are_refused_fast() {
    let mut lines = vec!["locals {".to_string(), "  l0 = \"x\"".to_string()];
    lines.extend((1..39).map(|i| format!("  l{i} = [local.l{}, local.l{}]", i - 1, i - 1)));
    lines.push("}".into());
    assert_eq!(lines.len(), 41);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("doubling.tf");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write");
    let file = file.to_string_lossy().to_string();
    let role = |name: &str| format!("arn:aws:iam::123456789012:role/{name}");
    let springboard = [
        "springboard".to_string(),
        "--from-role".into(),
        role("springboard"),
        "--to-role".into(),
        role("flows"),
        "--check-trust".into(),
        file.clone(),
    ];
    let check = ["trust-policy".to_string(), "--check".into(), file.clone()];
    for args in [&check[..], &springboard[..]] {
        let started = std::time::Instant::now();
        let out = Run::new(args)
            .home(dir.path())
            .memory_limit(1_048_576)
            .no_timeout()
            .run();
        let stderr = out.stderr.clone();
        assert_eq!(out.status, Some(1), "{args:?}: {stderr}");
        assert!(
            started.elapsed().as_secs() < 10,
            "{args:?}: {:?}",
            started.elapsed()
        );
        for part in [
            file.as_str(),
            "terraform evaluation stopped at line",
            "[local.l",
        ] {
            assert!(stderr.contains(part), "{args:?} lacks {part:?}: {stderr}");
        }
        assert!(!stderr.contains("memory allocation"), "{stderr}");
    }
}

/// A pool template with an integer beyond 64 bits, written the way Prefect keeps it.
const WIDE_POOL: &str = r#"{"name": "k8s", "type": "kubernetes", "updated": "2024-01-01T00:00:00Z",
  "base_job_template": {"job_configuration": {"image": "{{ image }}"}, "variables": {
    "type": "object", "properties": {"image": {"type": "string", "default": "a:1"},
    "n": {"type": "integer", "default": 18446744073709551616}}}}}"#;

/// An integer beyond 64 bits would come back as a float: the pool is refused by the
/// integer's JSON pointer, and nothing is sent.
#[test]
fn an_integer_beyond_64_bits_is_refused_by_pointer() {
    let wide = ResponseTemplate::new(200).set_body_raw(WIDE_POOL, "application/json");
    let ran = Run::update_pool(0)
        .reads(
            crate::harness::fixtures::POOL,
            vec![crate::harness::fake::Read::Reply(wide)],
        )
        .run();
    ran.code(1)
        .requests("PATCH /work_pools/k8s", 0)
        .stderr_has("/base_job_template/variables/properties/n/default")
        .backups(0);

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("default.json");
    let template = r#"{"job_configuration": {"image": "{{ image }}"}, "variables": {
        "properties": {"image": {"default": "a:2"}, "big": {"default": [-99999999999999999999]}}}}"#;
    std::fs::write(&file, template).expect("write");
    let ran = Run::update_pool(0)
        .args(["--template", &file.to_string_lossy()])
        .run();
    ran.code(1)
        .requests("PATCH /work_pools/k8s", 0)
        .stderr_has("/variables/properties/big/default/0")
        .stderr_has("default.json");
}
