//! What a TEE produces: platforms, measurements, report data, evidence, and the
//! [`Platform`] trait that evidence producers implement.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};
use subtle::ConstantTimeEq;

use crate::error::{EvidenceError, PlatformError};

/// The length of the caller data that evidence binds (a TDX/SNP/SGX report-data field).
pub const REPORT_DATA_LEN: usize = 64;

/// The 64 bytes of caller data that evidence binds to a measurement, typically the
/// hash of a public key and a nonce.
pub type ReportData = [u8; REPORT_DATA_LEN];

/// The length of an AMD SEV-SNP attestation report (SNP firmware ABI, `ATTESTATION_REPORT`).
pub const SNP_REPORT_LEN: usize = 1184;

/// Intel's QE vendor ID, at bytes 12..28 of every DCAP quote header.
const INTEL_QE_VENDOR_ID: [u8; 16] = [
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07,
];

/// DCAP quote header `tee_type` of SGX.
const DCAP_TEE_TYPE_SGX: u32 = 0x0000_0000;
/// DCAP quote header `tee_type` of TDX.
const DCAP_TEE_TYPE_TDX: u32 = 0x0000_0081;
/// DCAP quote header `attestation_key_type` of ECDSA-256 with P-256, the only one in use.
const DCAP_KEY_TYPE_ECDSA_P256: u16 = 2;

/// A kind of TEE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformKind {
    /// Intel SGX enclaves, DCAP quotes (produced by Gramine's `/dev/attestation`).
    Sgx,
    /// The simulated platform: software keys, **insecure**, for development only.
    Sim,
    /// AMD SEV-SNP confidential VMs, attestation reports signed by the chip's VCEK.
    Snp,
    /// Intel TDX confidential VMs (trust domains), DCAP quotes.
    Tdx,
}

impl PlatformKind {
    /// All kinds, in the order of their names.
    pub const ALL: [Self; 4] = [Self::Sgx, Self::Sim, Self::Snp, Self::Tdx];

    /// The name used in policy files, claims and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sgx => "sgx",
            Self::Sim => "sim",
            Self::Snp => "snp",
            Self::Tdx => "tdx",
        }
    }

    /// The length in bytes of this platform's measurement: MRENCLAVE (SGX, 32),
    /// MRTD (TDX, 48), MEASUREMENT (SNP, 48), or the SHA-256 code id (sim, 32).
    pub const fn measurement_len(self) -> usize {
        match self {
            Self::Sgx | Self::Sim => 32,
            Self::Snp | Self::Tdx => 48,
        }
    }

    /// What the measurement of this platform is called.
    pub const fn measurement_name(self) -> &'static str {
        match self {
            Self::Sgx => "MRENCLAVE",
            Self::Sim => "sim code id",
            Self::Snp => "MEASUREMENT",
            Self::Tdx => "MRTD",
        }
    }
}

impl fmt::Display for PlatformKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PlatformKind {
    type Err = EvidenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| EvidenceError::UnknownPlatform(s.to_string()))
    }
}

/// A code measurement: what the TEE hardware (or the simulation) says is running.
///
/// Equality is constant-time in the content (lengths are public).
#[derive(Clone)]
pub struct Measurement(Vec<u8>);

impl Measurement {
    /// Wraps measurement bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// Parses a hex measurement (either case).
    pub fn from_hex(hex_digits: &str) -> Result<Self, hex::FromHexError> {
        hex::decode(hex_digits).map(Self)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// Constant-time comparison of the content; different lengths are unequal.
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && bool::from(self.0.as_slice().ct_eq(other.0.as_slice()))
    }
}

impl PartialEq for Measurement {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other)
    }
}

impl Eq for Measurement {}

impl fmt::Display for Measurement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Measurement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Measurement({})", self.to_hex())
    }
}

impl Serialize for Measurement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

/// Attestation evidence: the bytes a TEE produced and which platform they claim to be.
///
/// The platform is a label, not a verified fact: verifiers check that the bytes are
/// what the label says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    platform: PlatformKind,
    bytes: Vec<u8>,
}

