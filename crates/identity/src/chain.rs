//! Checking a member or node certificate against its organization's root.
//!
//! The chain is always exactly two certificates: the org root (self-signed, CA) and a
//! leaf it signed. Every rejection names its reason as a distinct [`ChainError`]
//! variant. Checks run in this order, and the first failure is reported:
//!
//! 1. both certificates parse as X.509 v3 DER with nothing after them
//!    ([`ChainError::Malformed`]), use ECDSA P-256 keys and ECDSA-SHA256 signatures
//!    ([`ChainError::UnsupportedAlgorithm`]) and carry no critical extension this crate
//!    does not understand ([`ChainError::UnsupportedCriticalExtension`]);
//! 2. the root: self-issued and self-signed, `CA:true`, `keyCertSign`
//!    ([`ChainError::InvalidRoot`]), valid at `at`, and its O is the expected MSP id;
//! 3. the leaf: issuer name equals the root's subject and its signature verifies under
//!    the root's key ([`ChainError::WrongIssuer`]);
//! 4. the leaf is valid at `at` ([`ChainError::Expired`], [`ChainError::NotYetValid`]);
//! 5. the leaf's usage: not a CA, `digitalSignature`, and for nodes `serverAuth` and
//!    `clientAuth` ([`ChainError::WrongKeyUsage`]);
//! 6. the leaf's O is the expected MSP id ([`ChainError::WrongMsp`]);
//! 7. the leaf's OU is a known role, or `node` for node certificates
//!    ([`ChainError::MissingRole`], [`ChainError::UnknownRole`]).
//!
//! Revocation is not checked here (no CRLs yet).

use std::fmt;
use std::net::IpAddr;

use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{
    OID_SIG_ECDSA_WITH_SHA256, OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
    OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE,
    OID_X509_EXT_SUBJECT_ALT_NAME, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::prelude::FromDer;
use x509_parser::x509::{AttributeTypeAndValue, X509Version};

use crate::issue::NODE_OU;
use crate::role::Role;

/// Which certificate of the two-certificate chain a [`ChainError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificatePosition {
    /// The member or node certificate.
    Leaf,
    /// The organization's root certificate.
    Root,
}

impl fmt::Display for CertificatePosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Leaf => "leaf certificate",
            Self::Root => "root certificate",
        })
    }
}

/// Why the root certificate is not a usable organization root.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootFault {
    /// Its signature does not verify under its own key.
    BadSelfSignature,
    /// Its keyUsage is missing or lacks `keyCertSign`.
    MissingCertificateSigning,
    /// Its basicConstraints are missing or say `CA:false`.
    NotCa,
    /// Its issuer name differs from its subject name.
    NotSelfIssued,
}

/// Why the leaf was not issued by the given root.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuerFault {
    /// The issuer name matches, but the signature does not verify under the root's key.
    BadSignature,
    /// The leaf's issuer name is not the root's subject name.
    NameMismatch,
}

/// Why the leaf may not be used as a member (or node) certificate.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUsageFault {
    /// It is a CA certificate (`CA:true` or `keyCertSign`).
    CaCertificate,
    /// A node certificate lacks the `clientAuth` extended key usage.
    MissingClientAuth,
    /// keyUsage is missing or lacks `digitalSignature`.
    MissingDigitalSignature,
    /// A node certificate lacks the `serverAuth` extended key usage.
    MissingServerAuth,
}

