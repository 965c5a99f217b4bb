//! What a PATCH's answer makes of a pool (issue 17), on the fake API: a `303` to a PATCH is
//! an error naming the redirect (it was followed as a GET, and the pool then reported as
//! "the server changed it"), and a `204` whose read-back fails says the write was answered
//! success but could not be confirmed (it was reported plainly `failed`).

use crate::harness::Run;
use crate::harness::fake::{Patch, Read};
use crate::harness::fixtures::{POOL, current};
use serde_json::Value;
use wiremock::ResponseTemplate;

/// A PATCH answered `303 See Other` to the pool's own URL: `failed`, exit 1, the error names
/// the 303 and its target, nothing is called a change by the server, nothing was written.
#[test]
fn a_303_to_a_patch_is_an_error_naming_the_redirect() {
    let see_other =
        ResponseTemplate::new(303).insert_header("Location", format!("/api/work_pools/{POOL}"));
    let ran = Run::update_pool(0)
        .patches(POOL, vec![Patch::Reply(see_other)])
        .run();
    ran.code(1)
        .stdout_ends(&format!("{POOL}: failed\n"))
        .stderr_has("303 See Other")
        .stderr_has("follows no redirect of a write");
    assert!(
        !ran.stderr.contains("does not hold what poolsync sent"),
        "{}",
        ran
    );
    assert_eq!(ran.stored(POOL), current());
}

/// The PATCH is stored and answered 204, but the read-back GET fails (500, no retries):
/// `failed`, exit 1, with a note in text and JSON that the write was answered success but
/// could not be confirmed, and an error that says it may have landed.
#[test]
fn a_204_whose_read_back_fails_says_the_write_was_not_confirmed() {
    let reads = || {
        let broken = Read::Reply(ResponseTemplate::new(500));
        vec![Read::Stored, broken]
    };
    let note = "the write was answered success but could not be confirmed";
    let ran = Run::update_pool(0).reads(POOL, reads()).run();
    ran.code(1)
        .stdout_has(&format!("{POOL}: failed"))
        .stdout_has(note)
        .stderr_has("unconfirmed: it may have landed");

    let ran = Run::update_pool(0)
        .reads(POOL, reads())
        .args(["--output", "json"])
        .run();
    ran.code(1);
    let line: Value = serde_json::from_str(ran.stdout.trim()).expect("one JSON object");
    assert_eq!(line["outcome"], "failed", "{}", ran);
    let shown = line["note"].as_str().unwrap_or_default();
    assert!(shown.contains(note), "{}", ran);
}

/// A `Retry-After` of `1e300`, `1e20` or `2^64` on a PATCH: clamped to the 30 s cap, so the
/// run waits (SIGINT ends it, exit 130) instead of panicking (exit 101) on the conversion.
#[test]
fn a_huge_retry_after_is_waited_at_the_cap_not_a_panic() {
    for value in ["1e300", "1e20", "18446744073709551616"] {
        let throttled = ResponseTemplate::new(429).insert_header("Retry-After", value);
        let ran = Run::update_pool(1)
            .patches(POOL, vec![Patch::Reply(throttled)])
            .signal(std::time::Duration::from_millis(1500), libc::SIGINT)
            .run();
        ran.code(130);
        assert!(!ran.stderr.contains("panicked"), "{value}: {}", ran);
        assert_eq!(ran.stored(POOL), current(), "{value}");
    }
}
