//! The encrypted object format: chunked AES-256-GCM for data of any size.
//!
//! The byte layout and its invariants are specified in
//! `docs/formats/encrypted-object.md`; this module is the reference implementation.
//! In short, an object is an 80-byte header followed by framed chunks:
//!
//! ```text
//! header  = magic(8) version(1) algorithm(1) reserved(2) chunk_size(4, BE)
//!           key_id(16) salt(24) nonce_prefix(7) reserved(1) header_tag(16)
//! chunk   = index(4, BE) length_word(4, BE: bit 31 = final, bits 0..31 = length)
//!           ciphertext(length) tag(16)
//! nonce_i = nonce_prefix(7) || index (4, BE) || final flag (1: 0x00 or 0x01)
//! aad_i   = header(80) || frame_i(8)
//! ```
//!
//! Per-object keys come from HKDF-SHA256 over the data key with the header's random
//! salt, so nonces never repeat across objects encrypted under one data key.
//!
//! The core types [`Encryptor`] and [`Decryptor`] do no I/O: they hand out the buffer
//! to fill and return sealed or opened bytes. [`EncryptWriter`], [`DecryptReader`],
//! [`encrypt`] and [`decrypt`] drive them over `std::io`; [`encrypt_stream`] and
//! [`decrypt_stream`] over async streams of [`bytes::Bytes`]. Memory stays at one chunk
//! (64 KiB by default) whatever the object's size.
//!
//! ```
//! use strongroom_crypto::key::DataKey;
//! use strongroom_crypto::object::{decrypt, encrypt, ObjectOptions};
//!
//! let key = DataKey::generate();
//! let mut sealed = Vec::new();
//! encrypt(&key, ObjectOptions::default(), &b"patient records"[..], &mut sealed).unwrap();
//! let mut opened = Vec::new();
//! decrypt(&key, &sealed[..], &mut opened).unwrap();
//! assert_eq!(opened, b"patient records");
//! ```

mod error;
mod io;
mod seek;
mod stream;

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub use self::error::ObjectError;
pub use self::io::{DecryptReader, EncryptWriter, decrypt, encrypt};
pub use self::stream::{decrypt_stream, encrypt_stream};
use crate::key::{DataKey, KEY_ID_LEN, KeyId};

/// The magic bytes that open every object (PNG-style: a high byte, then line-ending
/// bytes that a text-mode transfer would mangle).
pub const MAGIC: [u8; 8] = *b"\x89SRO\r\n\x1a\n";
/// The format version this implementation writes and reads.
pub const VERSION: u8 = 1;
/// Algorithm id 1: AES-256-GCM chunks, HKDF-SHA256 per-object keys, HMAC-SHA256 header tag.
pub const ALGORITHM_AES_256_GCM: u8 = 1;
/// Length of the header in bytes, including its tag.
pub const HEADER_LEN: usize = 80;
/// Length of a chunk's frame: its index and its length word.
pub const FRAME_LEN: usize = 8;
/// Length of a chunk's authentication tag.
pub const TAG_LEN: usize = 16;
/// The default plaintext bytes per chunk (64 KiB).
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// The smallest chunk size accepted.
pub const MIN_CHUNK_SIZE: u32 = 16;
/// The largest chunk size accepted (16 MiB); it bounds a reader's memory.
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;

const SALT_LEN: usize = 24;
const NONCE_PREFIX_LEN: usize = 7;
const FINAL_BIT: u32 = 1 << 31;
const CHUNK_KEY_INFO: &[u8] = b"strongroom/object/v1/chunk-key";
const HEADER_KEY_INFO: &[u8] = b"strongroom/object/v1/header-key";

/// Options for writing an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectOptions {
    /// Plaintext bytes per chunk, from [`MIN_CHUNK_SIZE`] to [`MAX_CHUNK_SIZE`].
    pub chunk_size: u32,
}

impl Default for ObjectOptions {
    fn default() -> Self {
        Self {
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }
}

/// The parsed, authenticated header of an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Plaintext bytes per chunk.
    pub chunk_size: u32,
    /// Which data key the object is encrypted under.
    pub key_id: KeyId,
}

/// Keys and constants of one object, shared by the encryptor and decryptor.
struct ObjectCipher {
    key: LessSafeKey,
    header: [u8; HEADER_LEN],
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
    chunk_size: u32,
}

