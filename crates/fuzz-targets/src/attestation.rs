//! Attestation evidence and collateral, as a joining core's peers and clients receive
//! them, and the policy file. Times are inside the samples' collateral windows.

use strongroom_tee::{
    Collateral, DcapCollateral, DcapVerifier, Evidence, KdsQuery, PccsAnswer, PccsAnswers,
    PccsQuery, PlatformKind, Policy, SimVerifier, SnpCollateral, SnpProduct, SnpVerifier, verify,
};

use crate::fixture::{self, attestation_time, collaterals, samples};

/// Sim evidence (JSON): `SimVerifier::verify_signature`, `Evidence::detect`, and
/// `verify` under a policy that admits the fixture's sim measurement.
pub fn sim_evidence(data: &[u8]) {
    let _ = SimVerifier.verify_signature(data);
    let _ = Evidence::detect(data.to_vec());
    let _ = verify(
        &Evidence::new(PlatformKind::Sim, data.to_vec()),
        &Collateral::None,
        sim_policy(),
        fixture::identities().now(),
    );
}

fn sim_policy() -> &'static Policy {
    static POLICY: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
    POLICY.get_or_init(fixture::sim_policy)
}

/// A DCAP quote: `DcapVerifier::verify_quote` (Intel's root) as SGX and as TDX, with
/// the real collateral of the sample quote of that kind, `Evidence::detect`, and
/// `PccsQuery::for_quote` (what a node asks its PCCS for).
pub fn dcap_quote(data: &[u8]) {
    if let Ok(query) = PccsQuery::for_quote(data) {
        let _ = query.urls("https://pccs.test");
    }
    let collaterals = collaterals();
    let verifier = DcapVerifier::new();
    let at = attestation_time();
    let _ = verifier.verify_quote(PlatformKind::Sgx, data, &collaterals.sgx, at);
    let _ = verifier.verify_quote(PlatformKind::Tdx, data, &collaterals.tdx, at);
    let _ = Evidence::detect(data.to_vec());
}

/// DCAP collateral: `DcapCollateral::from_json`, then the verification of the sample
/// SGX and TDX quotes with it.
pub fn dcap_collateral(data: &[u8]) {
    let Ok(collateral) = DcapCollateral::from_json(data) else {
        return;
    };
    let verifier = DcapVerifier::new();
    let at = attestation_time();
    let _ = verifier.verify_quote(
        PlatformKind::Sgx,
        &samples::get().sgx_quote,
        &collateral,
        at,
    );
    let _ = verifier.verify_quote(
        PlatformKind::Tdx,
        &samples::get().tdx_quote,
        &collateral,
        at,
    );
}

/// An SEV-SNP report: `SnpVerifier::verify_report` with the sample VCEK (built-in
/// AMD roots), `Evidence::detect`, and `KdsQuery::for_report` (the URL of its VCEK).
pub fn snp_report(data: &[u8]) {
    if let Ok(query) = KdsQuery::for_report(data, Some(SnpProduct::Milan)) {
        let _ = query.url("https://kds.test");
    }
    let _ = SnpVerifier.verify_report(data, &collaterals().snp, attestation_time());
    let _ = Evidence::detect(data.to_vec());
}

/// SEV-SNP collateral: the first byte chooses `SnpCollateral::from_vcek` (even) or
/// `with_chain` on the sample VCEK (odd); what parses then verifies the sample report.
pub fn snp_collateral(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let collateral = if mode % 2 == 0 {
        SnpCollateral::from_vcek(rest)
    } else {
        collaterals().snp.clone().with_chain(rest)
    };
    if let Ok(collateral) = collateral {
        let _ =
            SnpVerifier.verify_report(&samples::get().snp_report, &collateral, attestation_time());
    }
}

/// What a PCCS answers a node (`PccsAnswers::assemble`), framed as seven parts,
/// each a little-endian `u16` length and its bytes (a part cut short ends the input;
/// missing parts are empty): the PCK CRL body and issuer chain header, the TCB info
/// body and header, the QE identity body and header, the root CA CRL body. A header
/// part that is empty is an absent header. What assembles is then checked against
/// the sample TDX quote.
pub fn pccs_answers(data: &[u8]) {
    if let Ok((collateral, _)) = pccs_answers_of(pccs_parts(data)).assemble() {
        let _ = DcapVerifier::new().verify_quote(
            PlatformKind::Tdx,
            &samples::get().tdx_quote,
            &collateral,
            attestation_time(),
        );
    }
}

/// The answers the seven parts of a `pccs_answers` input stand for; an empty header
/// part is an absent header.
pub fn pccs_answers_of(parts: [&[u8]; 7]) -> PccsAnswers {
    let answer = |body: usize, header: Option<usize>| PccsAnswer {
        body: parts[body].to_vec(),
        issuer_chain: header
            .filter(|h| !parts[*h].is_empty())
            .map(|h| String::from_utf8_lossy(parts[h]).into_owned()),
    };
    PccsAnswers {
        pck_crl: answer(0, Some(1)),
        tcb_info: answer(2, Some(3)),
        qe_identity: answer(4, Some(5)),
        root_ca_crl: answer(6, None),
    }
}

/// The seven length-prefixed parts of a `pccs_answers` input.
pub fn pccs_parts(data: &[u8]) -> [&[u8]; 7] {
    let mut parts: [&[u8]; 7] = [&[]; 7];
    let mut rest = data;
    for part in &mut parts {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            break;
        };
        let len = usize::from(u16::from_le_bytes(*len)).min(tail.len());
        let (this, tail) = tail.split_at(len);
        *part = this;
        rest = tail;
    }
    parts
}

/// Frames seven parts as `pccs_answers` reads them (each at most `u16::MAX` bytes).
pub fn pccs_frame(parts: [&[u8]; 7]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        let len = u16::try_from(part.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&part[..usize::from(len)]);
    }
    out
}

/// The attestation policy file (`Policy::from_toml`). Not peer input (an operator
/// writes it), but cheap to cover.
pub fn attestation_policy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Policy::from_toml(text);
    }
}
