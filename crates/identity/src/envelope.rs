//! Signed envelopes: a payload, the signer's certificate and an ECDSA signature.
//!
//! # What is signed
//!
//! The signature is ECDSA P-256 with SHA-256 over
//! `ENVELOPE_CONTEXT || payload`, where [`ENVELOPE_CONTEXT`] is the 23 bytes
//! `b"strongroom/envelope/v1\0"`. The payload is signed exactly as carried, never
//! re-encoded; the context prefix keeps an envelope signature from being valid for any
//! other use of the member key that uses a different prefix. Signatures are DER
//! (`SEQUENCE { r INTEGER, s INTEGER }`), with `s` normalized to the lower half of the
//! group order ("low-S", as Hyperledger Fabric requires).
//!
//! # Verification
//!
//! [`SignedEnvelope::verify`] reads the signer certificate's O, picks that MSP's root
//! from the [`TrustStore`], checks the chain with [`verify_member`] at the given time,
//! then requires the signature to be canonical DER and low-S, and to verify. The
//! high-S twin of a valid signature is rejected, so a signature has one valid encoding.
//!
//! # Byte encoding
//!
//! ```text
//! envelope  = magic version payload signer_cert_der signature_der
//! magic     = "SREN"                       ; 4 bytes
//! version   = %x01                         ; 1 byte
//! field     = length:u32-big-endian bytes  ; each of the three fields
//! ```
//!
//! Limits: payload at most [`MAX_PAYLOAD_LEN`], certificate at most [`MAX_CERT_LEN`],
//! signature at most [`MAX_SIGNATURE_LEN`] bytes. Decoding rejects a wrong magic or
//! version, an oversize length (before allocating), a truncated field and any trailing
//! byte, so each envelope has exactly one encoding.
//!
//! # Not covered
//!
//! An envelope says nothing about freshness: replay protection (nonces, sequence
//! numbers) belongs to the protocol that carries envelopes. Revocation is not checked.

use std::collections::BTreeMap;
use std::fmt;

use p256::ecdsa::signature::DigestSigner;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::chain::{
    ChainError, MemberIdentity, fingerprint, leaf_public_key, organization_of, verify_member,
};
use crate::role::Role;

/// Domain-separation prefix signed before the payload.
pub const ENVELOPE_CONTEXT: &[u8] = b"strongroom/envelope/v1\0";

/// First bytes of an encoded envelope.
pub const ENVELOPE_MAGIC: [u8; 4] = *b"SREN";

/// Version byte of the encoding described in the [module docs](self).
pub const ENVELOPE_VERSION: u8 = 1;

/// Largest payload, in bytes (16 MiB).
pub const MAX_PAYLOAD_LEN: usize = 16 * 1024 * 1024;

/// Largest signer certificate, in bytes (16 KiB).
pub const MAX_CERT_LEN: usize = 16 * 1024;

/// Largest DER ECDSA P-256 signature, in bytes.
pub const MAX_SIGNATURE_LEN: usize = 72;

/// A payload signed by an organization member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedEnvelope {
    /// The signed bytes, exactly as signed.
    pub payload: Vec<u8>,
    /// The signer's member certificate, DER.
    pub signer_cert_der: Vec<u8>,
    /// ECDSA P-256/SHA-256 signature over `ENVELOPE_CONTEXT || payload`, DER, low-S.
    pub signature_der: Vec<u8>,
}

/// One of the three fields of an encoded envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvelopeField {
    /// The payload.
    Payload,
    /// The signer certificate.
    SignerCertificate,
    /// The signature.
    Signature,
}

impl fmt::Display for EnvelopeField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Payload => "payload",
            Self::SignerCertificate => "signer certificate",
            Self::Signature => "signature",
        })
    }
}

/// Errors from encoding or decoding an envelope, or signing one too large to encode.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// The bytes do not start with [`ENVELOPE_MAGIC`].
    #[error("not a signed envelope (bad magic)")]
    BadMagic,
    /// A field is longer than its limit.
    #[error("{field} is {len} bytes, more than the {max} allowed")]
    FieldTooLarge {
        /// Which field.
        field: EnvelopeField,
        /// Its (claimed) length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Bytes follow the last field.
    #[error("{count} trailing bytes after the envelope")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The input ends inside a field or its length.
    #[error("envelope truncated in the {field}")]
    Truncated {
        /// The field being read.
        field: EnvelopeField,
    },
    /// The version byte is not [`ENVELOPE_VERSION`].
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u8),
}

