//! AMD SEV-SNP: attestation reports signed by the chip's VCEK, whose chain
//! VCEK ← ASK ← ARK ends at an AMD root.
//!
//! The AMD roots (ARK and ASK) of Milan, Genoa and Turin are built in, from the
//! crate `sev` (`sev::certs::snp::builtin`). A supplied chain replaces them: its ARK
//! then becomes the trust anchor, so only pass a chain you obtained from AMD.
//!
//! Verification runs in this order and stops at the first failure:
//!
//! 1. the report is 1184 bytes, parses (crate `sev`), and is signed with ECDSA
//!    P-384/SHA-384 (`SIGNATURE_ALGO` 1);
//! 2. without a supplied chain, the built-in root whose ASK signed the VCEK is
//!    chosen (none: rejected); then the ARK is self-signed, the ARK signed the ASK
//!    and the ASK signed the VCEK (RSA-PSS, crate `sev`);
//! 3. ARK, ASK and VCEK are valid at the verification time;
//! 4. the VCEK is for this chip (its `hwID` extension equals the report's `CHIP_ID`
//!    when both are present) and this TCB (its bootloader, TEE, SNP, microcode and
//!    FMC SPL extensions equal the report's `REPORTED_TCB`);
//! 5. the signature verifies under the VCEK's P-384 key over the report's first
//!    0x2A0 bytes *as received* (not a re-encoding), and the unused bytes of the
//!    signature field are zero;
//! 6. the debug bit of the guest policy (bit 19) is read, and the policy judges the
//!    claims.

use p384::ecdsa::signature::Verifier as _;
use sev::certs::snp::{Certificate, Chain, Verifiable, builtin, ca};
use sev::firmware::guest::AttestationReport;
use sev::parser::ByteParser;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::error::{AttestError, CollateralError, Timestamp};
use crate::platform::{Evidence, Measurement, PlatformKind, SNP_REPORT_LEN};
use crate::policy::Policy;
use crate::verifier::{Claims, Collateral, Verifier};

mod table;

pub use table::SnpCertificateTable;

/// The signed part of a report: bytes 0 to 0x29F.
const SIGNED_LEN: usize = 0x2a0;
/// The signature field: R (72 bytes, little-endian), S (72), then reserved bytes.
const SIGNATURE_OFFSET: usize = 0x2a0;
const SIGNATURE_COMPONENT_LEN: usize = 72;
const P384_SCALAR_LEN: usize = 48;
/// `SIGNATURE_ALGO` of ECDSA P-384 with SHA-384.
const SIGNATURE_ALGO_ECDSA_P384_SHA384: u32 = 1;

const OID_BL_SPL: &str = "1.3.6.1.4.1.3704.1.3.1";
const OID_TEE_SPL: &str = "1.3.6.1.4.1.3704.1.3.2";
const OID_SNP_SPL: &str = "1.3.6.1.4.1.3704.1.3.3";
const OID_UCODE_SPL: &str = "1.3.6.1.4.1.3704.1.3.8";
const OID_FMC_SPL: &str = "1.3.6.1.4.1.3704.1.3.9";
const OID_HW_ID: &str = "1.3.6.1.4.1.3704.1.4";

