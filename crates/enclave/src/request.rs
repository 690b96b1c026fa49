//! What a client sends to the core and what it gets back, and the client-side helpers
//! that build and open them.
//!
//! # Request
//!
//! A member signs a [`SignedRequest`] (as a [`SignedEnvelope`]), and the envelope is
//! encrypted with HPKE (base mode, DHKEM(X25519)/HKDF-SHA256/AES-256-GCM) to the
//! service transaction key, with `info` [`TRANSACTION_INFO`] or [`QUERY_INFO`]:
//!
//! ```text
//! sealed request = 0x01 || enc (32) || HPKE ciphertext of the envelope bytes
//! signed request = 0x01 || purpose u8 (1 transaction, 2 query) || nonce (u32 len, 16..=32 bytes)
//!                  || response key (32) || body
//! body           = 0x01 || invocation (u32 len)                       ; contract
//!                | 0x02 || msp id (u32 len) || CA certificate PEM (u32 len)  ; add an organization
//!                | 0x03 || access u8 (1 read, 2 write) || object location (u32 len)  ; authorize an object access
//! ```
//!
//! An object authorization is sent with the query purpose and `info` (it is not
//! ordered); the host asks the core to check it, for the access it is about to grant,
//! before it serves an object (read) or stores one (write) (see
//! [`crate::EnclaveRequest::AuthorizeObject`]). A read authorization does not
//! authorize a write, nor the other way round.
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

use serde::{Deserialize, Serialize};
use strongroom_crypto::hpke::{self, KemId, PublicKey, Suite};
use strongroom_crypto::provider::{CryptoProvider, default_provider};
use strongroom_identity::{EncodingError, Member, SignedEnvelope};
use zeroize::Zeroizing;

use crate::codec::{DecodeError, Reader, Writer};

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

const VERSION: u8 = 1;
const ENC_LEN: usize = 32;
const RESPONSE_DOMAIN: &[u8] = b"strongroom/enclave/response/v1";
const RESPONSE_SEALED: u8 = 1;
const RESPONSE_CLEAR: u8 = 2;

/// What a signed request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A read-only query (not ordered, not recorded).
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

/// What an object authorization lets its holder do at one location of the node's
/// object store. Variants in alphabetical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectAccess {
    /// Download the object (`GET /v1/objects/{location}`).
    Read,
    /// Upload one object (`PUT /v1/objects/{location}`).
    Write,
}

impl ObjectAccess {
    fn to_byte(self) -> u8 {
        match self {
            Self::Read => 1,
            Self::Write => 2,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Read),
            2 => Some(Self::Write),
            _ => None,
        }
    }
}

impl std::fmt::Display for ObjectAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Write => "write",
        })
    }
}

/// What a request asks the core to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// Add an organization to the trusted set (a governance transaction; the caller
    /// must be an `admin`).
    AddOrganization {
        /// The organization's MSP id.
        msp_id: String,
        /// Its root CA certificate, PEM.
        ca_cert_pem: String,
    },
    /// Invoke (or, for a query, ask) the contract.
    Contract(Vec<u8>),
    /// Authorize `access` to the object at `location` in the node's object store
    /// (sent with [`Purpose::Query`]; neither a transaction nor a contract query).
    Object {
        /// A download or an upload.
        access: ObjectAccess,
        /// The object's location, as in `/v1/objects/{location}`.
        location: String,
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
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

impl SignedRequest {
    /// The encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_capacity(64 + body_len(&self.body));
        writer
            .u8(VERSION)
            .u8(self.purpose.to_byte())
            .bytes(&self.nonce)
            .raw(self.response_key.as_ref());
        encode_body(&mut writer, &self.body);
        writer.0
    }

    /// Decodes and checks the nonce length.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes, "signed request");
        if reader.u8()? != VERSION {
            return Err(DecodeError("signed request version"));
        }
        let purpose =
            Purpose::from_byte(reader.u8()?).ok_or(DecodeError("signed request purpose"))?;
        let nonce = reader.bytes()?.to_vec();
        if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len()) {
            return Err(DecodeError("nonce length"));
        }
        let response_key = Zeroizing::new(reader.array::<32>()?);
        let body = decode_body(&mut reader)?;
        reader.finish()?;
        Ok(Self {
            purpose,
            nonce,
            response_key,
            body,
        })
    }
}

fn body_len(body: &Body) -> usize {
    match body {
        Body::AddOrganization {
            msp_id,
            ca_cert_pem,
        } => msp_id.len() + ca_cert_pem.len() + 9,
        Body::Contract(invocation) => invocation.len() + 5,
        Body::Object { location, .. } => location.len() + 6,
    }
}

pub(crate) fn encode_body(writer: &mut Writer, body: &Body) {
    match body {
        Body::Contract(invocation) => {
            writer.u8(1).bytes(invocation);
        }
        Body::AddOrganization {
            msp_id,
            ca_cert_pem,
        } => {
            writer.u8(2).str(msp_id).str(ca_cert_pem);
        }
        Body::Object { access, location } => {
            writer.u8(3).u8(access.to_byte()).str(location);
        }
    }
}

pub(crate) fn decode_body(reader: &mut Reader<'_>) -> Result<Body, DecodeError> {
    match reader.u8()? {
        1 => Ok(Body::Contract(reader.bytes()?.to_vec())),
        2 => Ok(Body::AddOrganization {
            msp_id: reader.string()?,
            ca_cert_pem: reader.string()?,
        }),
        3 => Ok(Body::Object {
            access: ObjectAccess::from_byte(reader.u8()?).ok_or(DecodeError("object access"))?,
            location: reader.string()?,
        }),
        _ => Err(DecodeError("request body kind")),
    }
}