/// Errors from verifying an envelope.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The signature does not verify over this payload under the signer's key.
    #[error("envelope signature does not verify")]
    BadSignature,
    /// The envelope's certificate is not the one the given [`MemberIdentity`] was
    /// established for ([`SignedEnvelope::verify_with`]).
    #[error("envelope certificate is not the one the cached identity was made from")]
    CertificateMismatch,
    /// The signature's `s` is in the upper half of the group order (a malleated twin of
    /// a low-S signature).
    #[error("envelope signature is not low-S")]
    HighS,
    /// The signature is not canonical DER of two integers in range.
    #[error("envelope signature is not a canonical DER ECDSA signature")]
    MalformedSignature,
    /// The signer certificate failed the chain check against its organization's root.
    #[error("signer certificate rejected: {0}")]
    SignerCertificate(#[from] ChainError),
    /// The signer certificate names an MSP that the trust store does not know.
    #[error("signer belongs to unknown MSP {msp_id:?}")]
    UnknownMsp {
        /// The certificate's O (empty if it has none).
        msp_id: String,
    },
}

/// Who signed a verified envelope.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    /// The signer's organization.
    pub msp_id: String,
    /// The signer's name (certificate CN).
    pub name: String,
    /// The signer's role (certificate OU).
    pub role: Role,
    /// SHA-256 of the signer certificate's DER.
    pub cert_fingerprint: [u8; 32],
}

impl Signer {
    fn of(identity: &MemberIdentity) -> Self {
        Self {
            msp_id: identity.msp_id.clone(),
            name: identity.name.clone(),
            role: identity.role,
            cert_fingerprint: identity.cert_fingerprint,
        }
    }
}

/// That an envelope's signature verifies under its signer certificate's key: made by
/// [`SignedEnvelope::check_signature`], used by [`SignedEnvelope::verify_checked`].
/// It binds the envelope's exact bytes; it says nothing about the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedSignature {
    cert_fingerprint: [u8; 32],
    envelope_digest: [u8; 32],
}

impl CheckedSignature {
    /// SHA-256 of the signer certificate whose key made the signature.
    pub fn cert_fingerprint(&self) -> [u8; 32] {
        self.cert_fingerprint
    }
}

/// Signer certificates' public keys by certificate fingerprint (SHA-256 of the DER), for
/// [`SignedEnvelope::check_signature_cached`]: a member signs many envelopes with one
/// certificate, and parsing it is a tenth of checking a signature. Holds at most
/// [`SignerKeys::LIMIT`] keys; when full it starts over. Only certificates that parse
/// are kept, and a key is a function of its certificate's bytes, so a kept key is
/// always the one parsing would give.
#[derive(Debug, Default)]
pub struct SignerKeys {
    keys: std::sync::RwLock<std::collections::HashMap<[u8; 32], p256::PublicKey>>,
}

impl SignerKeys {
    /// Most keys kept.
    pub const LIMIT: usize = 4096;

    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many keys are kept.
    pub fn len(&self) -> usize {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no key is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn key(
        &self,
        cert_fingerprint: [u8; 32],
        cert_der: &[u8],
    ) -> Result<p256::PublicKey, ChainError> {
        let kept = self
            .keys
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&cert_fingerprint)
            .copied();
        if let Some(key) = kept {
            return Ok(key);
        }
        let key = leaf_public_key(cert_der)?;
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= Self::LIMIT {
            keys.clear();
        }
        keys.insert(cert_fingerprint, key);
        Ok(key)
    }
}

/// The organization roots an envelope verifier trusts: MSP id → root certificate (DER).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustStore {
    roots: BTreeMap<String, Vec<u8>>,
}

impl TrustStore {
    /// An empty trust store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `root_der` as the root of `msp_id`, returning the root it replaces.
    ///
    /// The root is checked at verification time (against `msp_id` and the time given).
    pub fn insert(&mut self, msp_id: impl Into<String>, root_der: Vec<u8>) -> Option<Vec<u8>> {
        self.roots.insert(msp_id.into(), root_der)
    }