/// Why a certificate chain was rejected. See the [module docs](self) for the order of checks.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The certificate's validity ended before `at`.
    #[error("{position} expired at {not_after} (checked at {at})")]
    Expired {
        /// Which certificate.
        position: CertificatePosition,
        /// End of its validity.
        not_after: OffsetDateTime,
        /// The time of the check.
        at: OffsetDateTime,
    },
    /// The root is not a self-signed CA certificate.
    #[error("root certificate is not a valid organization root: {0:?}")]
    InvalidRoot(RootFault),
    /// The certificate is not well-formed X.509 v3 DER, or a field this crate needs
    /// (O, CN, OU, subjectAltName) is repeated or unreadable.
    #[error("{position} is malformed: {reason}")]
    Malformed {
        /// Which certificate.
        position: CertificatePosition,
        /// What was wrong.
        reason: String,
    },
    /// The leaf has no OU, so no role.
    #[error("member certificate has no role (OU)")]
    MissingRole,
    /// The certificate's validity starts after `at`.
    #[error("{position} is not valid before {not_before} (checked at {at})")]
    NotYetValid {
        /// Which certificate.
        position: CertificatePosition,
        /// Start of its validity.
        not_before: OffsetDateTime,
        /// The time of the check.
        at: OffsetDateTime,
    },
    /// The leaf's OU is not a known role (for node certificates: is not `node`).
    #[error("certificate OU {0:?} is not a known role")]
    UnknownRole(String),
    /// The key is not ECDSA P-256, or the signature is not ECDSA with SHA-256.
    #[error("{position} uses an unsupported algorithm: {reason}")]
    UnsupportedAlgorithm {
        /// Which certificate.
        position: CertificatePosition,
        /// What was found.
        reason: String,
    },
    /// The certificate has a critical extension this crate does not process.
    #[error("{position} has an unsupported critical extension {oid}")]
    UnsupportedCriticalExtension {
        /// Which certificate.
        position: CertificatePosition,
        /// The extension's OID, dotted.
        oid: String,
    },
    /// The leaf was not issued by this root.
    #[error("certificate was not issued by this organization's root: {0:?}")]
    WrongIssuer(IssuerFault),
    /// The leaf's key may not be used for this purpose.
    #[error("certificate has the wrong key usage: {0:?}")]
    WrongKeyUsage(KeyUsageFault),
    /// The certificate's O is not the expected MSP id.
    #[error("{position} belongs to MSP {found:?}, expected {expected:?}")]
    WrongMsp {
        /// Which certificate.
        position: CertificatePosition,
        /// The MSP id the caller expected.
        expected: String,
        /// The certificate's O, if it has one.
        found: Option<String>,
    },
}

/// A verified member certificate.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberIdentity {
    /// The member's organization (its certificate's O).
    pub msp_id: String,
    /// The member's name (its certificate's CN).
    pub name: String,
    /// The member's role (its certificate's OU).
    pub role: Role,
    /// The certified public key.
    pub public_key: p256::PublicKey,
    /// SHA-256 of the certificate's DER.
    pub cert_fingerprint: [u8; 32],
    /// End of the certificate's validity.
    pub not_after: OffsetDateTime,
    /// Start of the certificate's validity.
    pub not_before: OffsetDateTime,
    /// Start of the organization root's validity.
    pub root_not_before: OffsetDateTime,
    /// End of the organization root's validity.
    pub root_not_after: OffsetDateTime,
}

impl MemberIdentity {
    /// Repeats the time-dependent steps of [`verify_member`] for time `at`, with the
    /// same errors in the same order (root first, then leaf). The other checks do not
    /// depend on time, so an identity established once holds at `at` exactly when this
    /// passes: it lets a caller cache the chain check and still check validity at the
    /// time of every use.
    pub fn check_time(&self, at: OffsetDateTime) -> Result<(), ChainError> {
        check_window(
            CertificatePosition::Root,
            self.root_not_before,
            self.root_not_after,
            at,
        )?;
        check_window(
            CertificatePosition::Leaf,
            self.not_before,
            self.not_after,
            at,
        )
    }
}

/// A verified node certificate.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeIdentity {
    /// The node's organization (its certificate's O).
    pub msp_id: String,
    /// The node's name (its certificate's CN).
    pub name: String,
    /// DNS names from subjectAltName.
    pub dns_names: Vec<String>,
    /// IP addresses from subjectAltName.
    pub ip_addresses: Vec<IpAddr>,
    /// The certified public key.
    pub public_key: p256::PublicKey,
    /// SHA-256 of the certificate's DER.
    pub cert_fingerprint: [u8; 32],
    /// End of the certificate's validity.
    pub not_after: OffsetDateTime,
}