impl ObjectCipher {
    /// Derives the per-object keys for a header whose first 64 bytes are filled in, and
    /// returns the cipher together with the header tag computed over those bytes.
    fn derive(data_key: &DataKey, header: [u8; HEADER_LEN]) -> (Self, [u8; TAG_LEN]) {
        let salt = &header[32..32 + SALT_LEN];
        let hkdf = Hkdf::<Sha256>::new(Some(salt), data_key.expose());
        let mut chunk_key = Zeroizing::new([0u8; 32]);
        let mut header_key = Zeroizing::new([0u8; 32]);
        // Expanding 32 bytes is far below HKDF-SHA256's 8160-byte limit.
        hkdf.expand(CHUNK_KEY_INFO, chunk_key.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        hkdf.expand(HEADER_KEY_INFO, header_key.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(header_key.as_ref())
            .expect("HMAC-SHA256 accepts a 32-byte key");
        mac.update(&header[..HEADER_LEN - TAG_LEN]);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        let unbound = UnboundKey::new(&AES_256_GCM, chunk_key.as_ref())
            .expect("AES-256-GCM takes a 32-byte key");
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        nonce_prefix.copy_from_slice(&header[56..56 + NONCE_PREFIX_LEN]);
        let chunk_size = u32::from_be_bytes([header[12], header[13], header[14], header[15]]);
        let cipher = Self {
            key: LessSafeKey::new(unbound),
            header,
            nonce_prefix,
            chunk_size,
        };
        (cipher, tag)
    }

    fn nonce(&self, counter: u32, last: bool) -> Nonce {
        let mut nonce = [0u8; 12];
        nonce[..NONCE_PREFIX_LEN].copy_from_slice(&self.nonce_prefix);
        nonce[7..11].copy_from_slice(&counter.to_be_bytes());
        nonce[11] = u8::from(last);
        Nonce::assume_unique_for_key(nonce)
    }

    fn aad(&self, frame: [u8; FRAME_LEN]) -> [u8; HEADER_LEN + FRAME_LEN] {
        let mut aad = [0u8; HEADER_LEN + FRAME_LEN];
        aad[..HEADER_LEN].copy_from_slice(&self.header);
        aad[HEADER_LEN..].copy_from_slice(&frame);
        aad
    }
}

fn frame(index: u32, len: usize, last: bool) -> [u8; FRAME_LEN] {
    // Callers guarantee len <= MAX_CHUNK_SIZE < 2^31.
    let mut word = len as u32;
    if last {
        word |= FINAL_BIT;
    }
    let mut frame = [0u8; FRAME_LEN];
    frame[..4].copy_from_slice(&index.to_be_bytes());
    frame[4..].copy_from_slice(&word.to_be_bytes());
    frame
}

/// Sans-I/O encryptor: fill [`Encryptor::space`], then [`Encryptor::seal`] each chunk.
///
/// A chunk may be sealed as non-final only when it is full; the caller seals the last
/// chunk (possibly short, or empty for an empty object) with `last = true`. An object
/// that is never given a final chunk is rejected by every reader as truncated.
pub struct Encryptor {
    cipher: ObjectCipher,
    /// frame(8) | plaintext (chunk_size) | tag(16); `filled` plaintext bytes are valid.
    buf: Vec<u8>,
    filled: usize,
    counter: u32,
    finished: bool,
}

impl Encryptor {
    /// Starts a new object under `key`, with a fresh random salt and nonce prefix.
    pub fn new(key: &DataKey, options: ObjectOptions) -> Result<Self, ObjectError> {
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&options.chunk_size) {
            return Err(ObjectError::InvalidChunkSize(options.chunk_size));
        }
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(&MAGIC);
        header[8] = VERSION;
        header[9] = ALGORITHM_AES_256_GCM;
        header[12..16].copy_from_slice(&options.chunk_size.to_be_bytes());
        header[16..16 + KEY_ID_LEN].copy_from_slice(&key.id().0);
        OsRng.fill_bytes(&mut header[32..32 + SALT_LEN + NONCE_PREFIX_LEN]);
        let (mut cipher, tag) = ObjectCipher::derive(key, header);
        cipher.header[HEADER_LEN - TAG_LEN..].copy_from_slice(&tag);
        let chunk_size = options.chunk_size as usize;
        Ok(Self {
            cipher,
            buf: vec![0u8; FRAME_LEN + chunk_size + TAG_LEN],
            filled: 0,
            counter: 0,
            finished: false,
        })
    }

    /// The header, to be written before the first chunk.
    pub fn header(&self) -> &[u8; HEADER_LEN] {
        &self.cipher.header
    }

    /// The unfilled part of the current chunk; empty when the chunk is full.
    pub fn space(&mut self) -> &mut [u8] {
        let end = FRAME_LEN + self.cipher.chunk_size as usize;
        &mut self.buf[FRAME_LEN + self.filled..end]
    }

    /// Records that `n` bytes of [`Encryptor::space`] were filled.
    pub fn commit(&mut self, n: usize) {
        self.filled = (self.filled + n).min(self.cipher.chunk_size as usize);
    }

    /// Whether the current chunk is full.
    pub fn is_full(&self) -> bool {
        self.filled == self.cipher.chunk_size as usize
    }

    /// Encrypts the current chunk and returns its bytes (frame, ciphertext, tag).
    ///
    /// With `last = false` the chunk must be full. After `last = true` the object is
    /// complete and no more chunks can be sealed.
    pub fn seal(&mut self, last: bool) -> Result<&[u8], ObjectError> {
        if self.finished {
            return Err(ObjectError::Finished);
        }
        if !last && !self.is_full() {
            return Err(ObjectError::ChunkNotFull);
        }
        if self.counter == u32::MAX && !last {
            return Err(ObjectError::TooManyChunks);
        }
        let len = self.filled;
        let frame = frame(self.counter, len, last);
        let nonce = self.cipher.nonce(self.counter, last);
        let aad = self.cipher.aad(frame);
        self.buf[..FRAME_LEN].copy_from_slice(&frame);
        let (plaintext, rest) = self.buf[FRAME_LEN..].split_at_mut(len);
        let tag = self
            .cipher
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(&aad[..]), plaintext)
            .map_err(|_| ObjectError::Encrypt)?;
        rest[..TAG_LEN].copy_from_slice(tag.as_ref());
        self.filled = 0;
        if last {
            self.finished = true;
        } else {
            self.counter += 1;
        }
        Ok(&self.buf[..FRAME_LEN + len + TAG_LEN])
    }

