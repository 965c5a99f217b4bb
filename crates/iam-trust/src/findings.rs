//! The findings a lint collects, in the order it finds them: each an error or a warning
//! with its pointer, message and fix.

use poolsync_engine::finding::{Finding, Level};
use poolsync_engine::pointer::Pointer;

/// The findings of one lint so far.
#[derive(Debug, Default)]
pub(crate) struct Findings(pub(crate) Vec<Finding>);

impl Findings {
    /// Adds an error: the role cannot be assumed as meant, or anyone can assume it.
    pub(crate) fn error(
        &mut self,
        pointer: impl Into<Pointer>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.0
            .push(Finding::graded(Level::Error, pointer, message, fix));
    }

    /// Adds a warning: it works, but trusts more than it needs to.
    pub(crate) fn warning(
        &mut self,
        pointer: impl Into<Pointer>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.0
            .push(Finding::graded(Level::Warning, pointer, message, fix));
    }
}
