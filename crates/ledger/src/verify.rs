//! Whole-ledger verification: hash links, sequence numbers and every signed root.

use strongroom_crypto::provider::{VerifyingKey, default_provider};

use crate::entry::{DecodeError, Entry, EntryKind, Hash, hash_encoded};
use crate::merkle::MerkleTree;
use crate::signature::SignedRoot;
use crate::store::{Head, LedgerStore, StoreError, split_stored};

/// Entries read from the store per read transaction while verifying.
const CHUNK: u64 = 1024;

/// Why the ledger failed verification. Every variant but `Store` names the first bad
/// sequence number (see [`VerifyError::sequence`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The entry's previous hash is not the hash of the entry before it.
    #[error("entry {sequence}: previous hash does not match entry {}", sequence - 1)]
    BrokenLink {
        /// The sequence number.
        sequence: u64,
    },
    /// The entry does not match its recorded hash (the store's or the head's).
    #[error("entry {sequence}: does not match its recorded hash")]
    HashMismatch {
        /// The sequence number.
        sequence: u64,
    },
    /// The stored bytes are not a valid entry.
    #[error("entry {sequence}: malformed: {source}")]
    Malformed {
        /// The sequence number (table key).
        sequence: u64,
        /// The decoding error.
        source: DecodeError,
    },
    /// A genesis entry after sequence 1, or a first entry that is not genesis.
    #[error("entry {sequence}: genesis entries must be exactly the first entry")]
    MisplacedGenesis {
        /// The sequence number.
        sequence: u64,
    },
    /// The entry with this sequence number is missing (deleted, or the tail was cut).
    #[error("entry {sequence}: missing")]
    Missing {
        /// The sequence number.
        sequence: u64,
    },
    /// A signature entry's root or size is not that of the entries before it.
    #[error("entry {sequence}: signed root does not match the entries before it")]
    RootMismatch {
        /// The sequence number of the signature entry.
        sequence: u64,
    },
    /// The stored entry under this key carries another sequence number.
    #[error("entry {sequence}: holds sequence number {found}")]
    SequenceMismatch {
        /// The expected sequence number.
        sequence: u64,
        /// The sequence number found.
        found: u64,
    },
    /// A signature entry is malformed, or its signature does not verify.
    #[error("entry {sequence}: invalid signature entry")]
    SignatureInvalid {
        /// The sequence number of the signature entry.
        sequence: u64,
    },
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An entry follows the recorded head.
    #[error("entry {sequence}: beyond the recorded head")]
    Unexpected {
        /// The sequence number.
        sequence: u64,
    },
}

impl VerifyError {
    /// The first bad sequence number, if the failure is about an entry.
    pub fn sequence(&self) -> Option<u64> {
        match self {
            Self::BrokenLink { sequence }
            | Self::HashMismatch { sequence }
            | Self::Malformed { sequence, .. }
            | Self::MisplacedGenesis { sequence }
            | Self::Missing { sequence }
            | Self::RootMismatch { sequence }
            | Self::SequenceMismatch { sequence, .. }
            | Self::SignatureInvalid { sequence }
            | Self::Unexpected { sequence } => Some(*sequence),
            Self::Store(_) => None,
        }
    }
}

/// What a verified ledger contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerSummary {
    /// Number of entries (the last sequence number).
    pub entries: u64,
    /// Hash of the last entry (zeros for an empty ledger).
    pub head_hash: Hash,
    /// Merkle root over all entries.
    pub root: Hash,
    /// Number of signature entries checked.
    pub signatures: u64,
    /// Sequence number of the last signature entry, if any.
    pub last_signature: Option<u64>,
}

/// Checks entries one at a time, in order; [`verify_ledger`] drives it over a store.
#[derive(Debug)]
pub struct LedgerVerifier {
    tree: MerkleTree,
    last_hash: Hash,
    signatures: u64,
    last_signature: Option<u64>,
    trusted: Option<VerifyingKey>,
}

impl LedgerVerifier {
    /// A verifier for a ledger starting at sequence 1. With `trusted`, every signature
    /// entry must be signed by that key.
    pub fn new(trusted: Option<VerifyingKey>) -> Self {
        Self {
            tree: MerkleTree::new(),
            last_hash: [0; 32],
            signatures: 0,
            last_signature: None,
            trusted,
        }
    }

    /// The sequence number the next entry must have.
    pub fn next_sequence(&self) -> u64 {
        self.tree.size() + 1
    }

    /// The last signature entry checked so far, if any.
    pub fn last_signature(&self) -> Option<u64> {
        self.last_signature
    }

    /// Checks the stored bytes under `key` (`entry_hash || encoded entry`); returns
    /// the entry.
    pub fn push_stored(&mut self, key: u64, value: &[u8]) -> Result<Entry, VerifyError> {
        let expected = self.next_sequence();
        if key != expected {
            return Err(if key > expected {
                VerifyError::Missing { sequence: expected }
            } else {
                VerifyError::SequenceMismatch {
                    sequence: expected,
                    found: key,
                }
            });
        }
        let malformed = |source| VerifyError::Malformed {
            sequence: key,
            source,
        };
        let (recorded, encoded) = split_stored(value).map_err(malformed)?;
        let entry = Entry::decode(encoded).map_err(malformed)?;
        let hash = hash_encoded(encoded);
        if entry.header.sequence != key {
            return Err(VerifyError::SequenceMismatch {
                sequence: key,
                found: entry.header.sequence,
            });
        }
        if hash != recorded {
            return Err(VerifyError::HashMismatch { sequence: key });
        }
        self.check(&entry, hash)?;
        Ok(entry)
    }

