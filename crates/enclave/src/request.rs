//! What a client sends to the core, and the client-side helpers that build it (the
//! response side is in [`Reply`] and [`PreparedRequest::open_response`]).
//!
//! # Request
//!
//! A member signs a [`SignedRequest`] (as a [`SignedEnvelope`]), and the envelope is
//! encrypted with HPKE (base mode, DHKEM(X25519)/HKDF-SHA256/AES-256-GCM) to the
//! service transaction key, with `info` [`TRANSACTION_INFO`] or [`QUERY_INFO`]:
//!
//! ```text
//! sealed request = 0x01 || enc (32) || HPKE ciphertext of the envelope bytes
//! signed request = 0x02 || purpose u8 (1 transaction, 2 query) || nonce (u32 len, 16..=32 bytes)
//!                  || not after u64 (ms since the Unix epoch, ledger time) || response key (32) || body
//! body           = 0x01 || invocation (u32 len)                        ; contract
//!                | 0x02 || governance invocation JSON (u32 len)        ; governance
//!                | 0x03 || purpose || location (u32 len) || node (32)  ; authorize an object access
//!                | 0x04 || node (32)                                   ; authorize a ledger export
//!                | 0x05 || invocation (u32 len) || config hash (32) || worker key (32)
//!                       || platform (u32 len) || evidence (u32 len)
//!                       || collateral kind u8 (0 none, 1 DCAP, 2 SNP VCEK) || collateral (u32 len)
//!                                                                      ; attested contract transaction
//!                | 0x06 || core-held key invocation or query JSON (u32 len) ; see crate::keys
//! purpose        = 0x01 (owner read) | 0x02 || task id (u32 len) (task input) | 0x03 (upload)
//! ```
//!
//! An attested transaction is a contract invocation by a worker in a TEE: its evidence's
//! report data must be [`crate::worker_report_data`] of the config hash, the worker key,
//! this request's nonce and the invocation, so that evidence made for one request,
//! task or key is useless for any other (see [`crate::worker`]).
//!
//! # Freshness
//!
//! A request is valid until its `not after`, in ledger time: the core refuses a
//! transaction committed after it, and a query, object or export authorization checked
//! after it (at the later of the last committed time and the host's clock, so a host can
//! shorten an authorization's life, never lengthen it). It also refuses a request whose
//! `not after` lies more than [`MAX_LIFETIME_MS`] beyond the time it is executed at, so
//! that the core need remember a transaction's nonce only until its `not after`: the set
//! of nonces it keeps holds at most the transactions accepted in the last
//! [`MAX_LIFETIME_MS`] of ledger time. An untrusted host can therefore delay a request
//! only within its lifetime; what must not be reordered even within it (updates of one
//! dataset) the contract orders itself.
//!
//! An object or export authorization also names the node it is for (the SHA-256 of the
//! node's TLS SubjectPublicKeyInfo, which the node's evidence binds): a captured
//! authorization header is useless at any other node, and at this one after
//! [`OBJECT_LIFETIME_MS`] by default.
//!
//! The response key is inside the signature, so nobody can redirect the response of a
//! signed request to another key, and inside the HPKE ciphertext, so only the core
//! learns it (as Fabric Private Chaincode does).
//!
//! # Response
//!
//! ```text
//! response = 0x01 || nonce (12) || AES-256-GCM(response key, aad, reply)
//!          | 0x02 || reason (UTF-8)         ; refused before a response key was known
//! aad      = "strongroom/enclave/response/v1" || purpose || request nonce (u32 len)
//! reply    = 0x00 || result | 0x01 || reason (UTF-8)
//! ```
//!
//! A response in clear (`0x02`) is unauthenticated: anyone on the path could have
//! written it. It carries no information beyond "the core could not read this".

use std::time::{SystemTime, UNIX_EPOCH};

use strongroom_contract::ObjectPurpose;
use strongroom_crypto::hpke::{self, KemId, PublicKey, Suite};
use strongroom_crypto::provider::default_provider;
use strongroom_identity::{EncodingError, Member, SignedEnvelope};
use zeroize::Zeroizing;