    /// Stops trusting `msp_id`, returning its root.
    pub fn remove(&mut self, msp_id: &str) -> Option<Vec<u8>> {
        self.roots.remove(msp_id)
    }

    /// The root certificate trusted for `msp_id`.
    pub fn root(&self, msp_id: &str) -> Option<&[u8]> {
        self.roots.get(msp_id).map(Vec::as_slice)
    }

    /// Checks a member certificate against the root of the MSP its O names, at time
    /// `at` ([`verify_member`]), and returns who it certifies.
    pub fn verify_member(
        &self,
        cert_der: &[u8],
        at: OffsetDateTime,
    ) -> Result<MemberIdentity, EnvelopeError> {
        // A certificate without O cannot name a trusted MSP.
        let msp_id = organization_of(cert_der)?.unwrap_or_default();
        let root = self
            .root(&msp_id)
            .ok_or_else(|| EnvelopeError::UnknownMsp {
                msp_id: msp_id.clone(),
            })?;
        Ok(verify_member(cert_der, root, &msp_id, at)?)
    }

    /// The trusted MSP ids, in order.
    pub fn msp_ids(&self) -> impl Iterator<Item = &str> {
        self.roots.keys().map(String::as_str)
    }

    /// How many MSPs are trusted.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether no MSP is trusted.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

impl SignedEnvelope {
    /// Signs `payload` with `key` (whose certificate is `signer_cert_der`).
    pub(crate) fn sign(
        key: &SigningKey,
        signer_cert_der: Vec<u8>,
        payload: Vec<u8>,
    ) -> Result<Self, EncodingError> {
        check_len(EnvelopeField::Payload, payload.len())?;
        check_len(EnvelopeField::SignerCertificate, signer_cert_der.len())?;
        let signature: Signature = key.sign_digest(digest(&payload));
        let signature = signature.normalize_s().unwrap_or(signature);
        Ok(Self {
            payload,
            signer_cert_der,
            signature_der: signature.to_der().as_bytes().to_vec(),
        })
    }

    /// Verifies the envelope at time `at` against `trust`, and says who signed it.
    /// See the [module docs](self) for the checks.
    pub fn verify(&self, trust: &TrustStore, at: OffsetDateTime) -> Result<Signer, EnvelopeError> {
        let identity = trust.verify_member(&self.signer_cert_der, at)?;
        self.verify_signature(&identity)
    }

    /// Verifies the envelope at time `at` against a member identity that
    /// [`verify_member`] established earlier for this envelope's certificate, for
    /// callers that cache chain checks by certificate fingerprint.
    ///
    /// Checks that the certificate is the one `identity` was made from (its SHA-256,
    /// else [`EnvelopeError::CertificateMismatch`]), that the root and the certificate
    /// are valid at `at` ([`MemberIdentity::check_time`]), then the signature exactly as
    /// [`SignedEnvelope::verify`] does. Costs one hash and one ECDSA verification. The
    /// caller must drop cached identities when the trusted roots change.
    pub fn verify_with(
        &self,
        identity: &MemberIdentity,
        at: OffsetDateTime,
    ) -> Result<Signer, EnvelopeError> {
        if fingerprint(&self.signer_cert_der) != identity.cert_fingerprint {
            return Err(EnvelopeError::CertificateMismatch);
        }
        identity.check_time(at)?;
        self.verify_signature(identity)
    }

    /// Verifies the signature under the key of the envelope's own signer certificate,
    /// without checking the certificate's chain, time or role: the part of
    /// [`SignedEnvelope::verify`] that depends on neither the trusted roots nor the time,
    /// so that a verifier can do it ahead of time, on any thread. The returned
    /// [`CheckedSignature`] stands in for the signature check in
    /// [`SignedEnvelope::verify_checked`], which still checks the certificate.
    ///
    /// Fails as [`SignedEnvelope::verify`] would on the signature
    /// ([`EnvelopeError::MalformedSignature`], [`EnvelopeError::HighS`],
    /// [`EnvelopeError::BadSignature`]), and with [`EnvelopeError::SignerCertificate`]
    /// if the certificate is not one DER certificate with a P-256 key.
    pub fn check_signature(&self) -> Result<CheckedSignature, EnvelopeError> {
        let public_key = leaf_public_key(&self.signer_cert_der)?;
        self.checked_under(fingerprint(&self.signer_cert_der), &public_key)
    }

