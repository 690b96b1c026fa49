//! Everything the worker's analyses need from one dataset, in one pass: per site the
//! allele counts of all samples, of cases and of controls, and the genotype counts
//! per ALT. Every number is a count, so tallies of datasets holding different samples
//! of the same sites sum ([`crate::MergedTallies`]).

use crate::{
    counts::{SiteCounts, SiteKey, count_record},
    error::ReadError,
    genotype::AlleleCounter,
    hwe::hwe_p_value,
    phenotype::Phenotypes,
    reader::VcfReader,
};

/// Diploid genotype counts for one ALT allele, for Hardy-Weinberg.
///
/// The rule is bcftools +fill-tags' for its HWE tag: for ALT `a`, a sample
/// homozygous for `a` (`a/a`) is hom-alt; a heterozygous sample carrying `a` (`0/a`,
/// `a/b`) is het; a homozygous REF sample (`0/0`) and a heterozygous sample without
/// `a` (`0/b`, `b/c`) are hom-ref (all its alleles are "not `a`"). Not counted:
/// samples homozygous for another ALT (`b/b`, which bcftools leaves out), haploid and
/// partly missing single-allele genotypes (`1`, `1/.`), uncalled ones. A heterozygous
/// genotype with a missing allele (`0/1/.`) is het, as in bcftools. For genotypes
/// with three or more distinct alleles (polyploid) this diploid rule differs from
/// bcftools, which then counts alleles rather than samples (and usually stops with
/// "Expected diploid genotypes").
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct GenotypeCounts {
    /// Samples counted as homozygous for REF (not carrying this ALT).
    pub hom_ref: u64,
    /// Heterozygous samples carrying this ALT.
    pub het: u64,
    /// Samples homozygous for this ALT.
    pub hom_alt: u64,
}

impl GenotypeCounts {
    /// Adds `other`'s counts.
    pub fn add(&mut self, other: &GenotypeCounts) {
        self.hom_ref += other.hom_ref;
        self.het += other.het;
        self.hom_alt += other.hom_alt;
    }

    /// The Hardy-Weinberg exact p-value of these counts ([`hwe_p_value`]): what
    /// bcftools +fill-tags writes as HWE for this ALT.
    pub fn hwe_p_value(&self) -> f64 {
        hwe_p_value(self.het, self.hom_ref, self.hom_alt)
    }
}

/// The summable part of a [`SiteTally`].
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Tally {
    /// Allele counts of all samples, by the rules of [`crate::count_alleles`].
    pub counts: SiteCounts,
    /// Genotype counts per ALT, in ALT order.
    pub genotypes: Vec<GenotypeCounts>,
    /// Allele counts of the samples listed as cases (zero without phenotypes).
    pub case: SiteCounts,
    /// Allele counts of the samples listed as controls (zero without phenotypes).
    pub control: SiteCounts,
}

impl Tally {
    /// Adds `other`'s counts (the same site in another dataset, so as many ALTs).
    pub fn add(&mut self, other: &Tally) {
        self.counts.add(&other.counts);
        for (sum, g) in self.genotypes.iter_mut().zip(&other.genotypes) {
            sum.add(g);
        }
        self.case.add(&other.case);
        self.control.add(&other.control);
    }
}

/// One record's site and tally.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct SiteTally {
    /// The record's line in its file (for BCF, its number).
    pub line: u64,
    /// The site.
    pub key: SiteKey,
    /// Whether the record has GT in FORMAT (all counts are 0 otherwise).
    pub genotyped: bool,
    /// The counts.
    pub tally: Tally,
}

/// Tallies each record of `reader`, one record at a time; with `phenotypes`, samples
/// listed as cases and controls are also counted apart (see [`Phenotypes::join`];
/// unlisted samples count only in the whole).
///
/// Memory per record is independent of the number of samples, and nothing is
/// allocated per sample.
pub fn tally_sites<'r, 'a>(
    reader: &'r mut VcfReader<'a>,
    phenotypes: Option<&Phenotypes>,
) -> impl Iterator<Item = Result<SiteTally, ReadError>> + use<'r, 'a> {
    let groups = phenotypes
        .map(|p| p.join(reader.sample_names()).groups)
        .unwrap_or_default();
    let mut counter = AlleleCounter::new();
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let result = next_tally(reader, &mut counter, &groups).transpose();
        if !matches!(result, Some(Ok(_))) {
            done = true;
        }
        result
    })
}

pub(crate) fn next_tally(
    reader: &mut VcfReader<'_>,
    counter: &mut AlleleCounter,
    groups: &[crate::genotype::Group],
) -> Result<Option<SiteTally>, ReadError> {
    let Some(record) = reader.next_record()? else {
        return Ok(None);
    };
    let (key, genotyped) = count_record(&record, counter, groups)?;
    Ok(Some(SiteTally {
        line: record.line(),
        key,
        genotyped,
        tally: tally_of(counter),
    }))
}

/// The tally of the record `counter` has counted.
pub(crate) fn tally_of(counter: &AlleleCounter) -> Tally {
    use crate::genotype::Group;
    let alleles = counter.all().len();
    Tally {
        counts: SiteCounts::from_alleles(counter.all()),
        genotypes: (1..alleles)
            .map(|alt| {
                let (hom_ref, het, hom_alt) = counter.classes(alt);
                GenotypeCounts {
                    hom_ref,
                    het,
                    hom_alt,
                }
            })
            .collect(),
        case: SiteCounts::from_alleles(counter.group(Group::Case)),
        control: SiteCounts::from_alleles(counter.group(Group::Control)),
    }
}
