//! TLS for both clients: the platform's roots plus `PREFECT_API_SSL_CERT_FILE`'s, checked
//! the way curl and Python's `ssl` check them, or no check at all under
//! `PREFECT_API_TLS_INSECURE_SKIP_VERIFY`.
//!
//! One difference from webpki is made up for: a self-signed certificate made with a plain
//! `openssl req -x509` is marked as a CA (`basicConstraints CA:TRUE`), and webpki refuses a
//! CA as the server's own certificate (`CaUsedAsEndEntity`). OpenSSL accepts it when it is
//! in the CA file, and so does poolsync: when the server presents exactly a certificate of
//! the CA file, and webpki's only objection is that it is a CA (its dates were checked
//! before that), the server name is checked and the certificate taken.

use crate::error::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

/// The certificates of the PEM file `PREFECT_API_SSL_CERT_FILE` names; refused when it
/// cannot be parsed or holds none (a file of anything else would silently change nothing).
pub(super) fn roots(path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject as _;
    let refuse = |why: String| Error::Setting {
        name: "PREFECT_API_SSL_CERT_FILE".into(),
        message: format!(
            "{} {why}; give a PEM file of the CA certificates (-----BEGIN CERTIFICATE-----) \
             that signed the server's certificate",
            path.display()
        ),
    };
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| refuse(format!("is not a valid PEM file ({e})")))?;
    match certs.is_empty() {
        true => Err(refuse("holds no certificate".into())),
        false => Ok(certs),
    }
}

/// The rustls settings: the platform's roots plus `roots`, or any certificate when
/// `insecure`. ALPN is left to the caller.
pub(super) fn client_config(
    insecure: bool,
    roots: &[CertificateDer<'static>],
) -> Result<rustls::ClientConfig> {
    let bad = |e: rustls::Error| Error::Setting {
        name: "tls".into(),
        message: format!("{e}; check PREFECT_API_SSL_CERT_FILE"),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(bad)?;
    let verifier: Arc<dyn ServerCertVerifier> = match insecure {
        true => Arc::new(AnyCertificate(provider)),
        false => Arc::new(Pinned {
            platform: rustls_platform_verifier::Verifier::new_with_extra_roots(
                roots.iter().cloned(),
                provider,
            )
            .map_err(bad)?,
            roots: roots.to_vec(),
        }),
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// The platform's verifier, plus the certificates of the CA file taken as they are.
#[derive(Debug)]
struct Pinned {
    platform: rustls_platform_verifier::Verifier,
    roots: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let refused = match self.platform.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(refused) => refused,
        };
        let given = self
            .roots
            .iter()
            .any(|root| root.as_ref() == end_entity.as_ref());
        if !(given && is_ca_used_as_end_entity(&refused)) {
            return Err(refused);
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.platform.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.platform.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.platform.supported_verify_schemes()
    }
}

/// Whether webpki's objection is that the server's certificate is a CA. rustls passes that
/// error on only as an opaque `Other`, so it is recognised by its name.
fn is_ca_used_as_end_entity(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))
            if format!("{other:?}").contains("CaUsedAsEndEntity")
    )
}

/// Whether an error (or one of its causes) is a certificate the client refused, or one the
/// server refused (a bad client setting): sending again cannot help. The TLS error sits
/// inside `io::Error`s (nested, as the connectors wrap it), which hide it from `source()`.
pub(super) fn is_certificate_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::AlertReceived(
                        rustls::AlertDescription::BadCertificate
                            | rustls::AlertDescription::UnknownCA
                            | rustls::AlertDescription::CertificateUnknown
                    )
            );
        }
        let wrapped = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref);
        next = match wrapped {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    false
}

/// Takes any certificate (the user turned verification off), still checking that the
/// handshake is signed by the certificate presented.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused_by_name() {
        for text in [
            "",
            "not a certificate\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let error = roots(Path::new("ca.pem"), text.as_bytes())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.contains("PREFECT_API_SSL_CERT_FILE") && error.contains("ca.pem"),
                "{text:?}: {error}"
            );
        }
    }

    #[test]
    fn both_verification_modes_build() {
        for insecure in [false, true] {
            assert!(client_config(insecure, &[]).is_ok(), "insecure={insecure}");
        }
    }

    #[test]
    fn certificate_errors_are_found_through_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::other(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
        assert!(is_certificate_error(&io));
        assert!(!is_certificate_error(&std::io::Error::other(
            "connection refused"
        )));
    }
}
