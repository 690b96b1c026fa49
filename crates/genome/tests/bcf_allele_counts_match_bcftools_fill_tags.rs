//! The same files as BCF (written by `bcftools view -Ob`, read with noodles-bcf) give
//! the counts bcftools +fill-tags gives on their VCF text. One test per file.

mod common;

use std::fs;

use common::{
    assert_same_counts, bcftools_fill_tags, bcftools_to_bcf, input_infos, shared_vcf, site_name,
    vcf_text,
};
use strongroom_genome::BcfReader;

/// Converts `relative` to BCF and compares our BCF counts with bcftools on its text.
fn compare(relative: &str) {
    let text = vcf_text(&shared_vcf(relative));
    let bcf = bcftools_to_bcf(&text);
    let file = fs::File::open(bcf.path()).unwrap_or_else(|e| panic!("{e}"));
    let mut reader = BcfReader::new(file).unwrap_or_else(|e| panic!("{relative}: {e}"));
    let ours: Vec<_> = reader
        .sites()
        .map(|site| site.unwrap_or_else(|e| panic!("{relative}: {e}")))
        .map(|s| (site_name(&s), s))
        .collect();
    let theirs = bcftools_fill_tags(&text);
    let sites = assert_same_counts(&ours, &theirs, &input_infos(&text), relative);
    assert!(sites > 0, "{relative}: no site compared");
}

macro_rules! same_as_bcftools {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                compare($file);
            }
        )*
    };
}

same_as_bcftools! {
    htslib_index => "htslib/index.vcf",
    htslib_vcf_file => "htslib/vcf_file.vcf",
    pyvcf_1kg => "pyvcf/1kg.vcf.gz",
    pyvcf_1kg_sites => "pyvcf/1kg.sites.vcf.gz",
    pyvcf_bad_info_character => "pyvcf/bad-info-character.vcf",
    pyvcf_example_4_1 => "pyvcf/example-4.1.vcf",
    pyvcf_uncalled_genotypes => "pyvcf/uncalled_genotypes.vcf",
    vcfanno_exac => "vcfanno/exac.vcf.gz",
    vcfanno_query => "vcfanno/query.vcf.gz",
}

/// A BCF cut short is an error naming the record where reading stopped, not a panic.
#[test]
fn a_truncated_bcf_names_the_record() {
    let text = vcf_text(&shared_vcf("pyvcf/1kg.vcf.gz"));
    let bcf = bcftools_to_bcf(&text);
    let bytes = fs::read(bcf.path()).unwrap_or_else(|e| panic!("{e}"));
    let cut = &bytes[..bytes.len() * 2 / 3];
    let mut reader = BcfReader::new(cut).unwrap_or_else(|e| panic!("{e}"));
    let error = reader
        .sites()
        .find_map(Result::err)
        .unwrap_or_else(|| panic!("a truncated BCF was read whole"));
    assert!(error.line() > 1, "{error}");
    assert!(error.to_string().starts_with("BCF record "), "{error}");
}
