//! The Raft state machine: hands committed proposals to the [`Applier`] and writes the
//! resulting ledger entries.
//!
//! The ledger store is the state machine's durable state. Each `apply` call hands the
//! new entries and the position (last applied log id, membership, ordering time) to the
//! [`LedgerWriter`](crate::ledger_writer), which writes them in one ledger transaction,
//! often with those of the next calls, while the state machine goes on applying. A
//! proposer is answered only once its entries are fsynced. The applier's state lives in
//! memory: on open it is restored from the last snapshot and the ledger entries after it
//! are replayed; committed log entries applied but not yet written are applied again.
//!
//! A snapshot is the applier's state plus the ledger position it corresponds to; it is
//! kept in the Raft log store's database.

use std::io::Cursor;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::storage::RaftStateMachine;
use openraft::{AnyError, EntryPayload, OptionalSend, StorageIOError};
use strongroom_crypto::provider::VerifyingKey;
use strongroom_ledger::{
    Appender, Entry, EntryKind, LedgerStore, Receipt, ReceiptError, RootSigner, SignatureSchedule,
    verify_ledger_with,
};
use tokio::sync::oneshot;

use crate::applier::{Applier, ApplyContext};
use crate::catch_up::{LedgerPeers, fetch_verified};
use crate::error::ConsensusError;
use crate::ledger_writer::{Durable, LedgerWriter};
use crate::log_store::RaftDatabase;
pub use crate::snapshot::SnapshotBuilder;
use crate::snapshot::{
    Position, SnapshotHeader, join_snapshot, read_snapshot, split_snapshot, write_snapshot,
};
use crate::types::{
    Applied, LogEntry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig,
};

/// The state machine over one ledger store.
pub struct StateMachine<A: Applier> {
    ledger: Arc<LedgerStore>,
    // Shared with [`Receipts`]; locked once per applied batch.
    appender: Arc<Mutex<Appender>>,
    applier: A,
    position: Position,
    snapshots: Arc<RaftDatabase>,
    snapshot_counter: u64,
    // Verifies signature entries fetched from peers.
    service_key: VerifyingKey,
    // Where a snapshot's missing ledger entries come from (none on a single node).
    catch_up: Option<LedgerPeers>,
    // Dropped (written out and joined) before `released` fires.
    writer: LedgerWriter,
    // Last: dropped after the ledger store (fields drop in declaration order).
    released: Option<oneshot::Sender<()>>,
}

impl<A: Applier> std::fmt::Debug for StateMachine<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateMachine")
            .field("ledger", &self.ledger.path())
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

fn sm_read(e: impl ToString) -> StorageError {
    StorageIOError::read_state_machine(AnyError::error(e.to_string())).into()
}

fn sm_write(e: impl ToString) -> StorageError {
    StorageIOError::write_state_machine(AnyError::error(e.to_string())).into()
}

fn snap_read(e: impl ToString) -> StorageError {
    StorageIOError::read_snapshot(None, AnyError::error(e.to_string())).into()
}

pub(crate) fn snap_write(e: impl ToString) -> StorageError {
    StorageIOError::write_snapshot(None, AnyError::error(e.to_string())).into()
}

/// Runs blocking I/O without stalling a multi-threaded runtime's other tasks.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

