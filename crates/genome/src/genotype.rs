//! One sample's GT value and what it adds to a site's allele counts, by the rules of
//! `bcftools +fill-tags -- -t AN,AC,AF` (bcftools 1.16, `plugins/fill-tags.c`).

use crate::error::RecordProblem;

/// Adds one sample's genotype `gt` to `counts` (index 0 is REF, then each ALT), for a
/// record of `counts.len()` alleles. `sample` is the sample's 1-based column, for errors.
///
/// The rules, those of `bcftools +fill-tags` without `-d`:
/// - the called alleles are those that are not `.`; with none (`.`, `./.`, `.|.`) the
///   sample adds nothing;
/// - with two or more distinct called alleles (heterozygous), each distinct allele
///   counts once, whatever the ploidy (`0/1/1` adds REF 1 and ALT 1);
/// - with one distinct allele: 1 if the genotype is haploid (`1`) or partly missing
///   (`0/.`, `./1/1`), otherwise 2, whatever the ploidy (`0/0` and `0/0/0` add 2).
///
/// AN is the sum over all alleles, so it counts called alleles by these rules.
pub(crate) fn add_genotype(
    gt: &str,
    sample: usize,
    counts: &mut [u64],
) -> Result<(), RecordProblem> {
    let invalid = || RecordProblem::Genotype { sample };
    // VCF 4.4 allows a leading phase marker (`|0|1`, `/0`).
    let body = gt.strip_prefix(['/', '|']).unwrap_or(gt);
    if body.is_empty() {
        return Err(invalid());
    }
    let mut alleles: Vec<Option<usize>> = Vec::with_capacity(2);
    for allele in body.split(['/', '|']) {
        if allele == "." {
            alleles.push(None);
            continue;
        }
        if allele.is_empty() || !allele.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        alleles.push(Some(allele.parse().map_err(|_| invalid())?));
    }
    add_alleles(&alleles, sample, counts)
}

/// Adds one sample's genotype, given as its alleles in order (`None` for `.`), to
/// `counts` by the rules of [`add_genotype`].
pub(crate) fn add_alleles(
    alleles: &[Option<usize>],
    sample: usize,
    counts: &mut [u64],
) -> Result<(), RecordProblem> {
    let ploidy = alleles.len();
    let mut called = 0usize;
    // Distinct called alleles, in order of appearance; ploidies are small.
    let mut distinct: Vec<usize> = Vec::with_capacity(2);
    for &index in alleles.iter().flatten() {
        if index >= counts.len() {
            return Err(RecordProblem::AlleleIndex {
                sample,
                allele: index,
                alleles: counts.len(),
            });
        }
        called += 1;
        if !distinct.contains(&index) {
            distinct.push(index);
        }
    }
    match distinct.as_slice() {
        [] => {}
        [only] => {
            let partly_missing = called != ploidy;
            let haploid = called == 1;
            counts[*only] += if partly_missing || haploid { 1 } else { 2 };
        }
        several => {
            for &index in several {
                counts[index] += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts for one genotype over three alleles (REF, two ALTs).
    fn counts(gt: &str) -> Vec<u64> {
        let mut counts = vec![0; 3];
        match add_genotype(gt, 1, &mut counts) {
            Ok(()) => counts,
            Err(e) => panic!("{gt}: {e}"),
        }
    }

    #[test]
    fn diploid_and_haploid_count_each_allele() {
        assert_eq!(counts("0/1"), [1, 1, 0]);
        assert_eq!(counts("1|2"), [0, 1, 1]);
        assert_eq!(counts("2/2"), [0, 0, 2]);
        assert_eq!(counts("1"), [0, 1, 0]);
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
        for gt in ["", "a/1", "0//1", "0/-1", "0/1 "] {
            let mut c = vec![0; 3];
            assert!(add_genotype(gt, 1, &mut c).is_err(), "{gt:?}");
        }
        let mut c = vec![0; 2];
        assert!(matches!(
            add_genotype("0/2", 4, &mut c),
            Err(RecordProblem::AlleleIndex {
                sample: 4,
                allele: 2,
                alleles: 2
            })
        ));
    }
}
