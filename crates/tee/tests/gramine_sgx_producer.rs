//! The Gramine producer writes the report data to `/dev/attestation/user_report_data`,
//! reads `quote` only under DCAP attestation, refuses a quote that does not carry
//! its report data, and seals under Gramine's MRENCLAVE key. A temporary directory
//! holding the real SGX quote stands in for `/dev/attestation`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::*;
use strongroom_tee::{
    GramineSgx, MeasurementPattern, Platform, PlatformError, PlatformKind, Policy, TcbStatus,
    verify,
};

/// The report data in the sample SGX quote: "Hello, world!" and zeros.
fn sample_report_data() -> [u8; 64] {
    let mut data = [0u8; 64];
    data[..13].copy_from_slice(b"Hello, world!");
    data
}

fn fake_dev_attestation(root: &Path, attestation_type: &str) {
    std::fs::write(root.join("attestation_type"), attestation_type).unwrap();
    std::fs::write(root.join("quote"), sample("dcap-qvl/sgx_quote")).unwrap();
    std::fs::create_dir(root.join("keys")).unwrap();
    std::fs::write(root.join("keys/_sgx_mrenclave"), [0x5a; 16]).unwrap();
}

#[test]
fn sgx_evidence_is_the_quote_and_verifies() {
    let root = tempfile::tempdir().unwrap();
    fake_dev_attestation(root.path(), "dcap");
    let sgx = GramineSgx::with_root(root.path());
    let evidence = sgx.evidence(&sample_report_data()).unwrap();
    assert_eq!(evidence.platform(), PlatformKind::Sgx);
    assert_eq!(evidence.as_bytes(), sample("dcap-qvl/sgx_quote"));
    assert_eq!(
        std::fs::read(root.path().join("user_report_data")).unwrap(),
        sample_report_data()
    );

    let policy = Policy::new()
        .with_allowed(PlatformKind::Sgx, MeasurementPattern::Any)
        .with_accepted_tcb_status(&[TcbStatus::ConfigurationAndSWHardeningNeeded]);
    let claims = verify(&evidence, &sgx_collateral().into(), &policy, in_window()).unwrap();
    assert_eq!(claims.measurement.to_hex(), SGX_MRENCLAVE);
}

#[test]
fn a_quote_without_our_report_data_is_refused() {
    let root = tempfile::tempdir().unwrap();
    fake_dev_attestation(root.path(), "dcap\n");
    let sgx = GramineSgx::with_root(root.path());
    let error = sgx.evidence(&[1u8; 64]).unwrap_err();
    assert!(
        matches!(error, PlatformError::ReportDataMismatch { .. }),
        "{error}"
    );
    // measurement() asks for a quote over zero report data: the same refusal.
    assert!(sgx.measurement().is_err());
}

#[test]
fn only_dcap_attestation_is_used() {
    for kind in ["none", "epid"] {
        let root = tempfile::tempdir().unwrap();
        fake_dev_attestation(root.path(), kind);
        let error = GramineSgx::with_root(root.path())
            .evidence(&sample_report_data())
            .unwrap_err();
        assert!(
            matches!(&error, PlatformError::UnexpectedProvider { found, expected: "dcap", .. } if found == kind),
            "{error}"
        );
    }
}

#[test]
fn sealing_uses_the_mrenclave_key() {
    let root = tempfile::tempdir().unwrap();
    fake_dev_attestation(root.path(), "dcap");
    let sgx = GramineSgx::with_root(root.path());
    let sealed = sgx.seal(b"dataset key", b"aad").unwrap();
    assert_eq!(sgx.unseal(&sealed, b"aad").unwrap(), b"dataset key");
    assert!(matches!(
        sgx.unseal(&sealed, b"other aad"),
        Err(PlatformError::Unseal(_))
    ));

    // Another enclave (another MRENCLAVE key) cannot unseal.
    std::fs::write(root.path().join("keys/_sgx_mrenclave"), [0x5b; 16]).unwrap();
    assert!(matches!(
        sgx.unseal(&sealed, b"aad"),
        Err(PlatformError::Unseal(_))
    ));

    // A key of the wrong size is refused, and a missing one named.
    std::fs::write(root.path().join("keys/_sgx_mrenclave"), [0x5b; 15]).unwrap();
    assert!(matches!(
        sgx.seal(b"x", b""),
        Err(PlatformError::Malformed { .. })
    ));
    std::fs::remove_file(root.path().join("keys/_sgx_mrenclave")).unwrap();
    let error = sgx.seal(b"x", b"").unwrap_err();
    assert!(error.to_string().contains("_sgx_mrenclave"), "{error}");
}
