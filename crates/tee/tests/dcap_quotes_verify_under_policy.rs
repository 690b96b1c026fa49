//! Real Intel SGX and TDX quotes verify with their collateral (crate `dcap-qvl`), the
//! policy decides which TCB statuses and measurements are accepted, and every
//! tampering, expiry or foreign root is rejected with a reason.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use rcgen::{CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, PKCS_ECDSA_P256_SHA256};
use strongroom_tee::{
    AttestError, Collateral, DcapCollateral, DcapError, DcapVerifier, Evidence, Measurement,
    MeasurementPattern, PlatformKind, Policy, PolicyError, TcbStatus, Verifier, verify,
};

fn allow(platform: PlatformKind, measurement: &str) -> Policy {
    Policy::new().with_allowed(
        platform,
        MeasurementPattern::Exact(Measurement::from_hex(measurement).unwrap()),
    )
}

/// A self-made certificate named like Intel's (a CA or a signer), DER and PEM.
fn self_made(ca: bool) -> (Vec<u8>, String) {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut name = DistinguishedName::new();
    name.push(
        DnType::CommonName,
        if ca {
            "Intel SGX Root CA"
        } else {
            "Intel SGX TCB Signing"
        },
    );
    params.distinguished_name = name;
    if ca {
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let certificate = params.self_signed(&key).unwrap();
    (certificate.der().to_vec(), certificate.pem())
}

#[test]
fn tdx_quote_verifies_up_to_date_with_its_mrtd() {
    let policy = allow(PlatformKind::Tdx, TDX_MRTD);
    let claims = verify(&tdx_quote(), &tdx_collateral().into(), &policy, in_window()).unwrap();
    assert_eq!(claims.platform, PlatformKind::Tdx);
    assert_eq!(claims.measurement.to_hex(), TDX_MRTD);
    assert_eq!(claims.report_data, report_data(TDX_REPORT_DATA));
    assert_eq!(claims.tcb_status, Some(TcbStatus::UpToDate));
    assert!(!claims.debug);
    assert!(!claims.insecure);

    let json: serde_json::Value = serde_json::to_value(&claims).unwrap();
    assert_eq!(json["platform"], "tdx");
    assert_eq!(json["measurement"], TDX_MRTD);
    assert_eq!(json["report_data"], TDX_REPORT_DATA);
    assert_eq!(json["tcb_status"], "UpToDate");
    assert_eq!(json["debug"], false);
    assert_eq!(json["insecure"], false);
    assert!(json["advisory_ids"].is_array());
}

#[test]
fn detected_platform_of_real_quotes() {
    let tdx = Evidence::detect(sample("dcap-qvl/tdx_quote")).unwrap();
    assert_eq!(tdx.platform(), PlatformKind::Tdx);
    let sgx = Evidence::detect(sample("dcap-qvl/sgx_quote")).unwrap();
    assert_eq!(sgx.platform(), PlatformKind::Sgx);
    let outdated = Evidence::detect(sample("dcap-qvl/tdx_quote_outdated")).unwrap();
    assert_eq!(outdated.platform(), PlatformKind::Tdx);
}

#[test]
fn tdx_quote_with_an_unlisted_mrtd_is_refused() {
    let policy = allow(PlatformKind::Tdx, &"00".repeat(48))
        .with_allowed(PlatformKind::Sgx, MeasurementPattern::Any);
    let error = verify(&tdx_quote(), &tdx_collateral().into(), &policy, in_window()).unwrap_err();
    assert!(
        matches!(
            error,
            AttestError::Policy(PolicyError::MeasurementNotAllowed {
                platform: PlatformKind::Tdx,
                ..
            })
        ),
        "{error}"
    );
    assert!(error.to_string().contains(TDX_MRTD), "{error}");
}

#[test]
fn sgx_quote_is_refused_by_default_for_its_tcb_status() {
    let policy = allow(PlatformKind::Sgx, SGX_MRENCLAVE);
    let error = verify(&sgx_quote(), &sgx_collateral().into(), &policy, in_window()).unwrap_err();
    assert!(
        matches!(
            &error,
            AttestError::Policy(PolicyError::TcbStatusNotAccepted {
                status: TcbStatus::ConfigurationAndSWHardeningNeeded,
                ..
            })
        ),
        "{error}"
    );
    assert!(
        error.to_string().contains(
            "TCB status ConfigurationAndSWHardeningNeeded not accepted by policy (accepted: UpToDate)"
        ),
        "{error}"
    );
}

#[test]
fn sgx_quote_is_accepted_when_the_policy_lists_its_status() {
    let policy = allow(PlatformKind::Sgx, SGX_MRENCLAVE).with_accepted_tcb_status(&[
        TcbStatus::UpToDate,
        TcbStatus::ConfigurationAndSWHardeningNeeded,
    ]);
    let claims = verify(&sgx_quote(), &sgx_collateral().into(), &policy, in_window()).unwrap();
    assert_eq!(claims.platform, PlatformKind::Sgx);
    assert_eq!(claims.measurement.to_hex(), SGX_MRENCLAVE);
    assert_eq!(
        claims.tcb_status,
        Some(TcbStatus::ConfigurationAndSWHardeningNeeded)
    );
    assert!(&claims.report_data.starts_with(b"Hello, world!"));
    assert!(
        claims
            .advisory_ids
            .iter()
            .all(|id| id.starts_with("INTEL-SA-")),
        "{:?}",
        claims.advisory_ids
    );
    assert!(!claims.advisory_ids.is_empty());
}

#[test]
fn outdated_tdx_quote_below_every_tcb_level_is_rejected_even_in_its_window() {
    // This TD 1.5 quote's platform TCB is below every level of its (current) TCB
    // info: no status can be given, so no policy can accept it.
    let evidence = Evidence::new(PlatformKind::Tdx, sample("dcap-qvl/tdx_quote_outdated"));
    let collateral =
        DcapCollateral::from_json(&sample("dcap-qvl/tdx_quote_outdated_collateral.json")).unwrap();
    let lenient = Policy::new()
        .with_allowed(PlatformKind::Tdx, MeasurementPattern::Any)
        .with_accepted_tcb_status(&TcbStatus::ALL);
    let error = verify(
        &evidence,
        &collateral.into(),
        &lenient,
        at("2026-03-01T00:00:00Z"),
    )
    .unwrap_err();
    assert!(
        matches!(error, AttestError::Dcap(DcapError::Rejected(_))),
        "{error}"
    );
    assert!(error.to_string().contains("TCB level"), "{error}");
}

#[test]
fn expired_collateral_is_rejected_with_its_dates() {
    let policy = allow(PlatformKind::Tdx, TDX_MRTD);
    let error = verify(
        &tdx_quote(),
        &tdx_collateral().into(),
        &policy,
        at("2025-08-01T00:00:00Z"),
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            AttestError::Dcap(DcapError::CollateralExpired { .. })
        ),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("collateral expired: TCB info next update 2025-07-19T10:16:03Z"),
        "{message}"
    );
    assert!(
        message.contains("verifying at 2025-08-01T00:00:00Z"),
        "{message}"
    );
}

