//! Nothing leaks: with a sentinel API key (from `--api-key`, from `PREFECT_API_KEY`) or
//! auth string (`PREFECT_API_AUTH_STRING`), every command is run against the fake Prefect
//! API, on its happy paths and its error paths, and the sentinel (and the base64 of the
//! auth string) must appear in no stdout, no stderr, no backup and no file under HOME. The
//! checks are not vacuous: `-v` does log the requests, and the server does receive the
//! credentials in every request's `Authorization` header.
//! [`odd_credentials`]: unusable keys, a header line as a header name, credentials in
//! the URL.

mod odd_credentials;

use crate::harness::Output;
use crate::harness::Run;
use crate::harness::fake::{Csrf, Fake};
use crate::harness::fixtures::{current, files_under};
use base64::Engine as _;
use serde_json::{Value, json};
use std::time::Duration;
use tempfile::TempDir;
use wiremock::ResponseTemplate;

const KEY: &str = "pnu_SENTINEL_4f9c2a";

const AUTH: &str = "user:SENTINEL_pw_77";

/// How the credentials are given.
#[derive(Clone, Copy, Debug)]
enum Cred {
    /// `--api-key KEY`.
    Flag,
    /// `PREFECT_API_KEY=KEY`.
    EnvKey,
    /// `PREFECT_API_AUTH_STRING=user:pass`.
    AuthString,
}

