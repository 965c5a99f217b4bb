//! Pure structural checks of a base job template, matching the Prefect server's own
//! validation: both sections present, every `{{ placeholder }}` defined in `variables`.
//!
//! The server rule (`validate_base_job_template` in `prefect/server/schemas/actions.py`):
//! `{}` is accepted; otherwise `job_configuration` and `variables` must both be truthy, and
//! every placeholder found in `json.dumps(value)` of each `job_configuration` value must be a
//! key of `variables.properties`. The server does not filter by placeholder type: block
//! (`prefect.blocks.`), variable (`prefect.variables.`) and env (`$`) placeholders must be
//! defined too. Non-object sections or `properties` crash the server (HTTP 500), so they are
//! reported here as well.
//!
//! It also checks every variable's `default` against the variable's own schema, as the server
//! does when a pool is created (see `template/defaults.rs`): a PATCH skips that check, so a
//! bad default would otherwise surface only when a worker runs.

pub(crate) mod defaults;

use crate::finding::Finding;
use crate::pointer::Pointer;
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// Whether `byte` may be part of a placeholder's name (see [`names_in`]).
fn name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'[' | b']' | b'$' | b'-')
}

/// What a placeholder refers to, by the prefix of its name (as Prefect classifies them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlaceholderKind {
    /// A job variable, e.g. `{{ image }}`.
    Standard,
    /// A block document, `{{ prefect.blocks.<type>.<name> }}`.
    BlockDocument,
    /// A Prefect variable, `{{ prefect.variables.<name> }}`.
    Variable,
    /// An environment variable, `{{ $NAME }}`.
    EnvVar,
}

impl PlaceholderKind {
    /// The kind of the placeholder named `name`.
    pub(crate) fn of(name: &str) -> Self {
        if name.starts_with("prefect.blocks.") {
            Self::BlockDocument
        } else if name.starts_with("prefect.variables.") {
            Self::Variable
        } else if name.starts_with('$') {
            Self::EnvVar
        } else {
            Self::Standard
        }
    }
}

/// The placeholder names in one string, in order, with repeats: the captures of the server's
/// `{{\s*([\w\.\-\[\]$]+)\s*}}` as it behaves on `json.dumps` output. That text is ASCII
/// with every control character, quote, backslash and non-ASCII character escaped as a
/// sequence starting with `\`, which the pattern cannot match. So on the raw string only
/// ASCII word characters count, and only a plain space counts as whitespace: the regex
/// `\{\{ *([A-Za-z0-9_.\[\]$-]+) *\}\}`, matched by hand (spaces and name characters are
/// disjoint, so a match at each `{{` is one scan with no backtracking; a regex search was a
/// tenth of a merge's CPU). The `names_in_matches_the_regex` test holds it to the regex.
fn names_in(text: &str) -> Names<'_> {
    Names { text, at: 0 }
}

/// The iterator of [`names_in`].
struct Names<'a> {
    text: &'a str,
    /// Where the search goes on (always just after an ASCII byte, a char boundary).
    at: usize,
}

impl<'a> Iterator for Names<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        // A byte search: `str::find` sets up a substring searcher per call, a cost on the
        // short strings templates hold.
        while let Some(found) = bytes
            .get(self.at..)?
            .windows(2)
            .position(|pair| pair == b"{{")
        {
            let open = self.at + found;
            let skip = |mut i: usize, take: fn(u8) -> bool| {
                while bytes.get(i).copied().is_some_and(take) {
                    i += 1;
                }
                i
            };
            let start = skip(open + 2, |b| b == b' ');
            let end = skip(start, name_byte);
            let close = skip(end, |b| b == b' ');
            if end > start && bytes.get(close..close + 2) == Some(&b"}}"[..]) {
                self.at = close + 2;
                return self.text.get(start..end);
            }
            // No match starting at this `{{`: the next may start one byte on (`{{{ x }}`).
            self.at = open + 1;
        }
        None
    }
}

/// Calls `visit(text)` for every object key and string inside `value`, in document order
/// (a key before its value), until it answers false; returns whether it never did.
fn each_text(value: &Value, visit: &mut impl FnMut(&str) -> bool) -> bool {
    match value {
        Value::String(text) => visit(text),
        Value::Array(items) => items.iter().all(|item| each_text(item, visit)),
        Value::Object(map) => map
            .iter()
            .all(|(key, item)| visit(key) && each_text(item, visit)),
        _ => true,
    }
}

/// Whether `value` (its strings and object keys, recursively) holds a placeholder `name`:
/// `placeholders(value)` contains it, found without listing the others.
pub(crate) fn uses(value: &Value, name: &str) -> bool {
    !each_text(value, &mut |text| names_in(text).all(|n| n != name))
}

/// Calls `visit(pointer, text)` for every object key and string inside `value`, in document
/// order (a key before its value, as `json.dumps` writes them). A key's pointer is its member's.
fn walk_strings(value: &Value, pointer: &str, visit: &mut impl FnMut(&str, &str)) {
    walk_strings_at(value, &mut pointer.to_string(), visit);
}

