//! Enrolled credentials: members (who sign) and nodes (who serve TLS).

use std::fmt;
use std::path::Path;

use p256::ecdsa::SigningKey;
use zeroize::Zeroizing;

use crate::chain::subject_of;
use crate::envelope::{EncodingError, SignedEnvelope};
use crate::files::{self, CredentialError};
use crate::issue::{NODE_OU, check_name};
use crate::role::Role;

/// A member's certificate and private key.
///
/// Create one with [`OrgCa::enroll_member`](crate::OrgCa::enroll_member), or assemble
/// it with [`Member::from_parts`] from a certificate issued by
/// [`OrgCa::certify_member`](crate::OrgCa::certify_member).
pub struct Member {
    pub(crate) msp_id: String,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) cert_der: Vec<u8>,
    pub(crate) key: SigningKey,
}

impl fmt::Debug for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Member")
            .field("msp_id", &self.msp_id)
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Member {
    /// Assembles a member from its certificate and private key, checking that the key
    /// matches the certificate and that the certificate has an O, a valid CN and a known
    /// role as OU. This does not check the chain; use [`verify_member`](crate::verify_member).
    pub fn from_parts(cert_der: Vec<u8>, key: SigningKey) -> Result<Self, CredentialError> {
        let subject = subject_of(&cert_der).map_err(invalid_certificate)?;
        files::check_key_matches(&key, &subject.public_key)?;
        let (msp_id, name) = names(subject.msp_id, subject.name)?;
        let role = match subject.unit {
            None => return Err(invalid("no role (OU)".to_owned())),
            Some(unit) => unit.parse::<Role>().map_err(|e| invalid(e.to_string()))?,
        };
        Ok(Self {
            msp_id,
            name,
            role,
            cert_der,
            key,
        })
    }

    /// The member's MSP id.
    pub fn msp_id(&self) -> &str {
        &self.msp_id
    }

    /// The member's name (certificate CN).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The member's role (certificate OU).
    pub fn role(&self) -> Role {
        self.role
    }

    /// The member's certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The member's public key.
    pub fn public_key(&self) -> p256::PublicKey {
        self.key.verifying_key().into()
    }

    /// The private key as unencrypted PKCS#8 DER, in a buffer wiped on drop.
    pub fn private_key_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CredentialError> {
        files::pkcs8_der(&self.key)
    }

    /// Signs `payload` exactly as given; see [`SignedEnvelope`] for what is signed.
    ///
    /// Fails only if the payload exceeds [`MAX_PAYLOAD_LEN`](crate::MAX_PAYLOAD_LEN).
    pub fn sign(&self, payload: impl Into<Vec<u8>>) -> Result<SignedEnvelope, EncodingError> {
        SignedEnvelope::sign(&self.key, self.cert_der.clone(), payload.into())
    }

    /// Writes `<name>.pem` (certificate) and `<name>.key.pem` (private key, encrypted if
    /// a passphrase is given) into `dir`. Refuses, changing nothing, if either exists.
    /// See [`files`](crate::files) for the on-disk format and guarantees.
    pub fn save(&self, dir: &Path, passphrase: Option<&str>) -> Result<(), CredentialError> {
        files::save_pair(dir, &self.name, &self.cert_der, &self.key, passphrase)
    }

    /// Reads the member `name` saved by [`Member::save`] from `dir`.
    pub fn load(dir: &Path, name: &str, passphrase: Option<&str>) -> Result<Self, CredentialError> {
        check_name("member name", name)
            .map_err(|_| CredentialError::InvalidName(name.to_owned()))?;
        let (cert_der, key) = files::load_pair(dir, name, passphrase)?;
        let member = Self::from_parts(cert_der, key)?;
        if member.name != name {
            return Err(invalid(format!(
                "certificate CN is {:?}, file name says {name:?}",
                member.name
            )));
        }
        Ok(member)
    }
}

/// A node's TLS certificate and private key.
///
/// Create one with [`OrgCa::enroll_node`](crate::OrgCa::enroll_node).
pub struct Node {
    pub(crate) msp_id: String,
    pub(crate) name: String,
    pub(crate) cert_der: Vec<u8>,
    pub(crate) key: SigningKey,
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("msp_id", &self.msp_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Assembles a node from its certificate and private key, checking that the key
    /// matches and that the certificate's OU is `node`. This does not check the chain;
    /// use [`verify_node`](crate::verify_node).
    pub fn from_parts(cert_der: Vec<u8>, key: SigningKey) -> Result<Self, CredentialError> {
        let subject = subject_of(&cert_der).map_err(invalid_certificate)?;
        files::check_key_matches(&key, &subject.public_key)?;
        let (msp_id, name) = names(subject.msp_id, subject.name)?;
        if subject.unit.as_deref() != Some(NODE_OU) {
            return Err(invalid(format!(
                "OU is {:?}, expected {NODE_OU:?}",
                subject.unit
            )));
        }
        Ok(Self {
            msp_id,
            name,
            cert_der,
            key,
        })
    }

    /// The node's MSP id.
    pub fn msp_id(&self) -> &str {
        &self.msp_id
    }

    /// The node's name (certificate CN).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The node's certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The private key as unencrypted PKCS#8 DER (what TLS libraries take), in a buffer
    /// wiped on drop.
    pub fn private_key_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CredentialError> {
        files::pkcs8_der(&self.key)
    }

    /// Writes `<name>.pem` and `<name>.key.pem` into `dir`, like [`Member::save`].
    pub fn save(&self, dir: &Path, passphrase: Option<&str>) -> Result<(), CredentialError> {
        files::save_pair(dir, &self.name, &self.cert_der, &self.key, passphrase)
    }

    /// Reads the node `name` saved by [`Node::save`] from `dir`.
    pub fn load(dir: &Path, name: &str, passphrase: Option<&str>) -> Result<Self, CredentialError> {
        check_name("node name", name).map_err(|_| CredentialError::InvalidName(name.to_owned()))?;
        let (cert_der, key) = files::load_pair(dir, name, passphrase)?;
        let node = Self::from_parts(cert_der, key)?;
        if node.name != name {
            return Err(invalid(format!(
                "certificate CN is {:?}, file name says {name:?}",
                node.name
            )));
        }
        Ok(node)
    }
}

/// O and CN, both required and both valid names.
pub(crate) fn names(
    msp_id: Option<String>,
    name: Option<String>,
) -> Result<(String, String), CredentialError> {
    let msp_id = msp_id.ok_or_else(|| invalid("no organization (O)".to_owned()))?;
    let name = name.ok_or_else(|| invalid("no common name (CN)".to_owned()))?;
    check_name("MSP id", &msp_id).map_err(|e| invalid(e.to_string()))?;
    check_name("name", &name).map_err(|e| invalid(e.to_string()))?;
    Ok((msp_id, name))
}

pub(crate) fn invalid(reason: String) -> CredentialError {
    CredentialError::InvalidCertificate { reason }
}

pub(crate) fn invalid_certificate(error: crate::ChainError) -> CredentialError {
    invalid(error.to_string())
}