impl<A: Applier> StateMachine<A> {
    /// Opens the ledger at `ledger_path` (creating it if missing), verifies it, and
    /// rebuilds `applier`'s state from the last snapshot in `snapshots` and the ledger
    /// entries after it.
    ///
    /// `signer` signs the Merkle roots of signature entries; an existing ledger must
    /// verify under its public key.
    pub fn open(
        ledger_path: &Path,
        snapshots: Arc<RaftDatabase>,
        mut applier: A,
        signer: impl RootSigner + 'static,
        schedule: SignatureSchedule,
    ) -> Result<Self, ConsensusError> {
        let ledger = LedgerStore::open(ledger_path)?;
        let service_key = signer.verifying_key();
        // The recorded head; the walk below checks the entries end exactly there.
        let ledger_end = ledger.head()?.map_or(0, |h| h.sequence);
        let position: Position = match ledger.position()? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                ConsensusError::Inconsistent(format!("ledger position record: {e}"))
            })?,
            None => Position::default(),
        };
        let stored = read_snapshot(&snapshots).map_err(|e| ConsensusError::Inconsistent(e.0))?;
        let mut replay_from = 1;
        if let Some((_, data)) = &stored {
            let (header, state) = split_snapshot(data)
                .map_err(|e| ConsensusError::Inconsistent(format!("stored snapshot: {e}")))?;
            if header.ledger_sequence > ledger_end {
                return Err(ConsensusError::Inconsistent(format!(
                    "the snapshot covers ledger entries up to {}, but the ledger ends at {}",
                    header.ledger_sequence, ledger_end
                )));
            }
            if header.position.last_applied > position.last_applied {
                return Err(ConsensusError::Inconsistent(
                    "the snapshot is ahead of the ledger's applied position".into(),
                ));
            }
            applier.restore(state)?;
            replay_from = header.ledger_sequence + 1;
        }
        // One walk: verify every entry, rebuild the appender, replay after the snapshot.
        let mut appender = Appender::new(signer, schedule);
        verify_ledger_with(&ledger, Some(&service_key), |entry| {
            appender.push_existing(entry)?;
            if entry.sequence() >= replay_from && entry.header.kind != EntryKind::Signature {
                applier.replay(entry)?;
            }
            Ok::<(), ConsensusError>(())
        })?;
        let ledger = Arc::new(ledger);
        let writer = LedgerWriter::start(Arc::clone(&ledger), ledger_end)?;
        Ok(Self {
            ledger,
            appender: Arc::new(Mutex::new(appender)),
            applier,
            position,
            snapshots,
            snapshot_counter: 0,
            service_key,
            catch_up: None,
            writer,
            released: None,
        })
    }

    /// Fetches the ledger entries a snapshot needs from `peers` (see `catch_up.rs`).
    pub fn catch_up_from(&mut self, peers: LedgerPeers) {
        self.catch_up = Some(peers);
    }

    /// Waits for applied entries to be durable: a proposer is answered only after.
    pub fn durable(&self) -> Durable {
        self.writer.durable()
    }

    /// The ledger store (shared; reads only: the state machine is its only writer).
    pub fn ledger(&self) -> Arc<LedgerStore> {
        Arc::clone(&self.ledger)
    }

    /// Resolves once this state machine is dropped and, unless other handles from
    /// [`StateMachine::ledger`] are alive, the ledger file is closed.
    pub fn on_release(&mut self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.released = Some(tx);
        rx
    }

    /// A handle that issues receipts for this ledger while the state machine runs.
    pub fn receipts(&self) -> Receipts {
        Receipts {
            ledger: Arc::clone(&self.ledger),
            appender: Arc::clone(&self.appender),
        }
    }

    /// The applier.
    pub fn applier(&self) -> &A {
        &self.applier
    }

    fn encoded_position(&self) -> Vec<u8> {
        // A struct of integers and strings always serializes.
        serde_json::to_vec(&self.position).unwrap_or_default()
    }

    fn apply_one(
        &mut self,
        appender: &mut Appender,
        log_id: LogId,
        timestamp_ms: u64,
        payload: &[u8],
        batch: &mut Vec<Entry>,
    ) -> Result<Applied, ConsensusError> {
        let membership = self.position.membership.membership();
        let ctx = ApplyContext {
            log_index: log_id.index,
            timestamp_ms,
            sequence: appender.next_sequence(),
            prev_hash: *appender.last_hash(),
            voters: membership.voter_ids().collect(),
            learners: membership.learner_ids().collect(),
        };
        let outcome = self.applier.apply(&ctx, payload)?;
        let sequence = match outcome.record {
            Some(record) => {
                let sequence = appender.next_sequence();
                let entries = appender
                    .append(record.kind, record.payload, timestamp_ms)
                    .map_err(|e| {
                        ConsensusError::Inconsistent(format!(
                            "the applier's record for log index {} is invalid: {e}",
                            log_id.index
                        ))
                    })?;
                batch.extend(entries);
                Some(sequence)
            }
            None => None,
        };
        Ok(Applied {
            sequence,
            response: outcome.response,
        })
    }

    fn apply_entries(
        &mut self,
        entries: impl IntoIterator<Item = LogEntry>,
    ) -> Result<Vec<Vec<Applied>>, ConsensusError> {
        let mut batch: Vec<Entry> = Vec::new();
        let mut replies = Vec::new();
        let shared = Arc::clone(&self.appender);
        let mut appender = lock(&shared);
        for entry in entries {
            let log_id = entry.log_id;
            self.position.last_applied = Some(log_id);
            let reply = match entry.payload {
                EntryPayload::Blank => Vec::new(),
                EntryPayload::Membership(membership) => {
                    self.position.membership = StoredMembership::new(Some(log_id), membership);
                    Vec::new()
                }
                EntryPayload::Normal(proposal) => {
                    let timestamp_ms = proposal.timestamp_ms.max(self.position.timestamp_ms);
                    self.position.timestamp_ms = timestamp_ms;
                    let mut applied = Vec::with_capacity(proposal.payloads.len());
                    for payload in &proposal.payloads {
                        applied.push(self.apply_one(
                            &mut appender,
                            log_id,
                            timestamp_ms,
                            payload,
                            &mut batch,
                        )?);
                    }
                    // Lets a time-due signature entry out; an empty batch (a tick) does
                    // only this.
                    batch.extend(appender.tick(timestamp_ms)?);
                    applied
                }
            };
            replies.push(reply);
        }
        drop(appender);
        self.writer.submit(batch, self.encoded_position())?;
        Ok(replies)
    }

    fn make_snapshot(&mut self) -> Result<(SnapshotMeta, Vec<u8>), String> {
        blocking(|| self.writer.flush()).map_err(|e| e.to_string())?;
        let head = self.ledger.head().map_err(|e| e.to_string())?;
        let header = SnapshotHeader {
            ledger_sequence: head.map_or(0, |h| h.sequence),
            ledger_head: hex::encode(head.map_or([0; 32], |h| h.hash)),
            position: self.position.clone(),
        };
        let state = self.applier.snapshot().map_err(|e| e.to_string())?;
        let data = join_snapshot(&header, &state);
        self.snapshot_counter += 1;
        let snapshot_id = match self.position.last_applied {
            Some(id) => format!(
                "{}-{}-{}",
                id.leader_id.term, id.index, self.snapshot_counter
            ),
            None => format!("0-0-{}", self.snapshot_counter),
        };
        let meta = SnapshotMeta {
            last_log_id: self.position.last_applied,
            last_membership: self.position.membership.clone(),
            snapshot_id,
        };
        Ok((meta, data))
    }
}

