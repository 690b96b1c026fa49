//! The state a core rebuilds from the ledger: the trusted organizations, the seen
//! transaction nonces, the contract's key-value state, and the last applied position.
//!
//! The digest ([`CoreState::digest`]) is SHA-256 over
//! `"strongroom/enclave/state/v1"`, then the organizations (MSP id, root DER), the
//! nonces and the contract entries, each list preceded by its count and each item
//! length-prefixed, all in sorted order. It covers what transactions change, not the
//! position: a refused request, which changes nothing, leaves it unchanged.
//!
//! The snapshot encoding is the same fields in the same order, followed by the last
//! applied sequence number and timestamp.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use strongroom_contract::MemState;
use strongroom_identity::TrustStore;

use crate::codec::{DecodeError, Reader, Writer};

const DIGEST_DOMAIN: &[u8] = b"strongroom/enclave/state/v1";
/// 2: the contract's records are postcard, not JSON (a version-1 snapshot's contract
/// state would not decode).
const SNAPSHOT_VERSION: u8 = 2;

/// Where the core is in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) sequence: u64,
    pub(crate) timestamp_ms: u64,
}

/// See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub(crate) struct CoreState {
    pub(crate) organizations: TrustStore,
    pub(crate) nonces: BTreeSet<Vec<u8>>,
    pub(crate) contract: MemState,
    pub(crate) applied: Option<Applied>,
}

impl CoreState {
    fn write_content(&self, writer: &mut Writer) {
        writer.count(self.organizations.len());
        for msp_id in self.organizations.msp_ids() {
            writer
                .str(msp_id)
                .bytes(self.organizations.root(msp_id).unwrap_or_default());
        }
        writer.count(self.nonces.len());
        for nonce in &self.nonces {
            writer.bytes(nonce);
        }
        writer.count(self.contract.len());
        for (key, value) in self.contract.iter() {
            writer.bytes(key).bytes(value);
        }
    }

    /// The state digest (see the [module docs](self)).
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut writer = Writer::default();
        writer.raw(DIGEST_DOMAIN);
        self.write_content(&mut writer);
        Sha256::digest(&writer.0).into()
    }

    /// The snapshot plaintext.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u8(SNAPSHOT_VERSION);
        self.write_content(&mut writer);
        let (sequence, timestamp_ms) = self
            .applied
            .map_or((0, 0), |a| (a.sequence, a.timestamp_ms));
        writer.u64(sequence).u64(timestamp_ms);
        writer.0
    }

    /// Decodes [`CoreState::encode`]'s output.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes, "snapshot");
        if reader.u8()? != SNAPSHOT_VERSION {
            return Err(DecodeError("snapshot version"));
        }
        let mut organizations = TrustStore::new();
        for _ in 0..reader.count(8)? {
            let msp_id = reader.string()?;
            organizations.insert(msp_id, reader.bytes()?.to_vec());
        }
        let mut nonces = BTreeSet::new();
        for _ in 0..reader.count(4)? {
            nonces.insert(reader.bytes()?.to_vec());
        }
        let mut entries = Vec::new();
        for _ in 0..reader.count(8)? {
            let key = reader.bytes()?.to_vec();
            entries.push((key, reader.bytes()?.to_vec()));
        }
        let sequence = reader.u64()?;
        let timestamp_ms = reader.u64()?;
        reader.finish()?;
        Ok(Self {
            organizations,
            nonces,
            contract: entries.into_iter().collect(),
            applied: (sequence > 0).then_some(Applied {
                sequence,
                timestamp_ms,
            }),
        })
    }
}
