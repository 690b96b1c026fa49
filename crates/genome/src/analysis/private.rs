//! `private_allele_frequency`: allele counts of a region released with the Laplace
//! mechanism, ε-differentially private for every sample of every input.
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
//! Not stopped: a genotype with three or more distinct called alleles (polyploid)
//! adds more than 2 to AN, beyond the sensitivity assumed; the floating-point attacks
//! on textbook Laplace sampling are mitigated only by rounding the counts.

use super::release::{AlleleRow, GenomeOutput, minor_allele_count};
use super::run::{GenomeInput, cut, empty, frequency, tally_inputs};
use super::{AnalysisError, DEFAULT_LIMIT, GenomeAnalysis};

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

/// Runs `private_allele_frequency` over `inputs` with the noise of `privacy`; any
/// other analysis is refused (see [`super::run`]).
pub fn run_private(
    analysis: &GenomeAnalysis,
    owner_k: u32,
    inputs: Vec<GenomeInput<'_>>,
    privacy: Privacy<'_>,
) -> Result<GenomeOutput, AnalysisError> {
    let GenomeAnalysis::PrivateAlleleFrequency {
        region,
        min_af,
        limit,
        k,
        ..
    } = analysis
    else {
        return Err(AnalysisError::Parameters(format!(
            "{} releases exact counts; only private_allele_frequency adds noise",
            analysis.name()
        )));
    };
    analysis.validate().map_err(AnalysisError::Parameters)?;
    let epsilon = privacy.epsilon;
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(AnalysisError::Parameters(format!(
            "epsilon: {epsilon} is not a positive number"
        )));
    }
    let k = owner_k.max(k.unwrap_or(1)).max(1);
    let limit = limit.unwrap_or(DEFAULT_LIMIT) as usize;
    let input_count = u32::try_from(inputs.len())
        .map_err(|_| AnalysisError::Parameters("too many inputs".into()))?;
    let merged = tally_inputs(analysis, Some(region), inputs)?;
    let candidates = merged.len().min(limit);
    let scale = SENSITIVITY_PER_SITE * limit as f64 / epsilon;
    let laplace = privacy.laplace;
    let mut noisy = |count: u64| -> Result<u64, AnalysisError> {
        let noise = laplace(scale).map_err(|e| AnalysisError::Inputs(format!("noise: {e}")))?;
        let value = (count as f64 + noise).round();
        Ok(if value <= 0.0 { 0 } else { value as u64 })
    };
    let mut out = empty(input_count, candidates as u64, k);
    out.epsilon = Some(epsilon);
    for (key, tally) in merged.sites().take(candidates) {
        let an = noisy(tally.counts.an)?;
        for (alternate, &ac) in key.alternates.iter().zip(&tally.counts.ac) {
            let ac = noisy(ac)?.min(an);
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
