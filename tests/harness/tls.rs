//! A raw HTTPS/1.1 server on 127.0.0.1 for TLS tests: a certificate made the way a user
//! makes one (`openssl req -x509`, which marks it a CA), served by rustls; each request's
//! line goes to `answer`, like [`super::raw::raw_server`].

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `openssl req -x509` with its defaults (a CA certificate) for 127.0.0.1 and localhost,
/// written to `dir`; returns the certificate's and the key's paths.
pub(crate) fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl req -x509 failed");
    (cert, key)
}

/// Serves HTTPS with `cert` and `key`; returns its API URL and a count of the TLS
/// connections it accepted (handshakes tried).
pub(crate) fn server(
    cert: &Path,
    key: &Path,
    answer: fn(&str) -> (String, bool),
) -> (String, Arc<AtomicUsize>) {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .expect("cert")
        .map(|c| c.expect("cert"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).expect("key");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}/api", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            let config = config.clone();
            std::thread::spawn(move || {
                let Ok(connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let tls = rustls::StreamOwned::new(connection, stream);
                let mut reader = BufReader::new(tls);
                while let Some(line) = request_line(&mut reader) {
                    let (reply, close) = answer(&line);
                    let tls = reader.get_mut();
                    if tls
                        .write_all(reply.as_bytes())
                        .and_then(|()| tls.flush())
                        .is_err()
                        || close
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, accepted)
}

/// Reads one request (line, headers, body) and returns its line.
fn request_line(reader: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        if header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(line.trim_end().to_string())
}
