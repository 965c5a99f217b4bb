//! Interrupts cut every wait (issue 17), on the fake API: SIGINT during a `429` storm
//! (`Retry-After: 5`) or a slow `--max-rps` ends the run within a couple of seconds, exit
//! 130, with the report, and no PATCH reaches the server after the signal. Before the fix
//! the run kept waiting out every pause (88 s in the report), and PATCHes left after it.

use crate::harness::{Output, Run};
use std::time::Duration;

/// `n` stale pools.
fn pools(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i:02}")).collect()
}

/// The run ended within 3 s of SIGINT, exit 130, its summary names the signal, and no
/// PATCH arrived after the signal.
#[track_caller]
fn cut_short(ran: &Output) {
    ran.code(130);
    assert!(
        ran.elapsed < Duration::from_secs(3),
        "{:?} after SIGINT; {}",
        ran.elapsed,
        ran
    );
    let (_, summary) = ran.by_pool();
    assert_eq!(summary["interrupted"], "SIGINT", "{}", ran);
    let signalled = ran.signalled.expect("signalled");
    let log = ran.served().fake.log();
    let late: Vec<String> = log
        .iter()
        .filter(|s| s.route.starts_with("PATCH") && s.at > signalled)
        .map(|s| s.route.clone())
        .collect();
    assert!(late.is_empty(), "PATCHes after SIGINT: {late:?}");
}

/// A `429` storm from the third PATCH on, `Retry-After: 5` for 20 s: SIGINT 1.5 s in.
#[test]
fn sigint_cuts_a_429_storm() {
    let ran = Run::stale_pools(&pools(20))
        .storm(2, Duration::from_secs(20), "5")
        .retries(5)
        .update_json(&["--all"])
        .signal(Duration::from_millis(1500), libc::SIGINT)
        .run();
    cut_short(&ran);
    let throttled = ran
        .served()
        .fake
        .log()
        .iter()
        .any(|s| s.pushback == Some(429));
    assert!(throttled, "the storm began before the signal; {}", ran);
}

/// `--max-rps 0.05` (a request every 20 s): SIGINT 1.5 s in, while the run waits its pace.
#[test]
fn sigint_cuts_the_pace() {
    let ran = Run::stale_pools(&pools(3))
        .update_json(&["--all", "--max-rps", "0.05"])
        .signal(Duration::from_millis(1500), libc::SIGINT)
        .run();
    cut_short(&ran);
}