/// The P-256 public key a certificate certifies, after the structural checks every
/// certificate gets (one DER certificate, v3, ECDSA with SHA-256, no unknown critical
/// extension). Nothing about its issuer, time or subject is checked.
pub(crate) fn leaf_public_key(cert_der: &[u8]) -> Result<p256::PublicKey, ChainError> {
    let cert = parse(cert_der, CertificatePosition::Leaf)?;
    p256_key(&cert, CertificatePosition::Leaf)
}

/// SHA-256 of a certificate's DER encoding.
pub fn fingerprint(cert_der: &[u8]) -> [u8; 32] {
    Sha256::digest(cert_der).into()
}

/// SHA-256 of a certificate's SubjectPublicKeyInfo (DER): names the key a TLS endpoint
/// presents, whichever certificate carries it. A node's evidence binds it, and clients
/// compare it with the key of their connection.
pub fn spki_sha256(cert_der: &[u8]) -> Result<[u8; 32], ChainError> {
    let malformed = |reason: String| ChainError::Malformed {
        position: CertificatePosition::Leaf,
        reason,
    };
    let (rest, cert) = X509Certificate::from_der(cert_der).map_err(|e| malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} bytes after the certificate",
            rest.len()
        )));
    }
    Ok(Sha256::digest(cert.tbs_certificate.subject_pki.raw).into())
}

/// Checks that `root_der` is a valid organization root for `expected_msp` at `at`:
/// self-issued, self-signed, `CA:true` with `keyCertSign`, within its validity, and
/// with O equal to `expected_msp`.
pub fn verify_root(
    root_der: &[u8],
    expected_msp: &str,
    at: OffsetDateTime,
) -> Result<(), ChainError> {
    let root = parse(root_der, CertificatePosition::Root)?;
    check_root(&root, expected_msp, at)
}

/// Checks a member certificate against its organization's root at time `at`, and
/// returns who it certifies. The root is checked too ([`verify_root`]).
pub fn verify_member(
    cert_der: &[u8],
    org_root_der: &[u8],
    expected_msp: &str,
    at: OffsetDateTime,
) -> Result<MemberIdentity, ChainError> {
    let leaf = Leaf::check(cert_der, org_root_der, expected_msp, at)?;
    let role = match leaf.unit {
        None => return Err(ChainError::MissingRole),
        Some(unit) => unit
            .parse::<Role>()
            .map_err(|_| ChainError::UnknownRole(unit))?,
    };
    Ok(MemberIdentity {
        msp_id: leaf.msp_id,
        name: leaf.name,
        role,
        public_key: leaf.public_key,
        cert_fingerprint: fingerprint(cert_der),
        not_after: leaf.not_after,
        not_before: leaf.not_before,
        root_not_before: leaf.root_not_before,
        root_not_after: leaf.root_not_after,
    })
}

