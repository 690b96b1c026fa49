//! Issuing certificates: organization CAs, members and nodes.

use std::net::IpAddr;
use std::path::Path;

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use rand_core::{OsRng, RngCore};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber,
};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::chain::{same_subject, subject_of};
use crate::files::{self, CredentialError};
use crate::member::{Member, Node, invalid, invalid_certificate};
use crate::role::Role;

/// The OU written in node certificates, in place of a [`Role`].
pub const NODE_OU: &str = "node";

/// Longest accepted MSP id, member name or node name, in bytes.
pub const MAX_NAME_LEN: usize = 64;

/// File stem of a saved CA: `ca.pem` and `ca.key.pem`.
pub const CA_FILE_STEM: &str = "ca";

/// The period during which a certificate is valid (both ends inclusive, second precision).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validity {
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl Validity {
    /// A validity period from `not_before` to `not_after`.
    ///
    /// Sub-second precision is dropped, as X.509 cannot record it.
    pub fn new(not_before: OffsetDateTime, not_after: OffsetDateTime) -> Result<Self, IssueError> {
        let not_before = truncate_to_second(not_before);
        let not_after = truncate_to_second(not_after);
        if not_after <= not_before {
            return Err(IssueError::InvalidValidity {
                not_before,
                not_after,
            });
        }
        Ok(Self {
            not_before,
            not_after,
        })
    }

    /// A validity period starting now (system clock) and lasting `duration`.
    pub fn starting_now(duration: time::Duration) -> Result<Self, IssueError> {
        let now = OffsetDateTime::now_utc();
        let end = now
            .checked_add(duration)
            .ok_or(IssueError::InvalidValidity {
                not_before: now,
                not_after: now,
            })?;
        Self::new(now, end)
    }

    /// Start of the period.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of the period.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
}

/// A subject alternative name of a node certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectAltName {
    /// A DNS host name, such as `node1.org1.example`.
    Dns(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
}

/// Errors from creating an organization CA or issuing a certificate.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The certificate could not be built or signed.
    #[error("certificate could not be built: {reason}")]
    Certificate {
        /// What the certificate builder reported.
        reason: String,
    },
    /// A DNS subject alternative name is not valid ASCII (IA5String).
    #[error("invalid DNS subject alternative name {0:?}")]
    InvalidDnsName(String),
    /// An MSP id, member name or node name is empty, too long or has characters other
    /// than ASCII letters, digits, `-`, `_` and `.` (the first must be a letter or digit).
    #[error(
        "invalid {kind} {value:?}: use 1 to 64 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit"
    )]
    InvalidName {
        /// Which kind of name ("MSP id", "member name", "node name").
        kind: &'static str,
        /// The refused value.
        value: String,
    },
    /// The end of the validity period is not after its start.
    #[error("invalid validity period: not_after {not_after} is not after not_before {not_before}")]
    InvalidValidity {
        /// Requested start.
        not_before: OffsetDateTime,
        /// Requested end.
        not_after: OffsetDateTime,
    },
    /// A node certificate was requested without any subject alternative name.
    #[error("a node certificate needs at least one DNS name or IP address")]
    MissingSubjectAltName,
}

/// An organization's certificate authority: its self-signed root and private key.
///
/// The root has subject `O=<msp_id>, CN=<msp_id> CA`, basicConstraints `CA:true,
/// pathlen:0` and keyUsage `keyCertSign, cRLSign`, with an ECDSA P-256 key.
pub struct OrgCa {
    pub(crate) msp_id: String,
    pub(crate) cert_der: Vec<u8>,
    pub(crate) key: SigningKey,
}

impl std::fmt::Debug for OrgCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgCa")
            .field("msp_id", &self.msp_id)
            .finish_non_exhaustive()
    }
}

impl OrgCa {
    /// Creates a new CA for `msp_id` with a fresh P-256 key.
    pub fn new(msp_id: &str, validity: Validity) -> Result<Self, IssueError> {
        check_name("MSP id", msp_id)?;
        let key = SigningKey::random(&mut OsRng);
        let signer = RcgenSigner::new(&key);
        let params = ca_params(msp_id, validity);
        let cert = params.self_signed(&signer).map_err(certificate_error)?;
        Ok(Self {
            msp_id: msp_id.to_owned(),
            cert_der: cert.der().to_vec(),
            key,
        })
    }

    /// The organization's MSP id (the root's O).
    pub fn msp_id(&self) -> &str {
        &self.msp_id
    }

    /// The root certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// Enrolls a member: generates its P-256 key and issues its certificate.
    pub fn enroll_member(
        &self,
        name: &str,
        role: Role,
        validity: Validity,
    ) -> Result<Member, IssueError> {
        let key = SigningKey::random(&mut OsRng);
        let cert_der = self.certify_member(name, role, key.verifying_key().into(), validity)?;
        Ok(Member {
            msp_id: self.msp_id.clone(),
            name: name.to_owned(),
            role,
            cert_der,
            key,
        })
    }