use crate::codec::{DecodeError, Reader, Writer};
use crate::message::{EvidenceMessage, JoinCollateral};

pub use crate::response::Reply;

/// HPKE `info` of transactions.
pub const TRANSACTION_INFO: &[u8] = b"strongroom/enclave/transaction/v1";
/// HPKE `info` of queries.
pub const QUERY_INFO: &[u8] = b"strongroom/enclave/query/v1";
/// Shortest client nonce, in bytes.
pub const MIN_NONCE_LEN: usize = 16;
/// Longest client nonce, in bytes.
pub const MAX_NONCE_LEN: usize = 32;
/// Largest sealed request the core reads (1 MiB); larger ones are refused unread.
pub const MAX_REQUEST_LEN: usize = 1024 * 1024;
/// The longest a request may stay valid: its `not after` at most this far beyond the
/// ledger time it is executed or checked at (15 minutes).
pub const MAX_LIFETIME_MS: u64 = 15 * 60 * 1000;
/// How long a transaction or query built by [`PreparedRequest::new`] stays valid
/// (5 minutes of the client's clock).
pub const DEFAULT_LIFETIME_MS: u64 = 5 * 60 * 1000;
/// How long an object or export authorization stays valid by default (2 minutes).
pub const OBJECT_LIFETIME_MS: u64 = 2 * 60 * 1000;

/// The version byte of sealed requests.
const SEALED_VERSION: u8 = 1;
/// The version byte of signed requests: 2 added `not after` and replaced the
/// add-organization body by governance.
const VERSION: u8 = 2;
const ENC_LEN: usize = 32;

/// What a signed request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A read-only query or an authorization (not ordered, not recorded).
    Query,
    /// A transaction, ordered and recorded on the ledger.
    Transaction,
}

impl Purpose {
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Self::Transaction => 1,
            Self::Query => 2,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Transaction),
            2 => Some(Self::Query),
            _ => None,
        }
    }

    pub(crate) fn info(self) -> &'static [u8] {
        match self {
            Self::Transaction => TRANSACTION_INFO,
            Self::Query => QUERY_INFO,
        }
    }
}

/// What a request asks the core to do. Variants in alphabetical order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// Invoke the contract as an attested worker (sent with [`Purpose::Transaction`]):
    /// the core verifies `evidence` under the worker policy and passes what it proved
    /// to the contract, then releases the data keys the contract names to
    /// `worker_key`.
    Attested {
        /// The contract invocation.
        invocation: Vec<u8>,
        /// The configuration hash of the task the worker runs.
        config_hash: [u8; 32],
        /// The worker's one-time X25519 public key.
        worker_key: [u8; 32],
        /// The worker's evidence.
        evidence: EvidenceMessage,
        /// What verifies it.
        collateral: JoinCollateral,
    },
    /// Invoke (or, for a query, ask) the contract.
    Contract(Vec<u8>),
    /// Authorize an export of the ledger from `node` (sent with [`Purpose::Query`]).
    Export {
        /// The node the export is from: SHA-256 of its TLS SubjectPublicKeyInfo.
        node: [u8; 32],
    },
    /// A governance invocation or query (JSON, see [`crate::governance`]).
    Governance(Vec<u8>),
    /// A core-held key invocation or query (JSON, see [`crate::keys`]).
    Keys(Vec<u8>),
    /// Authorize an access to the object at `location` in `node`'s object store, for
    /// `purpose` (sent with [`Purpose::Query`]; neither a transaction nor a contract
    /// query). The contract decides from its state whether the signer is entitled.
    Object {
        /// Why the member wants the object; says whether it is a download or an upload.
        purpose: ObjectPurpose,
        /// The object's location, as in `/v1/objects/{location}`.
        location: String,
        /// The node the access is at: SHA-256 of its TLS SubjectPublicKeyInfo.
        node: [u8; 32],
    },
}

