//! TLS to an attested node: the node's TLS key is trusted because the node's evidence
//! binds it, not because someone copied a certificate by hand.
//!
//! The first connection accepts whatever certificate the node presents (the handshake
//! still proves the node holds its key), and the client asks for attestation over it.
//! The evidence binds the SHA-256 of the node's TLS SubjectPublicKeyInfo; the client
//! checks that the connection's certificate carries exactly that key and then pins it:
//! every later connection must present that very key, or the handshake fails. Nothing
//! but the attestation request is sent before the key is pinned. A certificate given
//! by hand (optional) is checked as well, as a root the node's certificate must chain
//! to.

use std::sync::{Arc, OnceLock};

use rustls::DigitallySignedStruct;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use crate::ClientError;

/// The endpoint key a client pinned, once attestation bound it.
pub(crate) type Pin = Arc<OnceLock<[u8; 32]>>;

/// Accepts the node's certificate if it carries the pinned key (any key before one is
/// pinned), and if it chains to the hand-given root when there is one.
#[derive(Debug)]
struct AttestedEndpoint {
    pin: Pin,
    roots: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AttestedEndpoint {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            roots.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        }
        if let Some(pinned) = self.pin.get() {
            let key = strongroom_identity::spki_sha256(end_entity).map_err(|_| {
                rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
            })?;
            if &key != pinned {
                return Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ApplicationVerificationFailure,
                ));
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// An HTTP client whose TLS trusts the key that attestation will pin (see the [module
/// docs](self)), and, if given, the certificate in `pinned_pem` as a root.
pub(crate) fn http_client(pinned_pem: Option<&str>) -> Result<(reqwest::Client, Pin), ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = match pinned_pem {
        None => None,
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert =
                    cert.map_err(|e| ClientError::Setup(format!("node TLS certificate: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| ClientError::Setup(format!("node TLS certificate: {e}")))?;
            }
            if roots.is_empty() {
                return Err(ClientError::Setup(
                    "node TLS certificate: no certificate in the PEM given".into(),
                ));
            }
            let verifier =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| ClientError::Setup(format!("node TLS certificate: {e}")))?;
            Some(verifier)
        }
    };
    let pin: Pin = Arc::new(OnceLock::new());
    let verifier = Arc::new(AttestedEndpoint {
        pin: pin.clone(),
        roots,
        provider: provider.clone(),
    });
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .tls_info(true)
        .pool_max_idle_per_host(256)
        // Large windows: object uploads stream gigabytes over one HTTP/2 stream.
        .http2_adaptive_window(true)
        .http2_initial_stream_window_size(4 * 1024 * 1024)
        .http2_initial_connection_window_size(4 * 1024 * 1024)
        .build()
        .map_err(|e| ClientError::Setup(e.to_string()))?;
    Ok((http, pin))
}
