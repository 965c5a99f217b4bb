//! Reading JSON documents from files or stdin (`-`), with errors that name the file and
//! the position of a syntax error.

use crate::error::{Error, Result};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// The largest document poolsync reads (templates are kilobytes; this stops a wrong file).
pub(crate) const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a JSON document from `path`, or from stdin when `path` is `-`.
pub(crate) fn read_json(path: &Path) -> Result<Value> {
    let (name, text) = read_text(path)?;
    let value = serde_json::from_str(&text).map_err(|source| Error::Json {
        input: name.clone(),
        source,
    })?;
    let wide = poolsync_engine::big_integers::find(&text);
    if !wide.is_empty() {
        return Err(Error::Shape {
            input: name,
            message: poolsync_engine::big_integers::refusal(&wide),
        });
    }
    Ok(value)
}

/// Reads a JSON document that must be an object (a base job template).
pub(crate) fn read_template(path: &Path) -> Result<Value> {
    let value = read_json(path)?;
    let name = display_name(path);
    if !value.is_object() {
        return Err(Error::Shape {
            input: name,
            message: format!(
                "is a json {}, not an object; a base job template looks like \
                 {{\"job_configuration\": {{...}}, \"variables\": {{...}}}}",
                kind(&value)
            ),
        });
    }
    Ok(value)
}

/// The JSON name of a value's type, for messages.
pub(crate) use poolsync_engine::json_kind as kind;

fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".to_string()
    } else {
        path.display().to_string()
    }
}

/// Reads a UTF-8 text file (or stdin for `-`), at most [`MAX_BYTES`]; returns the name to
/// show for it and its text.
pub(crate) fn read_text(path: &Path) -> Result<(String, String)> {
    let name = display_name(path);
    let io = |source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io)?;
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Err(Error::Shape {
            input: name,
            message: format!(
                "is larger than {} MiB; is it the right file?",
                MAX_BYTES >> 20
            ),
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| Error::Shape {
        input: name.clone(),
        message: format!(
            "is not utf-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    Ok((name, text))
}

/// The history to infer bases from: `--history-file FILE` when given (read once and kept for
/// the life of the process, like the embedded history), else the embedded one.
pub(crate) fn history(file: Option<&Path>) -> Result<&'static poolsync_engine::history::History> {
    let history = match file {
        None => return Ok(poolsync_engine::history::embedded()?),
        Some(path) => poolsync_engine::history::file::from_value(&read_json(path)?, path)?,
    };
    Ok(Box::leak(Box::new(history)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(text: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text).unwrap();
        f
    }

    #[test]
    fn errors_name_the_file_and_position() {
        let f = file(b"{\n  \"a\": 1,\n  oops\n}");
        let err = read_template(f.path()).unwrap_err().to_string();
        assert!(err.contains(&f.path().display().to_string()), "{err}");
        assert!(err.contains("line 3 column 3"), "{err}");
    }

    #[test]
    fn rejects_non_objects_and_non_utf8() {
        let err = read_template(file(b"[1, 2]").path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a json array, not an object"), "{err}");
        let err = read_template(file(b"\"\xff\"").path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not utf-8"), "{err}");
        let err = read_template(Path::new("/nonexistent/t.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("failed to read /nonexistent/t.json"),
            "{err}"
        );
    }
}