/// The payload a member signs. See the [module docs](self) for the encoding.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// Transaction or query.
    pub purpose: Purpose,
    /// A fresh random nonce, [`MIN_NONCE_LEN`] to [`MAX_NONCE_LEN`] bytes: the core
    /// refuses a transaction whose nonce it has seen.
    pub nonce: Vec<u8>,
    /// The request is refused after this ledger time (ms since the Unix epoch).
    pub not_after_ms: u64,
    /// The AES-256-GCM key the response is encrypted under.
    pub response_key: Zeroizing<[u8; 32]>,
    /// What to do.
    pub body: Body,
}

impl std::fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("purpose", &self.purpose)
            .field("nonce", &hex::encode(&self.nonce))
            .field("not_after_ms", &self.not_after_ms)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

impl SignedRequest {
    /// The encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_capacity(72 + body_len(&self.body));
        writer
            .u8(VERSION)
            .u8(self.purpose.to_byte())
            .bytes(&self.nonce)
            .u64(self.not_after_ms)
            .raw(self.response_key.as_ref());
        encode_body(&mut writer, &self.body);
        writer.0
    }

    /// Decodes and checks the nonce length.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes, "signed request");
        if reader.u8()? != VERSION {
            return Err(DecodeError("signed request version (2 expected)"));
        }
        let purpose =
            Purpose::from_byte(reader.u8()?).ok_or(DecodeError("signed request purpose"))?;
        let nonce = reader.bytes()?.to_vec();
        if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len()) {
            return Err(DecodeError("nonce length"));
        }
        let not_after_ms = reader.u64()?;
        let response_key = Zeroizing::new(reader.array::<32>()?);
        let body = decode_body(&mut reader)?;
        reader.finish()?;
        Ok(Self {
            purpose,
            nonce,
            not_after_ms,
            response_key,
            body,
        })
    }
}

fn body_len(body: &Body) -> usize {
    match body {
        Body::Attested {
            invocation,
            evidence,
            collateral,
            ..
        } => invocation.len() + evidence.bytes.len() + collateral_bytes(collateral).len() + 90,
        Body::Contract(bytes) | Body::Governance(bytes) | Body::Keys(bytes) => bytes.len() + 5,
        Body::Export { .. } => 33,
        Body::Object {
            purpose, location, ..
        } => location.len() + purpose_len(purpose) + 37,
    }
}

fn purpose_len(purpose: &ObjectPurpose) -> usize {
    match purpose {
        ObjectPurpose::TaskInput { task } => task.len() + 5,
        ObjectPurpose::OwnerRead | ObjectPurpose::Upload => 1,
    }
}

fn collateral_bytes(collateral: &JoinCollateral) -> &[u8] {
    match collateral {
        JoinCollateral::None => &[],
        JoinCollateral::Dcap(bytes) | JoinCollateral::Snp(bytes) => bytes,
    }
}

pub(crate) fn encode_body(writer: &mut Writer, body: &Body) {
    match body {
        Body::Attested {
            invocation,
            config_hash,
            worker_key,
            evidence,
            collateral,
        } => {
            let kind = match collateral {
                JoinCollateral::None => 0,
                JoinCollateral::Dcap(_) => 1,
                JoinCollateral::Snp(_) => 2,
            };
            writer
                .u8(5)
                .bytes(invocation)
                .raw(config_hash)
                .raw(worker_key)
                .str(evidence.platform.name())
                .bytes(&evidence.bytes)
                .u8(kind)
                .bytes(collateral_bytes(collateral));
        }
        Body::Contract(invocation) => {
            writer.u8(1).bytes(invocation);
        }
        Body::Governance(invocation) => {
            writer.u8(2).bytes(invocation);
        }
        Body::Object {
            purpose,
            location,
            node,
        } => {
            writer.u8(3);
            match purpose {
                ObjectPurpose::OwnerRead => writer.u8(1),
                ObjectPurpose::TaskInput { task } => writer.u8(2).str(task),
                ObjectPurpose::Upload => writer.u8(3),
            };
            writer.str(location).raw(node);
        }
        Body::Export { node } => {
            writer.u8(4).raw(node);
        }
        Body::Keys(invocation) => {
            writer.u8(6).bytes(invocation);
        }
    }
}

