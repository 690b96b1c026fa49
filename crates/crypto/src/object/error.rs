use std::io;

/// Why an object could not be written or read.
///
/// Every variant about a chunk names it by its index (0 for the first chunk after
/// the header). Authentication failures carry no other detail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// A chunk failed authentication: it was altered, or the object was built under
    /// another key with the same key id (which does not happen by accident).
    #[error("chunk {chunk} failed authentication: the object was altered")]
    ChunkAuthentication {
        /// Index of the chunk.
        chunk: u64,
    },
    /// A chunk is authentic but stands in the wrong place.
    #[error(
        "chunk {chunk} is chunk {belongs_at} of this object: chunks were reordered or duplicated"
    )]
    ChunkOutOfPlace {
        /// Index at which the chunk was found.
        chunk: u64,
        /// Index at which the chunk was written.
        belongs_at: u64,
    },
    /// A chunk was sealed as non-final before it was full (API misuse).
    #[error("only a full chunk can be sealed as non-final")]
    ChunkNotFull,
    /// The encryption primitive failed (only possible for impossible sizes).
    #[error("encryption failed")]
    Encrypt,
    /// The object is complete; nothing more can be sealed.
    #[error("the object is already finished")]
    Finished,
    /// The header's tag does not verify, or its reserved bytes are not zero.
    #[error("the object header was tampered with")]
    HeaderTampered,
    /// The header declares a chunk size out of range.
    #[error("chunk size {0} is out of range (16 bytes to 16 MiB)")]
    InvalidChunkSize(u32),
    /// A chunk's frame declares a length that the header does not allow.
    #[error("chunk {chunk} declares {length} bytes, which the header's chunk size does not allow")]
    InvalidChunkLength {
        /// Index of the chunk.
        chunk: u64,
        /// Length it declares.
        length: u32,
    },
    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The input does not start with the object magic bytes.
    #[error("not a strongroom encrypted object (bad magic bytes)")]
    NotAnObject,
    /// The object has more chunks than the nonce counter can number.
    #[error("object too large: more than 2^32 chunks")]
    TooManyChunks,
    /// Bytes follow the final chunk.
    #[error("unexpected data after the final chunk (chunk {after_chunk})")]
    TrailingData {
        /// Index of the final chunk.
        after_chunk: u64,
    },
    /// The input ended after whole chunks but before the final chunk.
    #[error("object truncated: it ends after {chunks} chunks without its final chunk")]
    Truncated {
        /// Number of complete chunks read.
        chunks: u64,
    },
    /// The input ended inside a chunk.
    #[error("object truncated inside chunk {chunk}")]
    TruncatedChunk {
        /// Index of the incomplete chunk.
        chunk: u64,
    },
    /// The input ended inside the header.
    #[error("object truncated inside its header ({length} of 80 bytes)")]
    TruncatedHeader {
        /// Header bytes present.
        length: usize,
    },
    /// The algorithm id is not one this implementation knows.
    #[error("unsupported algorithm id {0}")]
    UnsupportedAlgorithm(u8),
    /// The format version is not one this implementation reads.
    #[error("unsupported format version {0} (this build reads version 1)")]
    UnsupportedVersion(u8),
    /// The object was encrypted under another key (or its key id was changed).
    #[error("wrong key: the object was encrypted under another data key")]
    WrongKey,
}

impl ObjectError {
    /// Recovers an [`ObjectError`] carried inside an [`io::Error`] by
    /// [`super::DecryptReader`] or [`super::EncryptWriter`].
    pub fn from_io(error: io::Error) -> Self {
        match error
            .get_ref()
            .and_then(|e| e.downcast_ref::<ObjectError>())
        {
            Some(_) => match error
                .into_inner()
                .map(|inner| inner.downcast::<ObjectError>())
            {
                Some(Ok(object)) => *object,
                Some(Err(other)) => ObjectError::Io(io::Error::other(other)),
                None => ObjectError::Io(io::Error::other("unknown I/O error")),
            },
            None => ObjectError::Io(error),
        }
    }

    pub(crate) fn into_io(self) -> io::Error {
        match self {
            ObjectError::Io(error) => error,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}
