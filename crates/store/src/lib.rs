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
//! - **never over an existing object**: a location that exists is refused, so one
//!   party cannot replace another's dataset;
//! - **bounded**: at most `max_size` bytes, held in memory a part (8 MiB) at a time,
//!   with a bounded number of parts in flight;
//! - **measured**: the result carries the size and the SHA-256 of what was stored, which
//!   the uploader compares with its own before it registers the dataset.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt, stream::BoxStream};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256};

/// Size of one multipart part held in memory.
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts in flight at once (so an upload holds at most about `PART_SIZE * 3`).
pub const PARTS_IN_FLIGHT: usize = 2;
/// Longest location accepted, in bytes.
pub const MAX_LOCATION_LEN: usize = 512;

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
    /// The object store failed.
    #[error("object store: {0}")]
    Backend(String),
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

/// Encrypted dataset objects in an [`ObjectStore`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DatasetStore {
    inner: Arc<dyn ObjectStore>,
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
    /// A store in the local directory `dir` (created if missing).
    ///
    /// The caller must hold the directory exclusively (the node's lock): opening removes
    /// the staging files of uploads that a crash cut short (`NAME#N`), which never
    /// became objects.
    pub fn local(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", dir.display())))?;
        remove_staging_files(dir)
            .map_err(|e| StoreError::Backend(format!("cleaning {}: {e}", dir.display())))?;
        let fs = LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self::new(Arc::new(fs)))
    }

    /// A store over any [`ObjectStore`] (S3, Azure, GCS, memory).
    pub fn new(inner: Arc<dyn ObjectStore>) -> Self {
        Self { inner }
    }

    /// Stores `body` at `location`, atomically, refusing an existing location and more
    /// than `max_size` bytes. See the [crate docs](crate).
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
        match self.inner.head(&path).await {
            Ok(_) => {
                return Err(StoreError::Exists {
                    location: location.to_owned(),
                });
            }
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let upload = self.inner.put_multipart(&path).await?;
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
