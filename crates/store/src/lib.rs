//! Dataset objects in object storage, through [`object_store`].
//!
//! The node keeps the encrypted objects that owners upload (the object format of
//! `strongroom-crypto`: it never sees plaintext). A [`DatasetStore`] puts a stream of
//! bytes under a validated location:
//!
//! - **atomically**: the bytes go to a multipart upload that is completed only after
//!   the last byte arrived; a failed, aborted or oversized upload is aborted and leaves
//!   nothing under the location (on the local filesystem: a staging file, then a
//!   rename);
//! - **never over an existing object**, even against a racing upload: the bytes are
//!   staged under a private name (`.staging/…`, a name no valid location can take) and
//!   then moved to the location with `object_store`'s create-only rename
//!   ([`ObjectStore::rename_if_not_exists`]: a hard link on the local filesystem), so of
//!   two uploads to one location exactly one lands and the other is refused with
//!   [`StoreError::Exists`], its staged bytes removed;
//! - **bounded**: at most `max_size` bytes, held in memory a part (8 MiB) at a time,
//!   with a bounded number of parts in flight;
//! - **measured**: the result carries the size and the SHA-256 of what was stored, which
//!   the uploader compares with its own before it registers the dataset.
//!
//! A store lives in a local directory ([`DatasetStore::local`]) or in an S3-compatible
//! bucket that several nodes share ([`DatasetStore::s3`], configured by [`S3Config`]),
//! so that an object stays reachable when the node that took it is down. The [`s3`]
//! module says which of the guarantees above are weaker there.
//!
//! ```no_run
//! # async fn example() -> Result<(), strongroom_store::StoreError> {
//! use strongroom_store::{DatasetStore, S3Config, StoreBackend};
//!
//! let mut config = S3Config::from_url("s3://strongroom-objects/consortium-a")?;
//! config.endpoint = Some("https://s3.eu-central-1.amazonaws.com".into());
//! config.region = Some("eu-central-1".into());
//! // Credentials: the standard AWS environment variables (the default).
//! let store = DatasetStore::open(&StoreBackend::S3(config)).await?;
//! let body = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from("ciphertext"))]);
//! let stored = store.put("org1/ds-1/a.sro", body, 1 << 30).await?;
//! assert_eq!(stored.size, 10);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod s3;

use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt, stream::BoxStream};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256};

pub use crate::s3::{S3_MAX_OBJECT_SIZE, S3Config, S3ConfigError, S3Credentials};

/// Size of one multipart part held in memory.
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight at once (so an upload holds at most about `PART_SIZE * 3`).
pub const PARTS_IN_FLIGHT: usize = 2;
/// Longest location accepted, in bytes.
pub const MAX_LOCATION_LEN: usize = 512;
/// Where uploads are staged before they are moved into place (a segment no valid
/// location has: [`validate_location`] refuses segments starting with `.`).
const STAGING: &str = ".staging";

/// How old a staged object in a shared bucket must be before a node that opens the
/// store removes it: no upload between its last part and its move takes that long.
pub const STALE_STAGING_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// A name for one upload's staged bytes, unique in this process, across restarts, and
/// across the hosts that share a bucket (64 bits from the process's random hasher keys).
fn staging_path() -> ObjectPath {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let random = std::collections::hash_map::RandomState::new().hash_one((nanos, n));
    ObjectPath::from(format!(
        "{STAGING}/{}-{nanos}-{n}-{random:016x}",
        std::process::id()
    ))
}

/// What went wrong with an object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The location is not acceptable.
    #[error("invalid object location {location:?}: {reason}")]
    InvalidLocation {
        /// The location given.
        location: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An object exists there already; nothing was written.
    #[error("an object already exists at {location}; nothing was written")]
    Exists {
        /// The location.
        location: String,
    },
    /// No object there.
    #[error("no object at {location}")]
    NotFound {
        /// The location.
        location: String,
    },
    /// The upload exceeded the limit; nothing was stored.
    #[error("the object exceeds the limit of {limit} bytes; nothing was stored")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The incoming stream failed; nothing was stored.
    #[error("the upload was interrupted: {reason}; nothing was stored")]
    Interrupted {
        /// What the stream reported.
        reason: String,
    },
    /// The object store failed (unreachable, or it refused the request: a bucket the
    /// credentials may not use gives this, not [`StoreError::NotFound`]).
    #[error("object store: {0}")]
    Backend(String),
    /// The store's configuration is wrong; nothing was contacted.
    #[error("object store configuration: {0}")]
    Config(#[from] S3ConfigError),
}

impl From<object_store::Error> for StoreError {
    fn from(e: object_store::Error) -> Self {
        Self::Backend(e.to_string())
    }
}

/// A stored object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    /// Where it is.
    pub location: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its bytes.
    pub sha256: [u8; 32],
}

