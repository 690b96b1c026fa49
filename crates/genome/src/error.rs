//! Errors of reading a VCF: the header, a record, or the bytes underneath.

use std::io;

/// Reading a VCF failed. Every variant caused by the file's content names the line
/// (1-based, counted in the decompressed text) where reading stopped.
///
/// Messages never quote genotypes or sample names: a sample is named by its column
/// (1 for the first sample, the tenth column of the line).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The header (`##` lines and the `#CHROM` line) is not a valid VCF header.
    #[error("line {line}: not a valid VCF header: {source}")]
    Header {
        /// The line where the header parser stopped.
        line: u64,
        /// What the parser reported.
        source: io::Error,
    },
    /// A BCF header could not be read (BCF has no lines to name).
    #[error("not a valid BCF header: {source}")]
    BcfHeader {
        /// What the reader reported.
        source: io::Error,
    },
    /// A BCF record is not valid.
    #[error("BCF record {record}: {problem}")]
    BcfRecord {
        /// The record's number (1-based).
        record: u64,
        /// What is wrong with it.
        problem: RecordProblem,
    },
    /// A tabix or CSI index could not be read, or refused a query.
    #[error("the index {file} is not valid: {source}")]
    Index {
        /// The index file's name.
        file: String,
        /// What the index reader reported.
        source: io::Error,
    },
    /// A record read through an index is not valid. The index gives no line
    /// numbers: the line is counted among those read for the region, from 1.
    #[error("region {region}, line {line} of those read through the index: {problem}")]
    IndexedRecord {
        /// The region queried.
        region: String,
        /// The line among those read for the region.
        line: u64,
        /// What is wrong with it.
        problem: RecordProblem,
    },
    /// The bytes could not be read or decompressed.
    #[error("reading failed after line {line}: {source}")]
    Io {
        /// The last line read completely.
        line: u64,
        /// The underlying error.
        source: io::Error,
    },
    /// A data line is not a valid VCF record.
    #[error("line {line}: {problem}")]
    Record {
        /// The record's line.
        line: u64,
        /// What is wrong with it.
        problem: RecordProblem,
    },
}

impl ReadError {
    /// The line the error names; for BCF, the record's number (0 for its header).
    pub fn line(&self) -> u64 {
        match self {
            Self::Header { line, .. }
            | Self::Io { line, .. }
            | Self::Record { line, .. }
            | Self::IndexedRecord { line, .. } => *line,
            Self::Index { .. } => 0,
            Self::BcfRecord { record, .. } => *record,
            Self::BcfHeader { .. } => 0,
        }
    }
}

/// What is wrong with a record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordProblem {
    /// A genotype names an allele the record does not have.
    #[error("sample {sample}: GT names allele {allele} but the record has {alleles} alleles")]
    AlleleIndex {
        /// The sample's column among the samples (1-based).
        sample: usize,
        /// The allele index found.
        allele: usize,
        /// How many alleles the record has (REF plus ALT).
        alleles: usize,
    },
    /// The fixed fields could not be split or parsed (too few fields, a missing
    /// field, not UTF-8, an invalid position).
    #[error("invalid record: {0}")]
    Fields(io::Error),
    /// A genotype is not of the form `a/b`, `a|b`, `a` (alleles are numbers or `.`).
    #[error("sample {sample}: invalid GT value")]
    Genotype {
        /// The sample's column among the samples (1-based).
        sample: usize,
    },
    /// The record has not as many sample columns as the header names samples.
    #[error("the header names {expected} samples but the record has {found} sample columns")]
    SampleCount {
        /// Samples in the header.
        expected: usize,
        /// Sample columns in the record.
        found: usize,
    },
}