/// Why an SEV-SNP report was rejected.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SnpError {
    /// The report's signature does not verify under the VCEK.
    #[error(
        "report signature does not verify under the VCEK (the report was altered, or the VCEK is not this chip's)"
    )]
    BadSignature,
    /// A certificate's validity ended before the verification time.
    #[error("{which} expired {}, verifying at {}", Timestamp(*not_after), Timestamp(*at))]
    CertificateExpired {
        /// `ARK`, `ASK` or `VCEK`.
        which: &'static str,
        /// Its notAfter.
        not_after: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// A certificate's validity starts after the verification time.
    #[error("{which} not valid before {}, verifying at {}", Timestamp(*not_before), Timestamp(*at))]
    CertificateNotYetValid {
        /// `ARK`, `ASK` or `VCEK`.
        which: &'static str,
        /// Its notBefore.
        not_before: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// The VCEK → ASK → ARK chain does not verify.
    #[error("certificate chain ({roots}) does not verify: {reason}")]
    ChainInvalid {
        /// Which roots: a built-in generation or `supplied chain`.
        roots: &'static str,
        /// The failed check.
        reason: String,
    },
    /// The VCEK is for another chip than the one that produced the report.
    #[error("VCEK is for chip {vcek}, the report comes from chip {report}")]
    ChipMismatch {
        /// The VCEK's hwID (hex).
        vcek: String,
        /// The report's CHIP_ID (hex).
        report: String,
    },
    /// The report does not parse.
    #[error("malformed report: {0}")]
    Malformed(String),
    /// The signature field has non-zero bytes where zeros are required.
    #[error("malformed report signature: {0}")]
    MalformedSignature(&'static str),
    /// The VCEK lacks a readable key or extension.
    #[error("malformed VCEK: {0}")]
    MalformedVcek(String),
    /// The VCEK was issued for another TCB version than the report's.
    #[error("VCEK is for {component} SPL {vcek}, the report's reported TCB has {report}")]
    TcbMismatch {
        /// `bootloader`, `TEE`, `SNP`, `microcode` or `FMC`.
        component: &'static str,
        /// The VCEK's value.
        vcek: u64,
        /// The report's value.
        report: u64,
    },
    /// The report is signed with another algorithm than ECDSA P-384/SHA-384.
    #[error("unsupported signature algorithm {0} (expected 1, ECDSA P-384 with SHA-384)")]
    UnsupportedSignatureAlgorithm(u32),
    /// No built-in AMD ASK signed the VCEK.
    #[error(
        "VCEK is not signed by the AMD ASK of any built-in root (Milan, Genoa, Turin); supply its chain if it is from another generation"
    )]
    VcekNotIssued,
}

/// A certificate, parsed for `sev` and kept as DER for the X.509 checks.
#[derive(Clone, Debug)]
struct AmdCertificate {
    der: Vec<u8>,
    certificate: Certificate,
}

impl AmdCertificate {
    fn from_der(what: &'static str, der: Vec<u8>) -> Result<Self, CollateralError> {
        let bad = |reason: String| CollateralError::Certificate { what, reason };
        let (rest, _) = X509Certificate::from_der(&der).map_err(|e| bad(e.to_string()))?;
        if !rest.is_empty() {
            return Err(bad(format!("{} bytes after the certificate", rest.len())));
        }
        let certificate = Certificate::from_der(&der).map_err(|e| bad(e.to_string()))?;
        Ok(Self { der, certificate })
    }

    fn from_pem_or_der(what: &'static str, bytes: &[u8]) -> Result<Vec<Self>, CollateralError> {
        if !bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            return Ok(vec![Self::from_der(what, bytes.to_vec())?]);
        }
        let mut certificates = Vec::new();
        for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
            let pem = pem.map_err(|e| CollateralError::Certificate {
                what,
                reason: e.to_string(),
            })?;
            if pem.label == "CERTIFICATE" {
                certificates.push(Self::from_der(what, pem.contents)?);
            }
        }
        if certificates.is_empty() {
            return Err(CollateralError::Certificate {
                what,
                reason: "no CERTIFICATE in the PEM".to_string(),
            });
        }
        Ok(certificates)
    }

    fn parsed(&self) -> Result<X509Certificate<'_>, SnpError> {
        X509Certificate::from_der(&self.der)
            .map(|(_, certificate)| certificate)
            .map_err(|e| SnpError::MalformedVcek(e.to_string()))
    }

    fn is_self_issued(&self) -> bool {
        self.parsed()
            .map(|c| c.subject().as_raw() == c.issuer().as_raw())
            .unwrap_or(false)
    }
}

/// The collateral of an SEV-SNP report: the chip's VCEK and, optionally, the ASK/ARK
/// chain that replaces the built-in AMD roots.
#[derive(Clone, Debug)]
pub struct SnpCollateral {
    vcek: AmdCertificate,
    chain: Option<(AmdCertificate, AmdCertificate)>,
    /// How errors name `chain`.
    roots: &'static str,
}