/// Where a [`DatasetStore`] keeps its objects.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreBackend {
    /// A local directory, held by one node ([`DatasetStore::local`]).
    Local(PathBuf),
    /// An S3-compatible bucket, which several nodes may share ([`DatasetStore::s3`]).
    S3(S3Config),
}

/// Encrypted dataset objects in an [`ObjectStore`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DatasetStore {
    inner: Arc<dyn ObjectStore>,
    /// The largest object the backend can hold, whatever the caller allows.
    max_object_size: u64,
}

/// Checks a location: `/`-separated segments of ASCII letters, digits, `.`, `_` and
/// `-`, no empty, `.` or `..` segment, at most [`MAX_LOCATION_LEN`] bytes.
pub fn validate_location(location: &str) -> Result<ObjectPath, StoreError> {
    let invalid = |reason| StoreError::InvalidLocation {
        location: location.chars().take(80).collect(),
        reason,
    };
    if location.is_empty() {
        return Err(invalid("it is empty"));
    }
    if location.len() > MAX_LOCATION_LEN {
        return Err(invalid("it is longer than 512 bytes"));
    }
    for segment in location.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(invalid("it has an empty, `.` or `..` segment"));
        }
        if segment.starts_with('.') {
            return Err(invalid("a segment starts with `.`"));
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(invalid(
                "only ASCII letters, digits, `.`, `_`, `-` and `/` are allowed",
            ));
        }
    }
    ObjectPath::parse(location).map_err(|_| invalid("object_store refused the path"))
}

impl DatasetStore {
    /// Opens the store of `backend`: [`DatasetStore::local`] for a directory; for a
    /// bucket, [`DatasetStore::s3`], then [`DatasetStore::remove_stale_staging`], which
    /// also proves that the bucket is reachable with these credentials.
    pub async fn open(backend: &StoreBackend) -> Result<Self, StoreError> {
        match backend {
            StoreBackend::Local(dir) => Self::local(dir),
            StoreBackend::S3(config) => {
                let store = Self::s3(config)?;
                store.remove_stale_staging(STALE_STAGING_AGE).await?;
                Ok(store)
            }
        }
    }

