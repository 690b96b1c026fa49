//! Indexed region queries: a BGZF-compressed VCF with its tabix (`.tbi`) or CSI
//! (`.csi`) index, read only where the index says a region's records lie.
//!
//! The records the index points to are read and checked as [`VcfReader`] reads every
//! record, and tallied as [`tally_sites`](crate::tally_sites) tallies them; then only
//! those whose POS lies in the region are kept, so the tallies are exactly those of
//! streaming the whole file and keeping the sites in the region.

use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::vec;

use noodles_bgzf as bgzf;
use noodles_core::Position;
use noodles_core::region::Interval;
use noodles_csi::BinningIndex;
use noodles_csi::binning_index::index::reference_sequence::bin::Chunk;
use noodles_vcf as vcf;

use crate::{
    analysis::Region,
    error::ReadError,
    genotype::AlleleCounter,
    input::{Compression, detect},
    phenotype::Phenotypes,
    reader::VcfReader,
    tally::{SiteTally, next_tally},
};

/// The magic numbers of a decompressed tabix and CSI index.
const TABIX_MAGIC: &[u8] = b"TBI\x01";
const CSI_MAGIC: &[u8] = b"CSI\x01";

/// A tabix or CSI index of a BGZF-compressed VCF.
pub struct VcfIndex {
    file: String,
    inner: Box<dyn BinningIndex + Send + Sync>,
}

impl VcfIndex {
    /// Reads the index `file` (its name, for errors) from `bytes`: tabix or CSI, told
    /// apart by their magic numbers. A malformed index is [`ReadError::Index`].
    pub fn read(file: &str, mut bytes: impl Read) -> Result<Self, ReadError> {
        let fail = |source| ReadError::Index {
            file: file.to_owned(),
            source,
        };
        let mut raw = Vec::new();
        bytes.read_to_end(&mut raw).map_err(fail)?;
        let mut magic = [0u8; 4];
        bgzf::io::Reader::new(&raw[..])
            .read_exact(&mut magic)
            .map_err(fail)?;
        let inner: Box<dyn BinningIndex + Send + Sync> = if magic == TABIX_MAGIC {
            Box::new(
                noodles_tabix::io::Reader::new(&raw[..])
                    .read_index()
                    .map_err(fail)?,
            )
        } else if magic == CSI_MAGIC {
            Box::new(
                noodles_csi::io::Reader::new(&raw[..])
                    .read_index()
                    .map_err(fail)?,
            )
        } else {
            return Err(fail(io::Error::new(
                io::ErrorKind::InvalidData,
                "neither a tabix nor a CSI index (bad magic number)",
            )));
        };
        Ok(Self {
            file: file.to_owned(),
            inner,
        })
    }

    /// The index file's name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The chunks of the file holding the records that overlap `region`: none when
    /// the index does not know the contig (so the file has no record on it).
    fn chunks(&self, header: &vcf::Header, region: &Region) -> Result<Vec<Chunk>, ReadError> {
        let index = &self.inner;
        // tabix (and CSI of a VCF) name the contigs; CSI of a BCF counts them in the
        // header's order.
        let id = match index.header() {
            Some(names) => names
                .reference_sequence_names()
                .iter()
                .position(|name| <[u8]>::eq(name.as_ref(), region.contig.as_bytes())),
            None => header.contigs().get_index_of(region.contig.as_str()),
        };
        let Some(id) = id.filter(|&id| id < index.reference_sequences().count()) else {
            return Ok(Vec::new());
        };
        // Positions past the index's maximum cannot be indexed (tabix refuses them).
        let max = 1u64
            .checked_shl(u32::from(index.min_shift()) + 3 * u32::from(index.depth()))
            .unwrap_or(u64::MAX);
        let position = |p: u64| usize::try_from(p).ok().and_then(Position::new);
        let start = region.start.unwrap_or(1);
        if start > max {
            return Ok(Vec::new());
        }
        let interval: Interval = match (position(start), region.end) {
            (Some(start), Some(end)) if end <= max => match position(end) {
                Some(end) => (start..=end).into(),
                None => (start..).into(),
            },
            (Some(start), _) => (start..).into(),
            (None, _) => return Ok(Vec::new()),
        };
        index
            .query(id, interval)
            .map_err(|source| ReadError::Index {
                file: self.file.clone(),
                source,
            })
    }
}

/// A BGZF-compressed VCF opened for region queries through its index.
pub struct IndexedVcf<R> {
    reader: bgzf::io::Reader<R>,
    header: vcf::Header,
    sample_names: Vec<String>,
    index: VcfIndex,
}

