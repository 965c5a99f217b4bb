//! `--max-rps` and `POOLSYNC_MAX_RPS` below the floor (issue 17): `1e-20` crashed converting
//! its interval and `1e-10` hung for minutes; both are a usage error naming the flag, exit 2,
//! before any request.

use crate::harness::Run;

#[test]
fn a_max_rps_below_the_floor_is_a_usage_error_naming_the_flag() {
    for rate in ["1e-20", "1e-10"] {
        let flag = Run::stale_pools(&["p"])
            .update_json(&["--all", "--max-rps", rate])
            .run();
        flag.code(2).stderr_has("--max-rps").stderr_has("0.01");
        assert!(
            flag.routes().is_empty(),
            "requests were sent: {:?}",
            flag.routes()
        );

        let env = Run::stale_pools(&["p"])
            .env("POOLSYNC_MAX_RPS", rate)
            .update_json(&["--all"])
            .run();
        env.code(2).stderr_has("--max-rps").stderr_has("0.01");
    }
}
