//! The durable ledger store on redb.
//!
//! Two tables: `entries` maps a sequence number to `entry_hash [32] || encoded entry`,
//! and `meta` records the format marker, the format version and the head (last
//! sequence number and its hash), all updated in the same write transaction.

use std::fs::File;
use std::io::Read;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use redb::{
    Database, DatabaseError, ReadOnlyDatabase, ReadableDatabase, ReadableTable, TableDefinition,
    TableError,
};

use crate::entry::{DecodeError, EncodeError, Entry, EntryKind, Hash, hash_encoded};

const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// The format marker recorded under `format` in the metadata table.
pub const STORE_FORMAT_MARKER: &[u8] = b"strongroom-ledger";

/// The store format version this build writes and reads.
pub const STORE_FORMAT_VERSION: u32 = 1;

/// redb's page cache per open file (redb's default is 1 GiB, which a node with several
/// stores would fill with pages it has just written).
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The first bytes of every redb file.
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Why a batch was refused. Nothing of the batch was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The entry's previous hash is not the hash of the entry before it.
    #[error("previous hash does not match the entry before")]
    BrokenLink,
    /// The entry cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A genesis entry appears after sequence number 1.
    #[error("genesis entry after the start of the ledger")]
    MisplacedGenesis,
    /// The first entry of the ledger is not a genesis entry.
    #[error("the first entry must be a genesis entry")]
    MissingGenesis,
    /// The sequence number is not the next one.
    #[error("expected sequence number {expected}")]
    OutOfSequence {
        /// The sequence number the store expected.
        expected: u64,
    },
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another handle (in this or another process) holds the store open.
    #[error("ledger store {path} is already open")]
    AlreadyOpen {
        /// The store path.
        path: PathBuf,
    },
    /// Stored bytes are not a valid entry (the file was damaged or altered).
    #[error("stored entry {sequence} is corrupt: {reason}")]
    Corrupt {
        /// The sequence number (table key) of the damaged entry.
        sequence: u64,
        /// What is wrong.
        reason: String,
    },
    /// The redb database failed.
    #[error("database error: {0}")]
    Database(#[from] redb::Error),
    /// The file exists but is not the expected kind of store; it was left unchanged.
    #[error("{path} is not a {expected}: {reason}")]
    Foreign {
        /// The file path.
        path: PathBuf,
        /// What the file was expected to be, e.g. "strongroom ledger store".
        expected: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A batch was refused; nothing was written.
    #[error("batch refused at sequence {sequence}: {reason}")]
    InvalidBatch {
        /// The sequence number of the first offending entry.
        sequence: u64,
        /// What is wrong with it.
        reason: BatchError,
    },
    /// Reading the file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The store was written by a newer version; it was left unchanged.
    #[error("{path} has store format version {found}, this build supports up to {supported}")]
    NewerFormat {
        /// The file path.
        path: PathBuf,
        /// The recorded version.
        found: u32,
        /// [`STORE_FORMAT_VERSION`].
        supported: u32,
    },
}

macro_rules! redb_error {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                Self::Database(e.into())
            }
        }
    )*};
}
redb_error!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// The last entry of the store: its sequence number and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The last sequence number.
    pub sequence: u64,
    /// Its entry hash.
    pub hash: Hash,
}

/// An entry as stored: the table key, the recorded hash and the encoded entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// The table key (the sequence number the entry was written under).
    pub key: u64,
    /// The bytes stored under the key: `entry_hash [32] || encoded entry`.
    pub value: Vec<u8>,
}

/// A ledger store in one redb file, held open exclusively.
#[derive(Debug)]
pub struct LedgerStore {
    db: Database,
    path: PathBuf,
}

impl LedgerStore {
    /// Opens the store at `path`, creating it if the file is missing or empty.
    ///
    /// An existing file that is not a redb database, a redb database without the
    /// strongroom ledger marker, or one with a newer format version is refused and left
    /// byte-for-byte unchanged. A store held open elsewhere is
    /// [`StoreError::AlreadyOpen`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let (db, fresh) = open_marked(&path, &LEDGER_FORMAT)?;
        if fresh {
            let txn = db.begin_write()?;
            txn.open_table(ENTRIES)?;
            txn.commit()?;
        }
        Ok(Self { db, path })
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `batch` in one durable write transaction (group commit).
    ///
    /// Sequence numbers, hash links and genesis placement are checked first; a bad
    /// batch is refused with [`StoreError::InvalidBatch`] and nothing is written. On
    /// success the data has been fsynced (redb's default immediate durability).
    pub fn append_batch(&self, batch: &[Entry]) -> Result<Head, StoreError> {
        self.append_batch_at(batch, None)
    }

