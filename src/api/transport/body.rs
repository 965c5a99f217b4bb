//! Reading a response body with a ceiling: no Prefect answer comes near 64 MiB (the same
//! cap as input files), and a server that sends more is refused before it fills memory.

use super::wire::{Body, Fault};
use crate::error::Error;
use bytes::{Bytes, BytesMut};

/// The largest response body read.
pub(super) const MAX_BODY: usize = 64 * 1024 * 1024;

/// Reads a body of `announced` bytes (if the server said), at most [`MAX_BODY`]. A body
/// over the cap is [`Fault::Fatal`]; a transport failure mid-body [`Fault::Lost`] (which
/// the caller may retry).
pub(super) async fn read(
    body: Body,
    announced: Option<u64>,
    method: &reqwest::Method,
    url: &str,
) -> Result<Bytes, Fault> {
    read_capped(body, announced, MAX_BODY, method, url).await
}

async fn read_capped(
    mut response: Body,
    announced: Option<u64>,
    cap: usize,
    method: &reqwest::Method,
    url: &str,
) -> Result<Bytes, Fault> {
    let too_large = || Error::ResponseTooLarge {
        method: method.to_string(),
        url: url.to_string(),
        limit_mib: cap / (1024 * 1024),
    };
    let announced = announced.unwrap_or(0);
    if announced > cap as u64 {
        return Err(Fault::Fatal(too_large()));
    }
    // Trust the announced length only as a hint for the first allocation.
    let mut body = BytesMut::with_capacity((announced as usize).min(1024 * 1024));
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err(Fault::Fatal(too_large()));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            Err(e) => return Err(Fault::Lost(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn get(server: &MockServer, cap: usize) -> Result<Bytes, Fault> {
        let url = server.uri();
        let response = reqwest::get(&url).await.unwrap();
        let announced = response.content_length();
        read_capped(
            Body::Http(response),
            announced,
            cap,
            &reqwest::Method::GET,
            &url,
        )
        .await
    }

    #[tokio::test]
    async fn reads_up_to_the_cap_and_refuses_more() {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 3 * 1024 * 1024]))
            .mount(&server)
            .await;
        let whole = get(&server, 3 * 1024 * 1024).await.unwrap();
        assert_eq!(whole.len(), 3 * 1024 * 1024);
        let Err(Fault::Fatal(err)) = get(&server, 2 * 1024 * 1024).await else {
            panic!("a body over the cap is final");
        };
        let err = err.to_string();
        assert!(err.contains("larger than 2 MiB"), "{err}");
        assert!(err.contains(&server.uri()), "{err}");
    }
}
