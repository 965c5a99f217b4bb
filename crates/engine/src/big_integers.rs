//! Integers beyond 64 bits in JSON text. serde_json reads an integer that fits neither `i64`
//! nor `u64` as a float, so `18446744073709551616` would come back from poolsync as
//! `1.8446744073709552e19`: a template changed without a word. Prefect (Python) keeps such
//! integers exactly. poolsync refuses them instead, naming each by its JSON pointer, before
//! anything is sent; the text is checked before it is parsed into a `Value`.

use serde_json::value::RawValue;
use std::collections::HashMap;

/// Digits an integer needs at least to overflow 64 bits (`u64::MAX` has 20): a text without
/// a run this long is passed without a closer look.
const SHORTEST: usize = 19;

/// The JSON pointers of the integers in `text` that fit neither `i64` nor `u64`, in
/// document order (object members by key). Empty for text that is not valid JSON: its
/// parse reports that.
pub fn find(text: &str) -> Vec<String> {
    if !has_long_digit_run(text) {
        return Vec::new();
    }
    let Ok(raw) = serde_json::from_str::<&RawValue>(text) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    walk(raw, &mut String::new(), &mut found);
    found
}

/// The message for the integers `find` found in `what`, naming the first few.
pub fn refusal(pointers: &[String]) -> String {
    let shown: Vec<&str> = pointers.iter().take(3).map(String::as_str).collect();
    let more = match pointers.len().saturating_sub(shown.len()) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    format!(
        "holds an integer beyond 64 bits at {}{more}, which poolsync cannot keep exactly \
         (it would become a float); write it as a string, or as a smaller number",
        shown.join(", ")
    )
}

fn has_long_digit_run(text: &str) -> bool {
    let mut run = 0;
    for byte in text.bytes() {
        run = if byte.is_ascii_digit() { run + 1 } else { 0 };
        if run >= SHORTEST {
            return true;
        }
    }
    false
}

fn walk(raw: &RawValue, pointer: &mut String, found: &mut Vec<String>) {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'{') => {
            let Ok(members) = serde_json::from_str::<HashMap<String, &RawValue>>(text) else {
                return;
            };
            let mut keys: Vec<&String> = members.keys().collect();
            keys.sort();
            for key in keys {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                walk(members[key], pointer, found);
                pointer.truncate(len);
            }
        }
        Some(b'[') => {
            let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(text) else {
                return;
            };
            for (i, item) in items.into_iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                walk(item, pointer, found);
                pointer.truncate(len);
            }
        }
        Some(b'-' | b'0'..=b'9') if is_wide_integer(text) => found.push(pointer.clone()),
        _ => {}
    }
}

/// Whether a number token is an integer outside both `i64` and `u64`.
fn is_wide_integer(token: &str) -> bool {
    let integer = !token.contains(['.', 'e', 'E']);
    integer && token.parse::<i64>().is_err() && token.parse::<u64>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn names_each_wide_integer_by_pointer() {
        let text = r#"{
            "variables": {"properties": {"n": {"default": 18446744073709551616}}},
            "list": [1, -9223372036854775809, "123456789012345678901234", 1e300],
            "a/b": 100000000000000000000000000000,
            "fits": [18446744073709551615, -9223372036854775808, 1.5e19, 12345678901234567890.5]
        }"#;
        assert_eq!(
            find(text),
            ["/a~1b", "/list/1", "/variables/properties/n/default"]
        );
    }

    #[test]
    fn ordinary_templates_pass_untouched() {
        assert!(find(r#"{"a": 1, "b": [2, 3.5], "c": "x"}"#).is_empty());
        assert!(find(r#"{"id": "1234567890123456789012"}"#).is_empty());
        assert!(find("not json 123456789012345678901").is_empty());
    }

    #[test]
    fn the_refusal_names_the_first_few() {
        let pointers: Vec<String> = (0..5).map(|i| format!("/x/{i}")).collect();
        let message = refusal(&pointers);
        assert!(message.contains("/x/0, /x/1, /x/2 and 2 more"), "{message}");
    }
}
