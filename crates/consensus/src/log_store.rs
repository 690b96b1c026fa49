//! The Raft log on redb, with group commit.
//!
//! `append` does not write: it makes the entries visible to readers at once (an
//! in-memory tail) and queues them for the writer thread. The writer drains everything
//! queued, writes it in one redb transaction, fsyncs, and only then reports the entries
//! flushed to openraft, which acknowledges nothing before that. With many proposers the
//! queue fills while the previous fsync runs, so one fsync covers many entries.
//!
//! Votes, truncations and purges go through the same queue, in order, and their
//! callers wait for the fsync.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{AnyError, OptionalSend, RaftLogReader, StorageIOError};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use strongroom_ledger::{FileFormat, open_marked};
use tokio::sync::oneshot;

use crate::codec::{decode_entry, decode_log_id, decode_vote, encode_entry, encode_log_id};
use crate::error::ConsensusError;
use crate::types::{LogEntry, LogId, StorageError, TypeConfig, Vote};

pub(crate) const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// The file format of the Raft log store.
pub const LOG_STORE_FORMAT: FileFormat = FileFormat {
    name: "strongroom Raft log store",
    marker: b"strongroom-raft-log",
    version: 1,
};

/// Most queued operations one write transaction takes.
const MAX_GROUP: usize = 8192;

type Done = oneshot::Sender<Result<(), String>>;

enum Op {
    Append {
        rows: Vec<(LogId, Vec<u8>)>,
        callback: LogFlushed<TypeConfig>,
    },
    Truncate {
        since: u64,
        done: Done,
    },
    Purge {
        upto: LogId,
        done: Done,
    },
    Vote {
        vote: Vote,
        done: Done,
    },
    Committed {
        committed: Option<LogId>,
    },
}

/// The Raft log store's database, shared with the state machine (snapshots). When
/// the last handle goes, the file is closed and then [`LogStore::on_release`] fires.
#[derive(Debug)]
pub struct RaftDatabase {
    db: Database,
    _released: Mutex<Option<oneshot::Sender<()>>>,
}

impl std::ops::Deref for RaftDatabase {
    type Target = Database;

    fn deref(&self) -> &Database {
        &self.db
    }
}

/// State shared by the store, its readers and the writer thread.
#[derive(Debug)]
struct Shared {
    db: Arc<RaftDatabase>,
    /// Appended entries the writer has not committed yet, by index.
    tail: Mutex<BTreeMap<u64, LogEntry>>,
    path: PathBuf,
}

impl Shared {
    fn tail(&self) -> MutexGuard<'_, BTreeMap<u64, LogEntry>> {
        // The tail holds plain data; a panic elsewhere cannot leave it half-updated.
        self.tail.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The Raft log store: one redb file (`raft.redb`) held exclusively.
#[derive(Debug)]
pub struct LogStore {
    shared: Arc<Shared>,
    // `None` only while dropping.
    queue: Option<mpsc::Sender<Op>>,
    writer: Option<thread::JoinHandle<()>>,
    released: Option<oneshot::Receiver<()>>,
}

impl Drop for LogStore {
    /// Stops the writer after the queued operations and waits for it, so that the file
    /// is closed on return unless readers or [`LogStore::database`] handles remain.
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(writer) = self.writer.take() {
            // A panicked writer has nothing left to release.
            let _ = writer.join();
        }
    }
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Op::Append { .. } => "Append",
            Op::Truncate { .. } => "Truncate",
            Op::Purge { .. } => "Purge",
            Op::Vote { .. } => "Vote",
            Op::Committed { .. } => "Committed",
        })
    }
}

