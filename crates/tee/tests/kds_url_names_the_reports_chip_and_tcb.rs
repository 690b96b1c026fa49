//! The KDS URL of a report's VCEK names the report's chip and reported TCB: for the
//! real Milan report of the shared data, the URL AMD KDS serves `vcek_milan.der` at
//! (the VCEK under which that report verifies); a report that does not name its
//! generation needs the product given.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use strongroom_tee::{KdsQuery, SnpProduct};

/// Where a report holds REPORTED_TCB and CHIP_ID.
const REPORTED_TCB_OFFSET: usize = 0x180;
const CHIP_ID_OFFSET: usize = 0x1a0;

#[test]
fn the_milan_reports_url_names_its_chip_id_and_reported_tcb() {
    let report = snp_report();
    let bytes = report.as_bytes();
    let url = KdsQuery::for_report(bytes, Some(SnpProduct::Milan))
        .unwrap()
        .url("https://kdsintf.amd.com/");
    let tcb = &bytes[REPORTED_TCB_OFFSET..][..8];
    let chip = hex::encode(&bytes[CHIP_ID_OFFSET..][..64]);
    assert_eq!(
        url,
        format!(
            "https://kdsintf.amd.com/vcek/v1/Milan/{chip}?blSPL={:02}&teeSPL={:02}&snpSPL={:02}&ucodeSPL={:02}",
            tcb[0], tcb[1], tcb[6], tcb[7]
        )
    );
}

#[test]
fn a_report_that_does_not_name_its_generation_needs_the_product() {
    let report = snp_report();
    let error = KdsQuery::for_report(report.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert!(error.contains("set the product"), "{error}");
}

#[test]
fn bytes_that_are_no_report_are_refused() {
    let error = KdsQuery::for_report(b"short", Some(SnpProduct::Milan))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("AMD KDS: the report does not parse"),
        "{error}"
    );
}
