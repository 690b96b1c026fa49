//! Random access into an object: a [`DecryptReader`] over a seekable input seeks to
//! the chunk holding the wanted offset and authenticates that chunk before serving
//! from it. See "Random access" in `docs/formats/encrypted-object.md`.

use std::io::{self, Read, Seek, SeekFrom};

use super::{
    Decryptor, FRAME_LEN, HEADER_LEN, Need, ObjectError, TAG_LEN,
    io::{DecryptReader, read_retrying},
};

impl Decryptor {
    /// Repositions the decryptor, after the header, to expect chunk `index` next: the
    /// caller then feeds the bytes from that chunk's frame on. The chunk is
    /// authenticated under its index and final flag as in a sequential read.
    pub fn seek_to_chunk(&mut self, index: u32) -> Result<(), ObjectError> {
        let chunk_size = match self.header() {
            Some(header) => u64::from(header.chunk_size),
            None => {
                return Err(ObjectError::TruncatedHeader {
                    length: self.filled,
                });
            }
        };
        self.need = Need::Frame;
        self.filled = 0;
        self.counter = index;
        self.offset = chunk_offset(u64::from(index), chunk_size);
        Ok(())
    }
}

/// Where chunk `index` starts in the ciphertext.
fn chunk_offset(index: u64, chunk_size: u64) -> u64 {
    HEADER_LEN as u64 + index * (chunk_size + (FRAME_LEN + TAG_LEN) as u64)
}

/// The number of chunks of an object of `length` ciphertext bytes, and the plaintext
/// length, if the length fits the layout (every chunk full but the last).
fn layout(length: u64, chunk_size: u64) -> Option<(u64, u64)> {
    let overhead = (FRAME_LEN + TAG_LEN) as u64;
    let body = length.checked_sub(HEADER_LEN as u64)?;
    if body < overhead {
        return None;
    }
    let stride = chunk_size + overhead;
    let chunks = body.div_ceil(stride);
    let last = body - (chunks - 1) * stride - overhead;
    (last <= chunk_size).then_some((chunks, (chunks - 1) * chunk_size + last))
}

impl<R: Read + Seek> DecryptReader<R> {
    /// Reads and checks the header if it has not been read yet; returns the chunk size.
    fn chunk_size(&mut self) -> Result<u64, ObjectError> {
        while self.decryptor.header().is_none() {
            let space = self.decryptor.space();
            let n = read_retrying(&mut self.inner, space)?;
            if n == 0 {
                self.decryptor.finish()?;
            }
            self.decryptor.advance(n)?;
        }
        let header = self.decryptor.header().ok_or(ObjectError::Finished)?;
        Ok(u64::from(header.chunk_size))
    }

    /// The plaintext length, from the object's length: `None` when that length does
    /// not fit the layout (the read of the last chunk then reports the damage).
    fn plaintext_layout(&mut self, chunk_size: u64) -> Result<Option<(u64, u64)>, ObjectError> {
        let here = self.inner.stream_position()?;
        let length = self.inner.seek(SeekFrom::End(0))?;
        self.inner.seek(SeekFrom::Start(here))?;
        Ok(layout(length, chunk_size))
    }

    /// Moves to plaintext offset `target`: loads and authenticates the chunk holding
    /// it (the last chunk when `target` is at or past the end).
    fn seek_to(&mut self, target: u64) -> Result<(), ObjectError> {
        let loaded = self.offset..=self.offset + self.plaintext.len() as u64;
        if loaded.contains(&target) && self.decryptor.header().is_some() {
            self.position = (target - self.offset) as usize;
            return Ok(());
        }
        let chunk_size = self.chunk_size()?;
        let mut index = target / chunk_size;
        if let Some((chunks, _)) = self.plaintext_layout(chunk_size)? {
            index = index.min(chunks - 1);
        }
        let index32 = u32::try_from(index).map_err(|_| ObjectError::TooManyChunks)?;
        self.inner
            .seek(SeekFrom::Start(chunk_offset(index, chunk_size)))?;
        self.decryptor.seek_to_chunk(index32)?;
        self.plaintext.clear();
        self.offset = index * chunk_size;
        self.position = 0;
        self.done = false;
        self.fill()?;
        self.position = ((target - self.offset) as usize).min(self.plaintext.len());
        Ok(())
    }
}

