//! Intel SGX and TDX: DCAP quotes, verified offline with the crate `dcap-qvl`.
//!
//! Verification runs in this order and stops at the first failure:
//!
//! 1. the quote parses, and its TEE type is the platform the evidence claims;
//! 2. the collateral's TCB info and QE identity are valid at the verification time
//!    (issued before it, next update after it): checked here first so that an
//!    expired collateral is reported with its dates;
//! 3. `dcap-qvl` checks the rest against the root CA (Intel's SGX root by default):
//!    CRLs, the TCB-info, QE-identity and PCK certificate chains, the QE report, the
//!    quote signature, and matches the platform's TCB level;
//! 4. the debug attribute is read (SGX `ATTRIBUTES.DEBUG`; any TDX TUD bit);
//! 5. the policy judges the claims. `dcap-qvl` itself accepts out-of-date TCBs, so
//!    the TCB status is enforced by the policy (default: only `UpToDate`).

use dcap_qvl::QuoteCollateralV3;
use dcap_qvl::quote::{Quote, Report};
use dcap_qvl::verify::QuoteVerifier;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{AttestError, CollateralError, Timestamp};
use crate::platform::{Evidence, Measurement, PlatformKind};
use crate::policy::{Policy, TcbStatus};
use crate::verifier::{Claims, Collateral, Verifier};

/// DCAP quote header `tee_type` of SGX.
const TEE_TYPE_SGX: u32 = 0x0000_0000;
/// DCAP quote header `tee_type` of TDX.
const TEE_TYPE_TDX: u32 = 0x0000_0081;
/// SGX `ATTRIBUTES.DEBUG` (bit 1 of the first byte).
const SGX_ATTRIBUTE_DEBUG: u8 = 0x02;

/// Why a DCAP quote was rejected.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DcapError {
    /// The TCB info or QE identity was superseded before the verification time.
    #[error(
        "collateral expired: {what} next update {}, verifying at {}",
        Timestamp(*next_update),
        Timestamp(*at)
    )]
    CollateralExpired {
        /// `TCB info` or `QE identity`.
        what: &'static str,
        /// Its `nextUpdate`.
        next_update: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// The TCB info or QE identity was issued after the verification time.
    #[error(
        "collateral not yet valid: {what} issued {}, verifying at {}",
        Timestamp(*issued),
        Timestamp(*at)
    )]
    CollateralNotYetValid {
        /// `TCB info` or `QE identity`.
        what: &'static str,
        /// Its `issueDate`.
        issued: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// A part of the collateral cannot be read.
    #[error("malformed collateral: {0}")]
    MalformedCollateral(String),
    /// The quote does not parse.
    #[error("malformed quote: {0}")]
    MalformedQuote(String),
    /// The quote is of another TEE than the evidence claims.
    #[error("evidence labelled {claimed} is a quote with TEE type {tee_type:#x}")]
    PlatformMismatch {
        /// The platform the evidence claims.
        claimed: PlatformKind,
        /// The quote header's TEE type.
        tee_type: u32,
    },
    /// `dcap-qvl` rejected the quote (signature, certificate chain, CRL, root, TCB
    /// matching, ...); the reason is its message.
    #[error("{0}")]
    Rejected(String),
    /// The TCB status is not one this crate knows.
    #[error("unknown TCB status {0:?}")]
    UnknownTcbStatus(String),
}

/// The collateral of a DCAP quote: TCB info, QE identity, CRLs and issuer chains, as
/// the JSON of `dcap-qvl`'s `QuoteCollateralV3` (what a PCCS or Intel PCS returns,
/// with hex-encoded CRLs and signatures).
#[derive(Clone, Debug)]
pub struct DcapCollateral {
    inner: QuoteCollateralV3,
}

impl DcapCollateral {
    /// Parses collateral JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, CollateralError> {
        let inner =
            serde_json::from_slice(bytes).map_err(|e| CollateralError::DcapJson(e.to_string()))?;
        Ok(Self { inner })
    }

    /// Checks that the TCB info and QE identity are current at `at`.
    fn check_dates(&self, at: OffsetDateTime) -> Result<(), DcapError> {
        for (what, json) in [
            ("TCB info", &self.inner.tcb_info),
            ("QE identity", &self.inner.qe_identity),
        ] {
            let value: serde_json::Value = serde_json::from_str(json)
                .map_err(|e| DcapError::MalformedCollateral(format!("{what} is not JSON: {e}")))?;
            let date = |field: &str| -> Result<OffsetDateTime, DcapError> {
                let text = value.get(field).and_then(|v| v.as_str()).ok_or_else(|| {
                    DcapError::MalformedCollateral(format!("{what} has no {field}"))
                })?;
                OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
                    DcapError::MalformedCollateral(format!("{what} {field} {text:?}: {e}"))
                })
            };
            let issued = date("issueDate")?;
            let next_update = date("nextUpdate")?;
            if at < issued {
                return Err(DcapError::CollateralNotYetValid { what, issued, at });
            }
            if at > next_update {
                return Err(DcapError::CollateralExpired {
                    what,
                    next_update,
                    at,
                });
            }
        }
        Ok(())
    }
}