/// Checks a node certificate against its organization's root at time `at`, and returns
/// what it certifies. Beyond [`verify_member`]'s checks (except the role), the OU must be
/// `node` and the extended key usage must include `serverAuth` and `clientAuth`.
pub fn verify_node(
    cert_der: &[u8],
    org_root_der: &[u8],
    expected_msp: &str,
    at: OffsetDateTime,
) -> Result<NodeIdentity, ChainError> {
    let leaf = Leaf::check(cert_der, org_root_der, expected_msp, at)?;
    match leaf.unit {
        None => return Err(ChainError::MissingRole),
        Some(unit) if unit != NODE_OU => return Err(ChainError::UnknownRole(unit)),
        Some(_) => {}
    }
    let cert = parse(cert_der, CertificatePosition::Leaf)?;
    let malformed = |reason: String| ChainError::Malformed {
        position: CertificatePosition::Leaf,
        reason,
    };
    let eku = cert
        .extended_key_usage()
        .map_err(|e| malformed(format!("extendedKeyUsage: {e}")))?;
    let (server, client) = eku.map_or((false, false), |eku| {
        (eku.value.server_auth, eku.value.client_auth)
    });
    if !server {
        return Err(ChainError::WrongKeyUsage(KeyUsageFault::MissingServerAuth));
    }
    if !client {
        return Err(ChainError::WrongKeyUsage(KeyUsageFault::MissingClientAuth));
    }
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    let san = cert
        .subject_alternative_name()
        .map_err(|e| malformed(format!("subjectAltName: {e}")))?;
    for name in san.iter().flat_map(|san| san.value.general_names.iter()) {
        match name {
            GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => ip_addresses.push(
                ip_from_bytes(bytes)
                    .ok_or_else(|| malformed(format!("IP address of {} bytes", bytes.len())))?,
            ),
            _ => {}
        }
    }
    Ok(NodeIdentity {
        msp_id: leaf.msp_id,
        name: leaf.name,
        dns_names,
        ip_addresses,
        public_key: leaf.public_key,
        cert_fingerprint: fingerprint(cert_der),
        not_after: leaf.not_after,
    })
}

/// The O of a certificate, read without verifying anything (to pick the trust anchor).
pub(crate) fn organization_of(cert_der: &[u8]) -> Result<Option<String>, ChainError> {
    let cert = parse(cert_der, CertificatePosition::Leaf)?;
    single_attribute(
        cert.subject().iter_organization(),
        "O",
        CertificatePosition::Leaf,
    )
}

/// Subject fields of a parsed, structurally checked certificate (no chain check).
pub(crate) struct Subject {
    pub(crate) msp_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) unit: Option<String>,
    pub(crate) public_key: p256::PublicKey,
}

/// Reads the subject and key of a certificate we wrote ourselves (loading from disk).
pub(crate) fn subject_of(cert_der: &[u8]) -> Result<Subject, ChainError> {
    let position = CertificatePosition::Leaf;
    let cert = parse(cert_der, position)?;
    Ok(Subject {
        msp_id: single_attribute(cert.subject().iter_organization(), "O", position)?,
        name: single_attribute(cert.subject().iter_common_name(), "CN", position)?,
        unit: single_attribute(cert.subject().iter_organizational_unit(), "OU", position)?,
        public_key: p256_key(&cert, position)?,
    })
}

/// Whether two certificates have byte-identical subject names (false if either does not
/// parse).
pub(crate) fn same_subject(a: &[u8], b: &[u8]) -> bool {
    match (X509Certificate::from_der(a), X509Certificate::from_der(b)) {
        (Ok((_, a)), Ok((_, b))) => a.subject().as_raw() == b.subject().as_raw(),
        _ => false,
    }
}

/// What the common leaf checks establish.
struct Leaf {
    msp_id: String,
    name: String,
    unit: Option<String>,
    public_key: p256::PublicKey,
    not_after: OffsetDateTime,
    not_before: OffsetDateTime,
    root_not_before: OffsetDateTime,
    root_not_after: OffsetDateTime,
}

