//! The SEV-SNP certificate table a host hands its guest (configfs-tsm's `auxblob`)
//! yields the chip's VCEK, and the ASK and ARK when present; a malformed table is
//! refused naming what is wrong. A policy's own SNP roots replace AMD's built-in ones,
//! and a chain that came with the collateral does not override them.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::*;
use strongroom_tee::{
    CollateralError, Measurement, MeasurementPattern, PlatformKind, Policy, SnpCertificateTable,
    SnpCollateral, verify,
};

const VCEK_GUID: &str = "63da758d-e664-4564-adc5-f4b93be8accd";
const ASK_GUID: &str = "4ab7b379-bbac-4fe4-a02f-05aef327c782";
const ARK_GUID: &str = "c0b406a4-a803-4952-9743-3fb6014cd0ae";
const OTHER_GUID: &str = "92f81bc3-5811-4d3d-97ff-d19f88dc67ea";

fn guid(text: &str) -> Vec<u8> {
    hex::decode(text.replace('-', "")).unwrap()
}

fn der_of_pem(pem: &[u8]) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem).unwrap().1.contents
}

/// A certificate table of `entries` (GUID, certificate), ended by a zero entry.
fn table(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let header = (entries.len() + 1) * 24;
    let mut head = Vec::new();
    let mut body = Vec::new();
    for (id, der) in entries {
        head.extend(guid(id));
        head.extend(u32::try_from(header + body.len()).unwrap().to_le_bytes());
        head.extend(u32::try_from(der.len()).unwrap().to_le_bytes());
        body.extend_from_slice(der);
    }
    head.extend([0u8; 24]);
    [head, body].concat()
}

fn milan_vcek() -> Vec<u8> {
    sample("virtee-sev/vcek_milan.der")
}

fn allow_milan() -> Policy {
    Policy::new().with_allowed(
        PlatformKind::Snp,
        MeasurementPattern::Exact(Measurement::from_hex(SNP_MEASUREMENT).unwrap()),
    )
}

fn test_chain() -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node/tests/fixtures/snp-test-chain");
    [
        std::fs::read(dir.join("ask.pem")).unwrap(),
        std::fs::read(dir.join("ark.pem")).unwrap(),
    ]
    .concat()
}

