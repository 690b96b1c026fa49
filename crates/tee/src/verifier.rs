//! Turning evidence into verified claims: the [`Verifier`] trait, [`Claims`],
//! [`Collateral`], and [`verify`], the one entry point that dispatches on the
//! platform.

use std::fmt;

use serde::Serialize;
use time::OffsetDateTime;

use crate::dcap::{DcapCollateral, DcapVerifier};
use crate::error::AttestError;
use crate::platform::{Evidence, Measurement, PlatformKind, REPORT_DATA_LEN, serialize_hex};
use crate::policy::{Policy, TcbStatus};
use crate::sim::{SIM_WARNING, SimVerifier};
use crate::snp::{SnpCollateral, SnpVerifier};

/// What verified evidence says, after the policy accepted it.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// The platform the evidence was verified as.
    pub platform: PlatformKind,
    /// The code measurement (MRENCLAVE, MRTD, SNP MEASUREMENT, or the sim code id).
    pub measurement: Measurement,
    /// The 64 bytes of report data bound into the evidence.
    #[serde(serialize_with = "serialize_hex")]
    pub report_data: [u8; REPORT_DATA_LEN],
    /// The DCAP TCB status (SGX and TDX). SEV-SNP has none: its TCB is bound by the
    /// VCEK, which is issued per TCB version and checked against the report.
    pub tcb_status: Option<TcbStatus>,
    /// Whether the TEE runs in debug mode (its memory is then open to the host).
    pub debug: bool,
    /// Intel security advisories (INTEL-SA-…) that apply to the TCB (DCAP only).
    pub advisory_ids: Vec<String>,
    /// True for the simulation: these claims are not backed by any hardware.
    pub insecure: bool,
    /// For simulated evidence, the warning [`SIM_WARNING`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<&'static str>,
}

impl fmt::Display for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.insecure || self.platform == PlatformKind::Sim {
            write!(f, "{SIM_WARNING}: ")?;
        }
        write!(
            f,
            "{} {} {}, report data {}",
            self.platform,
            self.platform.measurement_name(),
            self.measurement,
            hex::encode(self.report_data)
        )?;
        if let Some(status) = self.tcb_status {
            write!(f, ", TCB {status}")?;
        }
        if !self.advisory_ids.is_empty() {
            write!(f, " ({})", self.advisory_ids.join(", "))?;
        }
        if self.debug {
            f.write_str(", DEBUG")?;
        }
        Ok(())
    }
}

/// What a verifier needs besides the evidence.
#[derive(Clone, Debug)]
pub enum Collateral {
    /// Intel's TCB info, QE identity, CRLs and certificate chains for a DCAP quote.
    Dcap(Box<DcapCollateral>),
    /// Nothing (sim evidence carries its own public key).
    None,
    /// The VCEK certificate of an SEV-SNP chip, and optionally an ASK/ARK chain
    /// replacing the built-in AMD roots.
    Snp(Box<SnpCollateral>),
}

impl From<DcapCollateral> for Collateral {
    fn from(collateral: DcapCollateral) -> Self {
        Self::Dcap(Box::new(collateral))
    }
}

impl From<SnpCollateral> for Collateral {
    fn from(collateral: SnpCollateral) -> Self {
        Self::Snp(Box::new(collateral))
    }
}

/// Checks evidence and returns the claims it establishes, if the policy accepts them.
pub trait Verifier: Send + Sync {
    /// Verifies `evidence` with `collateral` as of `at`, then applies `policy`.
    fn verify(
        &self,
        evidence: &Evidence,
        collateral: &Collateral,
        policy: &Policy,
        at: OffsetDateTime,
    ) -> Result<Claims, AttestError>;
}

/// One verifier per platform, chosen by the evidence's platform.
#[derive(Clone, Debug, Default)]
pub struct Verifiers {
    /// For SGX and TDX quotes.
    pub dcap: DcapVerifier,
    /// For simulated evidence.
    pub sim: SimVerifier,
    /// For SEV-SNP reports.
    pub snp: SnpVerifier,
}

impl Verifier for Verifiers {
    fn verify(
        &self,
        evidence: &Evidence,
        collateral: &Collateral,
        policy: &Policy,
        at: OffsetDateTime,
    ) -> Result<Claims, AttestError> {
        match evidence.platform() {
            PlatformKind::Sgx | PlatformKind::Tdx => {
                self.dcap.verify(evidence, collateral, policy, at)
            }
            PlatformKind::Sim => self.sim.verify(evidence, collateral, policy, at),
            PlatformKind::Snp => self.snp.verify(evidence, collateral, policy, at),
        }
    }
}

/// Verifies evidence of any platform with the default verifiers (Intel's production
/// root for DCAP, AMD's built-in Milan, Genoa and Turin roots for SEV-SNP) and
/// applies the policy. This is the one entry point for the CLI, nodes and clients.
pub fn verify(
    evidence: &Evidence,
    collateral: &Collateral,
    policy: &Policy,
    at: OffsetDateTime,
) -> Result<Claims, AttestError> {
    Verifiers::default().verify(evidence, collateral, policy, at)
}