    /// Checks the next entry.
    pub fn push(&mut self, entry: &Entry) -> Result<(), VerifyError> {
        let expected = self.next_sequence();
        let sequence = entry.header.sequence;
        if sequence != expected {
            return Err(if sequence > expected {
                VerifyError::Missing { sequence: expected }
            } else {
                VerifyError::SequenceMismatch {
                    sequence: expected,
                    found: sequence,
                }
            });
        }
        let hash = entry.hash().map_err(|_| VerifyError::Malformed {
            sequence,
            source: DecodeError::PayloadTooLarge {
                len: entry.payload.len() as u64,
            },
        })?;
        self.check(entry, hash)
    }

    fn check(&mut self, entry: &Entry, hash: Hash) -> Result<(), VerifyError> {
        let sequence = entry.header.sequence;
        if entry.header.prev_hash != self.last_hash {
            return Err(VerifyError::BrokenLink { sequence });
        }
        if (sequence == 1) != (entry.header.kind == EntryKind::Genesis) {
            return Err(VerifyError::MisplacedGenesis { sequence });
        }
        if entry.header.kind == EntryKind::Signature {
            let signed = SignedRoot::decode(&entry.payload)
                .map_err(|_| VerifyError::SignatureInvalid { sequence })?;
            if signed.tree_size != sequence - 1 || signed.root != self.tree.root() {
                return Err(VerifyError::RootMismatch { sequence });
            }
            signed
                .verify(default_provider(), self.trusted.as_ref())
                .map_err(|_| VerifyError::SignatureInvalid { sequence })?;
            self.signatures += 1;
            self.last_signature = Some(sequence);
        }
        self.tree.push_entry_hash(&hash);
        self.last_hash = hash;
        Ok(())
    }

    /// Finishes; with `head`, the ledger must end exactly at that entry.
    pub fn finish(self, head: Option<Head>) -> Result<LedgerSummary, VerifyError> {
        let entries = self.tree.size();
        if let Some(head) = head {
            if head.sequence > entries {
                return Err(VerifyError::Missing {
                    sequence: entries + 1,
                });
            }
            if head.sequence < entries {
                return Err(VerifyError::Unexpected {
                    sequence: head.sequence + 1,
                });
            }
            if head.sequence > 0 && head.hash != self.last_hash {
                return Err(VerifyError::HashMismatch {
                    sequence: head.sequence,
                });
            }
        }
        Ok(LedgerSummary {
            entries,
            head_hash: self.last_hash,
            root: self.tree.root(),
            signatures: self.signatures,
            last_signature: self.last_signature,
        })
    }
}

/// Verifies the whole store: every stored hash, sequence number and hash link, every
/// signature entry's root (recomputed from the entries before it) and signature, and
/// that the ledger ends at the recorded head. Reports the first bad entry.
pub fn verify_ledger(
    store: &LedgerStore,
    trusted: Option<&VerifyingKey>,
) -> Result<LedgerSummary, VerifyError> {
    verify_ledger_with(store, trusted, |_| Ok(()))
}

/// [`verify_ledger`], handing each entry, once verified, to `visit` in order: one walk
/// for callers that rebuild state from the ledger. An error from `visit` stops the
/// walk and is returned as is.
pub fn verify_ledger_with<E: From<VerifyError>>(
    store: &LedgerStore,
    trusted: Option<&VerifyingKey>,
    mut visit: impl FnMut(&Entry) -> Result<(), E>,
) -> Result<LedgerSummary, E> {
    let head = store.head().map_err(VerifyError::from)?;
    let mut verifier = LedgerVerifier::new(trusted.cloned());
    let mut start = 1u64;
    loop {
        let chunk = store
            .raw_range(start..=start.saturating_add(CHUNK - 1))
            .map_err(VerifyError::from)?;
        for raw in &chunk {
            visit(&verifier.push_stored(raw.key, &raw.value)?)?;
        }
        // A gap inside the chunk is reported by push_stored; an empty chunk ends the
        // walk unless entries continue after a gap of a whole chunk.
        if chunk.is_empty() {
            let rest = store
                .raw_range(start..=u64::MAX)
                .map_err(VerifyError::from)?;
            if let Some(raw) = rest.first() {
                verifier.push_stored(raw.key, &raw.value)?;
            }
            break;
        }
        start = start.saturating_add(CHUNK);
    }
    Ok(verifier.finish(head.or(Some(Head {
        sequence: 0,
        hash: [0; 32],
    })))?)
}

/// Verifies entries from any source (no recorded hashes, no head).
pub fn verify_entries<I>(
    entries: I,
    trusted: Option<&VerifyingKey>,
) -> Result<LedgerSummary, VerifyError>
where
    I: IntoIterator<Item = Entry>,
{
    let mut verifier = LedgerVerifier::new(trusted.cloned());
    for entry in entries {
        verifier.push(&entry)?;
    }
    verifier.finish(None)
}