    /// Issues a member certificate for a public key whose private half the caller keeps.
    ///
    /// Subject `O=<msp_id>, OU=<role>, CN=<name>`, keyUsage `digitalSignature`,
    /// basicConstraints `CA:false`. Returns the certificate, DER.
    pub fn certify_member(
        &self,
        name: &str,
        role: Role,
        public_key: p256::PublicKey,
        validity: Validity,
    ) -> Result<Vec<u8>, IssueError> {
        check_name("member name", name)?;
        let mut params = leaf_params(validity);
        params.distinguished_name = subject(&self.msp_id, role.as_str(), name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        self.sign_leaf(&params, public_key)
    }

    /// Enrolls a node: generates its P-256 key and issues its certificate.
    pub fn enroll_node(
        &self,
        name: &str,
        alt_names: &[SubjectAltName],
        validity: Validity,
    ) -> Result<Node, IssueError> {
        let key = SigningKey::random(&mut OsRng);
        let cert_der = self.certify_node(name, alt_names, key.verifying_key().into(), validity)?;
        Ok(Node {
            msp_id: self.msp_id.clone(),
            name: name.to_owned(),
            cert_der,
            key,
        })
    }

    /// Issues a node certificate (for TLS) for a public key whose private half the caller
    /// keeps.
    ///
    /// Subject `O=<msp_id>, OU=node, CN=<name>`, the given subjectAltNames, keyUsage
    /// `digitalSignature`, extendedKeyUsage `serverAuth, clientAuth`, `CA:false`.
    pub fn certify_node(
        &self,
        name: &str,
        alt_names: &[SubjectAltName],
        public_key: p256::PublicKey,
        validity: Validity,
    ) -> Result<Vec<u8>, IssueError> {
        check_name("node name", name)?;
        if alt_names.is_empty() {
            return Err(IssueError::MissingSubjectAltName);
        }
        let mut params = leaf_params(validity);
        params.distinguished_name = subject(&self.msp_id, NODE_OU, name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.subject_alt_names = alt_names
            .iter()
            .map(|san| match san {
                SubjectAltName::Dns(dns) => dns
                    .clone()
                    .try_into()
                    .map(SanType::DnsName)
                    .map_err(|_| IssueError::InvalidDnsName(dns.clone())),
                SubjectAltName::Ip(ip) => Ok(SanType::IpAddress(*ip)),
            })
            .collect::<Result<_, _>>()?;
        self.sign_leaf(&params, public_key)
    }

    fn sign_leaf(
        &self,
        params: &CertificateParams,
        public_key: p256::PublicKey,
    ) -> Result<Vec<u8>, IssueError> {
        // The issuer name is rebuilt from the MSP id exactly as `OrgCa::new` wrote it, so
        // the leaf's issuer matches the root's subject byte for byte.
        let signer = RcgenSigner::new(&self.key);
        let issuer = Issuer::new(ca_params(&self.msp_id, placeholder_validity()), &signer);
        let subject_key = P256PublicKey::new(&public_key);
        let cert = params
            .signed_by(&subject_key, &issuer)
            .map_err(certificate_error)?;
        Ok(cert.der().to_vec())
    }
}

impl OrgCa {
    /// Writes `ca.pem` (root certificate) and `ca.key.pem` (private key, encrypted if a
    /// passphrase is given) into `dir`. Refuses, changing nothing, if either exists.
    /// See [`files`](crate::files) for the on-disk format and guarantees.
    pub fn save(&self, dir: &Path, passphrase: Option<&str>) -> Result<(), CredentialError> {
        files::save_pair(dir, CA_FILE_STEM, &self.cert_der, &self.key, passphrase)
    }

    /// Reads a CA saved by [`OrgCa::save`] from `dir`, checking that the key matches the
    /// certificate and that the certificate is this crate's form of an org root
    /// (`O=<msp>, CN=<msp> CA`, self-issued).
    pub fn load(dir: &Path, passphrase: Option<&str>) -> Result<Self, CredentialError> {
        let (cert_der, key) = files::load_pair(dir, CA_FILE_STEM, passphrase)?;
        let subject = subject_of(&cert_der).map_err(invalid_certificate)?;
        files::check_key_matches(&key, &subject.public_key)?;
        let msp_id = subject
            .msp_id
            .ok_or_else(|| invalid("no organization (O)".to_owned()))?;
        check_name("MSP id", &msp_id).map_err(|e| invalid(e.to_string()))?;
        if subject.name.as_deref() != Some(format!("{msp_id} CA").as_str())
            || subject.unit.is_some()
        {
            return Err(invalid(format!(
                "subject is not O={msp_id}, CN={msp_id} CA"
            )));
        }
        // The issuer name of every certificate we sign is rebuilt from the MSP id; make
        // sure it reproduces this root's subject exactly.
        let rebuilt = ca_params(&msp_id, placeholder_validity())
            .self_signed(&RcgenSigner::new(&key))
            .map_err(|e| invalid(e.to_string()))?;
        if !same_subject(&cert_der, rebuilt.der()) {
            return Err(invalid(
                "root subject is not encoded as this crate encodes it".to_owned(),
            ));
        }
        Ok(Self {
            msp_id,
            cert_der,
            key,
        })
    }

    /// The CA's private key as unencrypted PKCS#8 DER, in a buffer wiped on drop.
    ///
    /// Whoever holds it can issue certificates for this organization.
    pub fn private_key_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CredentialError> {
        files::pkcs8_der(&self.key)
    }
}

/// Checks an MSP id, member or node name (these also become file names).
pub(crate) fn check_name(kind: &'static str, value: &str) -> Result<(), IssueError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_NAME_LEN
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(IssueError::InvalidName {
            kind,
            value: value.to_owned(),
        })
    }
}

fn ca_params(msp_id: &str, validity: Validity) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, msp_id);
    dn.push(DnType::CommonName, format!("{msp_id} CA"));
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.serial_number = Some(random_serial());
    params
}