/// Attempts at fetching a snapshot's missing ledger entries (every 500 ms).
const CATCH_UP_ATTEMPTS: u32 = 120;

fn lock(appender: &Mutex<Appender>) -> MutexGuard<'_, Appender> {
    // A panic while holding the lock stops the node (the state machine errors out);
    // the tree itself is only extended after the ledger write succeeds.
    appender.lock().unwrap_or_else(|e| e.into_inner())
}

/// Issues receipts for a running ledger: an entry, its Merkle path and the first signed
/// root after it. Cheap to clone.
#[derive(Clone)]
pub struct Receipts {
    ledger: Arc<LedgerStore>,
    appender: Arc<Mutex<Appender>>,
}

impl std::fmt::Debug for Receipts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receipts")
            .field("ledger", &self.ledger.path())
            .finish_non_exhaustive()
    }
}

impl Receipts {
    /// The receipt of entry `sequence`, or [`ReceiptError::NotCovered`] while no
    /// signature entry covers it yet (or it does not exist).
    pub fn issue(&self, sequence: u64) -> Result<Receipt, ReceiptError> {
        let appender = lock(&self.appender);
        Receipt::from_store(&self.ledger, appender.tree(), sequence)
    }

    /// How many ledger entries no signature entry covers yet.
    pub fn unsigned(&self) -> u64 {
        lock(&self.appender).unsigned()
    }
}