#[test]
fn collateral_not_yet_issued_is_rejected() {
    let policy = allow(PlatformKind::Tdx, TDX_MRTD);
    let error = verify(
        &tdx_quote(),
        &tdx_collateral().into(),
        &policy,
        at("2025-06-01T00:00:00Z"),
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            AttestError::Dcap(DcapError::CollateralNotYetValid { .. })
        ),
        "{error}"
    );
}

#[test]
fn a_quote_with_one_changed_byte_is_rejected() {
    let policy =
        allow(PlatformKind::Tdx, TDX_MRTD).with_allowed(PlatformKind::Tdx, MeasurementPattern::Any);
    // A byte of the MRTD, of the report data, and of the header's user data.
    for offset in [TDX_V4_MRTD_OFFSET + 5, TDX_V4_REPORT_DATA_OFFSET + 63, 40] {
        let mut bytes = sample("dcap-qvl/tdx_quote");
        bytes[offset] ^= 0x01;
        let error = verify(
            &Evidence::new(PlatformKind::Tdx, bytes),
            &tdx_collateral().into(),
            &policy,
            in_window(),
        )
        .unwrap_err();
        assert!(
            matches!(error, AttestError::Dcap(DcapError::Rejected(_))),
            "offset {offset}: {error}"
        );
        assert!(
            error.to_string().to_lowercase().contains("signature"),
            "offset {offset}: {error}"
        );
    }
}

#[test]
fn a_quote_labelled_with_the_wrong_platform_is_rejected() {
    let policy = Policy::new().with_allowed(PlatformKind::Sgx, MeasurementPattern::Any);
    let evidence = Evidence::new(PlatformKind::Sgx, sample("dcap-qvl/tdx_quote"));
    let error = verify(&evidence, &tdx_collateral().into(), &policy, in_window()).unwrap_err();
    assert!(
        matches!(error, AttestError::Dcap(DcapError::PlatformMismatch { .. })),
        "{error}"
    );
}

#[test]
fn verification_against_another_root_ca_is_rejected() {
    let (root_der, _) = self_made(true);
    let policy = allow(PlatformKind::Tdx, TDX_MRTD);
    let error = DcapVerifier::with_root_ca(root_der)
        .verify(&tdx_quote(), &tdx_collateral().into(), &policy, in_window())
        .unwrap_err();
    assert!(
        matches!(error, AttestError::Dcap(DcapError::Rejected(_))),
        "{error}"
    );
    // The root's key did not sign Intel's CRLs.
    assert!(error.to_string().contains("root CA"), "{error}");
}

#[test]
fn collateral_with_a_self_made_issuer_chain_is_rejected() {
    let (_, signer_pem) = self_made(false);
    let mut json: serde_json::Value =
        serde_json::from_slice(&sample("dcap-qvl/tdx_quote_collateral.json")).unwrap();
    json["tcb_info_issuer_chain"] = serde_json::Value::String(signer_pem);
    let collateral = DcapCollateral::from_json(&serde_json::to_vec(&json).unwrap()).unwrap();
    let policy = allow(PlatformKind::Tdx, TDX_MRTD);
    let error = verify(&tdx_quote(), &collateral.into(), &policy, in_window()).unwrap_err();
    assert!(
        matches!(error, AttestError::Dcap(DcapError::Rejected(_))),
        "{error}"
    );
    assert!(error.to_string().contains("certificate chain"), "{error}");
}

#[test]
fn dcap_evidence_needs_dcap_collateral() {
    let policy = allow(PlatformKind::Tdx, TDX_MRTD);
    let error = verify(&tdx_quote(), &Collateral::None, &policy, in_window()).unwrap_err();
    assert!(
        matches!(
            error,
            AttestError::CollateralMismatch {
                platform: PlatformKind::Tdx,
                ..
            }
        ),
        "{error}"
    );
    assert!(DcapCollateral::from_json(b"{\"not\": \"collateral\"}").is_err());
}
