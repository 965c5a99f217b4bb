//! A model server for the safe write, and the property it must keep (issue 17): for any
//! sequence of PATCH answers (2xx, 429, 503, 500, a lost connection, each landed or not, a
//! write held past its window) and edits by another writer at any moment, no edit made
//! before the read that precedes a PATCH (a re-read, or the listing for a pool sent within
//! its window) is overwritten unless a backup holds it, and every PATCH leaves right after
//! a read of its pool, with no wait in between.
//!
//! Time is counted in requests: a request is one round trip. An edit lands between two
//! requests; one that lands between a pool's re-read and its PATCH is inside the window
//! (the API has no conditional update) and may be lost.

use super::{Pending, Record, Remote, SafeWrite, Window, Written};
use crate::api::{Booking, Fresh, Tries, WorkPool, WriteAttempt};
use crate::backup::{self, WriteKind};
use crate::commands::outcome::Outcome;
use crate::commands::signals::Stop;
use crate::error::{Error, Result};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::time::{Duration, Instant};

mod ahead;
mod backoff;

const URL: &str = "http://model/api";

/// How the model answers one PATCH.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Ok,
    Throttled,
    /// `applied`: the server took the write before it answered.
    Unavailable {
        applied: bool,
    },
    Internal {
        applied: bool,
    },
    Lost {
        applied: bool,
    },
    /// Held past its window by a slot, the pace or a pause: not sent.
    Late,
}

/// One pool on the model server.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub(super) version: u64,
    pub(super) template: Value,
}

#[derive(Default)]
struct State {
    requests: usize,
    pools: HashMap<String, Stored>,
    answers: VecDeque<Answer>,
    /// Edits by another writer: before request number `.0`, pool `.1` changes.
    edits: Vec<(usize, String)>,
    /// The version each pool had at its latest read, while no PATCH or wait followed it.
    fresh: HashMap<String, u64>,
    /// The template each pool had at its latest read (for a written pool: its read-back).
    seen: HashMap<String, Value>,
    violations: Vec<String>,
    /// The requests and waits, in order: `read p0 p1`, `patch p0`, `wait`.
    trace: Vec<String>,
    /// The waits so far.
    waits: u32,
}

impl Stored {
    /// The pools' template before the run: version 1 of a stale one.
    pub(super) fn stale() -> Stored {
        Stored {
            version: 1,
            template: json!({"stale": true}),
        }
    }
}

impl State {
    /// `names`, each stored as `start` and, when `listed`, read just before the run.
    fn listed(names: &[String], start: &Stored, listed: bool) -> State {
        let read = names.iter().filter(|_| listed);
        State {
            pools: names.iter().map(|n| (n.clone(), start.clone())).collect(),
            fresh: read.map(|n| (n.clone(), start.version)).collect(),
            ..State::default()
        }
    }
}

struct Model {
    state: RefCell<State>,
    backups: tempfile::TempDir,
    /// PATCHes per re-read (a paced client's limit).
    per_read: usize,
    /// Whether the next round's re-read goes before a round's PATCHes (unpaced).
    ahead: bool,
    /// The backoff after a retried answer other than a `429`.
    backoff: Duration,
}

impl Model {
    fn new(state: State, per_read: usize, ahead: bool, backoff: Duration) -> Model {
        Model {
            state: RefCell::new(state),
            backups: tempfile::tempdir().expect("backup dir"),
            per_read,
            ahead,
            backoff,
        }
    }

    /// Writes `names`, each read as `start` (by a listing whose window is open when
    /// `listed`), through the safe write, `concurrency` at once, rounds of at most `cap`.
    fn write(
        &self,
        names: &[String],
        start: &Stored,
        listed: bool,
        (concurrency, cap): (usize, usize),
    ) -> Vec<Written<Value>> {
        let source = futures::stream::iter(names.iter().map(|n| pending(n, start, listed)));
        let dir = self.backups.path().to_path_buf();
        let writer = SafeWrite::new(self, Some(&dir), concurrency);
        let (mut ends, stop) = (Vec::new(), Stop::default());
        futures::executor::block_on(writer.flow(source, cap, &stop, |w| ends.push(w)));
        ends
    }

