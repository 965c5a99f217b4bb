//! Keeping credentials out of what poolsync echoes from a server: a server (or a proxy)
//! that reflects request headers would otherwise get the API key or auth string printed in
//! an error or in `-v`. Every body text shown goes through [`Redactor::apply`].

use crate::config::Auth;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use std::fmt;

/// What replaces a credential.
const MARK: &str = "[redacted]";
/// Shorter fragments are not searched for: they would shred ordinary text.
const MIN_NEEDLE: usize = 4;

/// The forms of the credentials to blank out of any text: raw, JSON-escaped, and base64
/// (standard and URL-safe alphabets, at each of the three byte alignments, so a secret
/// inside a longer encoded string is found too).
#[derive(Default)]
pub(crate) struct Redactor {
    needles: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} needles)", self.needles.len())
    }
}

impl Redactor {
    /// The redactor of the credentials in `auth`: a Bearer key; a Basic `user:password`
    /// pair, its base64 (the header's value) and its password; and of the values of the
    /// custom headers (`PREFECT_CLIENT_CUSTOM_HEADERS`), which may carry a secret too (a
    /// Cloudflare Access client secret, say).
    pub(super) fn new(auth: &Auth, custom_headers: &[(String, String)]) -> Redactor {
        let mut secrets: Vec<String> = match auth {
            Auth::None => Vec::new(),
            Auth::Bearer(key) => vec![key.expose().to_string()],
            Auth::Basic(pair) => {
                let pair = pair.expose();
                let password = pair.split_once(':').map(|(_, p)| p.to_string());
                // The header carries the pair's base64, which an echo may encode again.
                [pair.to_string(), STANDARD.encode(pair)]
                    .into_iter()
                    .chain(password)
                    .collect()
            }
        };
        secrets.extend(custom_headers.iter().map(|(_, value)| value.clone()));
        let mut needles: Vec<String> = secrets.iter().flat_map(|s| forms(s)).collect();
        needles.retain(|n| n.len() >= MIN_NEEDLE);
        // Longest first, so a whole encoding is replaced before any fragment of it.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        Redactor { needles }
    }

    /// `text` with every form of the credentials replaced by `[redacted]`.
    pub(crate) fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), MARK);
            }
        }
        out
    }
}

/// The forms one secret can take in a reflected body.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    if let Ok(quoted) = serde_json::to_string(secret) {
        forms.push(quoted.trim_matches('"').to_string());
    }
    let bytes = secret.as_bytes();
    for engine in [&STANDARD, &URL_SAFE] {
        forms.push(engine.encode(bytes));
        // Wherever the secret starts inside a longer encoded string, the whole 3-byte
        // groups of it from one of these offsets on encode the same way.
        for skip in 0..3 {
            let rest = bytes.get(skip..).unwrap_or_default();
            let whole = &rest[..rest.len() / 3 * 3];
            if whole.len() >= 6 {
                forms.push(engine.encode(whole));
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    const KEY: &str = "pnu_SENTINEL_4f9c2a";
    const PAIR: &str = "admin:SENTINEL_pw_77";

    fn leaks(redactor: &Redactor, text: &str, secret: &str) {
        let out = redactor.apply(text);
        assert!(!out.contains(secret), "{secret} in {out}");
        assert!(out.contains(MARK), "{out}");
    }

    #[test]
    fn blanks_keys_raw_escaped_and_base64_at_any_alignment() {
        let bearer = Redactor::new(&Auth::Bearer(Secret::new(KEY)), &[]);
        leaks(&bearer, &format!("echo: Authorization: Bearer {KEY}"), KEY);
        for prefix in ["", "x", "xy", "xyz"] {
            let encoded = STANDARD.encode(format!("{prefix}Authorization: Bearer {KEY}!"));
            let out = bearer.apply(&encoded);
            assert!(out.contains(MARK), "{prefix:?}: {out}");
            // No 8-character run of the key's encoding at any alignment survives.
            for skip in 0..3 {
                let core = STANDARD.encode(&KEY.as_bytes()[skip..skip + 6]);
                assert!(!out.contains(&core), "{prefix:?}/{skip}: {out}");
            }
        }
        let url_safe = URL_SAFE.encode(KEY);
        leaks(&bearer, &url_safe, &url_safe);
    }

    #[test]
    fn blanks_the_basic_pair_and_password() {
        let basic = Redactor::new(&Auth::Basic(Secret::new(PAIR)), &[]);
        let header = format!("Basic {}", STANDARD.encode(PAIR));
        leaks(
            &basic,
            &format!(r#"{{"headers": {{"authorization": "{header}"}}}}"#),
            &STANDARD.encode(PAIR),
        );
        leaks(&basic, "password=SENTINEL_pw_77", "SENTINEL_pw_77");
        let quoted = Redactor::new(&Auth::Bearer(Secret::new("a\"b\\c-long")), &[]);
        leaks(&quoted, r#"{"k": "a\"b\\c-long"}"#, r#"a\"b\\c-long"#);
    }

    #[test]
    fn blanks_custom_header_values() {
        let headers = [(
            "CF-Access-Client-Secret".to_string(),
            "cf_SENTINEL_0b7e".to_string(),
        )];
        let redactor = Redactor::new(&Auth::None, &headers);
        leaks(
            &redactor,
            r#"{"cf-access-client-secret": "cf_SENTINEL_0b7e"}"#,
            "cf_SENTINEL_0b7e",
        );
        leaks(
            &redactor,
            &STANDARD.encode("x: cf_SENTINEL_0b7e"),
            &STANDARD.encode("cf_SENTINEL_0b7e"),
        );
    }

    #[test]
    fn leaves_other_text_alone() {
        let none = Redactor::new(&Auth::None, &[]);
        assert_eq!(none.apply("Work pool not found."), "Work pool not found.");
        let short = Redactor::new(&Auth::Basic(Secret::new("u:p")), &[]);
        assert_eq!(short.apply("up u:p pup"), "up u:p pup");
        assert!(
            !format!("{:?}", Redactor::new(&Auth::Bearer(Secret::new(KEY)), &[])).contains(KEY)
        );
    }
}