/// The answer inside a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The contract's result.
    Accept(Vec<u8>),
    /// The core refused; why (authenticated: only the core could write it).
    Refuse(String),
    /// The core could not read the request and answered in clear; unauthenticated.
    RefuseUnauthenticated(String),
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
    /// Builds a request with a fresh nonce and response key: `member` signs it and it
    /// is encrypted to `transaction_key` (the service's, from verified evidence).
    pub fn new(
        transaction_key: &[u8],
        member: &Member,
        purpose: Purpose,
        body: Body,
    ) -> Result<Self, ClientError> {
        let provider = default_provider();
        let mut nonce = vec![0u8; 24];
        provider
            .fill_random(&mut nonce)
            .map_err(|_| ClientError::Random)?;
        let mut response_key = Zeroizing::new([0u8; 32]);
        provider
            .fill_random(response_key.as_mut())
            .map_err(|_| ClientError::Random)?;
        let request = SignedRequest {
            purpose,
            nonce,
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

    /// An authorization of `access` to the object at `location`.
    pub fn object(
        transaction_key: &[u8],
        member: &Member,
        access: ObjectAccess,
        location: impl Into<String>,
    ) -> Result<Self, ClientError> {
        Self::new(
            transaction_key,
            member,
            Purpose::Query,
            Body::Object {
                access,
                location: location.into(),
            },
        )
    }

    /// An authorization to download the object at `location` (the value of the
    /// `x-strongroom-download` header of `GET /v1/objects/{location}`).
    pub fn download(
        transaction_key: &[u8],
        member: &Member,
        location: impl Into<String>,
    ) -> Result<Self, ClientError> {
        Self::object(transaction_key, member, ObjectAccess::Read, location)
    }

    /// An authorization to upload one object to `location` (the value of the
    /// `x-strongroom-upload` header of `PUT /v1/objects/{location}`).
    pub fn upload(
        transaction_key: &[u8],
        member: &Member,
        location: impl Into<String>,
    ) -> Result<Self, ClientError> {
        Self::object(transaction_key, member, ObjectAccess::Write, location)
    }

    /// The request's nonce.
    pub fn nonce(&self) -> &[u8] {
        &self.request.nonce
    }

    /// Opens the core's response to this request.
    pub fn open_response(&self, response: &[u8]) -> Result<Reply, ClientError> {
        self.request.open_response(response)
    }
}

impl SignedRequest {
    /// Opens the core's response to this request (with its response key).
    pub fn open_response(&self, response: &[u8]) -> Result<Reply, ClientError> {
        let (&tag, rest) = response
            .split_first()
            .ok_or(DecodeError("empty response"))?;
        match tag {
            RESPONSE_SEALED => {
                let (nonce, ciphertext) = rest
                    .split_at_checked(12)
                    .ok_or(DecodeError("response nonce"))?;
                let plain = default_provider()
                    .aes_gcm_open(
                        self.response_key.as_ref(),
                        nonce,
                        &response_aad(self.purpose, &self.nonce),
                        ciphertext,
                    )
                    .map_err(|_| ClientError::Decrypt)?;
                decode_reply(&plain)
            }
            RESPONSE_CLEAR => Ok(Reply::RefuseUnauthenticated(
                String::from_utf8_lossy(rest).into_owned(),
            )),
            _ => Err(DecodeError("response kind").into()),
        }
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
    out.push(VERSION);
    out.extend_from_slice(&enc);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Splits a sealed request into `enc` and ciphertext.
pub(crate) fn split_sealed(sealed: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = sealed.strip_prefix(&[VERSION])?;
    rest.split_at_checked(ENC_LEN)
}

pub(crate) fn response_aad(purpose: Purpose, nonce: &[u8]) -> Vec<u8> {
    let mut writer = Writer::with_capacity(RESPONSE_DOMAIN.len() + 5 + nonce.len());
    writer
        .raw(RESPONSE_DOMAIN)
        .u8(purpose.to_byte())
        .bytes(nonce);
    writer.0
}

/// Encrypts `reply` to the request's response key with a random nonce.
pub(crate) fn seal_reply(
    provider: &dyn CryptoProvider,
    request: &SignedRequest,
    reply: Result<&[u8], &str>,
) -> Option<Vec<u8>> {
    let mut plain = Zeroizing::new(Vec::with_capacity(
        1 + reply.map_or_else(str::len, <[u8]>::len),
    ));
    match reply {
        Ok(result) => {
            plain.push(0);
            plain.extend_from_slice(result);
        }
        Err(reason) => {
            plain.push(1);
            plain.extend_from_slice(reason.as_bytes());
        }
    }
    let mut nonce = [0u8; 12];
    provider.fill_random(&mut nonce).ok()?;
    let ciphertext = provider
        .aes_gcm_seal(
            request.response_key.as_ref(),
            &nonce,
            &response_aad(request.purpose, &request.nonce),
            &plain,
        )
        .ok()?;
    let mut out = Vec::with_capacity(13 + ciphertext.len());
    out.push(RESPONSE_SEALED);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Some(out)
}

/// A refusal in clear, for requests the core could not read.
pub(crate) fn clear_refusal(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + reason.len());
    out.push(RESPONSE_CLEAR);
    out.extend_from_slice(reason.as_bytes());
    out
}

fn decode_reply(plain: &[u8]) -> Result<Reply, ClientError> {
    match plain.split_first() {
        Some((0, result)) => Ok(Reply::Accept(result.to_vec())),
        Some((1, reason)) => Ok(Reply::Refuse(String::from_utf8_lossy(reason).into_owned())),
        _ => Err(DecodeError("reply").into()),
    }
}
