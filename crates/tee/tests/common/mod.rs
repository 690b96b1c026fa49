//! Helpers shared by the integration tests: the real attestation samples in the
//! shared data directory (never copied into the repository), and times inside their
//! collateral windows.
#![allow(dead_code)]
// Test helpers: a failure here is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use strongroom_tee::{DcapCollateral, Evidence, PlatformKind, SnpCollateral};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The attestation samples (see `shared/data/README.md`).
pub fn data_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/attestation"
    ))
}

/// Reads a sample, failing loudly when it is missing: these tests must never skip.
pub fn sample(relative: &str) -> Vec<u8> {
    let path = data_dir().join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let ci = if std::env::var_os("CI").is_some() {
                " [CI is set: the CI job must provide the shared test data]"
            } else {
                ""
            };
            panic!(
                "attestation test data missing: cannot read {} ({error}); see shared/data/README.md{ci}",
                path.display()
            )
        }
    }
}

/// Parses an RFC 3339 time.
pub fn at(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap()
}

/// Inside the window of the `sgx_quote` and `tdx_quote` collateral (2025-06-19..2025-07-19).
pub fn in_window() -> OffsetDateTime {
    at("2025-06-25T00:00:00Z")
}

/// The MRTD of `tdx_quote`.
pub const TDX_MRTD: &str = "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7";
/// The report data of `tdx_quote`.
pub const TDX_REPORT_DATA: &str = "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20";
/// The MRENCLAVE of `sgx_quote`.
pub const SGX_MRENCLAVE: &str = "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb";
/// The MEASUREMENT of `report_milan.bin`.
pub const SNP_MEASUREMENT: &str = "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f";
/// The report data of `report_milan.bin`.
pub const SNP_REPORT_DATA: &str = "d447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3d1cd82bd6a93ebfd";

/// Offset of the report data in a v4 TDX quote (header 48 + TD report field offset 520).
pub const TDX_V4_REPORT_DATA_OFFSET: usize = 568;
/// Offset of MRTD in a v4 TDX quote.
pub const TDX_V4_MRTD_OFFSET: usize = 184;
/// Offset of the report data in an SEV-SNP report.
pub const SNP_REPORT_DATA_OFFSET: usize = 0x50;
/// Offset of MEASUREMENT in an SEV-SNP report.
pub const SNP_MEASUREMENT_OFFSET: usize = 0x90;

pub fn tdx_quote() -> Evidence {
    Evidence::new(PlatformKind::Tdx, sample("dcap-qvl/tdx_quote"))
}

pub fn tdx_collateral() -> DcapCollateral {
    DcapCollateral::from_json(&sample("dcap-qvl/tdx_quote_collateral.json")).unwrap()
}

pub fn sgx_quote() -> Evidence {
    Evidence::new(PlatformKind::Sgx, sample("dcap-qvl/sgx_quote"))
}

pub fn sgx_collateral() -> DcapCollateral {
    DcapCollateral::from_json(&sample("dcap-qvl/sgx_quote_collateral.json")).unwrap()
}

pub fn snp_report() -> Evidence {
    Evidence::new(PlatformKind::Snp, sample("virtee-sev/report_milan.bin"))
}

pub fn snp_collateral() -> SnpCollateral {
    SnpCollateral::from_vcek(&sample("virtee-sev/vcek_milan.der")).unwrap()
}

/// 64 bytes from hex.
pub fn report_data(hex_digits: &str) -> [u8; 64] {
    hex::decode(hex_digits).unwrap().try_into().unwrap()
}
