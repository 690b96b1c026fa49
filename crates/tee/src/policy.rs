//! The attestation policy: which platforms and measurements are trusted, whether
//! debug TEEs and the simulation are acceptable, and which TCB statuses are.
//!
//! A policy is read from a TOML file (every key, its default and what a policy does
//! not stop: `docs/formats/attestation-policy.md`):
//!
//! ```toml
//! allow_simulated = false            # default false
//! allow_debug = false                # default false
//! accepted_tcb_status = ["UpToDate"] # DCAP statuses; default just UpToDate
//! [[allow]]
//! platform = "tdx"                   # sim | sgx | tdx | snp
//! measurement = "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7"
//! ```
//!
//! Unknown keys are errors, and so are measurements that are not hex of the
//! platform's measurement length (`"*"` matches any measurement).
//!
//! [`Policy::check`] is pure: it judges [`Claims`] that a verifier has already
//! established, in this order, reporting the first refusal:
//!
//! 1. simulated evidence needs `allow_simulated`;
//! 2. a debug TEE needs `allow_debug`;
//! 3. SGX and TDX claims need a TCB status listed in `accepted_tcb_status`;
//! 4. some `[[allow]]` entry must name the platform and the measurement (compared in
//!    constant time) or `"*"`.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::CollateralError;
use crate::platform::{Measurement, PlatformKind};
use crate::verifier::Claims;

/// A DCAP TCB status: how the platform's TCB compares with Intel's latest TCB info.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TcbStatus {
    /// Up to date, but the configuration (e.g. hyperthreading) needs attention and
    /// software hardening is needed.
    ConfigurationAndSWHardeningNeeded,
    /// Up to date, but the platform's configuration needs attention.
    ConfigurationNeeded,
    /// A newer TCB is available.
    OutOfDate,
    /// Out of date, and the configuration needs attention.
    OutOfDateConfigurationNeeded,
    /// The platform's keys are revoked. Never accepted.
    Revoked,
    /// Up to date, but software hardening is needed against a known issue.
    SWHardeningNeeded,
    /// TDX 1.5: the TD launched on an out-of-date TCB that has since been updated
    /// in place; relaunching it would bring it up to date.
    TDRelaunchAdvised,
    /// [`TcbStatus::TDRelaunchAdvised`], and the configuration needs attention.
    TDRelaunchAdvisedConfigurationNeeded,
    /// Fully up to date.
    UpToDate,
}

impl TcbStatus {
    /// All statuses, in the order of their names.
    pub const ALL: [Self; 9] = [
        Self::ConfigurationAndSWHardeningNeeded,
        Self::ConfigurationNeeded,
        Self::OutOfDate,
        Self::OutOfDateConfigurationNeeded,
        Self::Revoked,
        Self::SWHardeningNeeded,
        Self::TDRelaunchAdvised,
        Self::TDRelaunchAdvisedConfigurationNeeded,
        Self::UpToDate,
    ];

    /// The name Intel's TCB info uses.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ConfigurationAndSWHardeningNeeded => "ConfigurationAndSWHardeningNeeded",
            Self::ConfigurationNeeded => "ConfigurationNeeded",
            Self::OutOfDate => "OutOfDate",
            Self::OutOfDateConfigurationNeeded => "OutOfDateConfigurationNeeded",
            Self::Revoked => "Revoked",
            Self::SWHardeningNeeded => "SWHardeningNeeded",
            Self::TDRelaunchAdvised => "TDRelaunchAdvised",
            Self::TDRelaunchAdvisedConfigurationNeeded => "TDRelaunchAdvisedConfigurationNeeded",
            Self::UpToDate => "UpToDate",
        }
    }
}

impl fmt::Display for TcbStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TcbStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.name() == s)
            .ok_or_else(|| s.to_string())
    }
}

impl Serialize for TcbStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Which measurements an [`AllowEntry`] admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeasurementPattern {
    /// Any measurement (`"*"` in the file).
    Any,
    /// Exactly this measurement.
    Exact(Measurement),
}

/// One `[[allow]]` entry: a platform and the measurement it may run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowEntry {
    /// The platform.
    pub platform: PlatformKind,
    /// The measurement.
    pub measurement: MeasurementPattern,
}

/// An attestation policy. The default refuses everything: nothing is allowed, the
/// simulation and debug TEEs are refused, and only `UpToDate` is accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    allow_simulated: bool,
    allow_debug: bool,
    accepted_tcb_status: Vec<TcbStatus>,
    allow: Vec<AllowEntry>,
    /// An ASK and ARK (PEM) that replace AMD's built-in SEV-SNP roots: the file's
    /// `snp_roots`, or [`Policy::with_snp_roots`].
    snp_roots: Option<Vec<u8>>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            allow_simulated: false,
            allow_debug: false,
            accepted_tcb_status: vec![TcbStatus::UpToDate],
            allow: Vec::new(),
            snp_roots: None,
        }
    }
}

