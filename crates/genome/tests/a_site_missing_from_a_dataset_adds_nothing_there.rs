//! A site one dataset has and another lacks sums to the first dataset's counts, as
//! bcftools counts `bcftools merge` output (the missing samples become `./.`).

mod common;

use common::bcftools_fill_tags;
use strongroom_genome::{MergedCounts, VcfReader, count_alleles};

const HEADER: &str = "##fileformat=VCFv4.2\n##contig=<ID=1>\n\
##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT";

#[test]
fn a_site_missing_from_a_dataset_adds_nothing_there() {
    let first = format!(
        "{HEADER}\ta\tb\n1\t10\t.\tA\tG\t.\t.\t.\tGT\t0/1\t1/1\n1\t20\t.\tC\tT\t.\t.\t.\tGT\t0/0\t0/1\n"
    );
    let second = format!(
        "{HEADER}\tc\n1\t20\t.\tC\tT\t.\t.\t.\tGT\t1|1\n1\t20\t.\tC\tA\t.\t.\t.\tGT\t0|1\n"
    );
    // What `bcftools merge` of the two writes: `./.` where a dataset lacks the site.
    let merged_file = format!(
        "{HEADER}\ta\tb\tc\n1\t10\t.\tA\tG\t.\t.\t.\tGT\t0/1\t1/1\t./.\n\
         1\t20\t.\tC\tT\t.\t.\t.\tGT\t0/0\t0/1\t1|1\n1\t20\t.\tC\tA\t.\t.\t.\tGT\t./.\t./.\t0|1\n"
    );
    let mut merged = MergedCounts::new();
    for dataset in [&first, &second] {
        let mut reader = VcfReader::new(dataset.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        merged
            .add_dataset(count_alleles(&mut reader))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let bcf = bcftools_fill_tags(&merged_file);
    let ours: Vec<(String, u64, Vec<u64>)> = merged
        .sites()
        .map(|(k, c)| {
            (
                format!(
                    "{}:{}:{}:{}",
                    k.chromosome,
                    k.position,
                    k.reference,
                    k.alternates.join(",")
                ),
                c.an,
                c.ac.clone(),
            )
        })
        .collect();
    let theirs: Vec<(String, u64, Vec<u64>)> = bcf
        .iter()
        .map(|r| {
            let an = r.tag("AN").and_then(|v| v.parse().ok()).unwrap_or_default();
            let ac = r
                .tag("AC")
                .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
                .unwrap_or_default();
            (r.site.clone(), an, ac)
        })
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours[0], ("1:10:A:G".to_owned(), 4, vec![3]));
}
