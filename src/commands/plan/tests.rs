use super::*;
use clap::Parser;
use pretty_assertions::assert_eq;

fn plan(args: &[&str]) -> Result<Plan> {
    let cli = cli::Cli::try_parse_from(["poolsync", "update"].iter().chain(args))
        .map_err(|e| Error::Usage(e.to_string()))?;
    match cli.command {
        cli::Command::Update(update) => Plan::new(&update, false, true),
        _ => unreachable!("update"),
    }
}

fn usage(args: &[&str]) -> String {
    match plan(args) {
        Err(Error::Usage(message)) => message,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn one_name_is_one_pool_and_several_are_many() {
    let one = plan(&["a"]).expect("plan");
    assert_eq!(one.mode, Mode::One);
    assert!(!one.progress, "no bar for one pool");
    let many = plan(&["a", "b", "a"]).expect("plan");
    assert_eq!(many.mode, Mode::Many);
    assert!(many.progress);
    match many.selection {
        Selection::Names(names) => assert_eq!(names, ["a", "b"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn all_compiles_its_filters_once() {
    let plan = plan(&[
        "--all",
        "--type",
        "ecs",
        "--name",
        "prod-*",
        "--exclude",
        "*-old",
    ])
    .expect("plan");
    assert_eq!(plan.mode, Mode::Many);
    let Selection::All { types, filter } = plan.selection else {
        panic!("all");
    };
    assert_eq!(types, ["ecs"]);
    assert!(filter.matches("prod-a"));
    assert!(!filter.matches("prod-a-old"));
    assert!(!filter.matches("dev-a"));
}

#[test]
fn budget_and_concurrency_come_from_the_flags() {
    let plan = plan(&["--all", "--concurrency", "3", "--max-rps", "10.5"]).expect("plan");
    assert_eq!(plan.concurrency, 3);
    assert_eq!(plan.max_rps, Some(10.5));
    assert_eq!(plan.chunk, CHUNK);
    let plan = super::tests::plan(&["--all"]).expect("plan");
    assert_eq!(plan.max_rps, None);
}

#[test]
fn bad_combinations_are_usage_errors() {
    assert!(usage(&["a", "b", "--output", "json-patch"]).contains("--output json"));
    assert!(usage(&["a", "--detailed-exitcode"]).contains("--dry-run"));
    assert!(usage(&["--all", "--template", "t.json"]).contains("exactly one --type"));
    assert!(usage(&["--all", "--name", "a[b"]).contains("--name"));
    assert!(plan(&["--all", "--max-rps", "0"]).is_err());
    assert!(plan(&["--all", "--max-rps", "inf"]).is_err());
}

/// Issue 17: 1e-20 crashed converting its interval, 1e-10 hung; both are refused by name.
#[test]
fn a_max_rps_below_the_floor_is_a_usage_error_naming_the_flag() {
    for rate in ["1e-20", "1e-10", "0.009"] {
        let message = usage(&["--all", "--max-rps", rate]);
        assert!(message.contains("--max-rps"), "{message}");
        assert!(message.contains("0.01"), "{message}");
    }
    assert_eq!(
        plan(&["--all", "--max-rps", "0.01"]).expect("plan").max_rps,
        Some(0.01)
    );
}

#[test]
fn the_exit_rule_counts_failures_first() {
    let plain = ExitRule { detailed: false };
    let detailed = ExitRule { detailed: true };
    assert_eq!(plain.code(0, 5), exit::SUCCESS);
    assert_eq!(detailed.code(0, 5), exit::CHANGES_PENDING);
    assert_eq!(detailed.code(0, 0), exit::SUCCESS);
    assert_eq!(detailed.code(1, 5), exit::ERROR);
    assert_eq!(plain.code(2, 0), exit::ERROR);
}

#[test]
fn dry_run_detailed_sets_the_rule() {
    assert!(
        plan(&["a", "--dry-run", "--detailed-exitcode"])
            .expect("plan")
            .exit
            .detailed
    );
    assert!(!plan(&["a", "--dry-run"]).expect("plan").exit.detailed);
}
