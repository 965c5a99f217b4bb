//! A raw HTTP/1.1 server for replies wiremock cannot send (a body cut short), and the raw
//! request reader the forwarding proxy shares.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One HTTP/1.1 request as a raw server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    /// `METHOD target HTTP/1.1`, the target exactly as sent.
    pub line: String,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The connection it came on: the raw server numbers them as it accepts them (0 from
    /// anything else).
    pub conn: usize,
}

impl Sent {
    /// The value of header `name` (lowercase), when sent.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let found = self.headers.iter().find(|(n, _)| n == name);
        found.map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 request read off a raw socket.
pub(crate) fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Sent> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let (mut length, mut headers) = (0, Vec::new());
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        if header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.to_ascii_lowercase(), value.trim().to_string());
            if name == "content-length" {
                length = value.parse().ok()?;
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Sent {
        line: line.trim_end().to_string(),
        headers,
        body,
        conn: 0,
    })
}

/// Every request a raw server saw, in order.
pub(crate) type Seen = Arc<Mutex<Vec<Sent>>>;

/// A raw HTTP/1.1 server on 127.0.0.1: `answer(request line, i-th request)` gives the
/// bytes to write and whether to close the connection after them; it never closes an idle
/// connection. Returns its API URL and every request it saw.
pub(crate) fn raw_server(answer: fn(&str, usize) -> (String, bool)) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for (conn, stream) in listener.incoming().flatten().enumerate() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                while let Some(mut sent) = read_request(&mut reader) {
                    sent.conn = conn;
                    let line = sent.line.clone();
                    let n = {
                        let mut log = log.lock().unwrap();
                        log.push(sent);
                        log.len() - 1
                    };
                    let (bytes, close) = answer(&line, n);
                    if stream.write_all(bytes.as_bytes()).is_err() || close {
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

/// A raw HTTP/1.1 reply with this status line (`200 OK`) and JSON body, keeping the
/// connection open.
pub(crate) fn http_json(status: &str, body: &Value) -> (String, bool) {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    (head + &body, false)
}

/// A reply announcing 5000 bytes that sends a few and closes the connection.
pub(crate) fn cut_short() -> (String, bool) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n";
    (format!("{head}{{\"name\": \"k8s\", \"type\""), true)
}
