//! The simulated platform: **INSECURE SIMULATION**, for development, CI and demos.
//!
//! Nothing here is rooted in hardware. The "TEE" is the ordinary process; its
//! evidence is signed by a P-256 key the process generated itself and whose public
//! key travels *inside* the evidence, so anyone can forge sim evidence for any
//! measurement. Verifiers therefore accept it only when the policy says
//! `allow_simulated = true`, and the claims say `insecure: true` and carry
//! [`SIM_WARNING`].
//!
//! # Measurement
//!
//! The sim measurement is a code id: SHA-256 over the domain string
//! `strongroom-tee/sim-code-id/v1` followed by the crate name, version and build id
//! of a [`CodeIdentity`], each preceded by its length as a big-endian `u32`.
//! [`CodeIdentity::of_this_build`] uses this crate's `CARGO_PKG_NAME`,
//! `CARGO_PKG_VERSION` and the `STRONGROOM_BUILD_ID` environment variable at compile
//! time (for example the git commit; `dev` when unset).
//!
//! # Evidence
//!
//! A JSON object `{format, platform, warning, measurement, report_data, public_key,
//! signature}` (hex fields). The ECDSA P-256/SHA-256 signature covers
//! `strongroom-tee/sim-evidence/v1 || 0x00 || "sim" || measurement (32) ||
//! report_data (64) || public_key (65, SEC1 uncompressed)`. A simulated *debug* TEE
//! ([`SimPlatform::with_debug`], for testing that policies refuse debug TEEs) adds
//! `"debug": true` to the document and signs `"sim+debug"` in place of `"sim"`.
//!
//! # Sealing
//!
//! AES-256-GCM under HKDF-SHA256(salt `strongroom-tee/sim-seal/v1`, secret = the
//! host secret given to [`SimPlatform::new`], info = measurement): another build
//! (measurement) or another host secret cannot unseal.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use strongroom_crypto::provider::{
    EcdsaCurve, SignaturePolicy, SigningKey, VerifyingKey, default_provider,
};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::error::{AttestError, PlatformError};
use crate::platform::{Evidence, Measurement, Platform, PlatformKind, REPORT_DATA_LEN, ReportData};
use crate::policy::{Policy, PolicyError};
use crate::seal;
use crate::verifier::{Claims, Collateral, Verifier};

/// The label every simulated claim, evidence document and display carries.
pub const SIM_WARNING: &str = "INSECURE SIMULATION";

/// The `format` of sim evidence documents.
pub const SIM_EVIDENCE_FORMAT: &str = "strongroom-sim-evidence/v1";

const CODE_ID_DOMAIN: &[u8] = b"strongroom-tee/sim-code-id/v1";
const EVIDENCE_DOMAIN: &[u8] = b"strongroom-tee/sim-evidence/v1\0";
const SEAL_SALT: &[u8] = b"strongroom-tee/sim-seal/v1";
const MIN_HOST_SECRET_LEN: usize = 32;
const WARNING_TEXT: &str =
    "INSECURE SIMULATION: software key, not hardware-rooted; anyone can forge this evidence";

/// Why sim evidence was rejected.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A field has the wrong encoding or length.
    #[error("field {field}: {reason}")]
    BadField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The signature does not verify under the public key in the evidence.
    #[error("signature does not verify under the evidence's own public key (altered evidence)")]
    BadSignature,
    /// The bytes are not a sim evidence document.
    #[error("not a sim evidence document: {0}")]
    Malformed(String),
}

/// What the sim measurement identifies: a build of some code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeIdentity {
    name: String,
    version: String,
    build_id: String,
}

