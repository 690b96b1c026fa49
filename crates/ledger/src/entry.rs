//! Ledger entries: the public header, the opaque payload, the byte encoding and the
//! entry hash that chains them.

use sha2::{Digest, Sha256};

/// A SHA-256 digest (entry hashes, Merkle nodes and roots).
pub type Hash = [u8; 32];

/// The version byte that starts every encoded entry.
pub const ENTRY_FORMAT_VERSION: u8 = 1;

/// The largest payload an entry may carry (16 MiB).
pub const MAX_PAYLOAD_LEN: usize = 16 * 1024 * 1024;

/// Domain-separation prefix of [`Entry::hash`].
pub const ENTRY_HASH_DOMAIN: &[u8] = b"strongroom/ledger/entry/v1";

/// Length of the fixed part of an encoded entry: version, kind, sequence number,
/// timestamp, previous hash and payload length.
pub const HEADER_LEN: usize = 1 + 1 + 8 + 8 + 32 + 4;

/// What an entry records. The payload format depends on the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryKind {
    /// The first entry of a ledger (sequence number 1, previous hash all zeros).
    Genesis,
    /// A change of the service's governance (members, keys, constitution).
    Governance,
    /// A signed Merkle root over every entry before it (see [`crate::SignedRoot`]).
    Signature,
    /// A transaction executed by the contract.
    Transaction,
}

impl EntryKind {
    /// The byte that encodes this kind.
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::Genesis => 1,
            Self::Transaction => 2,
            Self::Signature => 3,
            Self::Governance => 4,
        }
    }

    /// The kind encoded by `byte`, if any.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Genesis),
            2 => Some(Self::Transaction),
            3 => Some(Self::Signature),
            4 => Some(Self::Governance),
            _ => None,
        }
    }
}

/// The public header of an entry: everything but the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryHeader {
    /// Position in the ledger, from 1.
    pub sequence: u64,
    /// [`Entry::hash`] of the entry before; all zeros for the genesis entry.
    pub prev_hash: Hash,
    /// What the payload records.
    pub kind: EntryKind,
    /// Milliseconds since the Unix epoch, assigned when the entry was ordered.
    pub timestamp_ms: u64,
}

/// One ledger entry: a public header and an opaque payload (encrypted by the enclave
/// for transactions).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The public header.
    pub header: EntryHeader,
    /// The payload, opaque to this crate except for [`EntryKind::Signature`].
    pub payload: Vec<u8>,
}

/// Why an entry could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The payload is longer than [`MAX_PAYLOAD_LEN`].
    #[error("payload of {len} bytes exceeds the limit of {MAX_PAYLOAD_LEN}")]
    PayloadTooLarge {
        /// The payload length.
        len: usize,
    },
}

/// Why bytes could not be decoded as an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The payload length field exceeds [`MAX_PAYLOAD_LEN`].
    #[error("payload length {len} exceeds the limit of {MAX_PAYLOAD_LEN}")]
    PayloadTooLarge {
        /// The declared payload length.
        len: u64,
    },
    /// The input ends before the entry does.
    #[error("entry truncated: need {needed} bytes, have {available}")]
    Truncated {
        /// Bytes the entry needs.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// Bytes follow the end of the entry.
    #[error("{count} trailing bytes after the entry")]
    TrailingBytes {
        /// How many bytes follow.
        count: usize,
    },
    /// The kind byte is not a known [`EntryKind`].
    #[error("unknown entry kind {0}")]
    UnknownKind(u8),
    /// The version byte is not [`ENTRY_FORMAT_VERSION`].
    #[error("unknown entry format version {0}")]
    UnknownVersion(u8),
    /// The sequence number is 0.
    #[error("sequence number 0 is not valid")]
    ZeroSequence,
}

impl Entry {
    /// Builds an entry from its parts.
    pub fn new(
        sequence: u64,
        prev_hash: Hash,
        kind: EntryKind,
        timestamp_ms: u64,
        payload: Vec<u8>,
    ) -> Self {
        Self {
            header: EntryHeader {
                sequence,
                prev_hash,
                kind,
                timestamp_ms,
            },
            payload,
        }
    }

    /// The sequence number.
    pub fn sequence(&self) -> u64 {
        self.header.sequence
    }

