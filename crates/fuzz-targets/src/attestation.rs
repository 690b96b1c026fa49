//! Attestation evidence and collateral, as a joining core's peers and clients receive
//! them, and the policy file. Times are inside the samples' collateral windows.

use strongroom_tee::{
    Collateral, DcapCollateral, DcapVerifier, Evidence, PlatformKind, Policy, SimVerifier,
    SnpCollateral, SnpVerifier, verify,
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
/// the real collateral of the sample quote of that kind, and `Evidence::detect`.
pub fn dcap_quote(data: &[u8]) {
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
/// AMD roots), and `Evidence::detect`.
pub fn snp_report(data: &[u8]) {
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

/// The attestation policy file (`Policy::from_toml`). Not peer input (an operator
/// writes it), but cheap to cover.
pub fn attestation_policy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Policy::from_toml(text);
    }
}