impl LogStore {
    /// Opens or creates the log store at `path` and starts its writer thread.
    ///
    /// A foreign or newer-format file is refused unchanged; a store open elsewhere is
    /// refused.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ConsensusError> {
        let path = path.as_ref().to_path_buf();
        let (db, fresh) = open_marked(&path, &LOG_STORE_FORMAT)?;
        if fresh {
            let txn = db.begin_write().map_err(redb::Error::from)?;
            txn.open_table(LOG).map_err(redb::Error::from)?;
            txn.commit().map_err(redb::Error::from)?;
        }
        let (released_tx, released) = oneshot::channel();
        let shared = Arc::new(Shared {
            db: Arc::new(RaftDatabase {
                db,
                _released: Mutex::new(Some(released_tx)),
            }),
            tail: Mutex::new(BTreeMap::new()),
            path,
        });
        let (queue, rx) = mpsc::channel();
        let writer = Arc::clone(&shared);
        let writer = thread::Builder::new()
            .name("raft-log-writer".into())
            .spawn(move || write_loop(&writer, &rx))
            .map_err(|source| ConsensusError::Io {
                path: shared.path.clone(),
                source,
            })?;
        Ok(Self {
            shared,
            queue: Some(queue),
            writer: Some(writer),
            released: Some(released),
        })
    }

    /// Resolves once the database file is closed: after this store, its readers, its
    /// writer thread and every [`LogStore::database`] handle are gone. `None` if
    /// already taken.
    pub fn on_release(&mut self) -> Option<oneshot::Receiver<()>> {
        self.released.take()
    }

    /// The database, which the [`crate::StateMachine`] shares to keep its snapshots.
    pub fn database(&self) -> Arc<RaftDatabase> {
        Arc::clone(&self.shared.db)
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    async fn submit(&self, make: impl FnOnce(Done) -> Op) -> Result<(), String> {
        let (done, wait) = oneshot::channel();
        self.send(make(done))
            .map_err(|_| "the log writer has stopped".to_string())?;
        wait.await
            .map_err(|_| "the log writer has stopped".to_string())?
    }
}

impl LogStore {
    fn send(&self, op: Op) -> Result<(), ()> {
        match &self.queue {
            Some(queue) => queue.send(op).map_err(|_| ()),
            None => Err(()),
        }
    }
}

fn write_loop(shared: &Shared, rx: &mpsc::Receiver<Op>) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(op) => group.push(op),
                Err(_) => break,
            }
        }
        let result = write_group(&shared.db, &group).map_err(|e| e.to_string());
        // Only after the fsync: drop flushed entries from the tail and report.
        if result.is_ok() {
            let mut tail = shared.tail();
            for op in &group {
                if let Op::Append { rows, .. } = op {
                    for (log_id, _) in rows {
                        if tail.get(&log_id.index).is_some_and(|e| e.log_id == *log_id) {
                            tail.remove(&log_id.index);
                        }
                    }
                }
            }
        }
        for op in group {
            match op {
                Op::Append { callback, .. } => callback.log_io_completed(
                    result
                        .clone()
                        .map_err(|e| std::io::Error::other(format!("raft log append: {e}"))),
                ),
                Op::Truncate { done, .. } | Op::Purge { done, .. } | Op::Vote { done, .. } => {
                    // The caller may have given up; nothing to do then.
                    let _ = done.send(result.clone());
                }
                Op::Committed { .. } => {}
            }
        }
    }
}

fn write_group(db: &Database, group: &[Op]) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    {
        let mut log = txn.open_table(LOG)?;
        let mut meta = txn.open_table(META)?;
        for op in group {
            match op {
                Op::Append { rows, .. } => {
                    for (log_id, bytes) in rows {
                        log.insert(log_id.index, bytes.as_slice())?;
                    }
                }
                Op::Truncate { since, .. } => {
                    log.retain_in(*since.., |_, _| false)?;
                }
                Op::Purge { upto, .. } => {
                    log.retain_in(..=upto.index, |_, _| false)?;
                    meta.insert("purged", encode_log_id(upto).as_slice())?;
                }
                Op::Vote { vote, .. } => {
                    meta.insert("vote", crate::codec::encode_vote(vote).as_slice())?;
                }
                Op::Committed { committed } => match committed {
                    Some(id) => {
                        meta.insert("committed", encode_log_id(id).as_slice())?;
                    }
                    None => {
                        meta.remove("committed")?;
                    }
                },
            }
        }
    }
    txn.commit()?;
    Ok(())
}

/// Reads the log: the committed rows in redb and the in-memory tail.
#[derive(Debug, Clone)]
pub struct LogReader {
    shared: Arc<Shared>,
}

