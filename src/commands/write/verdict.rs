//! How a pool of the safe write ends once its PATCH was answered, or once the run or a
//! shared request stopped it: the read-back verdict, and the reports of pools that never
//! got that far.

use super::{Carried, Done, Item, Written};
use crate::backup;
use crate::error::{Error, Result, Signal};
use serde_json::Value;
use std::sync::Arc;

/// The verdict on one written pool, from what the server holds now. A write the server
/// holds is marked confirmed in its backup: only then does the default it merged become the
/// pool's next three-way base. A write that failed, was refused or did not hold leaves its
/// backup unconfirmed, so no base changes.
pub(super) fn confirm<T: Carried>(
    item: Item<T>,
    sent: Result<()>,
    held: Option<&Value>,
) -> Written<T> {
    let backup = item.backup_path();
    let pending = item.pending;
    if held != Some(pending.template()) {
        return match (sent, item.stopped) {
            (Err(e), Some(signal)) => {
                // Its retry was stopped, and the earlier try did not land: nothing written.
                let mut written = pending.fail(Error::Interrupted { signal });
                written.note = Some(format!(
                    "an earlier PATCH was answered {e} and did not land"
                ));
                written
            }
            (Err(e), None) => pending.fail(e),
            (Ok(()), _) => {
                let difference = match held {
                    Some(stored) => {
                        poolsync_engine::diff::json_patch(pending.template(), stored).to_string()
                    }
                    None => "the pool is gone".to_string(),
                };
                let pool = pending.pool.name.clone();
                pending.fail(Error::Verify {
                    pool,
                    difference,
                    backup,
                })
            }
        };
    }
    let mut notes = Vec::new();
    if let Err(e) = sent {
        notes.push(format!(
            "the server answered an error ({e}) but holds the new template"
        ));
    }
    if let Err(e) = backup::confirm(&backup) {
        // The write landed; only its use as the next base is lost.
        notes.push(format!(
            "its backup could not be marked confirmed ({e}); the next run merges from an older base"
        ));
    }
    let mut written = pending.end(Ok(()));
    written.note = (!notes.is_empty()).then(|| notes.join("; "));
    written
}

/// The read-back failed: each pool sent ends `failed`, saying how its PATCH was answered
/// and that the write is unconfirmed (a success answer most likely landed).
pub(super) fn unconfirmed<T>(sent: Vec<(Item<T>, Result<()>)>, error: Error) -> Vec<Written<T>> {
    let cause = Arc::new(error);
    sent.into_iter()
        .map(|(item, result)| unconfirmed_one(item, result, Arc::clone(&cause)))
        .collect()
}

fn unconfirmed_one<T>(item: Item<T>, result: Result<()>, cause: Arc<Error>) -> Written<T> {
    let backup = item.backup_path();
    let pool = item.pending.pool.name.clone();
    let answered = result.is_ok();
    let answer = match result {
        Ok(()) => "with success".to_string(),
        Err(e) => format!("with an error that may hide a landed write ({e})"),
    };
    let mut written = item.pending.fail(Error::Unconfirmed {
        pool,
        answer,
        cause,
        backup,
    });
    if answered {
        written.note = Some(
            "the write was answered success but could not be confirmed: the read-back failed"
                .to_string(),
        );
    }
    written
}

/// A signal stopped the chunk before these pools were sent again: a pool whose earlier
/// PATCH may have landed is read back; the others end `skipped`, nothing written.
pub(super) fn interrupted<T>(items: Vec<Item<T>>, signal: Signal, ended: &mut Done<T>) {
    for mut item in items {
        match item.landed.take() {
            Some(error) => {
                item.stopped = Some(signal);
                ended.sent.push((item, Err(error)));
            }
            None => {
                let written = item.pending.fail(Error::Interrupted { signal });
                ended.ends.push(written);
            }
        }
    }
}

/// The chunk's re-read failed: every pool ends with its error; one whose earlier PATCH may
/// have landed says so.
pub(super) fn unread<T>(items: Vec<Item<T>>, error: Error, reports: &mut Vec<Written<T>>) {
    let shared = Arc::new(error);
    for mut item in items {
        let written = match item.landed.take() {
            Some(landed) => unconfirmed_one(item, Err(landed), Arc::clone(&shared)),
            None => item.pending.fail(Error::Shared(Arc::clone(&shared))),
        };
        reports.push(written);
    }
}

/// Whether a failed PATCH may still have been applied (a 5xx, a lost connection): such a
/// pool is read back, or re-read, before it is called failed.
pub(super) fn may_have_landed(error: &Error) -> bool {
    match error {
        Error::Status { status, .. } => *status >= 500,
        Error::Transport { .. } => true,
        _ => false,
    }
}
