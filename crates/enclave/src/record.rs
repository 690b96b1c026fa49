//! What the core writes on the ledger: the genesis record (in clear) and the records
//! of executed transactions (encrypted, see [`crate::entry`]).
//!
//! # Genesis (in clear)
//!
//! The genesis entry's payload is the JSON [`GenesisRecord`]: the constitution (the
//! founding organizations and their root CA certificates) and the service public
//! keys. It is public on purpose: an observer learns from it the key that signs the
//! ledger's roots, and the organizations' roots are public certificates.
//!
//! # Transaction records (encrypted)
//!
//! ```text
//! record   = 0x01 || 0x01 || msp id || name || role || cert SHA-256 (32) || nonce
//!                  || body || outcome                 ; an authenticated request
//!          | 0x01 || 0x02 || reason                   ; refused before authentication
//! outcome  = 0x00 || result | 0x01 || reason
//! ```
//!
//! (strings and byte fields with a `u32` length; `body` as in [`crate::request`]).
//! A record holds everything replay needs to re-execute the transaction: the caller
//! identity, the nonce and the invocation; and the outcome, which replay checks. It
//! does not hold the response key nor the signature: the entry is authenticated by
//! the ledger secret and its signature was checked when it was first executed.

use serde::{Deserialize, Serialize};
use strongroom_contract::Caller;

use crate::codec::{DecodeError, Reader, Writer};
use crate::error::EnclaveError;
use crate::request::{Body, decode_body, encode_body};
use crate::secrets::PublicKeys;

/// The `format` of a [`GenesisRecord`].
pub const GENESIS_FORMAT: &str = "strongroom-genesis/v1";

const VERSION: u8 = 1;

/// The founding rules of a service: which organizations take part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constitution {
    /// The founding organizations, each with its root CA.
    pub organizations: Vec<Organization>,
}

/// An organization and its root CA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// The MSP id (the O of its certificates).
    pub msp_id: String,
    /// The root CA certificate, PEM.
    pub ca_cert_pem: String,
}

impl Organization {
    /// An organization from its root CA certificate in DER (written as PEM).
    pub fn from_der(msp_id: impl Into<String>, ca_cert_der: &[u8]) -> Result<Self, EnclaveError> {
        let ca_cert_pem = pkcs8::der::Document::try_from(ca_cert_der)
            .and_then(|doc| doc.to_pem("CERTIFICATE", pkcs8::LineEnding::LF))
            .map_err(|e| EnclaveError::InvalidConstitution(format!("CA certificate: {e}")))?;
        Ok(Self {
            msp_id: msp_id.into(),
            ca_cert_pem,
        })
    }
}

/// The payload of the genesis entry (JSON, in clear).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisRecord {
    /// Always [`GENESIS_FORMAT`].
    pub format: String,
    /// The constitution.
    pub constitution: Constitution,
    /// The service public keys.
    pub public_keys: PublicKeys,
}

/// One executed transaction, as recorded (the plaintext of an encrypted entry).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LedgerRecord {
    /// An authenticated request and its outcome.
    Executed {
        /// Who signed it.
        caller: Caller,
        /// SHA-256 of the signer's certificate.
        cert_fingerprint: [u8; 32],
        /// The request's nonce.
        nonce: Vec<u8>,
        /// What it asked.
        body: Body,
        /// The outcome.
        outcome: Result<Vec<u8>, String>,
    },
    /// A request refused before its signer was authenticated (or a replay).
    Refused {
        /// Why.
        reason: String,
    },
}

impl LedgerRecord {
    /// The encoding (see the [module docs](self)).
    pub fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::with_capacity(256);
        writer.u8(VERSION);
        match self {
            Self::Executed {
                caller,
                cert_fingerprint,
                nonce,
                body,
                outcome,
            } => {
                writer
                    .u8(1)
                    .str(&caller.msp_id)
                    .str(&caller.name)
                    .str(&caller.role)
                    .raw(cert_fingerprint)
                    .bytes(nonce);
                encode_body(&mut writer, body);
                match outcome {
                    Ok(result) => writer.u8(0).bytes(result),
                    Err(reason) => writer.u8(1).str(reason),
                };
            }
            Self::Refused { reason } => {
                writer.u8(2).str(reason);
            }
        }
        writer.0
    }

    /// Decodes [`LedgerRecord::encode`]'s output; any other input is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes, "ledger record");
        if reader.u8()? != VERSION {
            return Err(DecodeError("ledger record version"));
        }
        let record = match reader.u8()? {
            1 => {
                let caller = Caller {
                    msp_id: reader.string()?,
                    name: reader.string()?,
                    role: reader.string()?,
                };
                let cert_fingerprint = reader.array()?;
                let nonce = reader.bytes()?.to_vec();
                let body = decode_body(&mut reader)?;
                let outcome = match reader.u8()? {
                    0 => Ok(reader.bytes()?.to_vec()),
                    1 => Err(reader.string()?),
                    _ => return Err(DecodeError("ledger record outcome")),
                };
                Self::Executed {
                    caller,
                    cert_fingerprint,
                    nonce,
                    body,
                    outcome,
                }
            }
            2 => Self::Refused {
                reason: reader.string()?,
            },
            _ => return Err(DecodeError("ledger record kind")),
        };
        reader.finish()?;
        Ok(record)
    }
}
