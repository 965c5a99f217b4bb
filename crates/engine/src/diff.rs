//! Pure rendering of the change between two templates: a unified text diff of the
//! pretty-printed JSON, and RFC 6902 JSON Patch operations.

use crate::display::escape;
use json_patch::PatchOperation;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};

/// Lines of unchanged context around each change in [`unified`].
const CONTEXT_LINES: usize = 3;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// A unified diff of the two templates pretty-printed with sorted keys; empty when equal.
/// `color` adds ANSI colours (red removals, green additions, cyan hunk headers).
pub fn unified(old: &Value, new: &Value, old_label: &str, new_label: &str, color: bool) -> String {
    let old_text = pretty(old);
    let new_text = pretty(new);
    if old_text == new_text {
        return String::new();
    }
    let diff = TextDiff::from_lines(&old_text, &new_text);
    let mut udiff = diff.unified_diff();
    udiff.context_radius(CONTEXT_LINES);

    let paint = |out: &mut String, code: &str, text: &str| {
        if color {
            out.push_str(code);
            out.push_str(text);
            out.push_str(RESET);
        } else {
            out.push_str(text);
        }
        out.push('\n');
    };

    let mut out = String::new();
    paint(&mut out, BOLD, &format!("--- {}", escape(old_label)));
    paint(&mut out, BOLD, &format!("+++ {}", escape(new_label)));
    for hunk in udiff.iter_hunks() {
        paint(&mut out, CYAN, &hunk.header().to_string());
        for change in hunk.iter_changes() {
            let line = change.value();
            // serde_json leaves C1 controls and bidi overrides raw inside strings.
            let line = escape(line.strip_suffix('\n').unwrap_or(line));
            match change.tag() {
                ChangeTag::Delete => paint(&mut out, RED, &format!("-{line}")),
                ChangeTag::Insert => paint(&mut out, GREEN, &format!("+{line}")),
                ChangeTag::Equal => {
                    out.push(' ');
                    out.push_str(&line);
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// The RFC 6902 operations that turn `old` into `new`.
pub fn json_patch(old: &Value, new: &Value) -> Value {
    let patch = json_patch::diff(old, new);
    Value::Array(patch.iter().map(operation).collect())
}

/// How many operations [`json_patch`] has for `old` and `new` (none of them built).
pub fn changes(old: &Value, new: &Value) -> usize {
    json_patch::diff(old, new).len()
}

/// [`json_patch`] as compact JSON text, with how many operations it holds: worked out once
/// where both templates are trees, and written out as it is by whoever shows it. `None` for
/// the text only if serde_json would not render it.
pub fn json_patch_text(old: &Value, new: &Value) -> (usize, Option<Box<RawValue>>) {
    let patch = json_patch::diff(old, new);
    let operations: Vec<Value> = patch.iter().map(operation).collect();
    (
        operations.len(),
        serde_json::value::to_raw_value(&operations).ok(),
    )
}

/// A copy of `value` with every object's keys sorted, recursively (arrays keep their order).
pub(crate) fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key.clone(), sorted(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// `value` with sorted keys, pretty-printed with a 2-space indent and a trailing newline.
fn pretty(value: &Value) -> String {
    // `{:#}` is serde_json's infallible pretty printer (2-space indent).
    format!("{:#}\n", sorted(value))
}

/// One patch operation as its RFC 6902 JSON object, built field by field (infallible).
fn operation(op: &PatchOperation) -> Value {
    match op {
        PatchOperation::Add(op) => {
            json!({"op": "add", "path": op.path.as_str(), "value": op.value})
        }
        PatchOperation::Remove(op) => json!({"op": "remove", "path": op.path.as_str()}),
        PatchOperation::Replace(op) => {
            json!({"op": "replace", "path": op.path.as_str(), "value": op.value})
        }
        PatchOperation::Move(op) => {
            json!({"op": "move", "from": op.from.as_str(), "path": op.path.as_str()})
        }
        PatchOperation::Copy(op) => {
            json!({"op": "copy", "from": op.from.as_str(), "path": op.path.as_str()})
        }
        PatchOperation::Test(op) => {
            json!({"op": "test", "path": op.path.as_str(), "value": op.value})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn plain(old: &Value, new: &Value) -> String {
        unified(old, new, "old", "new", false)
    }

    #[test]
    fn equal_values_give_an_empty_diff() {
        let value = json!({"a": 1, "b": [1, 2]});
        assert_eq!(plain(&value, &value), "");
    }

    #[test]
    fn key_order_does_not_matter() {
        let old = json!({"a": 1, "b": {"x": 1, "y": 2}});
        let new = json!({"b": {"y": 2, "x": 1}, "a": 1});
        assert_eq!(plain(&old, &new), "");
    }

    #[test]
    fn sorted_sorts_keys_recursively_and_keeps_array_order() {
        let value = json!({"b": [{"z": 1, "a": 2}, 3, 1], "a": {"d": 1, "c": 2}});
        let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
        let got = sorted(&value);
        assert_eq!(keys(&got), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(
            keys(&got["a"]),
            Some(vec!["c".to_string(), "d".to_string()])
        );
        assert_eq!(
            keys(&got["b"][0]),
            Some(vec!["a".to_string(), "z".to_string()])
        );
        assert_eq!(got["b"], json!([{"a": 2, "z": 1}, 3, 1]));
    }

    #[test]
    fn added_key() {
        let old = json!({"a": 1, "b": 2});
        let new = json!({"a": 1, "b": 2, "c": 3});
        let expected = "\
--- old
+++ new
@@ -1,4 +1,5 @@
 {
   \"a\": 1,
-  \"b\": 2
+  \"b\": 2,
+  \"c\": 3
 }
";
        assert_eq!(plain(&old, &new), expected);
    }

    #[test]
    fn changed_scalar_with_three_lines_of_context() {
        let old = json!({
            "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6,
            "g": 7, "h": 8, "i": 9, "j": 10, "k": 11, "l": 12
        });
        let mut new = old.clone();
        new["l"] = json!(0);
        new["a"] = json!(0);
        let expected = "\
--- before
+++ after
@@ -1,5 +1,5 @@
 {
-  \"a\": 1,
+  \"a\": 0,
   \"b\": 2,
   \"c\": 3,
   \"d\": 4,
@@ -10,5 +10,5 @@
   \"i\": 9,
   \"j\": 10,
   \"k\": 11,
-  \"l\": 12
+  \"l\": 0
 }
";
        assert_eq!(unified(&old, &new, "before", "after", false), expected);
    }

    #[test]
    fn removed_key() {
        let old = json!({"env": {"A": "1"}, "image": "prefecthq/prefect:3-latest"});
        let new = json!({"image": "prefecthq/prefect:3-latest"});
        let expected = "\
--- old
+++ new
@@ -1,6 +1,3 @@
 {
-  \"env\": {
-    \"A\": \"1\"
-  },
   \"image\": \"prefecthq/prefect:3-latest\"
 }
";
        assert_eq!(plain(&old, &new), expected);
    }

    #[test]
    fn colour_marks_headers_hunks_removals_and_additions() {
        let old = json!({"a": 1});
        let new = json!({"a": 2});
        let expected = "\
\x1b[1m--- old\x1b[0m
\x1b[1m+++ new\x1b[0m
\x1b[36m@@ -1,3 +1,3 @@\x1b[0m
 {
\x1b[31m-  \"a\": 1\x1b[0m
\x1b[32m+  \"a\": 2\x1b[0m
 }
";
        assert_eq!(unified(&old, &new, "old", "new", true), expected);
    }

    #[test]
    fn no_escape_codes_without_colour() {
        let got = plain(&json!({"a": 1}), &json!({"a": 2, "b": [true]}));
        assert!(!got.is_empty(), "expected a diff");
        assert!(!got.contains('\x1b'), "unexpected escape code in {got:?}");
    }

    #[test]
    fn c1_controls_and_bidi_overrides_are_escaped() {
        let got = plain(
            &json!({"a": "x"}),
            &json!({"a": "\u{9b}2J\u{202e}evil\u{2066}", "b\u{85}": 1}),
        );
        for raw in ['\u{9b}', '\u{202e}', '\u{2066}', '\u{85}'] {
            assert!(!got.contains(raw), "{raw:?} printed raw in {got:?}");
        }
        assert!(
            got.contains(r#"+  "a": "\u{9b}2J\u{202e}evil\u{2066}""#),
            "{got}"
        );
    }

    #[test]
    fn json_patch_lists_rfc6902_operations() {
        let old = json!({"a": 1, "b": 2});
        let new = json!({"a": 5, "c": {"d": "x/y"}});
        let got = json_patch(&old, &new);
        assert_eq!(
            got,
            json!([
                {"op": "replace", "path": "/a", "value": 5},
                {"op": "add", "path": "/c", "value": {"d": "x/y"}},
                {"op": "remove", "path": "/b"},
            ])
        );
        assert_eq!(changes(&old, &new), 3, "the count of those operations");
        assert_eq!(changes(&new, &new), 0);
        let (count, text) = json_patch_text(&old, &new);
        let text = text.map(|t| t.get().to_string());
        assert_eq!(
            (count, text),
            (3, Some(got.to_string())),
            "the same patch as text"
        );
        let same = json_patch_text(&new, &new);
        assert_eq!(
            (same.0, same.1.map(|t| t.get().to_string())),
            (0, Some("[]".into()))
        );
    }

    #[test]
    fn json_patch_applied_to_old_gives_new() {
        let old = json!({
            "job_configuration": {"image": "{{ image }}", "env": "{{ env }}"},
            "variables": {"properties": {"image": {"default": "a"}, "env": {}, "x/y": [1, 2]}}
        });
        let new = json!({
            "job_configuration": {"image": "{{ image }}", "pip_packages": "{{ pip_packages }}"},
            "variables": {"properties": {"image": {"default": "b"}, "pip_packages": {}, "x/y": [2]}}
        });
        let ops: Vec<PatchOperation> = match serde_json::from_value(json_patch(&old, &new)) {
            Ok(ops) => ops,
            Err(err) => panic!("json_patch output is not a valid patch: {err}"),
        };
        let mut doc = old.clone();
        if let Err(err) = json_patch::patch(&mut doc, &ops) {
            panic!("patch does not apply: {err}");
        }
        assert_eq!(doc, new);
        assert_eq!(json_patch(&new, &new), json!([]));
    }
}
