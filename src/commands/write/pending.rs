//! What the safe write is handed: a pool as poolsync read it, the template to write over
//! it, and what its backup records about the write.

use crate::api::WorkPool;
use crate::backup;
use crate::commands::outcome::Report;
use serde_json::Value;
use std::sync::Arc;

/// A pool whose merged template (its report's `merged`) is to be written.
#[derive(Debug)]
pub(crate) struct Pending {
    /// The pool as poolsync read it (the conflict check compares against it).
    pub pool: WorkPool,
    /// What the backup records besides the pool: the kind of write, the default merged in
    /// (the next base once the write is confirmed) and the base used.
    pub record: Record,
    /// The report so far; the write sets its outcome.
    pub report: Report,
}

impl Pending {
    /// What to write: the merged template of the report.
    pub(crate) fn template(&self) -> &Value {
        self.report.merged.as_ref().unwrap_or(&Value::Null)
    }
}

/// What a backup records about the write it precedes.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// An update or a rollback.
    pub kind: backup::Kind,
    /// The default merged in (shared by every pool of its type).
    pub default: Option<Arc<Value>>,
    /// The base the merge used (for a rollback: the base that belongs to the restored template).
    pub base: Option<Value>,
    /// Where that base came from, as reported.
    pub base_origin: Option<String>,
    /// For a rollback: the `created` time of the backup restored.
    pub restored: Option<String>,
}
