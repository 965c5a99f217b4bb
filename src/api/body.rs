//! Reading a response body with a ceiling: no Prefect answer comes near 64 MiB (the same
//! cap as input files), and a server that sends more is refused before it fills memory.

use super::wire::{Body, Failure};
use crate::error::{Error, Result};
use bytes::{Bytes, BytesMut};

/// The largest response body read.
pub(super) const MAX_BODY: usize = 64 * 1024 * 1024;

/// Reads a body of `announced` bytes (if the server said), at most [`MAX_BODY`]. The
/// outer error is a body over the cap (final); the inner one a transport failure
/// mid-body (which the caller may retry).
pub(super) async fn read(
    body: Body,
    announced: Option<u64>,
    method: &reqwest::Method,
    url: &str,
) -> Result<Result<Bytes, Failure>> {
    read_capped(body, announced, MAX_BODY, method, url).await
}

async fn read_capped(
    mut response: Body,
    announced: Option<u64>,
    cap: usize,
    method: &reqwest::Method,
    url: &str,
) -> Result<Result<Bytes, Failure>> {
    let too_large = || Error::ResponseTooLarge {
        method: method.to_string(),
        url: url.to_string(),
        limit_mib: cap / (1024 * 1024),
    };
    let announced = announced.unwrap_or(0);
    if announced > cap as u64 {
        return Err(too_large());
    }
    // Trust the announced length only as a hint for the first allocation.
    let mut body = BytesMut::with_capacity((announced as usize).min(1024 * 1024));
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(Ok(body.freeze())),
            Err(e) => return Ok(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn get(server: &MockServer, cap: usize) -> Result<Result<Bytes, Failure>> {
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
        let whole = get(&server, 3 * 1024 * 1024).await.unwrap().unwrap();
        assert_eq!(whole.len(), 3 * 1024 * 1024);
        let err = get(&server, 2 * 1024 * 1024).await.unwrap_err().to_string();
        assert!(err.contains("larger than 2 MiB"), "{err}");
        assert!(err.contains(&server.uri()), "{err}");
    }
}