impl Leaf {
    fn check(
        cert_der: &[u8],
        root_der: &[u8],
        expected_msp: &str,
        at: OffsetDateTime,
    ) -> Result<Self, ChainError> {
        let position = CertificatePosition::Leaf;
        let root = parse(root_der, CertificatePosition::Root)?;
        let cert = parse(cert_der, position)?;
        check_root(&root, expected_msp, at)?;

        if cert.issuer().as_raw() != root.subject().as_raw() {
            return Err(ChainError::WrongIssuer(IssuerFault::NameMismatch));
        }
        cert.verify_signature(Some(root.public_key()))
            .map_err(|_| ChainError::WrongIssuer(IssuerFault::BadSignature))?;

        check_time(&cert, position, at)?;

        let malformed = |reason: String| ChainError::Malformed { position, reason };
        let basic = cert
            .basic_constraints()
            .map_err(|e| malformed(format!("basicConstraints: {e}")))?;
        if basic.is_some_and(|bc| bc.value.ca) {
            return Err(ChainError::WrongKeyUsage(KeyUsageFault::CaCertificate));
        }
        let usage = cert
            .key_usage()
            .map_err(|e| malformed(format!("keyUsage: {e}")))?;
        match usage {
            Some(ku) if ku.value.key_cert_sign() => {
                return Err(ChainError::WrongKeyUsage(KeyUsageFault::CaCertificate));
            }
            Some(ku) if ku.value.digital_signature() => {}
            _ => {
                return Err(ChainError::WrongKeyUsage(
                    KeyUsageFault::MissingDigitalSignature,
                ));
            }
        }

        let msp_id = single_attribute(cert.subject().iter_organization(), "O", position)?;
        if msp_id.as_deref() != Some(expected_msp) {
            return Err(ChainError::WrongMsp {
                position,
                expected: expected_msp.to_owned(),
                found: msp_id,
            });
        }
        let name = single_attribute(cert.subject().iter_common_name(), "CN", position)?
            .ok_or_else(|| malformed("no CN".to_owned()))?;
        let unit = single_attribute(cert.subject().iter_organizational_unit(), "OU", position)?;

        Ok(Self {
            msp_id: expected_msp.to_owned(),
            name,
            unit,
            public_key: p256_key(&cert, position)?,
            not_after: cert.validity().not_after.to_datetime(),
            not_before: cert.validity().not_before.to_datetime(),
            root_not_before: root.validity().not_before.to_datetime(),
            root_not_after: root.validity().not_after.to_datetime(),
        })
    }
}

fn check_root(
    root: &X509Certificate<'_>,
    expected_msp: &str,
    at: OffsetDateTime,
) -> Result<(), ChainError> {
    let position = CertificatePosition::Root;
    if root.issuer().as_raw() != root.subject().as_raw() {
        return Err(ChainError::InvalidRoot(RootFault::NotSelfIssued));
    }
    root.verify_signature(None)
        .map_err(|_| ChainError::InvalidRoot(RootFault::BadSelfSignature))?;
    let malformed = |reason: String| ChainError::Malformed { position, reason };
    let basic = root
        .basic_constraints()
        .map_err(|e| malformed(format!("basicConstraints: {e}")))?;
    if !basic.is_some_and(|bc| bc.value.ca) {
        return Err(ChainError::InvalidRoot(RootFault::NotCa));
    }
    let usage = root
        .key_usage()
        .map_err(|e| malformed(format!("keyUsage: {e}")))?;
    if !usage.is_some_and(|ku| ku.value.key_cert_sign()) {
        return Err(ChainError::InvalidRoot(
            RootFault::MissingCertificateSigning,
        ));
    }
    check_time(root, position, at)?;
    let msp_id = single_attribute(root.subject().iter_organization(), "O", position)?;
    if msp_id.as_deref() != Some(expected_msp) {
        return Err(ChainError::WrongMsp {
            position,
            expected: expected_msp.to_owned(),
            found: msp_id,
        });
    }
    Ok(())
}

