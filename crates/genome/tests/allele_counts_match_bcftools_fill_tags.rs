//! For every VCF under ../shared/data/vcf, our AC, AN and AF per site are those of
//! `bcftools +fill-tags FILE -- -t AN,AC,AF`: identical integers, AF within 1e-12 of
//! AC / AN (and within bcftools' printing precision of its AF). One test per file.

mod common;

use std::fs;

use common::{
    assert_same_counts, bcftools_fill_tags, input_infos, our_sites, shared_vcf, site_name, vcf_text,
};

/// Compares our counts on `relative` (read as stored: plain, gzip or BGZF) with
/// bcftools' on its text.
fn compare(relative: &str) {
    let path = shared_vcf(relative);
    let text = vcf_text(&path);
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{relative}: {e}"));
    let ours: Vec<_> = our_sites(&bytes)
        .into_iter()
        .map(|s| (site_name(&s), s))
        .collect();
    let theirs = bcftools_fill_tags(&text);
    let sites = assert_same_counts(&ours, &theirs, &input_infos(&text), relative);
    assert!(sites > 0, "{relative}: no site compared");
    let genotyped = ours.iter().filter(|(_, s)| s.genotyped).count();
    eprintln!("{relative}: {sites} sites identical to bcftools ({genotyped} with GT)");
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

/// Excluded from the comparison: bcftools rejects `pyvcf/example-4.2.vcf.gz` ("Could
/// not parse the #CHROM.. line": line 48 separates columns with spaces). We reject it
/// too, at the first of its faults: line 47 defines INFO VARTYPE a second time.
#[test]
fn pyvcf_example_4_2_is_rejected_by_both() {
    let path = shared_vcf("pyvcf/example-4.2.vcf.gz");
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let error = match strongroom_genome::summarize(&bytes[..]) {
        Ok(summary) => panic!("accepted: {summary:?}"),
        Err(e) => e,
    };
    assert_eq!(error.line(), 47, "{error}");
    assert!(
        error
            .to_string()
            .starts_with("line 47: not a valid VCF header"),
        "{error}"
    );
    assert!(error.to_string().contains("VARTYPE"), "{error}");
}

/// Every file under ../shared/data/vcf is covered above, so a new one is not missed.
#[test]
fn every_shared_vcf_is_compared() {
    let covered = [
        "htslib/index.vcf",
        "htslib/vcf_file.vcf",
        "pyvcf/1kg.vcf.gz",
        "pyvcf/1kg.sites.vcf.gz",
        "pyvcf/bad-info-character.vcf",
        "pyvcf/example-4.1.vcf",
        "pyvcf/example-4.2.vcf.gz",
        "pyvcf/uncalled_genotypes.vcf",
        "vcfanno/exac.vcf.gz",
        "vcfanno/query.vcf.gz",
    ];
    let root = shared_vcf("");
    let mut found = Vec::new();
    for dir in fs::read_dir(&root).unwrap_or_else(|e| panic!("{e}")) {
        let dir = dir.unwrap_or_else(|e| panic!("{e}")).path();
        for file in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
            let file = file.unwrap_or_else(|e| panic!("{e}")).path();
            let name = file.to_string_lossy().into_owned();
            if name.ends_with(".vcf") || name.ends_with(".vcf.gz") {
                found.push(
                    file.strip_prefix(&root)
                        .unwrap_or(&file)
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    found.sort();
    let mut covered: Vec<String> = covered.iter().map(|s| s.to_string()).collect();
    covered.sort();
    assert_eq!(found, covered);
}
