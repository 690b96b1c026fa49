//! Output files that appear whole or not at all.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tempfile::NamedTempFile;

/// A file being written: a temporary file in the destination's directory, renamed
/// onto the destination by [`AtomicFile::commit`]. Dropped without commit, it vanishes.
pub struct AtomicFile {
    temp: NamedTempFile,
    destination: PathBuf,
}

impl AtomicFile {
    /// Starts writing `destination`. Refuses an existing file unless `overwrite`.
    pub fn create(destination: &Path, overwrite: bool) -> Result<Self> {
        if !overwrite && destination.exists() {
            bail!(
                "{} already exists (pass --force to overwrite it)",
                destination.display()
            );
        }
        let directory = match destination.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".strongroom-")
            .suffix(".tmp")
            .tempfile_in(directory)
            .with_context(|| format!("cannot create a file in {}", directory.display()))?;
        Ok(Self {
            temp,
            destination: destination.to_path_buf(),
        })
    }

    /// A buffered writer over the temporary file.
    pub fn writer(&mut self) -> BufWriter<&mut File> {
        BufWriter::with_capacity(256 * 1024, self.temp.as_file_mut())
    }

    /// Makes the file durable and moves it into place.
    pub fn commit(self) -> Result<()> {
        self.temp
            .as_file()
            .sync_all()
            .with_context(|| format!("cannot sync {}", self.destination.display()))?;
        self.temp
            .persist(&self.destination)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", self.destination.display()))?;
        Ok(())
    }
}

/// Writes a small file whole, with the given Unix permissions, refusing to overwrite.
pub fn write_new(destination: &Path, contents: &[u8], mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut file = AtomicFile::create(destination, false)?;
    file.temp
        .as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set permissions on {}", destination.display()))?;
    {
        let mut writer = file.writer();
        writer.write_all(contents)?;
        writer.flush()?;
    }
    file.commit()
}
