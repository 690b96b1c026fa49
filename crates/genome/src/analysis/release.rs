//! What a genome analysis releases: its rows, what it withheld, the release rule and
//! the table a requester reads.
//!
//! The rule, with `k` the largest of the inputs' minimum cell sizes and the task's:
//! - a row (one ALT allele of one site) whose minor-allele count `min(AC, AN - AC)` is
//!   below `k` is withheld (this also withholds alleles no sample carries);
//! - genotype counts of a row are withheld (the row stays) when one of them is neither
//!   0 nor at least `k`;
//! - an association row is withheld when a cell of its 2x2 allele table is neither 0
//!   nor at least `k`.
//!
//! A count of 0 is released: it says that no sample of a group carries an allele, which
//! singles no one out. [`check_release`] checks a finished output against the rule
//! independently of the code that applied it, as the last gate before sealing.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A genome analysis's result: `{"name": "allele_frequency", "result": {...}}`, tagged
/// like the other built-ins' results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", content = "result", rename_all = "snake_case")]
pub enum GenomeOutput {
    /// The rows of `allele_frequency`.
    AlleleFrequency(Rows<AlleleRow>),
    /// The rows of `association`.
    Association(Rows<AssociationRow>),
}

/// Released rows and the tally of what was not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rows<R> {
    /// Inputs (datasets) summed.
    pub inputs: u32,
    /// Distinct sites over the inputs (in the region, if the task gave one).
    pub sites: u64,
    /// Rows (site and ALT allele) below `min_af`.
    pub filtered: u64,
    /// Rows withheld by the release rule.
    pub suppressed: u64,
    /// Rows past `limit`, left out.
    pub truncated: u64,
    /// The suppression threshold applied.
    pub k: u32,
    /// The ε of the noise on the counts, when they are differentially private
    /// (`private_allele_frequency`); absent when they are exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// The released rows: in site order (allele frequencies) or by p-value
    /// (association).
    pub rows: Vec<R>,
}

/// One ALT allele of one site, summed over the inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlleleRow {
    /// CHROM.
    pub chrom: String,
    /// POS.
    pub pos: u64,
    /// REF.
    pub reference: String,
    /// This ALT allele.
    pub alternate: String,
    /// AC of this allele.
    pub ac: u64,
    /// AN of the site.
    pub an: u64,
    /// AC / AN, exact in `f64`.
    pub af: f64,
    /// Genotype counts and the Hardy-Weinberg test, unless withheld.
    pub genotypes: Option<Genotypes>,
}

/// Diploid genotype counts of one ALT allele at a site, and the Hardy-Weinberg
/// exact test on them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genotypes {
    /// Samples homozygous for other alleles than this ALT.
    pub hom_ref: u64,
    /// Heterozygous samples carrying this ALT once.
    pub het: u64,
    /// Samples homozygous for this ALT.
    pub hom_alt: u64,
    /// The exact test's p-value (Wigginton et al. 2005).
    pub hwe_p: f64,
}

/// Which test gave an association p-value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Pearson's chi-square, 1 degree of freedom, no continuity correction.
    ChiSquare,
    /// Fisher's exact test, two-sided (an expected cell count was below 5).
    Fisher,
}

/// One ALT allele of one site: the 2x2 allele table over cases and controls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationRow {
    /// CHROM.
    pub chrom: String,
    /// POS.
    pub pos: u64,
    /// REF.
    pub reference: String,
    /// This ALT allele.
    pub alternate: String,
    /// Copies of this ALT among cases.
    pub case_alt: u64,
    /// Copies of other alleles among cases.
    pub case_other: u64,
    /// Copies of this ALT among controls.
    pub control_alt: u64,
    /// Copies of other alleles among controls.
    pub control_other: u64,
    /// The allelic odds ratio; none when a cell is 0.
    pub odds_ratio: Option<f64>,
    /// The p-value.
    pub p: f64,
    /// The test that gave it.
    pub test: Test,
}

/// A released figure that breaks the rule (the row, never a value).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("row #{row} ({site}): {what} is below k = {k}")]
pub struct ReleaseViolation {
    /// The row's index.
    pub row: usize,
    /// The row's site, `CHROM:POS`.
    pub site: String,
    /// Which figure.
    pub what: &'static str,
    /// The threshold.
    pub k: u32,
}

/// Whether `count` may be released under `k`: 0, or at least `k`.
pub(crate) fn releasable(count: u64, k: u32) -> bool {
    count == 0 || count >= u64::from(k)
}

/// The minor-allele count of a row: `min(AC, AN - AC)`.
pub(crate) fn minor_allele_count(ac: u64, an: u64) -> u64 {
    ac.min(an.saturating_sub(ac))
}

/// Checks a finished output against the release rule with threshold `k` (at least
/// the output's own `k`): the first figure that breaks it.
pub fn check_release(output: &GenomeOutput, k: u32) -> Result<(), ReleaseViolation> {
    let k = k.max(1);
    let fail = |row: usize, chrom: &str, pos: u64, what| ReleaseViolation {
        row,
        site: format!("{chrom}:{pos}"),
        what,
        k,
    };
    match output {
        GenomeOutput::AlleleFrequency(rows) => {
            for (i, r) in rows.rows.iter().enumerate() {
                if minor_allele_count(r.ac, r.an) < u64::from(k) {
                    return Err(fail(i, &r.chrom, r.pos, "the minor-allele count"));
                }
                if let Some(g) = &r.genotypes
                    && ![g.hom_ref, g.het, g.hom_alt]
                        .iter()
                        .all(|&c| releasable(c, k))
                {
                    return Err(fail(i, &r.chrom, r.pos, "a genotype count"));
                }
            }
        }
        GenomeOutput::Association(rows) => {
            for (i, r) in rows.rows.iter().enumerate() {
                let cells = [r.case_alt, r.case_other, r.control_alt, r.control_other];
                if !cells.iter().all(|&c| releasable(c, k)) {
                    return Err(fail(i, &r.chrom, r.pos, "a cell of the allele table"));
                }
            }
        }
    }
    Ok(())
}

