//! Receipts: an entry, its Merkle inclusion path and the signed root covering it,
//! verifiable offline.

use serde::{Deserialize, Serialize};
use strongroom_crypto::provider::{VerifyingKey, default_provider};

use crate::entry::{Entry, EntryKind, Hash, hash_encoded};
use crate::merkle::{InclusionProof, MerkleTree, leaf_hash};
use crate::signature::SignedRoot;
use crate::store::{LedgerStore, StoreError};

/// Version of the receipt JSON format.
pub const RECEIPT_VERSION: u8 = 1;

/// Entries read per step while looking for the signature covering an entry.
const SCAN_CHUNK: u64 = 256;

/// Why a receipt could not be built, decoded or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The entry in the receipt is malformed.
    #[error("receipt entry is malformed")]
    Entry,
    /// The inclusion path does not lead from the entry to the signed root.
    #[error("inclusion proof does not verify")]
    InvalidProof,
    /// The JSON or a hex field is malformed.
    #[error("malformed receipt: {0}")]
    Malformed(String),
    /// No signature entry covers the entry yet, or the entry is not stored.
    #[error("no signed root covers entry {sequence} yet")]
    NotCovered {
        /// The sequence number.
        sequence: u64,
    },
    /// The signature does not verify, or the signer is not the trusted key.
    #[error("signed root does not verify")]
    InvalidSignature,
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The receipt version is not [`RECEIPT_VERSION`].
    #[error("unknown receipt version {0}")]
    UnknownVersion(u8),
}

/// A receipt for one ledger entry. Byte fields are hex in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// [`RECEIPT_VERSION`].
    pub version: u8,
    /// The encoded entry (hex).
    pub entry: String,
    /// The tree size the proof and signed root are for.
    pub tree_size: u64,
    /// The audit path, leaf first (hex).
    pub path: Vec<String>,
    /// The signed Merkle root (hex).
    pub root: String,
    /// The DER ECDSA signature over the signed-root message (hex).
    pub signature: String,
    /// The signer's SubjectPublicKeyInfo DER (hex).
    pub signer: String,
    /// Sequence number of the signature entry that carried the signed root.
    pub signature_sequence: u64,
    /// The signer's X.509 certificate, DER (hex), if the issuer attached it (see
    /// [`Receipt::with_certificate`]). Whoever checks the receipt checks that it
    /// certifies [`Receipt::signer`] and decides whether to trust it; this crate does
    /// not parse X.509.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

/// What a verified receipt proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// The entry.
    pub entry: Entry,
    /// Its entry hash.
    pub entry_hash: Hash,
    /// The tree size of the signed root.
    pub tree_size: u64,
    /// The signed root.
    pub root: Hash,
    /// The key that signed the root.
    pub signer: VerifyingKey,
    /// Whether the signer was checked against a trusted key (otherwise the caller
    /// must decide whether to trust [`VerifiedReceipt::signer`]).
    pub signer_trusted: bool,
    /// The attached certificate (DER), unchecked here.
    pub certificate: Option<Vec<u8>>,
}

impl Receipt {
    /// Builds a receipt from its parts.
    pub fn new(
        entry: &Entry,
        proof: &InclusionProof,
        signed: &SignedRoot,
        signature_sequence: u64,
    ) -> Result<Self, ReceiptError> {
        Ok(Self {
            version: RECEIPT_VERSION,
            entry: hex::encode(entry.encode().map_err(|_| ReceiptError::Entry)?),
            tree_size: proof.tree_size,
            path: proof.path.iter().map(hex::encode).collect(),
            root: hex::encode(signed.root),
            signature: hex::encode(&signed.signature),
            signer: hex::encode(&signed.signer),
            signature_sequence,
            certificate: None,
        })
    }

    /// Attaches the signer's certificate (DER).
    pub fn with_certificate(mut self, der: &[u8]) -> Self {
        self.certificate = Some(hex::encode(der));
        self
    }

    /// Builds the receipt of entry `sequence` from the store, using the first
    /// signature entry after it. `tree` must hold the store's entries.
    pub fn from_store(
        store: &LedgerStore,
        tree: &MerkleTree,
        sequence: u64,
    ) -> Result<Self, ReceiptError> {
        let not_covered = || ReceiptError::NotCovered { sequence };
        let entry = store.entry(sequence)?.ok_or_else(not_covered)?;
        let mut start = sequence.saturating_add(1);
        loop {
            let chunk = store.range(start..=start.saturating_add(SCAN_CHUNK - 1))?;
            if chunk.is_empty() {
                return Err(not_covered());
            }
            for candidate in &chunk {
                if candidate.header.kind == EntryKind::Signature {
                    let signed =
                        SignedRoot::decode(&candidate.payload).map_err(|_| not_covered())?;
                    let proof = tree
                        .prove(sequence - 1, signed.tree_size)
                        .map_err(|_| not_covered())?;
                    return Self::new(&entry, &proof, &signed, candidate.header.sequence);
                }
            }
            start = start.saturating_add(SCAN_CHUNK);
        }
    }

    /// Encodes as JSON.
    pub fn encode(&self) -> Result<String, ReceiptError> {
        serde_json::to_string(self).map_err(|e| ReceiptError::Malformed(e.to_string()))
    }

    /// Decodes from JSON.
    pub fn decode(json: &str) -> Result<Self, ReceiptError> {
        serde_json::from_str(json).map_err(|e| ReceiptError::Malformed(e.to_string()))
    }

    /// Verifies offline: the entry hashes to a leaf at index `sequence - 1`, the path
    /// leads to the root, the root and size are signed by the signer, and (with
    /// `trusted_key`) the signer is that key.
    pub fn verify(
        &self,
        trusted_key: Option<&VerifyingKey>,
    ) -> Result<VerifiedReceipt, ReceiptError> {
        if self.version != RECEIPT_VERSION {
            return Err(ReceiptError::UnknownVersion(self.version));
        }
        let encoded = unhex(&self.entry)?;
        let entry = Entry::decode(&encoded).map_err(|_| ReceiptError::Entry)?;
        let entry_hash = hash_encoded(&encoded);
        let path = self
            .path
            .iter()
            .map(|h| unhex32(h))
            .collect::<Result<Vec<_>, _>>()?;
        let root = unhex32(&self.root)?;
        let proof = InclusionProof {
            leaf_index: entry.header.sequence - 1,
            tree_size: self.tree_size,
            path,
        };
        proof
            .verify(&leaf_hash(&entry_hash), &root)
            .map_err(|_| ReceiptError::InvalidProof)?;
        let signed = SignedRoot {
            tree_size: self.tree_size,
            root,
            signature: unhex(&self.signature)?,
            signer: unhex(&self.signer)?,
        };
        let signer = signed
            .verify(default_provider(), trusted_key)
            .map_err(|_| ReceiptError::InvalidSignature)?;
        Ok(VerifiedReceipt {
            entry,
            entry_hash,
            tree_size: self.tree_size,
            root,
            signer,
            signer_trusted: trusted_key.is_some(),
            certificate: self.certificate.as_deref().map(unhex).transpose()?,
        })
    }
}

fn unhex(s: &str) -> Result<Vec<u8>, ReceiptError> {
    hex::decode(s).map_err(|e| ReceiptError::Malformed(e.to_string()))
}

fn unhex32(s: &str) -> Result<Hash, ReceiptError> {
    unhex(s)?
        .try_into()
        .map_err(|_| ReceiptError::Malformed("hash is not 32 bytes".into()))
}
