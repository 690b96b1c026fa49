//! Drivers of the object core over `std::io`.

use std::io::{self, Read, Write};

use super::{Decryptor, Encryptor, ObjectError, ObjectOptions};
use crate::key::DataKey;

/// Encrypts everything `input` yields into `output` as one object; returns the number
/// of plaintext bytes. Memory: one chunk.
pub fn encrypt<R: Read, W: Write>(
    key: &DataKey,
    options: ObjectOptions,
    mut input: R,
    mut output: W,
) -> Result<u64, ObjectError> {
    let mut encryptor = Encryptor::new(key, options)?;
    output.write_all(encryptor.header())?;
    let mut total = 0u64;
    // One byte read ahead decides whether a full chunk is the final one.
    let mut carry: Option<u8> = None;
    loop {
        if let Some(byte) = carry.take() {
            encryptor.space()[0] = byte;
            encryptor.commit(1);
        }
        while !encryptor.is_full() {
            let n = read_retrying(&mut input, encryptor.space())?;
            if n == 0 {
                break;
            }
            encryptor.commit(n);
            total += n as u64;
        }
        if encryptor.is_full() {
            let mut probe = [0u8; 1];
            if read_retrying(&mut input, &mut probe)? == 1 {
                output.write_all(encryptor.seal(false)?)?;
                carry = Some(probe[0]);
                total += 1;
                continue;
            }
        }
        output.write_all(encryptor.seal(true)?)?;
        output.flush()?;
        return Ok(total);
    }
}

/// Decrypts one object from `input` into `output`; returns the number of plaintext
/// bytes. On error, `output` may hold the plaintext of the chunks before the failure:
/// write to a temporary place and keep it only on success.
pub fn decrypt<R: Read, W: Write>(
    key: &DataKey,
    mut input: R,
    mut output: W,
) -> Result<u64, ObjectError> {
    let mut decryptor = Decryptor::new(key);
    let mut total = 0u64;
    loop {
        let space = decryptor.space();
        if space.is_empty() {
            let mut probe = [0u8; 1];
            let n = read_retrying(&mut input, &mut probe)?;
            decryptor.advance(n)?;
            output.flush()?;
            return Ok(total);
        }
        let n = read_retrying(&mut input, space)?;
        if n == 0 {
            decryptor.finish()?;
            output.flush()?;
            return Ok(total);
        }
        if let Some(plaintext) = decryptor.advance(n)? {
            output.write_all(plaintext)?;
            total += plaintext.len() as u64;
        }
    }
}

pub(super) fn read_retrying<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// A [`Write`] that encrypts into an inner writer. Call [`EncryptWriter::finish`]:
/// dropping it without finishing leaves an object that readers reject as truncated.
pub struct EncryptWriter<W: Write> {
    inner: W,
    encryptor: Encryptor,
    header_written: bool,
}

impl<W: Write> EncryptWriter<W> {
    /// Starts an object under `key`. Nothing is written until the first write.
    pub fn new(key: &DataKey, options: ObjectOptions, inner: W) -> Result<Self, ObjectError> {
        Ok(Self {
            inner,
            encryptor: Encryptor::new(key, options)?,
            header_written: false,
        })
    }

    fn write_header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.inner.write_all(self.encryptor.header())?;
            self.header_written = true;
        }
        Ok(())
    }

    /// Seals the final chunk, flushes, and returns the inner writer.
    pub fn finish(mut self) -> Result<W, ObjectError> {
        self.write_header()?;
        let sealed = self.encryptor.seal(true)?;
        self.inner.write_all(sealed)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for EncryptWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        self.write_header()?;
        if self.encryptor.is_full() {
            let sealed = self.encryptor.seal(false).map_err(ObjectError::into_io)?;
            self.inner.write_all(sealed)?;
        }
        let space = self.encryptor.space();
        let n = space.len().min(data.len());
        space[..n].copy_from_slice(&data[..n]);
        self.encryptor.commit(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Buffered plaintext stays buffered: a chunk is sealed only when it is full or
        // final. Flush what was already sealed.
        self.inner.flush()
    }
}

/// A [`Read`] that decrypts from an inner reader. Errors come as `io::Error` of kind
/// `InvalidData` wrapping an [`ObjectError`]; [`ObjectError::from_io`] recovers it.
/// `read` returns `Ok(0)` only after the final chunk was authenticated and no byte
/// follows it. Over a seekable input it is seekable too (see the `Seek` impl).
pub struct DecryptReader<R: Read> {
    pub(super) inner: R,
    pub(super) decryptor: Decryptor,
    pub(super) plaintext: Vec<u8>,
    /// The plaintext offset of `plaintext[0]` in the object.
    pub(super) offset: u64,
    pub(super) position: usize,
    pub(super) done: bool,
}

impl<R: Read> DecryptReader<R> {
    /// Starts reading an object under `key`.
    pub fn new(key: &DataKey, inner: R) -> Self {
        Self {
            inner,
            decryptor: Decryptor::new(key),
            plaintext: Vec::new(),
            offset: 0,
            position: 0,
            done: false,
        }
    }

    /// Reads until a chunk of plaintext is available or the object ends.
    pub(super) fn fill(&mut self) -> Result<(), ObjectError> {
        self.offset += self.plaintext.len() as u64;
        self.plaintext.clear();
        self.position = 0;
        while !self.done && self.plaintext.is_empty() {
            let space = self.decryptor.space();
            if space.is_empty() {
                let mut probe = [0u8; 1];
                let n = read_retrying(&mut self.inner, &mut probe)?;
                self.decryptor.advance(n)?;
                self.done = true;
                break;
            }
            let n = read_retrying(&mut self.inner, space)?;
            if n == 0 {
                self.decryptor.finish()?;
                self.done = true;
                break;
            }
            if let Some(chunk) = self.decryptor.advance(n)? {
                self.plaintext.extend_from_slice(chunk);
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for DecryptReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.position == self.plaintext.len() {
            self.fill().map_err(ObjectError::into_io)?;
        }
        let available = &self.plaintext[self.position..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.position += n;
        Ok(n)
    }
}
