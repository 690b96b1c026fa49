//! The collateral of a DCAP quote from a PCCS (Intel's Provisioning Certification
//! Caching Service, API v4): what to ask for, and how the answers become the
//! collateral JSON that [`DcapCollateral`] reads. No I/O here: the host makes the
//! four GETs ([`PccsQuery::urls`]) and hands the answers to [`PccsAnswers::assemble`].
//!
//! | item | URL under the PCCS base | body | issuer chain header |
//! |---|---|---|---|
//! | PCK CRL | `/sgx/certification/v4/pckcrl?ca={processor,platform}&encoding=der` | DER | `SGX-PCK-CRL-Issuer-Chain` |
//! | TCB info | `/{sgx,tdx}/certification/v4/tcb?fmspc=FMSPC` | `{"tcbInfo":…,"signature":hex}` | `TCB-Info-Issuer-Chain` (or `SGX-TCB-Info-Issuer-Chain`) |
//! | QE identity | `/{sgx,tdx}/certification/v4/qe/identity` | `{"enclaveIdentity":…,"signature":hex}` | `SGX-Enclave-Identity-Issuer-Chain` |
//! | root CA CRL | `/sgx/certification/v4/rootcacrl` | hex of the DER (PCCS), or DER | none |
//!
//! The FMSPC and the PCK CA come from the PCK certificate the quote carries
//! (certification data type 5). Nothing here is trusted: every item is signed by
//! Intel, and the verifier checks those signatures up to Intel's root; a PCCS can
//! withhold collateral or serve a stale one, not forge it. The TCB info and QE identity
//! are kept byte for byte as the body held them, since their signatures are over
//! those bytes.

use dcap_qvl::QuoteCollateralV3;
use dcap_qvl::quote::Quote;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::dcap::DcapCollateral;
use crate::error::CollateralError;

/// The issuer chain header of the PCK CRL.
pub const PCK_CRL_ISSUER_CHAIN: &str = "SGX-PCK-CRL-Issuer-Chain";
/// The issuer chain header of the TCB info (API v4; v3 and some PCCSs send
/// [`SGX_TCB_INFO_ISSUER_CHAIN`]).
pub const TCB_INFO_ISSUER_CHAIN: &str = "TCB-Info-Issuer-Chain";
/// The older name of [`TCB_INFO_ISSUER_CHAIN`].
pub const SGX_TCB_INFO_ISSUER_CHAIN: &str = "SGX-TCB-Info-Issuer-Chain";
/// The issuer chain header of the QE identity.
pub const QE_IDENTITY_ISSUER_CHAIN: &str = "SGX-Enclave-Identity-Issuer-Chain";

/// What a quote needs from a PCCS: its TEE (the TCB info and QE identity differ for
/// SGX and TDX), its platform's FMSPC, and the CA that issued its PCK certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PccsQuery {
    tee: &'static str,
    fmspc: String,
    ca: &'static str,
}

/// The four URLs of a [`PccsQuery`] under one PCCS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PccsUrls {
    /// The PCK CRL of the quote's PCK CA, DER.
    pub pck_crl: String,
    /// The TCB info of the quote's FMSPC.
    pub tcb_info: String,
    /// The identity of the quoting enclave.
    pub qe_identity: String,
    /// The CRL of Intel's SGX root CA.
    pub root_ca_crl: String,
}

impl PccsQuery {
    /// Reads what to ask for from a quote (SGX v3, TDX v4 or v5) whose certification
    /// data carries its PCK certificate chain.
    pub fn for_quote(quote: &[u8]) -> Result<Self, CollateralError> {
        let bad = |reason: String| CollateralError::Pccs(format!("the quote: {reason}"));
        let parsed = Quote::parse(quote).map_err(|e| bad(format!("does not parse: {e:#}")))?;
        if parsed.inner_cert_type() != 5 {
            return Err(bad(format!(
                "carries certification data type {}, not its PCK certificate chain (type 5)",
                parsed.inner_cert_type()
            )));
        }
        let fmspc = dcap_qvl::intel::quote_fmspc(&parsed)
            .map_err(|e| bad(format!("PCK certificate has no FMSPC: {e:#}")))?;
        let ca = dcap_qvl::intel::quote_ca(&parsed)
            .map_err(|e| bad(format!("PCK certificate names no PCK CA: {e:#}")))?;
        Ok(Self {
            tee: if parsed.header.is_sgx() { "sgx" } else { "tdx" },
            fmspc: hex::encode_upper(fmspc),
            ca: ca.as_id_str(),
        })
    }