    /// [`SignedEnvelope::check_signature`], with the signer certificate's key taken from
    /// `keys` when that certificate was seen before (else parsed and kept there): the
    /// same outcome, without parsing the certificate again.
    pub fn check_signature_cached(
        &self,
        keys: &SignerKeys,
    ) -> Result<CheckedSignature, EnvelopeError> {
        let cert_fingerprint = fingerprint(&self.signer_cert_der);
        let public_key = keys.key(cert_fingerprint, &self.signer_cert_der)?;
        self.checked_under(cert_fingerprint, &public_key)
    }

    /// The proof that the signature verifies under `public_key`, the key of the
    /// certificate with `cert_fingerprint` (the envelope's own).
    fn checked_under(
        &self,
        cert_fingerprint: [u8; 32],
        public_key: &p256::PublicKey,
    ) -> Result<CheckedSignature, EnvelopeError> {
        self.signature_verifies(public_key)?;
        Ok(CheckedSignature {
            cert_fingerprint,
            envelope_digest: self.digest(),
        })
    }

    /// [`SignedEnvelope::verify_with`] with the signature check done earlier by
    /// [`SignedEnvelope::check_signature`] on this very envelope: checks that `checked`
    /// was made for these bytes and that `identity` is its certificate's (else
    /// [`EnvelopeError::CertificateMismatch`]), then the time as `verify_with` does.
    /// Costs one hash.
    pub fn verify_checked(
        &self,
        checked: &CheckedSignature,
        identity: &MemberIdentity,
        at: OffsetDateTime,
    ) -> Result<Signer, EnvelopeError> {
        if checked.envelope_digest != self.digest()
            || checked.cert_fingerprint != identity.cert_fingerprint
        {
            return Err(EnvelopeError::CertificateMismatch);
        }
        identity.check_time(at)?;
        Ok(Signer::of(identity))
    }

    /// SHA-256 over the three fields, each after its length.
    fn digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for field in [&self.payload, &self.signer_cert_der, &self.signature_der] {
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field);
        }
        hasher.finalize().into()
    }

    fn verify_signature(&self, identity: &MemberIdentity) -> Result<Signer, EnvelopeError> {
        self.signature_verifies(&identity.public_key)?;
        Ok(Signer::of(identity))
    }

    fn signature_verifies(&self, public_key: &p256::PublicKey) -> Result<(), EnvelopeError> {
        let signature = Signature::from_der(&self.signature_der)
            .map_err(|_| EnvelopeError::MalformedSignature)?;
        if signature.to_der().as_bytes() != self.signature_der.as_slice() {
            return Err(EnvelopeError::MalformedSignature);
        }
        if signature.normalize_s().is_some() {
            return Err(EnvelopeError::HighS);
        }
        // The checks above are RustCrypto's; the verification itself is ring's
        // (BoringSSL's P-256 assembly, several times faster: ADR 0004). ring hashes
        // the message with SHA-256, so it gets the context and the payload.
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let point = public_key.to_encoded_point(false);
        let mut message = Vec::with_capacity(ENVELOPE_CONTEXT.len() + self.payload.len());
        message.extend_from_slice(ENVELOPE_CONTEXT);
        message.extend_from_slice(&self.payload);
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            point.as_bytes(),
        )
        .verify(&message, &self.signature_der)
        .map_err(|_| EnvelopeError::BadSignature)
    }

    /// The byte encoding described in the [module docs](self).
    ///
    /// Fails if a field exceeds its limit (possible only for envelopes built by hand).
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodingError> {
        let fields = [
            (EnvelopeField::Payload, &self.payload),
            (EnvelopeField::SignerCertificate, &self.signer_cert_der),
            (EnvelopeField::Signature, &self.signature_der),
        ];
        let mut out = Vec::with_capacity(
            ENVELOPE_MAGIC.len() + 1 + fields.iter().map(|(_, f)| 4 + f.len()).sum::<usize>(),
        );
        out.extend_from_slice(&ENVELOPE_MAGIC);
        out.push(ENVELOPE_VERSION);
        for (field, bytes) in fields {
            let len = check_len(field, bytes.len())?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(bytes);
        }
        Ok(out)
    }

    /// Decodes the byte encoding described in the [module docs](self). Does not verify.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
        let rest = bytes
            .strip_prefix(&ENVELOPE_MAGIC)
            .ok_or(EncodingError::BadMagic)?;
        let (&version, mut rest) = rest.split_first().ok_or(EncodingError::BadMagic)?;
        if version != ENVELOPE_VERSION {
            return Err(EncodingError::UnsupportedVersion(version));
        }
        let payload = read_field(&mut rest, EnvelopeField::Payload)?;
        let signer_cert_der = read_field(&mut rest, EnvelopeField::SignerCertificate)?;
        let signature_der = read_field(&mut rest, EnvelopeField::Signature)?;
        if !rest.is_empty() {
            return Err(EncodingError::TrailingBytes { count: rest.len() });
        }
        Ok(Self {
            payload,
            signer_cert_der,
            signature_der,
        })
    }
}

