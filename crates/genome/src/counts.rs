//! Allele counts per site (AC per ALT, AN, AF), one record at a time.

use crate::{
    error::ReadError,
    genotype::{AlleleCounter, Group},
    reader::{Record, VcfReader},
};

/// What identifies a site across datasets: CHROM, POS, REF and ALT (in order).
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct SiteKey {
    /// CHROM.
    pub chromosome: String,
    /// POS.
    pub position: u64,
    /// REF.
    pub reference: String,
    /// The ALT alleles, empty when ALT is `.`.
    pub alternates: Vec<String>,
}

/// Allele counts at one site, summable across datasets.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct SiteCounts {
    /// AN: called alleles (the rules are in [`crate`]'s documentation).
    pub an: u64,
    /// AC: per ALT allele, in ALT order.
    pub ac: Vec<u64>,
}

impl SiteCounts {
    /// Zero counts for a site with `alternates` ALT alleles.
    pub fn zero(alternates: usize) -> Self {
        Self {
            an: 0,
            ac: vec![0; alternates],
        }
    }

    /// Counts from per-allele counts (index 0 REF, then each ALT).
    pub(crate) fn from_alleles(alleles: &[u64]) -> Self {
        Self {
            an: alleles.iter().sum(),
            ac: alleles.get(1..).unwrap_or_default().to_vec(),
        }
    }

    /// AF per ALT allele, AC / AN; `None` when AN is 0 (bcftools writes `AF=.`).
    pub fn af(&self) -> Option<Vec<f64>> {
        if self.an == 0 {
            return None;
        }
        Some(
            self.ac
                .iter()
                .map(|&ac| ac as f64 / self.an as f64)
                .collect(),
        )
    }

    /// Adds `other`'s counts (the same site in another dataset, so as many ALTs).
    pub fn add(&mut self, other: &SiteCounts) {
        self.an += other.an;
        for (sum, ac) in self.ac.iter_mut().zip(&other.ac) {
            *sum += ac;
        }
    }
}

/// One record's site and counts.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Site {
    /// The record's line in its file (for BCF, its number).
    pub line: u64,
    /// The site.
    pub key: SiteKey,
    /// Whether the record has GT in FORMAT (bcftools fills no tag otherwise; the
    /// counts are then 0).
    pub genotyped: bool,
    /// The counts over the record's samples.
    pub counts: SiteCounts,
}

/// Counts the alleles of each record of `reader`, one record at a time.
pub fn count_alleles<'r, 'a>(
    reader: &'r mut VcfReader<'a>,
) -> impl Iterator<Item = Result<Site, ReadError>> + use<'r, 'a> {
    let mut counter = AlleleCounter::new();
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let result = next_site(reader, &mut counter).transpose();
        if !matches!(result, Some(Ok(_))) {
            done = true;
        }
        result
    })
}

/// Reads and counts the next record.
fn next_site(
    reader: &mut VcfReader<'_>,
    counter: &mut AlleleCounter,
) -> Result<Option<Site>, ReadError> {
    let Some(record) = reader.next_record()? else {
        return Ok(None);
    };
    let (key, genotyped) = count_record(&record, counter, &[])?;
    Ok(Some(Site {
        line: record.line(),
        key,
        genotyped,
        counts: SiteCounts::from_alleles(counter.all()),
    }))
}

/// Counts one record's genotypes into `counter`, each sample also into its group
/// (`groups[column - 1]`, unlisted when `groups` is shorter): the site's key and
/// whether it has GT.
pub(crate) fn count_record(
    record: &Record<'_>,
    counter: &mut AlleleCounter,
    groups: &[Group],
) -> Result<(SiteKey, bool), ReadError> {
    let key = SiteKey {
        chromosome: record.chromosome().to_owned(),
        position: record.position(),
        reference: record.reference().to_owned(),
        alternates: record.alternates(),
    };
    counter.reset(key.alternates.len() + 1);
    let genotyped = match record.for_each_genotype(|column, gt| {
        let group = groups.get(column - 1).copied().unwrap_or(Group::Unlisted);
        counter.add_text(gt.as_bytes(), column, group)
    }) {
        None => false,
        Some(Ok(())) => true,
        Some(Err(problem)) => {
            return Err(ReadError::Record {
                line: record.line(),
                problem,
            });
        }
    };
    Ok((key, genotyped))
}
