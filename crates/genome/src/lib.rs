//! Genomes in strongroom: reading VCF files and counting alleles per site, with the
//! same numbers as `bcftools +fill-tags -- -t AN,AC,AF`.
//!
//! This crate is the foundation of issue 16 ("Genomes across hospitals"). It reads a
//! VCF record by record, summarizes a dataset for its catalog entry, and counts alleles
//! per site in a form that sums across datasets split by sample.
//!
//! ```
//! use strongroom_genome::{MergedCounts, VcfReader, count_alleles, summarize};
//!
//! let vcf = concat!(
//!     "##fileformat=VCFv4.3\n",
//!     "##contig=<ID=1>\n",
//!     "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\n",
//!     "1\t100\t.\tA\tG,T\t.\t.\t.\tGT\t0/1\t2|.\n",
//! )
//! .as_bytes();
//!
//! let summary = summarize(vcf)?;
//! assert_eq!((summary.samples, summary.records), (2, 1));
//!
//! let mut reader = VcfReader::new(vcf)?;
//! let mut merged = MergedCounts::new();
//! merged.add_dataset(count_alleles(&mut reader))?;
//! let (site, counts) = merged.sites().next().expect("one site");
//! assert_eq!((site.position, counts.an, counts.ac.as_slice()), (100, 3, &[1, 1][..]));
//! # Ok::<_, strongroom_genome::ReadError>(())
//! ```
//!
//! # Reading
//!
//! [`VcfReader`] reads VCF (any 4.x the noodles parser accepts) as plain text, BGZF
//! (`bgzip`, with noodles-bgzf) or plain gzip (flate2), detected from the first bytes.
//! It holds the header and one record: memory does not grow with the file. A record
//! that cannot be read (too few fields, an invalid position, not one column per sample
//! of the header, a GT value that is not `a/b`, `a|b` or `a`, an allele index beyond
//! REF and ALT) is a [`ReadError`] naming its line (1-based, in the decompressed text);
//! an invalid header names the line where the header parser stopped. Errors never quote
//! genotypes or sample names. Nothing here panics on a file's content.
//!
//! [`BcfReader`] reads BCF (BGZF-compressed as `bcftools view -Ob` writes it, or
//! uncompressed) with noodles-bcf, except GT, which it decodes itself from the
//! record's FORMAT bytes (noodles-bcf 0.94 panics on 16- and 32-bit GT vectors). Its
//! errors name the record by number (1-based). [`GenomeReader`] reads either, told
//! apart by the first decompressed bytes.
//!
//! # Counting rules
//!
//! Per record, over the GT of every sample, as `bcftools +fill-tags` (1.16, without
//! `-d`) does in `plugins/fill-tags.c`:
//!
//! - A sample with no called allele (`.`, `./.`, `.|.`) adds nothing.
//! - A heterozygous sample (two or more distinct called alleles) adds 1 to each
//!   distinct allele, whatever its ploidy: `0/1` and `0/1/1` both add REF 1, ALT 1.
//! - A sample with one distinct called allele adds 1 to it if it is haploid (`1`) or
//!   partly missing (`0/.`, `./1/1`), and 2 otherwise, whatever its ploidy (`1/1` and
//!   `1/1/1` add 2).
//! - AN is the sum over REF and every ALT; AC is the count of each ALT, in ALT order
//!   (multi-allelic sites have one AC per ALT); AF = AC / AN as `f64`, and `None` when
//!   AN = 0, where bcftools writes `AF=.` (and AC 0).
//! - A record without GT in FORMAT, or a file without samples, counts AN = 0 and
//!   AC = 0 ([`Site::genotyped`] is false); bcftools leaves such records unchanged.
//! - A record with ALT `.` has AN and no AC (bcftools writes only AN).
//!
//! bcftools stores AF as a 32-bit float and prints 6 significant digits; our AF is
//! the exact quotient in `f64`, which agrees with AC / AN of bcftools' integers within
//! 1e-12 (the tests check both).
//!
//! # Summing across datasets
//!
//! [`MergedCounts`] adds the counts of several datasets holding different samples of
//! the same sites: sites match by CHROM, POS, REF and ALT (and rank, for a key
//! repeated within a dataset). A site absent from a dataset gets nothing from it, as
//! if that dataset's samples were uncalled there; the sum equals bcftools on the
//! merged file. The tests check it on `1kg.vcf.gz` split into three datasets.
//!
//! # Tallies, phenotypes and statistics
//!
//! [`tally_sites`] reads a dataset once and yields per site a [`Tally`]: allele counts
//! of all samples, of cases and of controls ([`Phenotypes`], joined by sample name
//! with [`VcfReader::sample_names`], never released), and per-ALT genotype counts
//! ([`GenotypeCounts`], bcftools' HWE rule). [`MergedTallies`] sums them across
//! datasets. [`hwe_p_value`] is the Hardy-Weinberg exact test (as bcftools' HWE tag);
//! [`AlleleTable`] gives the odds ratio, chi-square and Fisher's exact test (as SciPy).
//! [`generate`] writes seeded synthetic VCFs and [`split_by_sample`] splits one into
//! datasets. `docs/genome.md` has the rules and how each is checked.
//!
//! # Analyses
//!
//! [`analysis`] holds the worker's built-ins, `allele_frequency`,
//! `private_allele_frequency` (Laplace noise, charged to the privacy budgets) and
//! `association`, over several datasets, with their release rule.
//!
//! # Indexed region queries
//!
//! [`IndexedVcf::query`] reads only the records of a region of a BGZF-compressed VCF
//! through its tabix or CSI index ([`VcfIndex`]), with the same tallies as streaming
//! every record and keeping those in the region; [`analysis::run`] uses it for an
//! input that has an index ([`analysis::GenomeIndex`]) when the analysis has a region.
#![forbid(unsafe_code)]

pub mod analysis;
mod association;
mod bcf;
mod bcf_genotypes;
mod counts;
mod error;
pub mod generate;
mod genome_reader;
mod genotype;
mod hwe;
mod indexed;
mod input;
mod merge;
mod phenotype;
mod reader;
mod rng;
mod special;
mod split;
mod summary;
mod tally;

pub use association::{AlleleTable, Association, AssociationTest, MIN_EXPECTED_FOR_CHI_SQUARE};
pub use bcf::BcfReader;
pub use counts::{Site, SiteCounts, SiteKey, count_alleles};
pub use error::{ReadError, RecordProblem};
pub use genome_reader::GenomeReader;
pub use hwe::hwe_p_value;
pub use indexed::{IndexedVcf, VcfIndex};
pub use merge::{MergedCounts, MergedTallies};
pub use phenotype::{Join, PhenotypeError, Phenotypes, Status};
pub use reader::{Record, VcfReader};
pub use split::{SplitError, SplitReport, split_by_sample};
pub use summary::{FIXED_COLUMNS, Summary, columns, summarize};
pub use tally::{GenotypeCounts, SiteTally, Tally, tally_sites};