impl SnpCollateral {
    /// Reads a VCEK certificate (DER, or the first certificate of a PEM file).
    pub fn from_vcek(bytes: &[u8]) -> Result<Self, CollateralError> {
        let mut certificates = AmdCertificate::from_pem_or_der("VCEK", bytes)?;
        let vcek = certificates.remove(0);
        Ok(Self {
            vcek,
            chain: None,
            roots: SUPPLIED_ROOTS,
        })
    }

    /// Replaces the built-in roots with an ASK and ARK (PEM, in either order, as AMD
    /// KDS serves `cert_chain`). The ARK, recognized as the self-issued one, becomes
    /// the trust anchor.
    pub fn with_chain(mut self, bytes: &[u8]) -> Result<Self, CollateralError> {
        self.chain = Some(parse_chain(bytes)?);
        Ok(self)
    }
}

/// How errors name a chain given with the collateral.
const SUPPLIED_ROOTS: &str = "supplied chain";
/// How errors name the chain of [`Policy::with_snp_roots`].
const POLICY_ROOTS: &str = "the policy's SNP roots (not AMD's built-in)";

/// An ASK and an ARK (PEM, in either order): the ARK is the self-issued one.
fn parse_chain(bytes: &[u8]) -> Result<(AmdCertificate, AmdCertificate), CollateralError> {
    let certificates = AmdCertificate::from_pem_or_der("AMD chain certificate", bytes)?;
    let [first, second] = <[AmdCertificate; 2]>::try_from(certificates).map_err(|c| {
        CollateralError::Chain(format!(
            "expected 2 certificates (ASK and ARK), found {}",
            c.len()
        ))
    })?;
    match (first.is_self_issued(), second.is_self_issued()) {
        (false, true) => Ok((first, second)),
        (true, false) => Ok((second, first)),
        _ => Err(CollateralError::Chain(
            "exactly one of the two certificates must be the self-issued ARK".to_string(),
        )),
    }
}

/// Checks that `bytes` are an ASK and an ARK, as [`SnpCollateral::with_chain`] reads them.
pub(crate) fn check_chain(bytes: &[u8]) -> Result<(), CollateralError> {
    parse_chain(bytes).map(drop)
}

/// Verifies SEV-SNP reports against the AMD roots.
#[derive(Clone, Debug, Default)]
pub struct SnpVerifier;

impl SnpVerifier {
    /// Verifies a report and returns its claims, without applying a policy (steps 1
    /// to 5 of the [module docs](self), plus reading the debug bit).
    pub fn verify_report(
        &self,
        bytes: &[u8],
        collateral: &SnpCollateral,
        at: OffsetDateTime,
    ) -> Result<Claims, SnpError> {
        if bytes.len() != SNP_REPORT_LEN {
            return Err(SnpError::Malformed(format!(
                "{} bytes, expected {SNP_REPORT_LEN}",
                bytes.len()
            )));
        }
        let report =
            AttestationReport::from_bytes(bytes).map_err(|e| SnpError::Malformed(e.to_string()))?;
        if report.sig_algo != SIGNATURE_ALGO_ECDSA_P384_SHA384 {
            return Err(SnpError::UnsupportedSignatureAlgorithm(report.sig_algo));
        }
        let (roots, ask, ark) = match &collateral.chain {
            Some((ask, ark)) => (collateral.roots, ask.clone(), ark.clone()),
            None => builtin_root_of(&collateral.vcek)?,
        };
        let chain = Chain {
            ca: ca::Chain {
                ark: ark.certificate.clone(),
                ask: ask.certificate.clone(),
            },
            vek: collateral.vcek.certificate.clone(),
        };
        (&chain).verify().map_err(|e| SnpError::ChainInvalid {
            roots,
            reason: e.to_string(),
        })?;
        for (which, certificate) in [("ARK", &ark), ("ASK", &ask), ("VCEK", &collateral.vcek)] {
            check_validity(which, certificate, at)?;
        }
        check_vcek_binding(&collateral.vcek, &report)?;
        check_signature(&collateral.vcek, bytes)?;
        let mut report_data = [0u8; 64];
        report_data.copy_from_slice(&report.report_data);
        Ok(Claims {
            platform: PlatformKind::Snp,
            measurement: Measurement::new(report.measurement.to_vec()),
            report_data,
            tcb_status: None,
            debug: report.policy.debug_allowed(),
            advisory_ids: Vec::new(),
            insecure: false,
            warning: None,
        })
    }
}