/// Parses one certificate and applies the structural checks shared by root and leaf.
fn parse(der: &[u8], position: CertificatePosition) -> Result<X509Certificate<'_>, ChainError> {
    let malformed = |reason: String| ChainError::Malformed { position, reason };
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(malformed(format!(
            "{} bytes after the certificate",
            rest.len()
        )));
    }
    if cert.version() != X509Version::V3 {
        return Err(malformed(format!(
            "version {} is not v3",
            cert.version().0 + 1
        )));
    }
    if cert.signature_algorithm.algorithm != OID_SIG_ECDSA_WITH_SHA256 {
        return Err(ChainError::UnsupportedAlgorithm {
            position,
            reason: format!("signature algorithm {}", cert.signature_algorithm.algorithm),
        });
    }
    p256_key(&cert, position)?;
    let understood = [
        OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
        OID_X509_EXT_BASIC_CONSTRAINTS,
        OID_X509_EXT_EXTENDED_KEY_USAGE,
        OID_X509_EXT_KEY_USAGE,
        OID_X509_EXT_SUBJECT_ALT_NAME,
        OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
    ];
    if let Some(ext) = cert
        .extensions()
        .iter()
        .find(|ext| ext.critical && !understood.contains(&ext.oid))
    {
        return Err(ChainError::UnsupportedCriticalExtension {
            position,
            oid: ext.oid.to_id_string(),
        });
    }
    Ok(cert)
}

fn p256_key(
    cert: &X509Certificate<'_>,
    position: CertificatePosition,
) -> Result<p256::PublicKey, ChainError> {
    p256::PublicKey::from_public_key_der(cert.public_key().raw).map_err(|e| {
        ChainError::UnsupportedAlgorithm {
            position,
            reason: format!("public key is not ECDSA P-256 ({e})"),
        }
    })
}

fn check_time(
    cert: &X509Certificate<'_>,
    position: CertificatePosition,
    at: OffsetDateTime,
) -> Result<(), ChainError> {
    check_window(
        position,
        cert.validity().not_before.to_datetime(),
        cert.validity().not_after.to_datetime(),
        at,
    )
}

fn check_window(
    position: CertificatePosition,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    at: OffsetDateTime,
) -> Result<(), ChainError> {
    if at < not_before {
        return Err(ChainError::NotYetValid {
            position,
            not_before,
            at,
        });
    }
    if at > not_after {
        return Err(ChainError::Expired {
            position,
            not_after,
            at,
        });
    }
    Ok(())
}

/// The value of an attribute that must appear at most once.
fn single_attribute<'a, 'b: 'a>(
    mut values: impl Iterator<Item = &'a AttributeTypeAndValue<'b>>,
    what: &str,
    position: CertificatePosition,
) -> Result<Option<String>, ChainError> {
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ChainError::Malformed {
            position,
            reason: format!("more than one {what}"),
        });
    }
    first
        .as_str()
        .map(|s| Some(s.to_owned()))
        .map_err(|e| ChainError::Malformed {
            position,
            reason: format!("{what} is not a string: {e}"),
        })
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        Some(IpAddr::from(v4))
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        Some(IpAddr::from(v6))
    } else {
        None
    }
}

/// What a verified service certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceIdentity {
    /// The service name (CN).
    pub name: String,
    /// The service's public key: it signs the ledger's Merkle roots.
    pub public_key: p256::PublicKey,
}

/// Checks a service certificate (see [`crate::service_certificate`]) at time `at`:
/// self-issued and self-signed by the key it certifies, not a CA, within its validity,
/// with a CN. Trust in it comes from the caller pinning it (or its key).
pub fn verify_service_certificate(
    cert_der: &[u8],
    at: OffsetDateTime,
) -> Result<ServiceIdentity, ChainError> {
    let position = CertificatePosition::Leaf;
    let cert = parse(cert_der, position)?;
    if cert.issuer().as_raw() != cert.subject().as_raw() {
        return Err(ChainError::WrongIssuer(IssuerFault::NameMismatch));
    }
    cert.verify_signature(None)
        .map_err(|_| ChainError::WrongIssuer(IssuerFault::BadSignature))?;
    check_time(&cert, position, at)?;
    let name = single_attribute(cert.subject().iter_common_name(), "CN", position)?.ok_or(
        ChainError::Malformed {
            position,
            reason: "no CN".into(),
        },
    )?;
    Ok(ServiceIdentity {
        name,
        public_key: p256_key(&cert, position)?,
    })
}