    /// Encodes the entry (see `docs/formats/ledger.md`):
    /// `version u8 || kind u8 || sequence u64 || timestamp_ms u64 || prev_hash [32] ||
    /// payload_len u32 || payload`, integers big-endian.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let header = self.header_bytes()?;
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.payload);
        Ok(out)
    }

    /// The fixed part of the encoding (everything before the payload).
    fn header_bytes(&self) -> Result<[u8; HEADER_LEN], EncodeError> {
        let len = self.payload.len();
        if len > MAX_PAYLOAD_LEN {
            return Err(EncodeError::PayloadTooLarge { len });
        }
        // MAX_PAYLOAD_LEN < u32::MAX, so this cannot fail once the check passed.
        let len32 = u32::try_from(len).map_err(|_| EncodeError::PayloadTooLarge { len })?;
        let mut out = [0u8; HEADER_LEN];
        out[0] = ENTRY_FORMAT_VERSION;
        out[1] = self.header.kind.to_byte();
        out[2..10].copy_from_slice(&self.header.sequence.to_be_bytes());
        out[10..18].copy_from_slice(&self.header.timestamp_ms.to_be_bytes());
        out[18..50].copy_from_slice(&self.header.prev_hash);
        out[50..54].copy_from_slice(&len32.to_be_bytes());
        Ok(out)
    }

    /// Decodes exactly one entry from `bytes`, rejecting trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let version = reader.u8()?;
        if version != ENTRY_FORMAT_VERSION {
            return Err(DecodeError::UnknownVersion(version));
        }
        let kind_byte = reader.u8()?;
        let kind = EntryKind::from_byte(kind_byte).ok_or(DecodeError::UnknownKind(kind_byte))?;
        let sequence = reader.u64()?;
        if sequence == 0 {
            return Err(DecodeError::ZeroSequence);
        }
        let timestamp_ms = reader.u64()?;
        let prev_hash = reader.hash()?;
        let len = reader.u32()?;
        let len_usize = usize::try_from(len).unwrap_or(usize::MAX);
        if len_usize > MAX_PAYLOAD_LEN {
            return Err(DecodeError::PayloadTooLarge {
                len: u64::from(len),
            });
        }
        let payload = reader.take(len_usize)?.to_vec();
        reader.finish()?;
        Ok(Self::new(sequence, prev_hash, kind, timestamp_ms, payload))
    }

    /// The entry hash: SHA-256 over [`ENTRY_HASH_DOMAIN`] followed by the encoding
    /// (computed without building the encoding).
    pub fn hash(&self) -> Result<Hash, EncodeError> {
        let mut hasher = Sha256::new();
        hasher.update(ENTRY_HASH_DOMAIN);
        hasher.update(self.header_bytes()?);
        hasher.update(&self.payload);
        Ok(hasher.finalize().into())
    }
}

/// The entry hash of an already encoded entry.
pub fn hash_encoded(encoded: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(ENTRY_HASH_DOMAIN);
    hasher.update(encoded);
    hasher.finalize().into()
}

/// A bounds-checked big-endian reader.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let needed = self.pos.saturating_add(n);
        let slice = self
            .bytes
            .get(self.pos..needed)
            .ok_or(DecodeError::Truncated {
                needed,
                available: self.bytes.len(),
            })?;
        self.pos = needed;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn hash(&mut self) -> Result<Hash, DecodeError> {
        self.array()
    }

    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        match self.bytes.len() - self.pos {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes { count }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> Entry {
        Entry::new(
            7,
            [9; 32],
            EntryKind::Transaction,
            1_700_000_000_000,
            b"hi".to_vec(),
        )
    }

    #[test]
    fn encoding_round_trips_and_is_stable() {
        let entry = sample();
        let bytes = entry.encode().unwrap();
        assert_eq!(bytes.len(), HEADER_LEN + 2);
        assert_eq!(&bytes[..10], &[1, 2, 0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(Entry::decode(&bytes).unwrap(), entry);
    }

    #[test]
    fn decode_rejects_bad_input() {
        let bytes = sample().encode().unwrap();
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            Entry::decode(&long),
            Err(DecodeError::TrailingBytes { count: 1 })
        );
        let mut v = bytes.clone();
        v[0] = 2;
        assert_eq!(Entry::decode(&v), Err(DecodeError::UnknownVersion(2)));
        let mut k = bytes.clone();
        k[1] = 99;
        assert_eq!(Entry::decode(&k), Err(DecodeError::UnknownKind(99)));
        assert!(matches!(
            Entry::decode(&bytes[..bytes.len() - 1]),
            Err(DecodeError::Truncated { .. })
        ));
        let mut big = bytes[..HEADER_LEN].to_vec();
        big[HEADER_LEN - 4..].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            Entry::decode(&big),
            Err(DecodeError::PayloadTooLarge { .. })
        ));
    }

    #[test]
    fn oversize_payload_is_not_encoded() {
        let mut entry = sample();
        entry.payload = vec![0; MAX_PAYLOAD_LEN + 1];
        assert!(matches!(
            entry.encode(),
            Err(EncodeError::PayloadTooLarge { .. })
        ));
    }

    #[test]
    fn hash_is_domain_separated() {
        let entry = sample();
        let plain: Hash = Sha256::digest(entry.encode().unwrap()).into();
        assert_ne!(entry.hash().unwrap(), plain);
    }
}
