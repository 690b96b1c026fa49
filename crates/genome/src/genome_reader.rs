//! A genome file whichever its format: VCF (plain, BGZF or gzip) or BCF (BGZF or
//! uncompressed), told apart by its first decompressed bytes (`BCF` and the major
//! version 2 start a BCF, `##fileformat` a VCF).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use noodles_vcf as vcf;

use crate::{
    bcf::BcfReader, error::ReadError, input::decompressed, phenotype::Phenotypes,
    reader::VcfReader, tally::SiteTally, tally_sites,
};

/// The magic number of BCF 2.
pub(crate) const BCF_MAGIC: &[u8] = b"BCF\x02";

/// A VCF or BCF reader, record by record.
pub enum GenomeReader<'a> {
    /// A VCF.
    Vcf(VcfReader<'a>),
    /// A BCF.
    Bcf(BcfReader<'a>),
}

impl<'a> GenomeReader<'a> {
    /// Opens the genome file at `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<GenomeReader<'static>, ReadError> {
        let file = std::fs::File::open(path).map_err(|source| ReadError::Io { line: 0, source })?;
        GenomeReader::new(file)
    }

    /// Reads the header of the VCF or BCF that `inner` yields.
    pub fn new<R: Read + 'a>(inner: R) -> Result<Self, ReadError> {
        let decoded = decompressed(inner).map_err(|source| ReadError::Io { line: 0, source })?;
        let mut buffered = BufReader::with_capacity(1 << 16, decoded);
        let head = buffered
            .fill_buf()
            .map_err(|source| ReadError::Io { line: 0, source })?;
        if head.starts_with(BCF_MAGIC) {
            BcfReader::new(buffered).map(Self::Bcf)
        } else {
            VcfReader::new(buffered).map(Self::Vcf)
        }
    }

    /// The header.
    pub fn header(&self) -> &vcf::Header {
        match self {
            Self::Vcf(r) => r.header(),
            Self::Bcf(r) => r.header(),
        }
    }

    /// The header's sample names, for joins inside the worker only (see
    /// [`VcfReader::sample_names`]).
    pub fn sample_names(&self) -> &[String] {
        match self {
            Self::Vcf(r) => r.sample_names(),
            Self::Bcf(r) => r.sample_names(),
        }
    }

    /// Tallies each record ([`tally_sites`], [`BcfReader::tallies`]).
    pub fn tallies<'r>(
        &'r mut self,
        phenotypes: Option<&Phenotypes>,
    ) -> Box<dyn Iterator<Item = Result<SiteTally, ReadError>> + 'r> {
        match self {
            Self::Vcf(r) => Box::new(tally_sites(r, phenotypes)),
            Self::Bcf(r) => Box::new(r.tallies(phenotypes)),
        }
    }
}
