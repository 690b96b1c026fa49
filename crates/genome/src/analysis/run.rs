//! Running a genome analysis over its inputs: each input's VCF read once, record by
//! record (only the region's records, through an index, when the input has one and
//! the analysis a region), its counts summed site by site, then filtered, withheld
//! under the release rule, and cut to the limit.

use std::io::{BufReader, Read, Seek};

use super::release::{
    AlleleRow, AssociationRow, GenomeOutput, Genotypes, Rows, Test, minor_allele_count, releasable,
};
use super::{AnalysisError, DEFAULT_LIMIT, GenomeAnalysis, Region};
use crate::{
    AlleleTable, AssociationTest, GenomeReader, IndexedVcf, MergedTallies, Phenotypes, ReadError,
    SiteKey, SiteTally, Tally, VcfIndex,
};

/// One input of an analysis: a dataset's VCF and, for association, its phenotype
/// table, each read as the worker decrypts it.
pub struct GenomeInput<'a> {
    /// The input's name in errors (its dataset id).
    pub label: String,
    /// The VCF (plain, BGZF or gzip).
    pub vcf: Box<dyn Read + 'a>,
    /// The phenotype table (`sample,status`), for association.
    pub phenotypes: Option<Box<dyn Read + 'a>>,
    /// The VCF's index, if the dataset has one: when the analysis has a region, the
    /// VCF is read through it and `vcf` is not read.
    pub index: Option<GenomeIndex<'a>>,
}

/// An input's VCF index (tabix or CSI) and the VCF again, seekable.
pub struct GenomeIndex<'a> {
    /// The index file's name, for errors.
    pub file: String,
    /// The index's bytes.
    pub index: Box<dyn Read + 'a>,
    /// The VCF, seekable. Read through the index when it is BGZF-compressed VCF;
    /// otherwise (BCF, plain text or gzip) streamed from its start.
    pub vcf: Box<dyn ReadSeek + 'a>,
}

/// A seekable reader.
pub trait ReadSeek: Read + Seek {}

impl<T: Read + Seek> ReadSeek for T {}

/// Runs `analysis` over `inputs`; `owner_k` is the largest minimum cell size of the
/// inputs' datasets (the task's `k` can only raise it). A malformed record of any
/// input fails the whole analysis, naming the input and the line.
pub fn run(
    analysis: &GenomeAnalysis,
    owner_k: u32,
    inputs: Vec<GenomeInput<'_>>,
) -> Result<GenomeOutput, AnalysisError> {
    analysis.validate().map_err(AnalysisError::Parameters)?;
    if analysis.is_private() {
        return Err(needs_epsilon());
    }
    let (region, min_af, limit, requested_k) = analysis.filters();
    let k = owner_k.max(requested_k.unwrap_or(1)).max(1);
    let limit = limit.unwrap_or(DEFAULT_LIMIT) as usize;
    let input_count = u32::try_from(inputs.len())
        .map_err(|_| AnalysisError::Parameters("too many inputs".into()))?;
    let merged = tally_inputs(analysis, region, inputs)?;
    let sites = merged.len() as u64;
    Ok(match analysis {
        GenomeAnalysis::AlleleFrequency { .. } => {
            let mut out = empty(input_count, sites, k);
            for (key, tally) in merged.sites() {
                allele_rows(key, tally, min_af, k, &mut out);
            }
            cut(&mut out, limit);
            GenomeOutput::AlleleFrequency(out)
        }
        GenomeAnalysis::PrivateAlleleFrequency { .. }
        | GenomeAnalysis::PrivateAssociation { .. } => return Err(needs_epsilon()),
        GenomeAnalysis::Association { .. } => {
            let mut out = empty(input_count, sites, k);
            for (key, tally) in merged.sites() {
                association_rows(key, tally, min_af, k, &mut out);
            }
            // The most significant first; ties keep the sites' order (a stable sort).
            out.rows.sort_by(|a, b| a.p.total_cmp(&b.p));
            cut(&mut out, limit);
            GenomeOutput::Association(out)
        }
    })
}

/// Reads every input once and sums their tallies, keeping only the sites in `region`.
pub(super) fn tally_inputs(
    analysis: &GenomeAnalysis,
    region: Option<&Region>,
    inputs: Vec<GenomeInput<'_>>,
) -> Result<MergedTallies, AnalysisError> {
    let mut merged = MergedTallies::new();
    for input in inputs {
        let phenotypes = match (analysis.phenotype_file(), input.phenotypes) {
            (None, _) => None,
            (Some(file), None) => {
                return Err(AnalysisError::Phenotypes {
                    input: input.label,
                    file: file.to_owned(),
                    reason: "the input has no phenotype table".into(),
                });
            }
            (Some(file), Some(table)) => {
                Some(Phenotypes::read(BufReader::new(table)).map_err(|e| {
                    AnalysisError::Phenotypes {
                        input: input.label.clone(),
                        file: file.to_owned(),
                        reason: e.to_string(),
                    }
                })?)
            }
        };
        let read = |source| AnalysisError::Read {
            input: input.label.clone(),
            file: analysis.vcf_file().to_owned(),
            source,
        };
        let in_region = |site: &Result<SiteTally, ReadError>| match (site, region) {
            (Ok(site), Some(region)) => region.contains(&site.key.chromosome, site.key.position),
            _ => true,
        };
        match (input.index, region) {
            (Some(indexed), Some(region)) => {
                let mut vcf = indexed.vcf;
                let indexable = IndexedVcf::is_indexable(&mut vcf)
                    .map_err(|source| read(ReadError::Io { line: 0, source }))?;
                if indexable {
                    let index = VcfIndex::read(&indexed.file, indexed.index).map_err(|source| {
                        AnalysisError::Read {
                            input: input.label.clone(),
                            file: indexed.file.clone(),
                            source,
                        }
                    })?;
                    let mut reader = IndexedVcf::new(vcf, index).map_err(read)?;
                    let tallies = reader
                        .query(region, phenotypes.as_ref())
                        .map_err(|source| AnalysisError::Read {
                            input: input.label.clone(),
                            file: indexed.file.clone(),
                            source,
                        })?;
                    merged.add_dataset(tallies).map_err(read)?;
                } else {
                    let mut reader = GenomeReader::new(vcf).map_err(read)?;
                    merged
                        .add_dataset(reader.tallies(phenotypes.as_ref()).filter(in_region))
                        .map_err(read)?;
                }
            }
            _ => {
                let mut reader = GenomeReader::new(input.vcf).map_err(read)?;
                merged
                    .add_dataset(reader.tallies(phenotypes.as_ref()).filter(in_region))
                    .map_err(read)?;
            }
        }
    }
    Ok(merged)
}

