//! Evidence from inside an SGX enclave run by Gramine, through its pseudo-files
//! under `/dev/attestation`:
//!
//! - `attestation_type` must say `dcap` (EPID and `none` are refused);
//! - the 64 bytes of report data are written to `user_report_data`, then `quote`
//!   is read: a DCAP quote whose report data must be ours;
//! - sealing derives an AES-256-GCM key (HKDF-SHA256) from Gramine's
//!   `keys/_sgx_mrenclave`, the enclave's 16-byte MRENCLAVE-bound sealing key.
//!
//! Writing the report data and reading the quote are one step under a lock, so that
//! threads of the process do not interleave.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use zeroize::Zeroizing;

use crate::configfs::{HostFilesystem, TsmFilesystem};
use crate::error::PlatformError;
use crate::fields::unverified_fields;
use crate::platform::{Evidence, Measurement, Platform, PlatformKind, REPORT_DATA_LEN, ReportData};
use crate::seal;

/// Where Gramine exposes its attestation pseudo-files.
pub const GRAMINE_ATTESTATION_DIR: &str = "/dev/attestation";

const SEAL_SALT: &[u8] = b"strongroom-tee/sgx-seal/v1";
const SEAL_KEY_FILE: &str = "keys/_sgx_mrenclave";
const SGX_SEAL_KEY_LEN: usize = 16;

/// An SGX enclave under Gramine with DCAP attestation.
#[derive(Debug)]
pub struct GramineSgx {
    root: PathBuf,
    filesystem: Box<dyn TsmFilesystem>,
    lock: Mutex<()>,
}

impl Default for GramineSgx {
    fn default() -> Self {
        Self::new()
    }
}

impl GramineSgx {
    /// The producer at [`GRAMINE_ATTESTATION_DIR`].
    pub fn new() -> Self {
        Self::with_root(GRAMINE_ATTESTATION_DIR)
    }

    /// The producer using another directory.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        Self::with_filesystem(root, Box::new(HostFilesystem))
    }

    /// Gramine's files under `root`, read and written through `filesystem` (the
    /// host's by default; an embedder's or a test's stand-in for Gramine otherwise).
    /// The checks on the quote are the same either way.
    pub fn with_filesystem(root: impl Into<PathBuf>, filesystem: Box<dyn TsmFilesystem>) -> Self {
        Self {
            root: root.into(),
            filesystem,
            lock: Mutex::new(()),
        }
    }

    /// The attestation directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, PlatformError> {
        let path = self.root.join(name);
        self.filesystem
            .read(&path)
            .map_err(|error| PlatformError::Io {
                operation: "read",
                path,
                error,
            })
    }

    fn quote(&self, report_data: &ReportData) -> Result<Vec<u8>, PlatformError> {
        // A poisoned lock only means another thread panicked mid-request; the files
        // are rewritten from scratch below.
        let _guard = self
            .lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let attestation_type = self.read("attestation_type")?;
        let attestation_type = String::from_utf8_lossy(&attestation_type)
            .trim()
            .to_string();
        if attestation_type != "dcap" {
            return Err(PlatformError::UnexpectedProvider {
                path: self.root.join("attestation_type"),
                found: attestation_type,
                expected: "dcap",
            });
        }
        let user_report_data = self.root.join("user_report_data");
        self.filesystem
            .write(&user_report_data, report_data)
            .map_err(|error| PlatformError::Io {
                operation: "write",
                path: user_report_data,
                error,
            })?;
        let quote = self.read("quote")?;
        let quote_path = self.root.join("quote");
        let (_, bound) = unverified_fields(PlatformKind::Sgx, &quote).map_err(|reason| {
            PlatformError::Malformed {
                path: quote_path.clone(),
                reason,
            }
        })?;
        if bound != *report_data {
            return Err(PlatformError::ReportDataMismatch { path: quote_path });
        }
        Ok(quote)
    }

    fn seal_key(&self) -> Result<Zeroizing<Vec<u8>>, PlatformError> {
        let key = Zeroizing::new(self.read(SEAL_KEY_FILE)?);
        if key.len() != SGX_SEAL_KEY_LEN {
            return Err(PlatformError::Malformed {
                path: self.root.join(SEAL_KEY_FILE),
                reason: format!("{} bytes, expected {SGX_SEAL_KEY_LEN}", key.len()),
            });
        }
        seal::derive_key(SEAL_SALT, &key, b"mrenclave")
    }
}

impl Platform for GramineSgx {
    fn kind(&self) -> PlatformKind {
        PlatformKind::Sgx
    }

    /// Produces a quote over zero report data and reads MRENCLAVE from it.
    fn measurement(&self) -> Result<Measurement, PlatformError> {
        let quote = self.quote(&[0u8; REPORT_DATA_LEN])?;
        unverified_fields(PlatformKind::Sgx, &quote)
            .map(|(measurement, _)| measurement)
            .map_err(|reason| PlatformError::Malformed {
                path: self.root.join("quote"),
                reason,
            })
    }

    fn evidence(&self, report_data: &ReportData) -> Result<Evidence, PlatformError> {
        Ok(Evidence::new(PlatformKind::Sgx, self.quote(report_data)?))
    }

    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
        seal::seal(&self.seal_key()?, plaintext, aad)
    }

    fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
        seal::unseal(&self.seal_key()?, sealed, aad)
    }
}