    /// Like [`LedgerStore::append_batch`], and records `position` in the same
    /// transaction: an opaque marker of how far the writer got (the consensus layer
    /// stores its last applied Raft log id), read back with [`LedgerStore::position`].
    /// The position is written even when `batch` is empty.
    pub fn append_batch_at(
        &self,
        batch: &[Entry],
        position: Option<&[u8]>,
    ) -> Result<Head, StoreError> {
        let txn = self.db.begin_write()?;
        let head = read_head(&txn.open_table(META)?)?;
        let first = head.map_or(1, |h| h.sequence + 1);
        let mut prev = head.map_or([0; 32], |h| h.hash);
        let mut rows = Vec::with_capacity(batch.len());
        for (expected, entry) in (first..).zip(batch) {
            let sequence = entry.header.sequence;
            let reason = if sequence != expected {
                Some(BatchError::OutOfSequence { expected })
            } else if entry.header.prev_hash != prev {
                Some(BatchError::BrokenLink)
            } else if sequence == 1 && entry.header.kind != EntryKind::Genesis {
                Some(BatchError::MissingGenesis)
            } else if sequence != 1 && entry.header.kind == EntryKind::Genesis {
                Some(BatchError::MisplacedGenesis)
            } else {
                None
            };
            let encoded = match (reason, entry.encode()) {
                (None, Ok(encoded)) => encoded,
                (Some(reason), _) => return refuse(txn, sequence, reason),
                (None, Err(e)) => return refuse(txn, sequence, e.into()),
            };
            let hash = hash_encoded(&encoded);
            let mut value = Vec::with_capacity(32 + encoded.len());
            value.extend_from_slice(&hash);
            value.extend_from_slice(&encoded);
            rows.push((sequence, value));
            prev = hash;
        }
        let Some(&(last, _)) = rows.last() else {
            let unchanged = head.unwrap_or(Head {
                sequence: 0,
                hash: [0; 32],
            });
            match position {
                Some(position) => {
                    txn.open_table(META)?.insert("position", position)?;
                    txn.commit()?;
                }
                None => txn.abort()?,
            }
            return Ok(unchanged);
        };
        let new_head = Head {
            sequence: last,
            hash: prev,
        };
        {
            let mut entries = txn.open_table(ENTRIES)?;
            for (sequence, value) in &rows {
                entries.insert(sequence, value.as_slice())?;
            }
            let mut meta = txn.open_table(META)?;
            let mut head_bytes = Vec::with_capacity(40);
            head_bytes.extend_from_slice(&new_head.sequence.to_be_bytes());
            head_bytes.extend_from_slice(&new_head.hash);
            meta.insert("head", head_bytes.as_slice())?;
            if let Some(position) = position {
                meta.insert("position", position)?;
            }
        }
        txn.commit()?;
        Ok(new_head)
    }

    /// The position recorded by the last [`LedgerStore::append_batch_at`], if any.
    pub fn position(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        Ok(meta.get("position")?.map(|v| v.value().to_vec()))
    }

    /// The recorded head, or `None` for an empty store.
    pub fn head(&self) -> Result<Option<Head>, StoreError> {
        let txn = self.db.begin_read()?;
        read_head(&txn.open_table(META)?)
    }

    /// The entry with `sequence`, if stored.
    pub fn entry(&self, sequence: u64) -> Result<Option<Entry>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ENTRIES)?;
        let value = table.get(sequence)?;
        value.map(|v| parse_stored(sequence, v.value())).transpose()
    }

    /// The stored entries with sequence numbers in `range`, in order.
    pub fn range(&self, range: RangeInclusive<u64>) -> Result<Vec<Entry>, StoreError> {
        self.raw_range(range)?
            .into_iter()
            .map(|raw| parse_stored(raw.key, &raw.value))
            .collect()
    }

    /// The largest sequence number stored (whatever the recorded head says).
    pub(crate) fn last_key(&self) -> Result<Option<u64>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ENTRIES)?;
        Ok(table.last()?.map(|(k, _)| k.value()))
    }

    /// The last stored entry, if any.
    pub fn last(&self) -> Result<Option<Entry>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ENTRIES)?;
        let last = table.last()?;
        last.map(|(k, v)| parse_stored(k.value(), v.value()))
            .transpose()
    }

    /// The stored bytes under keys in `range`, unparsed (for verification and repair).
    pub fn raw_range(&self, range: RangeInclusive<u64>) -> Result<Vec<RawEntry>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ENTRIES)?;
        let mut out = Vec::new();
        for row in table.range(range)? {
            let (k, v) = row?;
            out.push(RawEntry {
                key: k.value(),
                value: v.value().to_vec(),
            });
        }
        Ok(out)
    }
}

/// A strongroom redb file format: the marker and version recorded in its `meta` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileFormat {
    /// What such a file is, for error messages ("strongroom ledger store").
    pub name: &'static str,
    /// Recorded under `format`; a file with another marker is foreign.
    pub marker: &'static [u8],
    /// Recorded under `version` (big-endian u32); a larger one is refused.
    pub version: u32,
}

const LEDGER_FORMAT: FileFormat = FileFormat {
    name: "strongroom ledger store",
    marker: STORE_FORMAT_MARKER,
    version: STORE_FORMAT_VERSION,
};