    /// Counts a request and lands the edits due before it.
    fn tick(&self) {
        let mut state = self.state.borrow_mut();
        let now = state.requests;
        state.requests += 1;
        let due: Vec<String> = state
            .edits
            .iter()
            .filter(|(at, _)| *at == now)
            .map(|(_, pool)| pool.clone())
            .collect();
        for name in due {
            if let Some(pool) = state.pools.get_mut(&name) {
                pool.version += 1;
                pool.template = json!({"edited": pool.version});
            }
        }
    }

    /// Takes a PATCH on `name`, after checking what it overwrites.
    fn apply(&self, name: &str, template: &Value) {
        let mut state = self.state.borrow_mut();
        let Some(stored) = state.pools.get(name).cloned() else {
            return;
        };
        let read = state.fresh.get(name).copied();
        if read == Some(stored.version) && !held_by_backup(self.backups.path(), name, &stored) {
            let message = format!("{name}: v{} overwritten with no backup", stored.version);
            state.violations.push(message);
        }
        if let Some(pool) = state.pools.get_mut(name) {
            pool.version += 1;
            pool.template = template.clone();
        }
    }
}

/// Whether a backup of `name` holds the pool as `stored`.
fn held_by_backup(dir: &Path, name: &str, stored: &Stored) -> bool {
    let pool = pool(name, stored);
    files(dir).iter().any(|path| {
        backup::read(path).is_ok_and(|b| {
            b.pool_name() == Some(name)
                && b.pool["updated"] == json!(pool.updated)
                && b.template() == Some(&pool.base_job_template)
        })
    })
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for path in entries.flatten().map(|e| e.path()) {
        match path.is_dir() {
            true => found.extend(files(&path)),
            false => found.push(path),
        }
    }
    found
}

fn pool(name: &str, stored: &Stored) -> WorkPool {
    let value = json!({
        "name": name,
        "type": "kubernetes",
        "updated": format!("v{}", stored.version),
        "base_job_template": stored.template,
    });
    serde_json::from_value(value).unwrap_or_else(|e| panic!("model pool: {e}"))
}

fn status(code: u16) -> Error {
    Error::Status {
        method: "PATCH".into(),
        url: URL.into(),
        status: code,
        detail: "model".into(),
        tries: 1,
    }
}

impl Remote for Model {
    fn base_url(&self) -> &str {
        URL
    }

    fn writes_per_read(&self) -> usize {
        self.per_read
    }

    fn book(&self, _patches: usize) -> Booking {
        Booking::default()
    }

    fn read_lead(&self) -> Option<Duration> {
        // The longest lead: the next round is read as soon as a round is read.
        self.ahead.then_some(Duration::MAX)
    }

    async fn read(&self, names: &[String], _booked: Option<Instant>) -> Result<Fresh> {
        self.tick();
        let mut state = self.state.borrow_mut();
        state.trace.push(format!("read {}", names.join(" ")));
        let mut pools = HashMap::new();
        for name in names {
            if let Some(stored) = state.pools.get(name).cloned() {
                state.fresh.insert(name.clone(), stored.version);
                state.seen.insert(name.clone(), stored.template.clone());
                pools.insert(name.clone(), pool(name, &stored));
            }
        }
        let by = Instant::now();
        Ok(Fresh { pools, by })
    }

    async fn patch(
        &self,
        name: &str,
        template: &Value,
        spent: Tries,
        _when: (Instant, Option<Instant>),
    ) -> WriteAttempt {
        let answer = self.state.borrow_mut().answers.pop_front();
        let answer = answer.unwrap_or(Answer::Ok);
        if matches!(answer, Answer::Late) {
            return WriteAttempt::Late;
        }
        self.tick();
        self.state.borrow_mut().trace.push(format!("patch {name}"));
        if !self.state.borrow().fresh.contains_key(name) {
            let message = format!("{name}: PATCH sent with no re-read since its last try or wait");
            self.state.borrow_mut().violations.push(message);
        }
        let (applied, code) = match answer {
            Answer::Ok => (true, None),
            Answer::Throttled => (false, Some(429)),
            Answer::Unavailable { applied } => (applied, Some(503)),
            Answer::Internal { applied } => (applied, Some(500)),
            Answer::Lost { applied } => (applied, Some(0)),
            Answer::Late => (false, None),
        };
        if applied {
            self.apply(name, template);
        }
        // The read's window is spent: a further try needs a new read.
        self.state.borrow_mut().fresh.remove(name);
        let error = match code {
            None => return WriteAttempt::Answered(Ok(())),
            Some(0) => Error::Transport {
                method: "PATCH".into(),
                url: URL.into(),
                cause: "connection reset".into(),
                hint: "model",
                tries: 1,
            },
            Some(code) => status(code),
        };
        let out_of_tries = spent.retries >= 3 || spent.throttled >= 5;
        match code {
            Some(500) => WriteAttempt::Answered(Err(error)),
            _ if out_of_tries => WriteAttempt::Answered(Err(error)),
            Some(429) => WriteAttempt::Retry {
                wait: Duration::ZERO,
                error,
                throttled: true,
            },
            _ => WriteAttempt::Retry {
                wait: self.backoff,
                error,
                throttled: false,
            },
        }
    }