impl<R: Read + Seek> IndexedVcf<R> {
    /// Whether `inner` can be read through an index: a BGZF-compressed VCF (not plain
    /// text, not plain gzip, not BCF). Leaves `inner` at its start.
    pub fn is_indexable(inner: &mut R) -> io::Result<bool> {
        inner.seek(SeekFrom::Start(0))?;
        let mut head = Vec::with_capacity(18);
        inner.by_ref().take(18).read_to_end(&mut head)?;
        let mut bgzf = detect(&head) == Compression::Bgzf;
        if bgzf {
            inner.seek(SeekFrom::Start(0))?;
            let mut text = Vec::with_capacity(4);
            bgzf::io::Reader::new(inner.by_ref())
                .take(4)
                .read_to_end(&mut text)?;
            bgzf = text != crate::genome_reader::BCF_MAGIC;
        }
        inner.seek(SeekFrom::Start(0))?;
        Ok(bgzf)
    }

    /// Reads the header of the BGZF-compressed VCF `inner`, to be queried through
    /// `index`.
    pub fn new(mut inner: R, index: VcfIndex) -> Result<Self, ReadError> {
        inner
            .seek(SeekFrom::Start(0))
            .map_err(|source| ReadError::Io { line: 0, source })?;
        let mut reader = bgzf::io::Reader::new(inner);
        let (header, sample_names) = {
            let text = VcfReader::new(&mut reader)?;
            (text.header().clone(), text.sample_names().to_vec())
        };
        Ok(Self {
            reader,
            header,
            sample_names,
            index,
        })
    }

    /// The header.
    pub fn header(&self) -> &vcf::Header {
        &self.header
    }

    /// The header's sample names (see [`VcfReader::sample_names`]).
    pub fn sample_names(&self) -> &[String] {
        &self.sample_names
    }

    /// Tallies the records whose POS lies in `region`, read through the index: the
    /// same items, in the same order, as tallying every record and keeping those in
    /// the region, except that a record's `line` counts the lines read through the
    /// index, from 1. A malformed record the index points to is
    /// [`ReadError::IndexedRecord`].
    pub fn query<'r>(
        &'r mut self,
        region: &'r Region,
        phenotypes: Option<&Phenotypes>,
    ) -> Result<impl Iterator<Item = Result<SiteTally, ReadError>> + use<'r, R>, ReadError> {
        let chunks = self.index.chunks(&self.header, region)?;
        let groups = phenotypes
            .map(|p| p.join(&self.sample_names).groups)
            .unwrap_or_default();
        let query = Chunks {
            reader: &mut self.reader,
            chunks: chunks.into_iter(),
            end: None,
        };
        let mut reader =
            VcfReader::records_of(query, self.header.clone(), self.sample_names.clone());
        let mut counter = AlleleCounter::new();
        let mut done = false;
        Ok(std::iter::from_fn(move || {
            while !done {
                match next_tally(&mut reader, &mut counter, &groups) {
                    Ok(Some(site)) if region.contains(&site.key.chromosome, site.key.position) => {
                        return Some(Ok(site));
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => done = true,
                    Err(e) => {
                        done = true;
                        return Some(Err(match e {
                            ReadError::Record { line, problem } => ReadError::IndexedRecord {
                                region: region.to_string(),
                                line,
                                problem,
                            },
                            other => other,
                        }));
                    }
                }
            }
            None
        }))
    }
}

/// The decompressed bytes of the chunks an index gave, each from its start to its end
/// exactly (a chunk ends where a record ends, often inside a BGZF block).
struct Chunks<'r, R> {
    reader: &'r mut bgzf::io::Reader<R>,
    chunks: vec::IntoIter<Chunk>,
    /// The end of the chunk being read.
    end: Option<bgzf::VirtualPosition>,
}

impl<R: Read + Seek> Read for Chunks<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(end) = self.end else {
                let Some(chunk) = self.chunks.next() else {
                    return Ok(0);
                };
                self.reader.seek(chunk.start())?;
                self.end = Some(chunk.end());
                continue;
            };
            let here = self.reader.virtual_position();
            if here >= end {
                self.end = None;
                continue;
            }
            if self.reader.fill_buf()?.is_empty() {
                self.end = None;
                continue;
            }
            // Where the data just buffered starts (a block may have been read).
            let here = self.reader.virtual_position();
            if here >= end {
                self.end = None;
                continue;
            }
            let available = self.reader.fill_buf()?;
            let mut n = available.len().min(out.len());
            if here.compressed() == end.compressed() {
                n = n.min(usize::from(end.uncompressed() - here.uncompressed()));
            }
            out[..n].copy_from_slice(&available[..n]);
            self.reader.consume(n);
            return Ok(n);
        }
    }
}
