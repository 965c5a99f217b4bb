//! Building request paths: the percent-encoding of a path segment ([`encode`], which
//! `poolsync::encode` re-exports) and the path of one pool ([`pool_path`]).

/// Percent-encodes one URL path segment (a pool name).
pub fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `/work_pools/{name}`, the path of one pool. The names `.` and `..` are encoded whole
/// (`%2E`, `%2E%2E`); URL parsers still resolve those as dot segments, so the transport
/// sends such paths through its verbatim client.
pub(super) fn pool_path(name: &str) -> String {
    match name {
        "." | ".." => format!("/work_pools/{}", name.replace('.', "%2E")),
        _ => format!("/work_pools/{}", encode(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::transport::needs_verbatim;
    use pretty_assertions::assert_eq;

    #[test]
    fn encodes_path_segments() {
        assert_eq!(encode("my pool/é"), "my%20pool%2F%C3%A9");
        assert_eq!(encode("k8s-pool_1.x"), "k8s-pool_1.x");
        assert_eq!(encode("?a#b%c\\d"), "%3Fa%23b%25c%5Cd");
    }

    #[test]
    fn pool_paths_survive_url_parsing_or_take_the_verbatim_client() {
        for name in ["...", "..x", ". ", "a/..", "%2E%2E", "?x", "#"] {
            let path = pool_path(name);
            let url = reqwest::Url::parse(&format!("http://h/api{path}")).unwrap();
            assert_eq!(url.path(), format!("/api{path}"), "{name:?}");
            assert_eq!(url.query(), None, "{name:?}");
            assert!(!needs_verbatim(&path), "{name:?}");
        }
        for (name, want) in [(".", "/work_pools/%2E"), ("..", "/work_pools/%2E%2E")] {
            assert_eq!(pool_path(name), want);
            assert!(needs_verbatim(want), "{name:?}");
            // Why: the URL standard resolves encoded dot segments too.
            let url = reqwest::Url::parse(&format!("http://h/api{want}")).unwrap();
            assert_ne!(url.path(), format!("/api{want}"));
        }
    }
}
