//! Fabric-style membership for strongroom: organization CAs, member and node
//! certificates, private keys on disk, and signed envelopes.
//!
//! ```
//! use strongroom_identity::{OrgCa, Role, SignedEnvelope, TrustStore, Validity};
//! use time::{Duration, OffsetDateTime};
//!
//! // Each organization (MSP) runs its own CA and enrolls its members.
//! let ca = OrgCa::new("Org1MSP", Validity::starting_now(Duration::days(365))?)?;
//! let alice = ca.enroll_member("alice", Role::Analyst, Validity::starting_now(Duration::days(30))?)?;
//!
//! // Alice signs the exact payload bytes; the envelope travels as bytes.
//! let wire = alice.sign(b"request_permission ...".to_vec())?.to_bytes()?;
//!
//! // A verifier trusts Org1's root and learns who signed.
//! let mut trust = TrustStore::new();
//! trust.insert("Org1MSP", ca.cert_der().to_vec());
//! let signer = SignedEnvelope::from_bytes(&wire)?.verify(&trust, OffsetDateTime::now_utc())?;
//! assert_eq!((signer.msp_id.as_str(), signer.name.as_str(), signer.role), ("Org1MSP", "alice", Role::Analyst));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`OrgCa`] creates an organization's self-signed root (ECDSA P-256, `O=<msp>`,
//!   `CN=<msp> CA`, `CA:true`) and issues member certificates (`O=<msp>`, `OU=<role>`,
//!   `CN=<name>`, `digitalSignature`) and node certificates (`OU=node`, DNS/IP
//!   subjectAltNames, `serverAuth` + `clientAuth`).
//! - [`verify_member`], [`verify_node`] and [`verify_root`] check a certificate against
//!   its org root at a given time and reject with a typed reason ([`ChainError`]); see
//!   [`chain`] for the checks and their order.
//! - [`files`] stores credentials as PEM: private keys in PKCS#8, optionally encrypted
//!   with scrypt + AES-256-CBC, mode 0600, never overwritten, never half-written.
//! - [`SignedEnvelope`] binds a payload to its signer; [`envelope`] documents what is
//!   signed, the byte encoding and what an envelope does not protect against.
//!
//! Each family of operations has its own error type: [`IssueError`] (creating
//! certificates), [`ChainError`] (checking them), [`CredentialError`] (keys and files),
//! [`EnvelopeError`] (verifying envelopes) and [`EncodingError`] (envelope bytes).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod chain;
pub mod envelope;
pub mod files;
mod issue;
mod member;
mod role;

pub use chain::{
    CertificatePosition, ChainError, IssuerFault, KeyUsageFault, MemberIdentity, NodeIdentity,
    RootFault, ServiceIdentity, fingerprint, spki_sha256, verify_member, verify_node, verify_root,
    verify_service_certificate,
};
pub use envelope::{
    CheckedSignature, ENVELOPE_CONTEXT, EncodingError, EnvelopeError, EnvelopeField, MAX_CERT_LEN,
    MAX_PAYLOAD_LEN, MAX_SIGNATURE_LEN, SignedEnvelope, Signer, SignerKeys, TrustStore,
};
pub use files::{CredentialError, read_certificate};
pub use issue::{
    CA_FILE_STEM, IssueError, MAX_NAME_LEN, NODE_OU, OrgCa, SubjectAltName, Validity,
    service_certificate,
};
pub use member::{Member, Node};
pub use role::{ParseRoleError, Role};
