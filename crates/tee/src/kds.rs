//! The VCEK of an SEV-SNP report from AMD's Key Distribution Service (KDS): which URL
//! serves it. No I/O here: the host GETs [`KdsQuery::url`] and reads the answer with
//! [`SnpCollateral::from_vcek`](crate::SnpCollateral::from_vcek).
//!
//! ```text
//! {base}/vcek/v1/{Milan|Genoa}/{CHIP_ID, 64 bytes hex}?blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U
//! {base}/vcek/v1/Turin/{CHIP_ID, first 8 bytes hex}?fmcSPL=F&blSPL=B&teeSPL=T&snpSPL=S&ucodeSPL=U
//! ```
//!
//! The SPLs are the report's `REPORTED_TCB`, the VCEK of that TCB version being the one
//! that signs the report. The product comes from the report's CPUID fields (report
//! version 3 and later) or, for older reports, from the caller. Nothing the KDS answers
//! is trusted: the verifier checks the VCEK's chain up to its roots and its `hwID` and
//! SPL extensions against the report.

use std::fmt;
use std::str::FromStr;

use sev::firmware::guest::AttestationReport;
use sev::parser::ByteParser;

use crate::error::CollateralError;

/// An AMD EPYC generation, as KDS names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnpProduct {
    /// EPYC 7003 (family 19h, models 00h–0Fh).
    Milan,
    /// EPYC 9004 (family 19h, models 10h–1Fh and A0h–AFh).
    Genoa,
    /// EPYC 9005 (family 1Ah).
    Turin,
}

impl SnpProduct {
    /// The name KDS uses in its paths.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Milan => "Milan",
            Self::Genoa => "Genoa",
            Self::Turin => "Turin",
        }
    }

    /// The generation of a CPUID family and model, if it is one of the three.
    pub fn of_cpuid(family: u8, model: u8) -> Option<Self> {
        match (family, model) {
            (0x19, 0x00..=0x0f) => Some(Self::Milan),
            (0x19, 0x10..=0x1f | 0xa0..=0xaf) => Some(Self::Genoa),
            (0x1a, _) => Some(Self::Turin),
            _ => None,
        }
    }
}

impl fmt::Display for SnpProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SnpProduct {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "milan" => Ok(Self::Milan),
            "genoa" => Ok(Self::Genoa),
            "turin" => Ok(Self::Turin),
            _ => Err(format!("{text:?} is none of Milan, Genoa, Turin")),
        }
    }
}

/// What identifies a report's VCEK at KDS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KdsQuery {
    product: SnpProduct,
    hwid: String,
    spls: String,
}

impl KdsQuery {
    /// Reads the chip and TCB of `report`; its product from the report's CPUID fields
    /// or, when the report has none (versions before 3), `product`.
    pub fn for_report(report: &[u8], product: Option<SnpProduct>) -> Result<Self, CollateralError> {
        let bad = |reason: String| CollateralError::Kds(reason);
        let parsed = AttestationReport::from_bytes(report)
            .map_err(|e| bad(format!("the report does not parse: {e}")))?;
        let from_cpuid = match (parsed.cpuid_fam_id, parsed.cpuid_mod_id) {
            (Some(family), Some(model)) => Some(SnpProduct::of_cpuid(family, model).ok_or_else(
                || bad(format!("the report's CPUID family {family:#x} model {model:#x} is no generation KDS serves")),
            )?),
            _ => None,
        };
        let product = match (from_cpuid, product) {
            (Some(found), Some(given)) if found != given => {
                return Err(bad(format!(
                    "the report comes from a {found} chip, the setting names {given}"
                )));
            }
            (Some(found), _) => found,
            (None, Some(given)) => given,
            (None, None) => {
                return Err(bad(format!(
                    "the report (version {}) does not name its chip's generation: set the \
                     product (Milan, Genoa or Turin)",
                    parsed.version
                )));
            }
        };
        let tcb = &parsed.reported_tcb;
        let mut spls = String::new();
        let hwid = match product {
            SnpProduct::Turin => {
                let fmc = tcb
                    .fmc
                    .ok_or_else(|| bad("a Turin report without an FMC SPL".into()))?;
                spls.push_str(&format!("fmcSPL={fmc:02}&"));
                hex::encode(&parsed.chip_id[..8])
            }
            SnpProduct::Milan | SnpProduct::Genoa => hex::encode(parsed.chip_id),
        };
        spls.push_str(&format!(
            "blSPL={:02}&teeSPL={:02}&snpSPL={:02}&ucodeSPL={:02}",
            tcb.bootloader, tcb.tee, tcb.snp, tcb.microcode
        ));
        Ok(Self {
            product,
            hwid,
            spls,
        })
    }

    /// The product the VCEK is asked for.
    pub fn product(&self) -> SnpProduct {
        self.product
    }

    /// The VCEK's URL under `base` (`https://kdsintf.amd.com`; a trailing `/` is
    /// ignored).
    pub fn url(&self, base: &str) -> String {
        format!(
            "{}/vcek/v1/{}/{}?{}",
            base.trim_end_matches('/'),
            self.product,
            self.hwid,
            self.spls
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn cpuid_names_the_generation() {
        assert_eq!(SnpProduct::of_cpuid(0x19, 0x01), Some(SnpProduct::Milan));
        assert_eq!(SnpProduct::of_cpuid(0x19, 0x11), Some(SnpProduct::Genoa));
        assert_eq!(SnpProduct::of_cpuid(0x19, 0xa0), Some(SnpProduct::Genoa));
        assert_eq!(SnpProduct::of_cpuid(0x1a, 0x02), Some(SnpProduct::Turin));
        assert_eq!(SnpProduct::of_cpuid(0x17, 0x31), None);
    }

    #[test]
    fn product_names_parse_in_any_case_and_others_are_named() {
        assert_eq!("milan".parse::<SnpProduct>().unwrap(), SnpProduct::Milan);
        assert_eq!("TURIN".parse::<SnpProduct>().unwrap(), SnpProduct::Turin);
        assert!(
            "Rome"
                .parse::<SnpProduct>()
                .unwrap_err()
                .contains("\"Rome\"")
        );
    }
}