/// Why a policy file was not accepted.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum PolicyFileError {
    /// An `[[allow]]` measurement is neither `"*"` nor hex of the right length.
    #[error("allow[{index}] ({platform}): measurement {reason}")]
    BadMeasurement {
        /// The index of the entry, from 0.
        index: usize,
        /// The platform it names.
        platform: PlatformKind,
        /// What is wrong.
        reason: String,
    },
    /// The file could not be read.
    #[error("cannot read policy {}: {error}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// `accepted_tcb_status` lists `Revoked`, which is never acceptable.
    #[error("accepted_tcb_status[{index}]: Revoked can never be accepted")]
    RevokedAccepted {
        /// The index in the list, from 0.
        index: usize,
    },
    /// The file is not TOML of the policy schema (unknown key, wrong type, ...).
    #[error("{message}{}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Syntax {
        /// The parser's message, naming the key.
        message: String,
        /// The 1-based line of the problem, when known.
        line: Option<usize>,
    },
    /// `snp_roots` is not two certificates in PEM, an ASK and the self-issued ARK.
    #[error("snp_roots: {0}")]
    BadSnpRoots(CollateralError),
    /// `accepted_tcb_status` has a name that is not a DCAP TCB status.
    #[error(
        "accepted_tcb_status[{index}]: unknown TCB status {status:?} (known: {})",
        TcbStatus::ALL.map(TcbStatus::name).join(", ")
    )]
    UnknownTcbStatus {
        /// The index in the list, from 0.
        index: usize,
        /// The name found.
        status: String,
    },
}

/// Why verified claims were refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The TEE runs in debug mode and the policy does not set `allow_debug`.
    #[error(
        "{platform} evidence comes from a debug TEE (its debug attribute is set) and the policy does not set allow_debug = true"
    )]
    DebugNotAllowed {
        /// The platform.
        platform: PlatformKind,
    },
    /// No `[[allow]]` entry admits this platform and measurement.
    #[error("no [[allow]] entry admits platform {platform} with {} {measurement}", platform.measurement_name())]
    MeasurementNotAllowed {
        /// The platform.
        platform: PlatformKind,
        /// The measurement.
        measurement: Measurement,
    },
    /// Simulated evidence, and the policy does not set `allow_simulated`.
    #[error(
        "evidence is INSECURE SIMULATION (platform sim) and the policy does not set allow_simulated = true"
    )]
    SimulationNotAllowed,
    /// SGX or TDX claims without a TCB status.
    #[error("{platform} claims carry no TCB status")]
    TcbStatusMissing {
        /// The platform.
        platform: PlatformKind,
    },
    /// The TCB status is not in `accepted_tcb_status`.
    #[error(
        "TCB status {status} not accepted by policy (accepted: {})",
        accepted.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
    )]
    TcbStatusNotAccepted {
        /// The status of the evidence.
        status: TcbStatus,
        /// What the policy accepts.
        accepted: Vec<TcbStatus>,
    },
}

/// The file schema; converted into a [`Policy`] after validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    allow_simulated: bool,
    #[serde(default)]
    allow_debug: bool,
    #[serde(default = "default_accepted")]
    accepted_tcb_status: Vec<String>,
    #[serde(default)]
    allow: Vec<AllowEntryFile>,
    #[serde(default)]
    snp_roots: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowEntryFile {
    platform: PlatformKind,
    measurement: String,
}

fn default_accepted() -> Vec<String> {
    vec![TcbStatus::UpToDate.name().to_string()]
}