    /// The FMSPC of the quote's platform, upper-case hex.
    pub fn fmspc(&self) -> &str {
        &self.fmspc
    }

    /// The URLs to GET under `base`, a PCCS's address (`https://pccs.example:8081`;
    /// a trailing `/` or `/sgx/certification/v4` is ignored).
    pub fn urls(&self, base: &str) -> PccsUrls {
        let base = base
            .trim_end_matches('/')
            .trim_end_matches("/sgx/certification/v4")
            .trim_end_matches("/tdx/certification/v4");
        let url = |tee: &str, path: &str| format!("{base}/{tee}/certification/v4/{path}");
        PccsUrls {
            pck_crl: url("sgx", &format!("pckcrl?ca={}&encoding=der", self.ca)),
            tcb_info: url(self.tee, &format!("tcb?fmspc={}", self.fmspc)),
            qe_identity: url(self.tee, "qe/identity"),
            root_ca_crl: url("sgx", "rootcacrl"),
        }
    }
}

/// One PCCS answer: its body, and its issuer chain header as sent (percent-encoded
/// PEM), if it had one.
#[derive(Clone, Debug, Default)]
pub struct PccsAnswer {
    /// The body.
    pub body: Vec<u8>,
    /// The issuer chain header, percent-encoded as the PCCS sends it.
    pub issuer_chain: Option<String>,
}

/// The answers to the four GETs of [`PccsUrls`].
#[derive(Clone, Debug, Default)]
pub struct PccsAnswers {
    /// To [`PccsUrls::pck_crl`].
    pub pck_crl: PccsAnswer,
    /// To [`PccsUrls::tcb_info`].
    pub tcb_info: PccsAnswer,
    /// To [`PccsUrls::qe_identity`].
    pub qe_identity: PccsAnswer,
    /// To [`PccsUrls::root_ca_crl`].
    pub root_ca_crl: PccsAnswer,
}

#[derive(Deserialize)]
struct TcbInfoBody<'a> {
    #[serde(rename = "tcbInfo", borrow)]
    tcb_info: &'a RawValue,
    signature: String,
}

#[derive(Deserialize)]
struct QeIdentityBody<'a> {
    #[serde(rename = "enclaveIdentity", borrow)]
    enclave_identity: &'a RawValue,
    signature: String,
}

impl PccsAnswers {
    /// The collateral these answers make, as [`DcapCollateral`] and as the JSON a
    /// node serves; an answer that is not what its item needs is named.
    pub fn assemble(&self) -> Result<(DcapCollateral, Vec<u8>), CollateralError> {
        let bad = |what: &str, reason: String| CollateralError::Pccs(format!("{what}: {reason}"));
        let chain = |what: &str, answer: &PccsAnswer| {
            let header = answer
                .issuer_chain
                .as_deref()
                .ok_or_else(|| bad(what, "no issuer chain header".into()))?;
            let pem = percent_decode(header).map_err(|reason| bad(what, reason))?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(bad(
                    what,
                    "the issuer chain header holds no PEM certificate".into(),
                ));
            }
            Ok(pem)
        };
        let tcb: TcbInfoBody<'_> = serde_json::from_slice(&self.tcb_info.body)
            .map_err(|e| bad("TCB info", format!("body is not a signed TCB info: {e}")))?;
        let qe: QeIdentityBody<'_> =
            serde_json::from_slice(&self.qe_identity.body).map_err(|e| {
                bad(
                    "QE identity",
                    format!("body is not a signed QE identity: {e}"),
                )
            })?;
        let signature = |what: &str, text: &str| {
            hex::decode(text).map_err(|e| bad(what, format!("signature is not hex: {e}")))
        };
        let root_ca_crl =
            der_or_hex(&self.root_ca_crl.body).map_err(|reason| bad("root CA CRL", reason))?;
        let pck_crl = der_or_hex(&self.pck_crl.body).map_err(|reason| bad("PCK CRL", reason))?;
        let collateral = QuoteCollateralV3 {
            pck_crl_issuer_chain: chain("PCK CRL", &self.pck_crl)?,
            root_ca_crl,
            pck_crl,
            tcb_info_issuer_chain: chain("TCB info", &self.tcb_info)?,
            tcb_info: tcb.tcb_info.get().to_owned(),
            tcb_info_signature: signature("TCB info", &tcb.signature)?,
            qe_identity_issuer_chain: chain("QE identity", &self.qe_identity)?,
            qe_identity: qe.enclave_identity.get().to_owned(),
            qe_identity_signature: signature("QE identity", &qe.signature)?,
            pck_certificate_chain: None,
        };
        let json = serde_json::to_vec(&collateral)
            .map_err(|e| CollateralError::Pccs(format!("collateral JSON: {e}")))?;
        // Read back as every verifier reads it, so what is served is what parses.
        Ok((DcapCollateral::from_json(&json)?, json))
    }
}