/// [`walk_strings`] with one buffer for every pointer, extended while it walks and left as
/// it was found.
fn walk_strings_at(value: &Value, pointer: &mut String, visit: &mut impl FnMut(&str, &str)) {
    match value {
        Value::String(text) => visit(pointer, text),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = pointer.len();
                // Writing to a String cannot fail.
                let _ = write!(pointer, "/{index}");
                walk_strings_at(item, pointer, visit);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&Pointer::escape(key));
                visit(pointer, key);
                walk_strings_at(item, pointer, visit);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Every placeholder name found in `value` (strings and object keys, recursively), in
/// document order, deduplicated. All kinds are returned, because the server requires every
/// one of them to be a variable; filter with [`PlaceholderKind::of`] if needed. To mirror the
/// server on a whole `job_configuration`, use [`job_placeholders`] (it skips the top-level keys).
pub fn placeholders(value: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    each_text(value, &mut |text| {
        for name in names_in(text) {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        true
    });
    names
}

/// The placeholder names the server requires `variables.properties` to define for this
/// `job_configuration`: those in each of its values (not its own top-level keys), in order,
/// deduplicated. Not an object: none.
pub fn job_placeholders(job_configuration: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for value in job_configuration
        .as_object()
        .into_iter()
        .flat_map(Map::values)
    {
        for name in placeholders(value) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Each placeholder name the server requires for this `job_configuration` (as in
/// [`job_placeholders`]) with the JSON pointer, from the template's root, of the first
/// string that uses it.
pub(crate) fn job_placeholder_uses(job_configuration: &Value) -> Vec<(String, String)> {
    let mut uses: Vec<(String, String)> = Vec::new();
    for (key, value) in job_configuration.as_object().into_iter().flatten() {
        let pointer = format!("/job_configuration/{}", Pointer::escape(key));
        walk_strings(value, &pointer, &mut |at, text| {
            for name in names_in(text) {
                if !uses.iter().any(|(n, _)| n == name) {
                    uses.push((name.to_string(), at.to_string()));
                }
            }
        });
    }
    uses
}

/// Python truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_none_or(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn violation(pointer: &str, value: Option<&Value>, message: String, fix: &str) -> Finding {
    Finding::violation(pointer, value.cloned(), message, fix)
}

/// Checks a base job template the way the Prefect server does before it accepts one.
/// Returns every problem found; an empty list means the server would accept it.
///
/// Undefined placeholders give one violation per string that uses them (a key counts as a
/// string), located at that string; a missing or malformed section stops the check there.
pub fn check(template: &Value) -> Vec<Finding> {
    let Some(top) = template.as_object() else {
        let message = "the base job template is not a json object".to_string();
        let fix = "use an object with \"job_configuration\" and \"variables\", or {}";
        return vec![violation("", Some(template), message, fix)];
    };
    if top.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let sections = [
        (
            "job_configuration",
            "add a non-empty \"job_configuration\" object: the job settings, with {{ placeholders }}",
        ),
        (
            "variables",
            "add a non-empty \"variables\" json schema whose \"properties\" define every placeholder",
        ),
    ];
    for (name, fix) in sections {
        match top.get(name) {
            None => out.push(violation(
                &format!("/{name}"),
                None,
                format!("{name} is missing"),
                fix,
            )),
            Some(value) if !truthy(value) => {
                let message = format!("{name} is empty");
                out.push(violation(&format!("/{name}"), Some(value), message, fix));
            }
            Some(value) if !value.is_object() => {
                let message = format!("{name} is not a json object");
                out.push(violation(&format!("/{name}"), Some(value), message, fix));
            }
            Some(_) => {}
        }
    }
    let (Some(Value::Object(jobs)), Some(Value::Object(variables))) =
        (top.get("job_configuration"), top.get("variables"))
    else {
        return out;
    };
    let empty = Map::new();
    let properties = match variables.get("properties") {
        None => &empty,
        Some(Value::Object(properties)) => properties,
        Some(other) => {
            let message = "variables.properties is not a json object".to_string();
            let fix = "make variables.properties an object mapping each variable to its schema";
            out.push(violation(
                "/variables/properties",
                Some(other),
                message,
                fix,
            ));
            return out;
        }
    };
    for (key, value) in jobs {
        let pointer = format!("/job_configuration/{}", Pointer::escape(key));
        walk_strings(value, &pointer, &mut |at, text| {
            let mut seen: Vec<&str> = Vec::new();
            for name in names_in(text) {
                if properties.contains_key(name) || seen.contains(&name) {
                    continue;
                }
                seen.push(name);
                out.push(undefined(at, text, name));
            }
        });
    }
    out.extend(defaults::check(variables));
    out
}

/// The violation for placeholder `name`, used in `text` at `pointer`, not being a variable.
fn undefined(pointer: &str, text: &str, name: &str) -> Finding {
    let fix = match PlaceholderKind::of(name) {
        PlaceholderKind::Standard => {
            format!("add {name:?} to variables.properties or remove the placeholder")
        }
        _ => format!(
            "the server requires even block, variable and env placeholders in job_configuration \
             to be variables: add {name:?} to variables.properties, or move the reference into a \
             variable's default and use that variable here"
        ),
    };
    Finding::violation(
        pointer,
        Some(Value::String(text.into())),
        format!("placeholder \"{{{{ {name} }}}}\" is not defined in variables.properties"),
        fix,
    )
}

#[cfg(test)]
#[path = "template/tests.rs"]
mod tests;
