//! Pure rendering of the change between two templates: a unified text diff of the
//! pretty-printed JSON, and RFC 6902 JSON Patch operations.

use serde_json::Value;

/// A unified diff of the two templates pretty-printed with sorted keys; empty when equal.
/// `color` adds ANSI colours (red removals, green additions, cyan hunk headers).
pub fn unified(old: &Value, new: &Value, old_label: &str, new_label: &str, color: bool) -> String {
    let _ = (old, new, old_label, new_label, color);
    todo!("helper")
}

/// The RFC 6902 operations that turn `old` into `new`.
pub fn json_patch(old: &Value, new: &Value) -> Value {
    let _ = (old, new);
    todo!("helper")
}
