//! One sample's GT value and what it adds to a site's allele and genotype counts, by
//! the rules of `bcftools +fill-tags -- -t AN,AC,AF,HWE` (bcftools 1.16,
//! `plugins/fill-tags.c`), without allocating per sample.

use crate::error::RecordProblem;

/// Where a sample's alleles are counted besides the whole dataset: the phenotype
/// group of its column (see [`crate::Phenotypes`]).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Group {
    /// A case.
    Case = 1,
    /// A control.
    Control = 2,
    /// Not listed in the phenotypes (or none given): counted only in the whole.
    Unlisted = 0,
}

/// The counts of one record, filled sample by sample and reused from record to record.
///
/// Allele rules, those of `bcftools +fill-tags` without `-d`:
/// - the called alleles are those that are not `.`; with none (`.`, `./.`, `.|.`) the
///   sample adds nothing;
/// - with two or more distinct called alleles (heterozygous), each distinct allele
///   counts once, whatever the ploidy (`0/1/1` adds REF 1 and ALT 1);
/// - with one distinct allele: 1 if the genotype is haploid (`1`) or partly missing
///   (`0/.`, `./1/1`), otherwise 2, whatever the ploidy (`0/0` and `0/0/0` add 2).
///
/// Genotype classes (for Hardy-Weinberg): a sample is homozygous for allele `a` when
/// `a` is its only called allele, no allele is missing and its ploidy is at least 2;
/// heterozygous when it has two or more distinct called alleles (even with one
/// missing, as bcftools counts it).
pub(crate) struct AlleleCounter {
    /// REF plus ALT.
    alleles: usize,
    /// Allele counts of all samples, then of cases, then of controls (`alleles` each).
    counts: Vec<u64>,
    /// Per allele: homozygous samples.
    hom: Vec<u64>,
    /// Per allele: samples with this allele as their only called one (homozygous,
    /// haploid or partly missing).
    only: Vec<u64>,
    /// Samples with two or more distinct called alleles.
    het_samples: u64,
    /// Per allele: the last sample (its `sample` value) that called it.
    stamp: Vec<u32>,
    /// Incremented per sample, so that `stamp` marks distinct alleles without clearing.
    sample: u32,
}

/// A sample's alleles as they are read.
#[derive(Default)]
struct SampleState {
    ploidy: usize,
    called: usize,
    distinct: usize,
    first: usize,
}

impl AlleleCounter {
    /// A counter for records of no allele yet (call [`Self::reset`]).
    pub(crate) fn new() -> Self {
        Self {
            alleles: 0,
            counts: Vec::new(),
            hom: Vec::new(),
            only: Vec::new(),
            het_samples: 0,
            stamp: Vec::new(),
            sample: 0,
        }
    }

    /// Clears the counts for a record of `alleles` alleles (REF plus ALT).
    pub(crate) fn reset(&mut self, alleles: usize) {
        self.alleles = alleles;
        self.counts.clear();
        self.counts.resize(3 * alleles, 0);
        for v in [&mut self.hom, &mut self.only] {
            v.clear();
            v.resize(alleles, 0);
        }
        self.stamp.clear();
        self.stamp.resize(alleles, 0);
        self.sample = 0;
        self.het_samples = 0;
    }

    /// Allele counts (index 0 is REF, then each ALT) of all samples.
    pub(crate) fn all(&self) -> &[u64] {
        &self.counts[..self.alleles]
    }

    /// Allele counts of the samples of `group` (all samples for `Unlisted`).
    pub(crate) fn group(&self, group: Group) -> &[u64] {
        let start = group as usize * self.alleles;
        &self.counts[start..start + self.alleles]
    }

    /// Genotype classes for ALT `alt` (1-based allele index): (hom-ref, het, hom-alt),
    /// where a heterozygous sample without `alt` counts as hom-ref and a sample
    /// homozygous for another ALT is not counted (bcftools' HWE rule).
    pub(crate) fn classes(&self, alt: usize) -> (u64, u64, u64) {
        let het_with = self.counts[alt] - self.hom[alt] - self.only[alt];
        let hom_ref = self.hom[0] + (self.het_samples - het_with);
        (hom_ref, het_with, self.hom[alt])
    }

    /// Adds the GT value `gt` of the sample in column `column` (1-based, for errors).
    pub(crate) fn add_text(
        &mut self,
        gt: &[u8],
        column: usize,
        group: Group,
    ) -> Result<(), RecordProblem> {
        let invalid = || RecordProblem::Genotype { sample: column };
        // VCF 4.4 allows a leading phase marker (`|0|1`, `/0`).
        let body = match gt.first() {
            Some(b'/' | b'|') => &gt[1..],
            _ => gt,
        };
        if body.is_empty() {
            return Err(invalid());
        }
        let mut state = self.begin_sample();
        let mut tokens = body.split(|&b| b == b'/' || b == b'|');
        for token in &mut tokens {
            state.ploidy += 1;
            if token == b"." {
                continue;
            }
            if token.is_empty() {
                return Err(invalid());
            }
            let mut index = 0usize;
            for &b in token {
                if !b.is_ascii_digit() {
                    return Err(invalid());
                }
                index = index
                    .checked_mul(10)
                    .and_then(|i| i.checked_add(usize::from(b - b'0')))
                    .ok_or_else(invalid)?;
            }
            self.allele(&mut state, index, column, group)?;
        }
        self.end_sample(&state, group);
        Ok(())
    }

