//! A real AMD SEV-SNP report (Milan) verifies against its VCEK and the AMD chain
//! (built-in roots or a supplied chain); altered reports, foreign VCEKs or chains,
//! expired certificates and debug guests are refused with a reason.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use strongroom_tee::{
    AttestError, Evidence, Measurement, MeasurementPattern, PlatformKind, Policy, PolicyError,
    SnpCollateral, SnpError, SnpVerifier, verify,
};

fn allow_milan() -> Policy {
    Policy::new().with_allowed(
        PlatformKind::Snp,
        MeasurementPattern::Exact(Measurement::from_hex(SNP_MEASUREMENT).unwrap()),
    )
}

fn with_byte_changed(offset: usize) -> Evidence {
    let mut bytes = sample("virtee-sev/report_milan.bin");
    bytes[offset] ^= 0x01;
    Evidence::new(PlatformKind::Snp, bytes)
}

#[test]
fn milan_report_verifies_with_the_built_in_roots() {
    let claims = verify(
        &snp_report(),
        &snp_collateral().into(),
        &allow_milan(),
        in_window(),
    )
    .unwrap();
    assert_eq!(claims.platform, PlatformKind::Snp);
    assert_eq!(claims.measurement.to_hex(), SNP_MEASUREMENT);
    assert_eq!(claims.report_data, report_data(SNP_REPORT_DATA));
    assert_eq!(claims.tcb_status, None);
    assert!(!claims.debug);
    assert!(!claims.insecure);
    let json = serde_json::to_value(&claims).unwrap();
    assert_eq!(json["platform"], "snp");
    assert_eq!(json["measurement"], SNP_MEASUREMENT);
}

#[test]
fn the_hex_sample_is_the_same_report_and_is_detected_as_snp() {
    let from_hex = hex::decode(
        String::from_utf8(sample("virtee-sev/report_milan.hex"))
            .unwrap()
            .split_whitespace()
            .collect::<String>(),
    )
    .unwrap();
    assert_eq!(from_hex, sample("virtee-sev/report_milan.bin"));
    let evidence = Evidence::detect(from_hex).unwrap();
    assert_eq!(evidence.platform(), PlatformKind::Snp);
}

#[test]
fn a_supplied_milan_chain_verifies_in_either_order() {
    let kds_chain = sample("virtee-sev/cert_chain_milan");
    let mut ark_then_ask = sample("virtee-sev/milan_ark.pem");
    ark_then_ask.extend(sample("virtee-sev/milan_ask.pem"));
    for chain in [kds_chain, ark_then_ask] {
        let collateral = snp_collateral().with_chain(&chain).unwrap();
        let claims = verify(
            &snp_report(),
            &collateral.into(),
            &allow_milan(),
            in_window(),
        )
        .unwrap();
        assert_eq!(claims.measurement.to_hex(), SNP_MEASUREMENT);
    }
}

#[test]
fn a_report_with_one_changed_byte_is_rejected() {
    // MEASUREMENT, REPORT_DATA, and the guest policy's debug bit (bit 19).
    for offset in [SNP_MEASUREMENT_OFFSET + 3, SNP_REPORT_DATA_OFFSET, 0x08 + 2] {
        let error = SnpVerifier
            .verify_report(
                with_byte_changed(offset).as_bytes(),
                &snp_collateral(),
                in_window(),
            )
            .unwrap_err();
        assert!(
            matches!(error, SnpError::BadSignature),
            "offset {offset:#x}: {error}"
        );
    }
    let error = verify(
        &with_byte_changed(SNP_MEASUREMENT_OFFSET),
        &snp_collateral().into(),
        &allow_milan(),
        in_window(),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("report signature does not verify under the VCEK"),
        "{error}"
    );
}

#[test]
fn the_vcek_must_be_for_the_reports_chip_and_tcb() {
    // CHIP_ID (0x1A0) is compared with the VCEK's hwID before the signature.
    let error = SnpVerifier
        .verify_report(
            with_byte_changed(0x1a0 + 10).as_bytes(),
            &snp_collateral(),
            in_window(),
        )
        .unwrap_err();
    assert!(matches!(error, SnpError::ChipMismatch { .. }), "{error}");
    // REPORTED_TCB (0x180): byte 0 is the bootloader SPL, byte 7 the microcode SPL.
    for (offset, component) in [(0x180, "bootloader"), (0x187, "microcode")] {
        let error = SnpVerifier
            .verify_report(
                with_byte_changed(offset).as_bytes(),
                &snp_collateral(),
                in_window(),
            )
            .unwrap_err();
        assert!(
            matches!(error, SnpError::TcbMismatch { component: c, .. } if c == component),
            "offset {offset:#x}: {error}"
        );
    }
}