pub(crate) fn decode_body(reader: &mut Reader<'_>) -> Result<Body, DecodeError> {
    match reader.u8()? {
        1 => Ok(Body::Contract(reader.bytes()?.to_vec())),
        2 => Ok(Body::Governance(reader.bytes()?.to_vec())),
        3 => {
            let purpose = match reader.u8()? {
                1 => ObjectPurpose::OwnerRead,
                2 => ObjectPurpose::TaskInput {
                    task: reader.string()?,
                },
                3 => ObjectPurpose::Upload,
                _ => return Err(DecodeError("object purpose")),
            };
            Ok(Body::Object {
                purpose,
                location: reader.string()?,
                node: reader.array()?,
            })
        }
        4 => Ok(Body::Export {
            node: reader.array()?,
        }),
        5 => {
            let invocation = reader.bytes()?.to_vec();
            let config_hash = reader.array()?;
            let worker_key = reader.array()?;
            let platform = reader
                .string()?
                .parse()
                .map_err(|_| DecodeError("evidence platform"))?;
            let evidence = EvidenceMessage {
                platform,
                bytes: reader.bytes()?.to_vec(),
            };
            let collateral = match (reader.u8()?, reader.bytes()?.to_vec()) {
                (0, bytes) if bytes.is_empty() => JoinCollateral::None,
                (1, bytes) => JoinCollateral::Dcap(bytes),
                (2, bytes) => JoinCollateral::Snp(bytes),
                _ => return Err(DecodeError("collateral kind")),
            };
            Ok(Body::Attested {
                invocation,
                config_hash,
                worker_key,
                evidence,
                collateral,
            })
        }
        6 => Ok(Body::Keys(reader.bytes()?.to_vec())),
        _ => Err(DecodeError("request body kind")),
    }
}

/// Why a client could not build a request or open a response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The response does not decrypt under this request's key (altered, or for
    /// another request).
    #[error("response does not decrypt under the request's response key")]
    Decrypt,
    /// The response is not in the response format.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The envelope could not be encoded (payload too large).
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    /// Encryption to the service key failed (not a valid X25519 key).
    #[error("cannot encrypt to the service transaction key: {0}")]
    Hpke(#[from] hpke::HpkeError),
    /// The random number generator failed.
    #[error("random number generator failed")]
    Random,
}

/// Milliseconds since the Unix epoch on this machine's clock, plus `lifetime_ms`: the
/// `not after` of a request built now.
pub fn not_after_from_now(lifetime_ms: u64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    now.saturating_add(lifetime_ms)
}

/// A fresh random request nonce (24 bytes).
fn fresh_nonce() -> Result<Vec<u8>, ClientError> {
    let mut nonce = vec![0u8; 24];
    default_provider()
        .fill_random(&mut nonce)
        .map_err(|_| ClientError::Random)?;
    Ok(nonce)
}

/// A request ready to send, with what is needed to open its response.
pub struct PreparedRequest {
    /// The sealed request: the `payload` of `Execute`, or the `envelope` of `Query`.
    pub payload: Vec<u8>,
    request: SignedRequest,
}