    /// Number of chunks sealed so far.
    pub fn chunks_sealed(&self) -> u64 {
        u64::from(self.counter) + u64::from(self.finished)
    }
}

/// What the decryptor is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    Header,
    Frame,
    Body { index: u32, len: usize, last: bool },
    Done,
}

/// Sans-I/O decryptor: fill [`Decryptor::space`], then [`Decryptor::advance`].
///
/// Every chunk is authenticated before its plaintext is handed out. Truncation can
/// only be detected at the end, so a consumer must not act on the plaintext until
/// [`Decryptor::finish`] succeeds.
pub struct Decryptor {
    key: DataKey,
    cipher: Option<ObjectCipher>,
    need: Need,
    buf: Vec<u8>,
    filled: usize,
    counter: u32,
    /// Bytes consumed so far, for error positions.
    offset: u64,
}

impl Decryptor {
    /// Starts reading an object encrypted under `key`.
    pub fn new(key: &DataKey) -> Self {
        Self {
            key: key.clone(),
            cipher: None,
            need: Need::Header,
            buf: vec![0u8; HEADER_LEN],
            filled: 0,
            counter: 0,
            offset: 0,
        }
    }

    /// The authenticated header, once it has been read.
    pub fn header(&self) -> Option<Header> {
        self.cipher.as_ref().map(|c| Header {
            chunk_size: c.chunk_size,
            key_id: self.key.id(),
        })
    }

    /// Whether the final chunk has been read and authenticated.
    pub fn is_done(&self) -> bool {
        self.need == Need::Done
    }

    /// The buffer to fill next: exactly the bytes still needed for the current
    /// header, frame or chunk. Empty once the final chunk has been read.
    pub fn space(&mut self) -> &mut [u8] {
        let want = self.wanted();
        &mut self.buf[self.filled..want]
    }

    fn wanted(&self) -> usize {
        match self.need {
            Need::Header => HEADER_LEN,
            Need::Frame => FRAME_LEN,
            Need::Body { len, .. } => len + TAG_LEN,
            Need::Done => 0,
        }
    }

    /// Records that `n` bytes of [`Decryptor::space`] were filled. Returns the
    /// plaintext of a chunk when one is complete and authentic.
    pub fn advance(&mut self, n: usize) -> Result<Option<&[u8]>, ObjectError> {
        if n > 0 && self.need == Need::Done {
            return Err(ObjectError::TrailingData {
                after_chunk: u64::from(self.counter),
            });
        }
        self.filled += n;
        self.offset += n as u64;
        if self.filled < self.wanted() {
            return Ok(None);
        }
        self.filled = 0;
        match self.need {
            Need::Header => {
                self.open_header()?;
                self.need = Need::Frame;
                Ok(None)
            }
            Need::Frame => {
                self.read_frame()?;
                Ok(None)
            }
            Need::Body { index, len, last } => self.open_chunk(index, len, last).map(Some),
            Need::Done => Ok(None),
        }
    }

    /// Feeds arbitrary input, appending the plaintext of completed chunks to `out`.
    pub fn update(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), ObjectError> {
        while !input.is_empty() {
            let space = self.space();
            if space.is_empty() {
                return Err(ObjectError::TrailingData {
                    after_chunk: u64::from(self.counter),
                });
            }
            let n = space.len().min(input.len());
            space[..n].copy_from_slice(&input[..n]);
            input = &input[n..];
            if let Some(plaintext) = self.advance(n)? {
                out.extend_from_slice(plaintext);
            }
        }
        Ok(())
    }

