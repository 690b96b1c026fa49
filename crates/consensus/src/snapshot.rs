//! Snapshots on disk: the current snapshot in the Raft database's `snapshot` table,
//! its encoding (`len u32 || header JSON || applier state`, see `docs/consensus.md`),
//! and the builder openraft asks for.

use std::io::Cursor;
use std::sync::Arc;

use openraft::RaftSnapshotBuilder;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::log_store::RaftDatabase;
use crate::state_machine::{blocking, snap_write};
use crate::types::{LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig};

pub(crate) const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshot");

/// How far the state machine got, stored with every ledger write.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    pub(crate) last_applied: Option<LogId>,
    pub(crate) membership: StoredMembership,
    pub(crate) timestamp_ms: u64,
}

/// The ledger position a snapshot corresponds to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SnapshotHeader {
    pub(crate) ledger_sequence: u64,
    pub(crate) ledger_head: String,
    pub(crate) position: Position,
}

/// `header_len u32 || header JSON || applier state`.
pub(crate) fn join_snapshot(header: &SnapshotHeader, state: &[u8]) -> Vec<u8> {
    let header = serde_json::to_vec(header).unwrap_or_default();
    let mut out = Vec::with_capacity(4 + header.len() + state.len());
    // The header is a few hundred bytes.
    out.extend_from_slice(
        &u32::try_from(header.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(&header);
    out.extend_from_slice(state);
    out
}

pub(crate) fn split_snapshot(data: &[u8]) -> Result<(SnapshotHeader, &[u8]), String> {
    let (len, rest) = data
        .split_at_checked(4)
        .ok_or("snapshot shorter than its length prefix")?;
    let len = u32::from_be_bytes(len.try_into().map_err(|_| "bad length prefix")?) as usize;
    let (header, state) = rest
        .split_at_checked(len)
        .ok_or("snapshot shorter than its header")?;
    let header = serde_json::from_slice(header).map_err(|e| format!("snapshot header: {e}"))?;
    Ok((header, state))
}

pub(crate) struct SnapshotReadError(pub(crate) String);

pub(crate) fn read_snapshot(
    db: &Database,
) -> Result<Option<(SnapshotMeta, Vec<u8>)>, SnapshotReadError> {
    let err = |e: &dyn std::fmt::Display| SnapshotReadError(format!("stored snapshot: {e}"));
    let txn = db.begin_read().map_err(|e| err(&e))?;
    let table = match txn.open_table(SNAPSHOT) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(err(&e)),
    };
    let (Some(meta), Some(data)) = (
        table.get("meta").map_err(|e| err(&e))?,
        table.get("data").map_err(|e| err(&e))?,
    ) else {
        return Ok(None);
    };
    let meta: SnapshotMeta = serde_json::from_slice(meta.value()).map_err(|e| err(&e))?;
    Ok(Some((meta, data.value().to_vec())))
}

/// Stores `meta` and `data` as the current snapshot, unless the stored one is newer:
/// openraft builds snapshots in tasks of their own, and a build captured earlier may
/// finish later. The stored snapshot never goes back, since openraft purges the log
/// before the newest snapshot it built (a restart with an older one would find log
/// entries missing between the snapshot and the log).
pub(crate) fn write_snapshot(
    db: &Database,
    meta: &SnapshotMeta,
    data: &[u8],
) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| format!("storing snapshot: {e}");
    let encoded = serde_json::to_vec(meta).map_err(|x| e(&x))?;
    let txn = db.begin_write().map_err(|x| e(&x))?;
    {
        let mut table = txn.open_table(SNAPSHOT).map_err(|x| e(&x))?;
        let stored = table
            .get("meta")
            .map_err(|x| e(&x))?
            .map(|m| serde_json::from_slice::<SnapshotMeta>(m.value()))
            .transpose()
            .map_err(|x| e(&x))?;
        if let Some(stored) = stored
            && stored.last_log_id > meta.last_log_id
        {
            drop(table);
            return txn.abort().map_err(|x| e(&x));
        }
        table
            .insert("meta", encoded.as_slice())
            .map_err(|x| e(&x))?;
        table.insert("data", data).map_err(|x| e(&x))?;
    }
    txn.commit().map_err(|x| e(&x))
}

/// Builds a snapshot captured when openraft asked for the builder.
#[derive(Debug)]
pub struct SnapshotBuilder {
    pub(crate) captured: Result<(SnapshotMeta, Vec<u8>), String>,
    pub(crate) db: Arc<RaftDatabase>,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        let (meta, data) = self.captured.clone().map_err(snap_write)?;
        let db = Arc::clone(&self.db);
        blocking(|| write_snapshot(&db, &meta, &data)).map_err(snap_write)?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}
