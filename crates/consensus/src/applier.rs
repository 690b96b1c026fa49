//! The `Applier`: what executes committed proposals. The enclave implements it; the
//! [`ChainApplier`] here is a deterministic one for tests and benchmarks.

use sha2::{Digest, Sha256};
use strongroom_ledger::{Entry, EntryKind, Hash};

use crate::error::ApplierError;

/// Where a committed proposal sits, given to [`Applier::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyContext {
    /// The Raft log index of the proposal.
    pub log_index: u64,
    /// The ordering time (from the committed entry, never a local clock; never
    /// decreasing).
    pub timestamp_ms: u64,
    /// The ledger sequence number the recorded entry will get, if the applier records
    /// one (the enclave binds it, with `prev_hash`, as the entry's AAD).
    pub sequence: u64,
    /// The hash of the ledger entry before it.
    pub prev_hash: Hash,
    /// The cluster's voters as of this proposal (Raft node ids, ascending): the
    /// membership the log holds before it, so the same at every replica.
    pub voters: Vec<u64>,
    /// The cluster's learners (members without a vote) as of this proposal, ascending.
    pub learners: Vec<u64>,
}

/// What the applier wants recorded on the ledger for one proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The entry kind: [`EntryKind::Genesis`] exactly for the first entry, then
    /// transactions or governance. Signature entries are the ledger's own.
    pub kind: EntryKind,
    /// The payload (the enclave encrypts it).
    pub payload: Vec<u8>,
}

/// The result of applying one proposal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The ledger entry to record, if any.
    pub record: Option<Record>,
    /// The response for the proposer.
    pub response: Vec<u8>,
}

/// Executes committed proposals deterministically.
///
/// Every node applies the same proposals in the same order with the same
/// [`ApplyContext`] and must reach the same state and outcomes: no clock, no
/// randomness, no I/O that differs between nodes. A proposal the applier refuses is
/// still an [`Outcome`] (a recorded rejection and a response saying why).
pub trait Applier: Send + Sync + 'static {
    /// Executes one committed proposal.
    ///
    /// `Err` means this node cannot execute at all (for example, its enclave holds no
    /// secrets): the state machine stops rather than let this replica diverge.
    fn apply(&mut self, ctx: &ApplyContext, payload: &[u8]) -> Result<Outcome, ApplierError>;

    /// Re-executes what a recorded ledger entry did, to rebuild state on restart from
    /// the last snapshot and the ledger after it. Called for every non-signature entry
    /// after the snapshot, in order.
    fn replay(&mut self, entry: &Entry) -> Result<(), ApplierError>;

    /// The whole state, for a snapshot.
    fn snapshot(&self) -> Result<Vec<u8>, ApplierError>;

    /// Replaces the state with a snapshot's.
    fn restore(&mut self, snapshot: &[u8]) -> Result<(), ApplierError>;
}

/// A deterministic applier for tests and benchmarks: records every proposal as a
/// ledger entry (the first as genesis) and keeps a hash chain over the payloads; its
/// response is the chain value after the proposal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainApplier {
    /// Proposals applied.
    pub count: u64,
    /// SHA-256 chain over the payloads: `h' = SHA-256(h || payload)`.
    pub chain: Hash,
}

impl ChainApplier {
    fn absorb(&mut self, payload: &[u8]) {
        let mut hasher = Sha256::new();
        hasher.update(self.chain);
        hasher.update(payload);
        self.chain = hasher.finalize().into();
        self.count += 1;
    }
}

impl Applier for ChainApplier {
    fn apply(&mut self, ctx: &ApplyContext, payload: &[u8]) -> Result<Outcome, ApplierError> {
        self.absorb(payload);
        let kind = if ctx.sequence == 1 {
            EntryKind::Genesis
        } else {
            EntryKind::Transaction
        };
        Ok(Outcome {
            record: Some(Record {
                kind,
                payload: payload.to_vec(),
            }),
            response: self.chain.to_vec(),
        })
    }

    fn replay(&mut self, entry: &Entry) -> Result<(), ApplierError> {
        self.absorb(&entry.payload);
        Ok(())
    }

    fn snapshot(&self) -> Result<Vec<u8>, ApplierError> {
        let mut out = self.count.to_be_bytes().to_vec();
        out.extend_from_slice(&self.chain);
        Ok(out)
    }

    fn restore(&mut self, snapshot: &[u8]) -> Result<(), ApplierError> {
        let bad = || {
            ApplierError(format!(
                "chain snapshot is {} bytes, not 40",
                snapshot.len()
            ))
        };
        let (count, chain) = snapshot.split_at_checked(8).ok_or_else(bad)?;
        self.count = u64::from_be_bytes(count.try_into().map_err(|_| bad())?);
        self.chain = chain.try_into().map_err(|_| bad())?;
        Ok(())
    }
}