impl CodeIdentity {
    /// A code identity from its parts.
    pub fn new(
        name: impl Into<String>,
        version: impl Into<String>,
        build_id: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            build_id: build_id.into(),
        }
    }

    /// The identity of this build of `strongroom-tee`: crate name, version, and the
    /// compile-time `STRONGROOM_BUILD_ID` (`dev` when unset).
    pub fn of_this_build() -> Self {
        Self::new(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            option_env!("STRONGROOM_BUILD_ID").unwrap_or("dev"),
        )
    }

    /// The sim measurement of this identity (see the [module docs](self)).
    pub fn measurement(&self) -> Measurement {
        let mut hasher = Sha256::new();
        hasher.update(CODE_ID_DOMAIN);
        for part in [&self.name, &self.version, &self.build_id] {
            // Names are short; a length over u32::MAX cannot be built in memory here.
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            hasher.update(len.to_be_bytes());
            hasher.update(part.as_bytes());
        }
        Measurement::new(hasher.finalize().to_vec())
    }
}

/// The simulated TEE: **insecure**, see the [module docs](self).
pub struct SimPlatform {
    debug: bool,
    measurement: Measurement,
    key: SigningKey,
    seal_key: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for SimPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimPlatform")
            .field("warning", &SIM_WARNING)
            .field("measurement", &self.measurement)
            .finish_non_exhaustive()
    }
}

impl SimPlatform {
    /// A simulated TEE running `identity`, sealing under a key derived from
    /// `host_secret` (at least 32 bytes) and the measurement. It signs evidence with
    /// a fresh P-256 key.
    pub fn new(identity: &CodeIdentity, host_secret: &[u8]) -> Result<Self, PlatformError> {
        if host_secret.len() < MIN_HOST_SECRET_LEN {
            return Err(PlatformError::Unusable(format!(
                "sim host secret must be at least {MIN_HOST_SECRET_LEN} bytes, got {}",
                host_secret.len()
            )));
        }
        let measurement = identity.measurement();
        let key = default_provider()
            .generate_signing_key(EcdsaCurve::P256)
            .map_err(|error| PlatformError::Crypto {
                operation: "generating the sim signing key",
                error,
            })?;
        let seal_key = seal::derive_key(SEAL_SALT, host_secret, measurement.as_bytes())?;
        Ok(Self {
            debug: false,
            measurement,
            key,
            seal_key,
        })
    }

    /// The same platform claiming to run in debug mode (its memory open to the host),
    /// which policies refuse unless they allow debug TEEs.
    #[must_use]
    pub fn with_debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// The public key (SEC1 uncompressed) that signs this platform's evidence.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.verifying_key().to_sec1_bytes()
    }
}

impl Platform for SimPlatform {
    fn kind(&self) -> PlatformKind {
        PlatformKind::Sim
    }

    fn measurement(&self) -> Result<Measurement, PlatformError> {
        Ok(self.measurement.clone())
    }

    fn evidence(&self, report_data: &ReportData) -> Result<Evidence, PlatformError> {
        let public_key = self.public_key();
        let message = signed_message(
            self.measurement.as_bytes(),
            report_data,
            &public_key,
            self.debug,
        );
        let signature = default_provider()
            .ecdsa_sign(&self.key, &message)
            .map_err(|error| PlatformError::Crypto {
                operation: "signing sim evidence",
                error,
            })?;
        let document = SimEvidenceDocument {
            format: SIM_EVIDENCE_FORMAT.to_string(),
            platform: PlatformKind::Sim.name().to_string(),
            warning: WARNING_TEXT.to_string(),
            measurement: self.measurement.to_hex(),
            report_data: hex::encode(report_data),
            public_key: hex::encode(&public_key),
            signature: hex::encode(signature),
            debug: self.debug,
        };
        let bytes = serde_json::to_vec_pretty(&document)
            .map_err(|e| PlatformError::Unusable(format!("cannot encode sim evidence: {e}")))?;
        Ok(Evidence::new(PlatformKind::Sim, bytes))
    }

    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
        seal::seal(&self.seal_key, plaintext, aad)
    }

    fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, PlatformError> {
        seal::unseal(&self.seal_key, sealed, aad)
    }
}

/// Verifies sim evidence, only under a policy with `allow_simulated = true`.
#[derive(Clone, Debug, Default)]
pub struct SimVerifier;

