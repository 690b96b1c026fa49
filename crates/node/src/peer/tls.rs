//! Node-to-node TLS: both ends present a node certificate (OU `node`, extended key
//! usage `serverAuth` and `clientAuth`) issued by the CA of a consortium organization,
//! and each checks the other's with [`strongroom_identity::verify_node`] against the
//! organizations' roots. A server's certificate must also name the address it was
//! reached at (a subjectAltName DNS name or IP address).
//!
//! The roots are the organizations of the node's settings (the same list a genesis
//! records). A node certificate of any other CA, a member certificate, or no certificate
//! at all fails the handshake: nothing reaches the Raft or join handlers.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use strongroom_identity::{NodeIdentity, verify_node};
use time::OffsetDateTime;

use crate::error::NodeError;

/// The organizations whose node certificates a node accepts: MSP id and root CA, DER.
#[derive(Debug)]
pub struct PeerTrust {
    roots: Vec<(String, Vec<u8>)>,
    provider: Arc<CryptoProvider>,
}

fn bad_certificate(reason: String) -> rustls::Error {
    tracing::warn!(%reason, "refused a peer's node certificate");
    rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
        Arc::new(std::io::Error::other(reason)),
    )))
}

impl PeerTrust {
    /// Trusts the node certificates issued by `roots` (MSP id, root CA DER).
    pub fn new(roots: Vec<(String, Vec<u8>)>) -> Self {
        Self {
            roots,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }

    /// The node `cert` certifies, if an organization's root issued it and it is valid
    /// at `now`.
    pub fn check(&self, cert: &[u8], now: UnixTime) -> Result<NodeIdentity, rustls::Error> {
        let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let at = OffsetDateTime::from_unix_timestamp(secs)
            .map_err(|e| bad_certificate(format!("time: {e}")))?;
        let mut reasons = Vec::new();
        for (msp_id, root) in &self.roots {
            match verify_node(cert, root, msp_id, at) {
                Ok(identity) => return Ok(identity),
                Err(e) => reasons.push(format!("{msp_id}: {e}")),
            }
        }
        Err(bad_certificate(format!(
            "not a node certificate of a consortium organization ({})",
            reasons.join("; ")
        )))
    }

    fn tls12(
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

    fn tls13(
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

    fn schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Checks the client certificate of a peer connecting to this node.
#[derive(Debug)]
struct PeerClients(Arc<PeerTrust>);

impl ClientCertVerifier for PeerClients {
    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.0.check(end_entity, now)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.schemes()
    }
}

/// Checks the server certificate of a peer this node connects to.
#[derive(Debug)]
struct PeerServers(Arc<PeerTrust>);

impl ServerCertVerifier for PeerServers {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let identity = self.0.check(end_entity, now)?;
        let named = match server_name {
            ServerName::DnsName(dns) => identity
                .dns_names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(dns.as_ref())),
            ServerName::IpAddress(ip) => {
                identity.ip_addresses.contains(&std::net::IpAddr::from(*ip))
            }
            _ => false,
        };
        if !named {
            return Err(bad_certificate(format!(
                "node {} of {} is not certified for {server_name:?}",
                identity.name, identity.msp_id
            )));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.schemes()
    }
}

/// This node's certificate (issued by its organization, OU `node`) and private key.
pub struct NodeCredential {
    /// The node's identity.
    pub node: strongroom_identity::Node,
}

impl std::fmt::Debug for NodeCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeCredential")
            .field("msp_id", &self.node.msp_id())
            .field("name", &self.node.name())
            .finish_non_exhaustive()
    }
}

impl NodeCredential {
    /// Reads `<name>.pem` and `<name>.key.pem` (unencrypted) beside it, as `strongroom
    /// node enroll` (`strongroom_identity::Node::save`) writes them.
    pub fn load(cert: &std::path::Path) -> Result<Self, NodeError> {
        let bad = |reason: String| NodeError::File {
            path: cert.to_path_buf(),
            reason,
        };
        let dir = cert.parent().unwrap_or(std::path::Path::new("."));
        let name = cert
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".pem"))
            .ok_or_else(|| bad("a node certificate file is named <node name>.pem".into()))?;
        let node = strongroom_identity::Node::load(dir, name, None)
            .map_err(|e| bad(format!("node credential: {e}")))?;
        Ok(Self { node })
    }

    fn chain_and_key(
        &self,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), NodeError> {
        let key = self
            .node
            .private_key_pkcs8_der()
            .map_err(|e| NodeError::Tls(format!("node key: {e}")))?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec()));
        Ok((
            vec![CertificateDer::from(self.node.cert_der().to_vec())],
            key,
        ))
    }
}

/// The TLS configuration of the peer listener: this node's certificate, and a client
/// certificate required of every peer.
pub fn server_config(
    credential: &NodeCredential,
    trust: &Arc<PeerTrust>,
) -> Result<rustls::ServerConfig, NodeError> {
    let (chain, key) = credential.chain_and_key()?;
    let mut config = rustls::ServerConfig::builder_with_provider(trust.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| NodeError::Tls(e.to_string()))?
        .with_client_cert_verifier(Arc::new(PeerClients(trust.clone())))
        .with_single_cert(chain, key)
        .map_err(|e| NodeError::Tls(format!("node certificate: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The TLS configuration for calling peers: this node's certificate as the client's,
/// and peers' certificates checked as node certificates naming the address called.
pub fn client_config(
    credential: &NodeCredential,
    trust: &Arc<PeerTrust>,
) -> Result<rustls::ClientConfig, NodeError> {
    let (chain, key) = credential.chain_and_key()?;
    let mut config = rustls::ClientConfig::builder_with_provider(trust.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| NodeError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PeerServers(trust.clone())))
        .with_client_auth_cert(chain, key)
        .map_err(|e| NodeError::Tls(format!("node certificate: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}
