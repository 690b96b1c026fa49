//! TEE attestation for strongroom: a [`Platform`] produces evidence that binds 64
//! bytes of report data to a code measurement and seals data to that measurement; a
//! [`Verifier`] turns evidence plus collateral into [`Claims`] under a [`Policy`].
//!
//! | platform | evidence from | verified with |
//! |---|---|---|
//! | `sim` | [`SimPlatform`]: a software key, **INSECURE SIMULATION** | [`SimVerifier`], only with `allow_simulated` |
//! | `sgx` | [`GramineSgx`] (`/dev/attestation`) | [`DcapVerifier`] (crate `dcap-qvl`) |
//! | `tdx` | [`ConfigfsTsm`] (`/sys/kernel/config/tsm/report`) | [`DcapVerifier`] |
//! | `snp` | [`ConfigfsTsm`] | [`SnpVerifier`] (crate `sev`, built-in AMD roots) |
//!
//! [`verify`] is the one entry point: it dispatches on the evidence's platform,
//! verifies, and applies the policy. The policy file format, the sim measurement and
//! the `strongroom attest verify` command are described in `docs/attestation.md`.
//!
//! # Quick start
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use strongroom_tee::{
//!     Collateral, CodeIdentity, MeasurementPattern, Platform, PlatformKind, Policy,
//!     SimPlatform, verify,
//! };
//! use time::OffsetDateTime;
//!
//! // INSECURE SIMULATION: a software "TEE" for development.
//! let platform = SimPlatform::new(&CodeIdentity::of_this_build(), &[7u8; 32])?;
//! let evidence = platform.evidence(&[1u8; 64])?;
//!
//! let policy = Policy::new()
//!     .with_allow_simulated(true)
//!     .with_allowed(PlatformKind::Sim, MeasurementPattern::Exact(platform.measurement()?));
//! let claims = verify(&evidence, &Collateral::None, &policy, OffsetDateTime::now_utc())?;
//! assert!(claims.insecure);
//! assert_eq!(claims.report_data, [1u8; 64]);
//!
//! // The default policy refuses the simulation.
//! assert!(verify(&evidence, &Collateral::None, &Policy::new(), OffsetDateTime::now_utc()).is_err());
//!
//! let sealed = platform.seal(b"ledger secret", b"context")?;
//! assert_eq!(platform.unseal(&sealed, b"context")?, b"ledger secret");
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod configfs;
pub mod dcap;
mod error;
mod fields;
pub mod gramine;
pub mod kds;
pub mod pccs;
mod platform;
pub mod policy;
mod seal;
pub mod sim;
pub mod snp;
mod verifier;

pub use configfs::{ConfigfsTsm, HostFilesystem, TsmFilesystem};
pub use dcap::{DcapCollateral, DcapError, DcapVerifier};
pub use error::{AttestError, CollateralError, EvidenceError, PlatformError};
pub use gramine::GramineSgx;
pub use kds::{KdsQuery, SnpProduct};
pub use pccs::{PccsAnswer, PccsAnswers, PccsQuery, PccsUrls};
pub use platform::{
    Evidence, Measurement, Platform, PlatformKind, REPORT_DATA_LEN, ReportData, SNP_REPORT_LEN,
};
pub use policy::{AllowEntry, MeasurementPattern, Policy, PolicyError, PolicyFileError, TcbStatus};
pub use sim::{CodeIdentity, SIM_WARNING, SimError, SimPlatform, SimVerifier};
pub use snp::{SnpCertificateTable, SnpCollateral, SnpError, SnpVerifier};
pub use verifier::{Claims, Collateral, Verifier, Verifiers, verify};