impl Evidence {
    /// Labels evidence bytes with a platform.
    pub fn new(platform: PlatformKind, bytes: Vec<u8>) -> Self {
        Self { platform, bytes }
    }

    /// Recognizes the platform from the bytes: sim evidence is a JSON object, a DCAP
    /// quote starts with a header (version 3 to 5, ECDSA P-256 key, Intel QE vendor
    /// ID) whose TEE type says SGX or TDX, and an SNP report is exactly
    /// [`SNP_REPORT_LEN`] bytes.
    pub fn detect(bytes: Vec<u8>) -> Result<Self, EvidenceError> {
        let platform = detect_platform(&bytes)?;
        Ok(Self { platform, bytes })
    }

    /// The platform the evidence claims to come from.
    pub fn platform(&self) -> PlatformKind {
        self.platform
    }

    /// The evidence bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The evidence bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

fn detect_platform(bytes: &[u8]) -> Result<PlatformKind, EvidenceError> {
    if bytes.is_empty() {
        return Err(EvidenceError::Empty);
    }
    if bytes.trim_ascii_start().first() == Some(&b'{') {
        return Ok(PlatformKind::Sim);
    }
    if let Some(header) = bytes.get(..48) {
        let version = u16::from_le_bytes([header[0], header[1]]);
        let key_type = u16::from_le_bytes([header[2], header[3]]);
        let tee_type = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if (3..=5).contains(&version)
            && key_type == DCAP_KEY_TYPE_ECDSA_P256
            && header[12..28] == INTEL_QE_VENDOR_ID
        {
            return match tee_type {
                DCAP_TEE_TYPE_SGX => Ok(PlatformKind::Sgx),
                DCAP_TEE_TYPE_TDX => Ok(PlatformKind::Tdx),
                other => Err(EvidenceError::Unrecognized {
                    len: bytes.len(),
                    reason: format!("DCAP quote with unknown TEE type {other:#x}"),
                }),
            };
        }
    }
    if bytes.len() == SNP_REPORT_LEN {
        return Ok(PlatformKind::Snp);
    }
    Err(EvidenceError::Unrecognized {
        len: bytes.len(),
        reason: format!(
            "not sim evidence (JSON), not a DCAP quote header, and not a {SNP_REPORT_LEN}-byte SNP report"
        ),
    })
}

/// A TEE as seen from inside: it measures the running code, produces evidence that
/// binds 64 bytes of report data to that measurement, and seals data so that only
/// the same measurement on the same platform can unseal it.
pub trait Platform: Send + Sync {
    /// Which platform this is.
    fn kind(&self) -> PlatformKind;

    /// The measurement of the running code.
    fn measurement(&self) -> Result<Measurement, PlatformError>;

    /// Produces evidence binding `report_data` to the measurement.
    fn evidence(&self, report_data: &ReportData) -> Result<Evidence, PlatformError>;

    /// Encrypts `plaintext` (authenticating `aad` too) under a key bound to the
    /// measurement.
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, PlatformError>;

    /// Decrypts what [`Platform::seal`] produced with the same measurement and `aad`.
    fn unseal(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, PlatformError>;
}

/// Serializes bytes as lower-case hex.
pub(crate) fn serialize_hex<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in PlatformKind::ALL {
            assert_eq!(kind.name().parse::<PlatformKind>().unwrap(), kind);
        }
        assert!("sev".parse::<PlatformKind>().is_err());
    }

    #[test]
    fn measurement_equality_needs_equal_length_and_content() {
        let a = Measurement::new(vec![1u8; 32]);
        assert_eq!(a, Measurement::new(vec![1u8; 32]));
        assert_ne!(a, Measurement::new(vec![1u8; 48]));
        assert_ne!(a, Measurement::new(vec![2u8; 32]));
    }

    #[test]
    fn detection_rejects_short_garbage() {
        assert!(matches!(detect_platform(&[]), Err(EvidenceError::Empty)));
        assert!(matches!(
            detect_platform(&[7u8; 100]),
            Err(EvidenceError::Unrecognized { len: 100, .. })
        ));
        assert_eq!(
            detect_platform(&[0u8; SNP_REPORT_LEN]).unwrap(),
            PlatformKind::Snp
        );
    }
}