/// Verifies SGX and TDX quotes against a root CA (Intel's SGX root by default).
#[derive(Clone, Debug, Default)]
pub struct DcapVerifier {
    root_ca_der: Option<Vec<u8>>,
}

impl DcapVerifier {
    /// A verifier rooted in Intel's SGX root CA (built into `dcap-qvl`).
    pub fn new() -> Self {
        Self::default()
    }

    /// A verifier rooted in another CA (DER), e.g. for tests or a private PCCS root.
    pub fn with_root_ca(root_ca_der: Vec<u8>) -> Self {
        Self {
            root_ca_der: Some(root_ca_der),
        }
    }

    /// Verifies a quote cryptographically and returns its claims, without applying a
    /// policy (steps 1 to 4 of the [module docs](self)).
    pub fn verify_quote(
        &self,
        platform: PlatformKind,
        quote: &[u8],
        collateral: &DcapCollateral,
        at: OffsetDateTime,
    ) -> Result<Claims, AttestError> {
        let parsed =
            Quote::parse(quote).map_err(|e| DcapError::MalformedQuote(format!("{e:#}")))?;
        let tee_type = parsed.header.tee_type;
        let matches = match platform {
            PlatformKind::Sgx => tee_type == TEE_TYPE_SGX,
            PlatformKind::Tdx => tee_type == TEE_TYPE_TDX,
            PlatformKind::Sim | PlatformKind::Snp => {
                return Err(AttestError::WrongVerifier {
                    verifier: "DCAP",
                    platform,
                });
            }
        };
        if !matches {
            return Err(DcapError::PlatformMismatch {
                claimed: platform,
                tee_type,
            }
            .into());
        }
        collateral.check_dates(at)?;
        let seconds =
            u64::try_from(at.unix_timestamp()).map_err(|_| AttestError::TimeBeforeEpoch(at))?;
        let verifier = match &self.root_ca_der {
            Some(root) => QuoteVerifier::new(root.clone()),
            None => QuoteVerifier::new_prod(),
        }
        // Debug TEEs are refused by our policy (allow_debug), with a clearer reason.
        .allow_debug(true);
        let report = verifier
            .verify(quote, &collateral.inner, seconds)
            .map_err(|e| DcapError::Rejected(format!("{e:#}")))?;
        let status = report
            .status
            .parse::<TcbStatus>()
            .map_err(DcapError::UnknownTcbStatus)?;
        let (measurement, report_data, debug) = match &report.report {
            Report::SgxEnclave(enclave) => (
                enclave.mr_enclave.to_vec(),
                enclave.report_data,
                enclave.attributes[0] & SGX_ATTRIBUTE_DEBUG != 0,
            ),
            other => {
                let td = other.as_td10().ok_or_else(|| {
                    DcapError::MalformedQuote("TDX quote without a TD report".to_string())
                })?;
                // Any TUD ("TD under debug") bit makes the TD untrusted.
                (td.mr_td.to_vec(), td.report_data, td.td_attributes[0] != 0)
            }
        };
        Ok(Claims {
            platform,
            measurement: Measurement::new(measurement),
            report_data,
            tcb_status: Some(status),
            debug,
            advisory_ids: report.advisory_ids,
            insecure: false,
            warning: None,
        })
    }
}

impl Verifier for DcapVerifier {
    fn verify(
        &self,
        evidence: &Evidence,
        collateral: &Collateral,
        policy: &Policy,
        at: OffsetDateTime,
    ) -> Result<Claims, AttestError> {
        let platform = evidence.platform();
        let Collateral::Dcap(collateral) = collateral else {
            if matches!(platform, PlatformKind::Sgx | PlatformKind::Tdx) {
                return Err(AttestError::CollateralMismatch {
                    platform,
                    expected: "DCAP collateral (TCB info, QE identity, CRLs)",
                });
            }
            return Err(AttestError::WrongVerifier {
                verifier: "DCAP",
                platform,
            });
        };
        let claims = self.verify_quote(platform, evidence.as_bytes(), collateral, at)?;
        policy.check(&claims)?;
        Ok(claims)
    }
}