impl std::fmt::Debug for PreparedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedRequest")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl PreparedRequest {
    /// Builds a request with a fresh nonce and response key, valid for
    /// [`DEFAULT_LIFETIME_MS`] ([`OBJECT_LIFETIME_MS`] for an object or export
    /// authorization) of this machine's clock: `member` signs it and it is encrypted to
    /// `transaction_key` (the service's, from verified evidence).
    pub fn new(
        transaction_key: &[u8],
        member: &Member,
        purpose: Purpose,
        body: Body,
    ) -> Result<Self, ClientError> {
        let lifetime = match body {
            Body::Object { .. } | Body::Export { .. } => OBJECT_LIFETIME_MS,
            Body::Attested { .. } | Body::Contract(_) | Body::Governance(_) | Body::Keys(_) => {
                DEFAULT_LIFETIME_MS
            }
        };
        Self::valid_until(
            transaction_key,
            member,
            purpose,
            body,
            not_after_from_now(lifetime),
        )
    }

    /// Builds a request as [`PreparedRequest::new`] does, valid until `not_after_ms`.
    pub fn valid_until(
        transaction_key: &[u8],
        member: &Member,
        purpose: Purpose,
        body: Body,
        not_after_ms: u64,
    ) -> Result<Self, ClientError> {
        Self::with_nonce(
            transaction_key,
            member,
            purpose,
            body,
            not_after_ms,
            fresh_nonce()?,
        )
    }

    /// An attested contract transaction ([`Body::Attested`]) by a worker: `evidence`
    /// is called with the report data that binds `config_hash`, `worker_key`, the
    /// request's fresh nonce and `invocation` ([`crate::worker_report_data`]), and
    /// answers the evidence over it and its collateral.
    pub fn attested<E>(
        transaction_key: &[u8],
        member: &Member,
        invocation: impl Into<Vec<u8>>,
        config_hash: [u8; 32],
        worker_key: [u8; 32],
        evidence: impl FnOnce(&[u8; 64]) -> Result<(EvidenceMessage, JoinCollateral), E>,
    ) -> Result<Result<Self, E>, ClientError> {
        let invocation = invocation.into();
        let nonce = fresh_nonce()?;
        let report_data =
            crate::worker::worker_report_data(&config_hash, &worker_key, &nonce, &invocation);
        let (evidence, collateral) = match evidence(&report_data) {
            Ok(made) => made,
            Err(e) => return Ok(Err(e)),
        };
        let body = Body::Attested {
            invocation,
            config_hash,
            worker_key,
            evidence,
            collateral,
        };
        Self::with_nonce(
            transaction_key,
            member,
            Purpose::Transaction,
            body,
            not_after_from_now(DEFAULT_LIFETIME_MS),
            nonce,
        )
        .map(Ok)
    }

    fn with_nonce(
        transaction_key: &[u8],
        member: &Member,
        purpose: Purpose,
        body: Body,
        not_after_ms: u64,
        nonce: Vec<u8>,
    ) -> Result<Self, ClientError> {
        let provider = default_provider();
        let mut response_key = Zeroizing::new([0u8; 32]);
        provider
            .fill_random(response_key.as_mut())
            .map_err(|_| ClientError::Random)?;
        let request = SignedRequest {
            purpose,
            nonce,
            not_after_ms,
            response_key,
            body,
        };
        let envelope = member.sign(request.encode())?;
        let payload = seal_envelope(transaction_key, purpose, &envelope)?;
        Ok(Self { payload, request })
    }

    /// A contract transaction.
    pub fn transaction(
        transaction_key: &[u8],
        member: &Member,
        invocation: impl Into<Vec<u8>>,
    ) -> Result<Self, ClientError> {
        Self::new(
            transaction_key,
            member,
            Purpose::Transaction,
            Body::Contract(invocation.into()),
        )
    }

    /// A contract query.
    pub fn query(
        transaction_key: &[u8],
        member: &Member,
        query: impl Into<Vec<u8>>,
    ) -> Result<Self, ClientError> {
        Self::new(
            transaction_key,
            member,
            Purpose::Query,
            Body::Contract(query.into()),
        )
    }

    /// A governance invocation (`transaction`) or query (JSON, see
    /// [`crate::governance`]).
    pub fn governance(
        transaction_key: &[u8],
        member: &Member,
        purpose: Purpose,
        json: impl Into<Vec<u8>>,
    ) -> Result<Self, ClientError> {
        Self::new(
            transaction_key,
            member,
            purpose,
            Body::Governance(json.into()),
        )
    }

    /// A core-held key invocation (`transaction`) or query (JSON, see
    /// [`crate::keys`]).
    pub fn keys(
        transaction_key: &[u8],
        member: &Member,
        purpose: Purpose,
        json: impl Into<Vec<u8>>,
    ) -> Result<Self, ClientError> {
        Self::new(transaction_key, member, purpose, Body::Keys(json.into()))
    }

    /// An authorization to access the object at `location` of `node` for `purpose`
    /// (the value of the `x-strongroom-upload` header of `PUT /v1/objects/{location}`
    /// for [`ObjectPurpose::Upload`], of `x-strongroom-download` of `GET` otherwise).
    pub fn object(
        transaction_key: &[u8],
        member: &Member,
        purpose: ObjectPurpose,
        location: impl Into<String>,
        node: [u8; 32],
    ) -> Result<Self, ClientError> {
        Self::new(
            transaction_key,
            member,
            Purpose::Query,
            Body::Object {
                purpose,
                location: location.into(),
                node,
            },
        )
    }

    /// An authorization to export `node`'s ledger (the value of the
    /// `x-strongroom-export` header of `GET /v1/ledger/export`).
    pub fn export(
        transaction_key: &[u8],
        member: &Member,
        node: [u8; 32],
    ) -> Result<Self, ClientError> {
        Self::new(
            transaction_key,
            member,
            Purpose::Query,
            Body::Export { node },
        )
    }

    /// The request's nonce.
    pub fn nonce(&self) -> &[u8] {
        &self.request.nonce
    }

    /// The signed request.
    pub fn request(&self) -> &SignedRequest {
        &self.request
    }

    /// Opens the core's response to this request.
    pub fn open_response(&self, response: &[u8]) -> Result<Reply, ClientError> {
        crate::response::open(&self.request, response)
    }
}

