//! `1kg.vcf.gz` split by sample into three hospitals' datasets: the sum of their
//! counts equals bcftools +fill-tags on the unsplit file, site by site.

mod common;

use common::{BcftoolsRecord, bcftools_fill_tags, shared_vcf, vcf_text};
use strongroom_genome::{MergedCounts, VcfReader, count_alleles};

/// The VCF text keeping the first nine columns and the sample columns `keep` selects.
fn select_samples(text: &str, keep: impl Fn(usize) -> bool) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("##") {
            out.push_str(line);
        } else {
            let fields: Vec<&str> = line.split('\t').collect();
            let kept: Vec<&str> = fields
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 9 || keep(i - 9))
                .map(|(_, f)| *f)
                .collect();
            out.push_str(&kept.join("\t"));
        }
        out.push('\n');
    }
    out
}

#[test]
fn counts_of_datasets_split_by_sample_sum_to_the_whole() {
    let text = vcf_text(&shared_vcf("pyvcf/1kg.vcf.gz"));
    let mut merged = MergedCounts::new();
    let mut samples = 0;
    for hospital in 0..3 {
        let part = select_samples(&text, |sample| sample % 3 == hospital);
        let mut reader = VcfReader::new(part.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
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
