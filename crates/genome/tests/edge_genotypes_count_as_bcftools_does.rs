//! Genotypes the shared files lack (polyploid, partly missing, haploid mixed with
//! diploid, ALT `.`, a record without GT, AN = 0) count as bcftools +fill-tags counts
//! them.

mod common;

use common::{assert_same_counts, bcftools_fill_tags, input_infos, our_sites, site_name};

const VCF: &str = "##fileformat=VCFv4.2\n##contig=<ID=1>\n\
##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\n\
1\t1\t.\tA\tC,G\t.\t.\t.\tGT\t0/1\t./.\t1|2\n\
1\t2\t.\tA\tC\t.\t.\t.\tGT\t0/.\t.\t1\n\
1\t3\t.\tA\tC\t.\t.\t.\tGT\t./.\t.|.\t.\n\
1\t4\t.\tA\t.\t.\t.\t.\tGT\t0/0\t0\t0/0/0\n\
1\t5\t.\tA\tC\t.\t.\t.\tGT:DP\t0/1/1:3\t1:4\t.:5\n\
1\t6\t.\tA\tC,G\t.\t.\t.\tGT\t./1/1\t0\t1/./2\n\
1\t7\t.\tA\tC,G\t.\t.\t.\tGT\t0/1/2/1\t2/2/2\t0/0/0/1\n\
1\t8\t.\tA\tC\t.\t.\t.\tDP\t3\t4\t5\n\
1\t9\t.\tA\tC,<NON_REF>\t.\t.\t.\tGT:DP\t0/2\t1/1:7\t0/0:.\n\
1\t10\t.\tA\tC\t.\t.\t.\tGT:DP\t0|1:3\t1/1\t0/0:1\n";

#[test]
fn edge_genotypes_count_as_bcftools_does() {
    let ours: Vec<_> = our_sites(VCF.as_bytes())
        .into_iter()
        .map(|s| (site_name(&s), s))
        .collect();
    let theirs = bcftools_fill_tags(VCF);
    assert_eq!(
        assert_same_counts(&ours, &theirs, &input_infos(VCF), "edge cases"),
        10
    );
}
