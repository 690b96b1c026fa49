#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use strongroom_tee::{Measurement, MeasurementPattern};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::*;

/// The MRTD of the shared TDX quote.
const TDX_MRTD: &str = "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7";

fn sample(relative: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/attestation")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "attestation test data missing: cannot read {} ({e}); see shared/data/README.md",
            path.display()
        )
    })
}

/// Inside the window of the shared TDX quote's collateral.
fn in_window() -> OffsetDateTime {
    OffsetDateTime::parse("2025-06-25T00:00:00Z", &Rfc3339).unwrap()
}

/// An attestation as a node serves it, through JSON and back.
fn served(
    platform: &str,
    evidence: Vec<u8>,
    collateral: Option<EvidenceCollateral>,
) -> Attestation {
    let attestation = Attestation {
        platform: platform.into(),
        insecure: false,
        evidence,
        nonce: "00".repeat(32),
        signing_key: String::new(),
        transaction_key: String::new(),
        key_release_key: String::new(),
        endpoint_key_sha256: "00".repeat(32),
        recovery_key: None,
        collateral,
    };
    serde_json::from_str(&serde_json::to_string(&attestation).unwrap()).unwrap()
}

fn parsed(attestation: &Attestation) -> Result<Collateral, String> {
    let platform: PlatformKind = attestation.platform.parse().unwrap();
    collateral_of(platform, attestation.collateral.as_ref()).map_err(|e| e.to_string())
}

#[test]
fn a_tdx_quote_verifies_with_the_dcap_collateral_that_travelled_with_it() {
    let attestation = served(
        "tdx",
        sample("dcap-qvl/tdx_quote"),
        Some(EvidenceCollateral::Dcap(sample(
            "dcap-qvl/tdx_quote_collateral.json",
        ))),
    );
    let collateral = parsed(&attestation).unwrap();
    let policy = Policy::new().with_allowed(
        PlatformKind::Tdx,
        MeasurementPattern::Exact(Measurement::from_hex(TDX_MRTD).unwrap()),
    );
    let evidence = Evidence::new(PlatformKind::Tdx, attestation.evidence.clone());
    let claims = verify(&evidence, &collateral, &policy, in_window()).unwrap();
    assert_eq!(claims.platform, PlatformKind::Tdx);
    assert_eq!(claims.measurement.to_hex(), TDX_MRTD);
}

#[test]
fn hardware_evidence_without_collateral_is_refused_naming_what_it_needs() {
    let error = parsed(&served("tdx", sample("dcap-qvl/tdx_quote"), None)).unwrap_err();
    assert!(
        error.contains("no collateral with its tdx evidence") && error.contains("DCAP collateral"),
        "{error}"
    );
    let error = parsed(&served("snp", vec![0; 1184], None)).unwrap_err();
    assert!(
        error.contains("no collateral with its snp evidence") && error.contains("VCEK"),
        "{error}"
    );
    let error = parsed(&served("sgx", vec![0; 8], None)).unwrap_err();
    assert!(error.contains("sgx evidence"), "{error}");
}

#[test]
fn malformed_or_mismatched_collateral_is_refused_naming_what_is_wrong() {
    let error = parsed(&served(
        "tdx",
        sample("dcap-qvl/tdx_quote"),
        Some(EvidenceCollateral::Dcap(
            b"{\"not\": \"collateral\"}".to_vec(),
        )),
    ))
    .unwrap_err();
    assert!(
        error.contains("the node's tdx collateral")
            && error.contains("DCAP collateral is not valid"),
        "{error}"
    );
    let error = parsed(&served(
        "snp",
        vec![0; 1184],
        Some(EvidenceCollateral::Snp(b"not a certificate".to_vec())),
    ))
    .unwrap_err();
    assert!(
        error.contains("the node's snp collateral") && error.contains("VCEK is not an X.509"),
        "{error}"
    );
    let error = parsed(&served(
        "tdx",
        sample("dcap-qvl/tdx_quote"),
        Some(EvidenceCollateral::Snp(sample("virtee-sev/vcek_milan.der"))),
    ))
    .unwrap_err();
    assert!(
        error.contains("sent snp collateral with its tdx evidence"),
        "{error}"
    );
    let error = parsed(&served(
        "sim",
        b"{}".to_vec(),
        Some(EvidenceCollateral::Dcap(b"{}".to_vec())),
    ))
    .unwrap_err();
    assert!(
        error.contains("sim evidence takes no collateral"),
        "{error}"
    );
}

#[test]
fn sim_evidence_needs_no_collateral() {
    assert!(matches!(
        parsed(&served("sim", b"{}".to_vec(), None)),
        Ok(Collateral::None)
    ));
}
