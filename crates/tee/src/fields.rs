//! Reading the measurement and report data out of unverified evidence, for the
//! producers: they check that what the TEE returned binds the report data they
//! wrote, and measure themselves by producing evidence.

use dcap_qvl::quote::{Quote, Report};
use sev::firmware::guest::AttestationReport;
use sev::parser::ByteParser;

use crate::platform::{Measurement, PlatformKind, REPORT_DATA_LEN, ReportData};

/// The measurement and report data of evidence bytes, without verifying anything.
pub(crate) fn unverified_fields(
    platform: PlatformKind,
    bytes: &[u8],
) -> Result<(Measurement, ReportData), String> {
    match platform {
        PlatformKind::Sgx | PlatformKind::Tdx => {
            let quote = Quote::parse(bytes).map_err(|e| format!("not a DCAP quote: {e:#}"))?;
            match (&quote.report, platform) {
                (Report::SgxEnclave(enclave), PlatformKind::Sgx) => Ok((
                    Measurement::new(enclave.mr_enclave.to_vec()),
                    enclave.report_data,
                )),
                (report, PlatformKind::Tdx) => {
                    let td = report
                        .as_td10()
                        .ok_or_else(|| "a DCAP quote, but not of a TD".to_string())?;
                    Ok((Measurement::new(td.mr_td.to_vec()), td.report_data))
                }
                _ => Err("a DCAP quote, but not of an SGX enclave".to_string()),
            }
        }
        PlatformKind::Snp => {
            let report = AttestationReport::from_bytes(bytes)
                .map_err(|e| format!("not an SEV-SNP report: {e}"))?;
            let mut report_data = [0u8; REPORT_DATA_LEN];
            report_data.copy_from_slice(&report.report_data);
            Ok((Measurement::new(report.measurement.to_vec()), report_data))
        }
        PlatformKind::Sim => Err("sim evidence is not read here".to_string()),
    }
}