    async fn wait(&self, _wait: Duration) -> Result<()> {
        // Every read so far is stale after a wait, a listing's window closed too.
        let mut state = self.state.borrow_mut();
        state.fresh.clear();
        state.waits += 1;
        state.trace.push("wait".into());
        Ok(())
    }

    fn now(&self) -> Instant {
        // A wait is longer than any window (a listed pool's is an hour).
        Instant::now() + Duration::from_secs(2 * 3600) * self.state.borrow().waits
    }
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        3 => Just(Answer::Ok),
        1 => Just(Answer::Throttled),
        1 => any::<bool>().prop_map(|applied| Answer::Unavailable { applied }),
        1 => any::<bool>().prop_map(|applied| Answer::Internal { applied }),
        1 => any::<bool>().prop_map(|applied| Answer::Lost { applied }),
        1 => Just(Answer::Late),
    ]
}

/// A pending write of `name` as read at `stored`; `listed`: read by a listing whose window
/// is still open (its PATCH may go without a re-read).
pub(super) fn pending(name: &str, stored: &Stored, listed: bool) -> Pending<Value> {
    Pending {
        pool: pool(name, stored),
        record: Record {
            kind: WriteKind::Update,
            default: None,
            base: None,
            base_origin: None,
            restored: None,
        },
        carried: json!({"merged": name}),
        read_by: listed.then(|| Window::until(listing_window())),
    }
}

/// The end of the window of the listing page the model's listed pools come from: one page,
/// one end (a round read ahead takes the pools whose window ends with the round before).
fn listing_window() -> Instant {
    static END: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *END.get_or_init(|| Instant::now() + Duration::from_secs(3600))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_edit_older_than_a_round_trip_is_lost_without_a_backup_or_a_conflict(
        pools in 1usize..5,
        answers in prop::collection::vec(answer(), 0..24),
        edits in prop::collection::vec((0usize..30, 0usize..5), 0..6),
        concurrency in 1usize..4,
        per_read in prop_oneof![Just(usize::MAX), 1usize..3],
        listed in any::<bool>(),
        ahead in any::<bool>(),
        cap in 1usize..6,
    ) {
        let names: Vec<String> = (0..pools).map(|i| format!("p{i}")).collect();
        let start = Stored::stale();
        // A listing read every pool just before the run (its window still open when
        // `listed`): an edit from request 0 on lands after that read.
        let state = State {
            answers: answers.into(),
            edits: edits.into_iter().map(|(at, i)| (at, names[i % pools].clone())).collect(),
            ..State::listed(&names, &start, listed)
        };
        let model = Model::new(state, per_read, ahead, Duration::from_secs(1));
        let reports = model.write(&names, &start, listed, (concurrency, cap));

        let state = model.state.borrow();
        prop_assert!(state.violations.is_empty(), "{:?}", state.violations);
        prop_assert_eq!(reports.len(), pools);
        for report in &reports {
            let stored = &state.pools[&report.pool];
            let holds_ours = report.carried == stored.template;
            // `updated` only when the server held the write at its read-back (another writer
            // may edit the pool after that); a conflict leaves it alone.
            let confirmed = state.seen.get(&report.pool) == Some(&report.carried);
            let outcome = report.result.as_ref().map_or_else(Outcome::of, |()| Outcome::Updated);
            match outcome {
                Outcome::Updated => prop_assert!(confirmed, "{}", report.pool),
                Outcome::Conflict => prop_assert!(!holds_ours, "{}", report.pool),
                _ => {}
            }
        }
    }
}