/// Opens (or creates) a redb file of `format` at `path` and holds it exclusively.
///
/// Returns the database and whether it was created now. An existing file that is not
/// a redb database, a redb database without `format`'s marker, or one with a newer
/// version is refused and left byte-for-byte unchanged; a file held open elsewhere (in
/// this or another process) is [`StoreError::AlreadyOpen`]. A new file gets the
/// `meta` table with the marker and version in its first transaction.
pub fn open_marked(path: &Path, format: &FileFormat) -> Result<(Database, bool), StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let fresh = match std::fs::metadata(path) {
        Ok(meta) => meta.len() == 0,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(io(e)),
    };
    if !fresh {
        let mut magic = Vec::with_capacity(REDB_MAGIC.len());
        File::open(path)
            .map_err(io)?
            .take(REDB_MAGIC.len() as u64)
            .read_to_end(&mut magic)
            .map_err(io)?;
        if magic != REDB_MAGIC {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
                expected: format.name,
                reason: "not a redb database",
            });
        }
        // Check the marker read-only first, so a foreign or newer file is never
        // opened for writing.
        match ReadOnlyDatabase::open(path) {
            Ok(db) => check_marker(&db, path, format)?,
            Err(DatabaseError::RepairAborted) => {}
            Err(e) => return Err(map_open_error(e, path)),
        }
    }
    let db = redb::Builder::new()
        .set_cache_size(CACHE_BYTES)
        .create(path)
        .map_err(|e| map_open_error(e, path))?;
    if fresh {
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            meta.insert("format", format.marker)?;
            meta.insert("version", format.version.to_be_bytes().as_slice())?;
        }
        txn.commit()?;
    } else {
        check_marker(&db, path, format)?;
    }
    Ok((db, fresh))
}

fn refuse(
    txn: redb::WriteTransaction,
    sequence: u64,
    reason: BatchError,
) -> Result<Head, StoreError> {
    txn.abort()?;
    Err(StoreError::InvalidBatch { sequence, reason })
}

fn map_open_error(e: DatabaseError, path: &Path) -> StoreError {
    match e {
        DatabaseError::DatabaseAlreadyOpen => StoreError::AlreadyOpen {
            path: path.to_path_buf(),
        },
        other => StoreError::Database(other.into()),
    }
}

fn check_marker(
    db: &impl ReadableDatabase,
    path: &Path,
    format: &FileFormat,
) -> Result<(), StoreError> {
    let foreign = |reason| StoreError::Foreign {
        path: path.to_path_buf(),
        expected: format.name,
        reason,
    };
    let txn = db.begin_read()?;
    let meta = match txn.open_table(META) {
        Ok(meta) => meta,
        Err(TableError::TableDoesNotExist(_) | TableError::TableTypeMismatch { .. }) => {
            return Err(foreign("no strongroom metadata table"));
        }
        Err(e) => return Err(e.into()),
    };
    match meta.get("format")? {
        Some(v) if v.value() == format.marker => {}
        _ => return Err(foreign("wrong or missing format marker")),
    }
    let version = meta
        .get("version")?
        .and_then(|v| <[u8; 4]>::try_from(v.value()).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| foreign("missing format version"))?;
    if version > format.version {
        return Err(StoreError::NewerFormat {
            path: path.to_path_buf(),
            found: version,
            supported: format.version,
        });
    }
    if version == 0 {
        return Err(foreign("format version 0"));
    }
    Ok(())
}

fn read_head(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Option<Head>, StoreError> {
    let Some(value) = meta.get("head")? else {
        return Ok(None);
    };
    let bytes = value.value();
    let corrupt = || StoreError::Corrupt {
        sequence: 0,
        reason: "head record is not 40 bytes".into(),
    };
    let (seq, hash) = bytes.split_at_checked(8).ok_or_else(corrupt)?;
    let sequence = u64::from_be_bytes(seq.try_into().map_err(|_| corrupt())?);
    let hash: Hash = hash.try_into().map_err(|_| corrupt())?;
    Ok(Some(Head { sequence, hash }))
}

/// Splits a stored value into the recorded hash and the entry, checking both.
pub(crate) fn split_stored(value: &[u8]) -> Result<(Hash, &[u8]), DecodeError> {
    let (hash, encoded) = value.split_at_checked(32).ok_or(DecodeError::Truncated {
        needed: 32,
        available: value.len(),
    })?;
    let mut out = [0u8; 32];
    out.copy_from_slice(hash);
    Ok((out, encoded))
}

fn parse_stored(key: u64, value: &[u8]) -> Result<Entry, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        sequence: key,
        reason,
    };
    let (hash, encoded) = split_stored(value).map_err(|e| corrupt(e.to_string()))?;
    let entry = Entry::decode(encoded).map_err(|e| corrupt(e.to_string()))?;
    if entry.header.sequence != key {
        return Err(corrupt(format!(
            "holds sequence number {}",
            entry.header.sequence
        )));
    }
    if hash_encoded(encoded) != hash {
        return Err(corrupt("entry does not match its recorded hash".into()));
    }
    Ok(entry)
}