fn digest(payload: &[u8]) -> Sha256 {
    Sha256::new()
        .chain_update(ENVELOPE_CONTEXT)
        .chain_update(payload)
}

fn max_len(field: EnvelopeField) -> usize {
    match field {
        EnvelopeField::Payload => MAX_PAYLOAD_LEN,
        EnvelopeField::SignerCertificate => MAX_CERT_LEN,
        EnvelopeField::Signature => MAX_SIGNATURE_LEN,
    }
}

/// Checks a field length against its limit and returns it as the encoded `u32`.
fn check_len(field: EnvelopeField, len: usize) -> Result<u32, EncodingError> {
    let max = max_len(field);
    if len > max {
        return Err(EncodingError::FieldTooLarge { field, len, max });
    }
    u32::try_from(len).map_err(|_| EncodingError::FieldTooLarge { field, len, max })
}

fn read_field(rest: &mut &[u8], field: EnvelopeField) -> Result<Vec<u8>, EncodingError> {
    let (len, tail) = rest
        .split_first_chunk::<4>()
        .ok_or(EncodingError::Truncated { field })?;
    let len =
        usize::try_from(u32::from_be_bytes(*len)).map_err(|_| EncodingError::FieldTooLarge {
            field,
            len: usize::MAX,
            max: max_len(field),
        })?;
    check_len(field, len)?;
    let (value, tail) = tail
        .split_at_checked(len)
        .ok_or(EncodingError::Truncated { field })?;
    *rest = tail;
    Ok(value.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SignedEnvelope {
        SignedEnvelope {
            payload: b"payload".to_vec(),
            signer_cert_der: b"cert".to_vec(),
            signature_der: b"sig".to_vec(),
        }
    }

    #[test]
    fn encoding_is_the_documented_layout() {
        let bytes = sample().to_bytes().unwrap();
        let mut expected = b"SREN\x01".to_vec();
        expected.extend_from_slice(b"\0\0\0\x07payload\0\0\0\x04cert\0\0\0\x03sig");
        assert_eq!(bytes, expected);
        assert_eq!(SignedEnvelope::from_bytes(&bytes).unwrap(), sample());
    }

    #[test]
    fn every_strict_prefix_is_rejected() {
        let bytes = sample().to_bytes().unwrap();
        for end in 0..bytes.len() {
            assert!(SignedEnvelope::from_bytes(&bytes[..end]).is_err(), "{end}");
        }
    }

    #[test]
    fn oversize_length_is_rejected_before_reading() {
        let mut bytes = b"SREN\x01".to_vec();
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            SignedEnvelope::from_bytes(&bytes),
            Err(EncodingError::FieldTooLarge {
                field: EnvelopeField::Payload,
                ..
            })
        ));
        let mut envelope = sample();
        envelope.signature_der = vec![0; MAX_SIGNATURE_LEN + 1];
        assert!(matches!(
            envelope.to_bytes(),
            Err(EncodingError::FieldTooLarge {
                field: EnvelopeField::Signature,
                ..
            })
        ));
    }

    #[test]
    fn wrong_magic_and_version_are_rejected() {
        let mut bytes = sample().to_bytes().unwrap();
        bytes[4] = 2;
        assert_eq!(
            SignedEnvelope::from_bytes(&bytes),
            Err(EncodingError::UnsupportedVersion(2))
        );
        bytes[0] = b'X';
        assert_eq!(
            SignedEnvelope::from_bytes(&bytes),
            Err(EncodingError::BadMagic)
        );
    }
}