impl SimVerifier {
    /// Checks the signature of a sim evidence document and returns its claims,
    /// without applying a policy.
    pub fn verify_signature(&self, bytes: &[u8]) -> Result<Claims, SimError> {
        let document: SimEvidenceDocument =
            serde_json::from_slice(bytes).map_err(|e| SimError::Malformed(e.to_string()))?;
        if document.format != SIM_EVIDENCE_FORMAT {
            return Err(SimError::BadField {
                field: "format",
                reason: format!("{:?}, expected {SIM_EVIDENCE_FORMAT:?}", document.format),
            });
        }
        if document.platform != PlatformKind::Sim.name() {
            return Err(SimError::BadField {
                field: "platform",
                reason: format!("{:?}, expected \"sim\"", document.platform),
            });
        }
        let measurement = decode_field(
            "measurement",
            &document.measurement,
            Some(PlatformKind::Sim.measurement_len()),
        )?;
        let report_data =
            decode_field("report_data", &document.report_data, Some(REPORT_DATA_LEN))?;
        let public_key = decode_field("public_key", &document.public_key, None)?;
        let signature = decode_field("signature", &document.signature, None)?;
        let key = VerifyingKey::from_sec1_bytes(EcdsaCurve::P256, &public_key).map_err(|_| {
            SimError::BadField {
                field: "public_key",
                reason: "not a P-256 public key".to_string(),
            }
        })?;
        let message = signed_message(&measurement, &report_data, &public_key, document.debug);
        default_provider()
            .ecdsa_verify(&key, &message, &signature, SignaturePolicy::LowS)
            .map_err(|_| SimError::BadSignature)?;
        let mut report = [0u8; REPORT_DATA_LEN];
        report.copy_from_slice(&report_data);
        Ok(Claims {
            platform: PlatformKind::Sim,
            measurement: Measurement::new(measurement),
            report_data: report,
            tcb_status: None,
            debug: document.debug,
            advisory_ids: Vec::new(),
            insecure: true,
            warning: Some(SIM_WARNING),
        })
    }
}

impl Verifier for SimVerifier {
    fn verify(
        &self,
        evidence: &Evidence,
        collateral: &Collateral,
        policy: &Policy,
        _at: OffsetDateTime,
    ) -> Result<Claims, AttestError> {
        if evidence.platform() != PlatformKind::Sim {
            return Err(AttestError::WrongVerifier {
                verifier: "sim",
                platform: evidence.platform(),
            });
        }
        // Refuse before looking at the bytes: without allow_simulated, nothing a sim
        // document says matters.
        if !policy.allow_simulated() {
            return Err(PolicyError::SimulationNotAllowed.into());
        }
        if !matches!(collateral, Collateral::None) {
            return Err(AttestError::CollateralMismatch {
                platform: PlatformKind::Sim,
                expected: "no collateral",
            });
        }
        let claims = self.verify_signature(evidence.as_bytes())?;
        policy.check(&claims)?;
        Ok(claims)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimEvidenceDocument {
    format: String,
    platform: String,
    warning: String,
    measurement: String,
    report_data: String,
    public_key: String,
    signature: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    debug: bool,
}

fn signed_message(
    measurement: &[u8],
    report_data: &[u8],
    public_key: &[u8],
    debug: bool,
) -> Vec<u8> {
    let mut message = Vec::with_capacity(
        EVIDENCE_DOMAIN.len() + 9 + measurement.len() + report_data.len() + public_key.len(),
    );
    message.extend_from_slice(EVIDENCE_DOMAIN);
    message.extend_from_slice(PlatformKind::Sim.name().as_bytes());
    if debug {
        message.extend_from_slice(b"+debug");
    }
    message.extend_from_slice(measurement);
    message.extend_from_slice(report_data);
    message.extend_from_slice(public_key);
    message
}

fn decode_field(
    field: &'static str,
    text: &str,
    expected_len: Option<usize>,
) -> Result<Vec<u8>, SimError> {
    let bytes = hex::decode(text).map_err(|e| SimError::BadField {
        field,
        reason: format!("not hex: {e}"),
    })?;
    if let Some(expected) = expected_len
        && bytes.len() != expected
    {
        return Err(SimError::BadField {
            field,
            reason: format!("{} bytes, expected {expected}", bytes.len()),
        });
    }
    Ok(bytes)
}
