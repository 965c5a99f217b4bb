//! One pool on its way through the safe write: its pending write, the tries its PATCH
//! spent, its backup, and what an earlier answer or a signal left open.

use super::Pending;
use super::window::Ticket;
use crate::api::{Tries, WorkPool};
use crate::error::{Error, Signal};
use std::path::PathBuf;

/// One pool on its way through the safe write.
pub(super) struct Item<T> {
    /// What is to be written, and what its caller carries.
    pub(super) pending: Pending<T>,
    /// Retries spent on its PATCH.
    pub(super) tries: Tries,
    /// The backup written from the latest read.
    pub(super) backup: Option<Saved>,
    /// The error of an earlier PATCH that may have landed (a 5xx, a lost connection).
    pub(super) landed: Option<Error>,
    /// Re-reads because its PATCH could not leave in time.
    pub(super) late: u32,
    /// The signal that stopped its retry (it is read back only to see whether an earlier
    /// PATCH landed).
    pub(super) stopped: Option<Signal>,
    /// Its place in the listing's backlog, while its PATCH goes on the strength of the
    /// listing page (given up once answered).
    pub(super) listed: Option<Ticket>,
}

impl<T> Item<T> {
    /// A pool not yet backed up or sent.
    pub(super) fn new(pending: Pending<T>) -> Item<T> {
        Item {
            pending,
            tries: Tries::default(),
            backup: None,
            landed: None,
            late: 0,
            stopped: None,
            listed: None,
        }
    }

    /// The end of the window of the read it was merged from, if still open at `now`: its
    /// PATCH may then go on the strength of that read, with no re-read. The read serves
    /// once: afterwards (sent, or its window closed) a re-read goes first.
    pub(super) fn open_window(&mut self, now: std::time::Instant) -> Option<std::time::Instant> {
        let (by, ticket) = self.pending.read_by.take()?.split();
        self.listed = ticket.filter(|_| by > now);
        Some(by).filter(|by| *by > now)
    }

    /// Whether the window of the read it was merged from is open past `at`.
    pub(super) fn open_after(&self, at: std::time::Instant) -> bool {
        self.pending.read_by.as_ref().is_some_and(|w| w.by > at)
    }

    /// Closes the window of the read it was merged from: a re-read serves instead.
    pub(super) fn close_window(&mut self) {
        self.pending.read_by = None;
    }

    /// The pool's name.
    pub(super) fn name(&self) -> &str {
        &self.pending.pool.name
    }

    /// Removes a backup no PATCH followed (the pool changed or went): no run should take it
    /// for the state a write replaced.
    /// A pool whose earlier PATCH may have landed keeps it.
    pub(super) fn drop_backup(&mut self) {
        if self.landed.is_some() {
            return;
        }
        if let Some(saved) = self.backup.take() {
            let _ = std::fs::remove_file(saved.path);
        }
    }

    /// The backup written before its PATCH.
    pub(super) fn backup_path(&self) -> PathBuf {
        self.backup
            .as_ref()
            .map(|saved| saved.path.clone())
            .unwrap_or_default()
    }

    /// Its PATCH was answered: only the read-back's verdict is left, which needs the
    /// template sent and the backup's path, not the pool as read. Its template's tree, the
    /// largest part of a waiting write, goes (a write waits for its read-back while up to a
    /// page of others are sent: 65 MiB peak over 10,000 pools with the trees, 57-58 without).
    pub(super) fn answered(&mut self) {
        self.pending.pool.base_job_template = serde_json::Value::Null;
        if let Some(saved) = &mut self.backup {
            saved.moved = None;
        }
    }

    /// Whether its backup holds the pool exactly as `pool`.
    pub(super) fn backed_up_as(&self, pool: &WorkPool) -> bool {
        self.backup.as_ref().is_some_and(|saved| {
            let held = saved.moved.as_ref().unwrap_or(&self.pending.pool);
            held == pool
        })
    }
}

/// The backup of one pool, written before its PATCH.
pub(super) struct Saved {
    /// Its file.
    pub(super) path: PathBuf,
    /// The pool it holds, when that is not the pool as read (`pending.pool`): a re-read
    /// found the pool moved in a way the conflict check allows. Most pools hold `None`, so
    /// no second copy of a template stays in memory.
    pub(super) moved: Option<WorkPool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::write::Carried;
    use crate::commands::write::model::{Stored, pending};
    use serde_json::{Value, json};

    fn read_as(template: Value) -> Stored {
        Stored {
            version: 1,
            template,
        }
    }

    /// Once its PATCH is answered, a write waits only for its read-back: the tree it was
    /// read with goes (the moved copy too), and the read-back still has the template sent,
    /// the pool's name and its backup's file.
    #[test]
    fn an_answered_write_drops_the_pool_as_read_and_keeps_what_its_read_back_needs() {
        let read = read_as(json!({"variables": {"properties": {"image": {"default": "mine"}}}}));
        let mut item = Item::new(pending("p", &read, false));
        let sent = item.pending.carried.clone();
        item.backup = Some(Saved {
            path: PathBuf::from("backups/p.json"),
            moved: Some(pending("p", &read, false).pool),
        });
        assert!(!item.backed_up_as(&pending("p", &read_as(json!({})), false).pool));
        assert!(item.backed_up_as(&pending("p", &read, false).pool));
        item.answered();
        assert_eq!(item.pending.pool.base_job_template, Value::Null);
        assert!(
            item.backup
                .as_ref()
                .is_some_and(|saved| saved.moved.is_none())
        );
        assert_eq!(item.pending.carried.template(), &sent);
        assert_eq!(item.name(), "p");
        assert_eq!(item.backup_path(), PathBuf::from("backups/p.json"));
    }
}
