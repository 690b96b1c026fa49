//! What the catalog records of a VCF dataset: counts and contig names, never a
//! sample name.

use std::io::Read;

use crate::{error::ReadError, genome_reader::GenomeReader};

/// A VCF dataset's shape, for its catalog entry.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Summary {
    /// Samples named by the header.
    pub samples: usize,
    /// The header's `##contig` names in order, then any other CHROM the records use,
    /// in order of first use.
    pub contigs: Vec<String>,
    /// Data records.
    pub records: u64,
    /// The columns a grant can name: see [`columns`].
    pub columns: Vec<String>,
}

/// The eight fixed columns of a VCF record.
pub const FIXED_COLUMNS: [&str; 8] = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"];

/// The columns of a VCF with this header, as a grant names them: the eight fixed
/// columns, then `FORMAT/ID` for each FORMAT field the header declares (`FORMAT/GT`),
/// in header order. The analyses declare the columns they read in these terms.
pub fn columns(header: &noodles_vcf::Header) -> Vec<String> {
    FIXED_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(header.formats().keys().map(|id| format!("FORMAT/{id}")))
        .collect()
}

/// Reads a whole VCF (plain, BGZF or gzip) or BCF (BGZF or uncompressed), checking
/// every record (fixed fields, position, one column per sample, and every GT value
/// against the record's alleles), and summarizes it. A file that is not valid is an
/// error naming the line (for BCF, the record's number).
pub fn summarize<R: Read>(reader: R) -> Result<Summary, ReadError> {
    let mut reader = GenomeReader::new(reader)?;
    let samples = reader.header().sample_names().len();
    let columns = columns(reader.header());
    let mut contigs: Vec<String> = reader.header().contigs().keys().cloned().collect();
    let mut known: std::collections::HashSet<String> = contigs.iter().cloned().collect();
    let mut records = 0u64;
    for site in reader.tallies(None) {
        let site = site?;
        if !known.contains(&site.key.chromosome) {
            known.insert(site.key.chromosome.clone());
            contigs.push(site.key.chromosome);
        }
        records += 1;
    }
    Ok(Summary {
        samples,
        contigs,
        records,
        columns,
    })
}