impl Verifier for SnpVerifier {
    fn verify(
        &self,
        evidence: &Evidence,
        collateral: &Collateral,
        policy: &Policy,
        at: OffsetDateTime,
    ) -> Result<Claims, AttestError> {
        if evidence.platform() != PlatformKind::Snp {
            return Err(AttestError::WrongVerifier {
                verifier: "SEV-SNP",
                platform: evidence.platform(),
            });
        }
        let Collateral::Snp(collateral) = collateral else {
            return Err(AttestError::CollateralMismatch {
                platform: PlatformKind::Snp,
                expected: "the chip's VCEK certificate",
            });
        };
        let claims = match policy.snp_roots() {
            Some(roots) => {
                let mut pinned = SnpCollateral::clone(collateral);
                pinned.chain = Some(parse_chain(roots).map_err(|e| SnpError::ChainInvalid {
                    roots: POLICY_ROOTS,
                    reason: e.to_string(),
                })?);
                pinned.roots = POLICY_ROOTS;
                self.verify_report(evidence.as_bytes(), &pinned, at)?
            }
            None => self.verify_report(evidence.as_bytes(), collateral, at)?,
        };
        policy.check(&claims)?;
        Ok(claims)
    }
}

/// The built-in AMD root whose ASK signed `vcek`.
fn builtin_root_of(
    vcek: &AmdCertificate,
) -> Result<(&'static str, AmdCertificate, AmdCertificate), SnpError> {
    let generations: [(&'static str, &[u8], &[u8]); 3] = [
        (
            "built-in Milan root",
            builtin::milan::ASK,
            builtin::milan::ARK,
        ),
        (
            "built-in Genoa root",
            builtin::genoa::ASK,
            builtin::genoa::ARK,
        ),
        (
            "built-in Turin root",
            builtin::turin::ASK,
            builtin::turin::ARK,
        ),
    ];
    for (roots, ask_pem, ark_pem) in generations {
        let parse = |pem: &[u8]| -> Result<AmdCertificate, SnpError> {
            AmdCertificate::from_pem_or_der("built-in AMD certificate", pem)
                .ok()
                .and_then(|mut certificates| certificates.pop())
                .ok_or_else(|| SnpError::ChainInvalid {
                    roots,
                    reason: "the built-in certificate does not parse".to_string(),
                })
        };
        let ask = parse(ask_pem)?;
        if (&ask.certificate, &vcek.certificate).verify().is_ok() {
            return Ok((roots, ask, parse(ark_pem)?));
        }
    }
    Err(SnpError::VcekNotIssued)
}

fn check_validity(
    which: &'static str,
    certificate: &AmdCertificate,
    at: OffsetDateTime,
) -> Result<(), SnpError> {
    let parsed = certificate.parsed()?;
    let time = |seconds: i64| {
        OffsetDateTime::from_unix_timestamp(seconds)
            .map_err(|e| SnpError::MalformedVcek(format!("{which} validity: {e}")))
    };
    let not_before = time(parsed.validity().not_before.timestamp())?;
    let not_after = time(parsed.validity().not_after.timestamp())?;
    if at < not_before {
        return Err(SnpError::CertificateNotYetValid {
            which,
            not_before,
            at,
        });
    }
    if at > not_after {
        return Err(SnpError::CertificateExpired {
            which,
            not_after,
            at,
        });
    }
    Ok(())
}

/// Checks that the VCEK was issued for the report's chip and reported TCB.
fn check_vcek_binding(vcek: &AmdCertificate, report: &AttestationReport) -> Result<(), SnpError> {
    let parsed = vcek.parsed()?;
    let extension = |oid: &str| {
        parsed
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == oid)
            .map(|e| e.value)
    };
    if let Some(hw_id) = extension(OID_HW_ID) {
        // The hwID is the raw chip id (64 bytes, 8 on Turin), possibly DER-wrapped.
        let hw_id = match hw_id {
            [0x04, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
            other => other,
        };
        let chip = &report.chip_id;
        let matches = hw_id.len() <= chip.len()
            && chip[..hw_id.len()] == *hw_id
            && chip[hw_id.len()..].iter().all(|b| *b == 0);
        // A chip id of zeros means the guest masked it (MaskChipId); nothing to compare.
        if !matches && chip.iter().any(|b| *b != 0) {
            return Err(SnpError::ChipMismatch {
                vcek: hex::encode(hw_id),
                report: hex::encode(chip),
            });
        }
    }
    let tcb = &report.reported_tcb;
    let components = [
        ("bootloader", OID_BL_SPL, Some(tcb.bootloader)),
        ("TEE", OID_TEE_SPL, Some(tcb.tee)),
        ("SNP", OID_SNP_SPL, Some(tcb.snp)),
        ("microcode", OID_UCODE_SPL, Some(tcb.microcode)),
        ("FMC", OID_FMC_SPL, tcb.fmc),
    ];
    for (component, oid, reported) in components {
        let (Some(value), Some(reported)) = (extension(oid), reported) else {
            continue;
        };
        let vcek_spl = der_unsigned(value).ok_or_else(|| {
            SnpError::MalformedVcek(format!("{component} SPL extension is not a small INTEGER"))
        })?;
        if vcek_spl != u64::from(reported) {
            return Err(SnpError::TcbMismatch {
                component,
                vcek: vcek_spl,
                report: u64::from(reported),
            });
        }
    }
    Ok(())
}

/// Reads a non-negative DER INTEGER of up to 8 bytes.
fn der_unsigned(der: &[u8]) -> Option<u64> {
    let [0x02, len, content @ ..] = der else {
        return None;
    };
    if usize::from(*len) != content.len() || content.is_empty() || content[0] & 0x80 != 0 {
        return None;
    }
    let content = match content {
        [0, rest @ ..] if !rest.is_empty() => rest,
        other => other,
    };
    if content.len() > 8 {
        return None;
    }
    Some(
        content
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
    )
}

/// Verifies the report signature over the received bytes.
fn check_signature(vcek: &AmdCertificate, report: &[u8]) -> Result<(), SnpError> {
    let field = &report[SIGNATURE_OFFSET..];
    let (r, rest) = field.split_at(SIGNATURE_COMPONENT_LEN);
    let (s, reserved) = rest.split_at(SIGNATURE_COMPONENT_LEN);
    if r[P384_SCALAR_LEN..].iter().any(|b| *b != 0) || s[P384_SCALAR_LEN..].iter().any(|b| *b != 0)
    {
        return Err(SnpError::MalformedSignature(
            "R or S has non-zero bytes above 384 bits",
        ));
    }
    if reserved.iter().any(|b| *b != 0) {
        return Err(SnpError::MalformedSignature(
            "the reserved bytes after R and S are not zero",
        ));
    }
    let big_endian = |little: &[u8]| -> p384::FieldBytes {
        let mut bytes = p384::FieldBytes::default();
        for (out, byte) in bytes.iter_mut().zip(little[..P384_SCALAR_LEN].iter().rev()) {
            *out = *byte;
        }
        bytes
    };
    let signature = p384::ecdsa::Signature::from_scalars(big_endian(r), big_endian(s))
        .map_err(|_| SnpError::MalformedSignature("R or S is zero or not below the group order"))?;
    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(vcek.certificate.public_key_sec1())
        .map_err(|_| SnpError::MalformedVcek("its public key is not a P-384 point".to_string()))?;
    key.verify(&report[..SIGNED_LEN], &signature)
        .map_err(|_| SnpError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_unsigned_reads_small_integers_only() {
        assert_eq!(der_unsigned(&[0x02, 0x01, 0x73]), Some(0x73));
        assert_eq!(der_unsigned(&[0x02, 0x02, 0x00, 0xd1]), Some(0xd1));
        assert_eq!(der_unsigned(&[0x02, 0x01, 0x80]), None, "negative");
        assert_eq!(der_unsigned(&[0x02, 0x02, 0x01]), None, "short");
        assert_eq!(der_unsigned(&[0x04, 0x01, 0x01]), None, "not an INTEGER");
    }
}
