//! Rollbacks judged by what landed, on the real server behind a proxy that refuses or
//! breaks one request on cue: only writes that landed are steps for `rollback --latest`,
//! a failed write's backup is never restored, and a rollback whose read-back failed still
//! tells the next run which base the pool's template belongs to. Every run of a test goes
//! through the same proxy, so the backups are all of one server.

use super::checks::{template, upstream};
use crate::harness::Run;
use crate::harness::live::{create_pool, delete_pool, read_pool, read_template, unique};
use crate::harness::proxy;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What the proxy does to the pool's requests.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cue {
    /// Forwards everything.
    Pass,
    /// Answers every PATCH 422: nothing is written.
    RefusePatch,
    /// Forwards the PATCH, then, once it landed, answers the pool's GETs 500: the read-back
    /// fails. (A PATCH the loaded SQLite server answered 503 did not land: the re-read
    /// before its retry passes.)
    BreakReadBack,
}

struct Bench {
    pool: String,
    url: String,
    cue: Arc<Mutex<Cue>>,
    dir: tempfile::TempDir,
}

impl Bench {
    /// A pool at `template("t0")` behind a proxy.
    fn new(prefix: &str) -> Bench {
        let pool = unique(prefix);
        create_pool(&pool, "process", &template("t0"));
        let cue = Arc::new(Mutex::new(Cue::Pass));
        // The pool's `updated` just before the latest PATCH was forwarded.
        let patched: Arc<Mutex<Option<Value>>> = Arc::new(Mutex::new(None));
        let url = {
            let (cue, path) = (cue.clone(), format!("/work_pools/{pool} "));
            let name = pool.clone();
            proxy::forward(move |sent| {
                let ours = sent.line.contains(&path);
                let mut patched = patched.lock().expect("lock");
                let landed = |before: &Value| read_pool(&name)["updated"] != *before;
                match *cue.lock().expect("lock") {
                    Cue::RefusePatch if ours && sent.line.starts_with("PATCH") => {
                        Some((422, json!({"detail": "refused by the test proxy"})))
                    }
                    Cue::BreakReadBack if ours && sent.line.starts_with("PATCH") => {
                        *patched = Some(read_pool(&name)["updated"].clone());
                        None
                    }
                    Cue::BreakReadBack if ours && patched.as_ref().is_some_and(landed) => {
                        Some((500, json!({"detail": "read-back broken by the test proxy"})))
                    }
                    _ => {
                        *patched = None;
                        None
                    }
                }
            })
        };
        let dir = tempfile::tempdir().expect("dir");
        Bench {
            pool,
            url,
            cue,
            dir,
        }
    }

    fn file(&self, name: &str, value: &Value) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, value.to_string()).expect("template file");
        path.display().to_string()
    }

    fn backups(&self) -> &Path {
        self.dir.path()
    }

    /// Runs poolsync through the proxy under `cue`; returns its exit code and output.
    fn run(&self, cue: Cue, args: &[&str]) -> (i32, String) {
        *self.cue.lock().expect("lock") = cue;
        let out = Run::new(args)
            .args(["--api-url", &self.url])
            .backup_dir(self.backups())
            // The SQLite server may answer a 503 under the other tests' load: retry it,
            // but only once where the proxy breaks answers on purpose (a 500 is retried).
            .env(
                "PREFECT_CLIENT_MAX_RETRIES",
                if cue == Cue::Pass { "5" } else { "1" },
            )
            .server_home()
            .run();
        *self.cue.lock().expect("lock") = Cue::Pass;
        let text = format!(
            "--- stdout\n{}--- stderr\n{}",
            out.stdout.clone(),
            out.stderr.clone()
        );
        (out.status.unwrap_or(-1), text)
    }

    /// `update POOL --template FILE --base none` (two-way), expected to succeed.
    fn update(&self, file: &str) {
        let args = ["update", &self.pool, "--template", file, "--base", "none"];
        let (code, out) = self.run(Cue::Pass, &args);
        assert_eq!(code, 0, "{out}");
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        delete_pool(&self.pool);
    }
}

/// A rollback whose PATCH lands but whose read-back fails leaves the pool at the older
/// template; the next run judges the pool by that template, so it is pending, not
/// "up to date" by the base of the write it replaced.
#[test]
fn a_rollback_that_landed_unconfirmed_leaves_the_pool_pending() {
    let bench = Bench::new("landed");
    let one = bench.file("one.json", &upstream("extra1"));
    bench.update(&one);
    let (code, out) = bench.run(Cue::BreakReadBack, &["rollback", &bench.pool, "--latest"]);
    assert_eq!(code, 1, "the read-back failed: {out}");
    assert_eq!(
        read_template(&bench.pool),
        template("t0"),
        "the rollback landed"
    );

    let (code, out) = bench.run(
        Cue::Pass,
        &["update", &bench.pool, "--template", &one, "--dry-run"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("{}: would change", bench.pool)),
        "{out}"
    );
}

/// A rollback refused with a 422 (nothing written) is no step: the next `--latest` goes
/// back one write, to the state before the newest update, not two.
#[test]
fn a_failed_rollback_is_no_step_for_latest() {
    let bench = Bench::new("failedrb");
    bench.update(&bench.file("one.json", &upstream("extra1")));
    let after_one = read_template(&bench.pool);
    bench.update(&bench.file("two.json", &upstream("extra2")));
    let (code, out) = bench.run(Cue::RefusePatch, &["rollback", &bench.pool, "--latest"]);
    assert_eq!(code, 1, "the rollback was refused: {out}");

    let (code, out) = bench.run(Cue::Pass, &["rollback", &bench.pool, "--latest"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        read_template(&bench.pool),
        after_one,
        "one step back: {out}"
    );
}

/// After an update that failed (422, nothing written), `rollback --latest` restores the
/// state before the last write that landed, not the failed write's backup.
#[test]
fn latest_never_picks_a_failed_writes_backup() {
    let bench = Bench::new("failedup");
    bench.update(&bench.file("one.json", &upstream("extra1")));
    let two = bench.file("two.json", &upstream("extra2"));
    let args = ["update", &bench.pool, "--template", &two, "--base", "none"];
    let (code, out) = bench.run(Cue::RefusePatch, &args);
    assert_eq!(code, 1, "the update was refused: {out}");

    let (code, out) = bench.run(Cue::Pass, &["rollback", &bench.pool, "--latest"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("already matches"), "{out}");
    assert_eq!(read_template(&bench.pool), template("t0"), "{out}");
}