fn leaf_params(validity: Validity) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::ExplicitNoCa;
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.serial_number = Some(random_serial());
    params.use_authority_key_identifier_extension = true;
    params
}

fn subject(msp_id: &str, unit: &str, name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, msp_id);
    dn.push(DnType::OrganizationalUnitName, unit);
    dn.push(DnType::CommonName, name);
    dn
}

/// Validity is not used when the CA parameters only name the issuer.
fn placeholder_validity() -> Validity {
    Validity {
        not_before: OffsetDateTime::UNIX_EPOCH,
        not_after: OffsetDateTime::UNIX_EPOCH,
    }
}

fn random_serial() -> SerialNumber {
    let mut serial = [0u8; 16];
    OsRng.fill_bytes(&mut serial);
    // Positive and without a leading zero byte, so the DER INTEGER is 16 bytes long.
    serial[0] = (serial[0] & 0x7f) | 0x40;
    SerialNumber::from_slice(&serial)
}

fn truncate_to_second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

fn certificate_error(error: rcgen::Error) -> IssueError {
    IssueError::Certificate {
        reason: error.to_string(),
    }
}

/// A P-256 public key in the form rcgen certifies (uncompressed SEC1 point).
struct P256PublicKey {
    sec1: Vec<u8>,
}

impl P256PublicKey {
    fn new(key: &p256::PublicKey) -> Self {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        Self {
            sec1: key.to_encoded_point(false).as_bytes().to_vec(),
        }
    }
}

impl PublicKeyData for P256PublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.sec1
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

/// Signs certificates with a RustCrypto P-256 key, so the key never leaves its
/// zeroizing container for another library's.
struct RcgenSigner<'a> {
    key: &'a SigningKey,
    public: P256PublicKey,
}

impl<'a> RcgenSigner<'a> {
    fn new(key: &'a SigningKey) -> Self {
        Self {
            key,
            public: P256PublicKey::new(&key.verifying_key().into()),
        }
    }
}

impl PublicKeyData for RcgenSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.public.der_bytes()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.public.algorithm()
    }
}

impl rcgen::SigningKey for RcgenSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let signature: Signature = self
            .key
            .try_sign(msg)
            .map_err(|_| rcgen::Error::RemoteKeyError)?;
        let signature = signature.normalize_s().unwrap_or(signature);
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

/// A self-signed certificate for a service's root-signing key (CN = `service_name`,
/// O = "strongroom service"): the certificate receipts carry, checked with
/// [`crate::verify_service_certificate`]. `key_pkcs8_der` is the P-256 key (PKCS#8 DER).
pub fn service_certificate(
    key_pkcs8_der: &[u8],
    service_name: &str,
    validity: Validity,
) -> Result<Vec<u8>, IssueError> {
    use p256::pkcs8::DecodePrivateKey;
    check_name("service name", service_name)?;
    let key = SigningKey::from_pkcs8_der(key_pkcs8_der).map_err(|e| IssueError::Certificate {
        reason: format!("service key: {e}"),
    })?;
    let mut params = leaf_params(validity);
    params.use_authority_key_identifier_extension = false;
    params.distinguished_name = subject("strongroom service", "service", service_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let cert = params
        .self_signed(&RcgenSigner::new(&key))
        .map_err(certificate_error)?;
    Ok(cert.der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_restricted_to_file_safe_characters() {
        assert!(check_name("member name", "alice.smith-2_x").is_ok());
        for bad in ["", ".hidden", "a/b", "a b", "é", &"x".repeat(65)] {
            assert!(check_name("member name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn validity_must_end_after_it_starts() {
        let now = OffsetDateTime::now_utc();
        assert!(Validity::new(now, now).is_err());
        assert!(Validity::new(now, now + time::Duration::seconds(1)).is_ok());
    }
}
