//! What the safe write is handed and what it hands back: a [`Pending`] write (the pool as
//! poolsync read it, what its backup records, and what the caller carries through, which
//! always holds the template to write), and the [`Written`] end of each.

use super::Window;
use crate::api::WorkPool;
use crate::backup;
use crate::error::{Error, Result};
use serde_json::Value;
use std::sync::Arc;

/// What a caller carries through the safe write for one pool: the template to write is
/// always part of it (`update` carries its merge, `rollback` only the template).
pub(crate) trait Carried {
    /// The template to write.
    fn template(&self) -> &Value;
}

impl Carried for Value {
    fn template(&self) -> &Value {
        self
    }
}

/// A pool whose template is to be written.
#[derive(Debug)]
pub(crate) struct Pending<T> {
    /// The pool as poolsync read it (the conflict check compares against it).
    pub pool: WorkPool,
    /// What the backup records besides the pool: the kind of write, the default merged in
    /// (the next base once the write is confirmed) and the base used.
    pub record: Record,
    /// What the caller carries through, with the template to write.
    pub carried: T,
    /// The end of the window of the read `pool` comes from (a listing page, say), when the
    /// caller knows it: a PATCH that leaves by then needs no re-read first.
    pub read_by: Option<Window>,
}

impl<T: Carried> Pending<T> {
    /// What to write.
    pub(crate) fn template(&self) -> &Value {
        self.carried.template()
    }
}

impl<T> Pending<T> {
    /// Ends the write with `error`: nothing the server holds is ours.
    pub(crate) fn fail(self, error: Error) -> Written<T> {
        self.end(Err(error))
    }

    /// Ends the write: `Ok` when the server holds the template.
    pub(crate) fn end(self, result: Result<()>) -> Written<T> {
        Written {
            pool: self.pool.name,
            pool_type: self.pool.pool_type,
            carried: self.carried,
            result,
            note: None,
        }
    }
}

/// How the safe write ended for one pool.
#[derive(Debug)]
pub(crate) struct Written<T> {
    /// The pool's name.
    pub pool: String,
    /// The pool's type.
    pub pool_type: String,
    /// What the caller carried through.
    pub carried: T,
    /// `Ok`: the server holds the template (confirmed by a read-back); `Err`: why not, or
    /// why it is not known.
    pub result: Result<()>,
    /// A remark on the end (e.g. a write confirmed after an error answer).
    pub note: Option<String>,
}

/// What a backup records about the write it precedes.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// An update or a rollback.
    pub kind: backup::WriteKind,
    /// The default merged in (shared by every pool of its type).
    pub default: Option<Arc<Value>>,
    /// The base the merge used (for a rollback: the base that belongs to the restored template);
    /// shared by the pools whose base is the same.
    pub base: Option<Arc<Value>>,
    /// Where that base came from, as reported.
    pub base_origin: Option<String>,
    /// For a rollback: the `created` time of the backup restored.
    pub restored: Option<String>,
}