#[test]
fn unsigned_bytes_of_the_signature_field_must_be_zero() {
    // Bytes the signature does not cover: the top of R, and the reserved tail.
    for offset in [0x2a0 + 60, 0x2a0 + 200] {
        let error = SnpVerifier
            .verify_report(
                with_byte_changed(offset).as_bytes(),
                &snp_collateral(),
                in_window(),
            )
            .unwrap_err();
        assert!(
            matches!(error, SnpError::MalformedSignature(_)),
            "offset {offset:#x}: {error}"
        );
    }
}

#[test]
fn a_vcek_not_issued_by_amd_is_rejected() {
    // The Milan ASK is no VCEK: no AMD ASK signed it.
    let ask_as_vcek = SnpCollateral::from_vcek(&sample("virtee-sev/milan_ask.pem")).unwrap();
    let error = SnpVerifier
        .verify_report(snp_report().as_bytes(), &ask_as_vcek, in_window())
        .unwrap_err();
    assert!(matches!(error, SnpError::VcekNotIssued), "{error}");

    // The real VCEK with one byte of its public key changed.
    let mut vcek = sample("virtee-sev/vcek_milan.der");
    let position = vcek.len() / 2;
    vcek[position] ^= 0x01;
    let altered = SnpCollateral::from_vcek(&vcek).unwrap();
    let error = verify(&snp_report(), &altered.into(), &allow_milan(), in_window()).unwrap_err();
    assert!(
        matches!(error, AttestError::Snp(SnpError::VcekNotIssued)),
        "{error}"
    );
}

#[test]
fn a_chain_of_another_generation_is_rejected() {
    let mut genoa = sev::certs::snp::builtin::genoa::ASK.to_vec();
    genoa.extend_from_slice(sev::certs::snp::builtin::genoa::ARK);
    let collateral = snp_collateral().with_chain(&genoa).unwrap();
    let error = SnpVerifier
        .verify_report(snp_report().as_bytes(), &collateral, in_window())
        .unwrap_err();
    assert!(
        matches!(
            error,
            SnpError::ChainInvalid {
                roots: "supplied chain",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn a_chain_must_be_an_ask_and_a_self_issued_ark() {
    let ask = sample("virtee-sev/milan_ask.pem");
    assert!(
        snp_collateral().with_chain(&ask).is_err(),
        "one certificate"
    );
    let mut two_asks = ask.clone();
    two_asks.extend(&ask);
    let error = snp_collateral().with_chain(&two_asks).unwrap_err();
    assert!(error.to_string().contains("self-issued ARK"), "{error}");
}

#[test]
fn an_expired_vcek_is_rejected() {
    let error = SnpVerifier
        .verify_report(
            snp_report().as_bytes(),
            &snp_collateral(),
            at("2031-01-01T00:00:00Z"),
        )
        .unwrap_err();
    assert!(
        matches!(error, SnpError::CertificateExpired { which: "VCEK", .. }),
        "{error}"
    );
    assert!(error.to_string().contains("2030-04-03"), "{error}");
}

#[test]
fn a_debug_guest_is_refused_unless_the_policy_allows_debug() {
    // The debug bit is covered by the signature (see a_report_with_one_changed_byte),
    // so a debug guest cannot be made from this report: judge its claims as if the
    // guest policy had DEBUG set.
    let mut claims = SnpVerifier
        .verify_report(snp_report().as_bytes(), &snp_collateral(), in_window())
        .unwrap();
    assert!(!claims.debug, "the sample guest policy forbids debugging");
    allow_milan().check(&claims).unwrap();
    claims.debug = true;
    assert_eq!(
        allow_milan().check(&claims),
        Err(PolicyError::DebugNotAllowed {
            platform: PlatformKind::Snp
        })
    );
    allow_milan().with_allow_debug(true).check(&claims).unwrap();
}

#[test]
fn a_report_with_an_unlisted_measurement_is_refused() {
    let policy = Policy::new().with_allowed(
        PlatformKind::Snp,
        MeasurementPattern::Exact(Measurement::new(vec![0u8; 48])),
    );
    let error = verify(
        &snp_report(),
        &snp_collateral().into(),
        &policy,
        in_window(),
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            AttestError::Policy(PolicyError::MeasurementNotAllowed { .. })
        ),
        "{error}"
    );
}

#[test]
fn snp_evidence_needs_a_vcek() {
    let error = verify(
        &snp_report(),
        &tdx_collateral().into(),
        &allow_milan(),
        in_window(),
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            AttestError::CollateralMismatch {
                platform: PlatformKind::Snp,
                ..
            }
        ),
        "{error}"
    );
    assert!(SnpCollateral::from_vcek(b"not a certificate").is_err());
}