impl Cred {
    /// The `Authorization` header the server must receive.
    fn header(self) -> String {
        match self {
            Cred::Flag | Cred::EnvKey => format!("Bearer {KEY}"),
            Cred::AuthString => format!("Basic {}", b64(AUTH)),
        }
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Every string that must never be shown or stored.
fn sentinels() -> Vec<String> {
    let mut all = vec![
        KEY.to_string(),
        AUTH.to_string(),
        "SENTINEL".to_string(),
        "4f9c2a".to_string(),
        "pw_77".to_string(),
        b64(AUTH),
        b64(KEY),
    ];
    // The base64 of the password alone, and of the pair at each alignment.
    all.push(b64("SENTINEL_pw_77"));
    all.extend((1..3).map(|skip| b64(&AUTH[skip..])));
    all
}

/// The fake Prefect API with pools `k8s` and `other` (PATCH stores, GET answers what is
/// stored), the defaults, CSRF on, a listing; `denied` answers 401, `broken` 500 and `slow`
/// after 3 s.
fn start() -> Fake {
    let fake = Fake::serving(&["k8s", "other"], &current());
    fake.csrf(Csrf::Token("csrf-tok"));
    fake.always(
        "denied",
        ResponseTemplate::new(401).set_body_json(json!({"detail": "Unauthorized"})),
    );
    fake.always(
        "broken",
        ResponseTemplate::new(500).set_body_string("Internal Server Error"),
    );
    fake.always(
        "slow",
        crate::harness::fixtures::pool_reply("slow", "kubernetes", &current())
            .set_delay(Duration::from_secs(3)),
    );
    fake
}

/// Puts both pools back to `current()`.
fn reset(fake: &Fake) {
    for name in ["k8s", "other"] {
        fake.pool(name, "kubernetes", current());
    }
}

fn template(fake: &Fake, name: &str) -> Value {
    fake.stored(name)
        .unwrap_or_else(|| panic!("no pool {name:?}"))
}

/// One credential mode's whole run: every output, and the folders it may have written to.
struct Session {
    cred: Cred,
    home: TempDir,
    backups: TempDir,
    outs: Vec<(String, Output)>,
}

impl Session {
    fn new(cred: Cred) -> Session {
        Session {
            cred,
            home: TempDir::new().unwrap(),
            backups: TempDir::new().unwrap(),
            outs: Vec::new(),
        }
    }

    /// Runs `poolsync <args>` against `api` with this session's credentials, its own HOME,
    /// one retry at most; checks the exit code and keeps the output.
    fn run(&mut self, api: &str, args: &[&str], env: &[(&str, &str)], code: i32) -> usize {
        let mut cmd = Run::new(args)
            .home(self.home.path())
            .env("PREFECT_CLIENT_MAX_RETRIES", "0");
        // `backups` talks to no server, so it takes no connection flags; the environment's
        // credentials are there all the same.
        let online = args.first() != Some(&"backups");
        if online {
            cmd = cmd.api(api);
        }
        cmd = match self.cred {
            Cred::Flag if online => cmd.args(["--api-key", KEY]),
            Cred::Flag => cmd,
            Cred::EnvKey => cmd.env("PREFECT_API_KEY", KEY),
            Cred::AuthString => cmd.env("PREFECT_API_AUTH_STRING", AUTH),
        };
        for (k, v) in env {
            cmd = cmd.env(k, v);
        }
        let out = cmd.run();
        out.code(code);
        self.outs
            .push((format!("{:?} {args:?} {env:?}", self.cred), out));
        self.outs.len() - 1
    }

    /// Same, with `--backup-dir` set to this session's backup folder.
    fn run_backed_up(&mut self, api: &str, args: &[&str], code: i32) -> usize {
        let dir = self.backups.path().to_str().unwrap().to_string();
        let mut args = args.to_vec();
        args.extend(["--backup-dir", &dir]);
        self.run(api, &args, &[], code)
    }

    fn out(&self, i: usize) -> &Output {
        &self.outs[i].1
    }

    /// No sentinel in any output or in any file under the backup folder or HOME.
    fn assert_nothing_leaked(&self) {
        let sentinels = sentinels();
        for (what, out) in &self.outs {
            for s in &sentinels {
                assert!(
                    !out.stdout.contains(s.as_str()),
                    "{s} on stdout of {what}: {out}"
                );
                assert!(
                    !out.stderr.contains(s.as_str()),
                    "{s} on stderr of {what}: {out}"
                );
            }
        }
        let files = [
            files_under(self.backups.path()),
            files_under(self.home.path()),
        ]
        .concat();
        for file in &files {
            let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
            for s in &sentinels {
                assert!(
                    !text.contains(s.as_str()),
                    "{s} in {}:\n{text}",
                    file.display()
                );
            }
        }
    }
}

/// Runs every command once with `cred`, then checks that nothing leaked and the
/// credentials were really sent.
fn every_command(cred: Cred) {
    let fake = start();
    let api = fake.api();
    let mut s = Session::new(cred);

    // update, one pool: text with -v, then json, then json-patch; each really writes.
    let verbose = s.run_backed_up(&api, &["update", "k8s", "-v"], 0);
    assert_ne!(template(&fake, "k8s"), current(), "not written");
    reset(&fake);
    s.run(&api, &["update", "k8s", "--output", "json"], &[], 0);
    reset(&fake);
    s.run(
        &api,
        &["update", "k8s", "--output", "json-patch", "-v"],
        &[],
        0,
    );
    // dry runs, batches.
    reset(&fake);
    s.run_backed_up(&api, &["update", "k8s", "--dry-run", "-v"], 0);
    s.run_backed_up(
        &api,
        &["update", "--all", "--dry-run", "--output", "json"],
        0,
    );
    s.run_backed_up(&api, &["update", "--all", "-v"], 0);
    reset(&fake);
    s.run_backed_up(
        &api,
        &["update", "k8s", "other", "--output", "json", "-v"],
        0,
    );
    // read-only commands.
    s.run(&api, &["validate", "k8s", "-v"], &[], 0);
    s.run(&api, &["default", "--type", "kubernetes", "-v"], &[], 0);
    // rollback to the latest backup (in --backup-dir, then under HOME), and the listings.
    s.run_backed_up(&api, &["rollback", "k8s", "--latest", "--force", "-v"], 0);
    assert_eq!(template(&fake, "k8s"), current(), "not rolled back");
    s.run(&api, &["update", "k8s"], &[], 0);
    s.run(
        &api,
        &["rollback", "k8s", "--latest", "--force", "--dry-run"],
        &[],
        0,
    );
    s.run(&api, &["rollback", "k8s", "--latest", "--force"], &[], 0);
    s.run_backed_up(&api, &["backups"], 0);
    s.run(&api, &["backups"], &[], 0);

    // error paths: 401, 500, a timeout, connection refused, bad custom headers.
    s.run(&api, &["update", "denied", "-v"], &[], 1);
    s.run(&api, &["validate", "broken", "-v"], &[], 1);
    s.run(&api, &["update", "broken", "--output", "json"], &[], 1);
    s.run(&api, &["update", "slow", "--timeout", "0.5", "-v"], &[], 1);
    let port = unused_port();
    let refused = format!("http://127.0.0.1:{port}/api");
    s.run(&refused, &["update", "k8s", "-v"], &[], 1);
    s.run(&refused, &["default", "--type", "kubernetes"], &[], 1);
    let bad_headers = [
        format!("{{\"Authorization\": \"Bearer {KEY}\""),
        format!("{{\"X-Key\": \"{KEY}\\n\"}}"),
        format!("{{\"X-Key\": [\"{KEY}\"]}}"),
        format!("[\"{KEY}\"]"),
    ];
    for headers in &bad_headers {
        let env = [("PREFECT_CLIENT_CUSTOM_HEADERS", headers.as_str())];
        // A setting that cannot work is a usage error (exit 2).
        let i = s.run(&api, &["update", "k8s", "-v"], &env, 2);
        assert!(
            s.out(i).stderr.contains("PREFECT_CLIENT_CUSTOM_HEADERS"),
            "{}",
            s.out(i)
        );
    }

    // Not vacuous: -v shows the requests (with the credentials redacted)...
    let log = &s.out(verbose).stderr;
    for request in [
        format!("GET {api}/work_pools/k8s"),
        format!("PATCH {api}/work_pools/k8s"),
    ] {
        assert!(
            log.contains(&request),
            "{request} not logged: {}",
            s.out(verbose)
        );
    }
    assert!(log.contains("<redacted>"), "{}", s.out(verbose));
    // ...backups and HOME were written...
    assert!(!files_under(s.backups.path()).is_empty());
    assert!(!files_under(s.home.path()).is_empty());
    // ...and the server received the credentials on every request.
    let requests = fake.requests();
    assert!(requests.len() > 20, "{} requests", requests.len());
    for r in &requests {
        let got = crate::harness::fixtures::header_is(r, "authorization");
        assert_eq!(got, Some(cred.header().as_str()), "{} {}", r.method, r.url);
    }

    s.assert_nothing_leaked();
}

#[test]
fn api_key_flag_leaks_nowhere() {
    every_command(Cred::Flag);
}

#[test]
fn api_key_env_leaks_nowhere() {
    every_command(Cred::EnvKey);
}

#[test]
fn auth_string_leaks_nowhere() {
    every_command(Cred::AuthString);
}

/// A port nothing listens on (bound, then released).
fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
