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
//! record   = 0x02 || 0x01 || msp id || name || role || cert SHA-256 (32) || nonce
//!                  || not after u64 || body || outcome || writes   ; an authenticated request
//!          | 0x02 || 0x02 || refusal                             ; refused before its checks passed
//! outcome  = 0x00 || result | 0x01 || refusal
//! refusal  = code u16 || detail
//! writes   = contract writes || core writes
//! (each)   = count u64 || (key || 0x00 | key || 0x01 || value)*   ; keys strictly ascending
//! ```
//!
//! (strings and byte fields with a `u32` length; `body` as in [`crate::request`]; the
//! refusal codes are [`RefusalCode`]'s numbers).
//!
//! A record holds what the transaction changed: the writes to the contract's state and
//! to the core's own (organizations, governance, revocations), and the nonce with its
//! `not after`, which the core remembers until then. Replay applies them; it does not
//! run the contract again, so a later version of the code, whose rules or messages
//! differ, rebuilds exactly the state that the ledger's writer computed (as CCF's
//! ledger of write sets does). The caller, body and outcome are kept for the audit
//! (what was asked, by whom, and what came of it); the detail of a refusal is for
//! display only, never compared. A record does not hold the response key nor the
//! signature: the entry is authenticated by the ledger secret and its signature was
//! checked when it was first executed.

use serde::{Deserialize, Serialize};
use strongroom_contract::Caller;

use crate::codec::{DecodeError, Reader, Writer};
use crate::error::EnclaveError;
use crate::governance::Threshold;
use crate::refusal::{Refusal, RefusalCode};
use crate::request::{Body, decode_body, encode_body};
use crate::secrets::PublicKeys;

/// The `format` of a [`GenesisRecord`].
pub const GENESIS_FORMAT: &str = "strongroom-genesis/v1";

/// 2: typed refusal codes, the request's `not after`, and write sets.
const VERSION: u8 = 2;

/// The founding rules of a service: which organizations take part, and how many of
/// them must vote for a change of membership or of the rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constitution {
    /// The founding organizations, each with its root CA.
    pub organizations: Vec<Organization>,
    /// How many organizations' votes carry a proposal (default: a majority).
    #[serde(default)]
    pub threshold: Threshold,
    /// The node policy (TOML, the same format as the worker policy): which platforms
    /// and core measurements may join the service and receive its secrets. None: no
    /// node may join until governance sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_policy: Option<String>,
    /// The worker policy (TOML, as `docs/attestation.md` describes): which platforms
    /// and worker measurements may receive data keys. None: no worker may, until
    /// governance sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_policy: Option<String>,
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

/// One key's change: its new value, or `None` for a deletion.
pub type Write = (Vec<u8>, Option<Vec<u8>>);

/// What a transaction changed, in key order per store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteSet {
    /// Writes to the contract's state.
    pub contract: Vec<Write>,
    /// Writes to the core's own state (organizations, governance, revocations).
    pub core: Vec<Write>,
}

impl WriteSet {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.contract.is_empty() && self.core.is_empty()
    }
}

/// One executed transaction, as recorded (the plaintext of an encrypted entry).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
// Records live only while one entry is sealed or replayed: boxing the larger variant
// would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum LedgerRecord {
    /// An authenticated request, its outcome and what it changed.
    Executed {
        /// Who signed it.
        caller: Caller,
        /// SHA-256 of the signer's certificate.
        cert_fingerprint: [u8; 32],
        /// The request's nonce, remembered until `not_after_ms`.
        nonce: Vec<u8>,
        /// The request's `not after` (ledger time, ms).
        not_after_ms: u64,
        /// What it asked.
        body: Body,
        /// The answer, or why it was refused.
        outcome: Result<Vec<u8>, Refusal>,
        /// What it changed (nothing when refused).
        writes: WriteSet,
    },
    /// A request refused before it could run: undecryptable, forged, expired, replayed.
    /// It changes nothing.
    Refused {
        /// Why.
        refusal: Refusal,
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
                not_after_ms,
                body,
                outcome,
                writes,
            } => {
                writer
                    .u8(1)
                    .str(&caller.msp_id)
                    .str(&caller.name)
                    .str(&caller.role)
                    .raw(cert_fingerprint)
                    .bytes(nonce)
                    .u64(*not_after_ms);
                encode_body(&mut writer, body);
                match outcome {
                    Ok(result) => {
                        writer.u8(0).bytes(result);
                    }
                    Err(refusal) => {
                        writer.u8(1);
                        encode_refusal(&mut writer, refusal);
                    }
                }
                encode_writes(&mut writer, &writes.contract);
                encode_writes(&mut writer, &writes.core);
            }
            Self::Refused { refusal } => {
                writer.u8(2);
                encode_refusal(&mut writer, refusal);
            }
        }
        writer.0
    }

    /// Decodes [`LedgerRecord::encode`]'s output; any other input is an error.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes, "ledger record");
        if reader.u8()? != VERSION {
            return Err(DecodeError("ledger record version (2 expected)"));
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
                let not_after_ms = reader.u64()?;
                let body = decode_body(&mut reader)?;
                let outcome = match reader.u8()? {
                    0 => Ok(reader.bytes()?.to_vec()),
                    1 => Err(decode_refusal(&mut reader)?),
                    _ => return Err(DecodeError("ledger record outcome")),
                };
                let writes = WriteSet {
                    contract: decode_writes(&mut reader)?,
                    core: decode_writes(&mut reader)?,
                };
                Self::Executed {
                    caller,
                    cert_fingerprint,
                    nonce,
                    not_after_ms,
                    body,
                    outcome,
                    writes,
                }
            }
            2 => Self::Refused {
                refusal: decode_refusal(&mut reader)?,
            },
            _ => return Err(DecodeError("ledger record kind")),
        };
        reader.finish()?;
        Ok(record)
    }
}

