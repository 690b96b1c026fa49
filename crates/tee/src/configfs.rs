//! Evidence from inside a TDX or SEV-SNP confidential VM, through the Linux
//! configfs-tsm report interface (`/sys/kernel/config/tsm/report`, Linux 6.7+;
//! kernel ABI `Documentation/ABI/testing/configfs-tsm-report`).
//!
//! Each request creates its own report entry (`mkdir`), and:
//!
//! 1. reads `provider` (`tdx_guest` or `sev_guest`) and refuses another platform;
//! 2. reads `generation`, writes the 64 bytes of report data to `inblob`, reads
//!    `outblob`, and reads `generation` again: the kernel increments it on every
//!    write to the entry, so anything but exactly one more than before means
//!    another writer raced with us and the outblob may answer *their* inblob;
//! 3. checks that the outblob (a TDX quote or an SNP report) carries our report
//!    data;
//! 4. removes the entry (`rmdir`), also on failure.
//!
//! [`ConfigfsTsm::auxblob`] also reads the entry's `auxblob` after the `outblob`: on
//! SNP, the certificate table (VCEK, ASK, ARK) the host supplied, if it did.
//!
//! The file operations go through [`TsmFilesystem`], so that tests can stand in for
//! the kernel on an ordinary directory. configfs-tsm offers no sealing key: sealing
//! returns [`PlatformError::SealingUnsupported`].

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::PlatformError;
use crate::fields::unverified_fields;
use crate::platform::{Evidence, Measurement, Platform, PlatformKind, REPORT_DATA_LEN, ReportData};

/// Where the kernel mounts the configfs-tsm report interface.
pub const CONFIGFS_TSM_REPORT_DIR: &str = "/sys/kernel/config/tsm/report";

/// How many entry names to try when one is left over from an earlier process.
const ENTRY_ATTEMPTS: u32 = 16;

/// The file operations the configfs-tsm producer performs.
pub trait TsmFilesystem: Send + Sync + fmt::Debug {
    /// Creates a directory (under configfs: a new report entry with its attributes).
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    /// Removes a directory (under configfs: the report entry).
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
    /// Reads a whole file (attribute).
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Writes a whole file (attribute).
    fn write(&self, path: &Path, contents: &[u8]) -> io::Result<()>;
}

/// The real file system (`std::fs`).
#[derive(Clone, Copy, Debug, Default)]
pub struct HostFilesystem;

impl TsmFilesystem for HostFilesystem {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn write(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        std::fs::write(path, contents)
    }
}

/// A TDX or SEV-SNP guest producing evidence through configfs-tsm.
#[derive(Debug)]
pub struct ConfigfsTsm {
    kind: PlatformKind,
    root: PathBuf,
    filesystem: Box<dyn TsmFilesystem>,
    next_entry: AtomicU64,
}

impl ConfigfsTsm {
    /// The producer of a `kind` guest (TDX or SNP) at [`CONFIGFS_TSM_REPORT_DIR`].
    pub fn new(kind: PlatformKind) -> Result<Self, PlatformError> {
        Self::with_root(kind, CONFIGFS_TSM_REPORT_DIR)
    }

    /// The producer using another report directory.
    pub fn with_root(kind: PlatformKind, root: impl Into<PathBuf>) -> Result<Self, PlatformError> {
        Self::with_filesystem(kind, root, Box::new(HostFilesystem))
    }

    /// The producer using another report directory and file system.
    pub fn with_filesystem(
        kind: PlatformKind,
        root: impl Into<PathBuf>,
        filesystem: Box<dyn TsmFilesystem>,
    ) -> Result<Self, PlatformError> {
        if !matches!(kind, PlatformKind::Snp | PlatformKind::Tdx) {
            return Err(PlatformError::Unusable(format!(
                "configfs-tsm produces tdx or snp evidence, not {kind}"
            )));
        }
        Ok(Self {
            kind,
            root: root.into(),
            filesystem,
            next_entry: AtomicU64::new(0),
        })
    }

