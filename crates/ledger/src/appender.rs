//! Building entries: sequence numbers, hash links and signature entries on schedule.

use crate::entry::{EncodeError, Entry, EntryKind, Hash};
use crate::merkle::MerkleTree;
use crate::signature::{RootSigner, SignatureSchedule, SignedRootError};

/// Why an entry could not be appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The entry cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Genesis must be the first entry and only the first.
    #[error("genesis must be exactly the first entry")]
    MisplacedGenesis,
    /// Signature entries are made by the appender, not passed in.
    #[error("signature entries are produced by the appender")]
    ReservedKind,
    /// Signing the root failed.
    #[error(transparent)]
    Sign(#[from] SignedRootError),
}

/// Orders entries for one ledger: assigns sequence numbers, links hashes, keeps the
/// Merkle tree and emits signature entries per the [`SignatureSchedule`]. The caller
/// supplies time and persists what it returns (for example with
/// [`crate::LedgerStore::append_batch`]).
#[derive(Debug)]
pub struct Appender {
    tree: MerkleTree,
    last_hash: Hash,
    signer: Box<dyn RootSigner>,
    schedule: SignatureSchedule,
    unsigned: u64,
    last_signature_ms: Option<u64>,
}

impl Appender {
    /// An appender for an empty ledger.
    pub fn new(signer: impl RootSigner + 'static, schedule: SignatureSchedule) -> Self {
        Self {
            tree: MerkleTree::new(),
            last_hash: [0; 32],
            signer: Box::new(signer),
            schedule,
            unsigned: 0,
            last_signature_ms: None,
        }
    }

    /// An appender continuing after `entries` (all entries of a ledger, in order,
    /// already verified).
    pub fn resume<'a>(
        signer: impl RootSigner + 'static,
        schedule: SignatureSchedule,
        entries: impl IntoIterator<Item = &'a Entry>,
    ) -> Result<Self, AppendError> {
        let mut this = Self::new(signer, schedule);
        for entry in entries {
            this.push_existing(entry)?;
        }
        Ok(this)
    }

    /// Takes in the next entry of an existing ledger (already verified), as
    /// [`Appender::resume`] does for each; lets a caller stream a long ledger in chunks.
    pub fn push_existing(&mut self, entry: &Entry) -> Result<(), AppendError> {
        self.record(entry)?;
        if entry.header.kind == EntryKind::Signature {
            self.unsigned = 0;
            self.last_signature_ms = Some(entry.header.timestamp_ms);
        } else {
            self.unsigned += 1;
        }
        Ok(())
    }

    /// How many entries no signature entry covers yet.
    pub fn unsigned(&self) -> u64 {
        self.unsigned
    }

    /// The Merkle tree over every entry so far.
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// The hash of the last entry (all zeros before the first), the next entry's
    /// previous hash.
    pub fn last_hash(&self) -> &Hash {
        &self.last_hash
    }

    /// The sequence number of the next entry.
    pub fn next_sequence(&self) -> u64 {
        self.tree.size() + 1
    }

    /// Appends an entry of `kind` at time `now_ms`; returns it, followed by a
    /// signature entry if one is due.
    pub fn append(
        &mut self,
        kind: EntryKind,
        payload: Vec<u8>,
        now_ms: u64,
    ) -> Result<Vec<Entry>, AppendError> {
        if kind == EntryKind::Signature {
            return Err(AppendError::ReservedKind);
        }
        if (self.next_sequence() == 1) != (kind == EntryKind::Genesis) {
            return Err(AppendError::MisplacedGenesis);
        }
        let entry = Entry::new(self.next_sequence(), self.last_hash, kind, now_ms, payload);
        self.record(&entry)?;
        self.unsigned += 1;
        let mut out = vec![entry];
        out.extend(self.tick(now_ms)?);
        Ok(out)
    }

    /// Emits a signature entry if one is due at `now_ms`.
    pub fn tick(&mut self, now_ms: u64) -> Result<Option<Entry>, AppendError> {
        if self.unsigned == 0 {
            return Ok(None);
        }
        let by_count = self.unsigned >= self.schedule.max_entries.max(1);
        let since = self.last_signature_ms.unwrap_or(0);
        let by_time = now_ms.saturating_sub(since) >= self.schedule.max_interval_ms;
        if by_count || by_time {
            self.sign_now(now_ms).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Emits a signature entry over every entry so far, due or not.
    pub fn sign_now(&mut self, now_ms: u64) -> Result<Entry, AppendError> {
        let signed = self.signer.sign_root(self.tree.size(), self.tree.root())?;
        let payload = signed.encode()?;
        let entry = Entry::new(
            self.next_sequence(),
            self.last_hash,
            EntryKind::Signature,
            now_ms,
            payload,
        );
        self.record(&entry)?;
        self.unsigned = 0;
        self.last_signature_ms = Some(now_ms);
        Ok(entry)
    }

    fn record(&mut self, entry: &Entry) -> Result<(), AppendError> {
        let hash = entry.hash()?;
        self.tree.push_entry_hash(&hash);
        self.last_hash = hash;
        Ok(())
    }
}