    /// Adds a sample given as its alleles in order (`None` for `.`), as BCF stores them.
    pub(crate) fn add_alleles(
        &mut self,
        alleles: &[Option<usize>],
        column: usize,
        group: Group,
    ) -> Result<(), RecordProblem> {
        let mut state = self.begin_sample();
        state.ploidy = alleles.len();
        for &index in alleles.iter().flatten() {
            self.allele(&mut state, index, column, group)?;
        }
        self.end_sample(&state, group);
        Ok(())
    }

    fn begin_sample(&mut self) -> SampleState {
        self.sample = self.sample.wrapping_add(1);
        if self.sample == 0 {
            // After 2^32 samples: restart the stamps.
            self.stamp.fill(0);
            self.sample = 1;
        }
        SampleState::default()
    }

    /// One called allele: the first time a sample calls it, it counts once.
    #[inline]
    fn allele(
        &mut self,
        state: &mut SampleState,
        index: usize,
        column: usize,
        group: Group,
    ) -> Result<(), RecordProblem> {
        if index >= self.alleles {
            return Err(RecordProblem::AlleleIndex {
                sample: column,
                allele: index,
                alleles: self.alleles,
            });
        }
        state.called += 1;
        if self.stamp[index] != self.sample {
            self.stamp[index] = self.sample;
            state.distinct += 1;
            state.first = index;
            self.counts[index] += 1;
            if group != Group::Unlisted {
                self.counts[group as usize * self.alleles + index] += 1;
            }
        }
        Ok(())
    }

    /// A homozygous sample (one distinct allele, none missing, not haploid) counts its
    /// allele a second time.
    #[inline]
    fn end_sample(&mut self, state: &SampleState, group: Group) {
        match state.distinct {
            0 => {}
            1 => {
                let a = state.first;
                self.only[a] += 1;
                if state.called == state.ploidy && state.ploidy >= 2 {
                    self.hom[a] += 1;
                    self.counts[a] += 1;
                    if group != Group::Unlisted {
                        self.counts[group as usize * self.alleles + a] += 1;
                    }
                }
            }
            _ => self.het_samples += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts for one genotype over three alleles (REF, two ALTs).
    fn counts(gt: &str) -> Vec<u64> {
        let mut counter = AlleleCounter::new();
        counter.reset(3);
        match counter.add_text(gt.as_bytes(), 1, Group::Unlisted) {
            Ok(()) => counter.all().to_vec(),
            Err(e) => panic!("{gt}: {e}"),
        }
    }

    #[test]
    fn diploid_and_haploid_count_each_allele() {
        assert_eq!(counts("0/1"), [1, 1, 0]);
        assert_eq!(counts("1|2"), [0, 1, 1]);
        assert_eq!(counts("2/2"), [0, 0, 2]);
        assert_eq!(counts("1"), [0, 1, 0]);
        assert_eq!(counts("|0|1"), [1, 1, 0]);
    }

    #[test]
    fn missing_alleles_add_nothing_and_partial_ones_count_once() {
        assert_eq!(counts("."), [0, 0, 0]);
        assert_eq!(counts("./."), [0, 0, 0]);
        assert_eq!(counts(".|."), [0, 0, 0]);
        assert_eq!(counts("0/."), [1, 0, 0]);
        assert_eq!(counts("./1/1"), [0, 1, 0]);
    }

    /// Observed with bcftools 1.16 `+fill-tags`.
    #[test]
    fn polyploid_counts_distinct_alleles_or_two_for_homozygous() {
        assert_eq!(counts("0/0/0"), [2, 0, 0]);
        assert_eq!(counts("0/1/1"), [1, 1, 0]);
        assert_eq!(counts("0/1/2/1"), [1, 1, 1]);
        assert_eq!(counts("1/./2"), [0, 1, 1]);
    }

    #[test]
    fn invalid_values_are_errors() {
        let mut counter = AlleleCounter::new();
        for gt in [
            "",
            "a/1",
            "0//1",
            "0/-1",
            "0/1 ",
            "0/",
            "/",
            "99999999999999999999999",
        ] {
            counter.reset(3);
            assert!(
                counter.add_text(gt.as_bytes(), 1, Group::Unlisted).is_err(),
                "{gt:?}"
            );
        }
        counter.reset(2);
        assert!(matches!(
            counter.add_text(b"0/2", 4, Group::Unlisted),
            Err(RecordProblem::AlleleIndex {
                sample: 4,
                allele: 2,
                alleles: 2
            })
        ));
    }

    /// bcftools' HWE classes per ALT: `1/2` is het for both ALTs, `0/2` is hom-ref for
    /// ALT 1, `2/2` is not counted for ALT 1, haploid and partly missing never count.
    #[test]
    fn genotype_classes_per_alt_follow_bcftools_hwe() {
        let mut counter = AlleleCounter::new();
        counter.reset(3);
        for (column, gt) in ["0/0", "0/1", "1/1", "1/2", "0/2", "2/2", "1", "1/.", "./."]
            .iter()
            .enumerate()
        {
            let group = if column % 2 == 0 {
                Group::Case
            } else {
                Group::Control
            };
            if let Err(e) = counter.add_text(gt.as_bytes(), column + 1, group) {
                panic!("{gt}: {e}");
            }
        }
        assert_eq!(counter.classes(1), (2, 2, 1));
        assert_eq!(counter.classes(2), (2, 2, 1));
        let sum: Vec<u64> = (0..3)
            .map(|a| counter.group(Group::Case)[a] + counter.group(Group::Control)[a])
            .collect();
        assert_eq!(sum, counter.all());
    }
}