    /// Checks, at the end of the input, that the object was complete.
    pub fn finish(&self) -> Result<(), ObjectError> {
        match self.need {
            Need::Done => Ok(()),
            Need::Header => Err(ObjectError::TruncatedHeader {
                length: self.filled,
            }),
            Need::Frame if self.filled == 0 => Err(ObjectError::Truncated {
                chunks: u64::from(self.counter),
            }),
            Need::Frame | Need::Body { .. } => Err(ObjectError::TruncatedChunk {
                chunk: u64::from(self.counter),
            }),
        }
    }

    fn open_header(&mut self) -> Result<(), ObjectError> {
        let header: [u8; HEADER_LEN] = self.buf[..HEADER_LEN]
            .try_into()
            .map_err(|_| ObjectError::TruncatedHeader { length: 0 })?;
        if header[..8] != MAGIC {
            return Err(ObjectError::NotAnObject);
        }
        if header[8] != VERSION {
            return Err(ObjectError::UnsupportedVersion(header[8]));
        }
        if header[9] != ALGORITHM_AES_256_GCM {
            return Err(ObjectError::UnsupportedAlgorithm(header[9]));
        }
        if header[10] != 0 || header[11] != 0 || header[63] != 0 {
            return Err(ObjectError::HeaderTampered);
        }
        let chunk_size = u32::from_be_bytes([header[12], header[13], header[14], header[15]]);
        let mut key_id = [0u8; KEY_ID_LEN];
        key_id.copy_from_slice(&header[16..16 + KEY_ID_LEN]);
        if !self.key.id().ct_matches(&KeyId(key_id)) {
            return Err(ObjectError::WrongKey);
        }
        let (cipher, tag) = ObjectCipher::derive(&self.key, header);
        if !bool::from(tag.ct_eq(&header[HEADER_LEN - TAG_LEN..])) {
            return Err(ObjectError::HeaderTampered);
        }
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(ObjectError::InvalidChunkSize(chunk_size));
        }
        // Body, tag, and the frame word kept for the AAD: allocated once, never grown.
        self.buf = vec![0u8; chunk_size as usize + TAG_LEN + FRAME_LEN];
        self.cipher = Some(cipher);
        Ok(())
    }

    fn read_frame(&mut self) -> Result<(), ObjectError> {
        let chunk = u64::from(self.counter);
        let cipher = self.cipher.as_ref().ok_or(ObjectError::Finished)?;
        let index = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        let word = u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]);
        let last = word & FINAL_BIT != 0;
        let len = word & !FINAL_BIT;
        if len > cipher.chunk_size || (!last && len != cipher.chunk_size) {
            return Err(ObjectError::InvalidChunkLength { chunk, length: len });
        }
        self.need = Need::Body {
            index,
            len: len as usize,
            last,
        };
        // Keep the frame for the AAD, past the body and tag.
        let end = len as usize + TAG_LEN;
        let frame: [u8; FRAME_LEN] = self.buf[..FRAME_LEN]
            .try_into()
            .map_err(|_| ObjectError::TruncatedChunk { chunk })?;
        self.buf[end..end + FRAME_LEN].copy_from_slice(&frame);
        Ok(())
    }

    fn open_chunk(&mut self, index: u32, len: usize, last: bool) -> Result<&[u8], ObjectError> {
        let chunk = u64::from(self.counter);
        let cipher = self.cipher.as_ref().ok_or(ObjectError::Finished)?;
        let end = len + TAG_LEN;
        let mut frame = [0u8; FRAME_LEN];
        frame.copy_from_slice(&self.buf[end..end + FRAME_LEN]);
        let aad = cipher.aad(frame);
        // Authenticate under the index the chunk claims: an authentic chunk in the wrong
        // place is then told apart from an altered one at no extra cost.
        let nonce = cipher.nonce(index, last);
        if cipher
            .key
            .open_in_place(nonce, Aad::from(&aad[..]), &mut self.buf[..end])
            .is_err()
        {
            return Err(ObjectError::ChunkAuthentication { chunk });
        }
        if index != self.counter {
            return Err(ObjectError::ChunkOutOfPlace {
                chunk,
                belongs_at: u64::from(index),
            });
        }
        if last {
            self.need = Need::Done;
        } else {
            self.need = Need::Frame;
            self.counter = self
                .counter
                .checked_add(1)
                .ok_or(ObjectError::TooManyChunks)?;
        }
        Ok(&self.buf[..len])
    }
}

#[cfg(test)]
mod tests;
