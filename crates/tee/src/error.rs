//! Errors shared across the crate: the umbrella [`AttestError`] of verification,
//! and the errors of reading evidence, reading collateral and producing evidence.

use std::fmt;
use std::io;
use std::path::PathBuf;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::dcap::DcapError;
use crate::platform::PlatformKind;
use crate::policy::PolicyError;
use crate::sim::SimError;
use crate::snp::SnpError;

/// Why evidence was not verified, or was verified and refused by the policy.
///
/// Every message is complete in itself (it includes the inner error), so no variant
/// reports the inner error again as its `source`.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// The collateral given is for another platform than the evidence.
    #[error("{platform} evidence needs {expected}")]
    CollateralMismatch {
        /// The platform of the evidence.
        platform: PlatformKind,
        /// What collateral that platform needs.
        expected: &'static str,
    },
    /// An SGX or TDX quote failed verification.
    #[error("DCAP quote rejected: {0}")]
    Dcap(DcapError),
    /// The evidence bytes are not of a known kind.
    #[error("{0}")]
    Evidence(EvidenceError),
    /// The evidence is genuine, but the policy does not accept what it says.
    #[error("refused by policy: {0}")]
    Policy(PolicyError),
    /// Sim evidence failed verification.
    #[error("sim evidence rejected: {0}")]
    Sim(SimError),
    /// An SEV-SNP report failed verification.
    #[error("SEV-SNP report rejected: {0}")]
    Snp(SnpError),
    /// The verification time is before 1970.
    #[error("verification time {} is before the Unix epoch", Timestamp(*.0))]
    TimeBeforeEpoch(OffsetDateTime),
    /// A verifier was given evidence of a platform it does not check.
    #[error("the {verifier} verifier cannot check {platform} evidence")]
    WrongVerifier {
        /// The verifier.
        verifier: &'static str,
        /// The platform of the evidence.
        platform: PlatformKind,
    },
}

macro_rules! attest_error_from {
    ($($variant:ident($inner:ty)),*) => {$(
        impl From<$inner> for AttestError {
            fn from(error: $inner) -> Self {
                Self::$variant(error)
            }
        }
    )*};
}

attest_error_from!(
    Dcap(DcapError),
    Evidence(EvidenceError),
    Policy(PolicyError),
    Sim(SimError),
    Snp(SnpError)
);

/// Why evidence bytes could not be recognized.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// There are no bytes.
    #[error("evidence is empty")]
    Empty,
    /// A platform name is not one of `sgx`, `sim`, `snp`, `tdx`.
    #[error("unknown platform {0:?} (expected sgx, sim, snp or tdx)")]
    UnknownPlatform(String),
    /// The bytes are no known kind of evidence.
    #[error("unrecognized evidence of {len} bytes: {reason}")]
    Unrecognized {
        /// The number of bytes.
        len: usize,
        /// What was looked for.
        reason: String,
    },
}

/// Why collateral could not be read.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum CollateralError {
    /// A certificate could not be parsed.
    #[error("{what} is not an X.509 certificate (DER or PEM): {reason}")]
    Certificate {
        /// Which certificate.
        what: &'static str,
        /// The parser's complaint.
        reason: String,
    },
    /// An SEV-SNP certificate table (configfs-tsm's `auxblob`) is malformed.
    #[error("SEV-SNP certificate table (auxblob): {0}")]
    CertificateTable(String),
    /// The AMD chain is not exactly an ASK and a self-signed ARK.
    #[error("AMD chain: {0}")]
    Chain(String),
    /// The report a VCEK is to be fetched for does not say which.
    #[error("AMD KDS: {0}")]
    Kds(String),
    /// A PCCS answer, or the quote it was asked for, is not what the collateral needs.
    #[error("PCCS collateral: {0}")]
    Pccs(String),
    /// DCAP collateral is not the JSON of a `QuoteCollateralV3`.
    #[error("DCAP collateral is not valid collateral JSON: {0}")]
    DcapJson(String),
}

/// Why a platform could not produce evidence, measure, seal or unseal.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// A cryptographic operation of the simulated platform or of sealing failed.
    #[error("{operation} failed: {error}")]
    Crypto {
        /// What was being done.
        operation: &'static str,
        /// The provider's error.
        error: strongroom_crypto::provider::CryptoError,
    },
    /// The configfs-tsm `generation` counter moved by other than our own writes:
    /// another writer used the same report entry, so the outblob may not be ours.
    #[error(
        "configfs-tsm report {} was written concurrently: generation is {found}, expected {expected}",
        entry.display()
    )]
    GenerationMismatch {
        /// The report entry.
        entry: PathBuf,
        /// The generation our writes should have produced.
        expected: u64,
        /// The generation read after the outblob.
        found: u64,
    },
    /// A file could not be created, read, written or removed.
    #[error("cannot {operation} {}: {error}", path.display())]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        error: io::Error,
    },
    /// A file holds something other than expected.
    #[error("{} is malformed: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The evidence the TEE returned does not carry the report data just written.
    #[error(
        "{} does not carry the report data just written (another writer?)",
        path.display()
    )]
    ReportDataMismatch {
        /// The file the evidence was read from.
        path: PathBuf,
    },
    /// The platform has no sealing key reachable from here.
    #[error("{platform} sealing is not available: {reason}")]
    SealingUnsupported {
        /// The platform.
        platform: PlatformKind,
        /// Why.
        reason: &'static str,
    },
    /// The TEE interface is of another platform or attestation type than expected.
    #[error("{} says {found:?}, expected {expected:?}", path.display())]
    UnexpectedProvider {
        /// The file naming the provider.
        path: PathBuf,
        /// What it says.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// Sealed data is malformed, or was sealed under another key or `aad`, or altered.
    #[error("cannot unseal: {0}")]
    Unseal(&'static str),
    /// A configuration value is unusable.
    #[error("{0}")]
    Unusable(String),
}

/// Formats a time as RFC 3339 in error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timestamp(pub OffsetDateTime);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "{} (unix)", self.0.unix_timestamp()),
        }
    }
}
