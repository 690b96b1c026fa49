//! The bytes under a VCF: plain text, BGZF (with noodles-bgzf) or plain gzip
//! (multi-member, with flate2), detected from the first bytes; and a line counter so
//! that errors can name the line.

use std::io::{self, BufRead, BufReader, Read};

/// gzip's magic number and the deflate method.
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];
/// The FEXTRA flag of a gzip header.
const FLAG_EXTRA: u8 = 0x04;

/// How a file is compressed.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Compression {
    /// BGZF: gzip members carrying a `BC` extra subfield (htslib's `bgzip`).
    Bgzf,
    /// gzip that is not BGZF (`gzip`); read as a multi-member stream.
    Gzip,
    /// Uncompressed text.
    None,
}

/// Detects the compression from a gzip header: BGZF has FEXTRA with the subfield
/// `BC` first (SAM/BAM specification, section 4.1).
pub(crate) fn detect(head: &[u8]) -> Compression {
    if head.len() < 3 || head[..3] != GZIP_MAGIC {
        return Compression::None;
    }
    let is_bgzf = head.len() >= 14 && head[3] & FLAG_EXTRA != 0 && &head[12..14] == b"BC";
    if is_bgzf {
        Compression::Bgzf
    } else {
        Compression::Gzip
    }
}

/// Wraps `inner` in the decoder its first bytes call for.
pub(crate) fn decompressed<'a, R: Read + 'a>(inner: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut buffered = BufReader::new(inner);
    let head = buffered.fill_buf()?;
    Ok(match detect(head) {
        Compression::Bgzf => Box::new(noodles_bgzf::io::Reader::new(buffered)),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::None => Box::new(buffered),
    })
}

/// A buffered reader that counts the line feeds its consumer has consumed.
pub(crate) struct LineCounter<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    lines: u64,
    at_line_start: bool,
}

impl<R: Read> LineCounter<R> {
    /// A counter over `inner` with a 64 KiB buffer.
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            pos: 0,
            filled: 0,
            lines: 0,
            at_line_start: true,
        }
    }

    /// Complete lines consumed so far.
    pub(crate) fn complete_lines(&self) -> u64 {
        self.lines
    }

    /// The line the last consumed byte belongs to (0 before any).
    pub(crate) fn last_line(&self) -> u64 {
        if self.at_line_start {
            self.lines
        } else {
            self.lines + 1
        }
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.filled {
            self.filled = self.inner.read(&mut self.buf)?;
            self.pos = 0;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amt: usize) {
        let end = (self.pos + amt).min(self.filled);
        let consumed = &self.buf[self.pos..end];
        self.lines += consumed.iter().filter(|&&b| b == b'\n').count() as u64;
        if let Some(&last) = consumed.last() {
            self.at_line_start = last == b'\n';
        }
        self.pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_plain_gzip_and_bgzf() {
        assert_eq!(detect(b"##fileformat"), Compression::None);
        assert_eq!(
            detect(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
            Compression::Gzip
        );
        let bgzf = [
            0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, b'B', b'C', 2, 0,
        ];
        assert_eq!(detect(&bgzf), Compression::Bgzf);
    }

    #[test]
    fn counts_consumed_lines() -> io::Result<()> {
        let mut counter = LineCounter::new(&b"a\nb\nc"[..]);
        let mut line = String::new();
        counter.read_line(&mut line)?;
        assert_eq!(counter.complete_lines(), 1);
        counter.read_line(&mut line)?;
        counter.read_line(&mut line)?;
        assert_eq!(counter.complete_lines(), 2);
        Ok(())
    }
}