fn encode_refusal(writer: &mut Writer, refusal: &Refusal) {
    writer.u16(refusal.code.to_u16()).str(&refusal.detail);
}

fn decode_refusal(reader: &mut Reader<'_>) -> Result<Refusal, DecodeError> {
    let code = RefusalCode::from_u16(reader.u16()?).ok_or(DecodeError("refusal code"))?;
    Ok(Refusal {
        code,
        detail: reader.string()?,
    })
}

fn encode_writes(writer: &mut Writer, writes: &[Write]) {
    writer.count(writes.len());
    for (key, value) in writes {
        writer.bytes(key);
        match value {
            None => writer.u8(0),
            Some(value) => writer.u8(1).bytes(value),
        };
    }
}

/// Writes in strictly ascending key order (the only encoding of a write set).
fn decode_writes(reader: &mut Reader<'_>) -> Result<Vec<Write>, DecodeError> {
    // Each write takes at least 5 bytes (a key length and a tag).
    let count = reader.count(5)?;
    let mut writes: Vec<Write> = Vec::with_capacity(count);
    for _ in 0..count {
        let key = reader.bytes()?.to_vec();
        if writes.last().is_some_and(|(last, _)| *last >= key) {
            return Err(DecodeError("write set order"));
        }
        let value = match reader.u8()? {
            0 => None,
            1 => Some(reader.bytes()?.to_vec()),
            _ => return Err(DecodeError("write tag")),
        };
        writes.push((key, value));
    }
    Ok(writes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn executed() -> LedgerRecord {
        LedgerRecord::Executed {
            caller: Caller {
                msp_id: "Org1MSP".into(),
                name: "alice".into(),
                role: "owner".into(),
            },
            cert_fingerprint: [1; 32],
            nonce: vec![2; 16],
            not_after_ms: 77,
            body: Body::Contract(b"{}".to_vec()),
            outcome: Ok(b"ok".to_vec()),
            writes: WriteSet {
                contract: vec![(b"a".to_vec(), Some(b"1".to_vec())), (b"b".to_vec(), None)],
                core: vec![(b"org/X".to_vec(), Some(vec![0; 3]))],
            },
        }
    }

    #[test]
    fn records_round_trip_and_every_prefix_is_refused() {
        for record in [
            executed(),
            LedgerRecord::Refused {
                refusal: Refusal::new(RefusalCode::Replayed, ""),
            },
        ] {
            let bytes = record.encode();
            assert_eq!(LedgerRecord::decode(&bytes).unwrap(), record);
            for cut in 0..bytes.len() {
                assert!(LedgerRecord::decode(&bytes[..cut]).is_err(), "{cut}");
            }
        }
    }

    #[test]
    fn writes_out_of_key_order_are_refused() {
        let LedgerRecord::Executed { mut writes, .. } = executed() else {
            unreachable!()
        };
        writes.contract.reverse();
        let record = LedgerRecord::Executed {
            caller: Caller {
                msp_id: "O".into(),
                name: "n".into(),
                role: "r".into(),
            },
            cert_fingerprint: [0; 32],
            nonce: vec![0; 16],
            not_after_ms: 0,
            body: Body::Contract(Vec::new()),
            outcome: Ok(Vec::new()),
            writes,
        };
        assert_eq!(
            LedgerRecord::decode(&record.encode()),
            Err(DecodeError("write set order"))
        );
    }

    #[test]
    fn unknown_refusal_codes_are_refused() {
        let mut bytes = LedgerRecord::Refused {
            refusal: Refusal::new(RefusalCode::Expired, "x"),
        }
        .encode();
        bytes[2] = 0xff;
        assert_eq!(
            LedgerRecord::decode(&bytes),
            Err(DecodeError("refusal code"))
        );
    }
}
