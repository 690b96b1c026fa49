//! The data directory's files: its lock, and private files written atomically.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::NodeError;

const LOCK_FILE: &str = "node.lock";

fn file_err(path: &Path, e: impl std::fmt::Display) -> NodeError {
    NodeError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename, fsync of the
/// directory), mode 0600. Refuses to replace an existing file.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    if path.exists() {
        return Err(file_err(path, "already exists; refusing to overwrite it"));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    let _ = std::fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| file_err(&tmp, e))?;
    file.write_all(bytes).map_err(|e| file_err(&tmp, e))?;
    file.sync_all().map_err(|e| file_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| file_err(path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| file_err(dir, e))
}

pub(crate) fn lock_dir(dir: &Path) -> Result<File, NodeError> {
    std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| file_err(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(NodeError::Locked {
            dir: dir.to_path_buf(),
            lock: path,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(file_err(&path, e)),
    }
}