impl Policy {
    /// The default policy: refuses everything until entries are allowed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads and validates a policy file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, PolicyFileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| PolicyFileError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        Self::from_toml(&text)
    }

    /// Parses and validates a policy from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, PolicyFileError> {
        let file: PolicyFile = toml::from_str(text).map_err(|error| PolicyFileError::Syntax {
            message: error.message().trim().to_string(),
            line: error
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1),
        })?;
        let mut accepted = Vec::with_capacity(file.accepted_tcb_status.len());
        for (index, name) in file.accepted_tcb_status.iter().enumerate() {
            let status = name
                .parse::<TcbStatus>()
                .map_err(|status| PolicyFileError::UnknownTcbStatus { index, status })?;
            if status == TcbStatus::Revoked {
                return Err(PolicyFileError::RevokedAccepted { index });
            }
            if !accepted.contains(&status) {
                accepted.push(status);
            }
        }
        let mut allow = Vec::with_capacity(file.allow.len());
        for (index, entry) in file.allow.into_iter().enumerate() {
            let measurement =
                parse_pattern(entry.platform, &entry.measurement).map_err(|reason| {
                    PolicyFileError::BadMeasurement {
                        index,
                        platform: entry.platform,
                        reason,
                    }
                })?;
            allow.push(AllowEntry {
                platform: entry.platform,
                measurement,
            });
        }
        let snp_roots = match file.snp_roots {
            Some(pem) => {
                crate::snp::check_chain(pem.as_bytes()).map_err(PolicyFileError::BadSnpRoots)?;
                Some(pem.into_bytes())
            }
            None => None,
        };
        Ok(Self {
            allow_simulated: file.allow_simulated,
            allow_debug: file.allow_debug,
            accepted_tcb_status: accepted,
            allow,
            snp_roots,
        })
    }

    /// Sets whether simulated (insecure) evidence is acceptable.
    pub fn with_allow_simulated(mut self, allow: bool) -> Self {
        self.allow_simulated = allow;
        self
    }

    /// Sets whether debug TEEs are acceptable.
    pub fn with_allow_debug(mut self, allow: bool) -> Self {
        self.allow_debug = allow;
        self
    }

    /// Replaces the accepted DCAP TCB statuses. `Revoked` is dropped: it is never
    /// acceptable.
    pub fn with_accepted_tcb_status(mut self, statuses: &[TcbStatus]) -> Self {
        self.accepted_tcb_status = statuses
            .iter()
            .copied()
            .filter(|status| *status != TcbStatus::Revoked)
            .collect();
        self
    }

    /// Adds an `[[allow]]` entry. A measurement of the wrong length for the platform
    /// is kept but can never match.
    pub fn with_allowed(mut self, platform: PlatformKind, measurement: MeasurementPattern) -> Self {
        self.allow.push(AllowEntry {
            platform,
            measurement,
        });
        self
    }

    /// Trusts `chain`, an ASK and an ARK (PEM, in either order), as the only SEV-SNP
    /// roots, **instead of AMD's built-in Milan, Genoa and Turin roots**: a VCEK then
    /// verifies only if this ASK signed it, and this ARK becomes the trust anchor.
    ///
    /// This is the verifier's own choice, never a peer's: the chain a node sends with
    /// its evidence is not a trust anchor. Use it for a chain obtained from AMD for a
    /// generation `sev` does not build in, or in tests with a test chain; a refusal
    /// names these roots as "the policy's SNP roots (not AMD's built-in)". The policy
    /// file's `snp_roots` key sets the same.
    pub fn with_snp_roots(mut self, chain: &[u8]) -> Result<Self, CollateralError> {
        crate::snp::check_chain(chain)?;
        self.snp_roots = Some(chain.to_vec());
        Ok(self)
    }

    /// The ASK and ARK that replace AMD's built-in SEV-SNP roots, if the policy sets
    /// them ([`Policy::with_snp_roots`]).
    pub fn snp_roots(&self) -> Option<&[u8]> {
        self.snp_roots.as_deref()
    }

    /// Whether simulated evidence is acceptable.
    pub fn allow_simulated(&self) -> bool {
        self.allow_simulated
    }

    /// Whether debug TEEs are acceptable.
    pub fn allow_debug(&self) -> bool {
        self.allow_debug
    }

    /// The accepted DCAP TCB statuses.
    pub fn accepted_tcb_status(&self) -> &[TcbStatus] {
        &self.accepted_tcb_status
    }

    /// The `[[allow]]` entries.
    pub fn allowed(&self) -> &[AllowEntry] {
        &self.allow
    }

    /// Judges verified claims; see the [module docs](self) for the order of checks.
    pub fn check(&self, claims: &Claims) -> Result<(), PolicyError> {
        if (claims.platform == PlatformKind::Sim || claims.insecure) && !self.allow_simulated {
            return Err(PolicyError::SimulationNotAllowed);
        }
        if claims.debug && !self.allow_debug {
            return Err(PolicyError::DebugNotAllowed {
                platform: claims.platform,
            });
        }
        if matches!(claims.platform, PlatformKind::Sgx | PlatformKind::Tdx) {
            let status = claims.tcb_status.ok_or(PolicyError::TcbStatusMissing {
                platform: claims.platform,
            })?;
            if !self.accepted_tcb_status.contains(&status) {
                return Err(PolicyError::TcbStatusNotAccepted {
                    status,
                    accepted: self.accepted_tcb_status.clone(),
                });
            }
        }
        // Every entry is compared, so the time taken does not say which one matched.
        let mut admitted = false;
        for entry in &self.allow {
            let matches = entry.platform == claims.platform
                && match &entry.measurement {
                    MeasurementPattern::Any => true,
                    MeasurementPattern::Exact(expected) => expected.ct_eq(&claims.measurement),
                };
            admitted |= matches;
        }
        if admitted {
            Ok(())
        } else {
            Err(PolicyError::MeasurementNotAllowed {
                platform: claims.platform,
                measurement: claims.measurement.clone(),
            })
        }
    }
}

fn parse_pattern(platform: PlatformKind, text: &str) -> Result<MeasurementPattern, String> {
    if text == "*" {
        return Ok(MeasurementPattern::Any);
    }
    let bytes = hex::decode(text).map_err(|e| format!("is not hex: {e}"))?;
    let expected = platform.measurement_len();
    if bytes.len() != expected {
        return Err(format!(
            "must be {expected} bytes ({} hex digits) for {platform}, got {} bytes",
            expected * 2,
            bytes.len()
        ));
    }
    Ok(MeasurementPattern::Exact(Measurement::new(bytes)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn empty_file_is_the_strict_default() {
        assert_eq!(Policy::from_toml("").unwrap(), Policy::default());
    }

    #[test]
    fn syntax_errors_carry_the_line() {
        let error = Policy::from_toml("allow_debug = false\nallow_simulatd = true\n").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("allow_simulatd"), "{message}");
        assert!(message.contains("(line 2)"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
}
