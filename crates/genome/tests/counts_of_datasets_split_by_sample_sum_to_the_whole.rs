//! `1kg.vcf.gz` split by sample (`split_by_sample`) into three hospitals' datasets:
//! the sum of their counts, and of their tallies (allele counts and genotype counts
//! for Hardy-Weinberg), equals bcftools +fill-tags on the unsplit file, site by site.

mod common;

use common::{BcftoolsRecord, bcftools_fill_tags, bcftools_fill_tags_with, shared_vcf, vcf_text};
use strongroom_genome::{
    MergedCounts, MergedTallies, VcfReader, count_alleles, split_by_sample, tally_sites,
};

/// `text` split by `split_by_sample` into `parts` contiguous shares of the samples.
fn split(text: &str, parts: usize) -> Vec<Vec<u8>> {
    let mut outputs = vec![Vec::new(); parts];
    let report = split_by_sample(text.as_bytes(), &mut outputs).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.samples.iter().sum::<usize>(), 629);
    outputs
}

#[test]
fn counts_of_datasets_split_by_sample_sum_to_the_whole() {
    let text = vcf_text(&shared_vcf("pyvcf/1kg.vcf.gz"));
    let mut merged = MergedCounts::new();
    let mut samples = 0;
    for (hospital, part) in split(&text, 3).iter().enumerate() {
        let mut reader = VcfReader::new(&part[..]).unwrap_or_else(|e| panic!("{e}"));
        let n = reader.header().sample_names().len();
        assert!(n > 200, "hospital {hospital} has {n} samples");
        samples += n;
        merged
            .add_dataset(count_alleles(&mut reader))
            .unwrap_or_else(|e| panic!("hospital {hospital}: {e}"));
    }
    assert_eq!(samples, 629);

    let whole: Vec<BcftoolsRecord> = bcftools_fill_tags(&text);
    assert_eq!(merged.len(), whole.len());
    assert_eq!(merged.len(), 381);
    for ((site, counts), bcf) in merged.sites().zip(&whole) {
        let alt = site.alternates.join(",");
        let name = format!(
            "{}:{}:{}:{alt}",
            site.chromosome, site.position, site.reference
        );
        assert_eq!(name, bcf.site);
        let an: u64 = bcf
            .tag("AN")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name}: AN"));
        assert_eq!(counts.an, an, "{name}: AN");
        let ac: Vec<u64> = bcf
            .tag("AC")
            .unwrap_or_else(|| panic!("{name}: AC"))
            .split(',')
            .map(|v| v.parse().unwrap_or_else(|e| panic!("{name}: AC: {e}")))
            .collect();
        assert_eq!(counts.ac, ac, "{name}: AC");
        if let Some(af) = counts.af() {
            for (f, c) in af.iter().zip(&ac) {
                assert!((f - *c as f64 / an as f64).abs() <= 1e-12, "{name}: AF");
            }
        }
    }
}

/// The summed genotype counts give bcftools' HWE on the whole file, and the summed
/// allele counts its AN and AC.
#[test]
fn tallies_of_datasets_split_by_sample_sum_to_the_whole() {
    let text = vcf_text(&shared_vcf("pyvcf/1kg.vcf.gz"));
    let mut merged = MergedTallies::new();
    for (hospital, part) in split(&text, 4).iter().enumerate() {
        let mut reader = VcfReader::new(&part[..]).unwrap_or_else(|e| panic!("{e}"));
        merged
            .add_dataset(tally_sites(&mut reader, None))
            .unwrap_or_else(|e| panic!("hospital {hospital}: {e}"));
    }
    let whole = bcftools_fill_tags_with(&text, "AN,AC,HWE");
    assert_eq!(merged.len(), whole.len());
    for ((site, tally), bcf) in merged.sites().zip(&whole) {
        let name = format!(
            "{}:{}:{}:{}",
            site.chromosome,
            site.position,
            site.reference,
            site.alternates.join(",")
        );
        assert_eq!(name, bcf.site);
        assert_eq!(
            Some(tally.counts.an.to_string().as_str()),
            bcf.tag("AN"),
            "{name}"
        );
        let hwe: Vec<f64> = bcf
            .tag("HWE")
            .unwrap_or_else(|| panic!("{name}: HWE"))
            .split(',')
            .map(|v| v.parse().unwrap_or_else(|e| panic!("{name}: {e}")))
            .collect();
        assert_eq!(hwe.len(), tally.genotypes.len(), "{name}");
        for (g, theirs) in tally.genotypes.iter().zip(hwe) {
            let ours = g.hwe_p_value();
            // bcftools prints a 32-bit float with 6 significant digits.
            assert!(
                (ours - theirs).abs() <= 1e-5 * ours.max(theirs) || ours.max(theirs) < 1.2e-38,
                "{name}: HWE {ours:e}, bcftools {theirs:e}"
            );
        }
    }
}