/// Encrypts an already signed envelope to the service transaction key (for clients
/// that sign elsewhere, and for tests that build odd envelopes).
pub fn seal_envelope(
    transaction_key: &[u8],
    purpose: Purpose,
    envelope: &SignedEnvelope,
) -> Result<Vec<u8>, ClientError> {
    let recipient = PublicKey::from_bytes(KemId::DhKemX25519HkdfSha256, transaction_key)?;
    let (enc, ciphertext) = hpke::seal(
        Suite::default(),
        &recipient,
        purpose.info(),
        &[],
        &envelope.to_bytes()?,
        None,
    )?;
    let mut out = Vec::with_capacity(1 + enc.len() + ciphertext.len());
    out.push(SEALED_VERSION);
    out.extend_from_slice(&enc);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Splits a sealed request into `enc` and ciphertext.
pub(crate) fn split_sealed(sealed: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = sealed.strip_prefix(&[SEALED_VERSION])?;
    rest.split_at_checked(ENC_LEN)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn request(body: Body) -> SignedRequest {
        SignedRequest {
            purpose: Purpose::Query,
            nonce: vec![7; 16],
            not_after_ms: 0x0102_0304_0506_0708,
            response_key: Zeroizing::new([9; 32]),
            body,
        }
    }

    #[test]
    fn every_body_round_trips_and_every_prefix_is_refused() {
        for body in [
            Body::Contract(b"{}".to_vec()),
            Body::Governance(b"{\"op\":\"x\"}".to_vec()),
            Body::Export { node: [3; 32] },
            Body::Object {
                purpose: ObjectPurpose::OwnerRead,
                location: "data/ab".into(),
                node: [4; 32],
            },
            Body::Object {
                purpose: ObjectPurpose::TaskInput {
                    task: "task-0000000000000007".into(),
                },
                location: "data/cd".into(),
                node: [5; 32],
            },
            Body::Object {
                purpose: ObjectPurpose::Upload,
                location: "data/ef".into(),
                node: [6; 32],
            },
        ] {
            let request = request(body);
            let bytes = request.encode();
            // 1 version, 1 purpose, 4 + 16 nonce, 8 not after, 32 response key.
            assert_eq!(bytes.len(), 62 + body_len(&request.body));
            assert_eq!(SignedRequest::decode(&bytes).unwrap(), request);
            for cut in 0..bytes.len() {
                assert!(SignedRequest::decode(&bytes[..cut]).is_err(), "{cut}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(SignedRequest::decode(&longer).is_err());
        }
    }

    #[test]
    fn the_first_version_is_refused_by_name() {
        let mut bytes = request(Body::Contract(Vec::new())).encode();
        bytes[0] = 1;
        assert_eq!(
            SignedRequest::decode(&bytes).unwrap_err(),
            DecodeError("signed request version (2 expected)")
        );
    }
}
