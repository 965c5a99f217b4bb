//! JSON pointers (RFC 6901): [`Pointer`] locates a value inside a document (a template, a
//! policy) and is how every finding says where it is. It prints the whole document (the
//! empty pointer) as `/`, and serializes as its plain text.

use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// A JSON pointer: `""` is the whole document, `/a/0/b~1c` the key `b/c` of the first
/// element of `a`. Its text is kept escaped, as RFC 6901 writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pointer(String);

impl Pointer {
    /// The pointer to the whole document (`""`, printed as `/`).
    pub fn root() -> Pointer {
        Pointer(String::new())
    }

    /// The escaped text, as RFC 6901 writes it (`""` for the whole document).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Appends one reference token (a key, or an index), escaping it.
    pub fn push(&mut self, token: impl fmt::Display) {
        let token = token.to_string();
        self.0.push('/');
        self.0.push_str(&Pointer::escape(&token));
    }

    /// This pointer with one more reference token (escaped), e.g. `/a` -> `/a/b~1c`.
    #[must_use]
    pub fn child(&self, token: impl fmt::Display) -> Pointer {
        let mut child = self.clone();
        child.push(token);
        child
    }

    /// Escapes one reference token (`~` as `~0`, `/` as `~1`); not copied when it has neither.
    pub fn escape(token: &str) -> Cow<'_, str> {
        // Bytes, not chars: a pointer is written for every key a merge walks.
        if token.bytes().any(|b| b == b'~' || b == b'/') {
            Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
        } else {
            Cow::Borrowed(token)
        }
    }
}

impl fmt::Display for Pointer {
    /// The escaped text; the whole document prints as `/`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "/" } else { &self.0 })
    }
}

impl Serialize for Pointer {
    /// The escaped text as it is (`""` for the whole document), as JSON output always had it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A pointer from its escaped text, e.g. `/Statement/0/Principal` (taken as it is).
impl From<String> for Pointer {
    fn from(text: String) -> Pointer {
        Pointer(text)
    }
}

/// A pointer from its escaped text, e.g. `/Statement/0/Principal` (taken as it is).
impl From<&str> for Pointer {
    fn from(text: &str) -> Pointer {
        Pointer(text.to_string())
    }
}

/// A pointer from its escaped text (taken as it is).
impl From<&String> for Pointer {
    fn from(text: &String) -> Pointer {
        Pointer(text.clone())
    }
}

/// The escaped text, to search and compare (`starts_with`, `strip_prefix`...); `""` for the
/// whole document. Only [`Display`](fmt::Display) prints the whole document as `/`.
impl std::ops::Deref for Pointer {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Pointer {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Pointer {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Pointer {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Pointer {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn escapes_pointer_tokens() {
        assert_eq!(Pointer::escape("a/b~c"), "a~1b~0c");
        assert!(matches!(Pointer::escape("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn builds_and_prints() {
        let root = Pointer::root();
        assert_eq!(root.to_string(), "/");
        assert_eq!(root.as_str(), "");
        let mut p = root.child("variables").child("a/b~c");
        p.push(0);
        assert_eq!(p.as_str(), "/variables/a~1b~0c/0");
        assert_eq!(p.to_string(), "/variables/a~1b~0c/0");
    }

    #[test]
    fn serializes_as_its_text() {
        let json = serde_json::to_string(&(Pointer::root(), Pointer::from("/a~1b"))).ok();
        assert_eq!(json.as_deref(), Some(r#"["","/a~1b"]"#));
    }
}
