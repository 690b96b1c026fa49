//! `private_allele_frequency` and `private_association`: counts of a region released
//! with the Laplace mechanism, ε-differentially private for every sample of every
//! input.
//!
//! The candidates are the first `limit` sites of the region, in the order the inputs
//! list them; their positions and alleles are taken as public (a genotyping panel or
//! a reference's sites): what the noise protects is each sample's genotypes. Adding or
//! removing one sample changes, at each site, AN by at most 2 and the ALT counts by at
//! most 2 in all (a diploid or haploid call: bcftools' rules count at most two alleles
//! of a sample whose genotype has at most two distinct alleles), so the L1 sensitivity
//! of every released count is at most [`SENSITIVITY_PER_SITE`] per candidate site, and
//! Laplace noise of scale `4 limit / ε` on AN and on each AC makes all of them
//! ε-private together. Everything else is computed from the noisy counts: AF, which
//! rows the minimum AF and the threshold `k` (on the noisy minor-allele count) keep.
//! Genotype counts are not released.
//!
//! `private_association` releases, per candidate site and ALT allele, the four cells of
//! the 2x2 allele table (alt and other alleles of cases and of controls). Adding or
//! removing one sample, or changing its status, moves at most its two alleles out of
//! one group's cells and into the other's: an L1 change of at most
//! [`SENSITIVITY_PER_TABLE`] per table. With `T` tables (the ALT alleles of the
//! candidate sites, public with them), Laplace noise of scale `4 T / ε` on every cell
//! makes them all ε-private together; the AF filter, the threshold `k` on each noisy
//! cell, the odds ratio and the p-value are computed from the noisy cells only.
//!
//! Not stopped: a genotype with three or more distinct called alleles (polyploid)
//! adds more than 2 to AN, beyond the sensitivity assumed; the floating-point attacks
//! on textbook Laplace sampling are mitigated only by rounding the counts.

use super::release::{AlleleRow, GenomeOutput, minor_allele_count};
use super::run::{GenomeInput, association_row, cut, empty, frequency, tally_inputs};
use super::{AnalysisError, DEFAULT_LIMIT, GenomeAnalysis};
use crate::AlleleTable;

/// The most one sample changes the released counts of one site by (L1).
pub const SENSITIVITY_PER_SITE: f64 = 4.0;

/// The noise of a private analysis: the task's ε and a source of Laplace samples.
pub struct Privacy<'a> {
    /// The task's ε (positive), charged to each input's budget by the contract.
    pub epsilon: f64,
    /// Draws one sample of the Laplace distribution of the given scale (from a
    /// cryptographic random number generator, in the worker).
    pub laplace: &'a mut dyn FnMut(f64) -> Result<f64, String>,
}

/// The most one sample changes the four cells of one 2x2 allele table by (L1).
pub const SENSITIVITY_PER_TABLE: f64 = 4.0;

/// Runs a private analysis (`private_allele_frequency`, `private_association`) over
/// `inputs` with the noise of `privacy`; an exact analysis is refused (see
/// [`super::run`]).
pub fn run_private(
    analysis: &GenomeAnalysis,
    owner_k: u32,
    inputs: Vec<GenomeInput<'_>>,
    privacy: Privacy<'_>,
) -> Result<GenomeOutput, AnalysisError> {
    if !analysis.is_private() {
        return Err(AnalysisError::Parameters(format!(
            "{} releases exact counts; only private_allele_frequency and private_association add noise",
            analysis.name()
        )));
    }
    analysis.validate().map_err(AnalysisError::Parameters)?;
    let epsilon = privacy.epsilon;
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(AnalysisError::Parameters(format!(
            "epsilon: {epsilon} is not a positive number"
        )));
    }
    let (region, min_af, limit, k) = analysis.filters();
    let k = owner_k.max(k.unwrap_or(1)).max(1);
    let limit = limit.unwrap_or(DEFAULT_LIMIT) as usize;
    let input_count = u32::try_from(inputs.len())
        .map_err(|_| AnalysisError::Parameters("too many inputs".into()))?;
    let merged = tally_inputs(analysis, region, inputs)?;
    let candidates = merged.len().min(limit);
    let laplace = privacy.laplace;
    let mut noisy = |count: u64, scale: f64| -> Result<u64, AnalysisError> {
        let noise = laplace(scale).map_err(|e| AnalysisError::Inputs(format!("noise: {e}")))?;
        let value = (count as f64 + noise).round();
        Ok(if value <= 0.0 { 0 } else { value as u64 })
    };
    let sites = || merged.sites().take(candidates);
    if let GenomeAnalysis::PrivateAssociation { .. } = analysis {
        let tables: usize = sites().map(|(key, _)| key.alternates.len()).sum();
        let scale = SENSITIVITY_PER_TABLE * tables as f64 / epsilon;
        let mut out = empty(input_count, candidates as u64, k);
        out.epsilon = Some(epsilon);
        for (key, tally) in sites() {
            for (i, alternate) in key.alternates.iter().enumerate() {
                let Some(table) = AlleleTable::new(&tally.case, &tally.control, i) else {
                    continue;
                };
                let table = AlleleTable {
                    case_alt: noisy(table.case_alt, scale)?,
                    case_other: noisy(table.case_other, scale)?,
                    control_alt: noisy(table.control_alt, scale)?,
                    control_other: noisy(table.control_other, scale)?,
                };
                association_row(key, alternate, &table, min_af, k, &mut out);
            }
        }
        out.rows.sort_by(|a, b| a.p.total_cmp(&b.p));
        cut(&mut out, limit);
        return Ok(GenomeOutput::Association(out));
    }
    let scale = SENSITIVITY_PER_SITE * limit as f64 / epsilon;
    let mut out = empty(input_count, candidates as u64, k);
    out.epsilon = Some(epsilon);
    for (key, tally) in sites() {
        let an = noisy(tally.counts.an, scale)?;
        for (alternate, &ac) in key.alternates.iter().zip(&tally.counts.ac) {
            let ac = noisy(ac, scale)?.min(an);
            let af = frequency(ac, an);
            if min_af.is_some_and(|min| af < min) {
                out.filtered += 1;
                continue;
            }
            if minor_allele_count(ac, an) < u64::from(k) {
                out.suppressed += 1;
                continue;
            }
            out.rows.push(AlleleRow {
                chrom: key.chromosome.clone(),
                pos: key.position,
                reference: key.reference.clone(),
                alternate: alternate.clone(),
                ac,
                an,
                af,
                genotypes: None,
            });
        }
    }
    cut(&mut out, limit);
    Ok(GenomeOutput::AlleleFrequency(out))
}
