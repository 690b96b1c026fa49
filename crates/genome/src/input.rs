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

/// A buffered reader that counts the line feeds its consumer has consumed, and checks
/// that what it hands out is UTF-8.
///
/// The check matters: noodles-vcf 0.96 drops the tabs of a record and checks only
/// that the concatenated fields are UTF-8, so a multi-byte character split by a tab
/// (`\xd4\t\xa7`) passes and a field's bounds then fall inside a character, where
/// its accessors panic. A text that is UTF-8 as a whole cannot hold such a split: a
/// tab is never inside a character.
pub(crate) struct LineCounter<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    lines: u64,
    at_line_start: bool,
    /// The start of a character the last fill ended inside of (at most 3 bytes).
    partial: Vec<u8>,
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
            partial: Vec::new(),
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

impl<R> LineCounter<R> {
    /// Checks that the bytes just read continue a UTF-8 text: a character the previous
    /// fill ended inside of is completed first, and one this fill ends inside of is
    /// kept for the next. At the end, an unfinished character is an error.
    fn check_utf8(&mut self) -> io::Result<()> {
        let data = &self.buf[..self.filled];
        // The line of the byte at `at` of the new data (none consumed yet).
        let lines = self.lines;
        let invalid = |at: usize| {
            let line = lines
                + 1
                + data[..at.min(data.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64;
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("line {line}: the text is not UTF-8"),
            )
        };
        if data.is_empty() {
            return if self.partial.is_empty() {
                Ok(())
            } else {
                Err(invalid(0))
            };
        }
        let mut start = 0;
        if let Some(&lead) = self.partial.first() {
            let width = match lead {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => return Err(invalid(0)),
            };
            let take = (width - self.partial.len()).min(data.len());
            self.partial.extend_from_slice(&data[..take]);
            start = take;
            if self.partial.len() < width {
                return if self.partial[1..].iter().all(|b| (0x80..=0xbf).contains(b)) {
                    Ok(())
                } else {
                    Err(invalid(0))
                };
            }
            std::str::from_utf8(&self.partial).map_err(|_| invalid(0))?;
            self.partial.clear();
        }
        match std::str::from_utf8(&data[start..]) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.partial
                    .extend_from_slice(&data[start + e.valid_up_to()..]);
                Ok(())
            }
            Err(e) => Err(invalid(start + e.valid_up_to())),
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
            self.check_utf8()?;
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

    /// Reads all of `chunks` (each one `read` of the inner reader) through a counter.
    fn read_in_chunks(chunks: &[&[u8]]) -> io::Result<Vec<u8>> {
        struct Chunks<'a>(std::collections::VecDeque<&'a [u8]>);
        impl Read for Chunks<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let Some(chunk) = self.0.pop_front() else {
                    return Ok(0);
                };
                out[..chunk.len()].copy_from_slice(chunk);
                Ok(chunk.len())
            }
        }
        let mut counter = LineCounter::new(Chunks(chunks.iter().copied().collect()));
        let mut all = Vec::new();
        counter.read_to_end(&mut all)?;
        Ok(all)
    }

    #[test]
    fn a_character_split_across_reads_is_utf8() -> io::Result<()> {
        // 'ԧ' (d4 a7) and '€' (e2 82 ac) cut between reads, a byte at a time.
        let all = read_in_chunks(&[b"a\t\xd4", b"\xa7\t\xe2", b"\x82", b"\xac\n"])?;
        assert_eq!(all, "a\tԧ\t€\n".as_bytes());
        Ok(())
    }

    #[test]
    fn a_tab_inside_a_character_is_refused() {
        for chunks in [
            &[&b"1\tG\xd4\t\xa7.\n"[..]][..],
            &[b"1\tG\xd4", b"\t\xa7.\n"],
            &[b"1\tG\xe2\x82", b"\t"],
            &[b"1\tG\xd4"],
        ] {
            let error = read_in_chunks(chunks).map(|_| ()).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{chunks:?}");
            assert!(error.to_string().contains("not UTF-8"), "{error}");
        }
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