/// Seeking authenticates the chunk it lands in (chunk `offset / chunk_size`, or the
/// final chunk for an offset at or past the end) before any of its bytes are served;
/// a damaged or misplaced chunk is an error of the seek or of the next read.
/// `SeekFrom::End` computes the plaintext length from the object's length: the final
/// chunk's authentication confirms it when it is read. An offset past the end reads
/// as the end (0 bytes).
impl<R: Read + Seek> Seek for DecryptReader<R> {
    fn seek(&mut self, from: SeekFrom) -> io::Result<u64> {
        let current = self.offset + self.position as u64;
        let target = match from {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(delta) => current.checked_add_signed(delta),
            SeekFrom::End(delta) => {
                let chunk_size = self.chunk_size().map_err(ObjectError::into_io)?;
                let (_, length) = self
                    .plaintext_layout(chunk_size)
                    .map_err(ObjectError::into_io)?
                    .ok_or_else(|| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            "the object's length does not fit its chunk layout",
                        )
                    })?;
                length.checked_add_signed(delta)
            }
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "a seek before the start of the object",
            )
        })?;
        self.seek_to(target).map_err(ObjectError::into_io)?;
        // Past the end the reader stands at the end; report where the caller asked.
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::key::DataKey;
    use crate::object::{ObjectOptions, encrypt};

    const CHUNK: usize = 16;

    fn sealed(key: &DataKey, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let options = ObjectOptions {
            chunk_size: CHUNK as u32,
        };
        encrypt(key, options, plaintext, &mut out).unwrap_or_else(|e| panic!("{e}"));
        out
    }

    fn rest(reader: &mut impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn every_offset_reads_the_plaintext_from_there() -> io::Result<()> {
        let key = DataKey::generate();
        // Empty, shorter than a chunk, whole chunks, and a short final chunk.
        for len in [0, 5, CHUNK, 2 * CHUNK, 3 * CHUNK + 7] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let object = sealed(&key, &plaintext);
            let mut reader = DecryptReader::new(&key, Cursor::new(&object));
            // Every offset, the end and past it, in an order that goes back and forth.
            let mut offsets: Vec<usize> = (0..=len + 2).collect();
            offsets.extend((0..=len + 2).rev());
            for offset in offsets {
                let at = reader.seek(SeekFrom::Start(offset as u64))?;
                assert_eq!(at, offset as u64);
                let expected = plaintext.get(offset..).unwrap_or_default();
                let mut first = [0u8; 3];
                let n = reader.read(&mut first)?;
                assert_eq!(&first[..n], &expected[..n.min(expected.len())]);
                reader.seek(SeekFrom::Start(offset as u64))?;
                assert_eq!(rest(&mut reader)?, expected, "len {len}, offset {offset}");
            }
            // Current and End.
            reader.seek(SeekFrom::Start(0))?;
            let mut one = [0u8; 1];
            if len > 0 {
                reader.read_exact(&mut one)?;
            }
            let here = reader.stream_position()?;
            assert_eq!(here, u64::from(len > 0));
            assert_eq!(reader.seek(SeekFrom::End(0))?, len as u64);
            assert!(rest(&mut reader)?.is_empty());
            if len >= 4 {
                reader.seek(SeekFrom::End(-4))?;
                assert_eq!(rest(&mut reader)?, &plaintext[len - 4..]);
                reader.seek(SeekFrom::Start(1))?;
                reader.seek(SeekFrom::Current(2))?;
                assert_eq!(rest(&mut reader)?, &plaintext[3..]);
            }
            assert!(reader.seek(SeekFrom::Current(-(len as i64) - 1)).is_err());
        }
        Ok(())
    }

    #[test]
    fn a_tampered_chunk_reached_by_a_seek_fails_authentication() {
        let key = DataKey::generate();
        let plaintext = vec![9u8; 4 * CHUNK];
        let mut object = sealed(&key, &plaintext);
        // A byte of chunk 2's ciphertext.
        object[chunk_offset(2, CHUNK as u64) as usize + FRAME_LEN + 3] ^= 1;
        let mut reader = DecryptReader::new(&key, Cursor::new(&object));
        // Chunks before it read fine.
        assert!(reader.seek(SeekFrom::Start(CHUNK as u64 + 1)).is_ok());
        let mut buf = [0u8; CHUNK - 1];
        assert!(reader.read_exact(&mut buf).is_ok());
        let error = reader
            .seek(SeekFrom::Start(2 * CHUNK as u64 + 5))
            .and_then(|_| rest(&mut reader))
            .err()
            .map(ObjectError::from_io);
        assert!(
            matches!(error, Some(ObjectError::ChunkAuthentication { chunk: 2 })),
            "{error:?}"
        );
        // Reading on sequentially into it fails the same way.
        let mut reader = DecryptReader::new(&key, Cursor::new(&object));
        let error = reader
            .seek(SeekFrom::Start(CHUNK as u64 + 1))
            .and_then(|_| rest(&mut reader))
            .err()
            .map(ObjectError::from_io);
        assert!(
            matches!(error, Some(ObjectError::ChunkAuthentication { chunk: 2 })),
            "{error:?}"
        );
    }

    #[test]
    fn a_chunk_moved_elsewhere_is_out_of_place() {
        let key = DataKey::generate();
        let mut object = sealed(&key, &[4u8; 4 * CHUNK]);
        // Chunk 0 copied over chunk 1 (both full, non-final).
        let (zero, one) = (chunk_offset(0, 16) as usize, chunk_offset(1, 16) as usize);
        let copy = object[zero..one].to_vec();
        object[one..one + copy.len()].copy_from_slice(&copy);
        let mut reader = DecryptReader::new(&key, Cursor::new(&object));
        let error = reader
            .seek(SeekFrom::Start(CHUNK as u64))
            .err()
            .map(ObjectError::from_io);
        assert!(
            matches!(
                error,
                Some(ObjectError::ChunkOutOfPlace {
                    chunk: 1,
                    belongs_at: 0
                })
            ),
            "{error:?}"
        );
    }
}