fn table_error(bytes: &[u8]) -> String {
    match SnpCertificateTable::parse(bytes) {
        Ok(_) => panic!("the table was accepted"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_table_yields_the_vcek_ask_and_ark_and_its_vcek_verifies_the_report() {
    let ask = der_of_pem(&sample("virtee-sev/milan_ask.pem"));
    let ark = der_of_pem(&sample("virtee-sev/milan_ark.pem"));
    let bytes = table(&[
        (ARK_GUID, &ark),
        (OTHER_GUID, b"a CRL, skipped"),
        (VCEK_GUID, &milan_vcek()),
        (ASK_GUID, &ask),
    ]);
    let parsed = SnpCertificateTable::parse(&bytes).unwrap();
    assert_eq!(parsed.vcek, milan_vcek());
    assert_eq!(parsed.ask, Some(ask));
    assert_eq!(parsed.ark, Some(ark));

    let collateral = SnpCollateral::from_vcek(&parsed.vcek).unwrap();
    let claims = verify(
        &snp_report(),
        &collateral.into(),
        &allow_milan(),
        in_window(),
    )
    .unwrap();
    assert_eq!(claims.measurement.to_hex(), SNP_MEASUREMENT);
}

#[test]
fn a_table_with_only_the_vcek_is_enough() {
    let parsed = SnpCertificateTable::parse(&table(&[(VCEK_GUID, &milan_vcek())])).unwrap();
    assert_eq!(parsed.vcek, milan_vcek());
    assert_eq!((parsed.ask, parsed.ark), (None, None));
}

#[test]
fn a_table_without_a_vcek_is_refused() {
    let ask = der_of_pem(&sample("virtee-sev/milan_ask.pem"));
    let error = table_error(&table(&[(ASK_GUID, &ask)]));
    assert!(
        error.contains("auxblob") && error.contains("no VCEK entry"),
        "{error}"
    );
}

#[test]
fn a_table_without_its_terminating_entry_is_refused() {
    let mut bytes = table(&[(OTHER_GUID, b"skipped")]);
    bytes.truncate(24 + 10);
    let error = table_error(&bytes);
    assert!(error.contains("no all-zero entry ends it"), "{error}");
    assert!(table_error(&[]).contains("entry 0"), "an empty table");
}

#[test]
fn an_entry_pointing_outside_the_table_is_refused() {
    let mut bytes = table(&[(VCEK_GUID, &milan_vcek())]);
    bytes[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
    let error = table_error(&bytes);
    assert!(
        error.contains("entry 0 (VCEK)") && error.contains("not inside the table"),
        "{error}"
    );
}

#[test]
fn a_vcek_entry_that_is_no_certificate_is_refused() {
    let error = table_error(&table(&[(VCEK_GUID, b"not a certificate")]));
    assert!(
        error.contains("VCEK is not an X.509 certificate"),
        "{error}"
    );
}

#[test]
fn a_repeated_vcek_entry_is_refused() {
    let vcek = milan_vcek();
    let error = table_error(&table(&[(VCEK_GUID, &vcek), (VCEK_GUID, &vcek)]));
    assert!(error.contains("entry 1: a second VCEK"), "{error}");
}

#[test]
fn the_policys_snp_roots_replace_the_built_in_ones() {
    // The Milan chain, pinned by the policy: accepted.
    let milan = [
        sample("virtee-sev/milan_ask.pem"),
        sample("virtee-sev/milan_ark.pem"),
    ]
    .concat();
    let pinned = allow_milan().with_snp_roots(&milan).unwrap();
    verify(
        &snp_report(),
        &snp_collateral().into(),
        &pinned,
        in_window(),
    )
    .unwrap();

    // Another root pinned: the real AMD VCEK no longer verifies, and the refusal
    // names the policy's roots.
    let other = allow_milan().with_snp_roots(&test_chain()).unwrap();
    let error = verify(&snp_report(), &snp_collateral().into(), &other, in_window())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the policy's SNP roots (not AMD's built-in)"),
        "{error}"
    );

    // A chain that came with the collateral does not override the policy's roots.
    let supplied = snp_collateral().with_chain(&milan).unwrap();
    let error = verify(&snp_report(), &supplied.into(), &other, in_window())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the policy's SNP roots (not AMD's built-in)"),
        "{error}"
    );
}

#[test]
fn a_policy_refuses_snp_roots_that_are_not_an_ask_and_an_ark() {
    let only_ark = sample("virtee-sev/milan_ark.pem");
    match Policy::new().with_snp_roots(&only_ark) {
        Err(CollateralError::Chain(reason)) => assert!(reason.contains("found 1"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

/// The Milan policy written as a policy file, with `snp_roots` holding `roots`.
fn milan_policy_file(roots: &str) -> String {
    format!(
        "snp_roots = '''\n{roots}'''\n\n[[allow]]\nplatform = \"snp\"\nmeasurement = \"{SNP_MEASUREMENT}\"\n"
    )
}

#[test]
fn a_policy_files_snp_roots_are_the_roots_it_verifies_with() {
    let milan = [
        sample("virtee-sev/milan_ask.pem"),
        sample("virtee-sev/milan_ark.pem"),
    ]
    .concat();
    let from_file =
        Policy::from_toml(&milan_policy_file(std::str::from_utf8(&milan).unwrap())).unwrap();
    assert_eq!(from_file, allow_milan().with_snp_roots(&milan).unwrap());
    verify(
        &snp_report(),
        &snp_collateral().into(),
        &from_file,
        in_window(),
    )
    .unwrap();

    // The test chain in the file: AMD's real VCEK is refused under those roots.
    let test_roots = test_chain();
    let other = Policy::from_toml(&milan_policy_file(
        std::str::from_utf8(&test_roots).unwrap(),
    ))
    .unwrap();
    let error = verify(&snp_report(), &snp_collateral().into(), &other, in_window())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the policy's SNP roots (not AMD's built-in)"),
        "{error}"
    );
}

#[test]
fn a_policy_file_whose_snp_roots_are_not_an_ask_and_an_ark_is_refused_naming_the_key() {
    let only_ark = sample("virtee-sev/milan_ark.pem");
    let error = Policy::from_toml(&milan_policy_file(std::str::from_utf8(&only_ark).unwrap()))
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("snp_roots: "), "{error}");
    assert!(error.contains("found 1"), "{error}");

    let error = Policy::from_toml(&milan_policy_file("not a certificate\n"))
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("snp_roots: "), "{error}");
}
