//! The four answers of a PCCS, as a PCCS sends them (signed TCB info and QE identity
//! bodies, percent-encoded issuer chain headers, the root CA CRL as hex), assemble
//! into collateral under which Intel's real TDX and SGX quotes verify, with the same
//! claims as under the collateral of the shared test data; a quote names what to ask
//! for; an answer that is not what its item needs is refused naming it.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use strongroom_tee::{DcapVerifier, PccsAnswer, PccsAnswers, PccsQuery, PlatformKind};

/// What a PCCS answers for the items of `collateral_json` (the shared data's file).
fn answers_of(collateral_json: &str) -> PccsAnswers {
    let fields: serde_json::Value = serde_json::from_slice(&sample(collateral_json)).unwrap();
    let text = |key: &str| fields[key].as_str().unwrap().to_owned();
    let bytes = |key: &str| hex::decode(text(key)).unwrap();
    let (pck_chain, pck_crl, root_crl) = (
        text("pck_crl_issuer_chain"),
        bytes("pck_crl"),
        bytes("root_ca_crl"),
    );
    let (tcb_chain, tcb, tcb_sig) = (
        text("tcb_info_issuer_chain"),
        text("tcb_info"),
        bytes("tcb_info_signature"),
    );
    let (qe_chain, qe, qe_sig) = (
        text("qe_identity_issuer_chain"),
        text("qe_identity"),
        bytes("qe_identity_signature"),
    );
    let header = |pem: &str| Some(strongroom_tee::pccs::percent_encode(pem));
    PccsAnswers {
        pck_crl: PccsAnswer {
            body: pck_crl,
            issuer_chain: header(&pck_chain),
        },
        tcb_info: PccsAnswer {
            body: format!(
                r#"{{"tcbInfo":{tcb},"signature":"{}"}}"#,
                hex::encode(tcb_sig)
            )
            .into_bytes(),
            issuer_chain: header(&tcb_chain),
        },
        qe_identity: PccsAnswer {
            body: format!(
                r#"{{"enclaveIdentity":{qe},"signature":"{}"}}"#,
                hex::encode(qe_sig)
            )
            .into_bytes(),
            issuer_chain: header(&qe_chain),
        },
        root_ca_crl: PccsAnswer {
            body: hex::encode(root_crl).into_bytes(),
            issuer_chain: None,
        },
    }
}

#[test]
fn a_tdx_quote_verifies_under_collateral_assembled_from_pccs_answers() {
    let (assembled, _) = answers_of("dcap-qvl/tdx_quote_collateral.json")
        .assemble()
        .unwrap();
    let verifier = DcapVerifier::new();
    let quote = tdx_quote();
    let claims = verifier
        .verify_quote(PlatformKind::Tdx, quote.as_bytes(), &assembled, in_window())
        .unwrap();
    let reference = verifier
        .verify_quote(
            PlatformKind::Tdx,
            quote.as_bytes(),
            &tdx_collateral(),
            in_window(),
        )
        .unwrap();
    assert_eq!(claims, reference);
}

#[test]
fn an_sgx_quote_verifies_under_collateral_assembled_from_pccs_answers() {
    let (assembled, _) = answers_of("dcap-qvl/sgx_quote_collateral.json")
        .assemble()
        .unwrap();
    let quote = sgx_quote();
    let claims = DcapVerifier::new()
        .verify_quote(PlatformKind::Sgx, quote.as_bytes(), &assembled, in_window())
        .unwrap();
    assert_eq!(claims.measurement.to_hex(), SGX_MRENCLAVE);
}

#[test]
fn a_tdx_quote_asks_the_tdx_tcb_info_of_its_fmspc() {
    let query = PccsQuery::for_quote(tdx_quote().as_bytes()).unwrap();
    let urls = query.urls("https://pccs.test");
    assert_eq!(
        urls.tcb_info,
        format!(
            "https://pccs.test/tdx/certification/v4/tcb?fmspc={}",
            query.fmspc()
        )
    );
    assert_eq!(query.fmspc().len(), 12);
    assert_eq!(
        urls.qe_identity,
        "https://pccs.test/tdx/certification/v4/qe/identity"
    );
    assert!(urls.pck_crl.contains("/sgx/certification/v4/pckcrl?ca="));
}

#[test]
fn an_sgx_quote_asks_the_sgx_tcb_info() {
    let urls = PccsQuery::for_quote(sgx_quote().as_bytes())
        .unwrap()
        .urls("https://pccs.test");
    assert!(
        urls.tcb_info
            .starts_with("https://pccs.test/sgx/certification/v4/tcb?fmspc=")
    );
}

#[test]
fn bytes_that_are_no_quote_are_refused() {
    let error = PccsQuery::for_quote(b"not a quote")
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("PCCS collateral: the quote: does not parse"),
        "{error}"
    );
}

#[test]
fn a_tcb_info_answer_without_its_signature_is_refused_naming_it() {
    let mut answers = answers_of("dcap-qvl/tdx_quote_collateral.json");
    answers.tcb_info.body = br#"{"tcbInfo":{}}"#.to_vec();
    let error = answers.assemble().unwrap_err().to_string();
    assert!(
        error.contains("TCB info: body is not a signed TCB info"),
        "{error}"
    );
}

#[test]
fn a_qe_identity_answer_without_its_issuer_chain_is_refused_naming_it() {
    let mut answers = answers_of("dcap-qvl/tdx_quote_collateral.json");
    answers.qe_identity.issuer_chain = None;
    let error = answers.assemble().unwrap_err().to_string();
    assert!(
        error.contains("QE identity: no issuer chain header"),
        "{error}"
    );
}

#[test]
fn a_root_crl_answer_that_is_an_html_page_is_refused_naming_it() {
    let mut answers = answers_of("dcap-qvl/tdx_quote_collateral.json");
    answers.root_ca_crl.body = b"<html>not found</html>".to_vec();
    let error = answers.assemble().unwrap_err().to_string();
    assert!(error.contains("root CA CRL: body is neither"), "{error}");
}

#[test]
fn a_changed_tcb_info_byte_no_longer_verifies() {
    let mut answers = answers_of("dcap-qvl/tdx_quote_collateral.json");
    let body = String::from_utf8(answers.tcb_info.body.clone()).unwrap();
    answers.tcb_info.body = body
        .replacen("\"version\":3", "\"version\": 3", 1)
        .into_bytes();
    assert_ne!(answers.tcb_info.body, body.as_bytes(), "the edit applied");
    let (assembled, _) = answers.assemble().unwrap();
    let quote = tdx_quote();
    assert!(
        DcapVerifier::new()
            .verify_quote(PlatformKind::Tdx, quote.as_bytes(), &assembled, in_window())
            .is_err(),
        "the TCB info is kept byte for byte, so its signature covers what is served"
    );
}