impl<A: Applier> RaftStateMachine<TypeConfig> for StateMachine<A> {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        Ok((self.position.last_applied, self.position.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Vec<Applied>>, StorageError>
    where
        I: IntoIterator<Item = LogEntry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        self.apply_entries(entries).map_err(sm_write)
    }

    async fn get_snapshot_builder(&mut self) -> SnapshotBuilder {
        SnapshotBuilder {
            captured: self.make_snapshot(),
            db: Arc::clone(&self.snapshots),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let data = snapshot.into_inner();
        let (header, state) = split_snapshot(&data).map_err(snap_read)?;
        blocking(|| self.writer.flush()).map_err(sm_write)?;
        let local = self
            .ledger
            .head()
            .map_err(sm_read)?
            .map_or(0, |h| h.sequence);
        if local < header.ledger_sequence
            && let Some(source) = &self.catch_up
        {
            // The entries between belong on this node's ledger before the state after
            // them: fetched from a peer and verified first (`catch_up.rs`).
            // openraft may already have purged the log this snapshot replaces, so a
            // failure here leaves the node unable to restart: keep trying (peers come
            // back, a leader is elected) for a while before giving up.
            let mut attempt = 0u32;
            let fetched = loop {
                match fetch_verified(
                    &self.ledger,
                    source.0.as_ref(),
                    &self.service_key,
                    header.ledger_sequence,
                    &header.ledger_head,
                )
                .await
                {
                    Ok(fetched) => break fetched,
                    Err(e) if attempt >= CATCH_UP_ATTEMPTS => {
                        return Err(snap_read(format!(
                            "catching the ledger up to the snapshot: {e}"
                        )));
                    }
                    Err(e) => {
                        attempt += 1;
                        tracing::warn!(error = %e, "catching the ledger up to a snapshot; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
            };
            {
                let mut appender = self.appender.lock().unwrap_or_else(|e| e.into_inner());
                for entry in &fetched {
                    appender.push_existing(entry).map_err(sm_write)?;
                }
            }
            let ledger = &self.ledger;
            blocking(|| ledger.append_batch_at(&fetched, None)).map_err(sm_write)?;
            self.writer.advance(header.ledger_sequence);
        }
        let head = self.ledger.head().map_err(sm_read)?;
        let local = head.map_or(0, |h| h.sequence);
        let local_hash = hex::encode(head.map_or([0; 32], |h| h.hash));
        if local != header.ledger_sequence || local_hash != header.ledger_head {
            return Err(snap_read(format!(
                "snapshot is at ledger entry {} but this node's ledger ends at {local}{}",
                header.ledger_sequence,
                if self.catch_up.is_none() {
                    " and this node has no peer to fetch the entries between from"
                } else {
                    " with another head"
                }
            )));
        }
        self.applier.restore(state).map_err(snap_read)?;
        self.position = Position {
            last_applied: meta.last_log_id,
            membership: meta.last_membership.clone(),
            timestamp_ms: header.position.timestamp_ms.max(self.position.timestamp_ms),
        };
        let position = self.encoded_position();
        let ledger = &self.ledger;
        blocking(|| ledger.append_batch_at(&[], Some(&position))).map_err(sm_write)?;
        let db = Arc::clone(&self.snapshots);
        blocking(|| write_snapshot(&db, meta, &data)).map_err(snap_write)
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        let stored = read_snapshot(&self.snapshots).map_err(|e| snap_read(e.0))?;
        Ok(stored.map(|(meta, data)| Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        }))
    }
}