    /// The report directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn expected_provider(&self) -> &'static str {
        match self.kind {
            PlatformKind::Snp => "sev_guest",
            _ => "tdx_guest",
        }
    }

    fn create_entry(&self) -> Result<EntryGuard<'_>, PlatformError> {
        let mut attempt = 0;
        loop {
            let number = self.next_entry.fetch_add(1, Ordering::Relaxed);
            let path = self
                .root
                .join(format!("strongroom-{}-{number}", std::process::id()));
            match self.filesystem.create_dir(&path) {
                Ok(()) => {
                    return Ok(EntryGuard {
                        filesystem: self.filesystem.as_ref(),
                        path,
                    });
                }
                Err(error)
                    if error.kind() == io::ErrorKind::AlreadyExists
                        && attempt + 1 < ENTRY_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(error) => {
                    return Err(PlatformError::Io {
                        operation: "create the configfs-tsm report entry",
                        path,
                        error,
                    });
                }
            }
        }
    }

    fn read(&self, path: PathBuf) -> Result<(Vec<u8>, PathBuf), PlatformError> {
        match self.filesystem.read(&path) {
            Ok(bytes) => Ok((bytes, path)),
            Err(error) => Err(PlatformError::Io {
                operation: "read",
                path,
                error,
            }),
        }
    }

    fn generation(&self, entry: &Path) -> Result<u64, PlatformError> {
        let (bytes, path) = self.read(entry.join("generation"))?;
        let text = String::from_utf8_lossy(&bytes);
        text.trim()
            .parse::<u64>()
            .map_err(|_| PlatformError::Malformed {
                path,
                reason: format!("generation {:?} is not a number", text.trim()),
            })
    }

    /// Runs one report request (see the [module docs](self)) and returns the outblob.
    fn report(&self, report_data: &ReportData) -> Result<Vec<u8>, PlatformError> {
        self.report_with(report_data, false)
            .map(|(outblob, _)| outblob)
    }

    /// The `auxblob` of a report request over zero report data, if the kernel
    /// provides one (SNP: the certificate table the host supplied, read with
    /// [`crate::SnpCertificateTable::parse`]); `None` when the entry has no
    /// `auxblob` attribute or it is empty.
    pub fn auxblob(&self) -> Result<Option<Vec<u8>>, PlatformError> {
        self.report_with(&[0u8; REPORT_DATA_LEN], true)
            .map(|(_, auxblob)| auxblob)
    }

    /// [`Self::report`], also reading `auxblob` (after `outblob`, before the second
    /// `generation`) when `with_auxblob`.
    fn report_with(
        &self,
        report_data: &ReportData,
        with_auxblob: bool,
    ) -> Result<(Vec<u8>, Option<Vec<u8>>), PlatformError> {
        let entry = self.create_entry()?;
        let (provider, provider_path) = self.read(entry.path.join("provider"))?;
        let provider = String::from_utf8_lossy(&provider).trim().to_string();
        if provider != self.expected_provider() {
            return Err(PlatformError::UnexpectedProvider {
                path: provider_path,
                found: provider,
                expected: self.expected_provider(),
            });
        }
        let before = self.generation(&entry.path)?;
        let inblob = entry.path.join("inblob");
        self.filesystem
            .write(&inblob, report_data)
            .map_err(|error| PlatformError::Io {
                operation: "write",
                path: inblob,
                error,
            })?;
        let (outblob, outblob_path) = self.read(entry.path.join("outblob"))?;
        let auxblob = if with_auxblob {
            let path = entry.path.join("auxblob");
            match self.filesystem.read(&path) {
                Ok(bytes) if bytes.is_empty() => None,
                Ok(bytes) => Some(bytes),
                Err(error) if error.kind() == io::ErrorKind::NotFound => None,
                Err(error) => {
                    return Err(PlatformError::Io {
                        operation: "read",
                        path,
                        error,
                    });
                }
            }
        } else {
            None
        };
        let after = self.generation(&entry.path)?;
        let expected = before.saturating_add(1);
        if after != expected {
            return Err(PlatformError::GenerationMismatch {
                entry: entry.path.clone(),
                expected,
                found: after,
            });
        }
        let (_, bound) =
            unverified_fields(self.kind, &outblob).map_err(|reason| PlatformError::Malformed {
                path: outblob_path.clone(),
                reason,
            })?;
        if bound != *report_data {
            return Err(PlatformError::ReportDataMismatch { path: outblob_path });
        }
        Ok((outblob, auxblob))
    }
}

impl Platform for ConfigfsTsm {
    fn kind(&self) -> PlatformKind {
        self.kind
    }

    /// Produces evidence over zero report data and reads the measurement from it
    /// (MRTD for TDX, MEASUREMENT for SNP).
    fn measurement(&self) -> Result<Measurement, PlatformError> {
        let outblob = self.report(&[0u8; REPORT_DATA_LEN])?;
        unverified_fields(self.kind, &outblob)
            .map(|(measurement, _)| measurement)
            .map_err(|reason| PlatformError::Malformed {
                path: self.root.clone(),
                reason,
            })
    }

    fn evidence(&self, report_data: &ReportData) -> Result<Evidence, PlatformError> {
        Ok(Evidence::new(self.kind, self.report(report_data)?))
    }

    fn seal(&self, _plaintext: &[u8], _aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
        Err(self.no_sealing())
    }

    fn unseal(&self, _sealed: &[u8], _aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
        Err(self.no_sealing())
    }
}

impl ConfigfsTsm {
    fn no_sealing(&self) -> PlatformError {
        PlatformError::SealingUnsupported {
            platform: self.kind,
            reason: "configfs-tsm has no sealing key (TDX has none; SNP's is behind /dev/sev-guest)",
        }
    }
}

/// Removes the report entry when the request ends, however it ends.
struct EntryGuard<'a> {
    filesystem: &'a dyn TsmFilesystem,
    path: PathBuf,
}

impl Drop for EntryGuard<'_> {
    fn drop(&mut self) {
        // Best effort: a leftover entry holds no secret, only our report data.
        let _ = self.filesystem.remove_dir(&self.path);
    }
}
