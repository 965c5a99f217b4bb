//! Interrupts cut every wait (issue 17), on the fake API: SIGINT during a `429` storm
//! (`Retry-After: 5`) or a slow `--max-rps` ends the run within a couple of seconds, exit
//! 130, with the report, and no PATCH reaches the server after the signal. Before the fix
//! the run kept waiting out every pause (88 s in the report), and PATCHes left after it.

use crate::fake::scenario::{Ran, Scenario};
use std::time::Duration;

/// `n` stale pools.
fn pools(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i:02}")).collect()
}

/// The run ended within 3 s of SIGINT, exit 130, its summary names the signal, and no
/// PATCH arrived after the signal.
#[track_caller]
fn cut_short(ran: &Ran) {
    ran.code(130);
    assert!(
        ran.out.elapsed < Duration::from_secs(3),
        "{:?} after SIGINT; {}",
        ran.out.elapsed,
        ran.out
    );
    let (_, summary) = ran.by_pool();
    assert_eq!(summary["interrupted"], "SIGINT", "{}", ran.out);
    let signalled = ran.out.signalled.expect("signalled");
    let log = ran.fake.log();
    let late: Vec<String> = log
        .iter()
        .filter(|s| s.route.starts_with("PATCH") && s.at > signalled)
        .map(|s| s.route.clone())
        .collect();
    assert!(late.is_empty(), "PATCHes after SIGINT: {late:?}");
}

/// A `429` storm from the third PATCH on, `Retry-After: 5` for 20 s: SIGINT 1.5 s in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_cuts_a_429_storm() {
    let ran = Scenario::stale_pools(&pools(20))
        .storm(2, Duration::from_secs(20), "5")
        .retries(5)
        .update_json(&["--all"])
        .signal(Duration::from_millis(1500), libc::SIGINT)
        .run()
        .await;
    cut_short(&ran);
    let throttled = ran.fake.log().iter().any(|s| s.pushback == Some(429));
    assert!(throttled, "the storm began before the signal; {}", ran.out);
}

/// `--max-rps 0.05` (a request every 20 s): SIGINT 1.5 s in, while the run waits its pace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_cuts_the_pace() {
    let ran = Scenario::stale_pools(&pools(3))
        .update_json(&["--all", "--max-rps", "0.05"])
        .signal(Duration::from_millis(1500), libc::SIGINT)
        .run()
        .await;
    cut_short(&ran);
}