impl LogReader {
    fn read_meta<T>(
        &self,
        key: &str,
        decode: impl Fn(&[u8]) -> Result<T, crate::codec::CodecError>,
    ) -> Result<Option<T>, String> {
        let txn = self.shared.db.begin_read().map_err(|e| e.to_string())?;
        let meta = txn.open_table(META).map_err(|e| e.to_string())?;
        let value = meta.get(key).map_err(|e| e.to_string())?;
        value
            .map(|v| decode(v.value()).map_err(|e| format!("stored {key}: {e}")))
            .transpose()
    }

    fn entries(&self, start: Bound<u64>, end: Bound<u64>) -> Result<Vec<LogEntry>, String> {
        let mut out: BTreeMap<u64, LogEntry> = BTreeMap::new();
        {
            let txn = self.shared.db.begin_read().map_err(|e| e.to_string())?;
            let log = txn.open_table(LOG).map_err(|e| e.to_string())?;
            for row in log.range((start, end)).map_err(|e| e.to_string())? {
                let (k, v) = row.map_err(|e| e.to_string())?;
                let entry = decode_entry(v.value())
                    .map_err(|e| format!("raft log entry {}: {e}", k.value()))?;
                if entry.log_id.index != k.value() {
                    return Err(format!(
                        "raft log entry {} holds index {}",
                        k.value(),
                        entry.log_id.index
                    ));
                }
                out.insert(k.value(), entry);
            }
        }
        for (index, entry) in self.shared.tail().range((start, end)) {
            out.insert(*index, entry.clone());
        }
        Ok(out.into_values().collect())
    }

    fn last_stored(&self) -> Result<Option<LogId>, String> {
        let txn = self.shared.db.begin_read().map_err(|e| e.to_string())?;
        let log = txn.open_table(LOG).map_err(|e| e.to_string())?;
        let last = log.last().map_err(|e| e.to_string())?;
        last.map(|(k, v)| {
            decode_entry(v.value())
                .map(|e| e.log_id)
                .map_err(|e| format!("raft log entry {}: {e}", k.value()))
        })
        .transpose()
    }
}

fn read_error(e: String) -> StorageError {
    StorageIOError::read_logs(AnyError::error(e)).into()
}

fn write_error(e: String) -> StorageError {
    StorageIOError::write_logs(AnyError::error(e)).into()
}

impl RaftLogReader<TypeConfig> for LogReader {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<LogEntry>, StorageError> {
        self.entries(range.start_bound().cloned(), range.end_bound().cloned())
            .map_err(read_error)
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<LogEntry>, StorageError> {
        self.get_log_reader().await.try_get_log_entries(range).await
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogReader;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let reader = self.get_log_reader().await;
        let purged = reader
            .read_meta("purged", decode_log_id)
            .map_err(read_error)?;
        let stored = reader.last_stored().map_err(read_error)?;
        let tail = self.shared.tail().values().next_back().map(|e| e.log_id);
        let last = [purged, stored, tail].into_iter().flatten().max();
        Ok(LogState {
            last_purged_log_id: purged,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> LogReader {
        LogReader {
            shared: Arc::clone(&self.shared),
        }
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let vote = *vote;
        self.submit(|done| Op::Vote { vote, done })
            .await
            .map_err(|e| StorageIOError::write_vote(AnyError::error(e)).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        let reader = self.get_log_reader().await;
        reader
            .read_meta("vote", decode_vote)
            .map_err(|e| StorageIOError::read_vote(AnyError::error(e)).into())
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        // Not waited for: the committed index only saves re-applying on restart, and
        // it rides along with the next write transaction.
        self.send(Op::Committed { committed })
            .map_err(|_| write_error("the log writer has stopped".into()))
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        let reader = self.get_log_reader().await;
        reader
            .read_meta("committed", decode_log_id)
            .map_err(read_error)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = LogEntry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut rows = Vec::new();
        {
            let mut tail = self.shared.tail();
            for entry in entries {
                rows.push((entry.log_id, encode_entry(&entry)));
                tail.insert(entry.log_id.index, entry);
            }
        }
        self.send(Op::Append { rows, callback })
            .map_err(|_| write_error("the log writer has stopped".into()))
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let since = log_id.index;
        self.shared.tail().retain(|index, _| *index < since);
        self.submit(|done| Op::Truncate { since, done })
            .await
            .map_err(write_error)
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let upto = log_id;
        self.submit(|done| Op::Purge { upto, done })
            .await
            .map_err(write_error)
    }
}
