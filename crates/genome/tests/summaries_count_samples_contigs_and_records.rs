//! `summarize` gives what the catalog records of a VCF: its sample count, contigs and
//! record count (never a sample name), for plain, gzip and BGZF files alike.

mod common;

use std::fs::File;

use common::shared_vcf;
use strongroom_genome::summarize;

#[test]
fn summaries_count_samples_contigs_and_records() {
    // 1kg.vcf.gz is plain gzip; its header declares no contig.
    let file = File::open(shared_vcf("pyvcf/1kg.vcf.gz")).unwrap_or_else(|e| panic!("{e}"));
    let summary = summarize(file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((summary.samples, summary.records), (629, 381));
    assert!(!summary.contigs.is_empty());

    // query.vcf.gz is BGZF.
    let file = File::open(shared_vcf("vcfanno/query.vcf.gz")).unwrap_or_else(|e| panic!("{e}"));
    let summary = summarize(file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((summary.samples, summary.records), (3, 337));

    // A sites-only file.
    let file = File::open(shared_vcf("vcfanno/exac.vcf.gz")).unwrap_or_else(|e| panic!("{e}"));
    let summary = summarize(file).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((summary.samples, summary.records), (0, 148));
}

#[test]
fn a_summary_names_the_fixed_columns_and_each_declared_format_field() {
    let vcf = concat!(
        "##fileformat=VCFv4.3\n",
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n",
        "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\n",
        "1\t100\t.\tA\tG\t.\t.\t.\tGT:DP\t0/1:9\n",
    );
    let summary = summarize(vcf.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        summary.columns,
        [
            "CHROM",
            "POS",
            "ID",
            "REF",
            "ALT",
            "QUAL",
            "FILTER",
            "INFO",
            "FORMAT/GT",
            "FORMAT/DP"
        ]
    );
}
