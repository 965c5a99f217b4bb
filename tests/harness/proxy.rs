//! A forwarding proxy in front of the real server, for what must happen at an exact point
//! of a run: `hook` sees every request before it is forwarded (and may act on the real
//! server, say delete pools). It may answer the request itself (a status and a JSON body;
//! the server never sees it); otherwise the request goes on unchanged and its answer comes
//! back as the server gave it, 503s included.

use super::live::api_url;
use super::raw::{Sent, read_request};
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// What the hook says of one request: `None` forwards it.
pub(crate) type Answer = Option<(u16, serde_json::Value)>;

/// Starts the proxy; returns its API URL (same path as the real server's).
pub(crate) fn forward(hook: impl Fn(&Sent) -> Answer + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let real = api_url().to_string();
    let path = real.splitn(4, '/').nth(3).unwrap_or_default().to_string();
    let url = format!("http://{}/{path}", listener.local_addr().expect("addr"));
    let origin = real.trim_end_matches(&format!("/{path}")).to_string();
    let hook = Arc::new(hook);
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("proxy client");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (hook, client, origin) = (hook.clone(), client.clone(), origin.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("stream"));
                let mut stream = stream;
                while let Some(sent) = read_request(&mut reader) {
                    let reply = match hook(&sent) {
                        Some((status, body)) => reply(status, "application/json", body.to_string()),
                        None => relay(&client, &origin, &sent),
                    };
                    if stream.write_all(&reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// Sends `sent` on to the real server; the raw HTTP/1.1 answer to write back.
fn relay(client: &reqwest::blocking::Client, origin: &str, sent: &Sent) -> Vec<u8> {
    let mut parts = sent.line.split(' ');
    let (method, target) = (parts.next().unwrap_or("GET"), parts.next().unwrap_or("/"));
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client.request(method, format!("{origin}{target}"));
    for (name, value) in &sent.headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            request = request.header(name, value);
        }
    }
    let (status, kind, body) = match request.body(sent.body.clone()).send() {
        Ok(response) => {
            let status = response.status().as_u16();
            let kind = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string();
            (
                status,
                kind,
                response.bytes().map(|b| b.to_vec()).unwrap_or_default(),
            )
        }
        Err(e) => (502, "text/plain".into(), e.to_string().into_bytes()),
    };
    reply(status, &kind, body)
}

/// A raw HTTP/1.1 answer.
fn reply(status: u16, kind: &str, body: impl Into<Vec<u8>>) -> Vec<u8> {
    let body = body.into();
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let mut reply = head.into_bytes();
    reply.extend(body);
    reply
}