/// An allele frequency as a VCF INFO field writes it: at most 6 significant digits,
/// without trailing zeros (`0.0123`, `0.333333`, `1`).
pub fn format_af(af: f64) -> String {
    if af == 0.0 {
        return "0".into();
    }
    let digits = 5 - af.abs().log10().floor() as i32;
    let text = format!("{:.*}", digits.max(0) as usize, af);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// A p-value in scientific notation with 3 significant digits.
fn format_p(p: f64) -> String {
    format!("{p:.2e}")
}

impl fmt::Display for GenomeOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlleleFrequency(rows) => {
                writeln!(
                    f,
                    "{:<18} {:<12} {:>8} {:>8} {:<12} {:>26}",
                    "SITE", "ALLELES", "AC", "AN", "AF", "GENOTYPES 0/0 0/1 1/1 HWE p"
                )?;
                for r in &rows.rows {
                    let genotypes = match &r.genotypes {
                        Some(g) => format!(
                            "{} {} {} {}",
                            g.hom_ref,
                            g.het,
                            g.hom_alt,
                            format_p(g.hwe_p)
                        ),
                        None => "withheld".into(),
                    };
                    writeln!(
                        f,
                        "{:<18} {:<12} {:>8} {:>8} {:<12} {:>26}",
                        format!("{}:{}", r.chrom, r.pos),
                        format!("{}>{}", r.reference, r.alternate),
                        r.ac,
                        r.an,
                        format!("AF={}", format_af(r.af)),
                        genotypes
                    )?;
                }
                summary(f, rows)
            }
            Self::Association(rows) => {
                writeln!(
                    f,
                    "{:<18} {:<12} {:>17} {:>17} {:>10} {:>9} {:<10}",
                    "SITE", "ALLELES", "CASES alt/other", "CONTROLS alt/oth", "OR", "P", "TEST"
                )?;
                for r in &rows.rows {
                    let odds = r
                        .odds_ratio
                        .map_or_else(|| "-".into(), |o| format!("{o:.3}"));
                    let test = match r.test {
                        Test::ChiSquare => "chi-square",
                        Test::Fisher => "fisher",
                    };
                    writeln!(
                        f,
                        "{:<18} {:<12} {:>17} {:>17} {:>10} {:>9} {:<10}",
                        format!("{}:{}", r.chrom, r.pos),
                        format!("{}>{}", r.reference, r.alternate),
                        format!("{}/{}", r.case_alt, r.case_other),
                        format!("{}/{}", r.control_alt, r.control_other),
                        odds,
                        format_p(r.p),
                        test
                    )?;
                }
                summary(f, rows)
            }
        }
    }
}

fn summary<R>(f: &mut fmt::Formatter<'_>, rows: &Rows<R>) -> fmt::Result {
    if let Some(epsilon) = rows.epsilon {
        writeln!(
            f,
            "counts with Laplace noise, epsilon = {epsilon} (not exact)"
        )?;
    }
    write!(
        f,
        "{} sites over {} inputs; {} rows released, {} filtered, {} withheld (k = {}), {} past the limit",
        rows.sites,
        rows.inputs,
        rows.rows.len(),
        rows.filtered,
        rows.suppressed,
        rows.k,
        rows.truncated
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_print_as_a_vcf_info_field_does() {
        for (af, text) in [
            (0.0123, "0.0123"),
            (1.0 / 3.0, "0.333333"),
            (1.0, "1"),
            (0.5, "0.5"),
            (2.0 / 3.0, "0.666667"),
            (0.000_123_456_7, "0.000123457"),
            (0.0, "0"),
        ] {
            assert_eq!(format_af(af), text, "{af}");
        }
    }

    fn allele_row(ac: u64, an: u64, genotypes: Option<[u64; 3]>) -> AlleleRow {
        AlleleRow {
            chrom: "1".into(),
            pos: 100,
            reference: "A".into(),
            alternate: "G".into(),
            ac,
            an,
            af: ac as f64 / an as f64,
            genotypes: genotypes.map(|[hom_ref, het, hom_alt]| Genotypes {
                hom_ref,
                het,
                hom_alt,
                hwe_p: 1.0,
            }),
        }
    }

    fn output(rows: Vec<AlleleRow>) -> GenomeOutput {
        GenomeOutput::AlleleFrequency(Rows {
            inputs: 1,
            sites: 1,
            filtered: 0,
            suppressed: 0,
            truncated: 0,
            k: 5,
            epsilon: None,
            rows,
        })
    }

    #[test]
    fn the_check_refuses_a_minor_allele_count_below_k() {
        assert!(check_release(&output(vec![allele_row(5, 100, None)]), 5).is_ok());
        let e = check_release(&output(vec![allele_row(4, 100, None)]), 5).err();
        assert_eq!(e.map(|e| e.what), Some("the minor-allele count"));
        // The minor allele may be REF.
        let e = check_release(&output(vec![allele_row(97, 100, None)]), 5).err();
        assert_eq!(e.map(|e| e.what), Some("the minor-allele count"));
    }

    #[test]
    fn the_check_refuses_a_small_genotype_count_but_not_a_zero() {
        assert!(check_release(&output(vec![allele_row(10, 100, Some([45, 10, 0]))]), 5).is_ok());
        let e = check_release(&output(vec![allele_row(10, 100, Some([42, 6, 2]))]), 5).err();
        assert_eq!(e.map(|e| e.what), Some("a genotype count"));
    }
}