/// A CRL as a PCCS sends it: hex of the DER (its `rootcacrl`), or the DER itself.
fn der_or_hex(body: &[u8]) -> Result<Vec<u8>, String> {
    let text = body.trim_ascii();
    if text.first() == Some(&0x30) {
        return Ok(body.to_vec());
    }
    if !text.is_empty() && text.iter().all(u8::is_ascii_hexdigit) {
        return hex::decode(text).map_err(|e| format!("hex body: {e}"));
    }
    Err("body is neither a DER CRL nor its hex".into())
}

/// Encodes an issuer chain (PEM) as a PCCS sends it in a header: every byte but
/// ASCII letters, digits and `-_.~` as `%XX`. The inverse of what
/// [`PccsAnswers::assemble`] decodes; for PCCS stand-ins and tests.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (an issuer chain header); `+` stays `+`, as in the PEM.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let escape = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i} of the issuer chain"))?;
            out.push(escape);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the issuer chain is not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn percent_escapes_decode_and_bad_ones_are_named() {
        assert_eq!(percent_decode("a%20b%0A+c").unwrap(), "a b\n+c");
        assert!(percent_decode("abc%2").unwrap_err().contains("byte 3"));
        assert!(percent_decode("%zz").is_err());
        assert!(percent_decode("%ff").is_err(), "not UTF-8");
    }

    #[test]
    fn percent_encoding_round_trips_a_pem() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB+/9=\n-----END CERTIFICATE-----\n";
        let encoded = percent_encode(pem);
        assert!(!encoded.contains(['\n', '+', '/', '=', ' ']), "{encoded}");
        assert_eq!(percent_decode(&encoded).unwrap(), pem);
    }

    #[test]
    fn a_crl_is_read_as_der_or_as_its_hex() {
        assert_eq!(der_or_hex(&[0x30, 0x01, 0x00]).unwrap(), [0x30, 0x01, 0x00]);
        assert_eq!(der_or_hex(b"3001ff\n").unwrap(), [0x30, 0x01, 0xff]);
        assert!(der_or_hex(b"").is_err());
        assert!(der_or_hex(b"<html>").is_err());
    }

    #[test]
    fn urls_ignore_a_trailing_api_path() {
        let query = PccsQuery {
            tee: "tdx",
            fmspc: "00806F050000".into(),
            ca: "platform",
        };
        for base in [
            "https://pccs:8081",
            "https://pccs:8081/",
            "https://pccs:8081/sgx/certification/v4",
        ] {
            assert_eq!(
                query.urls(base),
                PccsUrls {
                    pck_crl:
                        "https://pccs:8081/sgx/certification/v4/pckcrl?ca=platform&encoding=der"
                            .into(),
                    tcb_info: "https://pccs:8081/tdx/certification/v4/tcb?fmspc=00806F050000"
                        .into(),
                    qe_identity: "https://pccs:8081/tdx/certification/v4/qe/identity".into(),
                    root_ca_crl: "https://pccs:8081/sgx/certification/v4/rootcacrl".into(),
                }
            );
        }
    }
}