    /// A store in the local directory `dir` (created if missing).
    ///
    /// The caller must hold the directory exclusively (the node's lock): opening removes
    /// the staging files of uploads that a crash cut short (`NAME#N`, and everything
    /// under `.staging/`), which never became objects.
    pub fn local(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", dir.display())))?;
        remove_staging_files(dir)
            .map_err(|e| StoreError::Backend(format!("cleaning {}: {e}", dir.display())))?;
        match std::fs::remove_dir_all(dir.join(STAGING)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StoreError::Backend(format!(
                    "cleaning {}: {e}",
                    dir.join(STAGING).display()
                )));
            }
        }
        let fs = LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self::new(Arc::new(fs)))
    }

    /// A store in an S3-compatible bucket, under its prefix; several nodes may share
    /// it. Checks the configuration and contacts nothing. Objects are at most
    /// [`S3_MAX_OBJECT_SIZE`]; see the [`s3`] module for what else differs from a
    /// local directory.
    pub fn s3(config: &S3Config) -> Result<Self, StoreError> {
        Ok(Self {
            inner: config.build()?,
            max_object_size: S3_MAX_OBJECT_SIZE,
        })
    }

    /// A store over any [`ObjectStore`] (S3, Azure, GCS, memory) with no size limit of
    /// its own. The store must implement [`ObjectStore::rename_if_not_exists`].
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self {
            inner,
            max_object_size: u64::MAX,
        }
    }

    /// Removes the staged uploads older than `age` (by the times the store recorded),
    /// which crashed uploads left behind; returns how many. Younger ones may be uploads
    /// in flight, of this node or of another one sharing the bucket, and stay.
    pub async fn remove_stale_staging(&self, age: Duration) -> Result<u64, StoreError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let cutoff = i64::try_from(now.saturating_sub(age.as_secs())).unwrap_or(i64::MAX);
        let staging = ObjectPath::from(STAGING);
        let mut listed = self.inner.list(Some(&staging));
        let mut removed = 0;
        while let Some(meta) = listed.try_next().await? {
            if meta.last_modified.timestamp() <= cutoff {
                match self.inner.delete(&meta.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => removed += 1,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(removed)
    }

    /// Stores `body` at `location`, atomically, refusing an existing location and more
    /// than `max_size` bytes (or than the backend holds: [`S3_MAX_OBJECT_SIZE`] on S3).
    /// See the [crate docs](crate).
    pub async fn put<S, E>(
        &self,
        location: &str,
        body: S,
        max_size: u64,
    ) -> Result<StoredObject, StoreError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let path = validate_location(location)?;
        let max_size = max_size.min(self.max_object_size);
        match self.inner.head(&path).await {
            Ok(_) => {
                return Err(StoreError::Exists {
                    location: location.to_owned(),
                });
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let staged = staging_path();
        let upload = self.inner.put_multipart(&staged).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut body = std::pin::pin!(body);
        let failure = loop {
            match body.next().await {
                None => break None,
                Some(Err(e)) => {
                    break Some(StoreError::Interrupted {
                        reason: e.to_string(),
                    });
                }
                Some(Ok(chunk)) => {
                    size = size.saturating_add(chunk.len() as u64);
                    if size > max_size {
                        break Some(StoreError::TooLarge { limit: max_size });
                    }
                    hasher.update(&chunk);
                    if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                        break Some(e.into());
                    }
                    writer.put(chunk);
                }
            }
        };
        if let Some(error) = failure {
            // Best effort: the staging data is removed; nothing is at `location`.
            let _ = writer.abort().await;
            return Err(error);
        }
        writer.finish().await?;
        // Create-only: of two uploads to one location, one lands, the other is refused.
        if let Err(e) = self.inner.rename_if_not_exists(&staged, &path).await {
            let _ = self.inner.delete(&staged).await;
            return Err(match e {
                object_store::Error::AlreadyExists { .. } => StoreError::Exists {
                    location: location.to_owned(),
                },
                other => other.into(),
            });
        }
        Ok(StoredObject {
            location: location.to_owned(),
            size,
            sha256: hasher.finalize().into(),
        })
    }

    /// The object at `location`, as a stream of chunks, with its size.
    pub async fn get(
        &self,
        location: &str,
    ) -> Result<(u64, BoxStream<'static, Result<Bytes, StoreError>>), StoreError> {
        let path = validate_location(location)?;
        let result = self.inner.get(&path).await.map_err(|e| match e {
            object_store::Error::NotFound { .. } => StoreError::NotFound {
                location: location.to_owned(),
            },
            other => other.into(),
        })?;
        let size = result.meta.size;
        Ok((size, result.into_stream().map_err(StoreError::from).boxed()))
    }

    /// Whether an object exists at `location`.
    pub async fn exists(&self, location: &str) -> Result<bool, StoreError> {
        let path = validate_location(location)?;
        match self.inner.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// Hex of a digest (for messages and the API).
pub fn hex_digest(digest: &[u8; 32]) -> String {
    hex::encode(digest)
}

/// Removes `object_store`'s local multipart staging files (`NAME#DIGITS`) under `dir`.
/// Valid object names never contain `#` ([`validate_location`]), so no object matches.
fn remove_staging_files(dir: &Path) -> std::io::Result<u64> {
    let mut removed = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
                continue;
            }
            let staging = entry
                .file_name()
                .to_str()
                .and_then(|name| name.rsplit_once('#'))
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if staging {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn body(bytes: &'static [u8]) -> impl Stream<Item = Result<Bytes, String>> + Send {
        futures_util::stream::iter([Ok(Bytes::from_static(bytes))])
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn of_two_racing_uploads_to_one_location_exactly_one_lands_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = DatasetStore::local(dir.path()).unwrap();
        for round in 0..20 {
            let location = format!("data/race-{round}");
            let (a, b) = (store.clone(), store.clone());
            let (la, lb) = (location.clone(), location.clone());
            let (ra, rb) = tokio::join!(
                tokio::spawn(async move { a.put(&la, body(b"first upload"), 1 << 20).await }),
                tokio::spawn(async move { b.put(&lb, body(b"second upload!"), 1 << 20).await }),
            );
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            let landed = match (&ra, &rb) {
                (Ok(stored), Err(StoreError::Exists { .. }))
                | (Err(StoreError::Exists { .. }), Ok(stored)) => stored.clone(),
                other => panic!("round {round}: {other:?}"),
            };
            let (size, stream) = store.get(&location).await.unwrap();
            let bytes: Vec<Bytes> = stream.try_collect().await.unwrap();
            let bytes = bytes.concat();
            assert_eq!(size, landed.size);
            assert_eq!(<[u8; 32]>::from(Sha256::digest(&bytes)), landed.sha256);
        }
        // Nothing staged is left behind.
        let staged = std::fs::read_dir(dir.path().join(STAGING))
            .map(|entries| entries.count())
            .unwrap_or(0);
        assert_eq!(staged, 0);
    }

    #[tokio::test]
    async fn an_upload_over_an_existing_object_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = DatasetStore::local(dir.path()).unwrap();
        store.put("data/x", body(b"one"), 100).await.unwrap();
        assert!(matches!(
            store.put("data/x", body(b"two"), 100).await,
            Err(StoreError::Exists { .. })
        ));
        let (_, stream) = store.get("data/x").await.unwrap();
        let bytes: Vec<Bytes> = stream.try_collect().await.unwrap();
        assert_eq!(bytes.concat(), b"one");
    }

    #[test]
    fn no_valid_location_can_name_the_staging_area() {
        assert!(validate_location(".staging/1-2-3").is_err());
        assert!(validate_location("data/.staging").is_err());
    }
}