/// The error of a private analysis run without noise.
fn needs_epsilon() -> AnalysisError {
    AnalysisError::Parameters(
        "a private analysis releases noisy counts: it needs an epsilon (run_private)".into(),
    )
}

/// No rows yet, of `sites` sites over `inputs` inputs, under `k`.
pub(super) fn empty<R>(inputs: u32, sites: u64, k: u32) -> Rows<R> {
    Rows {
        inputs,
        sites,
        filtered: 0,
        suppressed: 0,
        truncated: 0,
        k,
        epsilon: None,
        rows: Vec::new(),
    }
}

/// Leaves at most `limit` rows, counting the others as truncated.
pub(super) fn cut<R>(out: &mut Rows<R>, limit: usize) {
    if out.rows.len() > limit {
        out.truncated = (out.rows.len() - limit) as u64;
        out.rows.truncate(limit);
    }
}

/// AF of `ac` over `an` (0 when no allele was called).
pub(super) fn frequency(ac: u64, an: u64) -> f64 {
    if an == 0 { 0.0 } else { ac as f64 / an as f64 }
}

/// The rows of one site (one per ALT allele): below `min_af` filtered, a minor-allele
/// count below `k` withheld, genotype counts withheld when one is small.
fn allele_rows(
    key: &SiteKey,
    tally: &Tally,
    min_af: Option<f64>,
    k: u32,
    out: &mut Rows<AlleleRow>,
) {
    let counts = &tally.counts;
    for (i, (alternate, &ac)) in key.alternates.iter().zip(&counts.ac).enumerate() {
        let af = frequency(ac, counts.an);
        if min_af.is_some_and(|min| af < min) {
            out.filtered += 1;
            continue;
        }
        if minor_allele_count(ac, counts.an) < u64::from(k) {
            out.suppressed += 1;
            continue;
        }
        let genotypes = tally.genotypes.get(i).and_then(|g| {
            let cells = [g.hom_ref, g.het, g.hom_alt];
            (cells.iter().any(|&c| c > 0) && cells.iter().all(|&c| releasable(c, k))).then(|| {
                Genotypes {
                    hom_ref: g.hom_ref,
                    het: g.het,
                    hom_alt: g.hom_alt,
                    hwe_p: g.hwe_p_value(),
                }
            })
        });
        out.rows.push(AlleleRow {
            chrom: key.chromosome.clone(),
            pos: key.position,
            reference: key.reference.clone(),
            alternate: alternate.clone(),
            ac,
            an: counts.an,
            af,
            genotypes,
        });
    }
}

/// The association rows of one site (one per ALT allele): below `min_af` (over all
/// samples) or carried by no case or control filtered, a small cell withheld.
fn association_rows(
    key: &SiteKey,
    tally: &Tally,
    min_af: Option<f64>,
    k: u32,
    out: &mut Rows<AssociationRow>,
) {
    for (i, alternate) in key.alternates.iter().enumerate() {
        let (Some(&ac), Some(table)) = (
            tally.counts.ac.get(i),
            AlleleTable::new(&tally.case, &tally.control, i),
        ) else {
            continue;
        };
        let af = frequency(ac, tally.counts.an);
        if min_af.is_some_and(|min| af < min) {
            out.filtered += 1;
            continue;
        }
        association_row(key, alternate, &table, None, k, out);
    }
}

/// The row of one ALT allele's table: carried by no case or control, or below
/// `min_af` over the table's alleles, filtered; a small cell withheld.
pub(super) fn association_row(
    key: &SiteKey,
    alternate: &str,
    table: &AlleleTable,
    min_af: Option<f64>,
    k: u32,
    out: &mut Rows<AssociationRow>,
) {
    let alt = table.case_alt + table.control_alt;
    let all = alt + table.case_other + table.control_other;
    if alt == 0 || min_af.is_some_and(|min| frequency(alt, all) < min) {
        out.filtered += 1;
        return;
    }
    let cells = [
        table.case_alt,
        table.case_other,
        table.control_alt,
        table.control_other,
    ];
    if !cells.iter().all(|&c| releasable(c, k)) {
        out.suppressed += 1;
        return;
    }
    let tested = table.test();
    out.rows.push(AssociationRow {
        chrom: key.chromosome.clone(),
        pos: key.position,
        reference: key.reference.clone(),
        alternate: alternate.to_owned(),
        case_alt: table.case_alt,
        case_other: table.case_other,
        control_alt: table.control_alt,
        control_other: table.control_other,
        odds_ratio: tested.odds_ratio,
        p: tested.p_value,
        test: match tested.test {
            AssociationTest::ChiSquare => Test::ChiSquare,
            AssociationTest::FisherExact => Test::Fisher,
        },
    });
}
