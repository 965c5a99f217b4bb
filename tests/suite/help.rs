//! `--help`: connection flags under their own heading, only on commands that talk to a server;
//! every command's help ends with examples.

use crate::harness::Run;

const ONLINE: [&str; 5] = ["update", "default", "validate", "rollback", "diff"];
const OFFLINE: [&str; 6] = [
    "merge",
    "schema",
    "trust-policy",
    "springboard",
    "completions",
    "backups",
];
const CONNECTION: [&str; 5] = [
    "--api-url",
    "--api-key",
    "--profile",
    "--timeout",
    "--verbose",
];

fn help(args: &[&str]) -> String {
    let out = Run::new(args).run();
    out.code(0);
    out.stdout.clone()
}

/// The lines under a heading (`Connection:`), up to the next blank line.
fn section<'h>(help: &'h str, heading: &str) -> Vec<&'h str> {
    help.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

#[test]
fn online_commands_list_connection_flags_under_their_own_heading() {
    for command in ONLINE {
        let text = help(&[command, "-h"]);
        let connection = section(&text, "Connection:").join("\n");
        for flag in CONNECTION {
            assert!(
                connection.contains(flag),
                "{command}: {flag} not under Connection:\n{text}"
            );
        }
        let options = section(&text, "Options:").join("\n");
        assert!(
            !options.contains("--api-url"),
            "{command}: --api-url among Options:\n{text}"
        );
    }
}

#[test]
fn offline_commands_do_not_show_connection_flags() {
    for command in OFFLINE {
        let text = help(&[command, "--help"]);
        assert!(!text.contains("Connection:"), "{command}:\n{text}");
        for flag in CONNECTION {
            assert!(!text.contains(flag), "{command} shows {flag}:\n{text}");
        }
    }
}

#[test]
fn every_command_help_ends_with_examples() {
    for command in ONLINE.iter().chain(&OFFLINE) {
        for flag in ["-h", "--help"] {
            let text = help(&[command, flag]);
            let tail: Vec<&str> = text
                .trim_end()
                .lines()
                .rev()
                .take_while(|l| *l != "Examples:")
                .collect();
            let examples = tail
                .iter()
                .filter(|l| l.starts_with("  poolsync ") || l.contains("| poolsync "))
                .count();
            assert!(
                text.contains("\nExamples:\n") && (2..=3).contains(&examples),
                "{command} {flag}: want 2-3 examples at the end:\n{text}"
            );
            assert!(
                tail.iter().all(|l| l.starts_with("  ")),
                "{command} {flag}: examples must end the help:\n{text}"
            );
        }
    }
}

/// Connection flags after the command work (with `--timeout`).
#[test]
fn connection_flags_follow_the_command() {
    Run::new([
        "default",
        "--type",
        "process",
        "--api-url",
        "http://127.0.0.1:9/api",
        "--timeout",
        "0.2",
    ])
    .env("PREFECT_CLIENT_MAX_RETRIES", "0")
    .run()
    .code(1)
    .stderr_has("127.0.0.1:9");
}

/// Connection flags before the command apply to it (as `prefect --profile X ...`), and the
/// same flag after the command wins: the request goes to the URL that won. Before an offline
/// command they are accepted and change nothing.
#[test]
fn connection_flags_before_the_command_apply_and_lose_to_those_after_it() {
    let run = |args: &[&str]| {
        let out = Run::new(args).env("PREFECT_CLIENT_MAX_RETRIES", "0").run();
        out.code(1);
        out.stderr.clone()
    };
    let before = ["--api-url", "http://127.0.0.1:9/api", "-v"];
    let err = run(&[&before[..], &["update", "p"]].concat());
    assert!(
        err.contains("GET http://127.0.0.1:9/api/work_pools/p"),
        "{err}"
    );
    assert!(
        err.contains("poolsync: GET"),
        "-v before the command: {err}"
    );
    let err = run(&[
        &before[..],
        &["update", "p", "--api-url", "http://127.0.0.1:8/api"],
    ]
    .concat());
    assert!(err.contains("http://127.0.0.1:8/api/work_pools/p"), "{err}");
    assert!(!err.contains("127.0.0.1:9"), "{err}");
    let out = Run::new(["--profile", "nowhere", "schema"]).run();
    out.code(0);
    assert!(out.raw.starts_with(b"{"));
}
